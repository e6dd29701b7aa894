//! An RGB raster for evaluation figures: pixels, rectangles, dots and grey images drawn here,
//! text and charts drawn by plotters (its bitmap backend on the same buffer) in a font compiled
//! into the binary (assets/fonts), so figures look the same with or without system fonts.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, register_font};

pub type Rgb = [u8; 3];
pub const WHITE: Rgb = [255, 255, 255];
pub const BLACK: Rgb = [0, 0, 0];
pub const GREY: Rgb = [110, 110, 110];
pub const LIGHT: Rgb = [225, 225, 225];

/// Matplotlib's tab10, the palette people expect for ten classes; cycles beyond ten.
pub const TAB10: [Rgb; 10] = [
    [31, 119, 180],
    [255, 127, 14],
    [44, 160, 44],
    [214, 39, 40],
    [148, 103, 189],
    [140, 86, 75],
    [227, 119, 194],
    [127, 127, 127],
    [188, 189, 34],
    [23, 190, 207],
];

/// Matplotlib's tab20 (pairs of dark and light), for up to twenty classes.
pub const TAB20: [Rgb; 20] = [
    [31, 119, 180],
    [174, 199, 232],
    [255, 127, 14],
    [255, 187, 120],
    [44, 160, 44],
    [152, 223, 138],
    [214, 39, 40],
    [255, 152, 150],
    [148, 103, 189],
    [197, 176, 213],
    [140, 86, 75],
    [196, 156, 148],
    [227, 119, 194],
    [247, 182, 210],
    [127, 127, 127],
    [199, 199, 199],
    [188, 189, 34],
    [219, 219, 141],
    [23, 190, 207],
    [158, 218, 229],
];

/// The colour of class `k` of `classes`: tab10 up to ten classes, tab20 beyond.
pub fn class_colour(k: usize, classes: usize) -> Rgb {
    if classes <= 10 {
        TAB10[k % 10]
    } else {
        TAB20[k % 20]
    }
}

pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        Self {
            width,
            height,
            pixels: background
                .iter()
                .copied()
                .cycle()
                .take(width * height * 3)
                .collect(),
        }
    }

    pub fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            self.pixels[i..i + 3].copy_from_slice(&c);
        }
    }

    /// Blend `c` over the pixel with opacity `alpha` (dense scatters stay readable).
    pub fn blend(&mut self, x: i64, y: i64, c: Rgb, alpha: f32) {
        if x >= 0 && y >= 0 && (x as usize) < self.width && (y as usize) < self.height {
            let i = (y as usize * self.width + x as usize) * 3;
            for (p, &ck) in self.pixels[i..i + 3].iter_mut().zip(&c) {
                let old = *p as f32;
                *p = (old + (ck as f32 - old) * alpha).round() as u8;
            }
        }
    }

    pub fn fill_rect(&mut self, x: i64, y: i64, w: i64, h: i64, c: Rgb) {
        for yy in y..y + h {
            for xx in x..x + w {
                self.set(xx, yy, c);
            }
        }
    }

    pub fn rect_outline(&mut self, x: i64, y: i64, w: i64, h: i64, c: Rgb) {
        self.fill_rect(x, y, w, 1, c);
        self.fill_rect(x, y + h - 1, w, 1, c);
        self.fill_rect(x, y, 1, h, c);
        self.fill_rect(x + w - 1, y, 1, h, c);
    }

    pub fn dot(&mut self, cx: f64, cy: f64, radius: f64, c: Rgb, alpha: f32) {
        let r = radius.ceil() as i64;
        for dy in -r..=r {
            for dx in -r..=r {
                if (dx * dx + dy * dy) as f64 <= radius * radius {
                    self.blend(cx.round() as i64 + dx, cy.round() as i64 + dy, c, alpha);
                }
            }
        }
    }

    pub fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), c: Rgb, width: f64) {
        let steps = ((x1 - x0).abs().max((y1 - y0).abs()) * 2.0).ceil().max(1.0) as usize;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            self.dot(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, width / 2.0, c, 1.0);
        }
    }

    /// Paste a greyscale image (0 = black) scaled by an integer factor.
    pub fn grey_image(&mut self, x: i64, y: i64, side: usize, pixels: &[u8], scale: usize) {
        for (i, &p) in pixels.iter().enumerate() {
            let (px, py) = ((i % side) * scale, (i / side) * scale);
            self.fill_rect(
                x + px as i64,
                y + py as i64,
                scale as i64,
                scale as i64,
                [p, p, p],
            );
        }
    }

    /// A plotters drawing area on this canvas's pixels (charts draw through it).
    pub fn area(&mut self) -> DrawingArea<BitMapBackend<'_>, plotters::coord::Shift> {
        BitMapBackend::with_buffer(&mut self.pixels, (self.width as u32, self.height as u32))
            .into_drawing_area()
    }

    /// Draw `text` with its top-left at (x, y), in the figures' font at `size(scale)` pixels.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: usize, c: Rgb) {
        let style = font(size(scale)).color(&rgb(c));
        drawn(self.area().draw_text(text, &style, (x as i32, y as i32)));
    }

    /// The width `text` takes at `scale`, in pixels.
    pub fn text_width(text: &str, scale: usize) -> i64 {
        font(size(scale))
            .box_size(text)
            .map_or(0, |(w, _)| w as i64)
    }

    /// Text rotated 90 degrees counter-clockwise (for y-axis labels), reading bottom to top from
    /// (x, y_bottom).
    pub fn text_vertical(&mut self, x: i64, y_bottom: i64, text: &str, scale: usize, c: Rgb) {
        let style = font(size(scale))
            .transform(FontTransform::Rotate270)
            .color(&rgb(c))
            .pos(Pos::new(HPos::Left, VPos::Top));
        drawn(
            self.area()
                .draw_text(text, &style, (x as i32, y_bottom as i32)),
        );
    }

    pub fn to_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width as u32, self.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        w.write_image_data(&self.pixels).expect("png data");
        drop(w);
        out
    }

    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        std::fs::write(path, self.to_png())
    }
}

