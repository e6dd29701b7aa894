//! The kernels wired into burn as a backend extension: `ConvKernels` runs on burn-flex (the
//! forward passes) and on `Autodiff<Flex>` (forward, and a recorded backward step that calls
//! this crate's gradient kernels instead of burn-backend's generic ones).

use super::dense;
use super::kernels::{self, Geometry};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Flex, backend_extension};
use burn::tensor::TensorData;

#[backend_extension(Flex, Autodiff: cfg(feature = "cli"))]
pub trait ConvKernels: Backend {
    /// `x [n, cin, h, w]`, `weight [cout, cin, kh, kw]`, `bias [cout]` -> `[n, cout, gh, gw]`,
    /// through a ReLU when `relu`.
    fn own_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: Geometry,
        relu: bool,
    ) -> FloatTensor<Self>;

    /// `x [n, cin, gh, gw]`, `weight [cin, cout, kh, kw]`, `bias [cout]` -> `[n, cout, bh, bw]`,
    /// through a ReLU when `relu`.
    fn own_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        geometry: Geometry,
        relu: bool,
    ) -> FloatTensor<Self>;

    /// A dense layer: `x [n, k]`, `weight [k, m]`, `bias [m]` -> `[n, m]`, through a ReLU when
    /// `relu`.
    fn own_linear(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        relu: bool,
    ) -> FloatTensor<Self>;

    /// The logistic function of `x [n, ...]`, the samples over the threads (no backward step of
    /// its own: under autodiff this is burn's `sigmoid`).
    fn own_sigmoid(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// A tensor's values in row-major order (a copy only when its layout is not already that).
/// Checked here rather than left to `to_contiguous`: that is one 40 KB function over every
/// dtype and layout, and a call per operand per layer makes V8 compile it with its optimising
/// tier while the page's first grid is decoding (~90 ms of a core on a 2-core machine).
fn values(t: &FlexTensor) -> FlexTensor {
    if t.as_slice::<f32>().is_some() {
        t.clone()
    } else {
        t.to_contiguous()
    }
}

fn slice(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>()
        .expect("the conv kernels are routed f32 tensors only (see conv::own_kernels_apply)")
}

fn tensor(v: Vec<f32>, shape: Vec<usize>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(v, shape))
}

fn dims(t: &FlexTensor) -> Vec<usize> {
    t.layout().shape().to_vec()
}

impl ConvKernels for Flex {
    fn own_conv2d(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        g: Geometry,
        relu: bool,
    ) -> FlexTensor {
        let (x, w, b) = (values(&x), values(&weight), values(&bias));
        let (n, cout) = (dims(&x)[0], dims(&w)[0]);
        let y = kernels::conv2d(&g, slice(&x), slice(&w), slice(&b), cout, relu);
        tensor(y, vec![n, cout, g.grid[0], g.grid[1]])
    }

    fn own_conv_transpose2d(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        g: Geometry,
        relu: bool,
    ) -> FlexTensor {
        let (x, w, b) = (values(&x), values(&weight), values(&bias));
        let (n, cin) = (dims(&x)[0], dims(&w)[0]);
        let y = kernels::conv_transpose2d(&g, slice(&x), slice(&w), slice(&b), cin, relu);
        tensor(y, vec![n, g.channels, g.big[0], g.big[1]])
    }

    fn own_linear(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, relu: bool) -> FlexTensor {
        let (x, w, b) = (values(&x), values(&weight), values(&bias));
        let (n, [k, m]) = (dims(&x)[0], [dims(&w)[0], dims(&w)[1]]);
        tensor(
            dense::linear(slice(&x), slice(&w), slice(&b), k, m, relu),
            vec![n, m],
        )
    }

    fn own_sigmoid(x: FlexTensor) -> FlexTensor {
        let x = values(&x);
        let shape = dims(&x);
        let per_row = shape.iter().skip(1).product();
        tensor(kernels::sigmoid(slice(&x), per_row), shape)
    }
}

/// Which convolution a recorded step differentiates.
#[cfg(feature = "cli")]
#[derive(Debug, Clone, Copy)]
enum Kind {
    Conv,
    Transposed,
}

#[cfg(feature = "cli")]
mod autodiff {
    use super::*;
    use burn::backend::Autodiff;
    use burn::backend::autodiff::NodeId;
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::ops::ActivationOps;

    /// The backward step of one convolution: (input, weight, bias) gradients from the output's.
    #[derive(Debug)]
    struct ConvBackward;

