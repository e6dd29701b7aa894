//! The decoder's stride-2 transposed convolutions (3×3 kernel, padding 1, output padding 1: its
//! two upsampling layers) with Winograd's minimal filtering, forward only.
//!
//! Why: in the page's CPU module the products already run at about the peak of SIMD128 (four
//! lanes, `blocked`), so a decode gets faster only by doing fewer multiplications. The output's
//! four phases (rows and columns even or odd) take 1, 2, 2 and 4 of the nine taps. A phase's
//! odd axis is a two-tap filter, `y[m] = x[m]·w[2] + x[m+1]·w[0]`, and two neighbouring outputs
//! of it need three products instead of four (Winograd's F(2,2), with adds only):
//!
//! `u = (x0 − x1, x1, x2 − x1)`, `g = (w2, w2 + w0, w0)`, `y0 = u0·g0 + u1·g1`, `y1 = u1·g1 + u2·g2`.
//!
//! Per input position that is 1 + 1.5 + 1.5 + 2.25 = 6.25 channel products instead of 9. Each
//! transformed input element is one product `[cout × cin] · [cin × tiles]`, sixteen in all;
//! `transforms` has the input and output transforms. The `gemm` crate runs such short products
//! (n = 16 to 196 per sample) no faster in total than the one 288-row product of im2col's path,
//! so natively this path runs only where they can go to `blocked::wide` (AVX2 with FMA) and the
//! CPU has no AVX-512 (`wanted`); the tests hold it to im2col's path.

use super::gemm::{gemm, mat};
use super::geometry::Geometry;
use super::samples::{Piece, in_parts, over_samples, written};
use transforms::{Rows, columns, emit_rows, row_pairs};

mod transforms;

/// Whether the layer has the one geometry this module computes.
pub fn applies(g: &Geometry) -> bool {
    g.kernel == [3, 3]
        && g.stride == [2, 2]
        && g.pad == [1, 1]
        && g.big == [2 * g.grid[0], 2 * g.grid[1]]
}

/// Whether `conv_transpose2d` takes this path, where it applies: in the page's wasm, and
/// natively where the products can run on `blocked::wide` (AVX2 and FMA) and the CPU has no
/// AVX-512 — on AVX-512 the `gemm` crate's path was the one measured (BENCHMARKS.md).
pub fn wanted(g: &Geometry) -> bool {
    applies(g) && (cfg!(target_arch = "wasm32") || native_wanted())
}

#[cfg(target_arch = "x86_64")]
fn native_wanted() -> bool {
    super::blocked::wide::available() && !is_x86_feature_detected!("avx512f")
}

#[cfg(not(target_arch = "x86_64"))]
fn native_wanted() -> bool {
    false
}

/// `dst[m × n] = a[m × k] · b[k × n]`, both row-major: on `blocked::wide` natively where the CPU
/// has it, else `gemm::gemm` (in wasm `blocked`'s SIMD128 product).
fn product(m: usize, n: usize, k: usize, dst: &mut [f32], a: &[f32], b: &[f32]) {
    #[cfg(target_arch = "x86_64")]
    if super::blocked::wide::available() {
        return super::blocked::wide::gemm(m, n, k, dst, (a, k, 1), b);
    }
    gemm(m, n, k, dst, false, mat(a), mat(b));
}

/// One axis of a 3-tap filter, for both phases: the even phase reads tap 1 alone, the odd one
/// taps 2 and 0 as `(w2, w2 + w0, w0)`.
fn filter(t: [f32; 3]) -> [f32; 4] {
    [t[1], t[2], t[2] + t[0], t[0]]
}

/// The weight `[cin × cout × 3 × 3]` transformed for the four phases (even-even, even-odd,
/// odd-even, odd-odd; rows first): per phase one `[cout × cin]` matrix per element, elements
/// row-major. Done per call, separably (a few adds per filter: the page calls this per chunk).
fn transform_weights(w: &[f32], cin: usize, cout: usize) -> [Vec<f32>; 4] {
    let mut out = [1, 3, 3, 9].map(|elements| vec![0.0; elements * cout * cin]);
    for ci in 0..cin {
        for co in 0..cout {
            let k = &w[(ci * cout + co) * 9..][..9];
            let cols: [[f32; 4]; 3] = std::array::from_fn(|c| filter([k[c], k[3 + c], k[6 + c]]));
            let rows: [[f32; 3]; 4] = std::array::from_fn(|a| [cols[0][a], cols[1][a], cols[2][a]]);
            for (a, row) in rows.into_iter().enumerate() {
                let v = filter(row);
                for (b, v) in v.into_iter().enumerate() {
                    let phase = 2 * usize::from(a > 0) + usize::from(b > 0);
                    let per_row = if b > 0 { 3 } else { 1 };
                    let e = a.saturating_sub(1) * per_row + b.saturating_sub(1);
                    out[phase][(e * cout + co) * cin + ci] = v;
                }
            }
        }
    }
    out
}

