//! The input and output transforms of `winograd`, on rows of the phase planes: the column pairs
//! `(x0 − x1, x1, x2 − x1)` (`columns`), the same over row pairs (`row_pairs`), and an output
//! row summed, finished and interleaved from its product rows in one pass (`emit_row`). The
//! strided ones run four at a time on `Quad` (SIMD128 in wasm, SSE2 natively): scalar, they took
//! about a third of decoding on both targets.

use super::super::finish::finish;
use super::super::quad::Quad;

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
pub(super) fn emit_row<const E: usize, const S: usize>(
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
    if n >= 4 {
        return emit_row_quads(&e, &s0, &s1, n, y, bias, relu);
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
pub(super) fn columns(src: &[f32], rows: usize, w: usize, [u0, u1, u2]: [&mut [f32]; 3]) {
    let (wc, n) = (w / 2, rows * w / 2);
    let (src, u0, u1, u2) = (&src[..2 * n], &mut u0[..n], &mut u1[..n], &mut u2[..n]);
    // The plane as one run of pairs: a row's last `x2` is the next row's first value, mended below.
    let done = columns_quads(src, u0, u1, u2);
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
pub(super) fn row_pairs(src: &[f32], rows: usize, w: usize, [u0, u1, u2]: [&mut [f32]; 3]) {
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

/// `emit_row` four tiles at a time (`n >= 4`); a row whose tiles are not a multiple of four ends
/// with the last four again, rewriting a few values with themselves.
fn emit_row_quads<const E: usize, const S: usize>(
    e: &[&[f32]; E],
    s0: &[&[f32]; S],
    s1: &[&[f32]; S],
    n: usize,
    y: &mut [f32],
    bias: f32,
    relu: bool,
) {
    let b = Quad::splat(bias);
    let fin = |v: Quad| {
        let v = v.add(b);
        if relu { v.relu() } else { v }
    };
    // The sum of four values at `k` of each row, in `sum`'s order.
    // SAFETY (callers): `k + 4` is within every row (`emit_row` checked the lengths).
    unsafe fn sum4<const N: usize>(rows: &[&[f32]; N], k: usize) -> Quad {
        let at = |r: usize| unsafe { Quad::load(rows[r].as_ptr().add(k)) };
        match N {
            1 => at(0),
            2 => at(0).add(at(1)),
            _ => at(0).add(at(1)).add(at(2).add(at(3))),
        }
    }
    let yp = y.as_mut_ptr();
    let mut g = 0;
    loop {
        // SAFETY: g + 4 <= n: values 2g .. 2g + 8 of each `e` row (2n of them), g .. g + 4 of
        // each `s` row (n) and 4g .. 4g + 16 of `y` (4n).
        unsafe {
            let lo = fin(sum4(e, 2 * g));
            let hi = fin(sum4(e, 2 * g + 4));
            let (a, c) = (fin(sum4(s0, g)), fin(sum4(s1, g)));
            let (pairs_lo, pairs_hi) = (Quad::zip_lo(a, c), Quad::zip_hi(a, c));
            let at = yp.add(4 * g);
            Quad::zip_lo(lo, pairs_lo).store(at);
            Quad::zip_hi(lo, pairs_lo).store(at.add(4));
            Quad::zip_lo(hi, pairs_hi).store(at.add(8));
            Quad::zip_hi(hi, pairs_hi).store(at.add(12));
        }
        if g + 4 == n {
            return;
        }
        g = (g + 4).min(n - 4);
    }
}

/// `columns` four pairs at a time; returns how many pairs it did (the rest go through the
/// portable loop).
fn columns_quads(src: &[f32], u0: &mut [f32], u1: &mut [f32], u2: &mut [f32]) -> usize {
    // Each step reads pairs g .. g + 4 and the next pair's first value: stop a pair short.
    let n = (u0.len().min(u1.len()).min(u2.len()).min(src.len() / 2)).saturating_sub(1) / 4 * 4;
    let s = src.as_ptr();
    for g in (0..n).step_by(4) {
        // SAFETY: g + 4 < len / 2 pairs: values 2g .. 2g + 8 of `src` and four of each `u`.
        unsafe {
            let (a, b) = (Quad::load(s.add(2 * g)), Quad::load(s.add(2 * g + 4)));
            let (x0, x1) = (Quad::evens(a, b), Quad::odds(a, b));
            let x2 = x0.shift_in(*s.add(2 * g + 8));
            x0.sub(x1).store(u0.as_mut_ptr().add(g));
            x1.store(u1.as_mut_ptr().add(g));
            x2.sub(x1).store(u2.as_mut_ptr().add(g));
        }
    }
    n
}
