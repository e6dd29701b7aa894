//! The prior p(z) a model's codes are matched to: what "a sample" means everywhere (`decode`,
//! `eval`, the page's samples), recorded in the architecture of the model file.
//!
//! - `gaussian`: N(0, I), the VAE's prior.
//! - `mixture`: k isotropic Gaussians (sd `spread`) whose means sit evenly on a circle of
//!   `radius` in the first two coordinates (the 2-D layout of Makhzani et al. 2015, Fig. 4);
//!   further coordinates are N(0, spread²) around 0. One island per component on a 2-D map.
//! - `categorical`: a one-hot code of `classes` categories (uniform) in the first coordinates,
//!   and N(0, I) style in the rest: the adversarial autoencoder's clustering prior (§5).

use crate::rng::Rng;
use serde::{Deserialize, Serialize};

const LN_2PI: f64 = 1.837_877_066_409_345_5;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Prior {
    #[default]
    Gaussian,
    Mixture {
        components: usize,
        radius: f64,
        spread: f64,
    },
    Categorical {
        classes: usize,
    },
}

impl Prior {
    pub fn is_gaussian(&self) -> bool {
        *self == Self::Gaussian
    }

    /// Whether the prior fits a `dim`-dimensional code, with sane numbers.
    pub fn check(&self, dim: usize) -> Result<(), String> {
        match *self {
            Self::Gaussian => Ok(()),
            Self::Mixture {
                components,
                radius,
                spread,
            } => {
                if dim < 2 {
                    return Err(format!(
                        "a mixture prior needs a code of at least 2 dimensions, not {dim}"
                    ));
                }
                if !(2..=64).contains(&components) {
                    return Err(format!(
                        "a mixture prior has 2..=64 components, not {components}"
                    ));
                }
                let sane = radius > 0.0 && radius <= 100.0 && spread > 0.0 && spread <= radius;
                if !sane {
                    return Err(format!(
                        "mixture radius {radius} must be in (0, 100] and spread {spread} in (0, radius]"
                    ));
                }
                Ok(())
            }
            Self::Categorical { classes } => {
                if !(2..=64).contains(&classes) || classes >= dim {
                    return Err(format!(
                        "a categorical prior has 2..=64 classes and leaves at least one style dimension (code {dim}, classes {classes})"
                    ));
                }
                Ok(())
            }
        }
    }

    /// Components (mixture), categories (categorical) or 1 (Gaussian): the clusters a sample is
    /// drawn from.
    pub fn components(&self) -> usize {
        match *self {
            Self::Gaussian => 1,
            Self::Mixture { components, .. } => components,
            Self::Categorical { classes } => classes,
        }
    }

    /// The mean of component `c` in a `dim`-dimensional code.
    pub fn center(&self, c: usize, dim: usize) -> Vec<f64> {
        let mut m = vec![0.0; dim];
        match *self {
            Self::Gaussian => {}
            Self::Mixture {
                components, radius, ..
            } => {
                let angle = std::f64::consts::TAU * c as f64 / components as f64;
                m[0] = radius * angle.cos();
                m[1] = radius * angle.sin();
            }
            Self::Categorical { .. } => m[c] = 1.0,
        }
        m
    }

    /// One sample from component `c` (see `components`).
    fn sample_from(&self, c: usize, dim: usize, rng: &mut Rng, out: &mut Vec<f32>) {
        let center = self.center(c, dim);
        match *self {
            Self::Gaussian => out.extend((0..dim).map(|_| rng.normal())),
            Self::Mixture { spread, .. } => out.extend(
                center
                    .iter()
                    .map(|&m| (m + spread * rng.normal() as f64) as f32),
            ),
            Self::Categorical { classes } => {
                out.extend(center[..classes].iter().map(|&m| m as f32));
                out.extend((classes..dim).map(|_| rng.normal()));
            }
        }
    }

