//! Principal components of a small-dimensional embedding (the latent means), by the
//! eigendecomposition of the covariance (nalgebra): exact and plenty fast for dim <= 256.
// Matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

#[derive(Debug, Clone)]
pub struct Pca {
    pub mean: Vec<f64>,
    /// Unit principal axes, largest variance first.
    pub axes: Vec<Vec<f64>>,
    pub variances: Vec<f64>,
}

impl Pca {
    pub fn fit(data: &[f32], dim: usize) -> Self {
        let n = (data.len() / dim).max(1);
        let mut mean = vec![0.0; dim];
        for row in data.chunks_exact(dim) {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v as f64 / n as f64;
            }
        }
        let mut cov = vec![vec![0.0; dim]; dim];
        for row in data.chunks_exact(dim) {
            for i in 0..dim {
                let di = row[i] as f64 - mean[i];
                for j in i..dim {
                    cov[i][j] += di * (row[j] as f64 - mean[j]) / n as f64;
                }
            }
        }
        for i in 0..dim {
            for j in 0..i {
                cov[i][j] = cov[j][i];
            }
        }
        let (values, vectors) = symmetric_eigen(cov);
        let mut order: Vec<usize> = (0..dim).collect();
        order.sort_by(|&a, &b| values[b].total_cmp(&values[a]));
        let axes = order
            .iter()
            .map(|&k| {
                let mut v: Vec<f64> = (0..dim).map(|i| vectors[i][k]).collect();
                // Fix the sign so the projection is deterministic: largest component positive.
                let big = v
                    .iter()
                    .copied()
                    .fold(0.0f64, |a, x| if x.abs() > a.abs() { x } else { a });
                if big < 0.0 {
                    v.iter_mut().for_each(|x| *x = -*x);
                }
                v
            })
            .collect();
        Self {
            mean,
            axes,
            variances: order.iter().map(|&k| values[k]).collect(),
        }
    }

    /// Coordinates of each row on the first `k` axes (`n x k`, row-major).
    pub fn project(&self, data: &[f32], k: usize) -> Vec<f32> {
        let dim = self.mean.len();
        data.chunks_exact(dim)
            .flat_map(|row| {
                self.axes[..k].iter().map(move |axis| {
                    row.iter()
                        .zip(&self.mean)
                        .zip(axis)
                        .map(|((&v, m), a)| (v as f64 - m) * a)
                        .sum::<f64>() as f32
                })
            })
            .collect()
    }

    /// The latent point at `coords` on the first axes (the inverse of `project` on that plane).
    pub fn unproject(&self, coords: &[f64]) -> Vec<f32> {
        let mut z = self.mean.clone();
        for (c, axis) in coords.iter().zip(&self.axes) {
            for (zi, a) in z.iter_mut().zip(axis) {
                *zi += c * a;
            }
        }
        z.iter().map(|&v| v as f32).collect()
    }
}

/// Eigenvalues and eigenvectors (as columns) of a symmetric matrix (nalgebra's symmetric
/// eigensolver; the page's PCA plane uses it too).
fn symmetric_eigen(a: Vec<Vec<f64>>) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = a.len();
    let eig = nalgebra::SymmetricEigen::new(nalgebra::DMatrix::from_fn(n, n, |i, j| a[i][j]));
    let vectors = (0..n)
        .map(|i| (0..n).map(|k| eig.eigenvectors[(i, k)]).collect())
        .collect();
    (eig.eigenvalues.iter().copied().collect(), vectors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn finds_the_planted_axes_and_round_trips() {
        // Variance 9 along (1,1,0)/sqrt2, 1 along (1,-1,0)/sqrt2, 0.01 along z.
        let mut rng = Rng::new(3);
        let s = std::f32::consts::FRAC_1_SQRT_2;
        let mut data = Vec::new();
        for _ in 0..20_000 {
            let (a, b, c) = (3.0 * rng.normal(), rng.normal(), 0.1 * rng.normal());
            data.extend([1.0 + (a + b) * s, -2.0 + (a - b) * s, 0.5 + c]);
        }
        let pca = Pca::fit(&data, 3);
        assert!(
            (pca.variances[0] - 9.0).abs() < 0.3 && (pca.variances[1] - 1.0).abs() < 0.05,
            "{:?}",
            pca.variances
        );
        assert!(
            (pca.axes[0][0] - s as f64).abs() < 0.01 && (pca.axes[0][1] - s as f64).abs() < 0.01,
            "{:?}",
            pca.axes[0]
        );
        let p = pca.project(&data[..3], 3);
        let back = pca.unproject(&p.iter().map(|&x| x as f64).collect::<Vec<_>>());
        for (x, y) in back.iter().zip(&data[..3]) {
            assert!((x - y).abs() < 1e-4);
        }
    }
}
