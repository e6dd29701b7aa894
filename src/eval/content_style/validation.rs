//! Choosing settings without looking at the test: the background alphabets a run held out of
//! training (`train --validation-alphabets`) give one-shot episodes built like the official runs
//! and per-alphabet clustering, so the evaluation alphabets and the official 20 runs are scored
//! once, for the model already chosen.

use super::measures::{
    DrawingInput, by_alphabet, cluster_and_diagnose_by_alphabet, columns, recon_bce_at_means,
    sq_dist, swap_test,
};
use crate::data::omniglot::{DRAWERS, Omniglot, SIDE};
use crate::data::upload::median_extent;
use crate::eval::metrics::{encode_means, mean, standard_error};
use crate::eval::oneshot::nearest;
use crate::model::Vae;
use crate::rng::Rng;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

/// Classes per episode, as in the official runs.
pub const WAYS: usize = 20;
/// Episodes per evaluation: 200 x 20 queries keep the standard error near half a point.
pub const EPISODES: usize = 200;
/// Swap-test pairs per held-out alphabet: five alphabets give the test's 1,000 pairs.
pub const SWAP_PAIRS: usize = 200;

/// `eval`'s `validation` object (stable keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidationMetrics {
    /// The held-out background alphabets.
    pub alphabets: Vec<String>,
    /// 20-way one-shot error over `episodes` episodes (nearest content mean, as `oneshot_error`).
    pub oneshot_error: f64,
    /// Its standard error: the spread of the episodes' error rates over √episodes.
    pub oneshot_error_se: f64,
    /// The same episodes with every drawing put through the page's upload preprocessing from
    /// its 105x105 original (as `oneshot_error_page`; the fit is these drawings' median extent).
    /// Absent in metrics written before it was measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oneshot_error_page: Option<f64>,
    pub episodes: usize,
    /// k-means on content means per held-out alphabet (k = its characters), as
    /// `content_cluster_acc` / `content_nmi`.
    pub content_cluster_acc: f64,
    pub content_nmi: f64,
    /// Where that clustering loses characters (`measures::ClusterDiagnosis`): the accuracy of
    /// the k-means optimum reached from the characters' own centres, and k-means' inertia over
    /// that optimum's. Absent in metrics written before they were measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_cluster_acc_from_characters: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_kmeans_inertia_ratio: Option<f64>,
    /// The swap test on the held-out alphabets (`SWAP_PAIRS` pairs each, as `swap_content_acc`,
    /// `swap_style_acc`, `recon_content_acc`): what the page's content x style grid shows, which
    /// one-shot error and clustering do not measure. Absent in metrics written before it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_content_acc: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap_style_acc: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recon_content_acc: Option<f64>,
    /// Reconstruction BCE per held-out drawing from its mean code, as `recon_bce` (nats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recon_bce: Option<f64>,
}

/// The background alphabets a run held out: their 28x28 drawings and, for the page's path, the
/// 105x105 ink masks they were made from (`data::omniglot::ink_masks`, in the same order).
#[derive(Debug, Clone)]
pub struct HeldOut {
    pub data: Omniglot,
    pub ink: Vec<Vec<bool>>,
}

/// A 20-way one-shot episode within one alphabet: `training[j]` and `test[j]` are drawings (by
/// two different people, the same two for the whole episode) of character j.
#[derive(Debug, Clone, PartialEq)]
pub struct Episode {
    pub training: Vec<usize>,
    pub test: Vec<usize>,
}

