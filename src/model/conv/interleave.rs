//! Two phase planes of a row group into one, finished (`phases`' stride-2 col2im): value `k` of
//! the even phase to `2k`, of the odd phase to `2k + 1`, each plus the channel's bias and
//! clamped when the layer's ReLU is fused.

use super::finish::finish;

/// `dst[2k] = even[k] + bias`, `dst[2k + 1] = odd[k] + bias`, finished; eight pairs at a time
/// so that the compiler interleaves whole vectors.
#[inline(always)]
pub(super) fn interleave2<const RELU: bool>(even: &[f32], odd: &[f32], dst: &mut [f32], bias: f32) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let (even, odd, dst) = simd128::interleave2::<RELU>(even, odd, dst, bias);
    let (mut e8, mut o8) = (even.chunks_exact(8), odd.chunks_exact(8));
    let mut d16 = dst.chunks_exact_mut(16);
    for ((d, e), o) in (&mut d16).zip(&mut e8).zip(&mut o8) {
        for k in 0..8 {
            d[2 * k] = finish::<RELU>(e[k], bias);
            d[2 * k + 1] = finish::<RELU>(o[k], bias);
        }
    }
    let rest = d16.into_remainder().chunks_exact_mut(2);
    for ((d, e), o) in rest.zip(e8.remainder()).zip(o8.remainder()) {
        d[0] = finish::<RELU>(*e, bias);
        d[1] = finish::<RELU>(*o, bias);
    }
}

/// `interleave2` in SIMD128, four pairs at a time; returns what it left (the last 0-3 pairs).
/// Why: LLVM leaves the portable loop scalar in wasm, where it was 7% of the page's decoding
/// (natively `widest` compiles it for AVX-512 / AVX2 and it vectorises). The tap sums next to it
/// (`add_runs`) vectorise as they are: written out like this they were no faster.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::*;

    #[inline(always)]
    pub(super) fn interleave2<'a, 'b, const RELU: bool>(
        even: &'a [f32],
        odd: &'a [f32],
        dst: &'b mut [f32],
        bias: f32,
    ) -> (&'a [f32], &'a [f32], &'b mut [f32]) {
        let n = even.len().min(odd.len()).min(dst.len() / 2) / 4 * 4;
        let (b, zero) = (f32x4_splat(bias), f32x4_splat(0.0));
        let (e, o, d) = (even.as_ptr(), odd.as_ptr(), dst.as_mut_ptr());
        for k in (0..n).step_by(4) {
            // SAFETY: k + 4 <= n: four values of each phase, eight of dst, all in bounds.
            unsafe {
                let mut x = f32x4_add(v128_load(e.add(k) as *const v128), b);
                let mut y = f32x4_add(v128_load(o.add(k) as *const v128), b);
                if RELU {
                    // `0 < v ? v : 0`, as `finish` clamps (a NaN sum to zero too).
                    x = f32x4_pmax(zero, x);
                    y = f32x4_pmax(zero, y);
                }
                v128_store(d.add(2 * k) as *mut v128, i32x4_shuffle::<0, 4, 1, 5>(x, y));
                v128_store(
                    d.add(2 * k + 4) as *mut v128,
                    i32x4_shuffle::<2, 6, 3, 7>(x, y),
                );
            }
        }
        (&even[n..], &odd[n..], &mut dst[2 * n..])
    }
}
