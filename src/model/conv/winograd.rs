//! The page's stride-2 transposed convolutions (3×3 kernel, padding 1, output padding 1: the
//! decoder's two upsampling layers) with Winograd's minimal filtering, forward only.
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
//! transformed input element is one product `[cout × cin] · [cin × tiles]`, sixteen in all.
//! Natively the `gemm` crate runs such short products (n = 16 to 196 per sample) no faster in
//! total than the one 288-row product of im2col's path, so only the page uses this
//! (`wanted`); natively the tests hold it to that path.

use super::finish::finish;
use super::gemm::{gemm, mat};
use super::geometry::Geometry;
use super::samples::{Piece, in_parts, over_samples};

/// Whether the layer has the one geometry this module computes.
pub fn applies(g: &Geometry) -> bool {
    g.kernel == [3, 3]
        && g.stride == [2, 2]
        && g.pad == [1, 1]
        && g.big == [2 * g.grid[0], 2 * g.grid[1]]
}

/// Whether `conv_transpose2d` takes this path: in the page's wasm, where it applies.
pub fn wanted(g: &Geometry) -> bool {
    cfg!(target_arch = "wasm32") && applies(g)
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
    /// One output channel's plane `[2h × 2w]`, written row after row (see `emit_row`).
    plane: Vec<f32>,
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
                // A row of the even-even phase is read as `wp` values (`emit_row`): room for the
                // last row's one more.
                vec![0.0; s.cout * s.h * s.w + 1],
                vec![0.0; 3 * s.cout * t01],
                vec![0.0; 3 * s.cout * t10],
                vec![0.0; 9 * s.cout * t11],
            ],
            // The last row's tiles write `4 wc` values, two more than a row of an odd width.
            plane: vec![0.0; 4 * s.h * s.w + 2],
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
    gemm(
        cout,
        plane,
        cin,
        &mut sc.m[0],
        false,
        mat(&weights[0]),
        mat(x),
    );
    for (k, (u, t)) in [(&*u01, t01), (&*u10, t10), (&*u11, t11)]
        .into_iter()
        .enumerate()
    {
        let elements = if k == 2 { 9 } else { 3 };
        for e in 0..elements {
            gemm(
                cout,
                t,
                cin,
                &mut sc.m[k + 1][e * cout * t..],
                false,
                mat(&weights[k + 1][e * cout * cin..][..cout * cin]),
                mat(&u[e * cin * t..][..cin * t]),
            );
        }
    }
    // Channel by channel into a plane of the scratch, then copied: a row's last tiles may write
    // past it (`emit_row`), which the output itself must not see.
    in_parts(y, 4 * plane, |co, part| {
        output_channel(s, &sc.m, co, bias[co], relu, &mut sc.plane);
        part.write_copy_of_slice(&sc.plane[..4 * plane])
    })
}

/// `buf` as three consecutive parts of `len`.
fn thirds(buf: &mut [f32], len: usize) -> [&mut [f32]; 3] {
    let (a, rest) = buf.split_at_mut(len);
    let (b, rest) = rest.split_at_mut(len);
    [a, b, &mut rest[..len]]
}

/// Output channel `co` of the products `m`, finished into `plane[2h × 2w]` row by row: row `2m`
/// from the even-even phase and the even rows' odd-column products, row `2t + i` + 1 from tile
/// row `t` of the odd rows' products (element rows `i` and `i + 1`, as `y0`, `y1` above).
fn output_channel(
    s: &Shape,
    m: &[Vec<f32>; 4],
    co: usize,
    bias: f32,
    relu: bool,
    plane: &mut [f32],
) {
    let (cout, ow, wc, wp) = (s.cout, 2 * s.w, s.wc, s.wp);
    let [t01, t10, t11] = s.tiles();
    // Element `e`'s products of channel `co`: `t` tiles.
    let product = |k: usize, e: usize, t: usize| &m[k][(e * cout + co) * t..];
    for r in 0..2 * s.h {
        let y = &mut plane[r * ow..][..4 * wc];
        let (m2, odd) = (r / 2, r % 2 == 1);
        if !odd {
            // Even rows: the even-even phase (its rows are `w` long, read as `wp`) and the odd
            // columns' three products.
            let e = &m[0][co * s.h * s.w + m2 * s.w..][..wp];
            let q = |e: usize| &product(1, e, t01)[m2 * wc..][..wc];
            emit_row([e], [q(0), q(1)], [q(1), q(2)], y, bias, relu);
        } else {
            let (t, i) = (m2 / 2, m2 % 2);
            let e = |p: usize| &product(2, p, t10)[t * wp..][..wp];
            // Odd-odd element (p, q) is 3p + q; the rows combine p = i and i + 1.
            let q = |q: usize, d: usize| &product(3, 3 * (i + d) + q, t11)[t * wc..][..wc];
            let s0 = [q(0, 0), q(0, 1), q(1, 0), q(1, 1)];
            let s1 = [q(1, 0), q(1, 1), q(2, 0), q(2, 1)];
            emit_row([e(i), e(i + 1)], s0, s1, y, bias, relu);
        }
    }
}

