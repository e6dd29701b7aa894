//! What a run trains on: the training set without the run's validation alphabets, cut to its
//! limit, with its augmentation, and its held-out images cut to their limit.

use super::TrainConfig;
use crate::data::TrainSet;
use crate::data::omniglot::validation_alphabets;
use crate::objective::Objective;

pub(super) fn prepare(config: &TrainConfig, data: TrainSet) -> Result<TrainSet, String> {
    // Validation alphabets leave before any limit, so no limit can bring them back.
    let data = match config.validation_alphabets() {
        Some(n) => {
            let names = validation_alphabets(n)?;
            let before = data.images.len();
            let data = data.without_classes(names)?;
            eprintln!(
                "validation: {} held out of training ({} drawings)",
                names.join(", "),
                before - data.images.len()
            );
            data
        }
        None => data,
    };
    let data = match config.train_limit {
        Some(n) => data.truncated(n),
        None => data,
    };
    let mut data = match &config.objective {
        Objective::ContentStyle(cs) if cs.quarter_turns => data.with_quarter_turns()?,
        _ => data,
    };
    if let Some(n) = config.test_limit {
        data.held_out = data.held_out.map(|h| h.truncated(n));
    }
    Ok(data)
}
