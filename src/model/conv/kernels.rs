//! The convolution kernels on plain `f32` slices (NCHW, row-major): im2col / col2im and one
//! GEMM per sample, samples spread over threads, each thread with its own scratch and its own
//! partial weight gradient.
//!
//! A 2-D convolution and a transposed one share one geometry: a "big" image of `channels` planes
//! `big_h × big_w`, and a grid of `grid_h × grid_w` kernel placements at `stride`, shifted by the
//! padding. For `conv2d` the big image is the input and the grid the output; for
//! `conv_transpose2d` the big image is the output and the grid the input. So
//!
//! | pass | conv2d | conv_transpose2d |
//! | --- | --- | --- |
//! | forward | `y = W · im2col(x) + b` | `y = col2im(Wᵀ · x) + b` |
//! | input gradient | `dx = col2im(Wᵀ · dy)` | `dx = W · im2col(dy)` |
//! | weight gradient | `dW = Σₙ dy · im2col(x)ᵀ` | `dW = Σₙ x · im2col(dy)ᵀ` |
//!
//! where `W` is the weight as a matrix: `[out, in·kh·kw]` for conv2d (burn's `[out, in, kh, kw]`)
//! and `[in, out·kh·kw]` for the transposed conv (burn's `[in, out, kh, kw]`).

use super::finish::{self, finish_all};
use super::gemm::{gemm, mat, mat_t};
pub use super::geometry::Geometry;
use super::phases::Scratch;
use super::samples::{
    Piece, filled, gemm_into, in_parts, over_runs, over_samples, sum_partials, zeroed,
};

impl Geometry {
    /// Where tap `kx` of the grid's first covered column `x0` reads in a row split by
    /// `split_rows`: the run of its columns is contiguous there.
    fn split_start(&self, kx: usize, x0: usize) -> usize {
        let (sx, bw) = (self.stride[1], self.big[1]);
        let ix = x0 * sx + kx - self.pad[1];
        let r = ix % sx;
        // Sub-row r follows the sub-rows 0..r, of ceil((bw - r') / sx) values each.
        (0..r).map(|q| (bw - q).div_ceil(sx)).sum::<usize>() + ix / sx
    }

    /// Each row of `plane` with its columns regrouped by their remainder mod the column stride
    /// (all columns ≡ 0, then ≡ 1, ...), so a kernel tap's columns are one contiguous run.
    fn split_rows(&self, plane: &[f32], split: &mut [f32]) {
        let (sx, bw) = (self.stride[1], self.big[1]);
        for (src, dst) in plane.chunks_exact(bw).zip(split.chunks_exact_mut(bw)) {
            let mut at = 0;
            for r in 0..sx.min(bw) {
                for v in src[r..].iter().step_by(sx) {
                    dst[at] = *v;
                    at += 1;
                }
            }
        }
    }

    /// `plane += rows` for rows in `split_rows`' order.
    fn merge_rows_add(&self, split: &[f32], plane: &mut [f32]) {
        let (sx, bw) = (self.stride[1], self.big[1]);
        for (src, dst) in split.chunks_exact(bw).zip(plane.chunks_exact_mut(bw)) {
            let mut at = 0;
            for r in 0..sx.min(bw) {
                for d in dst[r..].iter_mut().step_by(sx) {
                    *d += src[at];
                    at += 1;
                }
            }
        }
    }

    /// `cols[patch_len × grid_len] = im2col(img[channels × big])`; padding reads as 0.
    pub fn im2col(&self, img: &[f32], cols: &mut [f32], s: &mut Scratch) {
        match &s.plan {
            Some(plan) => self.im2col_runs(plan, img, cols, &mut s.plane),
            None => self.im2col_rows(img, cols),
        }
    }