/// The sum of `rows` (one, two or four of them) at `k`, in one order for every path.
#[inline(always)]
fn sum<const N: usize>(rows: &[&[f32]; N], k: usize) -> f32 {
    match N {
        1 => rows[0][k],
        2 => rows[0][k] + rows[1][k],
        _ => (rows[0][k] + rows[1][k]) + (rows[2][k] + rows[3][k]),
    }
}

/// An output row: `y[4g..4g + 4] = (e[2g], s0[g], e[2g + 1], s1[g])` for its `n = s0.len()`
/// tiles, `e`, `s0`, `s1` each the sum of its product rows, plus `bias` and through the ReLU when
/// `relu`. `y` holds `4n` values: two more than the row when the width is odd, which the next row
/// (or the scratch's end) takes.
fn emit_row<const E: usize, const S: usize>(
    e: [&[f32]; E],
    s0: [&[f32]; S],
    s1: [&[f32]; S],
    y: &mut [f32],
    bias: f32,
    relu: bool,
) {
    let n = s0[0].len();
    assert!(
        y.len() >= 4 * n
            && e.iter().all(|r| r.len() >= 2 * n)
            && s0.iter().chain(&s1).all(|r| r.len() >= n)
    );
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    if n >= 4 {
        return simd128::emit_row(&e, &s0, &s1, n, y, bias, relu);
    }
    let fin = |v: f32| {
        if relu {
            finish::<true>(v, bias)
        } else {
            finish::<false>(v, bias)
        }
    };
    for g in 0..n {
        y[4 * g] = fin(sum(&e, 2 * g));
        y[4 * g + 1] = fin(sum(&s0, g));
        y[4 * g + 2] = fin(sum(&e, 2 * g + 1));
        y[4 * g + 3] = fin(sum(&s1, g));
    }
}

/// `d = a − b`.
fn sub2(a: &[f32], b: &[f32], d: &mut [f32]) {
    for ((d, a), b) in d.iter_mut().zip(a).zip(b) {
        *d = a - b;
    }
}

/// The column transform of a `rows × w` plane (`w` even): for every pair of columns `(x0, x1)`
/// with `x2` the next pair's first (zero past a row's end), `u = (x0 − x1, x1, x2 − x1)`.
fn columns(src: &[f32], rows: usize, w: usize, [u0, u1, u2]: [&mut [f32]; 3]) {
    let (wc, n) = (w / 2, rows * w / 2);
    let (src, u0, u1, u2) = (&src[..2 * n], &mut u0[..n], &mut u1[..n], &mut u2[..n]);
    // The plane as one run of pairs: a row's last `x2` is the next row's first value, mended below.
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = simd128::columns(src, u0, u1, u2);
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    let done = 0;
    for g in done..n {
        let (x0, x1) = (src[2 * g], src[2 * g + 1]);
        let x2 = src.get(2 * g + 2).copied().unwrap_or(0.0);
        (u0[g], u1[g], u2[g]) = (x0 - x1, x1, x2 - x1);
    }
    for g in (wc..=n).step_by(wc.max(1)).map(|end| end - 1) {
        u2[g] = -u1[g];
    }
}

/// The row transform of a `rows × w` plane: tile row `t` reads rows `2t, 2t + 1, 2t + 2` (zero
/// past the end) as `(r0 − r1, r1, r2 − r1)`.
fn row_pairs(src: &[f32], rows: usize, w: usize, [u0, u1, u2]: [&mut [f32]; 3]) {
    let row = |r: usize| (r < rows).then(|| &src[r * w..(r + 1) * w]);
    for t in 0..rows.div_ceil(2) {
        let (d0, d1, d2) = (
            &mut u0[t * w..][..w],
            &mut u1[t * w..][..w],
            &mut u2[t * w..][..w],
        );
        let r0 = row(2 * t).expect("a tile's first row is inside");
        match (row(2 * t + 1), row(2 * t + 2)) {
            (Some(r1), r2) => {
                sub2(r0, r1, d0);
                d1.copy_from_slice(r1);
                match r2 {
                    Some(r2) => sub2(r2, r1, d2),
                    None => d2.iter_mut().zip(r1).for_each(|(d, b)| *d = -b),
                }
            }
            (None, _) => {
                d0.copy_from_slice(r0);
                d1.fill(0.0);
                d2.fill(0.0);
            }
        }
    }
}

