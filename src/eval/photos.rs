//! Photo-like uploads made from dataset images, to measure how the page's preprocessing
//! (`data::upload::prepare_image`) copes with what people actually upload: a phone photo of a
//! garment. Fashion-MNIST's images were made from product photos (dark on white, trimmed,
//! greyed, inverted); this runs the other way with the nuisances of a real photo, each drawn per
//! image so no single setting can be tuned for: a dark garment of some colour on a light, tinted
//! background lit unevenly (a gradient and a vignette), off-centre at some size in a portrait,
//! square or landscape frame, out of focus, with sensor noise, saved as a JPEG and read back.

use crate::rng::Rng;

/// The settings one photo was taken with (drawn by `Photo::settings`, kept for the contact sheet).
#[derive(Debug, Clone)]
pub struct Settings {
    pub width: usize,
    pub height: usize,
    /// The garment's longer side as a fraction of the frame's shorter side.
    pub size: f64,
    /// Where the garment's centre sits, as fractions of the free margin (-1..1 each way).
    pub offset: (f64, f64),
    /// Background reflectance per channel (light, slightly tinted).
    pub paper: [f64; 3],
    /// The garment's colour per channel (dark).
    pub ink: [f64; 3],
    /// Light falling off across the frame: strength and direction of a linear gradient.
    pub gradient: (f64, f64),
    /// Light falling off towards the corners.
    pub vignette: f64,
    /// Soft focus: the blur's standard deviation in the dataset image's pixels.
    pub blur: f64,
    /// Sensor noise (standard deviation, in [0, 1] units).
    pub noise: f64,
    pub jpeg_quality: u8,
}

impl Settings {
    /// One photo's settings, drawn from the ranges a casual phone photo of a garment lies in.
    pub fn draw(rng: &mut Rng) -> Self {
        let mut between = |lo: f64, hi: f64| lo + (hi - lo) * rng.uniform();
        let short = between(160.0, 320.0).round();
        let aspect = [0.75, 1.0, 4.0 / 3.0][(between(0.0, 3.0) as usize).min(2)];
        let (width, height) = if aspect < 1.0 {
            (short as usize, (short / aspect).round() as usize)
        } else {
            ((short * aspect).round() as usize, short as usize)
        };
        let light = between(0.78, 0.96);
        let tint = [
            between(-0.05, 0.05),
            between(-0.05, 0.05),
            between(-0.05, 0.05),
        ];
        let hue = [between(0.0, 1.0), between(0.0, 1.0), between(0.0, 1.0)];
        let dark = between(0.03, 0.3);
        Settings {
            width,
            height,
            size: between(0.45, 0.85),
            offset: (between(-0.9, 0.9), between(-0.9, 0.9)),
            paper: tint.map(|t| (light + t).clamp(0.0, 1.0)),
            ink: hue.map(|h| dark * (0.5 + h)),
            gradient: (between(0.0, 0.18), between(0.0, std::f64::consts::TAU)),
            vignette: between(0.0, 0.15),
            blur: between(0.15, 0.6),
            noise: between(0.004, 0.02),
            jpeg_quality: between(55.0, 92.0) as u8,
        }
    }
}

