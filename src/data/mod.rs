//! Datasets from disk: parsing (from bytes, portable to wasm) and locating files (native), and
//! the two shapes the rest of the crate reads them in: a `Dataset` (train and test splits with
//! class names, for evaluation) and a `TrainSet` (what a training run reads).

#[cfg(not(target_arch = "wasm32"))]
pub mod fashion;
pub mod idx;
#[cfg(not(target_arch = "wasm32"))]
pub mod omniglot;
pub mod upload;

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

    /// The set binarized once, each pixel ink (255) with its grey level as the probability,
    /// from `seed`: the fixed binarization of a test split that the literature's likelihoods on
    /// binarized data are measured on (training binarizes afresh every batch).
    pub fn binarized(&self, seed: u64) -> Self {
        let mut rng = crate::rng::Rng::new(seed);
        Self {
            side: self.side,
            pixels: self
                .pixels
                .iter()
                .map(|&p| {
                    if rng.uniform() < p as f64 / 255.0 {
                        255
                    } else {
                        0
                    }
                })
                .collect(),
            labels: self.labels.clone(),
        }
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

/// What a training run reads: the training images, each image's group where the dataset has
/// groups (Omniglot: its character; kinds that batch by group need them), and held-out images
/// that are scored after every epoch where the dataset has a test split.
#[derive(Debug, Clone)]
pub struct TrainSet {
    pub name: String,
    pub source: String,
    pub images: ImageSet,
    /// The names of the label classes (`images.labels` index them).
    pub class_names: Vec<String>,
    pub groups: Option<Vec<u32>>,
    pub held_out: Option<ImageSet>,
}

impl TrainSet {
    /// The first `n` training images (all of them when `n` is larger).
    pub fn truncated(mut self, n: usize) -> Self {
        self.images = self.images.truncated(n);
        if let Some(g) = &mut self.groups {
            g.truncate(n);
        }
        self
    }
}

impl From<Dataset> for TrainSet {
    fn from(d: Dataset) -> Self {
        Self {
            name: d.name,
            source: d.source,
            images: d.train,
            class_names: d.class_names,
            groups: None,
            held_out: Some(d.test),
        }
    }
}

/// The datasets `train --dataset` knows.
#[cfg(not(target_arch = "wasm32"))]
pub const DATASETS: [&str; 2] = ["fashion-mnist", "omniglot"];

/// A dataset with train and test splits by name, from `dir` or the usual places.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_dataset(name: &str, dir: Option<&std::path::Path>) -> Result<Dataset, String> {
    match name {
        "fashion-mnist" => fashion::load(dir).map_err(|e| e.to_string()),
        other => Err(format!(
            "'{other}' has no train/test image split to evaluate on (available: fashion-mnist)"
        )),
    }
}

/// The training set of a dataset by name (Omniglot: the background alphabets).
#[cfg(not(target_arch = "wasm32"))]
pub fn load_train_set(name: &str, dir: Option<&std::path::Path>) -> Result<TrainSet, String> {
    match name {
        "fashion-mnist" => load_dataset(name, dir).map(TrainSet::from),
        "omniglot" => omniglot::load(&omniglot::search_dirs(dir), omniglot::Split::Background)
            .map(omniglot::Omniglot::into_train_set)
            .map_err(|e| e.to_string()),
        other => Err(format!(
            "unknown dataset '{other}' (available: {})",
            DATASETS.join(", ")
        )),
    }
}
