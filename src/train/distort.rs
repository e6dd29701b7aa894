//! Small random rotations and scalings of training drawings (Omniglot's usual affine
//! augmentation, e.g. Koch et al. 2015): a character drawn a little tilted or a little larger is
//! the same character, so content should not move with it. Drawn from their own random stream, so
//! a run without them draws exactly the shifts it always did.

use crate::data::ImageSet;
use crate::objective::Distortion;
use crate::rng::Rng;

/// Images at `indices` (image `k` taken from `sources[k]`) as floats in [0, 1], each shifted by
/// `shifts[k]` whole pixels and turned and scaled about the frame's centre by amounts drawn
/// uniformly within `distortion`, resampled bilinearly (ink pushed past the border is lost).
pub fn gather_distorted(
    sources: &[&ImageSet],
    indices: &[usize],
    shifts: &[(isize, isize)],
    distortion: Distortion,
    rng: &mut Rng,
) -> Vec<f32> {
    let side = sources[0].side;
    let per = side * side;
    let centre = (side as f64 - 1.0) / 2.0;
    let mut out = vec![0.0f32; indices.len() * per];
    for (slot, &i) in indices.iter().enumerate() {
        let turn = (2.0 * rng.uniform() - 1.0) * distortion.max_turn_degrees.to_radians();
        let scale = 1.0 + (2.0 * rng.uniform() - 1.0) * distortion.max_scale;
        let (dy, dx) = shifts[slot];
        // Output pixel p comes from source point R(-turn) (p - centre - shift) / scale + centre.
        let (sin, cos) = turn.sin_cos();
        let src = sources[slot].image(i);
        let dst = &mut out[slot * per..(slot + 1) * per];
        for y in 0..side {
            let oy = y as f64 - centre - dy as f64;
            for x in 0..side {
                let ox = x as f64 - centre - dx as f64;
                let sx = (cos * ox + sin * oy) / scale + centre;
                let sy = (-sin * ox + cos * oy) / scale + centre;
                dst[y * side + x] = bilinear(src, side, sx, sy);
            }
        }
    }
    out
}

/// The image's value at a fractional point, 0 outside the frame.
fn bilinear(src: &[u8], side: usize, x: f64, y: f64) -> f32 {
    let (x0, y0) = (x.floor(), y.floor());
    let (fx, fy) = (x - x0, y - y0);
    let at = |xi: f64, yi: f64| -> f64 {
        if xi < 0.0 || yi < 0.0 || xi >= side as f64 || yi >= side as f64 {
            0.0
        } else {
            f64::from(src[yi as usize * side + xi as usize]) / 255.0
        }
    };
    let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1.0, y0) * fx;
    let bottom = at(x0, y0 + 1.0) * (1.0 - fx) + at(x0 + 1.0, y0 + 1.0) * fx;
    (top * (1.0 - fy) + bottom * fy) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(pixels: Vec<u8>, side: usize) -> ImageSet {
        ImageSet {
            side,
            pixels,
            labels: vec![0],
        }
    }

    #[test]
    fn no_turn_or_scale_is_the_whole_pixel_shift() {
        let side = 6;
        let pixels: Vec<u8> = (0..36).map(|v| (v * 7) as u8).collect();
        let images = one(pixels.clone(), side);
        let none = Distortion {
            max_turn_degrees: 0.0,
            max_scale: 0.0,
        };
        let out = gather_distorted(&[&images], &[0], &[(1, -2)], none, &mut Rng::new(1));
        for y in 0..side {
            for x in 0..side {
                let (sy, sx) = (y as isize - 1, x as isize + 2);
                let want = if (0..6).contains(&sy) && (0..6).contains(&sx) {
                    f32::from(pixels[sy as usize * side + sx as usize]) / 255.0
                } else {
                    0.0
                };
                assert!((out[y * side + x] - want).abs() < 1e-6, "({x}, {y})");
            }
        }
    }

    #[test]
    fn turns_keep_the_centre_and_move_a_point_on_its_circle() {
        // Two 9x9 frames (centre 4, 4): ink at the centre, and ink three to its right.
        let side = 9;
        let mut pixels = vec![0u8; 2 * 81];
        pixels[4 * 9 + 4] = 255;
        pixels[81 + 4 * 9 + 7] = 255;
        let images = ImageSet {
            side,
            pixels,
            labels: vec![0, 0],
        };
        let turn = Distortion {
            max_turn_degrees: 90.0,
            max_scale: 0.0,
        };
        let mut rng = Rng::new(5);
        let mut turned_off_axis = false;
        for _ in 0..20 {
            let out = gather_distorted(
                &[&images, &images],
                &[0, 1],
                &[(0, 0), (0, 0)],
                turn,
                &mut rng,
            );
            // The centre stays where it is...
            assert!((out[4 * 9 + 4] - 1.0).abs() < 1e-6);
            // ...and the other point's ink keeps its amount and stays three from the centre.
            let (mut m, mut mx, mut my) = (0.0, 0.0, 0.0);
            for y in 0..side {
                for x in 0..side {
                    let v = f64::from(out[81 + y * side + x]);
                    m += v;
                    mx += v * x as f64;
                    my += v * y as f64;
                }
            }
            assert!((0.7..=1.3).contains(&m), "ink {m}");
            let (cx, cy) = (mx / m - 4.0, my / m - 4.0);
            let r = (cx * cx + cy * cy).sqrt();
            assert!((2.8..=3.2).contains(&r), "radius {r}");
            turned_off_axis |= cy.abs() > 1.0;
        }
        assert!(turned_off_axis, "no draw turned the point off its row");
    }

    #[test]
    fn scaling_up_spreads_ink_and_down_gathers_it() {
        let side = 15;
        let mut pixels = vec![0u8; side * side];
        for y in 5..10 {
            for x in 5..10 {
                pixels[y * side + x] = 255;
            }
        }
        let images = one(pixels, side);
        let scaled = Distortion {
            max_turn_degrees: 0.0,
            max_scale: 0.3,
        };
        let mut rng = Rng::new(9);
        let inks: Vec<f32> = (0..40)
            .map(|_| {
                gather_distorted(&[&images], &[0], &[(0, 0)], scaled, &mut rng)
                    .iter()
                    .sum()
            })
            .collect();
        // 25 pixels of ink, scaled by 0.7..1.3 in each direction: area 12..43 pixels.
        assert!(inks.iter().all(|&s| (11.0..=44.0).contains(&s)), "{inks:?}");
        assert!(inks.iter().any(|&s| s < 21.0) && inks.iter().any(|&s| s > 30.0));
    }
}
