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

    /// The examples after the first `n` (none when `n` is `len()` or more): what a run trained
    /// with `--train-limit n` never saw, its validation images.
    pub fn after(&self, n: usize) -> Self {
        let n = n.min(self.len());
        Self {
            side: self.side,
            pixels: self.pixels[n * self.pixels_per_image()..].to_vec(),
            labels: self.labels[n..].to_vec(),
        }
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

    /// The set without the images of the classes named (Omniglot: the validation alphabets), or
    /// an error naming a class it does not have. Labels keep indexing `class_names`.
    pub fn without_classes(mut self, names: &[&str]) -> Result<Self, String> {
        let dropped: Vec<u8> = names
            .iter()
            .map(|n| {
                self.class_names
                    .iter()
                    .position(|c| c == n)
                    .map(|i| i as u8)
                    .ok_or_else(|| format!("{} has no class '{n}' to hold out", self.name))
            })
            .collect::<Result<_, _>>()?;
        let keep: Vec<usize> = (0..self.images.len())
            .filter(|&i| !dropped.contains(&self.images.labels[i]))
            .collect();
        let images = &self.images;
        self.images = ImageSet {
            side: images.side,
            pixels: keep
                .iter()
                .flat_map(|&i| images.image(i))
                .copied()
                .collect(),
            labels: keep.iter().map(|&i| images.labels[i]).collect(),
        };
        if let Some(g) = &mut self.groups {
            *g = keep.iter().map(|&i| g[i]).collect();
        }
        Ok(self)
    }

    /// Every group also turned by 90°, 180° and 270°, each turn a new group (image `i` of the
    /// result is image `i % n` turned `i / n` quarters clockwise; group `g` turned `r` quarters
    /// is group `g + r * groups`): Omniglot's usual augmentation (Santoro et al. 2016, Snell et
    /// al. 2017), four times the characters to tell apart. A set without groups has nothing to
    /// turn into new classes.
    pub fn with_quarter_turns(mut self) -> Result<Self, String> {
        let groups = self.groups.take().ok_or_else(|| {
            format!(
                "{} has no groups (characters) to turn into new ones",
                self.name
            )
        })?;
        let count = groups.iter().max().map_or(0, |&g| g + 1);
        let (n, side) = (self.images.len(), self.images.side);
        let mut pixels = Vec::with_capacity(4 * self.images.pixels.len());
        pixels.extend_from_slice(&self.images.pixels);
        for turn in 1..4 {
            let start = pixels.len() - n * side * side;
            for i in 0..n {
                // The previous turn's image turned once more: out[y][x] = in[side-1-x][y].
                let src = start + i * side * side;
                for y in 0..side {
                    for x in 0..side {
                        pixels.push(pixels[src + (side - 1 - x) * side + y]);
                    }
                }
            }
            debug_assert_eq!(pixels.len(), (turn + 1) * n * side * side);
        }
        self.images = ImageSet {
            side,
            pixels,
            labels: self.images.labels.repeat(4),
        };
        self.groups = Some(
            (0..4)
                .flat_map(|r| groups.iter().map(move |&g| g + r * count))
                .collect(),
        );
        Ok(self)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_classes_drops_exactly_their_images_and_names_unknown_ones() {
        let labels = vec![0u8, 1, 2, 1, 0, 2, 2];
        let set = TrainSet {
            name: "toy".into(),
            source: String::new(),
            images: ImageSet {
                side: 1,
                pixels: (0..7).collect(),
                labels: labels.clone(),
            },
            class_names: vec!["a".into(), "b".into(), "c".into()],
            groups: Some((10..17).collect()),
            held_out: None,
        };
        let kept = set.clone().without_classes(&["c", "a"]).unwrap();
        assert_eq!(kept.images.labels, vec![1, 1]);
        assert_eq!(kept.images.pixels, vec![1, 3]);
        assert_eq!(kept.groups, Some(vec![11, 13]));
        assert_eq!(kept.class_names.len(), 3, "labels keep their meaning");
        let err = set.without_classes(&["b", "Korean"]).unwrap_err();
        assert!(err.contains("toy has no class 'Korean'"), "{err}");
    }

    #[test]
    fn quarter_turns_make_three_turned_groups_of_each() {
        // One 3x3 image with an L of ink, in group 1 of groups {0, 1}, and one blank in group 0.
        #[rustfmt::skip]
        let l = [255, 0, 0,
                 255, 0, 0,
                 255, 255, 0];
        let set = TrainSet {
            name: "toy".into(),
            source: String::new(),
            images: ImageSet {
                side: 3,
                pixels: [l.as_slice(), &[0; 9]].concat(),
                labels: vec![7, 8],
            },
            class_names: vec![],
            groups: Some(vec![1, 0]),
            held_out: None,
        };
        let turned = set.clone().with_quarter_turns().unwrap();
        assert_eq!(turned.images.len(), 8);
        assert_eq!(turned.images.labels, vec![7, 8, 7, 8, 7, 8, 7, 8]);
        assert_eq!(turned.groups, Some(vec![1, 0, 3, 2, 5, 4, 7, 6]));
        // Clockwise: the L's stem lies along the top, then the L stands on its head, then...
        #[rustfmt::skip]
        let quarter = [255, 255, 255,
                       255, 0, 0,
                       0, 0, 0];
        #[rustfmt::skip]
        let half = [0, 255, 255,
                    0, 0, 255,
                    0, 0, 255];
        #[rustfmt::skip]
        let three = [0, 0, 0,
                     0, 0, 255,
                     255, 255, 255];
        assert_eq!(turned.images.image(0), l);
        assert_eq!(turned.images.image(2), quarter);
        assert_eq!(turned.images.image(4), half);
        assert_eq!(turned.images.image(6), three);
        assert!(turned.images.image(7).iter().all(|&p| p == 0));
        let err = TrainSet {
            groups: None,
            ..set
        }
        .with_quarter_turns()
        .unwrap_err();
        assert!(err.contains("toy has no groups"), "{err}");
    }
}
