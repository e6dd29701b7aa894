//! A minimal RGB raster with rectangles, dots, lines and bitmap text (font8x8, scaled), enough
//! for legible evaluation figures without system fonts or a plotting stack.

use font8x8::UnicodeFonts;

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

    /// Draw `text` with its top-left at (x, y); each glyph is 8x8 pixels times `scale`.
    pub fn text(&mut self, x: i64, y: i64, text: &str, scale: usize, c: Rgb) {
        for (n, ch) in text.chars().enumerate() {
            let Some(glyph) = font8x8::BASIC_FONTS
                .get(ch)
                .or_else(|| font8x8::LATIN_FONTS.get(ch))
            else {
                continue;
            };
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        let gx = x + ((n * 8 + col) * scale) as i64;
                        self.fill_rect(gx, y + (row * scale) as i64, scale as i64, scale as i64, c);
                    }
                }
            }
        }
    }

    pub fn text_width(text: &str, scale: usize) -> i64 {
        (text.chars().count() * 8 * scale) as i64
    }

    /// Text rotated 90 degrees counter-clockwise (for y-axis labels), reading bottom to top.
    pub fn text_vertical(&mut self, x: i64, y_bottom: i64, text: &str, scale: usize, c: Rgb) {
        for (n, ch) in text.chars().enumerate() {
            let Some(glyph) = font8x8::BASIC_FONTS.get(ch) else {
                continue;
            };
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) != 0 {
                        let gx = x + (row * scale) as i64;
                        let gy = y_bottom - ((n * 8 + col) * scale) as i64;
                        self.fill_rect(gx, gy, scale as i64, scale as i64, c);
                    }
                }
            }
        }
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
