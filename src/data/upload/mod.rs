//! How the page turns an uploaded or drawn image into model input, as the training data looks:
//! bright ink on black, cropped to the ink and scaled to the extent drawings have in the data.
//! Here (not in the explorer) because evaluation also measures models through this path.

use super::ImageSet;
use background::Background;

mod background;

pub const MAX_UPLOAD_PIXELS: usize = 40_000_000;

/// The message for an image of `width x height` that is too large, `None` when it is not.
fn too_large(width: usize, height: usize) -> Option<String> {
    (width.saturating_mul(height) > MAX_UPLOAD_PIXELS).then(|| {
        format!(
            "The image is {width}x{height}; images up to {} megapixels are accepted.",
            MAX_UPLOAD_PIXELS / 1_000_000
        )
    })
}

/// An uploaded file's size as its header states it (PNG, JPEG, GIF, WebP), refused when larger
/// than `MAX_UPLOAD_PIXELS`: checked before the browser decodes anything, so a small file that
/// claims gigapixels (a decompression bomb) never allocates them.
pub fn check_upload_header(bytes: &[u8]) -> Result<(usize, usize), String> {
    let size = imagesize::blob_size(bytes).map_err(|_| {
        "The file could not be read as an image (it may be damaged or not an image).".to_string()
    })?;
    match too_large(size.width, size.height) {
        Some(message) => Err(message),
        None => Ok((size.width, size.height)),
    }
}

/// Turn an RGBA image (any size) into the model's input: `side x side` floats in [0, 1], bright
/// ink on a dark background like the training data. Transparent pixels count as background; the
/// background (light or dark, its level across the frame, its noise) is estimated from the
/// edges (`background`) and the ink measured against it; the ink's bounding box is scaled
/// (keeping its aspect ratio, area averaging) so its longer side is `fit` pixels, and centred.
pub fn prepare_image(
    rgba: &[u8],
    width: usize,
    height: usize,
    side: usize,
    fit: usize,
) -> Result<Vec<f32>, String> {
    if width == 0 || height == 0 {
        return Err("The image is empty.".into());
    }
    if let Some(message) = too_large(width, height) {
        return Err(message);
    }
    if rgba.len() != width * height * 4 {
        return Err("The image data is incomplete.".into());
    }
    // Luminance composited over white, so transparency reads as (light) background.
    let lum: Vec<f32> = rgba
        .chunks_exact(4)
        .map(|p| {
            let a = p[3] as f32 / 255.0;
            let y = (0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32) / 255.0;
            a * y + (1.0 - a)
        })
        .collect();
    let background = Background::estimate(&lum, width, height);
    let ink: Vec<f32> = lum
        .iter()
        .enumerate()
        .map(|(i, &l)| background.ink(i % width, i / width, l))
        .collect();
    let peak = high_percentile(&ink);
    if peak < 0.1 {
        return Err("No drawing found: the image has no visible strokes or shapes.".into());
    }
    let ink: Vec<f32> = ink.iter().map(|v| (v / peak).min(1.0)).collect();
    let crop = crop_level(width, height, side, &background);
    let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
    for (i, &v) in ink.iter().enumerate() {
        if v > crop {
            let (x, y) = (i % width, i / width);
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x + 1), y1.max(y + 1));
        }
    }
    let (bw, bh) = ((x1 - x0) as f32, (y1 - y0) as f32);
    let scale = fit as f32 / bw.max(bh);
    let (ow, oh) = (
        (bw * scale).round().max(1.0) as usize,
        (bh * scale).round().max(1.0) as usize,
    );
    // Odd margins put the extra pixel first, as Fashion-MNIST's own centring does.
    let (ox, oy) = (
        (side - ow.min(side)).div_ceil(2),
        (side - oh.min(side)).div_ceil(2),
    );
    let mut out = vec![0.0f32; side * side];
    // Area averaging: each output pixel is the mean of the source rectangle it covers.
    for ty in 0..oh.min(side) {
        for tx in 0..ow.min(side) {
            let (sx0, sx1) = (
                x0 as f32 + tx as f32 / scale,
                x0 as f32 + (tx + 1) as f32 / scale,
            );
            let (sy0, sy1) = (
                y0 as f32 + ty as f32 / scale,
                y0 as f32 + (ty + 1) as f32 / scale,
            );
            let (mut sum, mut area) = (0.0, 0.0);
            for sy in sy0.floor() as usize..(sy1.ceil() as usize).min(height) {
                let wy = (sy1.min(sy as f32 + 1.0) - sy0.max(sy as f32)).max(0.0);
                for sx in sx0.floor() as usize..(sx1.ceil() as usize).min(width) {
                    let w = wy * (sx1.min(sx as f32 + 1.0) - sx0.max(sx as f32)).max(0.0);
                    sum += w * ink[sy * width + sx];
                    area += w;
                }
            }
            out[(oy + ty) * side + ox + tx] = if area > 0.0 { sum / area } else { 0.0 };
        }
    }
    Ok(out)
}

