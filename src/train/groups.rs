//! The order of an epoch's groups (Omniglot: drawings of one character), from which
//! `batches::BatchPlan` cuts group batches.

use crate::rng::Rng;
use std::collections::BTreeMap;

/// Every group's images (indices into the training set), each group's in a fresh random order;
/// groups in label order. Both orders below start here, so they draw the same shuffles.
fn shuffled_members(group_of: &[u32], rng: &mut Rng) -> Vec<Vec<usize>> {
    let count = group_of.iter().max().map_or(0, |&g| g as usize + 1);
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (i, &g) in group_of.iter().enumerate() {
        members[g as usize].push(i);
    }
    for m in &mut members {
        rng.shuffle(m);
    }
    members
}

/// One epoch's groups: every group's images shuffled and cut into groups of `k` (a remainder
/// is dropped for that epoch), then all groups shuffled. Indices into the training set.
pub fn epoch_groups(group_of: &[u32], k: usize, rng: &mut Rng) -> Vec<Vec<usize>> {
    let mut groups: Vec<Vec<usize>> = shuffled_members(group_of, rng)
        .iter()
        .flat_map(|m| m.chunks_exact(k).map(<[usize]>::to_vec))
        .collect();
    rng.shuffle(&mut groups);
    groups
}

/// One epoch's groups as `epoch_groups` cuts them, ordered so that consecutive groups share their
/// images' label (Omniglot: a character's alphabet) and no group repeats within a round: round r
/// holds each group label's r-th group of k; within a round the labels come in a fresh random
/// order, each label's groups together in random order. Cut into batches, most batches then hold
/// the characters of one or two alphabets: the prototype term's negatives are the characters an
/// alphabet's one-shot episode and clustering must tell apart, not mostly other scripts.
pub fn epoch_groups_by_label(
    group_of: &[u32],
    labels: &[u8],
    k: usize,
    rng: &mut Rng,
) -> Vec<Vec<usize>> {
    // Per label, its groups (characters) in order, each as its chunks of k.
    let mut by_label: BTreeMap<u8, Vec<Vec<Vec<usize>>>> = BTreeMap::new();
    for m in shuffled_members(group_of, rng) {
        if let Some(&first) = m.first() {
            let chunks = m.chunks_exact(k).map(<[usize]>::to_vec).collect();
            by_label.entry(labels[first]).or_default().push(chunks);
        }
    }
    let rounds = by_label.values().flatten().map(Vec::len).max().unwrap_or(0);
    let mut order: Vec<u8> = by_label.keys().copied().collect();
    let mut out = Vec::new();
    for r in 0..rounds {
        rng.shuffle(&mut order);
        for label in &order {
            let mut round: Vec<Vec<usize>> = by_label[label]
                .iter()
                .filter_map(|chunks| chunks.get(r).cloned())
                .collect();
            rng.shuffle(&mut round);
            out.extend(round);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_hold_one_label_each_and_every_image_at_most_once() {
        // Three groups of 5, 4 and 6 images, interleaved; groups of 2 per epoch.
        let labels: Vec<u32> = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 2, 2].to_vec();
        let groups = epoch_groups(&labels, 2, &mut Rng::new(1));
        assert_eq!(groups.len(), 2 + 2 + 3);
        let mut seen: Vec<usize> = groups.concat();
        assert!(groups.iter().all(|g| labels[g[0]] == labels[g[1]]));
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 14);
        assert_ne!(groups, epoch_groups(&labels, 2, &mut Rng::new(2)));
    }

    #[test]
    fn groups_by_label_come_round_by_round_with_each_label_together() {
        // Six characters of 4 drawings each (two groups of 2 each): characters 0-3 of alphabet
        // 0, 4-5 of alphabet 1; drawings interleaved.
        let group_of: Vec<u32> = (0..24).map(|i| i % 6).collect();
        let labels: Vec<u8> = group_of.iter().map(|&g| u8::from(g >= 4)).collect();
        let order = epoch_groups_by_label(&group_of, &labels, 2, &mut Rng::new(1));
        assert_eq!(order.len(), 12);
        let mut seen = order.concat();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 24);
        let character = |g: &Vec<usize>| {
            assert_eq!(group_of[g[0]], group_of[g[1]]);
            group_of[g[0]]
        };
        for round in order.chunks(6) {
            // Each round: every character once, each alphabet's characters together.
            let mut chars: Vec<u32> = round.iter().map(character).collect();
            let alphabets: Vec<u8> = round.iter().map(|g| labels[g[0]]).collect();
            let switches = alphabets.windows(2).filter(|w| w[0] != w[1]).count();
            assert_eq!(switches, 1, "{alphabets:?}");
            chars.sort_unstable();
            assert_eq!(chars, [0, 1, 2, 3, 4, 5]);
        }
        assert_ne!(
            order,
            epoch_groups_by_label(&group_of, &labels, 2, &mut Rng::new(2))
        );
    }
}
