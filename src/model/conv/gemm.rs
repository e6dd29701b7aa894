//! The matrix products of the convolution kernels, one product per call on the calling thread:
//! natively the `gemm` crate (the one burn-flex uses, with its AVX-512 / AVX2 kernels picked at
//! run time); in wasm `blocked`, four times faster there than the crate's SIMD128 path.

/// A row-major matrix operand: its data and whether it is stored transposed.
#[derive(Clone, Copy)]
pub struct Mat<'a> {
    pub data: &'a [f32],
    pub transposed: bool,
}

pub fn mat(data: &[f32]) -> Mat<'_> {
    Mat {
        data,
        transposed: false,
    }
}

pub fn mat_t(data: &[f32]) -> Mat<'_> {
    Mat {
        data,
        transposed: true,
    }
}

/// `dst[m×n] (+)= a[m×k] · b[k×n]`, each operand row-major or stored transposed.
pub fn gemm(m: usize, n: usize, k: usize, dst: &mut [f32], accumulate: bool, a: Mat, b: Mat) {
    assert!(dst.len() >= m * n && a.data.len() >= m * k && b.data.len() >= k * n);
    // Row and column strides of a row-major [rows × cols] matrix, or of its transpose.
    let strides = |op: Mat, cols: usize, rows: usize| -> (isize, isize) {
        if op.transposed {
            (1, rows as isize)
        } else {
            (cols as isize, 1)
        }
    };
    let (a_rs, a_cs) = strides(a, k, m);
    // The page only runs forward passes, whose `b` is never stored transposed.
    if cfg!(target_arch = "wasm32") && !b.transposed {
        let (rs, cs) = (a_rs as usize, a_cs as usize);
        return super::blocked::gemm(m, n, k, dst, accumulate, (a.data, rs, cs), b.data);
    }
    let (b_rs, b_cs) = strides(b, n, k);
    // SAFETY: the assert above bounds every index gemm computes from these sizes and strides;
    // dst does not alias a or b (a `&mut` and two `&` borrows).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            a.data.as_ptr(),
            a_cs,
            a_rs,
            b.data.as_ptr(),
            b_cs,
            b_rs,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Operands stored either way, accumulating or not, against the textbook triple loop.
    #[test]
    fn gemm_matches_the_triple_loop() {
        let mut seed = 3u64;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for case in 0..300 {
            let (m, n, k) = (1 + next() % 70, 1 + next() % 70, 1 + next() % 40);
            let (ta, tb, acc) = (case % 2 == 1, case % 4 >= 2, case % 8 >= 4);
            let a: Vec<f32> = (0..m * k).map(|_| (next() % 19) as f32 - 9.0).collect();
            let b: Vec<f32> = (0..k * n).map(|_| (next() % 19) as f32 - 9.0).collect();
            let start: Vec<f32> = (0..m * n).map(|_| (next() % 7) as f32).collect();
            // a[i, l] and b[l, j] as stored (transposed storage: a is [k × m], b [n × k]).
            let at = |i: usize, l: usize| if ta { a[l * m + i] } else { a[i * k + l] };
            let bt = |l: usize, j: usize| if tb { b[j * k + l] } else { b[l * n + j] };
            let mut want = if acc { start.clone() } else { vec![0.0; m * n] };
            for i in 0..m {
                for j in 0..n {
                    want[i * n + j] += (0..k).map(|l| at(i, l) * bt(l, j)).sum::<f32>();
                }
            }
            let op = |data, t| Mat {
                data,
                transposed: t,
            };
            let mut got = start.clone();
            gemm(m, n, k, &mut got, acc, op(&a[..], ta), op(&b[..], tb));
            assert_eq!(
                got, want,
                "m {m} n {n} k {k} a^T {ta} b^T {tb} accumulate {acc}"
            );
            // The page's kernel, on the same loops as in wasm (four-lane arrays natively).
            if !tb {
                let (rs, cs) = if ta { (1, m) } else { (k, 1) };
                let mut got = start.clone();
                super::super::blocked::gemm(m, n, k, &mut got, acc, (&a[..], rs, cs), &b[..]);
                assert_eq!(
                    got, want,
                    "blocked: m {m} n {n} k {k} a^T {ta} accumulate {acc}"
                );
            }
            // Its AVX2 form (`winograd`'s products natively), where this CPU has it.
            #[cfg(target_arch = "x86_64")]
            if !tb && !acc && super::super::blocked::wide::available() {
                let (rs, cs) = if ta { (1, m) } else { (k, 1) };
                let mut got = start.clone();
                super::super::blocked::wide::gemm(m, n, k, &mut got, (&a[..], rs, cs), &b[..]);
                assert_eq!(got, want, "wide: m {m} n {n} k {k} a^T {ta}");
            }
        }
    }
}
