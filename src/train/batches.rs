//! Drawing a kind's batches from the training set (see `Batching`). Every order and shift comes
//! from `Rng::derive(seed, stream, epoch or step)`, so a resumed run draws exactly the batches an
//! uninterrupted one would have.

use super::distort::gather_distorted;
use super::groups::{epoch_groups, epoch_groups_by_label};
use crate::data::upload::{median_extent, prepare_image};
use crate::data::{ImageSet, TrainSet};
use crate::objective::Batching;
use crate::rng::Rng;
use burn::prelude::*;

const SHUFFLE_STREAM: u64 = 1;
const GROUP_STREAM: u64 = 11;
const SHIFT_STREAM: u64 = 13;
const CROP_STREAM: u64 = 17;
const BINARIZE_STREAM: u64 = 19;
const DISTORT_STREAM: u64 = 23;

/// How a run's epochs are cut into batches.
pub struct BatchPlan<'a> {
    batching: Batching,
    data: &'a TrainSet,
    batch_size: usize,
    per_epoch: usize,
    /// Every training image as the page would prepare it, when a kind asks for page crops.
    page_view: Option<ImageSet>,
    /// Dynamic binarization: every pixel of every batch drawn afresh as 0 or 1 with its grey
    /// level as the probability (the literature's binarized Fashion-MNIST).
    binarize: bool,
}

/// One epoch's batches: image indices, in order.
pub struct Epoch<'a> {
    plan: &'a BatchPlan<'a>,
    batches: Vec<Vec<usize>>,
}

impl<'a> BatchPlan<'a> {
    pub fn new(batching: Batching, data: &'a TrainSet, batch_size: usize) -> Result<Self, String> {
        let n = data.images.len();
        if n == 0 || batch_size == 0 {
            return Err("nothing to train on: the training set or the batch size is empty".into());
        }
        let per_epoch = match batching {
            Batching::Shuffled => n.div_ceil(batch_size),
            Batching::Groups { per_group, .. } => {
                let groups = data.groups.as_deref().ok_or_else(|| {
                    format!(
                        "this kind trains on groups of images, and {} has none (omniglot has: its characters)",
                        data.name
                    )
                })?;
                // The count is the same every epoch: each group yields whole groups of k.
                epoch_groups(groups, per_group, &mut Rng::new(0)).len() / (batch_size / per_group)
            }
        };
        if per_epoch == 0 {
            return Err(format!(
                "{n} training images do not fill one batch of {batch_size}"
            ));
        }
        let page_view = match batching {
            Batching::Groups { page_crops, .. } if page_crops > 0.0 => {
                Some(page_view(&data.images))
            }
            _ => None,
        };
        Ok(Self {
            batching,
            data,
            batch_size,
            per_epoch,
            page_view,
            binarize: false,
        })
    }

    /// Binarize every batch dynamically (see `binarize`).
    pub fn binarized(self, binarize: bool) -> Self {
        Self { binarize, ..self }
    }

    pub fn per_epoch(&self) -> usize {
        self.per_epoch
    }

    /// What the run trains on, for the first line it prints.
    pub fn describe(&self) -> String {
        let d = self.data;
        let n = d.images.len();
        match (self.batching, &d.groups) {
            (Batching::Groups { per_group, .. }, Some(groups)) => {
                let count = groups
                    .iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .len();
                format!(
                    "training on {n} images of {} in {count} groups from {}: {} batches of {} groups x {per_group} images per epoch",
                    d.name,
                    d.source,
                    self.per_epoch,
                    self.batch_size / per_group
                )
            }
            _ => format!(
                "training on {n} images of {} from {}, {} batches per epoch",
                d.name, d.source, self.per_epoch
            ),
        }
    }

