//! Latent arithmetic: directions in the full code (not only the map's plane) from class means
//! of the test encodings ("sandal → sneaker"), from two points, or from two sets of points
//! picked on the map (mean to mean), a point moved along one, and the analogy a : b :: c : ?
//! as c + (b − a), which is the move by one whole direction.

/// The mean test code of each class: `classes * dim` values, and each class's count (a class
/// without test images has count 0 and a zero mean).
pub fn class_means(means: &[f32], labels: &[u8], dim: usize) -> (Vec<f32>, Vec<u32>) {
    let classes = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
    let mut sums = vec![0f64; classes * dim];
    let mut counts = vec![0u32; classes];
    if dim == 0 {
        return (Vec::new(), counts);
    }
    for (row, &l) in means.chunks_exact(dim).zip(labels) {
        counts[l as usize] += 1;
        for (s, &v) in sums[l as usize * dim..][..dim].iter_mut().zip(row) {
            *s += v as f64;
        }
    }
    let out = sums
        .chunks_exact(dim)
        .zip(&counts)
        .flat_map(|(s, &n)| {
            s.iter()
                .map(move |&v| if n > 0 { (v / n as f64) as f32 } else { 0.0 })
        })
        .collect();
    (out, counts)
}

/// The mean of `points` (`n * dim` values, n ≥ 1): one end of a direction between two picked
/// sets. None for no points or a ragged list.
pub fn centroid(points: &[f32], dim: usize) -> Option<Vec<f32>> {
    let n = points.len().checked_div(dim)?;
    (n > 0 && n * dim == points.len()).then(|| class_means(points, &vec![0; n], dim).0)
}

/// `z + t (to − from)`: `z` moved `t` times along the direction from `from` to `to`. With
/// `t = 1` this is the analogy from : to :: z : ?. None when the sizes differ.
pub fn moved(z: &[f32], from: &[f32], to: &[f32], t: f32) -> Option<Vec<f32>> {
    (z.len() == from.len() && z.len() == to.len()).then(|| {
        z.iter()
            .zip(from)
            .zip(to)
            .map(|((z, f), t2)| z + t * (t2 - f))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_means_average_each_class_in_the_full_code() {
        let means = [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 5.0, 6.0];
        let labels = [0, 0, 2, 0];
        let (m, n) = class_means(&means, &labels, 2);
        assert_eq!(n, vec![3, 0, 1]);
        assert_eq!(m, vec![3.0, 4.0, 0.0, 0.0, 10.0, 20.0]);
    }

    #[test]
    fn a_set_of_points_has_its_mean() {
        assert_eq!(centroid(&[1.0, 2.0, 3.0, 6.0], 2), Some(vec![2.0, 4.0]));
        assert_eq!(centroid(&[1.0, 2.0, 3.0], 2), None);
        assert_eq!(centroid(&[], 2), None);
        assert_eq!(centroid(&[1.0], 0), None);
    }

    #[test]
    fn a_move_by_one_direction_is_the_analogy() {
        let (a, b, c) = ([0.0, 1.0, 2.0], [1.0, 1.0, 0.0], [5.0, 5.0, 5.0]);
        assert_eq!(moved(&c, &a, &b, 1.0).unwrap(), vec![6.0, 5.0, 3.0]);
        assert_eq!(moved(&c, &a, &b, 0.0).unwrap(), c.to_vec());
        assert_eq!(moved(&c, &a, &b, -0.5).unwrap(), vec![4.5, 5.0, 6.0]);
        assert!(moved(&c, &a, &b[..2], 1.0).is_none());
    }
}