    /// `n` samples, row-major `[n, dim]`, with the component each came from.
    pub fn sample_labelled(&self, n: usize, dim: usize, rng: &mut Rng) -> (Vec<f32>, Vec<usize>) {
        let k = self.components();
        let mut out = Vec::with_capacity(n * dim);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let c = if k == 1 { 0 } else { rng.below(k) };
            self.sample_from(c, dim, rng, &mut out);
            labels.push(c);
        }
        (out, labels)
    }

    pub fn sample(&self, n: usize, dim: usize, rng: &mut Rng) -> Vec<f32> {
        self.sample_labelled(n, dim, rng).0
    }

    /// One sample from each of the given components, in order (per-cluster samples, and the
    /// real side of a discriminator that is told the class).
    pub fn sample_components(&self, components: &[usize], dim: usize, rng: &mut Rng) -> Vec<f32> {
        let mut out = Vec::with_capacity(components.len() * dim);
        for &c in components {
            self.sample_from(c, dim, rng, &mut out);
        }
        out
    }

    /// The category of a code under a categorical prior: the largest of its first `classes`
    /// coordinates (`None` for other priors).
    pub fn category(&self, z: &[f32]) -> Option<usize> {
        match *self {
            Self::Categorical { classes } => (0..classes).max_by(|&a, &b| z[a].total_cmp(&z[b])),
            _ => None,
        }
    }

    /// log p(z) for one code, where the prior has a density (not the categorical one).
    pub fn log_density(&self, z: &[f32]) -> Option<f64> {
        let d = z.len() as f64;
        match *self {
            Self::Gaussian => Some(
                z.iter()
                    .map(|&v| -0.5 * (v as f64 * v as f64 + LN_2PI))
                    .sum(),
            ),
            Self::Mixture {
                components, spread, ..
            } => {
                let logs: Vec<f64> = (0..components)
                    .map(|c| {
                        let m = self.center(c, z.len());
                        let sq: f64 = z
                            .iter()
                            .zip(&m)
                            .map(|(&v, &mu)| (v as f64 - mu).powi(2))
                            .sum();
                        -0.5 * sq / (spread * spread) - d * spread.ln() - 0.5 * d * LN_2PI
                    })
                    .collect();
                let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Some(
                    top + (logs.iter().map(|l| (l - top).exp()).sum::<f64>() / components as f64)
                        .ln(),
                )
            }
            Self::Categorical { .. } => None,
        }
    }

    /// Half the width of a square that holds nearly all of the prior's mass in the first two
    /// coordinates: the map's default view.
    pub fn extent(&self) -> f64 {
        match *self {
            Self::Gaussian | Self::Categorical { .. } => 3.0,
            Self::Mixture { radius, spread, .. } => radius + 3.0 * spread,
        }
    }

    /// A short description for people ("mixture of 10 Gaussians, radius 4, sd 0.5").
    pub fn describe(&self) -> String {
        match *self {
            Self::Gaussian => "N(0, I)".into(),
            Self::Mixture {
                components,
                radius,
                spread,
            } => format!("mixture of {components} Gaussians (radius {radius}, sd {spread})"),
            Self::Categorical { classes } => format!("{classes} categories + N(0, I) style"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(v: &[f32], dim: usize, j: usize) -> (f64, f64) {
        let col: Vec<f64> = v.iter().skip(j).step_by(dim).map(|&x| x as f64).collect();
        let m = col.iter().sum::<f64>() / col.len() as f64;
        let var = col.iter().map(|x| (x - m).powi(2)).sum::<f64>() / col.len() as f64;
        (m, var)
    }

    #[test]
    fn mixture_samples_sit_on_their_components() {
        let p = Prior::Mixture {
            components: 10,
            radius: 4.0,
            spread: 0.5,
        };
        p.check(3).unwrap();
        let (z, labels) = p.sample_labelled(20_000, 3, &mut Rng::new(1));
        // Every component is drawn about equally often.
        let mut counts = [0usize; 10];
        labels.iter().for_each(|&c| counts[c] += 1);
        assert!(
            counts.iter().all(|&c| (1700..2300).contains(&c)),
            "{counts:?}"
        );
        // Around its own mean with sd 0.5 in every coordinate.
        for c in [0, 3, 7] {
            let rows: Vec<f32> = z
                .chunks(3)
                .zip(&labels)
                .filter(|(_, l)| **l == c)
                .flat_map(|(r, _)| r.iter().copied())
                .collect();
            let mu = p.center(c, 3);
            for (j, &m_j) in mu.iter().enumerate() {
                let (m, var) = moments(&rows, 3, j);
                assert!(
                    (m - m_j).abs() < 0.05,
                    "component {c} dim {j}: mean {m} vs {m_j}"
                );
                assert!(
                    (var.sqrt() - 0.5).abs() < 0.03,
                    "component {c} dim {j}: sd {}",
                    var.sqrt()
                );
            }
        }
        // At a center the density is the component's peak / k (the neighbours, 2.5 away, add
        // about e^-12 of it); between the components it is far lower.
        let peak = p.log_density(&[4.0, 0.0, 0.0]).unwrap();
        let want = -3.0 * 0.5f64.ln() - 1.5 * LN_2PI - 10f64.ln();
        assert!((peak - want).abs() < 1e-4, "{peak} vs {want}");
        assert!(p.log_density(&[0.0, 0.0, 0.0]).unwrap() < peak - 20.0);
    }

    #[test]
    fn categorical_samples_are_one_hot_with_gaussian_style() {
        let p = Prior::Categorical { classes: 4 };
        p.check(6).unwrap();
        let (z, labels) = p.sample_labelled(8000, 6, &mut Rng::new(2));
        for (row, &c) in z.chunks(6).zip(&labels) {
            let hot: Vec<f32> = (0..4).map(|k| f32::from(u8::from(k == c))).collect();
            assert_eq!(&row[..4], &hot[..]);
        }
        for j in 4..6 {
            let (m, var) = moments(&z, 6, j);
            assert!(
                m.abs() < 0.05 && (var - 1.0).abs() < 0.05,
                "style dim {j}: {m} {var}"
            );
        }
        assert_eq!(p.log_density(&z[..6]), None);
        let gaussian = Prior::Gaussian.log_density(&[0.0, 0.0]).unwrap();
        assert!((gaussian + LN_2PI).abs() < 1e-12);
    }

    #[test]
    fn absurd_priors_are_refused_with_what_is_wrong() {
        let cases = [
            (
                Prior::Categorical { classes: 4 },
                4,
                "leaves at least one style dimension",
            ),
            (Prior::Categorical { classes: 1 }, 4, "2..=64 classes"),
            (
                Prior::Mixture {
                    components: 10,
                    radius: 4.0,
                    spread: 0.5,
                },
                1,
                "at least 2 dimensions",
            ),
            (
                Prior::Mixture {
                    components: 10,
                    radius: f64::NAN,
                    spread: 0.5,
                },
                2,
                "radius NaN",
            ),
            (
                Prior::Mixture {
                    components: 10,
                    radius: 1.0,
                    spread: 0.0,
                },
                2,
                "spread 0",
            ),
            (
                Prior::Mixture {
                    components: 1000,
                    radius: 1.0,
                    spread: 0.1,
                },
                2,
                "2..=64 components",
            ),
        ];
        for (p, dim, needle) in cases {
            let e = p.check(dim).unwrap_err();
            assert!(e.contains(needle), "{p:?}: '{e}' lacks '{needle}'");
        }
    }
}
