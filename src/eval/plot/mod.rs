//! Evaluation figures as PNG: class-coloured scatter with legend and axes (a plotters chart),
//! decoded image grids with latent-coordinate ticks, and captioned image strips.

pub mod canvas;

#[cfg(test)]
use canvas::TAB10;
use canvas::{BLACK, Canvas, GREY, LIGHT, WHITE, class_colour, drawn, font, rgb, size};
use plotters::prelude::*;

const MARGIN_L: i64 = 90;
const MARGIN_T: i64 = 50;
const MARGIN_B: i64 = 70;

/// Round tick positions covering [lo, hi] (about `target` of them).
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn fmt_tick(v: f64) -> String {
    let s = format!("{:.2}", v);
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

/// A density over the plot's plane, drawn in grey under the points, with the square
/// `[-extent, extent]²` the view must include.
pub struct Background<'a> {
    pub density: &'a dyn Fn(f64, f64) -> f64,
    pub extent: f64,
}

/// `points` is `n x 2` row-major; `labels` index `class_names`.
pub fn scatter(
    points: &[f32],
    labels: &[u8],
    class_names: &[String],
    title: &str,
    axes: (&str, &str),
    background: Option<Background>,
) -> Canvas {
    let (pw, ph) = (760i64, 700i64);
    let legend_w = 12
        + class_names
            .iter()
            .map(|n| Canvas::text_width(n, 2))
            .max()
            .unwrap_or(0)
        + 40;
    let chart_w = MARGIN_L + pw + 30;
    let mut c = Canvas::new(
        (chart_w + legend_w + 20) as usize,
        (MARGIN_T + ph + MARGIN_B) as usize,
        WHITE,
    );
    let (xs, ys): (Vec<f64>, Vec<f64>) = points
        .chunks_exact(2)
        .map(|p| (p[0] as f64, p[1] as f64))
        .unzip();
    // Robust limits: 0.2% / 99.8% quantiles, so a few far outliers don't squash the map.
    let lim = |v: &[f64]| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let (lo, hi) = (s[s.len() / 500], s[s.len() - 1 - s.len() / 500]);
        let pad = (hi - lo).max(1e-6) * 0.05;
        (lo - pad, hi + pad)
    };
    let ((mut x0, mut x1), (mut y0, mut y1)) = (lim(&xs), lim(&ys));
    if let Some(b) = &background {
        (x0, x1) = (x0.min(-b.extent), x1.max(b.extent));
        (y0, y1) = (y0.min(-b.extent), y1.max(b.extent));
    }
    let root = c.area();
    let (plot, legend) = root.split_horizontally(chart_w as u32);
    let mut chart = ChartBuilder::on(&plot)
        .caption(title, font(size(2)))
        .margin_top(8)
        .margin_right(30)
        .x_label_area_size(MARGIN_B as u32 - 16)
        .y_label_area_size(MARGIN_L as u32)
        .build_cartesian_2d(x0..x1, y0..y1)
        .expect("a chart on the figure's buffer");
    if let Some(b) = &background {
        // Shade each pixel by the density at its centre, darkest at the densest.
        let (px, py) = chart.plotting_area().get_pixel_range();
        let (w, h) = (px.len() as f64, py.len() as f64);
        let at = |i: i32, j: i32| {
            let x = x0 + (f64::from(i - px.start) + 0.5) / w * (x1 - x0);
            let y = y1 - (f64::from(j - py.start) + 0.5) / h * (y1 - y0);
            (b.density)(x, y)
        };
        let values: Vec<(i32, i32, f64)> = py
            .clone()
            .flat_map(|j| px.clone().map(move |i| (i, j)))
            .map(|(i, j)| (i, j, at(i, j)))
            .collect();
        let top = values
            .iter()
            .map(|v| v.2)
            .fold(0.0f64, f64::max)
            .max(1e-300);
        for (i, j, v) in values {
            let shade = (255.0 - 70.0 * (v / top).sqrt()).round() as u8;
            drawn(root.draw_pixel((i, j), &RGBColor(shade, shade, shade)));
        }
    }
    let tick = |v: &f64| fmt_tick(*v);
    drawn(
        chart
            .configure_mesh()
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style(font(size(1) + 2.0).color(&rgb(GREY)))
            .axis_desc_style(font(size(2)))
            .x_desc(axes.0)
            .y_desc(axes.1)
            .bold_line_style(rgb(LIGHT))
            .light_line_style(TRANSPARENT)
            .axis_style(rgb(BLACK))
            .draw(),
    );
    let inside = |x: f64, y: f64| (x0..x1).contains(&x) && (y0..y1).contains(&y);
    let dots = xs
        .iter()
        .zip(&ys)
        .zip(labels)
        .filter(|((x, y), _)| inside(**x, **y))
        .map(|((&x, &y), &l)| {
            let colour = rgb(class_colour(l as usize, class_names.len()));
            Circle::new((x, y), 2, colour.mix(0.55).filled())
        });
    drawn(chart.draw_series(dots).map(|_| ()));
    // The frame again, over the points that touch it.
    let (px, py) = chart.plotting_area().get_pixel_range();
    drawn(root.draw(&Rectangle::new(
        [(px.start, py.start), (px.end, py.end)],
        rgb(BLACK),
    )));
    for (k, name) in class_names.iter().enumerate() {
        let ly = MARGIN_T as i32 + 10 + k as i32 * 28;
        let colour = rgb(class_colour(k, class_names.len()));
        drawn(legend.draw(&Rectangle::new([(0, ly), (16, ly + 16)], colour.filled())));
        drawn(legend.draw_text(name, &font(size(2)).color(&rgb(BLACK)), (26, ly - 1)));
    }
    drop((chart, plot, legend, root));
    c
}