/// The ink level the crop's box is taken at. A clean image (no grain on its edges: a drawing,
/// a dataset image, one rendered or scaled up from it) and a model-sized one keep 5%, so the
/// faint rim of anti-aliased pixels stays in the box as it does in the data (a 4x scan of a
/// test image comes back as itself). A photo — larger than twice the model's side, with grain —
/// has soft edges (focus, JPEG ringing) whose outer tail passes 5% well outside the garment and
/// would shrink it; a fifth of the ink's level lies near a soft edge's middle. Chosen on
/// photo-like uploads of training images (`latent-atlas uploads --from train`: at 5%, 78.4% of
/// photos landed in their class's neighbourhood on fmnist-16d, at 20%, 81.4%, against 82.8%
/// for the originals).
fn crop_level(width: usize, height: usize, side: usize, background: &Background) -> f32 {
    // Grain: over a quarter of a grey level (photos measure 0.002 and up; clean images 0).
    if width.max(height) > 2 * side && background.noise > 0.001 {
        0.2
    } else {
        0.05
    }
}

/// The ink's level: about its 99.9th percentile (the largest value in the histogram bin that
/// holds it), so a few hot pixels (noise, a JPEG block's edge) don't set it; on an image of
/// under 1,000 pixels that is the brightest pixel. A histogram, not a sort: an upload may have
/// 40 million pixels.
fn high_percentile(ink: &[f32]) -> f32 {
    const BINS: usize = 4096;
    let bin = |v: f32| ((v.clamp(0.0, 1.0) * (BINS - 1) as f32) as usize).min(BINS - 1);
    let mut counts = vec![0usize; BINS];
    for &v in ink {
        counts[bin(v)] += 1;
    }
    let rank = ((ink.len() as f64 * 0.999) as usize).min(ink.len() - 1);
    let (mut seen, mut target) = (0, BINS - 1);
    for (b, &c) in counts.iter().enumerate() {
        seen += c;
        if seen > rank {
            target = b;
            break;
        }
    }
    ink.iter()
        .copied()
        .filter(|&v| bin(v) == target)
        .fold(0.0, f32::max)
}

/// Median over images of the longer side of the ink's bounding box (pixels above 5% ink, the
/// page's crop threshold).
pub fn median_extent(images: &ImageSet) -> usize {
    let mut extents: Vec<usize> = (0..images.len())
        .map(|i| {
            ink_box(images.image(i), images.side, |v| v > 13)
                .map_or(0, |(x0, y0, x1, y1)| (x1 - x0 + 1).max(y1 - y0 + 1))
        })
        .collect();
    extents.sort_unstable();
    extents[extents.len() / 2]
}