    /// `img = col2im(cols) + bias`, through a ReLU when `relu`: each column entry added back
    /// where im2col read it from, `bias[c]` on plane `c` (`bias` empty: none, and no ReLU).
    /// Writes all of `img`, one plane at a time while it is in the cache: no zeroing and no
    /// bias pass over the whole output. Entries of `cols` that im2col would have read from the
    /// padding may be overwritten with zeros. `cols`' rows (`grid_len` values each) start `ld`
    /// apart: `grid_len` for one sample's matrix, more where a product's rows hold several
    /// samples side by side.
    pub fn col2im<'a>(
        &self,
        cols: &mut [f32],
        ld: usize,
        img: &'a mut Piece,
        s: &mut Scratch,
        bias: &[f32],
        relu: bool,
    ) -> &'a mut [f32] {
        debug_assert!(!bias.is_empty() || !relu, "a fused ReLU without its bias");
        let Some(plan) = &s.plan else {
            let img = zeroed(img);
            self.col2im_add_rows(cols, ld, img);
            add_bias(img, bias, relu);
            return img;
        };
        let (plane, rows) = (self.big[0] * self.big[1], self.kernel[0] * self.kernel[1]);
        let per = rows * ld;
        in_parts(img, plane, |c, piece| {
            let b = bias.get(c).copied().unwrap_or(0.0);
            let cols = &mut cols[c * per..];
            self.col2im_plane(plan, (cols, ld), &mut s.plane, &mut s.out, b, relu);
            self.place_rows(plan, &s.out, piece)
        })
    }

    /// `im2col` one grid row at a time (any geometry).
    pub(super) fn im2col_rows(&self, img: &[f32], cols: &mut [f32]) {
        let ([kh, kw], [gh, gw], [bh, bw]) = (self.kernel, self.grid, self.big);
        let mut split = vec![0.0f32; if self.stride[1] > 1 { bh * bw } else { 0 }];
        for c in 0..self.channels {
            let mut plane = &img[c * bh * bw..(c + 1) * bh * bw];
            if !split.is_empty() {
                self.split_rows(plane, &mut split);
                plane = &split;
            }
            for ky in 0..kh {
                let (y0, y1) = self.span(0, ky);
                for kx in 0..kw {
                    let (x0, x1) = self.span(1, kx);
                    let row = ((c * kh + ky) * kw + kx) * gh * gw;
                    let rows = &mut cols[row..row + gh * gw];
                    rows[..y0 * gw].fill(0.0);
                    rows[y1 * gw..].fill(0.0);
                    let start = (x1 > x0).then(|| self.split_start(kx, x0));
                    for gy in y0..y1 {
                        let iy = gy * self.stride[0] + ky - self.pad[0];
                        let out = &mut rows[gy * gw..(gy + 1) * gw];
                        out[..x0].fill(0.0);
                        out[x1..].fill(0.0);
                        if let Some(start) = start {
                            let first = iy * bw + start;
                            out[x0..x1].copy_from_slice(&plane[first..first + x1 - x0]);
                        }
                    }
                }
            }
        }
    }

    /// `col2im_add` one grid row at a time (any geometry).
    pub(super) fn col2im_add_rows(&self, cols: &[f32], ld: usize, img: &mut [f32]) {
        let ([kh, kw], [_, gw], [bh, bw]) = (self.kernel, self.grid, self.big);
        let strided = self.stride[1] > 1;
        let mut split = vec![0.0f32; if strided { bh * bw } else { 0 }];
        for c in 0..self.channels {
            let target = &mut img[c * bh * bw..(c + 1) * bh * bw];
            let plane: &mut [f32] = if strided {
                split.fill(0.0);
                &mut split
            } else {
                target
            };
            for ky in 0..kh {
                let (y0, y1) = self.span(0, ky);
                for kx in 0..kw {
                    let (x0, x1) = self.span(1, kx);
                    if x1 == x0 {
                        continue;
                    }
                    let start = self.split_start(kx, x0);
                    let row = ((c * kh + ky) * kw + kx) * ld;
                    for gy in y0..y1 {
                        let iy = gy * self.stride[0] + ky - self.pad[0];
                        let src = &cols[row + gy * gw + x0..row + gy * gw + x1];
                        let first = iy * bw + start;
                        for (d, v) in plane[first..first + x1 - x0].iter_mut().zip(src) {
                            *d += v;
                        }
                    }
                }
            }
            if strided {
                self.merge_rows_add(&split, &mut img[c * bh * bw..(c + 1) * bh * bw]);
            }
        }
    }
}

/// Adds `bias[c]` to every value of plane `c` of `y[channels × plane]`, then clamps at zero
/// when `relu` (the layer's activation, fused: one pass over the output instead of two).
fn add_bias(y: &mut [f32], bias: &[f32], relu: bool) {
    let plane = y.len() / bias.len().max(1);
    for (row, b) in y.chunks_mut(plane).zip(bias) {
        finish_all(row, *b, relu);
    }
}