/// Sizes of one sample: input `h × w`, tiles of the odd phases `hc × wc`, rows padded to `wp`.
#[derive(Clone, Copy)]
struct Shape {
    cin: usize,
    cout: usize,
    h: usize,
    w: usize,
    hc: usize,
    wc: usize,
    /// An even row length (`w` or `w + 1`): the column transform reads column pairs.
    wp: usize,
}

impl Shape {
    /// Tiles of the phases (even rows, odd columns), (odd rows, even columns), (odd, odd).
    fn tiles(&self) -> [usize; 3] {
        [self.h * self.wc, self.hc * self.wp, self.hc * self.wc]
    }
}

/// One sample's buffers, reused across the samples of a thread's run.
struct Scratch {
    /// The input plane with its rows padded to `wp` (odd widths only).
    padded: Vec<f32>,
    /// Transformed inputs `[elements × cin × tiles]` of the three phases with odd axes.
    u: [Vec<f32>; 3],
    /// Products `[elements × cout × tiles]` of the four phases (even-even first).
    m: [Vec<f32>; 4],
}

impl Scratch {
    fn new(s: &Shape) -> Self {
        let [t01, t10, t11] = s.tiles();
        Scratch {
            padded: vec![0.0; if s.wp == s.w { 0 } else { s.h * s.wp }],
            u: [
                vec![0.0; 3 * s.cin * t01],
                vec![0.0; 3 * s.cin * t10],
                vec![0.0; 9 * s.cin * t11],
            ],
            m: [
                // A row of the even-even phase is read as `wp` values (`emit_rows`): room for the
                // last row's one more.
                vec![0.0; s.cout * s.h * s.w + 1],
                vec![0.0; 3 * s.cout * t01],
                vec![0.0; 3 * s.cout * t10],
                vec![0.0; 9 * s.cout * t11],
            ],
        }
    }
}

/// conv_transpose2d forward on `applies`' geometry: `x[n × cin × h × w]`, `w[cin × cout × 3 × 3]`
/// -> `y[n × cout × 2h × 2w]`, through a ReLU when `relu` (the same contract as
/// `kernels::conv_transpose2d`).
pub fn conv_transpose2d(
    g: &Geometry,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    cin: usize,
    relu: bool,
) -> Vec<f32> {
    assert!(applies(g), "the Winograd path's geometry");
    let [h, wd] = g.grid;
    let (hc, wc) = (h.div_ceil(2), wd.div_ceil(2));
    let s = Shape {
        cin,
        cout: g.channels,
        h,
        w: wd,
        hc,
        wc,
        wp: 2 * wc,
    };
    // The filters, transformed once per call for every sample.
    let weights = transform_weights(w, cin, s.cout);
    let per_in = cin * h * wd;
    let (y, _) = over_samples(
        x.len() / per_in.max(1),
        g.big_len(),
        || Scratch::new(&s),
        |i, piece, scratch| {
            let x = &x[i * per_in..(i + 1) * per_in];
            sample(&s, &weights, x, bias, relu, piece, scratch)
        },
    );
    y
}