/// The bounding box `(x0, y0, x1, y1)` (inclusive) of the pixels of a `side x side` image that
/// `is_ink` accepts; `None` for an image without ink.
pub fn ink_box<T: Copy>(
    img: &[T],
    side: usize,
    is_ink: impl Fn(T) -> bool,
) -> Option<(usize, usize, usize, usize)> {
    let mut b: Option<(usize, usize, usize, usize)> = None;
    for (i, &v) in img.iter().enumerate().take(side * side) {
        if is_ink(v) {
            let (x, y) = (i % side, i / side);
            b = Some(b.map_or((x, y, x, y), |(x0, y0, x1, y1)| {
                (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
            }));
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header claiming 60000 x 60000 (a few hundred bytes in all) is refused by its size; a
    /// real small PNG passes with its size; bytes that are no image are named as such.
    #[test]
    fn upload_headers_are_checked_before_decoding() {
        let mut ihdr = b"IHDR".to_vec();
        for v in [60_000u32, 60_000] {
            ihdr.extend_from_slice(&v.to_be_bytes());
        }
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\x0d".to_vec();
        bomb.extend_from_slice(&ihdr);
        bomb.extend_from_slice(&[0; 4]); // the checksum is not what the size check reads
        assert_eq!(
            check_upload_header(&bomb),
            Err("The image is 60000x60000; images up to 40 megapixels are accepted.".into())
        );
        let mut small = Vec::new();
        let mut enc = png::Encoder::new(&mut small, 30, 20);
        enc.set_color(png::ColorType::Grayscale);
        enc.write_header()
            .unwrap()
            .write_image_data(&[0; 600])
            .unwrap();
        assert_eq!(check_upload_header(&small), Ok((30, 20)));
        assert!(
            check_upload_header(b"plain text, no image")
                .unwrap_err()
                .contains("could not be read")
        );
    }

    /// Mean absolute difference per pixel between a prepared input and the 28x28 shape (whose
    /// ink peaks at 230).
    fn mean_difference(out: &[f32], small: &[u8]) -> f32 {
        out.iter()
            .zip(small)
            .map(|(o, &s)| (o - s as f32 / 230.0).abs())
            .sum::<f32>()
            / (28.0 * 28.0)
    }

    #[test]
    fn a_photographed_test_image_comes_back_close_to_itself() {
        // A Fashion-MNIST-like shape (ink on black), drawn 4x larger as dark ink on white paper.
        let mut small = vec![0u8; 28 * 28];
        for y in 4..24 {
            for x in 9..19 {
                small[y * 28 + x] = if (x + y) % 5 == 0 { 120 } else { 230 };
            }
        }
        let (w, h) = (112, 112);
        let mut rgba = Vec::with_capacity(w * h * 4);
        for y in 0..h {
            for x in 0..w {
                let v = 255 - small[(y / 4) * 28 + x / 4];
                rgba.extend([v, v, v, 255]);
            }
        }
        // Fashion-MNIST scales the longer side to 28 pixels; the shape is 20 tall.
        let out = prepare_image(&rgba, w, h, 28, 20).unwrap();
        let diff = mean_difference(&out, &small);
        assert!(diff < 0.02, "mean abs difference {diff}");
    }

    /// The same shape photographed off-centre on tinted paper under light that falls off by a
    /// third across the frame and towards the corners, with grain: the background is measured
    /// as a surface, so the fall-off is not read as ink (with one level for the whole frame the
    /// darker side joins the garment, the box spans the frame and the shape shrinks).
    #[test]
    fn uneven_light_and_grain_are_not_ink() {
        let mut small = vec![0u8; 28 * 28];
        for y in 4..24 {
            for x in 9..19 {
                small[y * 28 + x] = if (12..16).contains(&x) && (8..20).contains(&y) {
                    0 // a hole: background inside the box
                } else if (x + y) % 5 == 0 {
                    120
                } else {
                    230
                };
            }
        }
        let (w, h) = (180, 150);
        let mut rng = crate::rng::Rng::new(5);
        let mut rgba = Vec::with_capacity(w * h * 4);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = (x as f32 / w as f32 - 0.5, y as f32 / h as f32 - 0.5);
                let light = (1.0 - 0.35 * (u + 0.5)) * (1.0 - 0.3 * (u * u + v * v));
                // The shape 4x larger, its top-left at (20, 20).
                let (sx, sy) = ((x as i64 - 20) / 4, (y as i64 - 20) / 4);
                let ink = if (0..28).contains(&sx) && (0..28).contains(&sy) {
                    small[sy as usize * 28 + sx as usize] as f32 / 255.0
                } else {
                    0.0
                };
                for paper in [0.93, 0.9, 0.82] {
                    let value = light * paper * (1.0 - 0.9 * ink) + 0.02 * rng.normal();
                    rgba.push((value.clamp(0.0, 1.0) * 255.0).round() as u8);
                }
                rgba.push(255);
            }
        }
        let out = prepare_image(&rgba, w, h, 28, 20).unwrap();
        let diff = mean_difference(&out, &small);
        assert!(diff < 0.03, "mean abs difference {diff}");
        // The grain is measured on the edges and taken off: the hole stays black.
        let hole: Vec<f32> = (8..20)
            .flat_map(|y| (12..16).map(move |x| y * 28 + x))
            .map(|i| out[i])
            .collect();
        let level = hole.iter().sum::<f32>() / hole.len() as f32;
        assert!(level < 0.003, "background level {level}");
    }

    #[test]
    fn bad_uploads_are_refused_with_a_reason() {
        assert!(
            prepare_image(&[], 0, 0, 28, 28)
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            prepare_image(&[0; 16], 100_000, 100_000, 28, 28)
                .unwrap_err()
                .contains("megapixels")
        );
        assert!(
            prepare_image(&[0; 10], 2, 2, 28, 28)
                .unwrap_err()
                .contains("incomplete")
        );
        // Fully transparent, and uniformly grey: nothing to encode.
        assert!(
            prepare_image(&[0; 64 * 4], 8, 8, 28, 28)
                .unwrap_err()
                .contains("No drawing")
        );
        assert!(
            prepare_image(&[128, 128, 128, 255].repeat(64), 8, 8, 28, 28)
                .unwrap_err()
                .contains("No drawing")
        );
        // A transparent background with opaque black ink is a drawing.
        let mut rgba = [0u8; 8 * 8 * 4];
        rgba[(3 * 8 + 3) * 4 + 3] = 255;
        assert!(prepare_image(&rgba, 8, 8, 28, 28).is_ok());
    }
}
