//! im2col / col2im in long runs: the big image regrouped into phase planes.
//!
//! Why: the plain im2col copies (and col2im adds) one grid row at a time — runs of 7 to 28 values
//! on this project's networks, too short to vectorise, and col2im was the largest cost after the
//! GEMM itself (a fifth of a `bench` profile). Regroup each plane of the big image by the
//! position's remainder modulo the stride (all rows ≡ 0 and columns ≡ 0, then rows ≡ 0 and
//! columns ≡ 1, ...): a kernel tap then reads (or writes) one phase plane at a fixed offset from
//! its grid position, so when the phase planes are exactly as wide as the grid the whole tap is
//! one contiguous run of `rows × grid width` values. The few grid positions whose tap falls in
//! the padding sit inside that run (they wrap into a neighbouring row of the phase plane): im2col
//! writes zeros there afterwards, col2im zeroes them in its scratch columns first, so they add
//! nothing. That needs `big width == stride × grid width` — every "same" convolution and
//! transposed convolution of the models here; other geometries take the row-by-row path.

use super::finish::{finish, finish_all};
use super::geometry::Geometry;
use super::interleave::interleave2;
use super::samples::{Piece, in_parts};
use super::widest::widest;

/// Where each phase plane sits in the regrouped plane.
struct Phases {
    /// Rows of the phase planes with row remainder `ry` (their width is always the grid's).
    rows: Vec<usize>,
    /// Start of plane `(ry, rx)` at `ry * stride_x + rx`.
    start: Vec<usize>,
}

/// What both directions need, the same for every sample of a call: sizes, the phase planes and
/// every tap's run (computed once per thread's run of samples, in `Scratch`).
pub(super) struct Plan {
    taps: usize,
    plane_len: usize,
    grid_len: usize,
    phases: Phases,
    runs: Vec<Option<TapRun>>,
    /// Stride 1: the plane is its own (only) phase plane.
    unit: bool,
}

/// Scratch for `im2col` / `col2im` over the samples one thread takes: two planes of the big
/// image and, where the long-run path applies, its plan.
pub struct Scratch {
    pub(super) plan: Option<Plan>,
    pub(super) plane: Vec<f32>,
    pub(super) out: Vec<f32>,
}

/// One kernel tap on the regrouped plane: grid positions `a..b` (row-major, from the first to
/// the last one inside the image) land at `at..at + b - a`.
struct TapRun {
    a: usize,
    b: usize,
    at: usize,
    /// The grid rows and columns inside the image.
    rows: [usize; 2],
    cols: [usize; 2],
}

impl TapRun {
    /// Zeroes the positions the run passes over whose columns fall in the padding (a plain
    /// strided loop: they are one or two per row, and `fill` would call memset per row).
    #[inline(always)]
    fn zero_padding_columns(&self, block: &mut [f32], gw: usize) {
        let ([y0, y1], [x0, x1]) = (self.rows, self.cols);
        for x in (0..x0).chain(x1..gw) {
            for y in y0..y1 {
                block[y * gw + x] = 0.0;
            }
        }
    }
}

/// Along one axis, kernel offset `k` lands on phase `r`, shifted by `d` phase positions from its
/// grid position: `g * s + k - pad = (g + d) * s + r`.
fn tap(k: usize, s: usize, pad: usize) -> (usize, isize) {
    let t = k as isize - pad as isize;
    (t.rem_euclid(s as isize) as usize, t.div_euclid(s as isize))
}

impl Geometry {
    /// Whether the long-run path applies (see the module comment).
    pub(super) fn runs_apply(&self) -> bool {
        let ([sy, sx], [bh, bw], [gh, gw]) = (self.stride, self.big, self.grid);
        sy > 0 && gh > 0 && gw > 0 && bh > 0 && bw == sx * gw
    }

    fn phases(&self) -> Phases {
        let ([sy, sx], [bh, _], [_, gw]) = (self.stride, self.big, self.grid);
        let rows: Vec<usize> = (0..sy).map(|r| bh.saturating_sub(r).div_ceil(sy)).collect();
        let mut start = Vec::with_capacity(sy * sx);
        let mut at = 0;
        for &r in &rows {
            for _ in 0..sx {
                start.push(at);
                at += r * gw;
            }
        }
        Phases { rows, start }
    }

    /// Scratch for this geometry's `im2col` / `col2im` (see `Scratch`).
    pub fn scratch(&self) -> Scratch {
        let plane = self.big[0] * self.big[1];
        Scratch {
            plan: self.runs_apply().then(|| self.plan()),
            plane: vec![0.0; plane],
            out: vec![0.0; plane],
        }
    }