/// One sample: transform the input, sixteen products, and the output transform into `y`.
#[allow(clippy::too_many_arguments)]
fn sample<'a>(
    s: &Shape,
    weights: &[Vec<f32>; 4],
    x: &[f32],
    bias: &[f32],
    relu: bool,
    y: &'a mut Piece,
    sc: &mut Scratch,
) -> &'a mut [f32] {
    let (cin, cout) = (s.cin, s.cout);
    let [t01, t10, t11] = s.tiles();
    let plane = s.h * s.w;
    let [u01, u10, u11] = &mut sc.u;
    for ci in 0..cin {
        let xp = &x[ci * plane..(ci + 1) * plane];
        let xp: &[f32] = if s.wp == s.w {
            xp
        } else {
            for (row, src) in sc.padded.chunks_exact_mut(s.wp).zip(xp.chunks_exact(s.w)) {
                row[..s.w].copy_from_slice(src);
            }
            &sc.padded
        };
        let [a, b, c] = thirds(u01, cin * t01).map(|e| &mut e[ci * t01..][..t01]);
        columns(xp, s.h, s.wp, [a, b, c]);
        let [a, b, c] = thirds(u10, cin * t10).map(|e| &mut e[ci * t10..][..t10]);
        row_pairs(xp, s.h, s.wp, [a, b, c]);
        for p in 0..3 {
            let (src, dst) = (
                &u10[(p * cin + ci) * t10..][..t10],
                &mut u11[3 * p * cin * t11..],
            );
            let [a, b, c] =
                thirds(&mut dst[..3 * cin * t11], cin * t11).map(|e| &mut e[ci * t11..][..t11]);
            columns(src, s.hc, s.wp, [a, b, c]);
        }
    }
    // The sixteen products: the even-even phase reads the input itself.
    product(cout, plane, cin, &mut sc.m[0], &weights[0], x);
    for (k, (u, t)) in [(&*u01, t01), (&*u10, t10), (&*u11, t11)]
        .into_iter()
        .enumerate()
    {
        let elements = if k == 2 { 9 } else { 3 };
        for e in 0..elements {
            product(
                cout,
                t,
                cin,
                &mut sc.m[k + 1][e * cout * t..],
                &weights[k + 1][e * cout * cin..][..cout * cin],
                &u[e * cin * t..][..cin * t],
            );
        }
    }
    // Channel by channel, straight into the output (a copy through a scratch plane was 5% of
    // a native decoding).
    in_parts(y, 4 * plane, |co, part| {
        output_channel(s, &sc.m, co, bias[co], relu, part)
    })
}

/// `buf` as three consecutive parts of `len`.
fn thirds(buf: &mut [f32], len: usize) -> [&mut [f32]; 3] {
    let (a, rest) = buf.split_at_mut(len);
    let (b, rest) = rest.split_at_mut(len);
    [a, b, &mut rest[..len]]
}