    /// The batches of epoch `epoch` (0-based) of a run seeded with `seed`.
    pub fn epoch(&'a self, seed: u64, epoch: usize) -> Epoch<'a> {
        let n = self.data.images.len();
        let batches = match self.batching {
            Batching::Shuffled => {
                let mut order: Vec<usize> = (0..n).collect();
                Rng::derive(seed, SHUFFLE_STREAM, epoch as u64).shuffle(&mut order);
                order
                    .chunks(self.batch_size)
                    .map(<[usize]>::to_vec)
                    .collect()
            }
            Batching::Groups {
                per_group,
                by_label,
                ..
            } => {
                let groups = self.data.groups.as_deref().expect("checked in new");
                let mut rng = Rng::derive(seed, GROUP_STREAM, epoch as u64);
                let all = if by_label {
                    epoch_groups_by_label(groups, &self.data.images.labels, per_group, &mut rng)
                } else {
                    epoch_groups(groups, per_group, &mut rng)
                };
                all.chunks_exact(self.batch_size / per_group)
                    .map(<[Vec<usize>]>::concat)
                    .collect()
            }
        };
        Epoch {
            plan: self,
            batches,
        }
    }
}

impl Epoch<'_> {
    /// The class labels of batch `b`'s images.
    pub fn labels(&self, b: usize) -> Vec<usize> {
        let labels = &self.plan.data.images.labels;
        self.batches[b]
            .iter()
            .map(|&i| labels[i] as usize)
            .collect()
    }

    /// Batch `b` as model input on `device`; `step` is the run's global step (for the shifts).
    pub fn batch(&self, b: usize, seed: u64, step: usize, device: &Device) -> Tensor<4> {
        let idx = &self.batches[b];
        let images = &self.plan.data.images;
        let side = images.side;
        let pixels = match self.plan.batching {
            Batching::Shuffled => {
                let mut buf = Vec::with_capacity(idx.len() * side * side);
                images.gather_f32(idx, &mut buf);
                buf
            }
            Batching::Groups {
                max_shift,
                page_crops,
                distortion,
                ..
            } => {
                // Which images are page crops comes from its own stream, so that runs without
                // crops draw exactly the shifts they always did.
                let mut pick = Rng::derive(seed, CROP_STREAM, step as u64);
                let sources: Vec<&ImageSet> = idx
                    .iter()
                    .map(|_| match &self.plan.page_view {
                        Some(view) if pick.uniform() < page_crops => view,
                        _ => images,
                    })
                    .collect();
                let mut rng = Rng::derive(seed, SHIFT_STREAM, step as u64);
                if distortion.is_none() {
                    gather_shifted(&sources, idx, max_shift, &mut rng)
                } else {
                    // The same shifts as without distortion; turns and scales from their own stream.
                    let shifts = draw_shifts(idx.len(), max_shift, &mut rng);
                    let mut turns = Rng::derive(seed, DISTORT_STREAM, step as u64);
                    gather_distorted(&sources, idx, &shifts, distortion, &mut turns)
                }
            }
        };
        let pixels = if self.plan.binarize {
            let mut rng = Rng::derive(seed, BINARIZE_STREAM, step as u64);
            pixels
                .into_iter()
                .map(|p| f32::from(u8::from(rng.uniform() < p as f64)))
                .collect()
        } else {
            pixels
        };
        Tensor::from_data(TensorData::new(pixels, [idx.len(), 1, side, side]), device)
    }
}

/// Every image as the page prepares a drawing (`data::upload::prepare_image`): cropped to its
/// ink and scaled so the longer side is the set's median ink extent. From the 28x28 images, not
/// the original canvases, so slightly softer than the page's own; an image without ink is kept.
pub fn page_view(images: &ImageSet) -> ImageSet {
    let side = images.side;
    let fit = median_extent(images);
    let mut pixels = Vec::with_capacity(images.pixels.len());
    for i in 0..images.len() {
        let img = images.image(i);
        let rgba: Vec<u8> = img.iter().flat_map(|&v| [v, v, v, 255]).collect();
        match prepare_image(&rgba, side, side, side, fit) {
            Ok(px) => pixels.extend(px.iter().map(|&p| (p * 255.0).round() as u8)),
            Err(_) => pixels.extend_from_slice(img),
        }
    }
    ImageSet {
        side,
        pixels,
        labels: images.labels.clone(),
    }
}

