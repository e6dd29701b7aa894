//! Backend-independent latent operations the explorer needs: the 2-D plane a map shows inside
//! the latent space, grids over it and interpolation paths (an upload becomes model input in
//! `data::upload`). Pure functions on plain data, tested natively, used by the page.

pub mod animation;
pub mod arithmetic;
pub mod clusters;

/// The plane the map shows: `point(x, y) = origin + x * u + y * v` in latent space.
#[derive(Debug, Clone, PartialEq)]
pub struct Plane {
    pub origin: Vec<f32>,
    pub u: Vec<f32>,
    pub v: Vec<f32>,
}

impl Plane {
    /// Two latent dimensions, the others held at `base`.
    pub fn axes(base: Vec<f32>, i: usize, j: usize) -> Self {
        let dim = base.len();
        let unit = |k: usize| (0..dim).map(|d| if d == k { 1.0 } else { 0.0 }).collect();
        let mut origin = base;
        origin[i] = 0.0;
        origin[j] = 0.0;
        Self {
            u: unit(i),
            v: unit(j),
            origin,
        }
    }

    pub fn point(&self, x: f32, y: f32) -> Vec<f32> {
        self.origin
            .iter()
            .zip(&self.u)
            .zip(&self.v)
            .map(|((o, u), v)| o + x * u + y * v)
            .collect()
    }

    /// Plane coordinates of a latent point's projection (u and v orthonormal).
    pub fn project(&self, z: &[f32]) -> [f32; 2] {
        let d: Vec<f32> = z.iter().zip(&self.origin).map(|(a, o)| a - o).collect();
        let dot = |w: &[f32]| d.iter().zip(w).map(|(a, b)| a * b).sum::<f32>();
        [dot(&self.u), dot(&self.v)]
    }
}

/// Centres of an `n x n` grid covering `[cx - half, cx + half] x [cy - half, cy + half]`, row by
/// row from the top (largest y) down, as the map draws them.
pub fn grid(center: [f32; 2], half: f32, n: usize) -> Vec<[f32; 2]> {
    let step = 2.0 * half / n as f32;
    (0..n)
        .flat_map(|r| {
            (0..n).map(move |c| {
                [
                    center[0] - half + (c as f32 + 0.5) * step,
                    center[1] + half - (r as f32 + 0.5) * step,
                ]
            })
        })
        .collect()
}

/// `steps` points from `a` to `b` inclusive. Spherical interpolation follows the great circle
/// (White 2016), keeping norms typical of the Gaussian prior; it falls back to linear when the
/// ends are nearly parallel or one is near the origin.
pub fn interpolate(a: &[f32], b: &[f32], steps: usize, spherical: bool) -> Vec<Vec<f32>> {
    let steps = steps.max(2);
    let norm = |v: &[f32]| v.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    let cos = if na > 1e-6 && nb > 1e-6 {
        a.iter()
            .zip(b)
            .map(|(x, y)| *x as f64 * *y as f64)
            .sum::<f64>()
            / (na * nb)
    } else {
        1.0
    };
    let omega = cos.clamp(-1.0, 1.0).acos();
    (0..steps)
        .map(|k| {
            let t = k as f64 / (steps - 1) as f64;
            let (wa, wb) = if spherical && omega.sin().abs() > 1e-4 {
                (
                    ((1.0 - t) * omega).sin() / omega.sin(),
                    (t * omega).sin() / omega.sin(),
                )
            } else {
                (1.0 - t, t)
            };
            a.iter()
                .zip(b)
                .map(|(x, y)| (wa * *x as f64 + wb * *y as f64) as f32)
                .collect()
        })
        .collect()
}

/// Like `interpolate`, but only coordinates `from..to` travel from `a` to `b`; the others stay
/// at `a`'s (a content/style model's "content only" or "style only" interpolation).
pub fn interpolate_part(
    a: &[f32],
    b: &[f32],
    steps: usize,
    spherical: bool,
    from: usize,
    to: usize,
) -> Vec<Vec<f32>> {
    let (from, to) = (from.min(a.len()), to.min(a.len()).max(from.min(a.len())));
    interpolate(&a[from..to], &b[from..to], steps, spherical)
        .into_iter()
        .map(|part| {
            let mut z = a.to_vec();
            z[from..to].copy_from_slice(&part);
            z
        })
        .collect()
}

