//! What each category of a categorical code holds: the page names a cluster by the test class
//! most of its images belong to, so a person picking "cluster 4" knows it is mostly bags.

use serde::Serialize;

/// One category's test images: how many, and the class most of them are (with its count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Makeup {
    pub size: usize,
    /// The most common label and how many carry it; `None` for an empty category. Ties go to
    /// the smaller label, so the name does not depend on the images' order.
    pub top: Option<(usize, usize)>,
}

/// The makeup of each of `k` categories, given each test image's category and label (pairs
/// with a category outside `0..k` are skipped).
pub fn makeup(categories: &[u8], labels: &[u8], k: usize) -> Vec<Makeup> {
    let classes = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut counts = vec![vec![0usize; classes]; k];
    for (&c, &l) in categories.iter().zip(labels) {
        if let Some(row) = counts.get_mut(c as usize) {
            row[l as usize] += 1;
        }
    }
    counts
        .into_iter()
        .map(|row| {
            let size = row.iter().sum();
            // max_by_key keeps the last of equal maxima: scan from the back for the first.
            let top = (size > 0).then(|| {
                let (label, &count) = row
                    .iter()
                    .enumerate()
                    .rev()
                    .max_by_key(|&(_, &n)| n)
                    .expect("a non-empty category has a class");
                (label, count)
            });
            Makeup { size, top }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_category_is_named_by_its_most_common_label() {
        // Category 0: labels 2, 2, 1; category 1: empty; category 2: labels 0, 3 (a tie -> 0).
        let categories = [0, 2, 0, 0, 2, 7];
        let labels = [2, 3, 1, 2, 0, 1];
        let m = makeup(&categories, &labels, 3);
        assert_eq!(
            m,
            vec![
                Makeup {
                    size: 3,
                    top: Some((2, 2))
                },
                Makeup { size: 0, top: None },
                Makeup {
                    size: 2,
                    top: Some((0, 1))
                },
            ]
        );
    }
}
