//! Figures of a content/style model: t-SNE of content and of style (by alphabet, by character),
//! the style-transfer grid and reconstructions.

use super::{ContentStyleEval, columns};
use crate::data::omniglot::{Omniglot, SIDE};
use crate::eval::metrics::decode_bytes;
use crate::eval::plot::{image_grid, scatter};
use crate::eval::tsne::tsne;
use crate::model::Vae;
use crate::rng::Rng;
use burn::prelude::*;
use std::path::{Path, PathBuf};

/// Short alphabet names for legends ("Old_Church_Slavonic_(Cyrillic)" -> "Old Church Slavonic").
fn short(name: &str) -> String {
    name.split('(')
        .next()
        .unwrap_or(name)
        .replace('_', " ")
        .trim()
        .chars()
        .take(24)
        .collect()
}

/// Writes the PNGs into `out`; returns their paths.
pub fn write_plots(
    model: &Vae,
    content_dim: usize,
    data: &Omniglot,
    ev: &ContentStyleEval,
    device: &Device,
    out: &Path,
    seed: u64,
) -> std::io::Result<Vec<PathBuf>> {
    let dim = model.encoder.latent_dim();
    let means = &ev.enc.means;
    let mut rng = Rng::derive(seed, 0x9107, 0);
    let mut written = Vec::new();
    let mut save = |canvas: crate::eval::plot::canvas::Canvas, name: &str| -> std::io::Result<()> {
        let path = out.join(name);
        canvas.save(&path)?;
        written.push(path);
        Ok(())
    };

    // By alphabet: four random characters of every alphabet, all their drawings.
    let mut chosen_chars = Vec::new();
    for a in 0..data.alphabets.len() {
        let mut chars: Vec<u16> = (0..data.len())
            .filter(|&i| data.alphabet[i] as usize == a)
            .map(|i| data.character[i])
            .collect();
        chars.dedup();
        rng.shuffle(&mut chars);
        chosen_chars.extend(chars.into_iter().take(4));
    }
    let by_alphabet: Vec<usize> = (0..data.len())
        .filter(|&i| chosen_chars.contains(&data.character[i]))
        .collect();
    let alphabet_labels: Vec<u8> = by_alphabet
        .iter()
        .map(|&i| data.alphabet[i] as u8)
        .collect();
    let alphabet_names: Vec<String> = data.alphabets.iter().map(|a| short(a)).collect();
    // By character: the first ten characters of one alphabet with at least ten.
    let alphabet = (0..data.alphabets.len())
        .find(|&a| {
            data.characters
                .iter()
                .filter(|c| c.starts_with(&format!("{}/", data.alphabets[a])))
                .count()
                >= 10
        })
        .unwrap_or(0);
    let first_char = (0..data.len())
        .find(|&i| data.alphabet[i] as usize == alphabet)
        .map_or(0, |i| data.character[i]);
    let by_char: Vec<usize> = (0..data.len())
        .filter(|&i| data.character[i] >= first_char && data.character[i] < first_char + 10)
        .collect();
    let char_labels: Vec<u8> = by_char
        .iter()
        .map(|&i| (data.character[i] - first_char) as u8)
        .collect();
    let char_names: Vec<String> = (0..10)
        .map(|k| {
            data.characters[(first_char + k) as usize]
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();

    for (part, from, to) in [("content", 0, content_dim), ("style", content_dim, dim)] {
        let codes = columns(means, dim, from, to);
        let pick = |idx: &[usize]| -> Vec<f32> {
            idx.iter()
                .flat_map(|&i| {
                    codes[i * (to - from)..(i + 1) * (to - from)]
                        .iter()
                        .copied()
                })
                .collect()
        };
        let y = tsne(&pick(&by_alphabet), to - from, 30.0, 750, seed);
        save(
            scatter(
                &y,
                &alphabet_labels,
                &alphabet_names,
                &format!(
                    "t-SNE of {part} means, {} drawings of 80 unseen characters, by alphabet",
                    by_alphabet.len()
                ),
                ("t-SNE 1", "t-SNE 2"),
                None,
            ),
            &format!("tsne-{part}-alphabets.png"),
        )?;
        let y = tsne(&pick(&by_char), to - from, 20.0, 750, seed);
        save(
            scatter(
                &y,
                &char_labels,
                &char_names,
                &format!(
                    "t-SNE of {part} means, 10 characters of {}, by character",
                    short(&data.alphabets[alphabet])
                ),
                ("t-SNE 1", "t-SNE 2"),
                None,
            ),
            &format!("tsne-{part}-characters.png"),
        )?;
    }

    // Style transfer: row r keeps drawing r's content; column c takes drawing c's style. The
    // first row shows the style donors, the first column the content donors.
    let n = 8;
    let rows: Vec<usize> = (0..n).map(|_| rng.below(data.len())).collect();
    let cols: Vec<usize> = (0..n).map(|_| rng.below(data.len())).collect();
    let mut z = Vec::new();
    for &r in &rows {
        for &c in &cols {
            z.extend_from_slice(&means[r * dim..r * dim + content_dim]);
            z.extend_from_slice(&means[c * dim + content_dim..(c + 1) * dim]);
        }
    }
    let decoded = decode_bytes(model, &z, dim, device, 256);
    let blank = vec![0u8; SIDE * SIDE];
    let mut cells = vec![blank];
    cells.extend(cols.iter().map(|&c| data.image(c).to_vec()));
    for (k, &r) in rows.iter().enumerate() {
        cells.push(data.image(r).to_vec());
        cells.extend(decoded[k * n..(k + 1) * n].iter().cloned());
    }
    save(
        image_grid(
            &cells,
            SIDE,
            n + 1,
            3,
            "style transfer: rows keep the left drawing's content, columns take the top drawing's style",
            None,
        ),
        "style-transfer.png",
    )?;

    // Reconstructions from the posterior mean: originals and reconstructions, alternating rows.
    let picks: Vec<usize> = (0..24).map(|_| rng.below(data.len())).collect();
    let z: Vec<f32> = picks
        .iter()
        .flat_map(|&i| means[i * dim..(i + 1) * dim].iter().copied())
        .collect();
    let recon = decode_bytes(model, &z, dim, device, 256);
    let mut cells = Vec::new();
    for row in 0..3 {
        cells.extend(
            picks[row * 8..(row + 1) * 8]
                .iter()
                .map(|&i| data.image(i).to_vec()),
        );
        cells.extend(recon[row * 8..(row + 1) * 8].iter().cloned());
    }
    save(
        image_grid(
            &cells,
            SIDE,
            8,
            3,
            "unseen alphabets: originals (odd rows) and reconstructions (even rows)",
            None,
        ),
        "reconstructions.png",
    )?;
    Ok(written)
}