    fn plan(&self) -> Plan {
        let phases = self.phases();
        Plan {
            taps: self.kernel[0] * self.kernel[1],
            plane_len: self.big[0] * self.big[1],
            grid_len: self.grid_len(),
            runs: self.tap_runs(&phases),
            phases,
            unit: self.stride == [1, 1],
        }
    }

    /// Every tap's run, in tap order (`ky * kw + kx`); computed once per call, not per channel
    /// (the spans divide).
    fn tap_runs(&self, p: &Phases) -> Vec<Option<TapRun>> {
        let ([kh, kw], gw) = (self.kernel, self.grid[1]);
        let mut runs = Vec::with_capacity(kh * kw);
        for ky in 0..kh {
            for kx in 0..kw {
                let ((y0, y1), (x0, x1)) = (self.span(0, ky), self.span(1, kx));
                if y1 == y0 || x1 == x0 {
                    runs.push(None);
                    continue;
                }
                let (ry, dy) = tap(ky, self.stride[0], self.pad[0]);
                let (rx, dx) = tap(kx, self.stride[1], self.pad[1]);
                let start = p.start[ry * self.stride[1] + rx] as isize;
                // The first position is inside the image, so its phase index is not negative.
                let at = start + (y0 as isize + dy) * gw as isize + x0 as isize + dx;
                runs.push(Some(TapRun {
                    a: y0 * gw + x0,
                    b: (y1 - 1) * gw + x1,
                    at: at as usize,
                    rows: [y0, y1],
                    cols: [x0, x1],
                }));
            }
        }
        runs
    }

    /// `plane` regrouped into phase planes (`dst` of the same length).
    #[inline(always)]
    fn split_phases(&self, p: &Phases, plane: &[f32], dst: &mut [f32]) {
        let ([sy, sx], [_, bw], [_, gw]) = (self.stride, self.big, self.grid);
        for (ry, &rows) in p.rows.iter().enumerate() {
            for q in 0..rows {
                let src = &plane[(q * sy + ry) * bw..][..bw];
                let at = |rx: usize| p.start[ry * sx + rx] + q * gw;
                if sx == 2 {
                    let (lo, hi) = dst.split_at_mut(at(1));
                    let (even, odd) = (&mut lo[at(0)..][..gw], &mut hi[..gw]);
                    for ((pair, e), o) in src.chunks_exact(2).zip(even).zip(odd) {
                        *e = pair[0];
                        *o = pair[1];
                    }
                } else {
                    for rx in 0..sx {
                        let out = &mut dst[at(rx)..][..gw];
                        for (o, v) in out.iter_mut().zip(src[rx..].iter().step_by(sx)) {
                            *o = *v;
                        }
                    }
                }
            }
        }
    }

    /// The phase planes in `src` interleaved back into whole rows, plus `bias`, through a ReLU
    /// when `relu` (the layer's finish, fused into the one pass). `dst` gets the rows grouped by
    /// their remainder modulo the row stride, each group where its phase planes start in `src`:
    /// a group's phase planes interleave as flat arrays (value `k` of phase `rx` goes to
    /// `k * sx + rx`), in long vectorised runs instead of rows of 14 or 28; `place_rows` then
    /// puts the rows in order.
    /// Not inlined in wasm: V8 optimises a whole function once it runs hot, and the page's
    /// decoders reach `col2im` only at stride 1, where this is never called (inlined, it was
    /// half of the function V8 optimised while the first grid decoded).
    #[cfg_attr(target_family = "wasm", inline(never))]
    #[cfg_attr(not(target_family = "wasm"), inline(always))]
    fn merge_phases(&self, p: &Phases, src: &[f32], dst: &mut [f32], bias: f32, relu: bool) {
        let ([sy, sx], [_, gw]) = (self.stride, self.grid);
        for ry in 0..sy {
            let (n, at) = (p.rows[ry] * gw, p.start[ry * sx]);
            if n == 0 {
                continue; // an image shorter than the stride has no rows of this remainder
            }
            let dst = &mut dst[at..at + n * sx];
            if sx == 2 {
                let (even, odd) = (&src[at..at + n], &src[at + n..at + 2 * n]);
                if relu {
                    interleave2::<true>(even, odd, dst, bias);
                } else {
                    interleave2::<false>(even, odd, dst, bias);
                }
            } else {
                for rx in 0..sx {
                    let from = &src[at + rx * n..at + (rx + 1) * n];
                    for (d, v) in dst[rx..].iter_mut().step_by(sx).zip(from) {
                        *d = if relu {
                            finish::<true>(*v, bias)
                        } else {
                            finish::<false>(*v, bias)
                        };
                    }
                }
            }
        }
    }

