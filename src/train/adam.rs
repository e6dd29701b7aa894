//! Adam exactly as Keras applies it (lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), eps outside the
//! square root), with moments kept by parameter name so a checkpoint can store and restore them.

use crate::model::params::Path;
use crate::tensorfile::TensorFile;
use burn::module::{ModuleMapper, Param};
use burn::prelude::*;
use burn::tensor::Gradients;
use std::collections::BTreeMap;

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPSILON: f64 = 1e-7;

#[derive(Default)]
pub struct Adam {
    pub step: u64,
    /// First and second moments, flattened, on the inner (non-autodiff) device.
    moments: BTreeMap<String, (Tensor<1>, Tensor<1>)>,
}

struct StepMapper<'a> {
    path: Path,
    grads: &'a Gradients,
    moments: &'a mut BTreeMap<String, (Tensor<1>, Tensor<1>)>,
    lr_t: f64,
}

impl ModuleMapper for StepMapper<'_> {
    fn enter_module(&mut self, name: &str, container: &str) {
        self.path.enter(name, container)
    }
    fn exit_module(&mut self, _name: &str, container: &str) {
        self.path.exit(container)
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (id, tensor, mapper) = param.consume();
        let Some(grad) = tensor.grad(self.grads) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let dims = tensor.dims();
        let n = dims.iter().product::<usize>();
        let g = grad.reshape([n]);
        let name = self.path.join();
        let (m, v) = match self.moments.remove(&name) {
            Some((m, v)) => (
                m * BETA1 + g.clone() * (1.0 - BETA1),
                v * BETA2 + g.square() * (1.0 - BETA2),
            ),
            None => (g.clone() * (1.0 - BETA1), g.square() * (1.0 - BETA2)),
        };
        let update = (m.clone() / (v.clone().sqrt() + EPSILON)) * self.lr_t;
        self.moments.insert(name, (m, v));
        let updated = tensor.inner() - update.reshape(dims);
        Param::from_mapped_value(id, Tensor::from_inner(updated).require_grad(), mapper)
    }
}

impl Adam {
    /// One update of every parameter that received a gradient, at learning rate `lr`.
    pub fn step<M: Module>(&mut self, module: M, grads: &Gradients, lr: f64) -> M {
        self.step += 1;
        let t = self.step as i32;
        let lr_t = lr * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
        module.map(&mut StepMapper {
            path: Path::default(),
            grads,
            moments: &mut self.moments,
            lr_t,
        })
    }

    pub fn save(&self, file: &mut TensorFile) {
        file.metadata
            .insert("adam.step".into(), self.step.to_string());
        for (name, (m, v)) in &self.moments {
            for (kind, t) in [("m", m), ("v", v)] {
                let data = t.to_data().try_into_vec_as::<f32>().expect("f32 moments");
                file.put_f32(format!("adam.{kind}.{name}"), vec![data.len()], data);
            }
        }
    }

    /// Restore moments saved by [`Adam::save`]; `device` is the inner (non-autodiff) device.
    pub fn load(file: &mut TensorFile, device: &Device) -> Result<Self, String> {
        let step = file
            .metadata
            .get("adam.step")
            .ok_or("checkpoint lacks adam.step")?;
        let step = step
            .parse()
            .map_err(|_| format!("bad adam.step '{step}'"))?;
        let names: Vec<String> = file
            .entries
            .keys()
            .filter_map(|k| k.strip_prefix("adam.m.").map(str::to_string))
            .collect();
        let mut moments = BTreeMap::new();
        for name in names {
            let (_, m) = file.take_f32(&format!("adam.m.{name}"))?;
            let (_, v) = file.take_f32(&format!("adam.v.{name}"))?;
            let t =
                |d: Vec<f32>| Tensor::<1>::from_data(TensorData::new(d.clone(), [d.len()]), device);
            moments.insert(name, (t(m), t(v)));
        }
        Ok(Self { step, moments })
    }
}