/// The gradients at a layer's output before its fused ReLU and bias: `dy` masked where the
/// layer's output `y` was not positive (when the ReLU was fused: `y` given; else `None` and
/// `dy` is used as it is), and `db[c] = Σ` of that over plane `c` of every sample. One pass per
/// sample, samples spread over threads (this ran single-threaded on a 13 MB gradient, a tenth of
/// a training step's wall time on two cores).
pub fn relu_bias_backward(
    dy: &[f32],
    y: Option<&[f32]>,
    channels: usize,
    plane: usize,
) -> (Option<Vec<f32>>, Vec<f32>) {
    let per = channels * plane;
    let (masked, parts) = over_samples(
        dy.len() / per.max(1),
        if y.is_some() { per } else { 0 },
        || vec![0.0f32; channels],
        |i, piece, db| {
            let dy = &dy[i * per..(i + 1) * per];
            let Some(y) = y else {
                add_plane_sums(dy, plane, db);
                return zeroed(piece); // no values: the mask is not needed
            };
            let y = &y[i * per..(i + 1) * per];
            let masked = filled(
                piece,
                dy.iter()
                    .zip(y)
                    .map(|(d, v)| if *v > 0.0 { *d } else { 0.0 }),
            );
            add_plane_sums(masked, plane, db);
            masked
        },
    );
    (y.is_some().then_some(masked), sum_partials(parts))
}

/// `db[c] += Σ dy[c, ·]` for one sample's planes of `plane` values.
fn add_plane_sums(dy: &[f32], plane: usize, db: &mut [f32]) {
    if plane == 1 {
        // A dense layer's row: one value per channel.
        db.iter_mut().zip(dy).for_each(|(d, v)| *d += v);
        return;
    }
    for (row, d) in dy.chunks(plane.max(1)).zip(db) {
        // Sixteen running sums (a vector register's worth), so the loop vectorises.
        let mut lanes = [0.0f32; 16];
        let mut chunks = row.chunks_exact(16);
        for chunk in &mut chunks {
            lanes.iter_mut().zip(chunk).for_each(|(l, v)| *l += v);
        }
        *d += lanes.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>();
    }
}

/// The logistic function of every value of `x`, its rows of `per_row` values spread over the
/// threads: the decoder's last step (burn-flex runs it on one thread, with the other core idle:
/// ~3.5% of a decoding profile's samples). The same bits as burn's `sigmoid`.
pub fn sigmoid(x: &[f32], per_row: usize) -> Vec<f32> {
    let per_row = per_row.max(1);
    let (y, _) = over_samples(
        x.len() / per_row,
        per_row,
        || (),
        |i, piece, _| {
            let row = &x[i * per_row..(i + 1) * per_row];
            filled(piece, row.iter().map(|&v| finish::sigmoid(v)))
        },
    );
    y
}

/// conv2d forward: `x[n × g.big_len()]`, `w[out × patch_len]` -> `y[n × out × grid_len]`,
/// through a ReLU when `relu`.
pub fn conv2d(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    out: usize,
    relu: bool,
) -> Vec<f32> {
    let (kl, p, bl) = (g.patch_len(), g.grid_len(), g.big_len());
    let (y, _) = over_samples(
        x.len() / bl,
        out * p,
        || (vec![0.0f32; kl * p], g.scratch()),
        |i, y, (cols, s)| {
            g.im2col(&x[i * bl..(i + 1) * bl], cols, s);
            let y = gemm_into(out, p, kl, y, mat(w), mat(cols));
            add_bias(y, bias, relu);
            y
        },
    );
    y
}

/// conv2d backward: (dx, dW) from `dy[n × out × grid_len]`; dx is empty unless `want_dx`
/// (a network's first layer: nothing needs the image's gradient).
pub fn conv2d_backward(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    out: usize,
    want_dx: bool,
) -> (Vec<f32>, Vec<f32>) {
    let (kl, p, bl) = (g.patch_len(), g.grid_len(), g.big_len());
    let (dx, parts) = over_samples(
        x.len() / bl,
        if want_dx { bl } else { 0 },
        || (vec![0.0f32; kl * p], vec![0.0f32; out * kl], g.scratch()),
        |i, dx, (cols, dw, s)| {
            let dy = &dy[i * out * p..(i + 1) * out * p];
            // dW += dy[out × p] · im2col(x)ᵀ[p × kl]
            g.im2col(&x[i * bl..(i + 1) * bl], cols, s);
            gemm(out, kl, p, dw, true, mat(dy), mat_t(cols));
            if !want_dx {
                return zeroed(dx); // no values
            }
            // dx = col2im(Wᵀ[kl × out] · dy[out × p])
            gemm(kl, p, out, cols, false, mat_t(w), mat(dy));
            g.col2im(cols, p, dx, s, &[], false)
        },
    );
    (
        dx,
        sum_partials(parts.into_iter().map(|(_, dw, _)| dw).collect()),
    )
}