/// Ticks for an image grid: the latent coordinate under each column and beside each row.
pub struct GridAxes {
    pub x_label: String,
    pub y_label: String,
    pub x_values: Vec<f64>,
    /// Top row first.
    pub y_values: Vec<f64>,
}

/// `images[r * cols + c]` are greyscale `side x side` images, drawn `scale` times larger.
pub fn image_grid(
    images: &[Vec<u8>],
    side: usize,
    cols: usize,
    scale: usize,
    title: &str,
    axes: Option<&GridAxes>,
) -> Canvas {
    let rows = images.len().div_ceil(cols);
    let cell = (side * scale) as i64;
    let (ml, mb) = if axes.is_some() {
        (MARGIN_L + 30, MARGIN_B)
    } else {
        (10, 10)
    };
    let mut c = Canvas::new(
        (ml + cell * cols as i64 + 20) as usize,
        (MARGIN_T + cell * rows as i64 + mb) as usize,
        WHITE,
    );
    for (i, img) in images.iter().enumerate() {
        c.grey_image(
            ml + (i % cols) as i64 * cell,
            MARGIN_T + (i / cols) as i64 * cell,
            side,
            img,
            scale,
        );
    }
    c.text(ml, 14, title, 2, BLACK);
    if let Some(a) = axes {
        // About seven evenly spaced labels per axis, always including both ends.
        let labelled = |k: usize, n: usize| n <= 7 || (0..=6).any(|i| (i * (n - 1) + 3) / 6 == k);
        for (k, v) in a
            .x_values
            .iter()
            .enumerate()
            .filter(|(k, _)| labelled(*k, cols))
        {
            let label = fmt_tick(*v);
            let x = ml + k as i64 * cell + cell / 2;
            c.fill_rect(x, MARGIN_T + cell * rows as i64, 1, 6, BLACK);
            c.text(
                x - Canvas::text_width(&label, 2) / 2,
                MARGIN_T + cell * rows as i64 + 10,
                &label,
                2,
                GREY,
            );
        }
        for (k, v) in a
            .y_values
            .iter()
            .enumerate()
            .filter(|(k, _)| labelled(*k, rows))
        {
            let label = fmt_tick(*v);
            let y = MARGIN_T + k as i64 * cell + cell / 2;
            c.fill_rect(ml - 6, y, 6, 1, BLACK);
            c.text(
                ml - 10 - Canvas::text_width(&label, 2),
                y - 10,
                &label,
                2,
                GREY,
            );
        }
        let gw = cell * cols as i64;
        c.text(
            ml + gw / 2 - Canvas::text_width(&a.x_label, 2) / 2,
            MARGIN_T + cell * rows as i64 + 40,
            &a.x_label,
            2,
            BLACK,
        );
        c.text_vertical(
            6,
            MARGIN_T + cell * rows as i64 / 2 + Canvas::text_width(&a.y_label, 2) / 2,
            &a.y_label,
            2,
            BLACK,
        );
    }
    c
}

/// One row of images, each with a short caption above it (`\n` starts a second line).
pub fn strip(images: &[(String, Vec<u8>)], side: usize, scale: usize, title: &str) -> Canvas {
    let cell = (side * scale) as i64;
    let gap = 10;
    let lines = images
        .iter()
        .map(|(c, _)| c.lines().count())
        .max()
        .unwrap_or(1) as i64;
    let top = MARGIN_T + 15 * lines + 8;
    let mut c = Canvas::new(
        (10 + images.len() as i64 * (cell + gap)) as usize,
        (top + cell + 10) as usize,
        WHITE,
    );
    c.text(10, 14, title, 2, BLACK);
    for (k, (caption, img)) in images.iter().enumerate() {
        let x = 10 + k as i64 * (cell + gap);
        for (l, line) in caption.lines().enumerate() {
            c.text(x, MARGIN_T + 15 * l as i64, line, 1, GREY);
        }
        c.grey_image(x, top, side, img, scale);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(
            nice_ticks(-3.0, 3.0, 6),
            vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0]
        );
        // span 0.78 / 4 = 0.195 -> the next round step is 0.2.
        let t = nice_ticks(0.13, 0.91, 4);
        assert_eq!(t.len(), 4);
        assert!(
            t.iter()
                .zip([0.2, 0.4, 0.6, 0.8])
                .all(|(a, b)| (a - b).abs() < 1e-12),
            "{t:?}"
        );
        assert_eq!(fmt_tick(-0.0001), "0");
        assert_eq!(fmt_tick(2.5), "2.5");
    }

    #[test]
    fn scatter_draws_points_in_class_colours() {
        let names: Vec<String> = (0..3).map(|k| format!("class {k}")).collect();
        let pts: Vec<f32> = (0..600)
            .flat_map(|i| {
                [
                    (i % 3) as f32 * 10.0 + (i as f32 * 0.01),
                    (i / 3) as f32 * 0.05,
                ]
            })
            .collect();
        let labels: Vec<u8> = (0..600).map(|i| (i % 3) as u8).collect();
        let png = scatter(&pts, &labels, &names, "t", ("x", "y"), None).to_png();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut buf).unwrap();
        let has = |c: [u8; 3]| buf.chunks_exact(3).any(|p| p == c);
        assert!(
            has(TAB10[0]) && has(TAB10[1]) && has(TAB10[2]),
            "legend swatches in every class colour"
        );
        let tinted = buf
            .chunks_exact(3)
            .filter(|p| p[0] != p[1] || p[1] != p[2])
            .count();
        assert!(tinted > 2000, "points were drawn: {tinted} coloured pixels");
    }
}