/// The name plotters knows the embedded font by.
const FONT: &str = "latent-atlas-sans";
static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-subset.ttf");

/// The figures' font at `px` pixels (registered with plotters on first use).
pub fn font(px: f64) -> FontDesc<'static> {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // Compiled in and checked by a test: a failure here is a broken build, not bad input.
        if register_font(FONT, FontStyle::Normal, FONT_BYTES).is_err() {
            panic!("the embedded font (assets/fonts) does not parse");
        }
    });
    (FONT, px).into_font()
}

/// Text sizes: 1 for captions and ticks, 2 for titles, axis names and legends.
pub fn size(scale: usize) -> f64 {
    6.0 + 6.0 * scale as f64
}

pub fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

/// Drawing into a memory buffer fails only on a programming error (a size mismatch).
pub fn drawn<E: std::fmt::Debug>(result: Result<(), E>) {
    result.expect("drawing into the figure's buffer");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ink(c: &Canvas) -> Vec<u8> {
        c.pixels.chunks_exact(3).map(|p| 255 - p[0]).collect()
    }

    /// The figures' font is a real proportional font (not 8x8 cells), and it has every character
    /// the figures write: a character missing from the subset would draw the "no glyph" box.
    #[test]
    fn the_embedded_font_draws_every_character_the_figures_use() {
        assert!(Canvas::text_width("WWWW", 1) > 2 * Canvas::text_width("iiii", 1));
        assert!(Canvas::text_width("ab", 2) > Canvas::text_width("ab", 1));
        let draw = |ch: char| {
            let mut c = Canvas::new(40, 40, WHITE);
            c.text(5, 5, &ch.to_string(), 2, BLACK);
            ink(&c)
        };
        let missing = draw('\u{4e00}');
        assert!(missing.iter().any(|&v| v > 0), "the no-glyph box draws");
        for ch in "Az09/()-_:%|²é½·—–≈β×±σμ→≤≥…".chars() {
            let glyph = draw(ch);
            assert!(glyph.iter().any(|&v| v > 128), "{ch:?} draws nothing");
            assert_ne!(glyph, missing, "{ch:?} is not in the embedded font");
        }
    }

    #[test]
    fn vertical_text_is_taller_than_wide() {
        let mut c = Canvas::new(60, 200, WHITE);
        c.text_vertical(10, 190, "y axis label", 2, BLACK);
        let ink = ink(&c);
        let rows: Vec<usize> = (0..200)
            .filter(|y| (0..60).any(|x| ink[y * 60 + x] > 128))
            .collect();
        let cols: Vec<usize> = (0..60)
            .filter(|x| (0..200).any(|y| ink[y * 60 + x] > 128))
            .collect();
        let (h, w) = (
            rows.last().unwrap() - rows[0],
            cols.last().unwrap() - cols[0],
        );
        assert!(h > 3 * w, "{w} wide, {h} tall");
        assert!(
            *rows.last().unwrap() <= 190 && rows[0] > 40,
            "drawn upwards from y_bottom: rows {}..{}",
            rows[0],
            rows.last().unwrap()
        );
    }
}
