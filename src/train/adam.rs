//! Adam exactly as Keras applies it (lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), eps outside the
//! square root), with moments kept by parameter name so a checkpoint can store and restore them;
//! and the optimisers of a run, one Adam per parameter set a kind declares.

use crate::model::params::Path;
use crate::objective::{Optimise, ParamSet};
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

/// Whether the parameter at dotted path `name` belongs to a set with these prefixes.
fn selected(prefixes: &[&str], name: &str) -> bool {
    prefixes.iter().any(|p| {
        p.is_empty()
            || name == *p
            || name
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('.'))
    })
}

struct StepMapper<'a> {
    path: Path,
    grads: &'a Gradients,
    moments: &'a mut BTreeMap<String, (Tensor<1>, Tensor<1>)>,
    prefixes: &'a [&'a str],
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
        let name = self.path.join();
        let (id, tensor, mapper) = param.consume();
        if !selected(self.prefixes, &name) {
            return Param::from_mapped_value(id, tensor, mapper);
        }
        let Some(grad) = tensor.grad(self.grads) else {
            return Param::from_mapped_value(id, tensor, mapper);
        };
        let dims = tensor.dims();
        let n = dims.iter().product::<usize>();
        let g = grad.reshape([n]);
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
    /// One update, at learning rate `lr`, of every parameter under one of `prefixes` that
    /// received a gradient.
    pub fn step<M: Module>(
        &mut self,
        module: M,
        grads: &Gradients,
        lr: f64,
        prefixes: &[&str],
    ) -> M {
        self.step += 1;
        let t = self.step as i32;
        let lr_t = lr * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
        module.map(&mut StepMapper {
            path: Path::default(),
            grads,
            moments: &mut self.moments,
            prefixes,
            lr_t,
        })
    }

    /// Store the step count and moments under `prefix` (`adam.<set>`).
    pub fn save(&self, file: &mut TensorFile, prefix: &str) {
        file.metadata
            .insert(format!("{prefix}.step"), self.step.to_string());
        for (name, (m, v)) in &self.moments {
            for (kind, t) in [("m", m), ("v", v)] {
                let data = t.to_data().try_into_vec_as::<f32>().expect("f32 moments");
                file.put_f32(format!("{prefix}.{kind}.{name}"), vec![data.len()], data);
            }
        }
    }

    /// Restore what [`Adam::save`] stored under `prefix`; `device` is the inner (non-autodiff)
    /// device.
    pub fn load(file: &mut TensorFile, prefix: &str, device: &Device) -> Result<Self, String> {
        let key = format!("{prefix}.step");
        let step = file
            .metadata
            .get(&key)
            .ok_or_else(|| format!("checkpoint lacks {key}"))?;
        let step = step.parse().map_err(|_| format!("bad {key} '{step}'"))?;
        let m_prefix = format!("{prefix}.m.");
        let names: Vec<String> = file
            .entries
            .keys()
            .filter_map(|k| k.strip_prefix(&m_prefix).map(str::to_string))
            .collect();
        let mut moments = BTreeMap::new();
        for name in names {
            let (_, m) = file.take_f32(&format!("{prefix}.m.{name}"))?;
            let (_, v) = file.take_f32(&format!("{prefix}.v.{name}"))?;
            let t = |d: Vec<f32>| {
                let n = d.len();
                Tensor::<1>::from_data(TensorData::new(d, [n]), device)
            };
            moments.insert(name, (t(m), t(v)));
        }
        Ok(Self { step, moments })
    }
}

/// The optimisers of a run: one Adam for each parameter set of its kind.
pub struct Optimisers {
    sets: Vec<(ParamSet, Adam)>,
}

impl Optimisers {
    pub fn new(sets: &[ParamSet]) -> Self {
        Self {
            sets: sets.iter().map(|s| (*s, Adam::default())).collect(),
        }
    }