/// Every content with every style: `contents` (`rows` codes) and `styles` (`cols` codes), each
/// `dim` wide, give `rows * cols` codes, row-major, each the first `content_dim` coordinates of
/// its row's code followed by the rest of its column's.
pub fn mix(contents: &[f32], styles: &[f32], dim: usize, content_dim: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(contents.len() / dim * styles.len());
    for c in contents.chunks_exact(dim) {
        for s in styles.chunks_exact(dim) {
            out.extend_from_slice(&c[..content_dim]);
            out.extend_from_slice(&s[content_dim..]);
        }
    }
    out
}

/// A conditional model's decoder input: each of the `dim`-wide codes in `z`, followed by the
/// one-hot of its label among `classes` (labels cycle when there are fewer than codes).
pub fn with_one_hot(z: &[f32], dim: usize, labels: &[usize], classes: usize) -> Vec<f32> {
    let n = z.len() / dim.max(1);
    let mut hot = vec![0.0; n * classes];
    for row in 0..n {
        hot[row * classes + labels[row % labels.len()]] = 1.0;
    }
    with_labels(z, dim, &hot, classes).expect("one label vector per code")
}

/// A conditional model's decoder input from codes and labels given as vectors: `labels` is one
/// vector of `classes` values for every code, or one per code (a one-hot, or a blend of
/// one-hots while an interpolation moves between classes). `None` when the counts disagree.
pub fn with_labels(z: &[f32], dim: usize, labels: &[f32], classes: usize) -> Option<Vec<f32>> {
    let n = z.len() / dim.max(1);
    if dim == 0 || classes == 0 || z.len() != n * dim {
        return None;
    }
    let per_code = match labels.len() {
        l if l == classes => false,
        l if l == n * classes => true,
        _ => return None,
    };
    let mut out = Vec::with_capacity(n * (dim + classes));
    for (row, code) in z.chunks_exact(dim).enumerate() {
        out.extend_from_slice(code);
        let at = if per_code { row * classes } else { 0 };
        out.extend_from_slice(&labels[at..at + classes]);
    }
    Some(out)
}

/// "Same style, every class": each code of `z` (rows of `dim`) decoded under every one of
/// `classes` labels — the decoder inputs row by row, code-major (code 0 as class 0, 1, …, then
/// code 1 …). `None` when `z` is not whole rows.
pub fn every_class(z: &[f32], dim: usize, classes: usize) -> Option<Vec<f32>> {
    if dim == 0 || classes == 0 || z.is_empty() || !z.len().is_multiple_of(dim) {
        return None;
    }
    let rows = z.len() / dim;
    let mut codes = Vec::with_capacity(rows * classes * dim);
    let mut labels = Vec::with_capacity(rows * classes * classes);
    for code in z.chunks_exact(dim) {
        for c in 0..classes {
            codes.extend_from_slice(code);
            labels.extend((0..classes).map(|k| if k == c { 1.0 } else { 0.0 }));
        }
    }
    with_labels(&codes, dim, &labels, classes)
}

/// Label vectors for `steps` frames moving from class `from` to class `to`: the one-hots
/// blended linearly, exact one-hots at both ends. `None` when a class is out of range.
pub fn class_blend(from: usize, to: usize, steps: usize, classes: usize) -> Option<Vec<f32>> {
    if from >= classes || to >= classes || steps < 2 {
        return None;
    }
    let mut out = vec![0.0; steps * classes];
    for (k, row) in out.chunks_exact_mut(classes).enumerate() {
        let t = k as f32 / (steps - 1) as f32;
        row[from] += 1.0 - t;
        row[to] += t;
    }
    Some(out)
}