    /// `plane` written from `col2im_plane`'s `out`: as it is at stride 1, else row by row from
    /// `merge_phases`' groups.
    pub(super) fn place_rows<'a>(
        &self,
        plan: &Plan,
        out: &[f32],
        plane: &'a mut Piece,
    ) -> &'a mut [f32] {
        if plan.unit {
            return plane.write_copy_of_slice(&out[..plan.plane_len]);
        }
        let ([sy, sx], bw) = (self.stride, self.big[1]);
        in_parts(plane, bw, |y, row| {
            let at = plan.phases.start[(y % sy) * sx] + (y / sy) * bw;
            row.write_copy_of_slice(&out[at..at + bw])
        })
    }

    widest!(
        /// `im2col` on the long-run path; `buf` is scratch of at least one plane.
        im2col_runs,
        im2col_runs_avx512,
        im2col_runs_avx2,
        im2col_runs_any,
        (plan: &Plan, img: &[f32], cols: &mut [f32], buf: &mut [f32])
    );

    #[inline(always)]
    fn im2col_runs_any(&self, plan: &Plan, img: &[f32], cols: &mut [f32], buf: &mut [f32]) {
        let (p, plane_len, grid_len) = (&plan.phases, plan.plane_len, plan.grid_len);
        for c in 0..self.channels {
            let plane = &img[c * plane_len..(c + 1) * plane_len];
            let src: &[f32] = if plan.unit {
                plane
            } else {
                self.split_phases(p, plane, &mut buf[..plane_len]);
                &buf[..plane_len]
            };
            for (t, run) in plan.runs.iter().enumerate() {
                let row = (c * plan.taps + t) * grid_len;
                let block = &mut cols[row..row + grid_len];
                let Some(r) = run else {
                    block.fill(0.0);
                    continue;
                };
                block[..r.a].fill(0.0);
                block[r.a..r.b].copy_from_slice(&src[r.at..r.at + r.b - r.a]);
                block[r.b..].fill(0.0);
                r.zero_padding_columns(block, self.grid[1]);
            }
        }
    }

    widest!(
        /// One plane of `col2im` on the long-run path: `out = col2im(cols) + bias`, through a
        /// ReLU when `relu`, from this plane's rows of the im2col matrix (`cols`: `taps` rows of
        /// `grid_len` values, `ld` apart; their padding positions overwritten with zeros), in
        /// `place_rows`' order; `acc` is scratch of one plane.
        col2im_plane,
        col2im_plane_avx512,
        col2im_plane_avx2,
        col2im_plane_any,
        (plan: &Plan, cols: (&mut [f32], usize), acc: &mut [f32], out: &mut [f32], bias: f32, relu: bool)
    );

    #[inline(always)]
    fn col2im_plane_any(
        &self,
        plan: &Plan,
        (cols, ld): (&mut [f32], usize),
        acc: &mut [f32],
        out: &mut [f32],
        bias: f32,
        relu: bool,
    ) {
        let plane_len = plan.plane_len;
        if plan.unit {
            // Stride 1: the sums go straight into `out`, finished in place.
            let out = &mut out[..plane_len];
            self.add_runs(plan, cols, ld, out);
            finish_all(out, bias, relu);
        } else {
            let acc = &mut acc[..plane_len];
            self.add_runs(plan, cols, ld, acc);
            self.merge_phases(&plan.phases, acc, &mut out[..plane_len], bias, relu);
        }
    }

    /// `acc` = every tap's run of `cols` added at its place on the regrouped plane.
    #[inline(always)]
    fn add_runs(&self, plan: &Plan, cols: &mut [f32], ld: usize, acc: &mut [f32]) {
        let grid_len = plan.grid_len;
        acc.fill(0.0);
        for (t, r) in plan.runs.iter().enumerate() {
            let Some(r) = r else { continue };
            let block = &mut cols[t * ld..][..grid_len];
            r.zero_padding_columns(block, self.grid[1]);
            for (d, v) in acc[r.at..r.at + r.b - r.a].iter_mut().zip(&block[r.a..r.b]) {
                *d += v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::MaybeUninit;

    /// A small deterministic stream.
    struct Stream(u64);

    impl Stream {
        fn next(&mut self) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            self.0 >> 33
        }
        fn pick(&mut self, lo: usize, hi: usize) -> usize {
            lo + self.next() as usize % (hi - lo + 1)
        }
        fn values(&mut self, n: usize) -> Vec<f32> {
            (0..n)
                .map(|_| (self.next() % 2001) as f32 / 1000.0 - 1.0)
                .collect()
        }
    }

    /// Random geometries on which the long-run path applies: the big width a multiple of the
    /// grid's, any height, kernel, padding.
    fn geometries(count: usize) -> Vec<Geometry> {
        let mut s = Stream(7);
        (0..count)
            .map(|_| {
                let stride = [s.pick(1, 3), s.pick(1, 3)];
                let kernel = [s.pick(1, 5), s.pick(1, 5)];
                let grid = [s.pick(1, 9), s.pick(1, 9)];
                Geometry {
                    channels: s.pick(1, 3),
                    big: [s.pick(1, 3 * grid[0] + 2), stride[1] * grid[1]],
                    kernel,
                    stride,
                    pad: [s.pick(0, kernel[0]), s.pick(0, kernel[1])],
                    grid,
                }
            })
            .collect()
    }

    #[test]
    fn runs_match_the_row_by_row_path() {
        let mut s = Stream(11);
        let mut nonzero = 0;
        let cases = geometries(400);
        for g in &cases {
            assert!(g.runs_apply(), "{g:?}");
            let (kl, p, bl) = (g.patch_len(), g.grid_len(), g.big_len());
            let plane = g.big[0] * g.big[1];
            let mut runs = g.scratch();
            let plan = runs.plan.take().expect("the long-run path applies");
            let mut buf = vec![f32::NAN; plane];
            // im2col: every entry written, the same as row by row (NaN where nothing wrote).
            let img = s.values(bl);
            let (mut ours, mut rows) = (vec![f32::NAN; kl * p], vec![f32::NAN; kl * p]);
            g.im2col_runs(&plan, &img, &mut ours, &mut buf);
            g.im2col_rows(&img, &mut rows);
            assert_eq!(ours, rows, "im2col {g:?}");
            // The plain-instruction version (wasm's; this CPU's wider one above) does the same.
            let mut any = vec![f32::NAN; kl * p];
            g.im2col_runs_any(&plan, &img, &mut any, &mut buf);
            assert_eq!(any, rows, "im2col_runs_any {g:?}");
            // col2im: the same sums, bias and ReLU as row by row, every value written (the
            // output starts as NaN).
            let cols = s.values(kl * p);
            let bias = s.values(g.channels);
            let relu = s.pick(0, 1) == 1;
            // `cols`' rows `ld` apart, at column `ld - p` of a wider matrix whose other values
            // are NaN (they would show if read), as several samples side by side in one
            // product hand them over.
            let col2im = |scratch: &mut Scratch, ld: usize| {
                let off = ld - p;
                let mut wide = vec![f32::NAN; kl * ld];
                for (r, row) in cols.chunks_exact(p).enumerate() {
                    wide[r * ld + off..][..p].copy_from_slice(row);
                }
                let mut out = vec![MaybeUninit::new(f32::NAN); bl];
                g.col2im(&mut wide[off..], ld, &mut out, scratch, &bias, relu)
                    .to_vec()
            };
            let no_plan = || Scratch {
                plan: None,
                ..g.scratch()
            };
            runs.plan = Some(plan);
            let ours = col2im(&mut runs, p);
            let rows = col2im(&mut no_plan(), p);
            for (i, (a, b)) in ours.iter().zip(&rows).enumerate() {
                assert!((a - b).abs() <= 1e-5, "col2im {g:?} at {i}: {a} vs {b}");
            }
            assert_eq!(
                col2im(&mut runs, 2 * p + 1),
                ours,
                "col2im, rows apart {g:?}"
            );
            assert_eq!(
                col2im(&mut no_plan(), 3 * p),
                rows,
                "col2im rows, apart {g:?}"
            );
            let plan = runs.plan.as_ref().expect("kept");
            let per = g.kernel[0] * g.kernel[1] * p;
            for c in 0..g.channels {
                let (mut acc, mut any) = (vec![f32::NAN; plane], vec![f32::NAN; plane]);
                let cols = &mut cols.clone()[c * per..(c + 1) * per];
                g.col2im_plane_any(plan, (cols, p), &mut acc, &mut any, bias[c], relu);
                let mut placed = vec![MaybeUninit::new(f32::NAN); plane];
                let placed = g.place_rows(plan, &any, &mut placed);
                assert_eq!(
                    placed,
                    &ours[c * plane..(c + 1) * plane],
                    "col2im_plane_any {g:?}"
                );
            }
            // Something landed inside the image: not every value is the bias alone.
            let alone = |b: f32| if relu { b.max(0.0) } else { b };
            let planes = rows.chunks(plane).zip(&bias);
            nonzero += usize::from(
                planes
                    .into_iter()
                    .any(|(pl, b)| pl.iter().any(|v| *v != alone(*b))),
            );
        }
        // Most geometries must have placed something inside the image.
        assert!(
            nonzero * 10 >= cases.len() * 8,
            "{nonzero} of {}",
            cases.len()
        );
    }
}
