//! Where uploads land: each query image is uploaded twice through the page's preprocessing
//! (`data::upload::prepare_image`): as itself (a 28x28 PNG of the dataset image) and as a
//! photo-like JPEG of it (`eval::photos`). Both are encoded, and each lands in a neighbourhood:
//! its k nearest test codes (the map's scatter; the query's own test code left out). The
//! measures: how often the neighbourhood's majority is the query's class, for the originals and
//! for the photos; how often a photo lands in another neighbourhood than its original; and how
//! far (as a rank among the test codes) a photo's code is from its original's.

use super::metrics::encode_means;
use super::photos::{Settings, decode_jpeg, photograph};
use super::plot::canvas::{BLACK, Canvas, WHITE};
use crate::data::ImageSet;
use crate::data::upload::prepare_image;
use crate::model::Vae;
use crate::rng::Rng;
use burn::prelude::*;
use serde::Serialize;

/// The measures, as `latent-atlas uploads --json` prints them (stable keys).
#[derive(Debug, Clone, Serialize)]
pub struct Placement {
    /// Which split the queries come from ("test": their own codes are left out of the
    /// neighbourhoods; "train": for tuning preprocessing without touching the test images).
    pub from: String,
    pub queries: usize,
    pub k: usize,
    /// Share of queries whose k nearest test codes have the query's class as their majority.
    pub originals_agree: f64,
    pub photos_agree: f64,
    /// Mean share of the k neighbours with the query's class.
    pub originals_neighbours: f64,
    pub photos_neighbours: f64,
    /// Share of photos whose neighbourhood majority differs from their original's.
    pub photos_moved: f64,
    /// Median over photos of how many test codes lie closer to the photo's code than the
    /// original's code does (0: the photo's nearest code is its original's).
    pub original_rank_median: f64,
    /// Photos the preprocessing refused (counted as not agreeing).
    pub refused: usize,
    pub per_class: Vec<ClassPlacement>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassPlacement {
    pub class: String,
    pub queries: usize,
    pub originals_agree: f64,
    pub photos_agree: f64,
}

/// One query, for the contact sheet: the photo's JPEG, both prepared inputs and the classes
/// their neighbourhoods voted for.
pub struct Example {
    pub label: usize,
    pub photo: Vec<u8>,
    pub original_input: Vec<u8>,
    pub photo_input: Option<Vec<u8>>,
    pub original_vote: usize,
    pub photo_vote: Option<usize>,
}

/// The queries: `count` indices of `source`, spread evenly over the classes and drawn with
/// `seed` (class by class in turn, so a class never runs short while another is over-sampled).
pub fn pick_queries(source: &ImageSet, count: usize, seed: u64) -> Vec<usize> {
    let classes = source
        .labels
        .iter()
        .copied()
        .max()
        .map_or(0, |m| m as usize + 1);
    let mut by_class: Vec<Vec<usize>> = vec![vec![]; classes];
    for (i, &l) in source.labels.iter().enumerate() {
        by_class[l as usize].push(i);
    }
    let mut rng = Rng::derive(seed, 11, 0);
    for members in &mut by_class {
        rng.shuffle(members);
    }
    let mut out = Vec::with_capacity(count);
    for round in 0.. {
        let before = out.len();
        for members in &by_class {
            if out.len() < count
                && let Some(&i) = members.get(round)
            {
                out.push(i);
            }
        }
        if out.len() == count || out.len() == before {
            break;
        }
    }
    out
}

/// Measure `model` on the queries `indices` of `source` against the codes of `test`.
/// `same_set`: the queries are test images (their own code is left out of the neighbourhoods).
/// `fit`: the preprocessing's extent (the model file's). Returns the measures and the examples.
#[allow(clippy::too_many_arguments)]
pub fn measure(
    model: &Vae,
    test: &ImageSet,
    source: &ImageSet,
    indices: &[usize],
    same_set: bool,
    fit: usize,
    class_names: &[String],
    k: usize,
    seed: u64,
    device: &Device,
) -> (Placement, Vec<Example>) {
    let side = test.side;
    let dim = model.encoder.latent_dim();
    let floats = |img: &[u8]| img.iter().map(|&v| v as f32 / 255.0).collect::<Vec<f32>>();
    let test_codes = encode_means(model, &floats(&test.pixels), side, device);

    // Photos are taken (and JPEG-coded) in parallel where threads exist; each from its own
    // random stream, so the set does not depend on the thread count.
    let take = |&i: &usize| -> (Vec<u8>, Vec<f32>, Option<Vec<f32>>) {
        let image = source.image(i);
        let rgba: Vec<u8> = image.iter().flat_map(|&v| [v, v, v, 255]).collect();
        let original =
            prepare_image(&rgba, side, side, side, fit).unwrap_or_else(|_| floats(image));
        let mut rng = Rng::derive(seed, 12, i as u64);
        let settings = Settings::draw(&mut rng);
        let jpeg = photograph(image, side, &settings, &mut rng);
        let photo = decode_jpeg(&jpeg)
            .ok()
            .and_then(|(px, w, h)| prepare_image(&px, w, h, side, fit).ok());
        (jpeg, original, photo)
    };
    // eval is built with the CLI only, which brings rayon.
    let taken: Vec<_> = {
        use rayon::prelude::*;
        indices.par_iter().map(take).collect()
    };

    let originals: Vec<f32> = taken.iter().flat_map(|t| t.1.iter().copied()).collect();
    let original_codes = encode_means(model, &originals, side, device);
    let photos: Vec<f32> = taken.iter().filter_map(|t| t.2.clone()).flatten().collect();
    let mut photo_codes = encode_means(model, &photos, side, device).into_iter();
    let raw: Vec<f32> = indices
        .iter()
        .flat_map(|&i| floats(source.image(i)))
        .collect();
    let raw_codes = encode_means(model, &raw, side, device);

    let classes = class_names.len();
    let mut per = vec![[0usize; 3]; classes]; // queries, originals agree, photos agree
    let (mut neighbours, mut moved, mut refused) = ([0.0f64; 2], 0usize, 0usize);
    let mut ranks = Vec::new();
    let mut examples = Vec::new();
    for (q, (&i, (jpeg, original, photo))) in indices.iter().zip(taken).enumerate() {
        let label = source.labels[i] as usize;
        let own = same_set.then_some(i);
        let code = |c: &[f32]| c[q * dim..(q + 1) * dim].to_vec();
        let (o_vote, o_share) = vote(
            &test_codes,
            &test.labels,
            dim,
            &code(&original_codes),
            k,
            own,
        );
        per[label][0] += 1;
        per[label][1] += usize::from(o_vote == label);
        neighbours[0] += o_share(label);
        let photo_code: Option<Vec<f32>> = photo.as_ref().map(|_| {
            (0..dim)
                .map(|_| photo_codes.next().expect("one code per photo"))
                .collect()
        });
        let p_vote = photo_code.as_ref().map(|z| {
            let (v, share) = vote(&test_codes, &test.labels, dim, z, k, own);
            per[label][2] += usize::from(v == label);
            neighbours[1] += share(label);
            moved += usize::from(v != o_vote);
            ranks.push(rank(&test_codes, dim, z, &code(&raw_codes), own));
            v
        });
        if p_vote.is_none() {
            refused += 1;
            moved += 1;
        }
        let bytes = |x: &[f32]| {
            x.iter()
                .map(|&v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                .collect()
        };
        examples.push(Example {
            label,
            photo: jpeg,
            original_input: bytes(&original),
            photo_input: photo.as_deref().map(bytes),
            original_vote: o_vote,
            photo_vote: p_vote,
        });
    }
    ranks.sort_unstable();
    let n = indices.len().max(1) as f64;
    let share = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let placement = Placement {
        from: if same_set { "test" } else { "train" }.into(),
        queries: indices.len(),
        k,
        originals_agree: per.iter().map(|c| c[1]).sum::<usize>() as f64 / n,
        photos_agree: per.iter().map(|c| c[2]).sum::<usize>() as f64 / n,
        originals_neighbours: neighbours[0] / n,
        photos_neighbours: neighbours[1] / n,
        photos_moved: moved as f64 / n,
        original_rank_median: ranks.get(ranks.len() / 2).map_or(f64::NAN, |&r| r as f64),
        refused,
        per_class: per
            .iter()
            .zip(class_names)
            .map(|(c, name)| ClassPlacement {
                class: name.clone(),
                queries: c[0],
                originals_agree: share(c[1], c[0]),
                photos_agree: share(c[2], c[0]),
            })
            .collect(),
    };
    (placement, examples)
}

/// The contact sheet a person looks at: per example the photo, the input the preprocessing
/// made of it, the original's input, and the classes the neighbourhoods voted for (red: wrong).
pub fn contact_sheet(examples: &[Example], class_names: &[String], side: usize) -> Canvas {
    const BOX: i64 = 96;
    const COLS: usize = 4;
    let scale = (BOX as usize / side).max(1);
    let cell_w = BOX * 3 + 30;
    let cell_h = BOX + 40;
    let rows = examples.len().div_ceil(COLS);
    let mut c = Canvas::new(
        (cell_w * COLS as i64 + 10) as usize,
        (cell_h * rows as i64 + 40) as usize,
        WHITE,
    );
    c.text(
        10,
        10,
        "photo | its input | original's input  (neighbourhood vote; red: not the class)",
        1,
        BLACK,
    );
    for (n, e) in examples.iter().enumerate() {
        let (x, y) = (
            10 + (n % COLS) as i64 * cell_w,
            30 + (n / COLS) as i64 * cell_h,
        );
        if let Ok((rgba, w, h)) = decode_jpeg(&e.photo) {
            let f = (w.max(h) as f64 / BOX as f64).max(1.0);
            for ty in 0..(h as f64 / f) as i64 {
                for tx in 0..(w as f64 / f) as i64 {
                    let p = &rgba[((ty as f64 * f) as usize * w + (tx as f64 * f) as usize) * 4..];
                    c.set(x + tx, y + ty, [p[0], p[1], p[2]]);
                }
            }
        }
        if let Some(input) = &e.photo_input {
            c.grey_image(x + BOX + 8, y, side, input, scale);
        }
        c.grey_image(x + 2 * BOX + 16, y, side, &e.original_input, scale);
        let name = |v: usize| class_names.get(v).map_or("?", |s| s.as_str());
        let colour = |ok: bool| if ok { BLACK } else { [200, 30, 30] };
        let photo_vote = e.photo_vote.map_or("refused", name);
        c.text(
            x,
            y + BOX + 6,
            &format!("{}: {}", name(e.label), photo_vote),
            1,
            colour(e.photo_vote == Some(e.label)),
        );
        c.text(
            x + 2 * BOX + 16,
            y + BOX + 18,
            name(e.original_vote),
            1,
            colour(e.original_vote == e.label),
        );
    }
    c
}

fn distance2(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// The majority class of the k test codes nearest `z` (ties go to the class of the nearest of
/// the tied), and a function giving the share of the k with a class. `own` is left out.
fn vote(
    codes: &[f32],
    labels: &[u8],
    dim: usize,
    z: &[f32],
    k: usize,
    own: Option<usize>,
) -> (usize, impl Fn(usize) -> f64 + use<>) {
    let mut near: Vec<(f32, usize)> = codes
        .chunks(dim)
        .enumerate()
        .filter(|&(j, _)| Some(j) != own)
        .map(|(j, c)| (distance2(c, z), j))
        .collect();
    let k = k.min(near.len()).max(1);
    near.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
    near.truncate(k);
    near.sort_by(|a, b| a.0.total_cmp(&b.0));
    let classes: Vec<usize> = near.iter().map(|&(_, j)| labels[j] as usize).collect();
    let count = |c: usize| classes.iter().filter(|&&l| l == c).count();
    let most = classes.iter().map(|&c| count(c)).max().unwrap_or(0);
    let winner = *classes.iter().find(|&&c| count(c) == most).expect("k >= 1");
    let shares = move |c: usize| classes.iter().filter(|&&l| l == c).count() as f64 / k as f64;
    (winner, shares)
}

/// How many test codes (leaving out `own`) lie closer to `z` than `original` does.
fn rank(codes: &[f32], dim: usize, z: &[f32], original: &[f32], own: Option<usize>) -> usize {
    let d = distance2(original, z);
    codes
        .chunks(dim)
        .enumerate()
        .filter(|&(j, c)| Some(j) != own && distance2(c, z) < d)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vote_is_the_majority_of_the_nearest_and_leaves_the_query_out() {
        // 1-D codes: class 0 at 0, 0.1, 0.2; class 1 at 1.0, 1.1; the query's own code at 0.05.
        let codes = [0.0, 0.1, 0.2, 1.0, 1.1, 0.05];
        let labels = [0, 0, 0, 1, 1, 1];
        let (v, share) = vote(&codes, &labels, 1, &[0.06], 3, Some(5));
        assert_eq!(v, 0);
        assert!((share(0) - 1.0).abs() < 1e-9);
        // With its own code counted, the nearest is class 1's; 2 of 3 are still class 0.
        let (v, share) = vote(&codes, &labels, 1, &[0.06], 3, None);
        assert_eq!((v, share(1)), (0, 1.0 / 3.0));
        // A tie (one each) goes to the nearest's class.
        assert_eq!(vote(&codes, &labels, 1, &[0.9], 2, Some(5)).0, 1);
        assert_eq!(rank(&codes, 1, &[0.0], &[0.15], Some(5)), 2);
    }

    #[test]
    fn queries_are_spread_over_the_classes() {
        let labels: Vec<u8> = (0..100).map(|i| if i < 90 { 0 } else { 1 }).collect();
        let set = ImageSet {
            side: 1,
            pixels: vec![0; 100],
            labels,
        };
        let q = pick_queries(&set, 20, 1);
        assert_eq!(q.len(), 20);
        assert_eq!(q.iter().filter(|&&i| i >= 90).count(), 10);
        // Asking for more than there are returns every image once.
        let mut all = pick_queries(&set, 500, 1);
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}
