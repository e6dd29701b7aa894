//! Interpolation strips as animated GIFs (the page's "Strip GIF", encoded in a decode worker):
//! grey frames on a 256-grey palette, scaled up by whole pixels, looping forever, with the share
//! link that reproduces them in a comment block. Frames are added one at a time so the caller can
//! report progress between them.

use gif::{AnyExtension, Encoder, Extension, Frame, Repeat};

/// Frames per animation: share links hold at most 64 steps; this leaves room for more.
pub const MAX_FRAMES: usize = 256;
/// Whole-pixel scale factors: 28-pixel frames up to 448 pixels across.
pub const MAX_SCALE: usize = 16;
/// The frame side an animation accepts (Omniglot's 105 and more).
pub const MAX_SIDE: usize = 256;

/// An animated GIF being written.
pub struct GifWriter {
    encoder: Encoder<Vec<u8>>,
    side: usize,
    scale: usize,
    delay_cs: u16,
    frames: usize,
}

impl GifWriter {
    /// An animation of `side`×`side` grey frames shown `scale` times larger, each for `delay_ms`,
    /// with `comment` (the share link) stored in the file.
    pub fn new(side: usize, scale: usize, delay_ms: u32, comment: &str) -> Result<Self, String> {
        if !(1..=MAX_SIDE).contains(&side) || !(1..=MAX_SCALE).contains(&scale) {
            return Err(format!(
                "a GIF needs a frame side of 1..={MAX_SIDE} and a scale of 1..={MAX_SCALE}"
            ));
        }
        let px = (side * scale) as u16;
        let palette: Vec<u8> = (0..=255u8).flat_map(|g| [g, g, g]).collect();
        let mut encoder = Encoder::new(Vec::new(), px, px, &palette).map_err(|e| e.to_string())?;
        encoder
            .set_repeat(Repeat::Infinite)
            .map_err(|e| e.to_string())?;
        if !comment.is_empty() {
            encoder
                .write_raw_extension(
                    AnyExtension(Extension::Comment as u8),
                    &[comment.as_bytes()],
                )
                .map_err(|e| e.to_string())?;
        }
        // GIF delays are in hundredths of a second; browsers show shorter ones than 2 as 10.
        let delay_cs = (delay_ms / 10).clamp(2, u16::MAX as u32) as u16;
        Ok(Self {
            encoder,
            side,
            scale,
            delay_cs,
            frames: 0,
        })
    }

    /// Adds one frame: `side * side` grey bytes (ink bright), as the decoder writes them.
    pub fn add_frame(&mut self, grey: &[u8]) -> Result<(), String> {
        if grey.len() != self.side * self.side {
            return Err(format!(
                "a frame has {} pixels; this animation's frames have {}",
                grey.len(),
                self.side * self.side
            ));
        }
        if self.frames == MAX_FRAMES {
            return Err(format!("an animation holds at most {MAX_FRAMES} frames"));
        }
        let (side, scale) = (self.side, self.scale);
        let px = side * scale;
        // Palette index g is grey g: the pixels are their own indices, scaled by repetition.
        let pixels: Vec<u8> = (0..px * px)
            .map(|i| grey[(i / px / scale) * side + (i % px) / scale])
            .collect();
        let mut frame = Frame::from_indexed_pixels(px as u16, px as u16, pixels, None);
        frame.delay = self.delay_cs;
        self.encoder
            .write_frame(&frame)
            .map_err(|e| e.to_string())?;
        self.frames += 1;
        Ok(())
    }

    /// The finished file.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        if self.frames == 0 {
            return Err("an animation needs at least one frame".into());
        }
        self.encoder.into_inner().map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a GIF decoder (the same crate's) reads back: every frame's pixels, delay and size.
    #[test]
    fn frames_read_back_as_written_scaled_by_whole_pixels() {
        let side = 5;
        let frames: Vec<Vec<u8>> = (0..4)
            .map(|k| {
                (0..side * side)
                    .map(|i| ((i * 37 + k * 91) % 256) as u8)
                    .collect()
            })
            .collect();
        let mut w = GifWriter::new(side, 3, 120, "http://x/#m=fmnist-2d&n=4").unwrap();
        for f in &frames {
            w.add_frame(f).unwrap();
        }
        let bytes = w.finish().unwrap();
        assert_eq!(&bytes[..6], b"GIF89a");
        let needle = b"#m=fmnist-2d&n=4";
        assert!(
            bytes.windows(needle.len()).any(|w| w == needle),
            "the link is in the file"
        );
        let mut opts = gif::DecodeOptions::new();
        opts.set_color_output(gif::ColorOutput::Indexed);
        let mut dec = opts.read_info(bytes.as_slice()).unwrap();
        let palette = dec.global_palette().unwrap().to_vec();
        let mut read = 0;
        while let Some(frame) = dec.read_next_frame().unwrap() {
            assert_eq!((frame.width, frame.height, frame.delay), (15, 15, 12));
            for (i, &index) in frame.buffer.iter().enumerate() {
                let (y, x) = (i / 15, i % 15);
                let want = frames[read][(y / 3) * side + x / 3];
                assert_eq!(
                    palette[3 * index as usize],
                    want,
                    "frame {read} pixel ({x}, {y})"
                );
            }
            read += 1;
        }
        assert_eq!(read, frames.len());
    }

    #[test]
    fn bad_sizes_are_refused_with_a_message() {
        assert!(GifWriter::new(0, 1, 100, "").is_err());
        assert!(GifWriter::new(28, MAX_SCALE + 1, 100, "").is_err());
        let mut w = GifWriter::new(4, 2, 100, "").unwrap();
        let e = w.add_frame(&[0; 15]).unwrap_err();
        assert!(e.contains("15 pixels") && e.contains("16"), "{e}");
        assert!(GifWriter::new(4, 2, 100, "").unwrap().finish().is_err());
        let mut w = GifWriter::new(1, 1, 100, "").unwrap();
        for _ in 0..MAX_FRAMES {
            w.add_frame(&[7]).unwrap();
        }
        assert!(w.add_frame(&[7]).unwrap_err().contains("at most"));
    }
}