/// `count` episodes over `data`'s alphabets in turn (each needs at least 20 characters): 20 of
/// the alphabet's characters and two of the 20 drawers, drawn from `seed`, so every model is
/// scored on the same episodes.
pub fn episodes(data: &Omniglot, count: usize, seed: u64) -> Result<Vec<Episode>, String> {
    // Per alphabet, per character: its drawing by each drawer.
    let mut table: Vec<Vec<(u16, [usize; DRAWERS])>> = vec![vec![]; data.alphabets.len()];
    for i in 0..data.len() {
        let chars = &mut table[data.alphabet[i] as usize];
        let slot = match chars.iter().position(|(c, _)| *c == data.character[i]) {
            Some(s) => s,
            None => {
                chars.push((data.character[i], [usize::MAX; DRAWERS]));
                chars.len() - 1
            }
        };
        chars[slot].1[data.drawer[i] as usize - 1] = i;
    }
    if let Some(a) = table.iter().position(|chars| chars.len() < WAYS) {
        return Err(format!(
            "validation alphabet {} has {} characters; a {WAYS}-way episode needs {WAYS}",
            data.alphabets[a],
            table[a].len()
        ));
    }
    let mut rng = Rng::derive(seed, 0x7a1, 0);
    Ok((0..count)
        .map(|e| {
            let chars = &table[e % table.len()];
            let mut order: Vec<usize> = (0..chars.len()).collect();
            rng.shuffle(&mut order);
            let first = rng.below(DRAWERS);
            let second = (first + 1 + rng.below(DRAWERS - 1)) % DRAWERS;
            let pick = |d: usize| order[..WAYS].iter().map(|&c| chars[c].1[d]).collect();
            Episode {
                training: pick(first),
                test: pick(second),
            }
        })
        .collect())
}

/// Error rate of each episode: a test drawing is wrong when the nearest training drawing (by
/// squared distance between `codes`, `dim` wide) is another character's.
pub fn episode_errors(episodes: &[Episode], codes: &[f32], dim: usize) -> Vec<f64> {
    let code = |i: usize| &codes[i * dim..(i + 1) * dim];
    episodes
        .iter()
        .map(|ep| {
            let wrong = ep
                .test
                .iter()
                .enumerate()
                .filter(|&(j, &t)| {
                    nearest(ep.training.len(), |k| {
                        sq_dist(code(t), code(ep.training[k]))
                    }) != j
                })
                .count();
            wrong as f64 / ep.test.len().max(1) as f64
        })
        .collect()
}

