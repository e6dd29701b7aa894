//! A thin safetensors layer: named f32/f16/u8 arrays plus string metadata. Shared by the model
//! file (`bundle`) and training checkpoints so both are readable from Python with `safetensors`.
//! An f16 array is read back as f32 values (`take_f32`): half-precision is a storage format here
//! (the page's smaller downloads), never a compute one.

use half::f16;
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, PartialEq)]
pub enum Array {
    F32(Vec<f32>),
    /// IEEE half-precision bits.
    F16(Vec<u16>),
    U8(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub shape: Vec<usize>,
    pub array: Array,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct TensorFile {
    pub metadata: BTreeMap<String, String>,
    pub entries: BTreeMap<String, Entry>,
}

impl TensorFile {
    pub fn put_f32(&mut self, name: impl Into<String>, shape: Vec<usize>, data: Vec<f32>) {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        self.entries.insert(
            name.into(),
            Entry {
                shape,
                array: Array::F32(data),
            },
        );
    }

    /// `data` rounded to the nearest half-precision values (finite f32 beyond f16's range become
    /// infinite: the reader's finiteness check then names the tensor).
    pub fn put_f16(&mut self, name: impl Into<String>, shape: Vec<usize>, data: &[f32]) {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        self.entries.insert(
            name.into(),
            Entry {
                shape,
                array: Array::F16(data.iter().map(|&v| f16::from_f32(v).to_bits()).collect()),
            },
        );
    }

    pub fn put_u8(&mut self, name: impl Into<String>, shape: Vec<usize>, data: Vec<u8>) {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        self.entries.insert(
            name.into(),
            Entry {
                shape,
                array: Array::U8(data),
            },
        );
    }

    /// Remove and return a float array (f16 widened to f32), or say what is wrong with it.
    pub fn take_f32(&mut self, name: &str) -> Result<(Vec<usize>, Vec<f32>), String> {
        match self.entries.remove(name) {
            Some(Entry {
                shape,
                array: Array::F32(v),
            }) => Ok((shape, v)),
            Some(Entry {
                shape,
                array: Array::F16(v),
            }) => Ok((
                shape,
                v.into_iter().map(|b| f16::from_bits(b).to_f32()).collect(),
            )),
            Some(_) => Err(format!("tensor '{name}' should be F32 or F16")),
            None => Err(format!("tensor '{name}' is missing")),
        }
    }

    pub fn take_u8(&mut self, name: &str) -> Result<(Vec<usize>, Vec<u8>), String> {
        match self.entries.remove(name) {
            Some(Entry {
                shape,
                array: Array::U8(v),
            }) => Ok((shape, v)),
            Some(_) => Err(format!("tensor '{name}' should be U8")),
            None => Err(format!("tensor '{name}' is missing")),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let raw: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = self
            .entries
            .iter()
            .map(|(name, e)| match &e.array {
                Array::F32(v) => (
                    name.clone(),
                    Dtype::F32,
                    e.shape.clone(),
                    v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                ),
                Array::F16(v) => (
                    name.clone(),
                    Dtype::F16,
                    e.shape.clone(),
                    v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                ),
                Array::U8(v) => (name.clone(), Dtype::U8, e.shape.clone(), v.clone()),
            })
            .collect();
        let views = raw.iter().map(|(n, d, s, b)| {
            (
                n.as_str(),
                TensorView::new(*d, s.clone(), b).expect("consistent view"),
            )
        });
        let meta: HashMap<String, String> = self.metadata.clone().into_iter().collect();
        safetensors::serialize(views, Some(meta)).expect("serialising in-memory tensors")
    }

    /// Parse and check every tensor; errors describe the damage (truncation, bad header, dtype).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let st = SafeTensors::deserialize(bytes).map_err(|e| match e {
            safetensors::SafeTensorError::HeaderTooSmall => format!(
                "file is {} bytes: too short to be a safetensors file",
                bytes.len()
            ),
            other => format!("not a readable safetensors file ({other:?})"),
        })?;
        let (_, meta) =
            SafeTensors::read_metadata(bytes).map_err(|e| format!("unreadable header ({e:?})"))?;
        let mut out = TensorFile {
            metadata: meta
                .metadata()
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            ..Default::default()
        };
        for (name, view) in st.tensors() {
            let array = match view.dtype() {
                Dtype::F32 => Array::F32(
                    view.data()
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                        .collect(),
                ),
                Dtype::F16 => Array::F16(
                    view.data()
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect(),
                ),
                Dtype::U8 => Array::U8(view.data().to_vec()),
                other => return Err(format!("tensor '{name}' has unsupported dtype {other:?}")),
            };
            out.entries.insert(
                name,
                Entry {
                    shape: view.shape().to_vec(),
                    array,
                },
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut f = TensorFile::default();
        f.metadata.insert("k".into(), "v".into());
        f.put_f32("a.b", vec![2, 2], vec![1.0, -2.5, 3.25, f32::MIN_POSITIVE]);
        f.put_u8("labels", vec![3], vec![0, 9, 255]);
        let bytes = f.to_bytes();
        assert_eq!(TensorFile::from_bytes(&bytes).unwrap(), f);
        assert!(TensorFile::from_bytes(&bytes[..bytes.len() - 3]).is_err());
        assert!(
            TensorFile::from_bytes(&bytes[..5])
                .unwrap_err()
                .contains("too short")
        );
        assert!(TensorFile::from_bytes(b"{\"not\": \"safetensors\"}").is_err());
        let mut f2 = TensorFile::from_bytes(&bytes).unwrap();
        assert_eq!(f2.take_u8("a.b").unwrap_err(), "tensor 'a.b' should be U8");
        assert_eq!(f2.take_f32("zzz").unwrap_err(), "tensor 'zzz' is missing");
    }
}
