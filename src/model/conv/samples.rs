//! Work over a batch: one contiguous run of samples per thread, each run with its own scratch,
//! writing an output that is never zeroed first.
//!
//! Why not zeroed: a layer's output is up to 13 MB at batch 128, several times the cache, and
//! every kernel writes all of it; zeroing it first was a pass over memory of its own (with the
//! page faults of fresh allocations, about a tenth of a training step). The output starts as
//! `MaybeUninit`, and a sample's piece becomes `&mut [f32]` only through the functions here that
//! write all of it first (`zeroed`, `gemm_into`, `filled`, `in_parts` over parts written by them
//! or by `write_copy_of_slice`), or through `written` once a kernel has written all of it itself;
//! `over_samples` checks that every piece it handed out came back written before it calls the
//! whole output initialised.

use super::gemm::{Mat, gemm};
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ops::Range;

/// A sample's piece of the output, not yet written.
pub type Piece = [MaybeUninit<f32>];

/// `piece` as the values written to it.
///
/// # Safety
/// Every value of `piece` has been written.
pub unsafe fn written(piece: &mut Piece) -> &mut [f32] {
    // SAFETY: all values are initialised (the caller's promise); `MaybeUninit<f32>` has `f32`'s
    // layout.
    unsafe { &mut *(piece as *mut Piece as *mut [f32]) }
}

/// `piece` with every value set to zero.
pub fn zeroed(piece: &mut Piece) -> &mut [f32] {
    for v in piece.iter_mut() {
        v.write(0.0);
    }
    // SAFETY: every value was written just above.
    unsafe { written(piece) }
}

/// `piece[m×n] = a[m×k] · b[k×n]` (see `gemm::gemm`); `piece` must hold exactly `m × n`.
pub fn gemm_into<'a>(
    m: usize,
    n: usize,
    k: usize,
    piece: &'a mut Piece,
    a: Mat,
    b: Mat,
) -> &'a mut [f32] {
    assert_eq!(piece.len(), m * n, "a GEMM's output piece");
    if k == 0 {
        return zeroed(piece);
    }
    // SAFETY: gemm does not read its destination when it does not accumulate (the `false`), and
    // writes every one of its m × n values; the cast keeps the layout. The values count as
    // initialised only once gemm has returned.
    let dst = unsafe { &mut *(piece as *mut Piece as *mut [f32]) };
    gemm(m, n, k, dst, false, a, b);
    dst
}

/// Runs `f(sample, piece, scratch)` for the `n` samples, each with its `per_sample` values of
/// the output; natively the samples are split into one contiguous run per thread, each run with
/// its own `scratch` from `init`. `f` returns its piece, written (through `zeroed` or
/// `gemm_into`). Returns the output and the scratches (one per run) for reductions.
pub fn over_samples<S: Send>(
    n: usize,
    per_sample: usize,
    init: impl Fn() -> S + Sync,
    f: impl for<'a> Fn(usize, &'a mut Piece, &mut S) -> &'a mut [f32] + Sync,
) -> (Vec<f32>, Vec<S>) {
    over_runs(n, per_sample, 1, init, |rows, block, scratch| {
        if per_sample == 0 {
            // No output, but every sample still runs (a backward pass without an input gradient
            // computes the weight gradient there).
            for i in rows {
                f(i, &mut [], scratch);
            }
            return zeroed(block);
        }
        in_parts(block, per_sample, |j, piece| {
            f(rows.start + j, piece, scratch)
        })
    })
}

/// Runs `f(rows, block, scratch)` once per thread on a contiguous run of the `n` rows (at least
/// `min_run` of them: fewer rows make fewer runs), `block` being their `per_row` values each of
/// the output, with a `scratch` from `init`; `f` returns the block, written. Returns the output
/// and the scratches (one per run) for reductions.
pub fn over_runs<S: Send>(
    n: usize,
    per_row: usize,
    min_run: usize,
    init: impl Fn() -> S + Sync,
    f: impl for<'a> Fn(Range<usize>, &'a mut Piece, &mut S) -> &'a mut [f32] + Sync,
) -> (Vec<f32>, Vec<S>) {
    let mut out: Vec<MaybeUninit<f32>> = Vec::with_capacity(n * per_row);
    out.resize_with(n * per_row, MaybeUninit::uninit);
    let run = n.div_ceil(threads()).max(min_run.max(1));
    let mut jobs = Vec::new();
    let mut rest: &mut Piece = &mut out;
    for start in (0..n).step_by(run) {
        let len = run.min(n - start);
        let (block, tail) = std::mem::take(&mut rest).split_at_mut(len * per_row);
        rest = tail;
        jobs.push((start..start + len, block));
    }
    let work = |(rows, block): (Range<usize>, &mut Piece)| {
        let mut scratch = init();
        let at = (block.as_ptr() as *const f32, block.len());
        check_whole(f(rows, block, &mut scratch), at);
        scratch
    };
    #[cfg(feature = "cli")]
    let scratches = {
        use rayon::prelude::*;
        jobs.into_par_iter().map(work).collect()
    };
    #[cfg(not(feature = "cli"))]
    let scratches = jobs.into_iter().map(work).collect();
    let mut out = ManuallyDrop::new(out);
    // SAFETY: every block came back from `f` as written (checked above: the functions here are
    // the only ways to turn a piece into `&mut [f32]`), and the blocks cover the output; `MaybeUninit<f32>` has `f32`'s layout, so the allocation is reused as it is.
    let out =
        unsafe { Vec::from_raw_parts(out.as_mut_ptr().cast::<f32>(), out.len(), out.capacity()) };
    (out, scratches)
}