/// conv_transpose2d forward: `x[n × cin × grid_len]`, `w[cin × patch_len]` -> `y[n × big_len]`,
/// through a ReLU when `relu`.
pub fn conv_transpose2d(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    cin: usize,
    relu: bool,
) -> Vec<f32> {
    if super::winograd::wanted(g) {
        return super::winograd::conv_transpose2d(g, x, w, bias, cin, relu);
    }
    conv_transpose2d_im2col(g, x, w, bias, cin, relu)
}

/// `conv_transpose2d` on im2col's path (GEMM + col2im) whatever the geometry: a thread's
/// samples `group` at a time side by side in one product's columns (the last group of its run
/// may hold fewer).
pub fn conv_transpose2d_im2col(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    cin: usize,
    relu: bool,
) -> Vec<f32> {
    let (kl, p, bl) = (g.patch_len(), g.grid_len(), g.big_len());
    let (per_in, group) = (cin * p, group(p));
    let (y, _) = over_runs(
        x.len() / per_in.max(1),
        bl,
        1,
        || {
            let side_by_side = vec![0.0f32; if group > 1 { group * per_in } else { 0 }];
            (vec![0.0f32; kl * p * group], side_by_side, g.scratch())
        },
        |samples, block, (cols, side_by_side, s)| {
            // The current product's row length: `count · p` for its `count` samples.
            let mut ld = p;
            in_parts(block, bl, |j, y| {
                let at = j % group;
                if at == 0 {
                    // cols[kl × count·p] = Wᵀ[kl × cin] · [x_j | x_j+1 | …][cin × count·p]
                    let first = samples.start + j;
                    let count = group.min(samples.len() - j);
                    ld = count * p;
                    let xs = &x[first * per_in..(first + count) * per_in];
                    let b = if count == 1 {
                        xs
                    } else {
                        for (i, x) in xs.chunks_exact(per_in).enumerate() {
                            for (c, row) in x.chunks_exact(p).enumerate() {
                                side_by_side[c * ld + i * p..][..p].copy_from_slice(row);
                            }
                        }
                        &side_by_side[..cin * ld]
                    };
                    gemm(kl, ld, cin, cols, false, mat_t(w), mat(b));
                }
                // Sample `at` of the group: columns `at·p ..` of each row.
                g.col2im(&mut cols[at * p..], ld, y, s, bias, relu)
            })
        },
    );
    y
}

/// How many samples of a thread share one product in `conv_transpose2d_im2col`, for a grid of
/// `p` positions. Natively the `gemm` crate computes the row-major product transposed, its
/// vectors along the grid positions: on AVX-512 its widest tile holds 64 of them, and a 7 × 7
/// grid alone fills 49 lanes of it, a 14 × 14 one three tiles and a fourth with 4 of 16 lanes
/// (its slowest kernel). Four samples side by side fill them; up to ~1,000 columns, so that the
/// products (up to 900 kB for the decoder) stay within a core's level-2 cache. Decoding the seed's
/// network +12% (median of six paired rounds, AVX-512; BENCHMARKS.md). In wasm, `blocked`'s tiles
/// are eight columns wide and already full.
fn group(p: usize) -> usize {
    if cfg!(target_arch = "wasm32") {
        1
    } else {
        (1024 / p.max(1)).clamp(1, 4)
    }
}

/// conv_transpose2d backward: (dx, dW) from `dy[n × big_len]`.
pub fn conv_transpose2d_backward(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    cin: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (kl, p, bl) = (g.patch_len(), g.grid_len(), g.big_len());
    let (dx, parts) = over_samples(
        dy.len() / bl,
        cin * p,
        || (vec![0.0f32; kl * p], vec![0.0f32; cin * kl], g.scratch()),
        |i, dx, (cols, dw, s)| {
            g.im2col(&dy[i * bl..(i + 1) * bl], cols, s);
            // dx[cin × p] = W[cin × kl] · im2col(dy)[kl × p]
            let dx = gemm_into(cin, p, kl, dx, mat(w), mat(cols));
            // dW[cin × kl] += x[cin × p] · im2col(dy)ᵀ[p × kl]
            let x = &x[i * cin * p..(i + 1) * cin * p];
            gemm(cin, kl, p, dw, true, mat(x), mat_t(cols));
            dx
        },
    );
    (
        dx,
        sum_partials(parts.into_iter().map(|(_, dw, _)| dw).collect()),
    )
}
