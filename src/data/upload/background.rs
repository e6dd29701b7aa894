//! The background of an upload, estimated from the frame's edges: its polarity (light paper or a
//! dark canvas), its level as a smooth surface (a photo's light falls off across the frame and
//! towards the corners; a constant level would count that fall-off as ink and stretch the crop
//! over it), and its noise (sensor grain and JPEG artefacts, which would otherwise read as faint
//! ink everywhere). Drawings and dataset images have a flat, clean background: for them the
//! surface is that constant and the noise zero, so their input is what a single level gave.

use nalgebra::{Matrix6, Vector6};

/// Below this many edge samples a surface is not fitted (a constant level is).
const MIN_SAMPLES: usize = 24;

pub struct Background {
    /// Light paper with dark ink (ink = how much darker than the paper, relatively), or a dark
    /// canvas with bright ink (ink = how much brighter).
    pub light: bool,
    /// The level as `c · [1, u, v, u², uv, v²]` with u, v in [-1, 1] across the frame.
    coefficients: [f32; 6],
    /// The noise's standard deviation in ink units (a robust estimate from the edges).
    pub noise: f32,
    width: usize,
    height: usize,
}

impl Background {
    /// Estimate the background of a `width x height` luminance image (values in [0, 1]) from a
    /// band along its edges, 2% of the shorter side wide (at least one pixel).
    pub fn estimate(lum: &[f32], width: usize, height: usize) -> Self {
        let band = (width.min(height) / 50).max(1);
        let samples: Vec<(usize, usize)> = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .filter(|&(x, y)| x < band || y < band || x + band >= width || y + band >= height)
            .collect();
        let mut levels: Vec<f32> = samples.iter().map(|&(x, y)| lum[y * width + x]).collect();
        levels.sort_by(f32::total_cmp);
        let median = levels[levels.len() / 2];
        let mut bg = Background {
            light: median > 0.5,
            coefficients: [median, 0.0, 0.0, 0.0, 0.0, 0.0],
            noise: 0.0,
            width,
            height,
        };
        // A flat background (drawings, dataset images) keeps its one level exactly.
        if samples.len() >= MIN_SAMPLES && levels[0] != levels[levels.len() - 1] {
            // A least-squares surface through the samples near the current estimate (starting
            // from the median level), three times: a garment or a stroke that touches the edge
            // is not background.
            for _ in 0..3 {
                let limit = (2.5 * bg.spread(lum, &samples)).max(0.5 / 255.0);
                let kept: Vec<(usize, usize)> = samples
                    .iter()
                    .copied()
                    .filter(|&(x, y)| (lum[y * width + x] - bg.level(x, y)).abs() <= limit)
                    .collect();
                match (kept.len() >= MIN_SAMPLES)
                    .then(|| bg.fit(lum, &kept))
                    .flatten()
                {
                    Some(c) => bg.coefficients = c,
                    None => break,
                }
            }
        }
        // The noise in ink units: the spread of the edge's own "ink" around zero.
        let mut ink: Vec<f32> = samples
            .iter()
            .map(|&(x, y)| bg.signed_ink(x, y, lum[y * width + x]))
            .collect();
        ink.sort_by(f32::total_cmp);
        let centre = ink[ink.len() / 2];
        let mut deviations: Vec<f32> = ink.iter().map(|v| (v - centre).abs()).collect();
        deviations.sort_by(f32::total_cmp);
        bg.noise = 1.4826 * deviations[deviations.len() / 2];
        bg
    }

    fn basis(&self, x: usize, y: usize) -> [f32; 6] {
        let u = 2.0 * (x as f32 + 0.5) / self.width as f32 - 1.0;
        let v = 2.0 * (y as f32 + 0.5) / self.height as f32 - 1.0;
        [1.0, u, v, u * u, u * v, v * v]
    }

    /// The background's level at a pixel.
    pub fn level(&self, x: usize, y: usize) -> f32 {
        let b = self.basis(x, y);
        (0..6).map(|i| self.coefficients[i] * b[i]).sum()
    }

    /// How much ink a pixel of luminance `l` holds: on paper the share of light it takes away
    /// (so a garment reads the same in the bright and the dim part of a photo), on a dark
    /// canvas how much brighter it is. Negative where the pixel is background-like.
    fn signed_ink(&self, x: usize, y: usize, l: f32) -> f32 {
        let level = self.level(x, y);
        if self.light {
            1.0 - l / level.max(0.05)
        } else {
            l - level
        }
    }

    /// `signed_ink` without the noise: what is above three noise deviations, never negative.
    pub fn ink(&self, x: usize, y: usize, l: f32) -> f32 {
        (self.signed_ink(x, y, l) - 3.0 * self.noise).max(0.0)
    }

    fn fit(&self, lum: &[f32], samples: &[(usize, usize)]) -> Option<[f32; 6]> {
        let (mut a, mut b) = (Matrix6::<f64>::zeros(), Vector6::<f64>::zeros());
        for &(x, y) in samples {
            let p = self.basis(x, y).map(f64::from);
            let p = Vector6::from_column_slice(&p);
            a += p * p.transpose();
            b += p * lum[y * self.width + x] as f64;
        }
        let c = a.cholesky()?.solve(&b);
        Some(std::array::from_fn(|i| c[i] as f32))
    }

    /// A robust spread (1.4826 · median absolute deviation) of the samples around the surface.
    fn spread(&self, lum: &[f32], samples: &[(usize, usize)]) -> f32 {
        let mut d: Vec<f32> = samples
            .iter()
            .map(|&(x, y)| (lum[y * self.width + x] - self.level(x, y)).abs())
            .collect();
        d.sort_by(f32::total_cmp);
        1.4826 * d[d.len() / 2]
    }
}