/// `piece` written with the values of `values`, which must yield exactly as many.
pub fn filled(piece: &mut Piece, values: impl Iterator<Item = f32>) -> &mut [f32] {
    let mut count = 0;
    for (p, v) in piece.iter_mut().zip(values) {
        p.write(v);
        count += 1;
    }
    assert_eq!(count, piece.len(), "too few values for an output piece");
    // SAFETY: the first `count` values were written just above, and `count` is all of them.
    unsafe { written(piece) }
}

/// `piece` written part by part: `f(i, part)` gets the `i`-th run of `len` values and hands it
/// back written (through `zeroed`, `gemm_into` or `write_copy_of_slice`); then the whole piece is.
pub fn in_parts(
    piece: &mut Piece,
    len: usize,
    mut f: impl FnMut(usize, &mut Piece) -> &mut [f32],
) -> &mut [f32] {
    for (i, part) in piece.chunks_mut(len.max(1)).enumerate() {
        let at = (part.as_ptr() as *const f32, part.len());
        check_whole(f(i, part), at);
    }
    // SAFETY: every part came back written (checked above) and the parts cover the piece.
    unsafe { written(piece) }
}

/// Refuses a written piece that is not the whole one handed out (start and length `at`).
fn check_whole(done: &[f32], at: (*const f32, usize)) {
    assert!(
        std::ptr::eq(done.as_ptr(), at.0) && done.len() == at.1,
        "a kernel did not write its whole output piece"
    );
}

fn threads() -> usize {
    #[cfg(feature = "cli")]
    return rayon::current_num_threads();
    #[cfg(not(feature = "cli"))]
    return 1;
}

/// Sums per-run partial results into the first.
pub fn sum_partials(parts: Vec<Vec<f32>>) -> Vec<f32> {
    let mut it = parts.into_iter();
    let mut total = it.next().unwrap_or_default();
    for p in it {
        for (t, v) in total.iter_mut().zip(p) {
            *t += v;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_sample_runs_once_and_writes_its_piece() {
        let calls = AtomicUsize::new(0);
        let (out, runs) = over_samples(
            7,
            3,
            || 0usize,
            |i, piece, count| {
                calls.fetch_add(1, Ordering::Relaxed);
                *count += 1;
                let piece = zeroed(piece);
                piece.iter_mut().for_each(|v| *v = i as f32);
                piece
            },
        );
        assert_eq!(calls.load(Ordering::Relaxed), 7);
        assert_eq!(runs.iter().sum::<usize>(), 7);
        let want: Vec<f32> = (0..7).flat_map(|i| [i as f32; 3]).collect();
        assert_eq!(out, want);
    }

    /// A backward pass without an input gradient has pieces of no values; its samples still run.
    #[test]
    fn empty_pieces_still_run_every_sample() {
        let calls = AtomicUsize::new(0);
        let (out, _) = over_samples(
            5,
            0,
            || (),
            |_, piece, _| {
                calls.fetch_add(1, Ordering::Relaxed);
                zeroed(piece)
            },
        );
        assert!(out.is_empty());
        assert_eq!(calls.load(Ordering::Relaxed), 5);
    }

    /// Handing back less than the whole piece would leave values unwritten: refused.
    #[test]
    #[should_panic(expected = "did not write its whole output piece")]
    fn a_partly_written_piece_is_refused() {
        over_samples(
            2,
            4,
            || (),
            |_, piece, _| &mut piece[..2].write_copy_of_slice(&[1.0, 2.0])[..],
        );
    }

    #[test]
    fn filled_writes_every_value_and_refuses_too_few() {
        let mut piece = vec![MaybeUninit::uninit(); 3];
        assert_eq!(
            filled(&mut piece, [1.0, 2.0, 3.0, 4.0].into_iter()),
            &[1.0, 2.0, 3.0]
        );
        let short = std::panic::catch_unwind(move || {
            filled(&mut piece, [1.0].into_iter());
        });
        assert!(short.is_err(), "a piece with unwritten values was accepted");
    }

    #[test]
    fn in_parts_writes_every_part_in_order() {
        let mut piece = vec![MaybeUninit::uninit(); 7];
        let mut seen = Vec::new();
        let out = in_parts(&mut piece, 3, |i, part| {
            seen.push((i, part.len()));
            let values: Vec<f32> = (0..part.len()).map(|j| (i * 10 + j) as f32).collect();
            part.write_copy_of_slice(&values)
        });
        assert_eq!(out, &[0.0, 1.0, 2.0, 10.0, 11.0, 12.0, 20.0]);
        assert_eq!(seen, [(0, 3), (1, 3), (2, 1)]);
    }

    #[test]
    #[should_panic(expected = "did not write its whole output piece")]
    fn in_parts_refuses_a_partly_written_part() {
        let mut piece = vec![MaybeUninit::uninit(); 4];
        in_parts(&mut piece, 2, |_, part| {
            &mut part[..1].write_copy_of_slice(&[1.0])[..]
        });
    }

    #[test]
    fn gemm_into_writes_the_product() {
        let mut piece = vec![MaybeUninit::uninit(); 4];
        let (a, b) = ([1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]);
        let out = gemm_into(
            2,
            2,
            2,
            &mut piece,
            super::super::gemm::mat(&a),
            super::super::gemm::mat(&b),
        );
        assert_eq!(out, &[19.0, 22.0, 43.0, 50.0]);
    }
}
