//! The evaluation's hand-written k-means (`eval::cluster`) measured against linfa-clustering's
//! (k-means++ seeding, restarts), and its t-SNE (`eval::tsne`: bhtsne's Barnes-Hut, since it
//! beat a hand-written exact one, see that file) against bhtsne's exact t-SNE, on the same data
//! and settings. What it prints decided which one `eval` uses (README, "Figures"):
//!
//!     cargo run --release --example crates_compare --features crate-compare -- pkg/fmnist-16d.safetensors
//!
//! Timings are medians of `REPS` runs, one after the other on the same machine; quality is
//! measured the same way for every implementation (k-means: the within-cluster sum of squares
//! and accuracy under the best cluster-to-class matching; t-SNE: the share of each point's 10
//! nearest neighbours in the code space that stay among its 10 nearest in the picture).

use latent_atlas::eval::cluster::{kmeans, matched_accuracy};
use latent_atlas::eval::tsne::tsne;
use latent_atlas::rng::Rng;
use latent_atlas::tensorfile::TensorFile;
use linfa::prelude::*;
use std::time::Instant;

const REPS: usize = 3;

fn main() -> Result<(), String> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "pkg/fmnist-16d.safetensors".into());
    let bytes = std::fs::read(&path).map_err(|e| format!("{path}: {e}"))?;
    let mut file = TensorFile::from_bytes(&bytes)?;
    let (shape, means) = file.take_f32("test.mean")?;
    let (_, labels) = file.take_u8("test.labels")?;
    let (n, dim) = (shape[0], shape[1]);
    let labels: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
    let k = labels.iter().max().map_or(1, |m| m + 1);
    println!("{path}: {n} test codes of {dim} dimensions, {k} classes; medians of {REPS} runs\n");

    // k-means as `eval` runs it: k = the class count, 10 restarts, 300 iterations at most.
    println!("k-means, k = {k}, 10 restarts:");
    let ours = timed(|| kmeans(&means, dim, k, 10, 0));
    report(
        "  eval::cluster::kmeans",
        ours.0,
        &ours.1,
        &means,
        dim,
        &labels,
    );
    let data =
        ndarray15::Array2::from_shape_vec((n, dim), means.iter().map(|&v| f64::from(v)).collect())
            .map_err(|e| e.to_string())?;
    let dataset = DatasetBase::from(data);
    let linfa = timed(|| {
        let model = linfa_clustering::KMeans::params(k)
            .n_runs(10)
            .max_n_iterations(300)
            .fit(&dataset)
            .expect("linfa k-means fits");
        model.predict(&dataset).to_vec()
    });
    report(
        "  linfa-clustering KMeans",
        linfa.0,
        &linfa.1,
        &means,
        dim,
        &labels,
    );

    // t-SNE as the content/style figures run it: 1,600 points, perplexity 30, 750 iterations,
    // early exaggeration 12 for 250 of them; every implementation starts from the same points.
    let m = n.min(1600);
    let sub = &means[..m * dim];
    println!("\nt-SNE of the first {m} codes, perplexity 30, 750 iterations:");
    let ours = timed(|| tsne(sub, dim, 30.0, 750, 0));
    println!(
        "  {:<36} {:>8.2} s   10-NN kept {:.3}",
        "eval::tsne (bhtsne Barnes-Hut, 1 thread)",
        ours.0,
        knn_kept(sub, dim, &ours.1, 10)
    );
    let mut rng = Rng::new(0);
    let start: Vec<f32> = (0..2 * m).map(|_| rng.normal() * 1e-4).collect();
    let rows: Vec<&[f32]> = sub.chunks(dim).collect();
    let sq =
        |a: &&[f32], b: &&[f32]| -> f32 { a.iter().zip(*b).map(|(x, y)| (x - y) * (x - y)).sum() };
    let exact = timed(|| {
        let mut t = bhtsne::tSNE::<f32, &[f32], 2>::new(&rows);
        t.perplexity(30.0)
            .epochs(750)
            .learning_rate(4.0 * (m as f32 / 12.0).max(50.0))
            .early_exaggeration(12.0)
            .stop_lying_epoch(250)
            .momentum_switch_epoch(250)
            .initial_embedding(start.clone())
            .exact(sq);
        t.embedding()
    });
    println!(
        "  {:<36} {:>8.2} s   10-NN kept {:.3}",
        "bhtsne exact (threads)",
        exact.0,
        knn_kept(sub, dim, &exact.1, 10)
    );
    Ok(())
}

/// The median time of `REPS` runs of `f`, in seconds, and the last run's result.
fn timed<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..REPS {
        let t = Instant::now();
        out = Some(f());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (times[REPS / 2], out.expect("at least one run"))
}

fn report(name: &str, secs: f64, clusters: &[usize], data: &[f32], dim: usize, labels: &[usize]) {
    println!(
        "  {name:<36} {secs:>8.3} s   within-cluster SS {:>10.1}   matched accuracy {:.3}",
        inertia(clusters, data, dim),
        matched_accuracy(clusters, labels)
    );
}

/// Sum over points of the squared distance to their cluster's mean.
fn inertia(clusters: &[usize], data: &[f32], dim: usize) -> f64 {
    let k = clusters.iter().max().map_or(0, |m| m + 1);
    let mut sums = vec![0.0f64; k * dim];
    let mut counts = vec![0usize; k];
    for (i, &c) in clusters.iter().enumerate() {
        counts[c] += 1;
        for d in 0..dim {
            sums[c * dim + d] += f64::from(data[i * dim + d]);
        }
    }
    clusters
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            (0..dim)
                .map(|d| {
                    (f64::from(data[i * dim + d]) - sums[c * dim + d] / counts[c] as f64).powi(2)
                })
                .sum::<f64>()
        })
        .sum()
}

/// The share of each point's `k` nearest neighbours among `data`'s rows that are also among its
/// `k` nearest in the embedding `y` (n x 2).
fn knn_kept(data: &[f32], dim: usize, y: &[f32], k: usize) -> f64 {
    let n = data.len() / dim;
    let nearest = |i: usize, d: &dyn Fn(usize, usize) -> f32| {
        let mut order: Vec<usize> = (0..n).filter(|&j| j != i).collect();
        order.sort_by(|&a, &b| d(i, a).total_cmp(&d(i, b)));
        order.truncate(k);
        order
    };
    let high = |i: usize, j: usize| -> f32 {
        (0..dim)
            .map(|d| (data[i * dim + d] - data[j * dim + d]).powi(2))
            .sum()
    };
    let low = |i: usize, j: usize| -> f32 {
        (y[2 * i] - y[2 * j]).powi(2) + (y[2 * i + 1] - y[2 * j + 1]).powi(2)
    };
    let kept: usize = (0..n)
        .map(|i| {
            let a = nearest(i, &high);
            let b = nearest(i, &low);
            a.iter().filter(|j| b.contains(j)).count()
        })
        .sum();
    kept as f64 / (n * k) as f64
}
