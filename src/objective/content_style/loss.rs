//! The content/style loss terms: the two parts of a posterior, the group-level content code,
//! the prototype term, and one batch's loss.

use super::ContentStyle;
use crate::model::{Decoder, Encoder, Posterior};
use crate::objective::mmd::{mmd2_unbiased, sq_dists};
use crate::objective::terms::{bce_with_logits, kl_to_standard_normal};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;

/// A posterior over `[content | style]` as its two parts.
pub fn parts(q: &Posterior, content_dim: usize) -> (Posterior, Posterior) {
    let d = q.mean.dims()[1];
    let part = |start, len| Posterior {
        mean: q.mean.clone().narrow(1, start, len),
        log_var: q.log_var.clone().narrow(1, start, len),
    };
    (part(0, content_dim), part(content_dim, d - content_dim))
}

/// Product of each group's Gaussians: `[groups * per_group, d] -> [groups, d]`. Precisions add;
/// the mean is the precision-weighted mean.
pub fn group_product(q: &Posterior, per_group: usize) -> Posterior {
    let [n, d] = q.mean.dims();
    let g = n / per_group;
    // Clamped: with MMD alone nothing stops a log-variance from running off to -inf.
    let precision = q
        .log_var
        .clone()
        .clamp(-12.0, 12.0)
        .neg()
        .exp()
        .reshape([g, per_group, d]);
    let weighted = (q.mean.clone().reshape([g, per_group, d]) * precision.clone()).sum_dim(1);
    let total = precision.sum_dim(1);
    Posterior {
        mean: (weighted / total.clone()).reshape([g, d]),
        log_var: total.log().neg().reshape([g, d]),
    }
}

/// Prototype cross-entropy on content means `[groups * per_group, d]`: each half of a group is
/// classified against prototypes (means) built from the other half of every group; the mean over
/// both directions and all queries, in nats. The logits are `-scale` × squared distance: a larger
/// scale sharpens the softmax onto the nearest wrong prototypes (metric scaling, Oreshkin et al.
/// 2018), a smaller one spreads the pull over all of them.
pub fn prototype_loss(means: Tensor<2>, per_group: usize, scale: f64) -> Tensor<1> {
    let [n, d] = means.dims();
    let g = n / per_group;
    let h = per_group / 2;
    let m = means.reshape([g, per_group, d]);
    let device = m.device();
    // labels[q] = q / h for queries laid out group by group.
    let onehot: Vec<f32> = (0..g * h)
        .flat_map(|q| (0..g).map(move |c| f32::from(u8::from(q / h == c))))
        .collect();
    let onehot = Tensor::<2>::from_data(TensorData::new(onehot, [g * h, g]), &device);
    let direction = |support: Tensor<3>, query: Tensor<3>| {
        let protos = support.mean_dim(1).reshape([g, d]);
        let query = query.reshape([g * h, d]);
        let logits = sq_dists(query, protos) * -scale;
        (log_softmax(logits, 1) * onehot.clone()).sum().neg() / (g * h) as f64
    };
    let (a, b) = (m.clone().narrow(1, 0, h), m.narrow(1, h, h));
    (direction(a.clone(), b.clone()) + direction(b, a)) * 0.5
}

/// Within-character scatter over total scatter of content means `[groups * per_group, d]`: the
/// mean squared distance of each drawing to its group's centre, over the mean squared distance to
/// the batch's centre (0 = every character a point, 1 = groups no tighter than the batch).
///
/// k-means, which the clustering measure runs on content means, minimises exactly the numerator
/// for a given assignment; the prototype term stops pulling once a query is nearest its own
/// prototype, this one keeps tightening characters relative to their spread. A ratio, so it
/// cannot be lowered by shrinking the whole code (the MMD holds the scale).
pub fn scatter_ratio(means: Tensor<2>, per_group: usize) -> Tensor<1> {
    let [n, d] = means.dims();
    let g = n / per_group;
    let grouped = means.clone().reshape([g, per_group, d]);
    let within = (grouped.clone() - grouped.mean_dim(1)).square().sum() / n as f64;
    let total = (means.clone() - means.mean_dim(0)).square().sum() / n as f64;
    // The floor keeps a batch of identical codes (an untrained encoder can give one) finite.
    within / total.clamp_min(1e-6)
}