/// Score `model` on the held-out alphabets.
pub fn validate(
    model: &Vae,
    content_dim: usize,
    held: &HeldOut,
    device: &Device,
    restarts: usize,
    seed: u64,
) -> Result<ValidationMetrics, String> {
    let data = &held.data;
    if held.ink.len() != data.len() {
        return Err(format!(
            "{} ink masks for {} held-out drawings",
            held.ink.len(),
            data.len()
        ));
    }
    let episodes = episodes(data, EPISODES, seed)?;
    let dim = model.encoder.latent_dim();
    let content_of = |pixels: &[f32]| {
        columns(
            &encode_means(model, pixels, SIDE, device),
            dim,
            0,
            content_dim,
        )
    };
    let pixels: Vec<f32> = data.pixels.iter().map(|&p| p as f32 / 255.0).collect();
    let means = encode_means(model, &pixels, SIDE, device);
    let content = columns(&means, dim, 0, content_dim);
    let errors = episode_errors(&episodes, &content, content_dim);
    let page = DrawingInput::Page {
        fit: median_extent(&data.image_set()),
    };
    let page_pixels: Vec<f32> = held.ink.iter().flat_map(|m| page.pixels(m)).collect();
    let page_errors = episode_errors(&episodes, &content_of(&page_pixels), content_dim);
    let groups = by_alphabet(data);
    let ((content_cluster_acc, content_nmi), diagnosis) =
        cluster_and_diagnose_by_alphabet(&groups, &content, content_dim, restarts, seed);
    let (swap_content, swap_style, recon_content) = swap_test(
        model,
        &groups,
        &means,
        content_dim,
        SWAP_PAIRS,
        seed,
        device,
    );
    Ok(ValidationMetrics {
        alphabets: data.alphabets.clone(),
        oneshot_error: mean(&errors),
        oneshot_error_se: standard_error(&errors),
        oneshot_error_page: Some(mean(&page_errors)),
        episodes: episodes.len(),
        content_cluster_acc,
        content_nmi,
        content_cluster_acc_from_characters: Some(diagnosis.acc_from_characters),
        content_kmeans_inertia_ratio: Some(diagnosis.inertia_ratio),
        swap_content_acc: Some(swap_content),
        swap_style_acc: Some(swap_style),
        recon_content_acc: Some(recon_content),
        recon_bce: Some(recon_bce_at_means(model, &pixels, &means, dim, device)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::omniglot::Split;

    /// Alphabets of the given character counts, each character drawn by all 20 drawers.
    fn synthetic(chars_per_alphabet: &[usize]) -> Omniglot {
        let mut data = Omniglot {
            split: Split::Background,
            pixels: vec![],
            alphabet: vec![],
            character: vec![],
            drawer: vec![],
            alphabets: vec![],
            characters: vec![],
            source: "synthetic".into(),
        };
        for (a, &n) in chars_per_alphabet.iter().enumerate() {
            data.alphabets.push(format!("A{a}"));
            for c in 0..n {
                let id = data.characters.len() as u16;
                data.characters.push(format!("A{a}/character{c:02}"));
                // Drawers in a scrambled order: episodes must not rely on the file order.
                for d in (1..=DRAWERS as u8).rev() {
                    data.pixels.extend([0u8; SIDE * SIDE]);
                    data.alphabet.push(a as u16);
                    data.character.push(id);
                    data.drawer.push(d);
                }
            }
        }
        data
    }

    #[test]
    fn episodes_are_twenty_way_within_one_alphabet_by_two_drawers() {
        let data = synthetic(&[20, 25]);
        let eps = episodes(&data, 60, 3).unwrap();
        assert_eq!(eps.len(), 60);
        let mut pairs = std::collections::BTreeSet::new();
        let mut seen = std::collections::BTreeSet::new();
        for (e, ep) in eps.iter().enumerate() {
            assert_eq!((ep.training.len(), ep.test.len()), (WAYS, WAYS));
            let all = ep.training.iter().chain(&ep.test);
            assert!(all.clone().all(|&i| data.alphabet[i] as usize == e % 2));
            let mut chars: Vec<u16> = ep.training.iter().map(|&i| data.character[i]).collect();
            for (&tr, &te) in ep.training.iter().zip(&ep.test) {
                assert_eq!(data.character[tr], data.character[te], "same character");
            }
            chars.sort_unstable();
            chars.dedup();
            assert_eq!(chars.len(), WAYS, "20 different characters");
            let d1 = data.drawer[ep.training[0]];
            let d2 = data.drawer[ep.test[0]];
            assert_ne!(d1, d2, "two different people");
            assert!(ep.training.iter().all(|&i| data.drawer[i] == d1));
            assert!(ep.test.iter().all(|&i| data.drawer[i] == d2));
            pairs.insert((d1, d2));
            seen.extend(chars);
        }
        assert!(pairs.len() > 20, "drawers vary: {pairs:?}");
        assert_eq!(seen.len(), 45, "every character takes part");
        assert_eq!(episodes(&data, 60, 3).unwrap(), eps, "fixed by the seed");
        assert_ne!(episodes(&data, 60, 4).unwrap(), eps);
    }

    #[test]
    fn an_alphabet_too_small_for_an_episode_is_refused() {
        let err = episodes(&synthetic(&[20, 19]), 4, 0).unwrap_err();
        assert!(err.contains("A1 has 19 characters"), "{err}");
    }

    #[test]
    fn episode_errors_count_the_nearest_neighbours_mistakes() {
        // Training drawing j at 10j, its test drawing at 10j + 1: all right.
        let ep = Episode {
            training: (0..20).collect(),
            test: (20..40).collect(),
        };
        let mut codes: Vec<f32> = (0..20).map(|j| 10.0 * j as f32).collect();
        codes.extend((0..20).map(|j| 10.0 * j as f32 + 1.0));
        let two = [ep.clone(), ep];
        assert_eq!(episode_errors(&two, &codes, 1), vec![0.0, 0.0]);
        // Test drawing 5 lands next to training drawing 3: one error in 20, in each episode.
        codes[25] = 31.0;
        assert_eq!(episode_errors(&two, &codes, 1), vec![0.05, 0.05]);
    }
}