    impl Backward<Flex, 3> for ConvBackward {
        /// The input's and weight's checkpoints, the geometry, the kind, and the output when a
        /// ReLU was fused into the layer (its gradient passes only where the output is positive).
        type State = (NodeId, NodeId, Geometry, Kind, Option<FlexTensor>);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let parents = ops.parents.map(|p| p.map(|node| node.id));
            let dy = values(&grads.consume::<Flex>(&ops.node));
            let (x_state, w_state, g, kind, relu_out) = ops.state;
            let (x, w) = (
                retrieved(checkpointer, x_state),
                retrieved(checkpointer, w_state),
            );
            // The output's channels and plane size: the bias has one value per channel.
            let (cout, plane) = match kind {
                Kind::Conv => (dims(&w)[0], g.grid_len()),
                Kind::Transposed => (g.channels, g.big[0] * g.big[1]),
            };
            let y = relu_out.as_ref().map(values);
            let (masked, db) =
                kernels::relu_bias_backward(slice(&dy), y.as_ref().map(slice), cout, plane);
            let dys = masked.as_deref().unwrap_or_else(|| slice(&dy));
            let (xs, ws) = (slice(&x), slice(&w));
            let (dx, dw) = match kind {
                Kind::Conv => kernels::conv2d_backward(&g, xs, ws, dys, cout, parents[0].is_some()),
                Kind::Transposed => {
                    kernels::conv_transpose2d_backward(&g, xs, ws, dys, dims(&w)[0])
                }
            };
            let shapes = [dims(&x), dims(&w), vec![cout]];
            register(grads, parents, [dx, dw, db], shapes);
        }
    }

    /// A checkpointed input's values in row-major order.
    fn retrieved(checkpointer: &mut Checkpointer, state: NodeId) -> FlexTensor {
        values(&checkpointer.retrieve_node_output::<FlexTensor>(state))
    }

    /// Hands each tracked parent (input, weight, bias) its gradient: `values` of `shapes`
    /// (an untracked parent's may be empty: it was not computed).
    fn register(
        grads: &mut Gradients,
        parents: [Option<NodeId>; 3],
        values: [Vec<f32>; 3],
        shapes: [Vec<usize>; 3],
    ) {
        for ((id, v), shape) in parents.into_iter().zip(values).zip(shapes) {
            if let Some(id) = id {
                grads.register::<Flex>(id, tensor(v, shape));
            }
        }
    }

    /// The backward step of one dense layer.
    #[derive(Debug)]
    struct LinearBackward;

    impl Backward<Flex, 3> for LinearBackward {
        /// The input's and weight's checkpoints, and the output when a ReLU was fused.
        type State = (NodeId, NodeId, Option<FlexTensor>);

        fn backward(
            self,
            ops: Ops<Self::State, 3>,
            grads: &mut Gradients,
            checkpointer: &mut Checkpointer,
        ) {
            let parents = ops.parents.map(|p| p.map(|node| node.id));
            let dy = values(&grads.consume::<Flex>(&ops.node));
            let (x_state, w_state, relu_out) = ops.state;
            let (x, w) = (
                retrieved(checkpointer, x_state),
                retrieved(checkpointer, w_state),
            );
            let y = relu_out.as_ref().map(values);
            let [k, m] = [dims(&w)[0], dims(&w)[1]];
            let (dx, dw, db) = dense::linear_backward(
                slice(&x),
                slice(&w),
                slice(&dy),
                y.as_ref().map(slice),
                k,
                m,
                parents[0].is_some(),
            );
            register(
                grads,
                parents,
                [dx, dw, db],
                [dims(&x), vec![k, m], vec![m]],
            );
        }
    }

    /// Runs `forward` on the inner tensors, recording the backward step when any input is tracked.
    fn record<C: CheckpointStrategy>(
        x: FloatTensor<Autodiff<Flex, C>>,
        weight: FloatTensor<Autodiff<Flex, C>>,
        bias: FloatTensor<Autodiff<Flex, C>>,
        g: Geometry,
        kind: Kind,
        relu: bool,
        forward: fn(FlexTensor, FlexTensor, FlexTensor, Geometry, bool) -> FlexTensor,
    ) -> FloatTensor<Autodiff<Flex, C>> {
        match ConvBackward
            .prepare::<C>([x.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let (x_state, w_state) = (prep.checkpoint(&x), prep.checkpoint(&weight));
                let y = forward(
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                    g,
                    relu,
                );
                let state = (x_state, w_state, g, kind, relu.then(|| y.clone()));
                prep.finish(state, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(
                x.into_primitive(),
                weight.into_primitive(),
                bias.into_primitive(),
                g,
                relu,
            )),
        }
    }

    impl<C: CheckpointStrategy> ConvKernels for Autodiff<Flex, C> {
        fn own_conv2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            g: Geometry,
            relu: bool,
        ) -> FloatTensor<Self> {
            record::<C>(x, weight, bias, g, Kind::Conv, relu, Flex::own_conv2d)
        }

        fn own_conv_transpose2d(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            g: Geometry,
            relu: bool,
        ) -> FloatTensor<Self> {
            record::<C>(
                x,
                weight,
                bias,
                g,
                Kind::Transposed,
                relu,
                Flex::own_conv_transpose2d,
            )
        }

        fn own_linear(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            relu: bool,
        ) -> FloatTensor<Self> {
            match LinearBackward
                .prepare::<C>([x.node(), weight.node(), bias.node()])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(mut prep) => {
                    let (x_state, w_state) = (prep.checkpoint(&x), prep.checkpoint(&weight));
                    let (x, w, b) = (
                        x.into_primitive(),
                        weight.into_primitive(),
                        bias.into_primitive(),
                    );
                    let y = Flex::own_linear(x, w, b, relu);
                    prep.finish((x_state, w_state, relu.then(|| y.clone())), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(Flex::own_linear(
                    x.into_primitive(),
                    weight.into_primitive(),
                    bias.into_primitive(),
                    relu,
                )),
            }
        }

        fn own_sigmoid(x: FloatTensor<Self>) -> FloatTensor<Self> {
            <Self as ActivationOps<Self>>::sigmoid(x)
        }
    }
}