/// Output channel `co` of the products `m`, finished into `plane[2h × 2w]` and handed back
/// written: output row `2m` from the even-even phase and the even rows' odd-column products;
/// output row `2m + 1`, with `m = 2t + i`, from tile row `t` of the odd rows' products, their
/// element rows `i` and `i + 1` added (`y0`, `y1` in the module comment). Three runs of rows
/// (`emit_rows`), each row of a run read and written a fixed step after the one before: the
/// even rows, and the odd rows of `i = 0` (rows 1, 5, 9, …) and of `i = 1` (3, 7, 11, …).
fn output_channel<'a>(
    s: &Shape,
    m: &[Vec<f32>; 4],
    co: usize,
    bias: f32,
    relu: bool,
    plane: &'a mut Piece,
) -> &'a mut [f32] {
    let (cout, h, w, wc, wp) = (s.cout, s.h, s.w, s.wc, s.wp);
    let ow = 2 * w;
    assert_eq!(plane.len(), 2 * h * ow);
    let [t01, t10, t11] = s.tiles();
    // Element `e`'s products of channel `co`: `t` tiles.
    let product = |k: usize, e: usize, t: usize| &m[k][(e * cout + co) * t..];
    let rows = |rows: usize, e_step: usize, y_step: usize| Rows {
        n: wc,
        width: ow,
        rows,
        e_step,
        s_step: wc,
        y_step,
    };
    // Even rows: the even-even phase (its rows are `w` long, read as `wp`) and the odd columns'
    // three products; row `2m` reads row `m` of each.
    let e = &m[0][co * h * w..];
    let (q0, q1, q2) = (product(1, 0, t01), product(1, 1, t01), product(1, 2, t01));
    emit_rows(
        [e],
        [q0, q1],
        [q1, q2],
        plane,
        rows(h, w, 2 * ow),
        bias,
        relu,
    );
    for i in 0..2 {
        // Rows 4t + 2i + 1 read tile row `t` of their products.
        let count = (h - i).div_ceil(2);
        if count == 0 {
            continue;
        }
        let e = |p: usize| product(2, p, t10);
        // Odd-odd element (p, q) is 3p + q; the rows combine p = i and i + 1.
        let q = |q: usize, d: usize| product(3, 3 * (i + d) + q, t11);
        let s0 = [q(0, 0), q(0, 1), q(1, 0), q(1, 1)];
        let s1 = [q(1, 0), q(1, 1), q(2, 0), q(2, 1)];
        let y = &mut plane[(2 * i + 1) * ow..];
        emit_rows(
            [e(i), e(i + 1)],
            s0,
            s1,
            y,
            rows(count, wp, 4 * ow),
            bias,
            relu,
        );
    }
    // SAFETY: the three runs wrote every output row, `ow` values each: all of `plane`.
    unsafe { written(plane) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::conv::kernels;

    /// Small deterministic values in [-1, 1].
    fn values(seed: &mut u64, n: usize) -> Vec<f32> {
        (0..n)
            .map(|_| {
                *seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((*seed >> 33) % 2001) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn geometry(cout: usize, h: usize, w: usize) -> Geometry {
        Geometry {
            channels: cout,
            big: [2 * h, 2 * w],
            kernel: [3, 3],
            stride: [2, 2],
            pad: [1, 1],
            grid: [h, w],
        }
    }

    /// Every size from 1 to 9 each way (odd widths take the padded rows, a single row or column
    /// has no second tile row), one to three samples, with and without the ReLU: the same
    /// values as im2col's path.
    #[test]
    fn matches_the_im2col_path() {
        let mut seed = 5;
        let mut cases = 0;
        for h in 1..=9 {
            for w in 1..=9 {
                let [cin, cout, n] = [1 + (h * w) % 4, 1 + (h + w) % 3, 1 + (h + 2 * w) % 3];
                let relu = (h + w) % 2 == 0;
                let g = geometry(cout, h, w);
                assert!(applies(&g));
                let x = values(&mut seed, n * cin * h * w);
                let wt = values(&mut seed, cin * cout * 9);
                let bias = values(&mut seed, cout);
                let ours = conv_transpose2d(&g, &x, &wt, &bias, cin, relu);
                let theirs = kernels::conv_transpose2d_im2col(&g, &x, &wt, &bias, cin, relu);
                assert_eq!(ours.len(), theirs.len());
                for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-5,
                        "{h}x{w} cin {cin} cout {cout} at {i}: {a} vs {b}"
                    );
                }
                cases += 1;
            }
        }
        assert_eq!(cases, 81);
    }

    /// The decoder's two layers at their sizes (64 channels, 7x7 and 14x14 inputs, ReLU).
    #[test]
    fn matches_on_the_decoders_layers() {
        let mut seed = 9;
        for (cin, cout, h) in [(64, 64, 7), (64, 32, 14)] {
            let g = geometry(cout, h, h);
            let x = values(&mut seed, 2 * cin * h * h);
            let wt: Vec<f32> = values(&mut seed, cin * cout * 9)
                .iter()
                .map(|v| v * 0.1)
                .collect();
            let bias = values(&mut seed, cout);
            let ours = conv_transpose2d(&g, &x, &wt, &bias, cin, true);
            let theirs = kernels::conv_transpose2d_im2col(&g, &x, &wt, &bias, cin, true);
            let worst = ours
                .iter()
                .zip(&theirs)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(worst <= 1e-5, "{cin}->{cout} {h}x{h}: {worst}");
            assert!(
                theirs.iter().filter(|v| **v > 0.0).count() * 4 > theirs.len(),
                "the ReLU passes a good part"
            );
        }
    }

    /// Only the decoder's geometry: another kernel, stride, padding or output padding is not ours.
    #[test]
    fn applies_to_one_geometry() {
        assert!(applies(&geometry(2, 3, 4)));
        let mut g = geometry(2, 3, 4);
        g.kernel = [4, 4];
        assert!(!applies(&g));
        let mut g = geometry(2, 3, 4);
        g.stride = [1, 1];
        assert!(!applies(&g));
        let mut g = geometry(2, 3, 4);
        g.pad = [0, 0];
        assert!(!applies(&g));
        let mut g = geometry(2, 3, 4);
        g.big = [5, 7]; // no output padding
        assert!(!applies(&g));
    }
}
