//! Datasets from disk: parsing (from bytes, portable to wasm) and locating files (native).

#[cfg(not(target_arch = "wasm32"))]
pub mod fashion;
pub mod idx;
#[cfg(not(target_arch = "wasm32"))]
pub mod omniglot;

/// Labelled greyscale images of one size, pixels as bytes (0 = background, 255 = ink).
#[derive(Debug, Clone)]
pub struct ImageSet {
    pub side: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    pub fn pixels_per_image(&self) -> usize {
        self.side * self.side
    }

    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.pixels_per_image();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// The first `n` examples (all of them when `n` is larger).
    pub fn truncated(mut self, n: usize) -> Self {
        let n = n.min(self.len());
        self.pixels.truncate(n * self.pixels_per_image());
        self.labels.truncate(n);
        self
    }

    /// Gather the images at `indices` into `out` as floats in [0, 1], the model's input scale.
    pub fn gather_f32(&self, indices: &[usize], out: &mut Vec<f32>) {
        out.clear();
        for &i in indices {
            out.extend(self.image(i).iter().map(|&p| p as f32 / 255.0));
        }
    }
}

/// A dataset as the trainer and evaluator see it: a training split, a test split, class names.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub name: String,
    pub train: ImageSet,
    pub test: ImageSet,
    pub class_names: Vec<String>,
    /// Where the files were found, for messages and the model file's provenance.
    pub source: String,
}
