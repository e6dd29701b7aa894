//! The model's convolutions (and its dense layers): this crate's own kernels on the CPU backend
//! (burn-flex), burn's layers everywhere else (WebGPU, ndarray).
//!
//! Why: burn-flex implements the convolution forward kernels but not the backward ones, and
//! burn-backend's generic fallback computes a weight gradient as another convolution in which the
//! whole batch's feature map is the kernel — about 3/4 of a training step went there. The kernels
//! in `kernels` are im2col + one GEMM per sample (`gemm`: the crate flex itself uses), samples
//! spread over threads (`samples`), for all three passes; im2col and col2im move whole kernel
//! taps at once on phase planes (`phases`, compiled for wider vectors: `widest`), and a layer's
//! bias and ReLU run inside its pass (`conv2d_relu`, `conv_transpose2d_relu`). They reach burn
//! through a backend extension (`extension`): the `Dispatch` glue routes a flex tensor to our
//! `Flex` implementation and an autodiff one to our `Autodiff<Flex>` implementation, which
//! records a backward step of its own. The dense layers take the same route (`dense`, `linear`):
//! burn-flex runs small matrix products on one thread. Tensors on any other device never reach
//! the extension (it would panic there): `conv2d`, `conv_transpose2d` and `linear` below branch
//! on the device first.
//!
//! The decoder's stride-2 transposed convolutions take `winograd` instead of im2col's path in
//! the page's wasm and natively on CPUs with AVX2 but no AVX-512 (fewer multiplications; where
//! its short products would run on the `gemm` crate they are no faster, see there).

mod blocked;
mod dense;
mod extension;
mod finish;
pub use finish::sigmoid as scalar_sigmoid;
mod gemm;
mod geometry;
mod interleave;
pub mod kernels;
mod phases;
mod quad;
mod samples;
mod widest;
mod winograd;

