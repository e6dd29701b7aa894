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
            Self::Wgpu => gpu::open(),
            #[cfg(not(all(feature = "wgpu", not(target_arch = "wasm32"))))]
            Self::Wgpu => {
                Err("this build has no burn-wgpu backend; rebuild with `--features wgpu`".into())
            }
        }
    }
}

/// Opening burn-wgpu's default adapter natively (`--device wgpu`).
#[cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]
mod gpu {
    use burn::prelude::Device;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    /// The default adapter, opened now: burn opens it lazily and panics where there is none, which
    /// would surface as a panic inside the first training step. Opening it here turns that into
    /// a message that says what to install, and names the adapter (a software one is slower than
    /// `--device flex`; the log should say so rather than leave a user guessing).
    pub fn open() -> Result<Device, String> {
        let device = Device::wgpu(burn::tensor::DeviceKind::DefaultDevice);
        // The panic's text is this function's message; the default hook would print it and a
        // backtrace first.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let identity = catch_unwind(AssertUnwindSafe(|| device.identity()));
        std::panic::set_hook(hook);
        match identity {
            Ok(identity) => {
                let name = identity.as_ref().map_or("an unnamed adapter", |i| &i.name);
                let software = identity.as_ref().is_some_and(|i| i.physical.is_none());
                // Once per process: a run that changes device opens it before and in training.
                static NAMED: std::sync::Once = std::sync::Once::new();
                NAMED.call_once(|| {
                    eprintln!(
                        "device: wgpu on {name}{}",
                        if software {
                            " (a software adapter, no GPU: --device flex is faster here)"
                        } else {
                            ""
                        }
                    )
                });
                Ok(device)
            }
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("no reason given");
                Err(format!(
                    "--device wgpu: no usable GPU adapter ({why}). Without a GPU, Mesa's software \
                     Vulkan (Debian: mesa-vulkan-drivers) runs it, slowly; --device flex trains \
                     on the CPU"
                ))
            }
        }
    }
}
