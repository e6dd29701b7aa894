//! t-SNE (van der Maaten & Hinton, 2008) for the evaluation's 2-D pictures of a latent space:
//! bhtsne's Barnes-Hut t-SNE (θ = 0.5, van der Maaten 2014) on one thread, started from a seeded
//! random embedding, so the same seed draws the same picture. It replaced a hand-written exact
//! t-SNE: on 1,600 fmnist-16d codes with these settings it takes 1.13 s against 5.56 s and keeps
//! 53.7% of each point's 10 nearest neighbours against 54.1% (bhtsne's own exact t-SNE on two
//! threads: 3.81 s, 53.9%); `cargo run --release --example crates_compare --features
//! crate-compare` measures it, and did so at a600387 for the hand-written one.

use crate::rng::Rng;

/// Row-major `n x dim` points -> `n x 2` embedding. `perplexity` ≈ the effective number of
/// neighbours each point attends to (30 is customary); early exaggeration (12) and the momentum
/// switch (0.5 → 0.8) happen at iteration 250.
pub fn tsne(data: &[f32], dim: usize, perplexity: f64, iterations: usize, seed: u64) -> Vec<f32> {
    let n = data.len() / dim;
    // Barnes-Hut needs a few points, and a perplexity the points can support.
    if n < 4 {
        return vec![0.0; n * 2];
    }
    let perplexity = perplexity.min((n - 1) as f64 / 3.0) as f32;
    let mut rng = Rng::new(seed);
    let start: Vec<f32> = (0..2 * n).map(|_| rng.normal() * 1e-4).collect();
    let rows: Vec<&[f32]> = data.chunks_exact(dim).collect();
    let run = || {
        let mut fit = bhtsne::tSNE::<f32, &[f32], 2>::new(&rows);
        fit.perplexity(perplexity)
            .epochs(iterations)
            // bhtsne leaves the gradient's factor 4 out: 4 × the usual n / 12 (at least 50).
            .learning_rate(4.0 * (n as f32 / 12.0).max(50.0))
            .early_exaggeration(12.0)
            .stop_lying_epoch(250.min(iterations))
            .momentum_switch_epoch(250.min(iterations))
            .initial_embedding(start.clone())
            .barnes_hut(0.5, |a, b| {
                a.iter()
                    .zip(*b)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum::<f32>()
                    .sqrt()
            });
        fit.embedding()
    };
    // One thread: bhtsne's parallel sums add up in whatever order its threads finish, so the
    // same seed would draw a slightly different picture on every run.
    match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separated_clusters_stay_separated_and_neighbours_are_kept() {
        // Three clusters of 40 points in 10-d, centres 10 apart, unit spread.
        let (per, dim) = (40, 10);
        let mut rng = Rng::new(7);
        let mut data = Vec::new();
        for c in 0..3 {
            for _ in 0..per {
                for k in 0..dim {
                    data.push(rng.normal() + if k == c { 10.0 } else { 0.0 });
                }
            }
        }
        let y = tsne(&data, dim, 15.0, 500, 1);
        assert_eq!(y, tsne(&data, dim, 15.0, 500, 1), "seeded, so repeatable");
        let n = 3 * per;
        let dist = |i: usize, j: usize| {
            (y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2)
        };
        let kept = (0..n)
            .filter(|&i| {
                let nn = (0..n)
                    .filter(|&j| j != i)
                    .min_by(|&a, &b| dist(i, a).total_cmp(&dist(i, b)))
                    .unwrap();
                nn / per == i / per
            })
            .count();
        assert_eq!(
            kept, n,
            "every point's nearest neighbour in 2-D is from its own cluster"
        );
        // Between-cluster gaps dwarf within-cluster spread.
        let mean_within: f32 = (0..per).map(|i| dist(i, (i + 1) % per)).sum::<f32>() / per as f32;
        let between = dist(0, per) + dist(0, 2 * per) + dist(per, 2 * per);
        assert!(
            between / 3.0 > 10.0 * mean_within,
            "{between} vs {mean_within}"
        );
    }
}
