//! Choosing a compute device by name: burn-flex (default CPU), burn-ndarray, burn-wgpu.

use burn::prelude::Device;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn-flex on the CPU (all cores)
    #[cfg_attr(feature = "cli", value(alias = "cpu"))]
    Flex,
    /// burn-ndarray on the CPU (builds with `--features ndarray`)
    Ndarray,
    /// burn-wgpu on the GPU (builds with `--features wgpu`)
    #[cfg_attr(feature = "cli", value(alias = "gpu"))]
    Wgpu,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Flex => "flex",
            Self::Ndarray => "ndarray",
            Self::Wgpu => "wgpu",
        })
    }
}

impl Backend {
    /// The device, or why this build cannot provide it.
    pub fn device(self) -> Result<Device, String> {
        match self {
            Self::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            // burn-ndarray is kept on purpose: the product card names it
            Self::Ndarray => Ok(Device::ndarray()),
            #[cfg(not(feature = "ndarray"))]
            Self::Ndarray => Err(
                "this build has no burn-ndarray backend; rebuild with `--features ndarray`".into(),
            ),
            #[cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]
            Self::Wgpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(not(all(feature = "wgpu", not(target_arch = "wasm32"))))]
            Self::Wgpu => {
                Err("this build has no burn-wgpu backend; rebuild with `--features wgpu`".into())
            }
        }
    }
}
