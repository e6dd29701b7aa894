//! The convolutional Gaussian VAE of the Fashion-MNIST study (the Keras example's network).

use super::params::init_glorot;
use super::{Prior, VaeConfig, conv};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::softmax;

/// The log-variance reported for a categorical code's coordinates (deterministic in effect).
const CATEGORY_LOG_VAR: f32 = -30.0;

/// q(z|x) = N(mean, diag(exp(log_var))), each `[batch, latent]`.
#[derive(Debug, Clone)]
pub struct Posterior {
    pub mean: Tensor<2>,
    pub log_var: Tensor<2>,
}

impl Posterior {
    /// Reparameterised sample `mean + exp(log_var / 2) * eps`, with `eps: [batch, latent]`.
    pub fn sample(&self, eps: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + (self.log_var.clone() * 0.5).exp() * eps
    }
}

#[derive(Module, Debug)]
pub struct Encoder {
    pub(crate) conv1: Conv2d,
    /// The `enc_refine` layers: stride 1, after `conv1` and `conv2`.
    pub(crate) refine1: Option<Conv2d>,
    pub(crate) conv2: Conv2d,
    pub(crate) refine2: Option<Conv2d>,
    pub(crate) hidden: Linear,
    pub(crate) mean: Linear,
    pub(crate) log_var: Linear,
    /// For a categorical prior: the number of leading code coordinates that are a softmax
    /// (a soft one-hot category) rather than a Gaussian; 0 otherwise.
    #[module(skip)]
    categorical: usize,
    /// For a conditional model: the label classes appended to the convolution features; 0 else.
    #[module(skip)]
    condition: usize,
}

#[derive(Module, Debug)]
pub struct Decoder {
    pub(crate) hidden: Option<Linear>,
    pub(crate) project: Linear,
    pub(crate) up1: ConvTranspose2d,
    pub(crate) up2: ConvTranspose2d,
    pub(crate) out: ConvTranspose2d,
    #[module(skip)]
    shape: [usize; 2], // (channels, side) of the projection's feature map
    /// Label classes read again by every layer after the first (the last columns of the
    /// decoder's input); 0 when the label enters the first layer only.
    #[module(skip)]
    label: usize,
}