use burn::backend::Dispatch;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Linear, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::{DType, activation};
use extension::ConvKernels;
use kernels::Geometry;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which convolution kernels the CPU backend runs (`--conv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Kernels {
    /// this crate's kernels (im2col + GEMM, forward and backward)
    #[default]
    Own,
    /// burn's layers (flex's forward, burn-backend's generic backward): the path before ours,
    /// kept for paired benchmarks and parity checks
    Burn,
}

/// Our kernels by default, natively and in the page's CPU module (wasm, one thread per decode
/// worker, where their products run on `blocked`).
static BURN_KERNELS: AtomicBool = AtomicBool::new(false);

/// Selects the kernels for the whole process (the page: the wasm instance).
pub fn select(kernels: Kernels) {
    BURN_KERNELS.store(kernels == Kernels::Burn, Ordering::Relaxed);
}

/// Whether `x` goes to our kernels: f32 on the flex device (autodiff or not), not switched off.
fn own_kernels_apply<const D: usize>(x: &Tensor<D>) -> bool {
    !BURN_KERNELS.load(Ordering::Relaxed)
        && x.dtype() == DType::F32
        && x.device().inner() == Device::flex()
}

/// The bias as a tensor; zeros for a layer without one (a constant: no gradient is kept).
fn bias_or_zeros(bias: &Option<burn::module::Param<Tensor<1>>>, c: usize, d: &Device) -> Tensor<1> {
    match bias {
        Some(b) => b.val(),
        None => Tensor::zeros([c], d),
    }
}

/// The geometry of `layer` on `x`, or `None` for what the kernels do not cover (dilation,
/// groups, "same" padding, mismatched channels: burn's layer handles or reports those).
pub fn conv2d_geometry(layer: &Conv2d, x_dims: [usize; 4]) -> Option<Geometry> {
    let [_, c, h, w] = x_dims;
    let [_, cin, kh, kw] = layer.weight.lazy_shape().dims::<4>();
    if layer.dilation != [1, 1] || layer.groups != 1 || cin != c {
        return None;
    }
    let (top, left, bottom, right) = match layer.padding {
        PaddingConfig2d::Valid => (0, 0, 0, 0),
        PaddingConfig2d::Explicit(t, l, b, r) => (t, l, b, r),
        PaddingConfig2d::Same => return None,
    };
    let out = |size: usize, lo: usize, hi: usize, k: usize, s: usize| {
        (size + lo + hi).checked_sub(k).map(|v| v / s + 1)
    };
    let [sh, sw] = layer.stride;
    Some(Geometry {
        channels: c,
        big: [h, w],
        kernel: [kh, kw],
        stride: [sh, sw],
        pad: [top, left],
        grid: [out(h, top, bottom, kh, sh)?, out(w, left, right, kw, sw)?],
    })
}

/// The geometry of a transposed `layer` on `x` (see `conv2d_geometry`).
pub fn conv_transpose2d_geometry(layer: &ConvTranspose2d, x_dims: [usize; 4]) -> Option<Geometry> {
    let [_, c, h, w] = x_dims;
    let [cin, cout, kh, kw] = layer.weight.lazy_shape().dims::<4>();
    if layer.dilation != [1, 1] || layer.groups != 1 || cin != c {
        return None;
    }
    let out = |size: usize, axis: usize, k: usize| {
        ((size.checked_sub(1)? * layer.stride[axis] + k + layer.padding_out[axis])
            .checked_sub(2 * layer.padding[axis]))
        .filter(|&v| v > 0)
    };
    Some(Geometry {
        channels: cout,
        big: [out(h, 0, kh)?, out(w, 1, kw)?],
        kernel: [kh, kw],
        stride: layer.stride,
        pad: layer.padding,
        grid: [h, w],
    })
}

/// `layer.forward(x)`, on our kernels where they apply.
pub fn conv2d(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv2d_then(layer, x, false)
}

/// `relu(layer.forward(x))`; on our kernels the ReLU is part of the layer's own pass (forward
/// and backward), which saves a pass over the output each way.
pub fn conv2d_relu(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    conv2d_then(layer, x, true)
}

fn conv2d_then(layer: &Conv2d, x: Tensor<4>, relu: bool) -> Tensor<4> {
    match conv2d_geometry(layer, x.dims()) {
        Some(g) if own_kernels_apply(&x) => {
            let cout = layer.weight.lazy_shape().dims::<4>()[0];
            let bias = bias_or_zeros(&layer.bias, cout, &x.device());
            Tensor::from_dispatch(<Dispatch as ConvKernels>::own_conv2d(
                x.into_dispatch(),
                layer.weight.val().into_dispatch(),
                bias.into_dispatch(),
                g,
                relu,
            ))
        }
        _ if relu => activation::relu(layer.forward(x)),
        _ => layer.forward(x),
    }
}

/// `layer.forward(x)` for a transposed convolution, on our kernels where they apply.
pub fn conv_transpose2d(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    conv_transpose2d_then(layer, x, false)
}

/// `relu(layer.forward(x))` for a transposed convolution (see `conv2d_relu`).
pub fn conv_transpose2d_relu(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    conv_transpose2d_then(layer, x, true)
}

fn conv_transpose2d_then(layer: &ConvTranspose2d, x: Tensor<4>, relu: bool) -> Tensor<4> {
    match conv_transpose2d_geometry(layer, x.dims()) {
        Some(g) if own_kernels_apply(&x) => {
            let bias = bias_or_zeros(&layer.bias, g.channels, &x.device());
            Tensor::from_dispatch(<Dispatch as ConvKernels>::own_conv_transpose2d(
                x.into_dispatch(),
                layer.weight.val().into_dispatch(),
                bias.into_dispatch(),
                g,
                relu,
            ))
        }
        _ if relu => activation::relu(layer.forward(x)),
        _ => layer.forward(x),
    }
}

/// `layer.forward(x)` for a dense layer on `x [n, inputs]`, on our kernels where they apply
/// (`dense`: on the threads).
pub fn linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    linear_then(layer, x, false)
}

/// `relu(layer.forward(x))` for a dense layer, the ReLU inside its pass on our kernels.
pub fn linear_relu(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    linear_then(layer, x, true)
}

fn linear_then(layer: &Linear, x: Tensor<2>, relu: bool) -> Tensor<2> {
    let [k, m] = layer.weight.lazy_shape().dims::<2>();
    match own_kernels_apply(&x) && x.dims()[1] == k {
        true => {
            let bias = bias_or_zeros(&layer.bias, m, &x.device());
            Tensor::from_dispatch(<Dispatch as ConvKernels>::own_linear(
                x.into_dispatch(),
                layer.weight.val().into_dispatch(),
                bias.into_dispatch(),
                relu,
            ))
        }
        false if relu => activation::relu(layer.forward(x)),
        false => layer.forward(x),
    }
}

/// `sigmoid(x)` (burn's activation, the same values), on the threads where our kernels apply.
pub fn sigmoid<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    if own_kernels_apply(&x) {
        Tensor::from_dispatch(<Dispatch as ConvKernels>::own_sigmoid(x.into_dispatch()))
    } else {
        activation::sigmoid(x)
    }
}

/// Runs the decoders' kernels (dense, transposed convolutions of stride 2 and 1, their bias and
/// ReLU) a few times on zeros. Why: V8 runs a wasm function first as baseline code (Liftoff,
/// some 2-3x slower on these loops) and optimises it on a background thread only after it has
/// run a while; the page calls this while its model file downloads, so the first grid decodes on
/// optimised kernels (the decode workers' instances share the module's code).
pub fn warm_up() {
    let up = Geometry {
        channels: 32,
        big: [14, 14],
        kernel: [3, 3],
        stride: [2, 2],
        pad: [1, 1],
        grid: [7, 7],
    };
    let out = Geometry {
        channels: 1,
        stride: [1, 1],
        grid: [14, 14],
        ..up
    };
    for _ in 0..WARM_ROUNDS {
        for (g, cin, relu) in [(&up, 64, true), (&out, 32, false)] {
            let x = vec![0.0; cin * g.grid_len()];
            let w = vec![0.0; cin * g.patch_len()];
            let b = vec![0.0; g.channels];
            std::hint::black_box(kernels::conv_transpose2d(g, &x, &w, &b, cin, relu));
        }
        let (k, m) = (16, 49 * 64);
        let y = dense::linear(
            &vec![0.0; 2 * k],
            &vec![0.0; k * m],
            &vec![0.0; m],
            k,
            m,
            true,
        );
        std::hint::black_box(y);
    }
}

/// Enough rounds to use up V8's tiering budget in each kernel (`--trace-wasm-compilation-times`
/// shows them optimised after the call), few enough to take milliseconds as baseline code.
const WARM_ROUNDS: usize = 8;
