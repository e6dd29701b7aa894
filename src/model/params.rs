//! Parameters by name (`encoder.conv1.weight`, ...): the vocabulary of the model file and of
//! checkpoints. Loading checks every name and shape and reports all mismatches at once.

use crate::rng::Rng;
use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct NamedTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("weights do not fit the architecture: {}", .problems.join("; "))]
pub struct ParamError {
    pub problems: Vec<String>,
}

/// The dotted path of the parameter being visited, shared with the optimiser's mapper.
#[derive(Default)]
pub(crate) struct Path(Vec<String>);

impl Path {
    pub(crate) fn enter(&mut self, name: &str, container: &str) {
        // Option<Linear> adds a level with an empty-ish name; keep names stable and short.
        if !container.starts_with("Option") {
            self.0.push(name.to_string());
        }
    }
    pub(crate) fn exit(&mut self, container: &str) {
        if !container.starts_with("Option") {
            self.0.pop();
        }
    }
    pub(crate) fn join(&self) -> String {
        self.0.join(".")
    }
}

struct Collect {
    path: Path,
    out: Vec<NamedTensor>,
}

impl ModuleVisitor for Collect {
    fn enter_module(&mut self, name: &str, container: &str) {
        self.path.enter(name, container)
    }
    fn exit_module(&mut self, _name: &str, container: &str) {
        self.path.exit(container)
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let t = param.val();
        let shape = t.dims().to_vec();
        let data = t
            .into_data()
            .try_into_vec_as::<f32>()
            .expect("f32 parameter");
        self.out.push(NamedTensor {
            name: self.path.join(),
            shape,
            data,
        });
    }
}

/// Every float parameter with its dotted path, in module order.
pub fn named_params<M: Module>(module: &M) -> Vec<NamedTensor> {
    let mut v = Collect {
        path: Path::default(),
        out: Vec::new(),
    };
    module.visit(&mut v);
    v.out
}

struct Replace<'a, F: FnMut(&str, &[usize]) -> Option<Vec<f32>>> {
    path: Path,
    device: &'a Device,
    source: F,
}

impl<F: FnMut(&str, &[usize]) -> Option<Vec<f32>>> ModuleMapper for Replace<'_, F> {
    fn enter_module(&mut self, name: &str, container: &str) {
        self.path.enter(name, container)
    }
    fn exit_module(&mut self, _name: &str, container: &str) {
        self.path.exit(container)
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let shape: Vec<usize> = param.lazy_shape().dims::<D>().to_vec();
        match (self.source)(&self.path.join(), &shape) {
            Some(data) => {
                Param::from_tensor(Tensor::from_data(TensorData::new(data, shape), self.device))
            }
            None => param,
        }
    }
}

/// Replace every parameter by the tensor of the same name; all missing, misshapen, non-finite
/// or unused tensors are reported together.
pub fn load_params<M: Module>(
    module: M,
    tensors: Vec<NamedTensor>,
    device: &Device,
) -> Result<M, ParamError> {
    let mut by_name: BTreeMap<String, NamedTensor> =
        tensors.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut problems = Vec::new();
    let module = module.map(&mut Replace {
        path: Path::default(),
        device,
        source: |name: &str, shape: &[usize]| {
            let Some(t) = by_name.remove(name) else {
                problems.push(format!("missing tensor '{name}' {shape:?}"));
                return None;
            };
            if t.shape != shape {
                problems.push(format!(
                    "tensor '{name}' has shape {:?}, expected {shape:?}",
                    t.shape
                ));
            } else if t.data.len() != shape.iter().product::<usize>() {
                problems.push(format!(
                    "tensor '{name}' holds {} values, shape {shape:?} needs more",
                    t.data.len()
                ));
            } else if t.data.iter().any(|v| !v.is_finite()) {
                problems.push(format!("tensor '{name}' contains NaN or infinite values"));
            } else {
                return Some(t.data);
            }
            None
        },
    });
    problems.extend(by_name.keys().map(|k| format!("unexpected tensor '{k}'")));
    if problems.is_empty() {
        Ok(module)
    } else {
        Err(ParamError { problems })
    }
}

/// Glorot-uniform weights (limit sqrt(6 / (fan_in + fan_out))) and zero biases, as Keras does.
pub(crate) fn init_glorot<M: Module>(module: M, seed: u64, device: &Device) -> M {
    let mut index = 0u64;
    module.map(&mut Replace {
        path: Path::default(),
        device,
        source: |_name: &str, shape: &[usize]| {
            index += 1;
            let n: usize = shape.iter().product();
            if shape.len() < 2 {
                return Some(vec![0.0; n]);
            }
            // Linear [in, out]; conv [out, in, k, k]; transposed conv [in, out, k, k]:
            // in every case fan_in + fan_out = (shape[0] + shape[1]) * receptive field.
            let receptive: usize = shape[2..].iter().product();
            let limit = (6.0 / ((shape[0] + shape[1]) * receptive) as f64).sqrt();
            let mut rng = Rng::derive(seed, 0x1417, index);
            Some(
                (0..n)
                    .map(|_| ((rng.uniform() * 2.0 - 1.0) * limit) as f32)
                    .collect(),
            )
        },
    })
}
