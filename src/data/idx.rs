//! The IDX container (the MNIST family's file format), parsed from bytes so the same code runs
//! natively and in the browser. Gzip-compressed input is detected by its magic bytes.

use std::io::Read;

const IMAGES_MAGIC: u32 = 0x0000_0803; // unsigned byte, 3 dimensions
const LABELS_MAGIC: u32 = 0x0000_0801; // unsigned byte, 1 dimension
/// The most bytes an IDX file may hold once inflated: the MNIST family's largest file (60,000
/// images of 28x28) is 47 MB, so a stream that inflates past this is damaged or a bomb.
pub const MAX_IDX_BYTES: usize = 128 << 20;

/// A parse failure, phrased for a person who is looking at the file.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum IdxError {
    #[error("not valid gzip data: {0}")]
    Gzip(String),
    #[error(
        "the data is larger than {limit} bytes (uncompressed), more than any IDX file this reads"
    )]
    TooLarge { limit: usize },
    #[error("file is {len} bytes, too short for an IDX header of {need} bytes")]
    ShortHeader { len: usize, need: usize },
    #[error("magic number is 0x{found:08x}, expected 0x{expected:08x} ({what})")]
    BadMagic {
        found: u32,
        expected: u32,
        what: &'static str,
    },
    #[error(
        "header says {count} items of {item_bytes} bytes ({need} bytes of data) but the file holds {have}"
    )]
    Truncated {
        count: usize,
        item_bytes: usize,
        need: usize,
        have: usize,
    },
    #[error(
        "header says {count} items of {item_bytes} bytes but the file has {extra} bytes more than that"
    )]
    TrailingBytes {
        count: usize,
        item_bytes: usize,
        extra: usize,
    },
    #[error("images are {rows}x{cols}, expected {want_rows}x{want_cols}")]
    WrongShape {
        rows: usize,
        cols: usize,
        want_rows: usize,
        want_cols: usize,
    },
}

/// Greyscale images stored row-major, one byte per pixel (0 = background).
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Inflate `bytes` when they start with the gzip magic; pass them through otherwise. Either way
/// the result is at most `MAX_IDX_BYTES`: inflation stops one byte past the limit.
pub fn maybe_gunzip(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, IdxError> {
    let too_large = IdxError::TooLarge {
        limit: MAX_IDX_BYTES,
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity((bytes.len() * 4).min(MAX_IDX_BYTES));
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_IDX_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| IdxError::Gzip(e.to_string()))?;
        if out.len() > MAX_IDX_BYTES {
            return Err(too_large);
        }
        Ok(out.into())
    } else if bytes.len() > MAX_IDX_BYTES {
        Err(too_large)
    } else {
        Ok(bytes.into())
    }
}

fn be_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn check_body(body: usize, count: usize, item_bytes: usize) -> Result<(), IdxError> {
    let need = count.saturating_mul(item_bytes);
    if body < need {
        return Err(IdxError::Truncated {
            count,
            item_bytes,
            need,
            have: body,
        });
    }
    if body > need {
        return Err(IdxError::TrailingBytes {
            count,
            item_bytes,
            extra: body - need,
        });
    }
    Ok(())
}

/// Parse an images file (magic 2051), optionally gzipped, requiring `rows x cols` images.
pub fn parse_images(bytes: &[u8], want: (usize, usize)) -> Result<IdxImages, IdxError> {
    let b = maybe_gunzip(bytes)?;
    if b.len() < 16 {
        return Err(IdxError::ShortHeader {
            len: b.len(),
            need: 16,
        });
    }
    let magic = be_u32(&b, 0);
    if magic != IMAGES_MAGIC {
        return Err(IdxError::BadMagic {
            found: magic,
            expected: IMAGES_MAGIC,
            what: "images",
        });
    }
    let (count, rows, cols) = (
        be_u32(&b, 4) as usize,
        be_u32(&b, 8) as usize,
        be_u32(&b, 12) as usize,
    );
    if (rows, cols) != want {
        return Err(IdxError::WrongShape {
            rows,
            cols,
            want_rows: want.0,
            want_cols: want.1,
        });
    }
    check_body(b.len() - 16, count, rows * cols)?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: b[16..].to_vec(),
    })
}

