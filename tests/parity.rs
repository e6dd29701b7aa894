//! burn-flex (default) and burn-ndarray (the product card's backend, opt-in) compute the same
//! model: same weights in, same decoder and encoder outputs out, within float tolerance.
#![cfg(feature = "ndarray")]

use burn::prelude::*;
use latent_atlas::data::fashion;
use latent_atlas::device::Backend;
use latent_atlas::model::{Preset, Vae, VaeConfig, load_params, named_params};

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

#[test]
fn flex_and_ndarray_agree() {
    let flex = Backend::Flex.device().unwrap();
    let nd = Backend::Ndarray.device().unwrap();
    let data = fashion::load(None).unwrap();
    for (preset, dim) in [(Preset::Keras, 2), (Preset::Atlas, 16)] {
        let config = VaeConfig::preset(preset, dim);
        let a = Vae::new(&config, 5, &flex);
        let b = load_params(Vae::uninitialised(&config, &nd), named_params(&a), &nd).unwrap();
        let z: Vec<f32> = (0..8 * dim)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 4.0)
            .collect();
        let dec = |m: &Vae, d: &Device| {
            values(m.decoder.forward(Tensor::<2>::from_data(
                TensorData::new(z.clone(), [8, dim]),
                d,
            )))
        };
        let (da, db) = (dec(&a, &flex), dec(&b, &nd));
        let worst = da
            .iter()
            .zip(&db)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-5, "{preset:?}: decoders differ by {worst}");
        assert!(
            da.iter().any(|&p| (p - da[0]).abs() > 1e-3),
            "decoder output is not constant"
        );

        let mut buf = Vec::new();
        data.test.gather_f32(&(0..8).collect::<Vec<_>>(), &mut buf);
        let enc = |m: &Vae, d: &Device| {
            values(
                m.encoder
                    .forward(Tensor::<4>::from_data(
                        TensorData::new(buf.clone(), [8, 1, 28, 28]),
                        d,
                    ))
                    .mean,
            )
        };
        let worst = enc(&a, &flex)
            .iter()
            .zip(enc(&b, &nd))
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "{preset:?}: encoders differ by {worst}");
    }
}