#[derive(Module, Debug)]
pub struct Vae {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

fn conv_down(cin: usize, cout: usize, device: &Device) -> Conv2d {
    // 3x3, stride 2, one pixel of padding: halves the side (28 -> 14 -> 7) like Keras' "same".
    Conv2dConfig::new([cin, cout], [3, 3])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

fn conv_same(channels: usize, device: &Device) -> Conv2d {
    Conv2dConfig::new([channels, channels], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init(device)
}

fn conv_up(cin: usize, cout: usize, stride: usize, device: &Device) -> ConvTranspose2d {
    // (in - 1) * stride - 2 + 3 + (stride - 1) = in * stride: Keras' "same" for transposed convs.
    ConvTranspose2dConfig::new([cin, cout], [3, 3])
        .with_stride([stride, stride])
        .with_padding([1, 1])
        .with_padding_out([stride - 1, stride - 1])
        .init(device)
}

/// Labels as one-hot rows `[n, classes]`: a conditional model's label input.
pub fn one_hot(labels: &[usize], classes: usize, device: &Device) -> Tensor<2> {
    let mut v = vec![0.0f32; labels.len() * classes];
    for (row, &l) in labels.iter().enumerate() {
        assert!(l < classes, "label {l} is not one of {classes} classes");
        v[row * classes + l] = 1.0;
    }
    Tensor::from_data(TensorData::new(v, [labels.len(), classes]), device)
}

impl Encoder {
    /// `x: [batch, 1, side, side]` in [0, 1] -> posterior over `[batch, latent]` (an
    /// unconditional encoder; see `forward_given`).
    pub fn forward(&self, x: Tensor<4>) -> Posterior {
        self.forward_given(x, None)
    }

    /// The posterior given the label `y: [batch, classes]` (one-hot, or a blend) for a
    /// conditional encoder; `y` is ignored by an unconditional one. Callers check that a
    /// conditional model gets its labels (the model file and the trainer validate the count).
    pub fn forward_given(&self, x: Tensor<4>, y: Option<Tensor<2>>) -> Posterior {
        let refine = |layer: &Option<Conv2d>, h| match layer {
            Some(layer) => conv::conv2d_relu(layer, h),
            None => h,
        };
        let h = refine(&self.refine1, conv::conv2d_relu(&self.conv1, x));
        let h = refine(&self.refine2, conv::conv2d_relu(&self.conv2, h));
        let h = h.flatten::<2>(1, 3);
        let h = match (self.condition, y) {
            (0, _) => h,
            (_, Some(y)) => Tensor::cat(vec![h, y], 1),
            (k, None) => panic!("a conditional encoder reads a label of {k} classes"),
        };
        let h = conv::linear_relu(&self.hidden, h);
        let (mean, log_var) = (
            conv::linear(&self.mean, h.clone()),
            conv::linear(&self.log_var, h),
        );
        let k = self.categorical;
        if k == 0 {
            return Posterior { mean, log_var };
        }
        // The category is deterministic: its "mean" is the softmax and its variance negligible
        // (sd e^-15), so sampling leaves it as it is.
        let [n, d] = mean.dims();
        let y = softmax(mean.clone().narrow(1, 0, k), 1);
        let device = mean.device();
        Posterior {
            mean: Tensor::cat(vec![y, mean.narrow(1, k, d - k)], 1),
            log_var: Tensor::cat(
                vec![
                    Tensor::full([n, k], CATEGORY_LOG_VAR, &device),
                    log_var.narrow(1, k, d - k),
                ],
                1,
            ),
        }
    }
}

impl Decoder {
    /// `z: [batch, latent]` -> Bernoulli logits `[batch, 1, side, side]`.
    /// A conditional model's input is `[z, label]`; see `with_label`.
    pub fn forward_logits(&self, z: Tensor<2>) -> Tensor<4> {
        let [n, width] = z.dims();
        let k = self.label;
        let y = (k > 0).then(|| z.clone().narrow(1, width - k, k));
        let h = match &self.hidden {
            Some(layer) => with_label(conv::linear_relu(layer, z), y.clone()),
            None => z,
        };
        let [c, s] = self.shape;
        let h = conv::linear_relu(&self.project, h).reshape([n, c, s, s]);
        let h = conv::conv_transpose2d_relu(&self.up1, label_planes(h, &y));
        let h = conv::conv_transpose2d_relu(&self.up2, label_planes(h, &y));
        conv::conv_transpose2d(&self.out, label_planes(h, &y))
    }

    /// `z: [batch, latent]` -> pixel means `[batch, 1, side, side]` in (0, 1).
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        conv::sigmoid(self.forward_logits(z))
    }
}

impl Vae {
    /// A freshly initialised model: Glorot-uniform weights and zero biases (Keras' defaults),
    /// drawn from our own seeded stream so every backend and device starts from the same numbers.
    pub fn new(config: &VaeConfig, seed: u64, device: &Device) -> Self {
        init_glorot(Self::uninitialised(config, device), seed, device)
    }

    /// The module structure with burn's lazy parameters; load weights into it before use.
    pub fn uninitialised(c: &VaeConfig, device: &Device) -> Self {
        let s = c.inner_side();
        let [e1, e2] = c.enc_channels;
        let [d1, d2] = c.dec_channels;
        let encoder = Encoder {
            conv1: conv_down(1, e1, device),
            refine1: c.enc_refine.then(|| conv_same(e1, device)),
            conv2: conv_down(e1, e2, device),
            refine2: c.enc_refine.then(|| conv_same(e2, device)),
            hidden: LinearConfig::new(e2 * s * s + c.condition_classes(), c.enc_hidden)
                .init(device),
            mean: LinearConfig::new(c.enc_hidden, c.latent_dim).init(device),
            log_var: LinearConfig::new(c.enc_hidden, c.latent_dim).init(device),
            categorical: match c.prior {
                Prior::Categorical { classes } => classes,
                _ => 0,
            },
            condition: c.condition_classes(),
        };
        // Without a hidden layer the projection already reads the code and the label.
        let k = c.label_planes();
        let (hidden, project_in) = match c.dec_hidden {
            0 => (None, c.code_dim()),
            h => (Some(LinearConfig::new(c.code_dim(), h).init(device)), h + k),
        };
        let decoder = Decoder {
            hidden,
            project: LinearConfig::new(project_in, d1 * s * s).init(device),
            up1: conv_up(d1 + k, d1, 2, device),
            up2: conv_up(d1 + k, d2, 2, device),
            out: conv_up(d2 + k, 1, 1, device),
            shape: [d1, s],
            label: k,
        };
        Self { encoder, decoder }
    }

    /// `x: [batch, 1, side, side]`, `eps: [batch, latent]` -> (logits like x, posterior).
    pub fn forward(&self, x: Tensor<4>, eps: Tensor<2>) -> (Tensor<4>, Posterior) {
        self.forward_given(x, None, eps)
    }

    /// `forward` with a conditional model's label `y: [batch, classes]`, read by both networks.
    pub fn forward_given(
        &self,
        x: Tensor<4>,
        y: Option<Tensor<2>>,
        eps: Tensor<2>,
    ) -> (Tensor<4>, Posterior) {
        let q = self.encoder.forward_given(x, y.clone());
        let logits = self.decoder.forward_logits(with_label(q.sample(eps), y));
        (logits, q)
    }

    /// The number of label classes a conditional model reads; 0 for an unconditional one.
    pub fn condition_classes(&self) -> usize {
        self.encoder.condition
    }

    /// A conditional model's label input for `labels`; `None` for an unconditional model.
    pub fn label_input(&self, labels: &[usize], device: &Device) -> Option<Tensor<2>> {
        let k = self.condition_classes();
        (k > 0).then(|| one_hot(labels, k, device))
    }
}

/// What the decoder reads: the code, then the label when there is one.
pub fn with_label(z: Tensor<2>, y: Option<Tensor<2>>) -> Tensor<2> {
    match y {
        Some(y) => Tensor::cat(vec![z, y], 1),
        None => z,
    }
}

/// Feature maps `[n, c, h, w]` with the label `y: [n, k]` appended as k constant planes.
fn label_planes(h: Tensor<4>, y: &Option<Tensor<2>>) -> Tensor<4> {
    match y {
        Some(y) => {
            let [n, _, rows, cols] = h.dims();
            let k = y.dims()[1];
            let planes = y.clone().reshape([n, k, 1, 1]).expand([n, k, rows, cols]);
            Tensor::cat(vec![h, planes], 1)
        }
        None => h,
    }
}

impl Encoder {
    pub fn latent_dim(&self) -> usize {
        self.mean.weight.lazy_shape().dims::<2>()[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;
    use burn::module::Param;

    /// Decoded pixels of one code under labels 0 and 7, with the decoder's first layer made
    /// blind to the label (its label rows zeroed).
    fn decoded_with_blind_first_layer(every_layer: bool) -> [Vec<f32>; 2] {
        let device = Device::flex();
        let mut arch = VaeConfig::preset(Preset::Atlas, 2);
        arch.conditional = Some(10);
        arch.label_every_layer = every_layer;
        let mut vae = Vae::new(&arch, 3, &device);
        let hidden = vae.decoder.hidden.take().unwrap();
        let [rows, cols] = hidden.weight.dims();
        let mask: Vec<f32> = (0..rows * cols)
            .map(|i| if i / cols < 2 { 1.0 } else { 0.0 })
            .collect();
        let mask = Tensor::<2>::from_data(TensorData::new(mask, [rows, cols]), &device);
        vae.decoder.hidden = Some(Linear {
            weight: Param::from_tensor(hidden.weight.val() * mask),
            bias: hidden.bias,
        });
        let z = Tensor::<2>::from_data(TensorData::new([0.5f32, -1.0].repeat(2), [2, 2]), &device);
        let out = vae
            .decoder
            .forward(with_label(z, Some(one_hot(&[0, 7], 10, &device))));
        let v = out.into_data().try_into_vec::<f32>().unwrap();
        [v[..784].to_vec(), v[784..].to_vec()]
    }

    #[test]
    fn the_deep_preset_runs_a_stride_one_convolution_after_each_down_one() {
        let device = Device::flex();
        let shapes = |preset| {
            crate::model::params::named_params(&Vae::new(&VaeConfig::preset(preset, 4), 2, &device))
                .into_iter()
                .filter(|p| p.name.starts_with("encoder.refine"))
                .map(|p| (p.name, p.shape))
                .collect::<Vec<_>>()
        };
        assert_eq!(shapes(Preset::Wide), vec![]);
        assert_eq!(
            shapes(Preset::Deep),
            vec![
                ("encoder.refine1.weight".to_string(), vec![64, 64, 3, 3]),
                ("encoder.refine1.bias".to_string(), vec![64]),
                ("encoder.refine2.weight".to_string(), vec![128, 128, 3, 3]),
                ("encoder.refine2.bias".to_string(), vec![128]),
            ]
        );
        // Files written before the field existed (and every other preset) stay as they were.
        let wide = serde_json::to_string(&VaeConfig::preset(Preset::Wide, 4)).unwrap();
        assert!(!wide.contains("enc_refine"), "{wide}");
        let deep = VaeConfig::preset(Preset::Deep, 4);
        let back: VaeConfig = serde_json::from_str(&serde_json::to_string(&deep).unwrap()).unwrap();
        assert_eq!(back, deep);

        // The encoder reads the layers: changing one changes the code.
        let mut vae = Vae::new(&deep, 2, &device);
        let x = Tensor::<4>::from_data(
            TensorData::new(
                (0..2 * 784).map(|i| (i % 7) as f32 / 7.0).collect(),
                [2, 1, 28, 28],
            ),
            &device,
        );
        let before = vae.encoder.forward(x.clone()).mean.into_data();
        let layer = vae.encoder.refine2.take().unwrap();
        vae.encoder.refine2 = Some(Conv2d {
            weight: Param::from_tensor(layer.weight.val() * 0.5),
            ..layer
        });
        let after = vae.encoder.forward(x).mean;
        assert_eq!(after.dims(), [2, 4]);
        assert_ne!(before, after.into_data());
    }

    #[test]
    fn a_label_every_layer_decoder_reads_the_label_past_its_first_layer() {
        let [a, b] = decoded_with_blind_first_layer(false);
        assert_eq!(a, b, "the label should reach only the first layer");
        let [a, b] = decoded_with_blind_first_layer(true);
        assert_ne!(a, b, "the label does not reach the later layers");

        let mut arch = VaeConfig::preset(Preset::Atlas, 2);
        arch.label_every_layer = true;
        assert!(
            arch.validate()
                .unwrap_err()
                .contains("needs a conditional model")
        );
    }
}
