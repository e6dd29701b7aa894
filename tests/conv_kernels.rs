//! The crate's own convolution and dense kernels (CPU backend) against burn's layers: the same
//! outputs and the same gradients for the input, the weight and the bias, on many shapes —
//! strides 1 to 3, asymmetric padding, output padding, odd and even sizes, batch 1, one channel,
//! no bias; half of them through a fused ReLU.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::{Distribution, activation};
use latent_atlas::model::conv;

/// A small deterministic stream for the shapes (the values come from burn's generator).
struct Shapes(u64);

impl Shapes {
    fn pick(&mut self, lo: usize, hi: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        lo + (self.0 >> 33) as usize % (hi - lo + 1)
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

/// Largest difference relative to the reference's scale; whether the reference is not all zero
/// (a shape whose kernel placements all fall in the padding checks nothing).
fn check(what: &str, ours: Vec<f32>, burn: Vec<f32>, case: &str) -> bool {
    assert_eq!(ours.len(), burn.len(), "{what} sizes differ: {case}");
    let scale = burn.iter().fold(1.0f32, |m, v| m.max(v.abs()));
    let worst = ours
        .iter()
        .zip(&burn)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 2e-5 * scale,
        "{what} differs by {worst} (scale {scale}): {case}"
    );
    burn.iter().any(|v| v.abs() > 1e-6)
}

/// Most cases must compare real numbers.
fn assert_mostly_nonzero(checked: usize, cases: usize) {
    assert!(
        checked * 10 >= cases * 9,
        "only {checked} of {cases} cases had non-zero outputs and gradients"
    );
}

/// The two kinds of layer, each with our path and burn's.
trait Layer: Module {
    /// Our path: the layer, through a ReLU when `relu` (fused into our kernels).
    fn ours(&self, x: Tensor<4>, relu: bool) -> Tensor<4>;
    /// Burn's layer, then burn's ReLU when `relu`.
    fn burns(&self, x: Tensor<4>, relu: bool) -> Tensor<4>;
    fn weight(&self) -> Tensor<4>;
    fn bias(&self) -> Option<Tensor<1>>;
}

/// Both layers keep their parameters in fields of the same names.
macro_rules! layer {
    ($layer:ty, $ours:path, $ours_relu:path) => {
        impl Layer for $layer {
            fn ours(&self, x: Tensor<4>, relu: bool) -> Tensor<4> {
                if relu {
                    $ours_relu(self, x)
                } else {
                    $ours(self, x)
                }
            }
            fn burns(&self, x: Tensor<4>, relu: bool) -> Tensor<4> {
                let y = self.forward(x);
                if relu { activation::relu(y) } else { y }
            }
            fn weight(&self) -> Tensor<4> {
                self.weight.val()
            }
            fn bias(&self) -> Option<Tensor<1>> {
                self.bias.as_ref().map(|b| b.val())
            }
        }
    };
}

layer!(Conv2d, conv::conv2d, conv::conv2d_relu);
layer!(
    ConvTranspose2d,
    conv::conv_transpose2d,
    conv::conv_transpose2d_relu
);

/// Output and gradients (x, weight, bias) of one path on `x`, against the upstream `r`.
fn run<L: Layer>(layer: &L, x: &Tensor<4>, r: &Tensor<4>, ours: bool, relu: bool) -> Vec<Vec<f32>> {
    let x = x.clone().require_grad();
    let y = if ours {
        layer.ours(x.clone(), relu)
    } else {
        layer.burns(x.clone(), relu)
    };
    assert_eq!(y.dims(), r.dims(), "output shape");
    let grads = (y.clone() * r.clone()).sum().backward();
    let mut out = vec![
        values(y.inner()),
        values(x.grad(&grads).expect("x has a gradient")),
        values(layer.weight().grad(&grads).expect("weight has a gradient")),
    ];
    if let Some(b) = layer.bias() {
        out.push(values(b.grad(&grads).expect("bias has a gradient")));
    }
    out
}

/// Both paths on a random input of `x_dims`, the odd cases through a ReLU: every quantity
/// checked; whether all were non-zero.
fn compare<L: Layer>(
    layer: &L,
    x_dims: [usize; 4],
    case: usize,
    desc: &str,
    device: &Device,
) -> bool {
    let relu = case % 2 == 1;
    let desc = &format!("{desc}, relu {relu}");
    let x = Tensor::<4>::random(x_dims, Distribution::Normal(0.0, 1.0), device);
    let y_dims = layer.burns(x.clone(), relu).dims();
    let r = Tensor::<4>::random(y_dims, Distribution::Normal(0.0, 1.0), device);
    let (ours, burns) = (
        run(layer, &x, &r, true, relu),
        run(layer, &x, &r, false, relu),
    );
    let nonzero: Vec<bool> = NAMES
        .iter()
        .zip(ours)
        .zip(burns)
        .map(|((name, a), b)| check(name, a, b, desc))
        .collect();
    nonzero.iter().all(|&v| v)
}

const NAMES: [&str; 4] = [
    "output",
    "input gradient",
    "weight gradient",
    "bias gradient",
];

#[test]
fn conv2d_matches_burn_on_random_shapes() {
    let device = Device::flex().autodiff();
    let mut s = Shapes(11);
    let mut checked = 0;
    for case in 0..40 {
        let (n, cin, cout) = (s.pick(1, 3), s.pick(1, 5), s.pick(1, 4));
        let (kh, kw) = (s.pick(1, 4), s.pick(1, 3));
        let stride = [s.pick(1, 3), s.pick(1, 2)];
        let pad = (s.pick(0, 2), s.pick(0, 1), s.pick(0, 2), s.pick(0, 1));
        let (h, w) = (s.pick(kh, 9), s.pick(kw, 8));
        let bias = case % 5 != 4;
        let layer = Conv2dConfig::new([cin, cout], [kh, kw])
            .with_stride(stride)
            .with_padding(PaddingConfig2d::Explicit(pad.0, pad.1, pad.2, pad.3))
            .with_bias(bias)
            .init(&device);
        let desc = format!(
            "case {case}: x [{n}, {cin}, {h}, {w}], {cout} out, kernel {kh}x{kw}, stride {stride:?}, padding {pad:?}, bias {bias}"
        );
        assert!(
            conv::conv2d_geometry(&layer, [n, cin, h, w]).is_some(),
            "our kernels do not cover {desc}"
        );
        checked += usize::from(compare(&layer, [n, cin, h, w], case, &desc, &device));
    }
    assert_mostly_nonzero(checked, 40);
}

#[test]
fn conv_transpose2d_matches_burn_on_random_shapes() {
    let device = Device::flex().autodiff();
    let mut s = Shapes(7);
    let mut checked = 0;
    for case in 0..40 {
        // Up to 9 samples: a thread's run then holds up to five, which the forward pass puts
        // side by side in its products four at a time (`kernels::conv_transpose2d_im2col`).
        let (n, cin, cout) = (s.pick(1, 9), s.pick(1, 5), s.pick(1, 4));
        let (kh, kw) = (s.pick(1, 4), s.pick(1, 3));
        let stride = [s.pick(1, 3), s.pick(1, 2)];
        let pad = [s.pick(0, kh - 1), s.pick(0, kw - 1)];
        let pad_out = [s.pick(0, stride[0] - 1), s.pick(0, stride[1] - 1)];
        let (h, w) = (s.pick(1, 8), s.pick(2, 7));
        let bias = case % 5 != 4;
        let layer = ConvTranspose2dConfig::new([cin, cout], [kh, kw])
            .with_stride(stride)
            .with_padding(pad)
            .with_padding_out(pad_out)
            .with_bias(bias)
            .init(&device);
        let desc = format!(
            "case {case}: x [{n}, {cin}, {h}, {w}], {cout} out, kernel {kh}x{kw}, stride {stride:?}, padding {pad:?}, output padding {pad_out:?}, bias {bias}"
        );
        let Some(_) = conv::conv_transpose2d_geometry(&layer, [n, cin, h, w]) else {
            // Only sizes burn itself refuses (an output of no pixels) may be left out.
            assert!(
                (h - 1) * stride[0] + kh + pad_out[0] <= 2 * pad[0]
                    || (w - 1) * stride[1] + kw + pad_out[1] <= 2 * pad[1],
                "our kernels do not cover {desc}"
            );
            continue;
        };
        checked += usize::from(compare(&layer, [n, cin, h, w], case, &desc, &device));
    }
    assert_mostly_nonzero(checked, 40);
}

/// Output and gradients (x, weight, bias) of a dense layer on one path, against the upstream `r`.
fn run_linear(
    layer: &Linear,
    x: &Tensor<2>,
    r: &Tensor<2>,
    ours: bool,
    relu: bool,
) -> Vec<Vec<f32>> {
    let x = x.clone().require_grad();
    let y = match (ours, relu) {
        (true, true) => conv::linear_relu(layer, x.clone()),
        (true, false) => conv::linear(layer, x.clone()),
        (false, true) => activation::relu(layer.forward(x.clone())),
        (false, false) => layer.forward(x.clone()),
    };
    let grads = (y.clone() * r.clone()).sum().backward();
    let mut out = vec![
        values(y.inner()),
        values(x.grad(&grads).expect("x has a gradient")),
        values(
            layer
                .weight
                .val()
                .grad(&grads)
                .expect("weight has a gradient"),
        ),
    ];
    if let Some(b) = &layer.bias {
        out.push(values(b.val().grad(&grads).expect("bias has a gradient")));
    }
    out
}

#[test]
fn linear_matches_burn_on_random_shapes() {
    let device = Device::flex().autodiff();
    let mut s = Shapes(5);
    let mut checked = 0;
    let cases = 30;
    for case in 0..cases {
        // The last case is a batch of the seed's size, split over every thread.
        let (n, k, m) = match case {
            29 => (128, 300, 17),
            _ => (s.pick(1, 9), s.pick(1, 40), s.pick(1, 20)),
        };
        let (bias, relu) = (case % 5 != 4, case % 2 == 1);
        let layer = LinearConfig::new(k, m).with_bias(bias).init(&device);
        let desc = format!("case {case}: x [{n}, {k}], {m} out, bias {bias}, relu {relu}");
        let x = Tensor::<2>::random([n, k], Distribution::Normal(0.0, 1.0), &device);
        let r = Tensor::<2>::random([n, m], Distribution::Normal(0.0, 1.0), &device);
        let (ours, burns) = (
            run_linear(&layer, &x, &r, true, relu),
            run_linear(&layer, &x, &r, false, relu),
        );
        let all = NAMES.iter().zip(ours).zip(burns);
        let nonzero: Vec<bool> = all.map(|((name, a), b)| check(name, a, b, &desc)).collect();
        checked += usize::from(nonzero.iter().all(|&v| v));
    }
    assert_mostly_nonzero(checked, cases);
}

/// The plain (inference) CPU device takes the same kernels: the path of native decoding.
#[test]
fn inference_device_matches_burn() {
    let device = Device::flex();
    let layer = ConvTranspose2dConfig::new([6, 3], [3, 3])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .with_padding_out([1, 1])
        .init(&device);
    let x = Tensor::<4>::random([4, 6, 7, 7], Distribution::Normal(0.0, 1.0), &device);
    let ours = values(conv::conv_transpose2d(&layer, x.clone()));
    assert!(check(
        "output",
        ours,
        values(layer.forward(x)),
        "inference, 7 -> 14"
    ));
}

/// The decoder's last step, spread over the threads: the same bits as burn's `sigmoid`, on the
/// plain CPU device (decoding) and the autodiff one (where it is burn's own), across both of
/// the formula's branches and into saturation.
#[test]
fn sigmoid_matches_burn_bit_for_bit() {
    for device in [Device::flex(), Device::flex().autodiff()] {
        let x = Tensor::<4>::random([5, 2, 9, 11], Distribution::Normal(0.0, 8.0), &device);
        let ours = values(conv::sigmoid(x.clone()));
        let burns = values(activation::sigmoid(x));
        assert_eq!(ours, burns, "on {device:?}");
        let (low, high) = (
            ours.iter().filter(|v| **v < 0.1),
            ours.iter().filter(|v| **v > 0.9),
        );
        assert!(
            low.count() > 100 && high.count() > 100,
            "both tails covered"
        );
    }
}