/// Parse a labels file (magic 2049), optionally gzipped.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let b = maybe_gunzip(bytes)?;
    if b.len() < 8 {
        return Err(IdxError::ShortHeader {
            len: b.len(),
            need: 8,
        });
    }
    let magic = be_u32(&b, 0);
    if magic != LABELS_MAGIC {
        return Err(IdxError::BadMagic {
            found: magic,
            expected: LABELS_MAGIC,
            what: "labels",
        });
    }
    let count = be_u32(&b, 4) as usize;
    check_body(b.len() - 8, count, 1)?;
    Ok(b[8..].to_vec())
}

/// Encode images as an (uncompressed) IDX file; used by tests and to write subsets.
pub fn encode_images(images: &IdxImages) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + images.pixels.len());
    for v in [
        IMAGES_MAGIC,
        images.count as u32,
        images.rows as u32,
        images.cols as u32,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Encode labels as an (uncompressed) IDX file.
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn sample() -> IdxImages {
        IdxImages {
            count: 2,
            rows: 2,
            cols: 3,
            pixels: vec![0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255],
        }
    }

    #[test]
    fn round_trips_plain_and_gzipped() {
        let raw = encode_images(&sample());
        assert_eq!(parse_images(&raw, (2, 3)).unwrap(), sample());
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&raw).unwrap();
        assert_eq!(
            parse_images(&gz.finish().unwrap(), (2, 3)).unwrap(),
            sample()
        );
        assert_eq!(
            parse_labels(&encode_labels(&[3, 1, 4])).unwrap(),
            vec![3, 1, 4]
        );
    }

    /// A gzip stream that inflates without end (here: a header claiming 2^32-1 images, then
    /// zeros for 129 MiB) stops at the limit; a header's claim alone allocates nothing.
    #[test]
    fn compressed_bombs_and_huge_claims_are_refused_before_they_cost_memory() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let header = [IMAGES_MAGIC, u32::MAX, 28, 28];
        for v in header {
            gz.write_all(&v.to_be_bytes()).unwrap();
        }
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..129 {
            gz.write_all(&zeros).unwrap();
        }
        let bomb = gz.finish().unwrap();
        assert!(bomb.len() < 1 << 20, "the bomb is small: {}", bomb.len());
        assert_eq!(
            parse_images(&bomb, (28, 28)),
            Err(IdxError::TooLarge {
                limit: MAX_IDX_BYTES
            })
        );
        let mut claim = Vec::new();
        for v in header {
            claim.extend_from_slice(&v.to_be_bytes());
        }
        assert!(matches!(
            parse_images(&claim, (28, 28)),
            Err(IdxError::Truncated { have: 0, .. })
        ));
        let labels_claim = [LABELS_MAGIC.to_be_bytes(), u32::MAX.to_be_bytes()].concat();
        assert!(matches!(
            parse_labels(&labels_claim),
            Err(IdxError::Truncated { have: 0, .. })
        ));
    }

    #[test]
    fn rejects_malformed_bytes_with_specific_errors() {
        let raw = encode_images(&sample());
        assert_eq!(
            parse_images(&raw[..10], (2, 3)),
            Err(IdxError::ShortHeader { len: 10, need: 16 })
        );
        assert!(matches!(
            parse_images(&raw[..20], (2, 3)),
            Err(IdxError::Truncated {
                need: 12,
                have: 4,
                ..
            })
        ));
        let mut long = raw.clone();
        long.push(0);
        assert!(matches!(
            parse_images(&long, (2, 3)),
            Err(IdxError::TrailingBytes { extra: 1, .. })
        ));
        assert!(matches!(
            parse_images(&raw, (28, 28)),
            Err(IdxError::WrongShape {
                rows: 2,
                cols: 3,
                ..
            })
        ));
        // A labels file handed to the images parser is caught by its magic number.
        assert!(matches!(
            parse_images(&encode_labels(&[1; 20]), (2, 3)),
            Err(IdxError::BadMagic { found: 0x801, .. })
        ));
        assert!(matches!(
            parse_labels(&raw),
            Err(IdxError::BadMagic { found: 0x803, .. })
        ));
        // Gzip magic followed by garbage.
        assert!(matches!(
            parse_labels(&[0x1f, 0x8b, 1, 2, 3]),
            Err(IdxError::Gzip(_))
        ));
        // A count so large that count * item size overflows must not panic.
        let mut huge = raw[..16].to_vec();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            parse_images(&huge, (2, 3)),
            Err(IdxError::Truncated { .. })
        ));
    }
}