/// One batch's loss terms, each a one-element tensor averaged per drawing.
pub struct ContentStyleLoss {
    pub total: Tensor<1>,
    pub recon: Tensor<1>,
    /// Group content KL (once per group, shared out over its drawings) and style KL.
    pub kl_content: Tensor<1>,
    pub kl_style: Tensor<1>,
    pub mmd_content: Tensor<1>,
    pub mmd_style: Tensor<1>,
    pub proto: Tensor<1>,
    /// `scatter_ratio` of the content means (a measure always, a term at `cluster_weight` > 0).
    pub scatter: Tensor<1>,
}

impl ContentStyleLoss {
    /// recon + KLs: the group negative ELBO per drawing, whatever the training weights.
    pub fn nelbo(&self) -> Tensor<1> {
        self.recon.clone() + self.kl_content.clone() + self.kl_style.clone()
    }
}

/// Standard-normal draws for one batch: group content, per-drawing content and style (for the
/// MMD's aggregate-posterior samples), and prior samples for both MMDs.
pub struct Noise {
    pub group_content: Tensor<2>,
    pub content: Tensor<2>,
    pub style: Tensor<2>,
    pub prior_content: Tensor<2>,
    pub prior_style: Tensor<2>,
}

impl Noise {
    /// Cut one flat vector of `n * (2 * content + 2 * style) + groups * content` normals.
    pub fn from_flat(
        v: Vec<f32>,
        n: usize,
        groups: usize,
        content: usize,
        style: usize,
        device: &Device,
    ) -> Self {
        let mut rest = v;
        let mut take = |rows: usize, cols: usize| {
            let tail = rest.split_off(rows * cols);
            let head = std::mem::replace(&mut rest, tail);
            Tensor::<2>::from_data(TensorData::new(head, [rows, cols]), device)
        };
        Self {
            group_content: take(groups, content),
            content: take(n, content),
            style: take(n, style),
            prior_content: take(n, content),
            prior_style: take(n, style),
        }
    }

    pub fn len(n: usize, groups: usize, content: usize, style: usize) -> usize {
        n * 2 * (content + style) + groups * content
    }
}

