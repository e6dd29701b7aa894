//! Photo-like uploads: the page's preprocessing of a photographed garment.

use super::*;
use latent_atlas::eval::placement;

/// Photo-like uploads (`eval::photos`: a dark garment on tinted paper under uneven light,
/// off-centre, out of focus, with grain, as a JPEG) of 500 test images land in their class's
/// neighbourhood on the shipped 16-D model about as often as the test images themselves
/// uploaded, and mostly where their originals land: the page's preprocessing measures the
/// background as a surface, takes the grain off and crops soft edges at their middle. (With
/// one background level for the whole frame, 16% of photos landed among their class.)
#[test]
fn photo_like_uploads_land_where_their_originals_do() {
    let pkg = Path::new(env!("CARGO_MANIFEST_DIR")).join("pkg");
    let bundle =
        Bundle::from_bytes(&std::fs::read(pkg.join("fmnist-16d.safetensors")).unwrap()).unwrap();
    let device = Device::flex();
    let model = bundle.model(&device).unwrap();
    let data = fashion::load(None).unwrap();
    let queries = placement::pick_queries(&data.test, 500, 1);
    let (p, examples) = placement::measure(
        &model,
        &data.test,
        &data.test,
        &queries,
        true,
        28,
        &bundle.manifest.dataset.class_names,
        10,
        1,
        &device,
    );
    eprintln!("{}", serde_json::to_string(&p).unwrap());
    assert_eq!((p.queries, p.refused, examples.len()), (500, 0, 500));
    assert!(p.originals_agree > 0.75, "originals {}", p.originals_agree);
    assert!(
        p.photos_agree >= p.originals_agree - 0.04,
        "photos {} vs originals {}",
        p.photos_agree,
        p.originals_agree
    );
    assert!(p.photos_moved < 0.2, "moved {}", p.photos_moved);
    assert!(
        p.original_rank_median <= 5.0,
        "rank {}",
        p.original_rank_median
    );
}
