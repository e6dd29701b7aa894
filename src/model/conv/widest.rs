//! Loops compiled for the widest vectors the CPU has, chosen at run time.
//!
//! Why: the native build targets plain x86-64, whose 4-wide vectors are a quarter of these
//! CPUs' AVX-512 width, and the copy loops of im2col / col2im (`phases`) vectorise well when the
//! compiler may use the wider ones.

/// `$name(args)` runs `$any(args)` compiled for the widest vectors this CPU has: copies of it
/// with AVX-512F and with AVX2 enabled, chosen at run time. `$any` must be
/// `#[inline(always)]`, so that each copy is compiled with its features.
macro_rules! widest {
    ($(#[$doc:meta])* $name:ident, $avx512:ident, $avx2:ident, $any:ident, ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        pub(super) fn $name(&self, $($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the CPU has AVX-512F (checked just above).
                    return unsafe { self.$avx512($($arg),*) };
                }
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the CPU has AVX2 (checked just above).
                    return unsafe { self.$avx2($($arg),*) };
                }
            }
            self.$any($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        unsafe fn $avx512(&self, $($arg: $ty),*) {
            self.$any($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn $avx2(&self, $($arg: $ty),*) {
            self.$any($($arg),*)
        }
    };
}

pub(super) use widest;
