//! The Omniglot 20-way one-shot benchmark: classify each test drawing as the training drawing it
//! is closest to, under some distance, and count the errors over the official 20 runs.

use crate::data::omniglot::{OneShotRun, SOURCE_SIDE};

/// Error rate (0..=1) of nearest-neighbour classification under `distance(test, training)`
/// in each run; `distance(r, i, j)` compares test item i of run r with its training drawing j.
pub fn run_error_rates(
    runs: &[OneShotRun],
    mut distance: impl FnMut(usize, usize, usize) -> f64,
) -> Vec<f64> {
    runs.iter()
        .enumerate()
        .map(|(r, run)| {
            let errors = run
                .answer
                .iter()
                .enumerate()
                .filter(|&(i, &answer)| {
                    nearest(run.training.len(), |j| distance(r, i, j)) != answer
                })
                .count();
            errors as f64 / run.answer.len().max(1) as f64
        })
        .collect()
}

/// The error rate over all runs (each run has the same number of test items).
pub fn error_rate(runs: &[OneShotRun], distance: impl FnMut(usize, usize, usize) -> f64) -> f64 {
    crate::eval::metrics::mean(&run_error_rates(runs, distance))
}

/// The candidate in `0..n` with the smallest `distance` (the first of equals).
pub fn nearest(n: usize, mut distance: impl FnMut(usize) -> f64) -> usize {
    (0..n)
        .map(|j| (j, distance(j)))
        .fold(
            (usize::MAX, f64::INFINITY),
            |a, b| if b.1 < a.1 { b } else { a },
        )
        .0
}

/// Ink pixels as (row, column) points centred on their mean, as in Lake et al.'s baseline.
pub fn centred_points(ink: &[bool]) -> Vec<(f64, f64)> {
    let pts: Vec<(f64, f64)> = ink
        .iter()
        .enumerate()
        .filter(|(_, on)| **on)
        .map(|(i, _)| ((i / SOURCE_SIDE) as f64, (i % SOURCE_SIDE) as f64))
        .collect();
    let n = pts.len().max(1) as f64;
    let (my, mx) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), p| (a + p.0 / n, b + p.1 / n));
    pts.iter().map(|&(y, x)| (y - my, x - mx)).collect()
}

/// Modified Hausdorff distance (Dubuisson & Jain 1994): the larger of the two mean
/// nearest-neighbour distances between the point sets.
pub fn modified_hausdorff(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    let mean_min = |p: &[(f64, f64)], q: &[(f64, f64)]| {
        p.iter()
            .map(|&(y, x)| {
                q.iter()
                    .map(|&(v, u)| (y - v).powi(2) + (x - u).powi(2))
                    .fold(f64::INFINITY, f64::min)
                    .sqrt()
            })
            .sum::<f64>()
            / p.len().max(1) as f64
    };
    mean_min(a, b).max(mean_min(b, a))
}

/// The pixel baseline: nearest neighbour under the Modified Hausdorff distance of centred ink.
pub fn pixel_baseline_error(runs: &[OneShotRun]) -> f64 {
    // Per run: the test drawings' and the training drawings' centred ink points.
    type Drawings = Vec<Vec<(f64, f64)>>;
    let points: Vec<(Drawings, Drawings)> = runs
        .iter()
        .map(|r| {
            (
                r.test.iter().map(|d| centred_points(d)).collect(),
                r.training.iter().map(|d| centred_points(d)).collect(),
            )
        })
        .collect();
    error_rate(runs, |r, i, j| {
        modified_hausdorff(&points[r].0[i], &points[r].1[j])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(offset: usize, side: usize) -> Vec<bool> {
        let mut ink = vec![false; SOURCE_SIDE * SOURCE_SIDE];
        for y in offset..offset + side {
            for x in offset..offset + side {
                ink[y * SOURCE_SIDE + x] = true;
            }
        }
        ink
    }

    #[test]
    fn hausdorff_of_known_sets() {
        let a = [(0.0, 0.0), (0.0, 1.0)];
        let b = [(0.0, 0.0), (0.0, 3.0)];
        // a->b: 0 and 1 -> mean 0.5; b->a: 0 and 2 -> mean 1.0.
        assert_eq!(modified_hausdorff(&a, &b), 1.0);
        assert_eq!(modified_hausdorff(&a, &a), 0.0);
        // Centring makes a shifted copy identical.
        let shifted = modified_hausdorff(
            &centred_points(&square(10, 5)),
            &centred_points(&square(40, 5)),
        );
        assert!(shifted.abs() < 1e-9, "{shifted}");
    }

    #[test]
    fn scorer_counts_errors_against_the_answer_key() {
        // Training classes are squares of sides 2, 4, ..., 40; test items are the same squares
        // shifted, in reverse order, so nearest neighbour is always right...
        let training: Vec<Vec<bool>> = (1..=20).map(|k| square(5, 2 * k)).collect();
        let test: Vec<Vec<bool>> = (1..=20).rev().map(|k| square(50, 2 * k)).collect();
        let answer: Vec<usize> = (0..20).rev().collect();
        let mut run = OneShotRun {
            name: "r".into(),
            training,
            test,
            answer,
        };
        assert_eq!(pixel_baseline_error(std::slice::from_ref(&run)), 0.0);
        // ...and exactly the items whose answers are wrong count as errors.
        run.answer.swap(0, 1);
        run.answer[5] = 19;
        assert_eq!(pixel_baseline_error(std::slice::from_ref(&run)), 3.0 / 20.0);
    }
}
