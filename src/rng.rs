//! A small seeded random stream, derived from (seed, stream, counter) so that any point of a
//! training run (an epoch's shuffle, a step's noise) can be recreated without saved RNG state:
//! that is what makes `--resume` land on the same result as an uninterrupted run.

/// SplitMix64: tiny, fast, statistically fine for shuffling and Gaussian noise.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    spare_normal: Option<f32>,
}

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self {
            state: mix(seed ^ 0x9E37_79B9_7F4A_7C15),
            spare_normal: None,
        }
    }

    /// An independent stream for a purpose (`stream`) and position (`counter`) under one seed.
    pub fn derive(seed: u64, stream: u64, counter: u64) -> Self {
        Self::new(mix(seed).wrapping_add(mix(stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ counter)))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.state)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in [0, n).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
    pub fn normal(&mut self) -> f32 {
        if let Some(v) = self.spare_normal.take() {
            return v;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1]: keeps ln finite
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare_normal = Some((r * s) as f32);
        (r * c) as f32
    }

    pub fn normals(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal()).collect()
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            items.swap(i, self.below(i + 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_streams_are_reproducible_and_distinct() {
        let a: Vec<u64> = (0..4).map(|_| Rng::derive(7, 1, 3).next_u64()).collect();
        assert!(a.windows(2).all(|w| w[0] == w[1]));
        assert_ne!(
            Rng::derive(7, 1, 3).next_u64(),
            Rng::derive(7, 1, 4).next_u64()
        );
        assert_ne!(
            Rng::derive(7, 1, 3).next_u64(),
            Rng::derive(7, 2, 3).next_u64()
        );
        assert_ne!(
            Rng::derive(7, 1, 3).next_u64(),
            Rng::derive(8, 1, 3).next_u64()
        );
    }

    #[test]
    fn normals_have_unit_moments_and_shuffle_is_a_permutation() {
        let v = Rng::new(1).normals(200_000);
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.01, "var {var}");
        let mut p: Vec<usize> = (0..1000).collect();
        Rng::new(2).shuffle(&mut p);
        assert_ne!(p, (0..1000).collect::<Vec<_>>());
        p.sort();
        assert_eq!(p, (0..1000).collect::<Vec<_>>());
    }
}