pub fn content_style_loss(
    encoder: &Encoder,
    decoder: &Decoder,
    x: Tensor<4>,
    content_dim: usize,
    noise: Noise,
    c: &ContentStyle,
) -> ContentStyleLoss {
    let n = x.dims()[0];
    let k = c.per_group;
    let g = n / k;
    let q = encoder.forward(x.clone());
    let (qc, qs) = parts(&q, content_dim);
    let group = group_product(&qc, k);
    let zc = group
        .sample(noise.group_content)
        .unsqueeze_dim::<3>(1)
        .repeat_dim(1, k)
        .reshape([n, content_dim]);
    let zs = qs.sample(noise.style.clone());
    let logits = decoder.forward_logits(Tensor::cat(vec![zc, zs.clone()], 1));
    let recon = bce_with_logits(logits, x).mean();
    let kl_content = kl_to_standard_normal(&group).sum() / n as f64;
    let kl_style = kl_to_standard_normal(&qs).mean();
    let mmd_content = mmd2_unbiased(qc.sample(noise.content), noise.prior_content, c.kernel);
    let mmd_style = mmd2_unbiased(zs, noise.prior_style, c.kernel);
    let proto = prototype_loss(qc.mean.clone(), k, c.proto_scale);
    let scatter = scatter_ratio(qc.mean.clone(), k);
    let mut total = recon.clone() + proto.clone() * c.proto_weight;
    if c.cluster_weight > 0.0 {
        total = total + scatter.clone() * c.cluster_weight;
    }
    for (reg, beta, kl, mmd) in [
        (c.content_reg, c.content_beta, &kl_content, &mmd_content),
        (c.style_reg, c.style_beta, &kl_style, &mmd_style),
    ] {
        if reg.kl() {
            total = total + kl.clone() * beta;
        }
        if reg.mmd() {
            total = total + mmd.clone() * c.mmd_weight;
        }
    }
    debug_assert_eq!(g * k, n);
    ContentStyleLoss {
        total,
        recon,
        kl_content,
        kl_style,
        mmd_content,
        mmd_style,
        proto,
        scatter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t2(v: &[f32], rows: usize) -> Tensor<2> {
        let cols = v.len() / rows;
        Tensor::from_data(TensorData::new(v.to_vec(), [rows, cols]), &Device::flex())
    }

    fn host(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn group_product_adds_precisions() {
        // Group of two 1-d Gaussians: N(0, 1) and N(2, 1/3): precision 1 + 3 = 4, mean 6/4.
        let q = Posterior {
            mean: t2(&[0.0, 2.0], 2),
            log_var: t2(&[0.0, (1.0f32 / 3.0).ln()], 2),
        };
        let p = group_product(&q, 2);
        assert!((host(p.mean)[0] - 1.5).abs() < 1e-6);
        assert!((host(p.log_var)[0] - 0.25f32.ln()).abs() < 1e-6);
    }

    #[test]
    fn prototype_loss_is_low_for_separated_groups_and_ln_g_for_identical_ones() {
        // Two groups of 4 far apart in 1-d: each query is nearest its own prototype.
        let far = t2(&[0.0, 0.1, -0.1, 0.0, 10.0, 10.1, 9.9, 10.0], 8);
        assert!(prototype_loss(far, 4, 1.0).into_scalar::<f32>() < 1e-3);
        // Everything at one point: every prototype equally near, cross-entropy ln 2.
        let same = t2(&[1.0; 8], 8);
        let l = prototype_loss(same, 4, 1.0).into_scalar::<f32>();
        assert!((l - std::f32::consts::LN_2).abs() < 1e-5, "{l}");
        // Swapped labels (queries nearer the other group's prototype) cost more than ln 2.
        let crossed = t2(&[0.0, 0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0], 8);
        assert!(prototype_loss(crossed, 4, 1.0).into_scalar::<f32>() > 1.0);
        // The scale multiplies every logit: two groups in 1-d at distance 1 (squared 1), so each
        // query's cross-entropy is ln(1 + e^(-scale)).
        let near = t2(&[0.0, 0.0, 1.0, 1.0], 4);
        for scale in [0.5f64, 1.0, 3.0] {
            let l = prototype_loss(near.clone(), 2, scale).into_scalar::<f32>();
            let want = (1.0 + (-scale).exp()).ln() as f32;
            assert!((l - want).abs() < 1e-5, "scale {scale}: {l} vs {want}");
        }
    }

    #[test]
    fn scatter_ratio_compares_groups_with_the_batch() {
        let ratio = |v: &[f32], k| scatter_ratio(t2(v, v.len()), k).into_scalar::<f32>();
        // Two groups of two in 1-d, each ±0.1 around 0 and 10: within 0.01, total 25.01.
        let tight = [-0.1, 0.1, 9.9, 10.1];
        assert!((ratio(&tight, 2) - 0.01 / 25.01).abs() < 1e-6);
        // Scaling the code does not change it.
        let scaled: Vec<f32> = tight.iter().map(|x| x * 3.0).collect();
        assert!((ratio(&scaled, 2) - ratio(&tight, 2)).abs() < 1e-6);
        // Both groups centred on the batch's centre: no tighter than the batch.
        assert!((ratio(&[-1.0, 1.0, -3.0, 3.0], 2) - 1.0).abs() < 1e-6);
        // Identical codes: 0, not NaN.
        assert_eq!(ratio(&[0.5; 4], 2), 0.0);
    }
}
