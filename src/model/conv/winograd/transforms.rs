//! The input and output transforms of `winograd`, on rows of the phase planes: the column pairs
//! `(x0 − x1, x1, x2 − x1)` (`columns`), the same over row pairs (`row_pairs`), and an output
//! row summed, finished and interleaved from its product rows in one pass (`emit_rows`). The
//! strided ones run four at a time on `Quad` (SIMD128 in wasm, SSE2 natively): scalar, they took
//! about a third of decoding on both targets.

use std::mem::MaybeUninit;

use super::super::finish::finish;
use super::super::quad::Quad;

/// The sum of `rows` (one, two or four of them) at `k`, in one order for every path.
///
/// # Safety
/// Value `k` of every row is readable.
#[inline(always)]
unsafe fn sum<const N: usize>(rows: &[*const f32; N], k: usize) -> f32 {
    let at = |r: usize| unsafe { *rows[r].add(k) };
    match N {
        1 => at(0),
        2 => at(0) + at(1),
        _ => (at(0) + at(1)) + (at(2) + at(3)),
    }
}

/// How `emit_rows` walks its rows: `n` tiles a row, of which `width` values are written (`4n`,
/// or `4n − 2` where the output's width is odd: the last tile's second column is past the row),
/// `rows` rows, each row's product rows `e_step` (the `e` rows) and `s_step` (the `s` rows)
/// values after the last row's, and its output `y_step` after.
#[derive(Clone, Copy)]
pub(super) struct Rows {
    pub n: usize,
    pub width: usize,
    pub rows: usize,
    pub e_step: usize,
    pub s_step: usize,
    pub y_step: usize,
}

/// Output rows: `y[4g..4g + 4] = (e[2g], s0[g], e[2g + 1], s1[g])` for each row's `n` tiles, `e`,
/// `s0`, `s1` each the sum of its product rows, plus `bias` and through the ReLU when `relu`.
/// A row writes `width` values, nothing past them. Only written, never read: `y` may be the
/// output itself, not yet initialised, its rows written in any order. A run of rows in one
/// call, bounds checked once: with one call per output row (4 or 7 tiles in the decoder) the
/// output rows were 16% of a native decoding profile, 12% now.
pub(super) fn emit_rows<const E: usize, const S: usize>(
    e: [&[f32]; E],
    s0: [&[f32]; S],
    s1: [&[f32]; S],
    y: &mut [MaybeUninit<f32>],
    run: Rows,
    bias: f32,
    relu: bool,
) {
    let Rows {
        n,
        width,
        rows,
        e_step,
        s_step,
        y_step,
    } = run;
    if rows == 0 || n == 0 {
        return;
    }
    let last = rows - 1;
    assert!(
        (4 * n - 2..=4 * n).contains(&width)
            && y.len() >= last * y_step + width
            && e.iter().all(|r| r.len() >= last * e_step + 2 * n)
            && s0.iter().chain(&s1).all(|r| r.len() >= last * s_step + n)
    );
    // `MaybeUninit<f32>` has `f32`'s layout.
    let y = y.as_mut_ptr() as *mut f32;
    for k in 0..rows {
        // SAFETY: row `k`'s values are inside every slice (asserted above for the last row).
        unsafe {
            let e = e.map(|r| r.as_ptr().add(k * e_step));
            let (s0, s1) = (
                s0.map(|r| r.as_ptr().add(k * s_step)),
                s1.map(|r| r.as_ptr().add(k * s_step)),
            );
            let y = y.add(k * y_step);
            if n >= 4 {
                emit_row_quads(&e, &s0, &s1, n, width, y, bias, relu);
            } else {
                emit_row_scalar(&e, &s0, &s1, width, y, bias, relu);
            }
        }
    }
}

/// One row of `emit_rows`, a value at a time (rows under four tiles): its first `width` values.
///
/// # Safety
/// `2n` values of each `e` row, `n` of each `s` row and `width` of `y` are inside them, where
/// `n = width.div_ceil(4)`.
unsafe fn emit_row_scalar<const E: usize, const S: usize>(
    e: &[*const f32; E],
    s0: &[*const f32; S],
    s1: &[*const f32; S],
    width: usize,
    y: *mut f32,
    bias: f32,
    relu: bool,
) {
    let fin = |v: f32| {
        if relu {
            finish::<true>(v, bias)
        } else {
            finish::<false>(v, bias)
        }
    };
    for x in 0..width {
        let g = x / 4;
        // SAFETY: g < n and x < width (the caller's bounds).
        unsafe {
            *y.add(x) = fin(match x % 4 {
                0 => sum(e, 2 * g),
                1 => sum(s0, g),
                2 => sum(e, 2 * g + 1),
                _ => sum(s1, g),
            });
        }
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

/// One row of `emit_rows` four tiles at a time (`n >= 4`); a row whose tiles are not a multiple
/// of four ends with the last four again, rewriting a few values with themselves, and where
/// `width` is short of `4n` the last two values are left out.
///
/// # Safety
/// As `emit_row_scalar`.
#[allow(clippy::too_many_arguments)]
unsafe fn emit_row_quads<const E: usize, const S: usize>(
    e: &[*const f32; E],
    s0: &[*const f32; S],
    s1: &[*const f32; S],
    n: usize,
    width: usize,
    y: *mut f32,
    bias: f32,
    relu: bool,
) {
    let b = Quad::splat(bias);
    let fin = |v: Quad| {
        let v = v.add(b);
        if relu { v.relu() } else { v }
    };
    // The sum of four values at `k` of each row, in `sum`'s order.
    // SAFETY (callers): `k + 4` is within every row.
    unsafe fn sum4<const N: usize>(rows: &[*const f32; N], k: usize) -> Quad {
        let at = |r: usize| unsafe { Quad::load(rows[r].add(k)) };
        match N {
            1 => at(0),
            2 => at(0).add(at(1)),
            _ => at(0).add(at(1)).add(at(2).add(at(3))),
        }
    }
    let mut g = 0;
    let mut tail = [0.0f32; 4];
    loop {
        let last = g + 4 == n;
        // SAFETY: g + 4 <= n: values 2g .. 2g + 8 of each `e` row (2n of them), g .. g + 4 of
        // each `s` row (n) and 4g .. 4g + 16 of `y` (4n), or 4g + 14 where the row ends there.
        unsafe {
            let lo = fin(sum4(e, 2 * g));
            let hi = fin(sum4(e, 2 * g + 4));
            let (a, c) = (fin(sum4(s0, g)), fin(sum4(s1, g)));
            let (pairs_lo, pairs_hi) = (Quad::zip_lo(a, c), Quad::zip_hi(a, c));
            let at = y.add(4 * g);
            Quad::zip_lo(lo, pairs_lo).store(at);
            Quad::zip_hi(lo, pairs_lo).store(at.add(4));
            Quad::zip_lo(hi, pairs_hi).store(at.add(8));
            let fourth = Quad::zip_hi(hi, pairs_hi);
            if last && width < 4 * n {
                // The row ends two values into its last four (`width` is `4n − 2`); two
                // stores, not a copy (a call to `memmove` per row was 4% of decoding).
                fourth.store(tail.as_mut_ptr());
                (*at.add(12), *at.add(13)) = (tail[0], tail[1]);
            } else {
                fourth.store(at.add(12));
            }
        }
        if last {
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
