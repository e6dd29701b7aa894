//! The dense layers' kernels on plain `f32` slices: `y = x · W + b` (burn's `Linear`: the
//! weight is `[inputs, outputs]`) and its gradients, one GEMM per thread on its run of rows.
//!
//! Why: burn-flex runs a matrix product on threads only above 192³ multiply-adds, so the seed
//! network's dense layers (128 × 3136 × 16) ran on one core while the other waited: ~3% of a
//! step's CPU time (`bench --ops`), about twice that in wall time. (Above the threshold, as the
//! wider preset's 3136 × 256 layer, flex's threads and these run even.)

use super::finish::finish_each;
use super::gemm::mat;
use super::samples::{gemm_into, over_runs};
#[cfg(feature = "cli")]
use super::{
    gemm::{gemm, mat_t},
    kernels::relu_bias_backward,
    samples::{sum_partials, zeroed},
};

/// Rows a thread's run has at least. A smaller batch is one product, as in burn-flex: the gemm
/// crate sums a row in another order when it sits in a product of another height, and a row's
/// result should not depend on where it sits in a small batch (`tests/conditional.rs` checks an
/// image given twice in a batch of three); a batch of 2 × 32 or more is split evenly.
const MIN_RUN: usize = 32;

/// Forward: `x[n × k]`, `w[k × m]`, `bias[m]` -> `y[n × m]`, through a ReLU when `relu`.
pub fn linear(x: &[f32], w: &[f32], bias: &[f32], k: usize, m: usize, relu: bool) -> Vec<f32> {
    let n = x.len() / k.max(1);
    let (y, _) = over_runs(
        n,
        m,
        MIN_RUN,
        || (),
        |rows, block, _| {
            let x = &x[rows.start * k..rows.end * k];
            let y = gemm_into(rows.len(), m, k, block, mat(x), mat(w));
            for row in y.chunks_mut(m.max(1)) {
                finish_each(row, bias, relu);
            }
            y
        },
    );
    y
}

/// Backward: (dx, dW, db) from `dy[n × m]`; `y` is the layer's output when a ReLU was fused
/// (the gradient passes where it is positive). dx is empty unless `want_dx`. (Only training
/// differentiates, and only native builds train.)
#[cfg(feature = "cli")]
pub fn linear_backward(
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    y: Option<&[f32]>,
    k: usize,
    m: usize,
    want_dx: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (masked, db) = relu_bias_backward(dy, y, m, 1);
    let dy = masked.as_deref().unwrap_or(dy);
    let n = dy.len() / m.max(1);
    let (dx, parts) = over_runs(
        n,
        if want_dx { k } else { 0 },
        MIN_RUN,
        || vec![0.0f32; k * m],
        |rows, block, dw| {
            let (x, dy) = (
                &x[rows.start * k..rows.end * k],
                &dy[rows.start * m..rows.end * m],
            );
            // dW[k × m] += xᵀ[k × rows] · dy[rows × m]
            gemm(k, m, rows.len(), dw, true, mat_t(x), mat(dy));
            if !want_dx {
                return zeroed(block); // no values
            }
            // dx[rows × k] = dy[rows × m] · Wᵀ[m × k]
            gemm_into(rows.len(), k, m, block, mat(dy), mat_t(w))
        },
    );
    (dx, sum_partials(parts), db)
}
