//! What a run records as it goes: the loop's position within an epoch, and one record per
//! finished epoch (in `metrics.jsonl`, the checkpoint's history and the model file's). Every
//! loss term is stored under its kind's name for it.

use crate::device::Backend;
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Named numbers in a fixed order, written as one JSON object (`{"loss": 1.5, "recon": ...}`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Named(pub Vec<(String, f64)>);

impl Named {
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).map(|&(_, v)| v)
    }

    /// Add `v` to the entry `name`, appending it when new.
    fn accumulate(&mut self, name: &str, v: f64) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some((_, s)) => *s += v,
            None => self.0.push((name.to_string(), v)),
        }
    }
}

impl Serialize for Named {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Named {
    /// An object, or (checkpoints written before terms had names) a list, read as `#0`, `#1`, …
    /// until [`Position::name_terms`] gives them their names.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Named;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of numbers")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Named, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, f64>()? {
                    out.push((k, v));
                }
                Ok(Named(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Named, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<f64>()? {
                    out.push((format!("#{}", out.len()), v));
                }
                Ok(Named(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// Where the loop stands: `epoch` epochs are complete and `batch` batches of the next one are
/// done; `sums` holds each term summed over those batches' examples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub epoch: usize,
    pub batch: usize,
    pub sums: Named,
    pub seen: usize,
    pub seconds: f64,
}

impl Position {
    /// Add one finished batch of `n` examples: its terms in the kind's order (the first, the
    /// total, must be finite) and the seconds since `t0`.
    pub fn add_batch(
        &mut self,
        terms: &[(&str, f64)],
        n: usize,
        t0: Instant,
    ) -> Result<(), String> {
        let (name, total) = terms[0];
        if !total.is_finite() {
            return Err(format!(
                "{name} became {total} at epoch {} batch {}; lower the learning rate",
                self.epoch + 1,
                self.batch
            ));
        }
        for &(name, v) in terms {
            self.sums.accumulate(name, v * n as f64);
        }
        self.seen += n;
        self.batch += 1;
        self.seconds += t0.elapsed().as_secs_f64();
        Ok(())
    }

    /// Each term's mean over the batches so far.
    pub fn means(&self) -> Named {
        let n = self.seen.max(1) as f64;
        Named(
            self.sums
                .0
                .iter()
                .map(|(k, s)| (k.clone(), s / n))
                .collect(),
        )
    }

    pub fn images_per_s(&self) -> f64 {
        self.seen as f64 / self.seconds.max(1e-9)
    }

    /// Give sums read from an older checkpoint (a list, in the kind's order) their names.
    pub fn name_terms(&mut self, names: &[&str]) {
        for (i, (k, _)) in self.sums.0.iter_mut().enumerate() {
            if k.starts_with('#')
                && let Some(name) = names.get(i)
            {
                *k = name.to_string();
            }
        }
    }
}

/// One finished epoch: the training terms' means (and the held-out ones, `test_*`), the learning
/// rate of its last step, and its speed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    pub epoch: usize,
    #[serde(flatten)]
    pub terms: Named,
    pub lr: f64,
    pub images_per_s: f64,
    pub seconds: f64,
    /// How many held-out images the `test_*` terms were scored on (`train --test-limit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_images: Option<usize>,
    /// Where the epoch trained (a run resumed with another `--device` changes it); absent in
    /// records written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<Backend>,
}

impl EpochRecord {
    /// The line printed when the epoch ends.
    pub fn line(&self, epochs: usize) -> String {
        let terms: Vec<String> = self
            .terms
            .0
            .iter()
            .map(|(k, v)| format!("{k} {}", show(*v)))
            .collect();
        format!(
            "epoch {:>3}/{epochs}  {}  {:.0} img/s  {:.1}s",
            self.epoch,
            terms.join("  "),
            self.images_per_s,
            self.seconds
        )
    }
}

/// A term's value with the precision it needs: losses in the hundreds, MMD² near zero.
pub fn show(v: f64) -> String {
    if v.abs() >= 0.1 || v == 0.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.5}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_term_order_and_read_older_positional_sums() {
        let r = EpochRecord {
            epoch: 2,
            terms: Named(vec![("loss".into(), 3.5), ("kl".into(), 0.25)]),
            lr: 1e-3,
            images_per_s: 10.0,
            seconds: 1.0,
            test_images: None,
            device: None,
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"epoch":2,"loss":3.5,"kl":0.25,"lr":0.001,"images_per_s":10.0,"seconds":1.0}"#
        );
        assert_eq!(serde_json::from_str::<EpochRecord>(&text).unwrap(), r);
        assert_eq!(
            r.line(5),
            "epoch   2/5  loss 3.500  kl 0.250  10 img/s  1.0s"
        );

        let mut p: Position = serde_json::from_str(
            r#"{"epoch":1,"batch":3,"sums":[6.0,1.5],"seen":3,"seconds":2.0}"#,
        )
        .unwrap();
        p.name_terms(&["loss", "kl"]);
        assert_eq!(
            p.means(),
            Named(vec![("loss".into(), 2.0), ("kl".into(), 0.5)])
        );
    }

    #[test]
    fn a_non_finite_total_stops_the_run_with_its_name() {
        let mut p = Position::default();
        let t0 = Instant::now();
        p.add_batch(&[("loss", 2.0), ("kl", 1.0)], 4, t0).unwrap();
        p.add_batch(&[("loss", 4.0), ("kl", 3.0)], 4, t0).unwrap();
        assert_eq!(p.means().get("kl"), Some(2.0));
        let e = p.add_batch(&[("loss", f64::NAN)], 4, t0).unwrap_err();
        assert!(e.contains("loss became NaN at epoch 1 batch 2"), "{e}");
    }
}