/// Photograph a `side x side` dataset image (bright garment on black, 0..=255) with `s`:
/// the JPEG file's bytes.
pub fn photograph(image: &[u8], side: usize, s: &Settings, rng: &mut Rng) -> Vec<u8> {
    let (w, h) = (s.width, s.height);
    let scale = s.size * w.min(h) as f64 / side as f64;
    let garment = side as f64 * scale;
    let cx = w as f64 / 2.0 + s.offset.0 * (w as f64 - garment).max(0.0) / 2.0;
    let cy = h as f64 / 2.0 + s.offset.1 * (h as f64 - garment).max(0.0) / 2.0;
    let (x0, y0) = (cx - garment / 2.0, cy - garment / 2.0);
    // The garment's coverage (its grey level in the dataset) at each photo pixel, bilinear.
    let mut cover = vec![0.0f64; w * h];
    for y in 0..h {
        for x in 0..w {
            let sx = (x as f64 + 0.5 - x0) / scale - 0.5;
            let sy = (y as f64 + 0.5 - y0) / scale - 0.5;
            cover[y * w + x] = bilinear(image, side, sx, sy) / 255.0;
        }
    }
    let cover = gaussian_blur(&cover, w, h, s.blur * scale);
    let (dx, dy) = (s.gradient.1.cos(), s.gradient.1.sin());
    let diagonal = ((w * w + h * h) as f64).sqrt();
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (u, v) = (x as f64 - w as f64 / 2.0, y as f64 - h as f64 / 2.0);
            let r2 = (u * u + v * v) / (diagonal * diagonal / 4.0);
            let light = (1.0 + s.gradient.0 * (u * dx + v * dy) / (diagonal / 2.0))
                * (1.0 - s.vignette * r2);
            let a = cover[y * w + x];
            for c in 0..3 {
                let reflect = s.paper[c] * (1.0 - a) + s.ink[c] * a;
                let value = light * reflect + s.noise * rng.normal() as f64;
                rgb.push((value.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
    }
    let mut jpeg = Vec::new();
    jpeg_encoder::Encoder::new(&mut jpeg, s.jpeg_quality)
        .encode(&rgb, w as u16, h as u16, jpeg_encoder::ColorType::Rgb)
        .expect("a frame of at most 427 x 427 encodes");
    jpeg
}

/// A JPEG file as RGBA pixels (what the browser hands the page): `(rgba, width, height)`.
pub fn decode_jpeg(bytes: &[u8]) -> Result<(Vec<u8>, usize, usize), String> {
    use zune_jpeg::zune_core::{
        bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions,
    };
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGBA);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    let rgba = decoder.decode().map_err(|e| format!("JPEG: {e:?}"))?;
    let info = decoder.info().ok_or("JPEG: no header")?;
    Ok((rgba, info.width as usize, info.height as usize))
}

fn bilinear(image: &[u8], side: usize, x: f64, y: f64) -> f64 {
    let at = |xi: i64, yi: i64| -> f64 {
        if xi < 0 || yi < 0 || xi >= side as i64 || yi >= side as i64 {
            0.0
        } else {
            image[yi as usize * side + xi as usize] as f64
        }
    };
    let (fx, fy) = (x.floor(), y.floor());
    let (tx, ty) = (x - fx, y - fy);
    let (xi, yi) = (fx as i64, fy as i64);
    (1.0 - ty) * ((1.0 - tx) * at(xi, yi) + tx * at(xi + 1, yi))
        + ty * ((1.0 - tx) * at(xi, yi + 1) + tx * at(xi + 1, yi + 1))
}

/// Separable Gaussian blur with clamped edges (`sigma` in pixels; below 0.1 nothing to do).
fn gaussian_blur(values: &[f64], w: usize, h: usize, sigma: f64) -> Vec<f64> {
    if sigma < 0.1 {
        return values.to_vec();
    }
    let radius = (3.0 * sigma).ceil() as i64;
    let taps: Vec<f64> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f64 = taps.iter().sum();
    let taps: Vec<f64> = taps.iter().map(|t| t / total).collect();
    let pass = |src: &[f64], along_x: bool| -> Vec<f64> {
        let mut out = vec![0.0; w * h];
        for y in 0..h {
            for x in 0..w {
                let mut sum = 0.0;
                for (k, t) in taps.iter().enumerate() {
                    let d = k as i64 - radius;
                    let (sx, sy) = if along_x {
                        ((x as i64 + d).clamp(0, w as i64 - 1) as usize, y)
                    } else {
                        (x, (y as i64 + d).clamp(0, h as i64 - 1) as usize)
                    };
                    sum += t * src[sy * w + sx];
                }
                out[y * w + x] = sum;
            }
        }
        out
    };
    pass(&pass(values, true), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A photo decodes to its frame's size, its background is the light paper, the garment's
    /// pixels are darker than the paper, and the same seed takes the same photo.
    #[test]
    fn a_photo_is_a_dark_garment_on_light_paper() {
        let mut image = vec![0u8; 28 * 28];
        for y in 6..22 {
            for x in 8..20 {
                image[y * 28 + x] = 255;
            }
        }
        let mut rng = Rng::new(3);
        let s = Settings::draw(&mut rng);
        let jpeg = photograph(&image, 28, &s, &mut rng.clone());
        assert_eq!(jpeg, photograph(&image, 28, &s, &mut rng.clone()));
        let (rgba, w, h) = decode_jpeg(&jpeg).unwrap();
        assert_eq!(
            (w, h, rgba.len()),
            (s.width, s.height, s.width * s.height * 4)
        );
        let lum = |x: usize, y: usize| {
            let p = &rgba[(y * w + x) * 4..][..3];
            (p[0] as f64 + p[1] as f64 + p[2] as f64) / 3.0
        };
        // The corner is paper; the garment's centre (the frame's centre shifted by the offset).
        let scale = s.size * w.min(h) as f64 / 28.0;
        let garment = 28.0 * scale;
        let cx = w as f64 / 2.0 + s.offset.0 * (w as f64 - garment).max(0.0) / 2.0;
        let cy = h as f64 / 2.0 + s.offset.1 * (h as f64 - garment).max(0.0) / 2.0;
        let (corner, centre) = (lum(1, 1), lum(cx as usize, cy as usize));
        assert!(corner > 150.0, "paper {corner}");
        assert!(centre < corner - 80.0, "garment {centre} vs paper {corner}");
    }

    #[test]
    fn damaged_jpegs_are_named() {
        assert!(decode_jpeg(b"not a jpeg").unwrap_err().starts_with("JPEG"));
    }
}