/// `n` random whole-pixel offsets (dy, dx), each in -max_shift..=max_shift.
fn draw_shifts(n: usize, max_shift: usize, rng: &mut Rng) -> Vec<(isize, isize)> {
    let span = 2 * max_shift + 1;
    (0..n)
        .map(|_| {
            let dy = rng.below(span) as isize - max_shift as isize;
            let dx = rng.below(span) as isize - max_shift as isize;
            (dy, dx)
        })
        .collect()
}

/// Images at `indices` (image `k` taken from `sources[k]`) as floats in [0, 1], each moved by a
/// random whole-pixel offset of up to `max_shift` in each direction (ink pushed past the border
/// is lost, as a real shift would be).
pub fn gather_shifted(
    sources: &[&ImageSet],
    indices: &[usize],
    max_shift: usize,
    rng: &mut Rng,
) -> Vec<f32> {
    let side = sources[0].side as isize;
    let per = sources[0].pixels_per_image();
    let mut out = vec![0.0f32; indices.len() * per];
    let shifts = draw_shifts(indices.len(), max_shift, rng);
    for (slot, (&i, &(dy, dx))) in indices.iter().zip(&shifts).enumerate() {
        let src = sources[slot].image(i);
        let dst = &mut out[slot * per..(slot + 1) * per];
        for y in 0..side {
            let sy = y - dy;
            if !(0..side).contains(&sy) {
                continue;
            }
            for x in 0..side {
                let sx = x - dx;
                if (0..side).contains(&sx) {
                    dst[(y * side + x) as usize] = src[(sy * side + sx) as usize] as f32 / 255.0;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::upload::ink_box;

    #[test]
    fn shifts_move_ink_by_whole_pixels_and_keep_it_within_the_frame() {
        let mut pixels = vec![0u8; 16];
        pixels[5] = 255; // (1, 1) of a 4x4 image
        let images = ImageSet {
            side: 4,
            pixels,
            labels: vec![0],
        };
        let mut positions = std::collections::BTreeSet::new();
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let out = gather_shifted(&[&images], &[0], 1, &mut rng);
            assert_eq!(out.iter().filter(|&&v| v == 1.0).count(), 1);
            positions.insert(out.iter().position(|&v| v == 1.0).unwrap());
        }
        // (1, 1) moved by -1..=1 each way: the 3x3 block around it, nothing else.
        assert_eq!(
            positions,
            [0, 1, 2, 4, 5, 6, 8, 9, 10].into_iter().collect()
        );
    }

    #[test]
    fn the_page_view_crops_each_image_to_its_ink_at_the_median_extent() {
        // Three 28x28 images with ink blocks of side 6, 10 and 14 in different corners.
        let mut pixels = vec![0u8; 3 * 784];
        for (k, (x0, y0, s)) in [(1, 1, 6), (15, 2, 10), (3, 12, 14)]
            .into_iter()
            .enumerate()
        {
            for y in y0..y0 + s {
                for x in x0..x0 + s {
                    pixels[k * 784 + y * 28 + x] = 255;
                }
            }
        }
        let images = ImageSet {
            side: 28,
            pixels,
            labels: vec![0, 1, 2],
        };
        let view = page_view(&images);
        assert_eq!(view.labels, images.labels);
        for k in 0..3 {
            let (x0, y0, x1, y1) = ink_box(view.image(k), 28, |v| v > 13).unwrap();
            // The median extent is 10: every block now spans 10 pixels, centred.
            assert_eq!((x1 - x0 + 1, y1 - y0 + 1), (10, 10), "image {k}");
            assert_eq!((x0, y0), (9, 9), "image {k}");
        }
    }
}
