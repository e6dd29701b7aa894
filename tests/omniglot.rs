//! The Omniglot reader on the real files (zipped and unpacked), and its reports on damage.

mod common;
use latent_atlas::data::omniglot::{self, SIDE, SOURCE_SIDE, Split};
use std::path::PathBuf;

fn data_dir() -> PathBuf {
    common::omniglot_dir()
}

/// The message of a load that must fail.
fn load_error(dirs: &[PathBuf], split: Split) -> String {
    omniglot::load(dirs, split).unwrap_err().to_string()
}

#[test]
fn reads_the_official_small_set_from_its_zip() {
    let o = omniglot::load(&[data_dir()], Split::Small1).unwrap();
    assert_eq!(
        (o.len(), o.alphabets.len(), o.characters.len()),
        (2720, 5, 136)
    );
    assert!(
        o.source
            .contains("md5 matches the official images_background_small1.zip"),
        "{}",
        o.source
    );
    // Every character has each of the 20 drawers exactly once, in order.
    for c in 0..136 {
        let drawers: Vec<u8> = (0..o.len())
            .filter(|&i| o.character[i] as usize == c)
            .map(|i| o.drawer[i])
            .collect();
        assert_eq!(
            drawers,
            (1..=20).collect::<Vec<u8>>(),
            "character {}",
            o.characters[c]
        );
    }
    assert!(
        o.alphabets.contains(&"Latin".to_string()),
        "{:?}",
        o.alphabets
    );
    // Strokes on an empty page: a little ink, never none, always some full-ink pixels.
    for i in (0..o.len()).step_by(97) {
        let img = o.image(i);
        let ink = img.iter().map(|&p| p as f64 / 255.0).sum::<f64>() / (SIDE * SIDE) as f64;
        assert!((0.01..0.4).contains(&ink), "image {i}: ink fraction {ink}");
    }
}

#[test]
fn reads_both_big_splits_with_the_official_counts() {
    let bg = omniglot::load(&[data_dir()], Split::Background).unwrap();
    assert_eq!(
        (bg.len(), bg.alphabets.len(), bg.characters.len()),
        (19_280, 30, 964)
    );
    let ev = omniglot::load(&[data_dir()], Split::Evaluation).unwrap();
    assert_eq!(
        (ev.len(), ev.alphabets.len(), ev.characters.len()),
        (13_180, 20, 659)
    );
    assert!(
        bg.alphabets.iter().all(|a| !ev.alphabets.contains(a)),
        "the splits share no alphabet"
    );
    assert!(ev.source.contains("md5 matches"), "{}", ev.source);
}

#[test]
fn area_averaging_keeps_ink_mass() {
    let full = omniglot::downsample(&vec![true; SOURCE_SIDE * SOURCE_SIDE]);
    assert!(full.iter().all(|&p| p == 255));
    // One inked source pixel at the corner covers (1 / 3.75)^2 of output pixel (0, 0): 255 * 0.0711 = 18.
    let mut one = vec![false; SOURCE_SIDE * SOURCE_SIDE];
    one[0] = true;
    let d = omniglot::downsample(&one);
    assert_eq!(d[0], 18);
    assert_eq!(d.iter().filter(|&&p| p > 0).count(), 1);
}

#[test]
fn ink_masks_are_the_drawings_the_small_images_were_made_from() {
    let dirs = [data_dir()];
    let small = omniglot::load(&dirs, Split::Small1).unwrap();
    let two = small
        .only_alphabets(&[small.alphabets[1].as_str(), small.alphabets[3].as_str()])
        .unwrap();
    let masks = omniglot::ink_masks(&dirs, &two).unwrap();
    assert_eq!(masks.len(), two.len());
    assert!(two.len() >= 40, "{} drawings", two.len());
    for (i, mask) in masks.iter().enumerate() {
        assert_eq!(mask.len(), SOURCE_SIDE * SOURCE_SIDE);
        assert_eq!(omniglot::downsample(mask), two.image(i), "drawing {i}");
    }
    // A drawing the files lack is named.
    let mut lost = two.clone();
    lost.characters[lost.character[0] as usize] = "Nowhere/character01".into();
    let err = omniglot::ink_masks(&dirs, &lost).unwrap_err().to_string();
    assert!(
        err.contains("Nowhere/character01: no drawing by drawer"),
        "{err}"
    );
}

