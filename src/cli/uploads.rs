//! `latent-atlas uploads`: how photo-like uploads land on a model's map compared with the
//! dataset images they were made from (`eval::placement`): prints a table (or the JSON) and
//! writes `uploads.json` and the contact sheet `uploads.png`.

use latent_atlas::data::load_dataset;
use latent_atlas::device::Backend;
use latent_atlas::eval::placement::{self, Placement};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// A model file (from `export`) of a dataset with classes
    file: PathBuf,
    /// Directory with the dataset files (else the usual places)
    #[arg(long)]
    data: Option<PathBuf>,
    /// Which split the uploaded images come from: `test` (the measure), or `train` (for tuning
    /// the preprocessing without looking at the test images)
    #[arg(long, default_value = "test", value_parser = ["test", "train"])]
    from: String,
    /// How many images to upload (spread evenly over the classes)
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Neighbourhood size: the test codes nearest an upload's code that vote on its class
    #[arg(long, default_value_t = 10)]
    k: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write uploads.json and uploads.png [default: <file stem>-uploads]
    #[arg(long)]
    out: Option<PathBuf>,
    /// Also write the first N photos as JPEG files (`photo-<test index>-<class>.jpg`), to upload
    /// in the page
    #[arg(long, default_value_t = 0)]
    write_photos: usize,
    /// Print the measures as one JSON object instead of a table
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value_t = Backend::Flex)]
    device: Backend,
}

pub fn run(a: Args) -> Result<ExitCode, String> {
    if a.count == 0 || a.k == 0 {
        return Err("--count and --k must be at least 1".into());
    }
    let bundle = super::read_bundle(&a.file)?;
    let m = &bundle.manifest;
    if m.architecture.condition_classes() > 0 {
        return Err(format!(
            "{} is conditional: its code holds the style, not the class, so class neighbourhoods say nothing about it",
            a.file.display()
        ));
    }
    let data = load_dataset(&m.dataset.name, a.data.as_deref())?;
    if data.test.is_empty() || m.dataset.class_names.is_empty() {
        return Err(format!(
            "{} has no labelled test split to place uploads among",
            data.name
        ));
    }
    let device = a.device.device()?;
    let model = bundle.model(&device).map_err(|e| e.to_string())?;
    let source = if a.from == "test" {
        &data.test
    } else {
        &data.train
    };
    let queries = placement::pick_queries(source, a.count, a.seed);
    let side = m.preprocessing.side;
    let fit = m.preprocessing.fit.unwrap_or(side);
    let (p, examples) = placement::measure(
        &model,
        &data.test,
        source,
        &queries,
        a.from == "test",
        fit,
        &m.dataset.class_names,
        a.k,
        a.seed,
        &device,
    );
    let stem = a
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let out = a
        .out
        .unwrap_or_else(|| PathBuf::from(format!("{stem}-uploads")));
    let io = |e: std::io::Error| format!("{}: {e}", out.display());
    std::fs::create_dir_all(&out).map_err(io)?;
    let json = serde_json::to_value(&p).expect("measures serialise");
    std::fs::write(
        out.join("uploads.json"),
        serde_json::to_string_pretty(&json).expect("json"),
    )
    .map_err(io)?;
    for (e, i) in examples.iter().zip(&queries).take(a.write_photos) {
        let name = m.dataset.class_names[e.label]
            .replace(['/', ' '], "-")
            .to_lowercase();
        std::fs::write(out.join(format!("photo-{i}-{name}.jpg")), &e.photo).map_err(io)?;
    }
    // Two examples of each class (the queries go round the classes).
    let shown: Vec<_> = examples
        .into_iter()
        .take(2 * m.dataset.class_names.len())
        .collect();
    placement::contact_sheet(&shown, &m.dataset.class_names, side)
        .save(&out.join("uploads.png"))
        .map_err(io)?;
    if a.json {
        println!("{json}");
    } else {
        println!("{}", table(&p, &a.file.display().to_string()));
        println!("wrote uploads.json and uploads.png in {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn table(p: &Placement, target: &str) -> String {
    let pct = |v: f64| format!("{:5.1}%", 100.0 * v);
    let mut s = format!(
        "{target}: {} {} images uploaded as themselves and as photo-like JPEGs; neighbourhood = the {} nearest test codes{}\n",
        p.queries,
        p.from,
        p.k,
        if p.from == "test" {
            " (its own left out)"
        } else {
            ""
        }
    );
    s += &format!("{:<28}{:>10}{:>10}\n", "", "originals", "photos");
    s += &format!(
        "{:<28}{:>10}{:>10}\n",
        "majority is the class",
        pct(p.originals_agree),
        pct(p.photos_agree)
    );
    s += &format!(
        "{:<28}{:>10}{:>10}\n",
        "neighbours of the class",
        pct(p.originals_neighbours),
        pct(p.photos_neighbours)
    );
    for c in &p.per_class {
        s += &format!(
            "  {:<26}{:>10}{:>10}\n",
            c.class,
            pct(c.originals_agree),
            pct(c.photos_agree)
        );
    }
    s += &format!(
        "photos in another neighbourhood than their original: {}; median rank of the original's code from the photo's: {}; refused: {}",
        pct(p.photos_moved),
        p.original_rank_median,
        p.refused
    );
    s
}