    /// What a kind's step uses to update its parameter sets at learning rate `lr`.
    pub fn at(&mut self, lr: f64) -> Stepper<'_> {
        Stepper { opt: self, lr }
    }

    pub fn save(&self, file: &mut TensorFile) {
        for (set, adam) in &self.sets {
            adam.save(file, &format!("adam.{}", set.name));
        }
    }

    /// Restore every set's Adam. Checkpoints from before parameter sets (one optimiser, stored
    /// under `adam.`) load into a kind's only set.
    pub fn load(file: &mut TensorFile, sets: &[ParamSet], device: &Device) -> Result<Self, String> {
        let legacy = sets.len() == 1 && file.metadata.contains_key("adam.step");
        let mut out = Vec::new();
        for set in sets {
            let prefix = if legacy {
                "adam".to_string()
            } else {
                format!("adam.{}", set.name)
            };
            out.push((*set, Adam::load(file, &prefix, device)?));
        }
        Ok(Self { sets: out })
    }
}

pub struct Stepper<'a> {
    opt: &'a mut Optimisers,
    lr: f64,
}

impl Optimise for Stepper<'_> {
    fn minimise_scaled<M: Module>(
        &mut self,
        net: M,
        loss: &Tensor<1>,
        set: &str,
        lr_scale: f64,
    ) -> M {
        let grads = loss.backward();
        let (spec, adam) = self
            .opt
            .sets
            .iter_mut()
            .find(|(s, _)| s.name == set)
            .unwrap_or_else(|| panic!("the kind declares no parameter set '{set}'"));
        adam.step(net, &grads, self.lr * lr_scale, spec.prefixes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Preset, Vae, VaeConfig, named_params};

    #[test]
    fn prefixes_match_whole_path_segments() {
        assert!(selected(&[""], "encoder.conv1.weight"));
        assert!(selected(&["encoder"], "encoder.conv1.weight"));
        assert!(selected(&["decoder", "encoder.mean"], "encoder.mean.bias"));
        assert!(!selected(&["encoder.mean"], "encoder.mean_extra.bias"));
        assert!(!selected(&["decoder"], "encoder.conv1.weight"));
    }

    /// A set's step moves its own parameters and leaves every other parameter bit-identical:
    /// what lets a kind alternate optimisers over parts of one network.
    #[test]
    fn a_set_updates_only_its_own_parameters() {
        let inner = Device::flex();
        let device = inner.clone().autodiff();
        let net = Vae::new(&VaeConfig::preset(Preset::Keras, 2), 4, &device);
        let before = named_params(&net);
        let sets = [
            ParamSet {
                name: "decoder",
                prefixes: &["decoder"],
            },
            ParamSet {
                name: "all",
                prefixes: &[""],
            },
        ];
        let mut opt = Optimisers::new(&sets);
        let x = Tensor::<4>::from_data(
            TensorData::new(vec![0.5f32; 2 * 28 * 28], [2, 1, 28, 28]),
            &device,
        );
        let eps = Tensor::<2>::zeros([2, 2], &device);
        let loss = |net: &Vae| {
            let (logits, _) = net.forward(x.clone(), eps.clone());
            crate::objective::bce_with_logits(logits, x.clone()).mean()
        };
        let l = loss(&net);
        let net = opt.at(1e-3).minimise(net, &l, "decoder");
        let after = named_params(&net);
        for (b, a) in before.iter().zip(&after) {
            if b.name.starts_with("decoder") {
                assert_ne!(a.data, b.data, "{} was not updated", b.name);
            } else {
                assert_eq!(a.data, b.data, "{} moved", b.name);
            }
        }
        assert_eq!(opt.sets[0].1.step, 1);
        assert_eq!(
            opt.sets[1].1.step, 0,
            "the other set's optimiser did not step"
        );
        // Its moments survive a save and load under the set's own prefix.
        let mut f = TensorFile::default();
        opt.save(&mut f);
        assert!(f.metadata.contains_key("adam.decoder.step"));
        let loaded = Optimisers::load(&mut f, &sets, &inner).unwrap();
        assert_eq!(loaded.sets[0].1.step, 1);
        assert_eq!(
            loaded.sets[0].1.moments.len(),
            before
                .iter()
                .filter(|t| t.name.starts_with("decoder"))
                .count()
        );
    }
}