/// Unpack the small set into a folder, then damage it.
#[test]
fn unpacked_folders_work_and_damage_is_listed() {
    let dir = common::scratch("omniglot-folder");
    let zip_bytes = std::fs::read(data_dir().join("images_background_small1.zip")).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    zip.extract(&dir).unwrap();
    let from_folder = omniglot::load(std::slice::from_ref(&dir), Split::Small1).unwrap();
    let from_zip = omniglot::load(&[data_dir()], Split::Small1).unwrap();
    assert_eq!(from_folder.pixels, from_zip.pixels);
    assert_eq!(from_folder.characters, from_zip.characters);

    let root = dir.join("images_background_small1");
    let latin = root.join("Latin/character01");
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(&latin)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pngs.sort();
    std::fs::remove_file(&pngs[0]).unwrap(); // a lost drawing
    std::fs::write(&pngs[1], b"\x89PNG\r\n\x1a\n garbage").unwrap(); // a broken file
    let err = load_error(std::slice::from_ref(&dir), Split::Small1);
    assert!(
        err.contains("Latin/character01 has 18 drawings, expected 20"),
        "{err}"
    );
    assert!(err.contains("not a readable PNG"), "{err}");
    std::fs::remove_dir_all(root.join("Latin")).unwrap(); // a lost alphabet
    let err = load_error(std::slice::from_ref(&dir), Split::Small1);
    assert!(err.contains("4 alphabets, expected 5"), "{err}");

    let err = load_error(&[PathBuf::from("/nonexistent")], Split::Evaluation);
    assert!(
        err.contains("/nonexistent/images_evaluation.zip")
            && err.contains("github.com/brendenlake/omniglot"),
        "{err}"
    );
}

#[test]
fn one_shot_runs_and_the_pixel_baseline() {
    let runs =
        omniglot::load_one_shot_runs(&data_dir().join("one-shot-classification/all_runs.zip"))
            .unwrap();
    assert_eq!(runs.len(), 20);
    for r in &runs {
        assert_eq!((r.training.len(), r.test.len()), (20, 20));
        let mut a = r.answer.clone();
        a.sort();
        assert_eq!(
            a,
            (0..20).collect::<Vec<_>>(),
            "{}: each class is the answer once",
            r.name
        );
    }
    // The dataset's README: the Modified Hausdorff nearest neighbour on centred ink makes 38.75%
    // errors on these files (the official demo says 38.8%).
    let e = latent_atlas::eval::oneshot::pixel_baseline_error(&runs);
    assert!((e - 0.3875).abs() < 1e-9, "pixel baseline error {e}");
}

/// A PNG of a header (IHDR) claiming `width x height`, then an empty IDAT and IEND, each chunk
/// with a correct checksum.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit greyscale
    for (kind, data) in [(&b"IHDR"[..], ihdr), (b"IDAT", vec![]), (b"IEND", vec![])] {
        let mut crc = flate2::Crc::new();
        crc.update(kind);
        crc.update(&data);
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        png.extend_from_slice(kind);
        png.extend_from_slice(&data);
        png.extend_from_slice(&crc.sum().to_be_bytes());
    }
    png
}

/// Hostile archives cost bounded memory and are named: an entry that inflates past the limit (a
/// zip bomb), an archive larger than any Omniglot file (sparse, so the test writes nothing), and
/// a drawing whose header claims a huge image (refused before its frame is allocated).
#[test]
fn bombs_and_huge_claims_are_refused_by_size_before_reading() {
    use std::io::Write;
    let dir = common::scratch("omniglot-bombs");
    let zip_path = dir.join("images_background_small1.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let deflate = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(
        "images_background_small1/Latin/character01/0001_01.png",
        deflate,
    )
    .unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&zeros).unwrap(); // 64 MiB of zeros deflate to ~64 kB
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(&zip_path).unwrap().len() < 1 << 20);
    let err = load_error(std::slice::from_ref(&dir), Split::Small1);
    assert!(
        err.contains("0001_01.png is larger than 1048576 bytes"),
        "{err}"
    );

    std::fs::File::create(&zip_path)
        .unwrap()
        .set_len(omniglot::MAX_ARCHIVE_BYTES + 1)
        .unwrap();
    let err = load_error(std::slice::from_ref(&dir), Split::Small1);
    assert!(
        err.contains("images_background_small1.zip")
            && err.contains("archives up to 268435456 bytes"),
        "{err}"
    );

    let err = omniglot::decode_drawing(&png_header(100_000, 100_000)).unwrap_err();
    assert_eq!(err, "image is 100000x100000, expected 105x105");
    let err = omniglot::decode_drawing(&png_header(105, 104)).unwrap_err();
    assert_eq!(err, "image is 105x104, expected 105x105");
}
