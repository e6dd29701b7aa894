//! Exact t-SNE (van der Maaten & Hinton, 2008) for the evaluation's 2-D pictures of a latent
//! space. O(n²) per iteration, which is seconds for the few thousand points the plots use.

use crate::rng::Rng;

/// Row-major `n x dim` points -> `n x 2` embedding. `perplexity` ≈ the effective number of
/// neighbours each point attends to (30 is customary).
pub fn tsne(data: &[f32], dim: usize, perplexity: f64, iterations: usize, seed: u64) -> Vec<f32> {
    let n = data.len() / dim;
    if n < 3 {
        return vec![0.0; n * 2];
    }
    let d2 = |i: usize, j: usize| -> f64 {
        data[i * dim..(i + 1) * dim]
            .iter()
            .zip(&data[j * dim..(j + 1) * dim])
            .map(|(a, b)| (*a as f64 - *b as f64).powi(2))
            .sum()
    };
    let p = joint_probabilities(n, d2, perplexity.min((n - 1) as f64 / 3.0));
    let mut rng = Rng::new(seed);
    let mut y: Vec<f64> = (0..2 * n).map(|_| rng.normal() as f64 * 1e-4).collect();
    let mut update = vec![0.0f64; 2 * n];
    let mut gains = vec![1.0f64; 2 * n];
    let mut num = vec![0.0f64; n * n];
    let mut grad = vec![0.0f64; 2 * n];
    let learning_rate = (n as f64 / 12.0).max(50.0);
    for it in 0..iterations {
        // Early exaggeration lets clusters form before the fine structure settles.
        let (exaggeration, momentum) = if it < 250 { (12.0, 0.5) } else { (1.0, 0.8) };
        let mut z = 0.0;
        for i in 0..n {
            for j in i + 1..n {
                let q = 1.0
                    / (1.0 + (y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2));
                num[i * n + j] = q;
                num[j * n + i] = q;
                z += 2.0 * q;
            }
        }
        grad.iter_mut().for_each(|g| *g = 0.0);
        for i in 0..n {
            let (mut gx, mut gy) = (0.0, 0.0);
            for j in 0..n {
                if i == j {
                    continue;
                }
                let q = num[i * n + j];
                let m = (exaggeration * p[i * n + j] - q / z) * q;
                gx += m * (y[2 * i] - y[2 * j]);
                gy += m * (y[2 * i + 1] - y[2 * j + 1]);
            }
            grad[2 * i] = 4.0 * gx;
            grad[2 * i + 1] = 4.0 * gy;
        }
        for k in 0..2 * n {
            gains[k] = if (grad[k] > 0.0) != (update[k] > 0.0) {
                gains[k] + 0.2
            } else {
                (gains[k] * 0.8).max(0.01)
            };
            update[k] = momentum * update[k] - learning_rate * gains[k] * grad[k];
            y[k] += update[k];
        }
        for axis in 0..2 {
            let mean = (0..n).map(|i| y[2 * i + axis]).sum::<f64>() / n as f64;
            (0..n).for_each(|i| y[2 * i + axis] -= mean);
        }
    }
    y.into_iter().map(|v| v as f32).collect()
}

/// Symmetrised affinities `P = (P_j|i + P_i|j) / 2n`, each row's Gaussian bandwidth found by
/// bisection so its entropy is ln(perplexity).
fn joint_probabilities(n: usize, d2: impl Fn(usize, usize) -> f64, perplexity: f64) -> Vec<f64> {
    let target = perplexity.ln();
    let mut p = vec![0.0f64; n * n];
    let mut row = vec![0.0f64; n];
    for i in 0..n {
        let dist: Vec<f64> = (0..n)
            .map(|j| if i == j { 0.0 } else { d2(i, j) })
            .collect();
        let (mut lo, mut hi, mut beta) = (0.0f64, f64::INFINITY, 1.0f64);
        let nearest = (0..n)
            .filter(|&j| j != i)
            .map(|j| dist[j])
            .fold(f64::INFINITY, f64::min);
        for _ in 0..64 {
            let mut sum = 0.0;
            for j in 0..n {
                // Shift by the nearest distance: same probabilities, no underflow to all zeros.
                row[j] = if j == i {
                    0.0
                } else {
                    (-(dist[j] - nearest) * beta).exp()
                };
                sum += row[j];
            }
            let mean_d: f64 = (0..n).map(|j| row[j] * (dist[j] - nearest)).sum::<f64>() / sum;
            let entropy = sum.ln() + beta * mean_d;
            if (entropy - target).abs() < 1e-5 {
                break;
            }
            if entropy > target {
                lo = beta;
                beta = if hi.is_finite() {
                    (beta + hi) / 2.0
                } else {
                    beta * 2.0
                };
            } else {
                hi = beta;
                beta = (beta + lo) / 2.0;
            }
        }
        let sum: f64 = row.iter().sum();
        for j in 0..n {
            p[i * n + j] = row[j] / sum;
        }
    }
    let mut joint = vec![0.0f64; n * n];
    for i in 0..n {
        for j in 0..n {
            joint[i * n + j] = ((p[i * n + j] + p[j * n + i]) / (2.0 * n as f64)).max(1e-12);
        }
    }
    joint
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