/// `emit_row` and `columns` in SIMD128, four tiles at a time (`columns` returns how many it did,
/// the rest go through the portable loop). Why: LLVM leaves both scalar in wasm (their
/// reads and writes are two and four apart), and written out they took ~1/3 of the layer's time.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::*;

    /// `emit_row` four tiles at a time (`n >= 4`); a row whose tiles are not a multiple of
    /// four ends with the last four again, rewriting a few values with themselves.
    pub(super) fn emit_row<const E: usize, const S: usize>(
        e: &[&[f32]; E],
        s0: &[&[f32]; S],
        s1: &[&[f32]; S],
        n: usize,
        y: &mut [f32],
        bias: f32,
        relu: bool,
    ) {
        let (b, zero) = (f32x4_splat(bias), f32x4_splat(0.0));
        // `0 < v ? v : 0` after the bias, as `finish` clamps.
        let fin = |v: v128| {
            let v = f32x4_add(v, b);
            if relu { f32x4_pmax(zero, v) } else { v }
        };
        // The sum of four values at `k` of each row, in `sum`'s order.
        // SAFETY (callers): `k + 4` is within every row (`emit_row` checked the lengths).
        unsafe fn sum4<const N: usize>(rows: &[&[f32]; N], k: usize) -> v128 {
            let at = |r: usize| unsafe { v128_load(rows[r].as_ptr().add(k) as *const v128) };
            match N {
                1 => at(0),
                2 => f32x4_add(at(0), at(1)),
                _ => f32x4_add(f32x4_add(at(0), at(1)), f32x4_add(at(2), at(3))),
            }
        }
        let yp = y.as_mut_ptr();
        let mut g = 0;
        loop {
            // SAFETY: g + 4 <= n: values 2g .. 2g + 8 of each `e` row (2n of them), g .. g + 4
            // of each `s` row (n) and 4g .. 4g + 16 of `y` (4n).
            unsafe {
                let lo = fin(sum4(e, 2 * g));
                let hi = fin(sum4(e, 2 * g + 4));
                let (a, c) = (fin(sum4(s0, g)), fin(sum4(s1, g)));
                let (pairs_lo, pairs_hi) = (
                    i32x4_shuffle::<0, 4, 1, 5>(a, c),
                    i32x4_shuffle::<2, 6, 3, 7>(a, c),
                );
                let at = yp.add(4 * g);
                v128_store(at as *mut v128, i32x4_shuffle::<0, 4, 1, 5>(lo, pairs_lo));
                v128_store(
                    at.add(4) as *mut v128,
                    i32x4_shuffle::<2, 6, 3, 7>(lo, pairs_lo),
                );
                v128_store(
                    at.add(8) as *mut v128,
                    i32x4_shuffle::<0, 4, 1, 5>(hi, pairs_hi),
                );
                v128_store(
                    at.add(12) as *mut v128,
                    i32x4_shuffle::<2, 6, 3, 7>(hi, pairs_hi),
                );
            }
            if g + 4 == n {
                return;
            }
            g = (g + 4).min(n - 4);
        }
    }

    pub(super) fn columns(src: &[f32], u0: &mut [f32], u1: &mut [f32], u2: &mut [f32]) -> usize {
        // Each step reads pairs g..g + 4 and the next pair's first value: stop a pair short.
        let n = (u0.len().min(u1.len()).min(u2.len()).min(src.len() / 2)).saturating_sub(1) / 4 * 4;
        let s = src.as_ptr();
        for g in (0..n).step_by(4) {
            // SAFETY: g + 4 < len / 2 pairs: values 2g .. 2g + 8 of `src` and four of each `u`.
            unsafe {
                let a = v128_load(s.add(2 * g) as *const v128);
                let b = v128_load(s.add(2 * g + 4) as *const v128);
                let x0 = i32x4_shuffle::<0, 2, 4, 6>(a, b);
                let x1 = i32x4_shuffle::<1, 3, 5, 7>(a, b);
                let x2 = i32x4_shuffle::<1, 2, 3, 4>(x0, f32x4_splat(*s.add(2 * g + 8)));
                v128_store(u0.as_mut_ptr().add(g) as *mut v128, f32x4_sub(x0, x1));
                v128_store(u1.as_mut_ptr().add(g) as *mut v128, x1);
                v128_store(u2.as_mut_ptr().add(g) as *mut v128, f32x4_sub(x2, x1));
            }
        }
        n
    }
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
    /// values as im2col's path (`kernels::conv_transpose2d`, which natively never comes here).
    #[test]
    fn matches_the_im2col_path() {
        let mut seed = 5;
        let mut cases = 0;
        for h in 1..=9 {
            for w in 1..=9 {
                let [cin, cout, n] = [1 + (h * w) % 4, 1 + (h + w) % 3, 1 + (h + 2 * w) % 3];
                let relu = (h + w) % 2 == 0;
                let g = geometry(cout, h, w);
                assert!(applies(&g) && !wanted(&g), "natively the im2col path runs");
                let x = values(&mut seed, n * cin * h * w);
                let wt = values(&mut seed, cin * cout * 9);
                let bias = values(&mut seed, cout);
                let ours = conv_transpose2d(&g, &x, &wt, &bias, cin, relu);
                let theirs = kernels::conv_transpose2d(&g, &x, &wt, &bias, cin, relu);
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
            let theirs = kernels::conv_transpose2d(&g, &x, &wt, &bias, cin, true);
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