/// Decoder logits to bytes: the Bernoulli mean (the sigmoid, in burn-flex's two-branch form,
/// which never overflows), rounded as `to_grey_bytes` rounds. The page and the native `decode`
/// command both decode through this in one pass over the values, instead of burn's `sigmoid`:
/// on the page that was one more generic 23 KB kernel for V8 to optimise while the first grid
/// decodes.
pub fn logits_to_grey_bytes(logits: &[f32]) -> Vec<u8> {
    logits
        .iter()
        .map(|&x| grey_byte(crate::model::conv::scalar_sigmoid(x)))
        .collect()
}

/// Decoder output in [0, 1] to bytes, rounded to nearest: the one rounding rule the page and
/// the native `decode` command share, so their images can be compared byte for byte.
pub fn to_grey_bytes(pixels: &[f32]) -> Vec<u8> {
    pixels.iter().map(|&p| grey_byte(p)).collect()
}

fn grey_byte(p: f32) -> u8 {
    (p.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_and_grids() {
        let p = Plane::axes(vec![0.5, 9.0, -1.0, 2.0], 1, 3);
        assert_eq!(p.point(1.5, -2.0), vec![0.5, 1.5, -1.0, -2.0]);
        assert_eq!(p.project(&[0.5, 1.5, -1.0, -2.0]), [1.5, -2.0]);
        let g = grid([1.0, 0.0], 2.0, 4);
        assert_eq!(g.len(), 16);
        assert_eq!(g[0], [-0.5, 1.5]); // top-left cell centre
        assert_eq!(g[15], [2.5, -1.5]); // bottom-right
    }

    #[test]
    fn mixing_takes_content_from_rows_and_style_from_columns() {
        // dim 3, content 2: rows (1,2|3) and (4,5|6); columns (7,8|9) and (10,11|12).
        let m = mix(
            &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            &[7.0, 8.0, 9.0, 10.0, 11.0, 12.0],
            3,
            2,
        );
        assert_eq!(
            m,
            vec![1.0, 2.0, 9.0, 1.0, 2.0, 12.0, 4.0, 5.0, 9.0, 4.0, 5.0, 12.0]
        );
    }

    #[test]
    fn part_interpolation_moves_only_its_coordinates() {
        let (a, b) = ([0.0, 0.0, 1.0, 1.0], [2.0, 4.0, -1.0, 3.0]);
        let style = interpolate_part(&a, &b, 3, false, 2, 4);
        assert_eq!(style[1], vec![0.0, 0.0, 0.0, 2.0]);
        assert_eq!(style[2], vec![0.0, 0.0, -1.0, 3.0]);
        let content = interpolate_part(&a, &b, 3, false, 0, 2);
        assert_eq!(content[2], vec![2.0, 4.0, 1.0, 1.0]);
        // The whole range is plain interpolation.
        assert_eq!(
            interpolate_part(&a, &b, 5, true, 0, 4),
            interpolate(&a, &b, 5, true)
        );
    }

    #[test]
    fn one_hot_labels_follow_each_code() {
        let z = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            with_one_hot(&z, 2, &[2, 0], 3),
            vec![1.0, 2.0, 0.0, 0.0, 1.0, 3.0, 4.0, 1.0, 0.0, 0.0]
        );
        // One label for every code.
        assert_eq!(with_one_hot(&z, 2, &[1], 2)[2..4], [0.0, 1.0]);
        assert_eq!(with_one_hot(&z, 2, &[1], 2)[6..8], [0.0, 1.0]);
    }

    #[test]
    fn label_vectors_are_shared_or_given_per_code() {
        let z = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(
            with_labels(&z, 2, &[0.0, 1.0], 2),
            Some(vec![1.0, 2.0, 0.0, 1.0, 3.0, 4.0, 0.0, 1.0])
        );
        assert_eq!(
            with_labels(&z, 2, &[1.0, 0.0, 0.5, 0.5], 2),
            Some(vec![1.0, 2.0, 1.0, 0.0, 3.0, 4.0, 0.5, 0.5])
        );
        assert_eq!(with_labels(&z, 2, &[1.0, 0.0, 0.0], 2), None);
        assert_eq!(with_labels(&z[..3], 2, &[1.0, 0.0], 2), None);
    }

    #[test]
    fn grey_bytes_round_to_nearest_and_clamp() {
        assert_eq!(
            to_grey_bytes(&[0.0, 1.0, 0.5, 0.001, 0.998, -3.0, 7.0]),
            vec![0, 255, 128, 0, 254, 0, 255]
        );
    }

    #[test]
    fn logits_round_as_burns_sigmoid_does() {
        use burn::prelude::*;
        // Both signs, the rounding boundaries' neighbourhood, and logits far past saturation.
        let logits: Vec<f32> = (-4000..=4000)
            .map(|i| i as f32 * 0.0037)
            .chain([-1e30, -90.0, -1e-30, 0.0, 1e-30, 90.0, 1e30])
            .collect();
        let device = Device::flex();
        let n = logits.len();
        let t = Tensor::<1>::from_data(TensorData::new(logits.clone(), [n]), &device);
        let pixels = burn::tensor::activation::sigmoid(t)
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        let (ours, burns) = (logits_to_grey_bytes(&logits), to_grey_bytes(&pixels));
        assert_eq!(ours.len(), n);
        if let Some(i) = (0..n).find(|&i| ours[i] != burns[i]) {
            panic!(
                "logit {}: {} here, {} through burn",
                logits[i], ours[i], burns[i]
            );
        }
    }

    #[test]
    fn interpolation_ends_and_spherical_norms() {
        let (a, b) = ([3.0f32, 0.0], [0.0f32, 3.0]);
        for spherical in [false, true] {
            let path = interpolate(&a, &b, 5, spherical);
            assert_eq!(path.len(), 5);
            assert!((path[0][0] - 3.0).abs() < 1e-6 && (path[4][1] - 3.0).abs() < 1e-6);
        }
        // Linear cuts the corner (norm 3/sqrt2 midway); spherical stays on the circle of radius 3.
        let mid = |spherical| {
            interpolate(&a, &b, 3, spherical)[1]
                .iter()
                .map(|x| x * x)
                .sum::<f32>()
                .sqrt()
        };
        assert!((mid(false) - 3.0 / 2f32.sqrt()).abs() < 1e-5);
        assert!((mid(true) - 3.0).abs() < 1e-5);
        // Parallel ends: spherical falls back to linear without NaN.
        assert_eq!(
            interpolate(&[1.0, 1.0], &[2.0, 2.0], 3, true)[1],
            vec![1.5, 1.5]
        );
    }

    #[test]
    fn every_class_decodes_each_code_under_each_label() {
        let z = [1.0, 2.0, 3.0, 4.0];
        let out = every_class(&z, 2, 3).unwrap();
        assert_eq!(out.len(), 2 * 3 * (2 + 3));
        let rows: Vec<&[f32]> = out.chunks_exact(5).collect();
        assert_eq!(rows[0], &[1.0, 2.0, 1.0, 0.0, 0.0]);
        assert_eq!(rows[2], &[1.0, 2.0, 0.0, 0.0, 1.0]);
        assert_eq!(rows[4], &[3.0, 4.0, 0.0, 1.0, 0.0]);
        assert_eq!(every_class(&z[..3], 2, 3), None);
        assert_eq!(every_class(&[], 2, 3), None);
    }

    #[test]
    fn class_blend_moves_from_one_hot_to_one_hot() {
        let b = class_blend(0, 2, 3, 3).unwrap();
        assert_eq!(b, vec![1.0, 0.0, 0.0, 0.5, 0.0, 0.5, 0.0, 0.0, 1.0]);
        // The same class at both ends stays that class.
        assert_eq!(
            class_blend(1, 1, 2, 3).unwrap(),
            vec![0.0, 1.0, 0.0, 0.0, 1.0, 0.0]
        );
        assert_eq!(class_blend(3, 0, 4, 3), None);
        assert_eq!(class_blend(0, 1, 1, 3), None);
    }
}
