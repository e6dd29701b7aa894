//! Four `f32` lanes and the few operations `winograd`'s transforms need: SIMD128 in wasm, SSE2
//! on x86-64 (which every x86-64 has), an array elsewhere.
//!
//! Why one type: the transforms read and write two and four values apart, which LLVM leaves
//! scalar on both targets (natively they were a third of decoding, in wasm about as much); the
//! same loops over this type are vector code on both, and natively the tests run them.

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
use core::arch::wasm32::*;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::*;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Inner = v128;
#[cfg(target_arch = "x86_64")]
type Inner = __m128;
#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
type Inner = [f32; 4];

/// Four lanes `[x0, x1, x2, x3]`.
#[derive(Clone, Copy)]
pub struct Quad(Inner);

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Quad {
    #[inline(always)]
    pub fn splat(x: f32) -> Self {
        Quad(f32x4_splat(x))
    }
    /// # Safety
    /// `p` points at four readable values (no alignment needed).
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> Self {
        Quad(unsafe { v128_load(p as *const v128) })
    }
    /// # Safety
    /// `p` points at four writable values.
    #[inline(always)]
    pub unsafe fn store(self, p: *mut f32) {
        unsafe { v128_store(p as *mut v128, self.0) }
    }
    #[inline(always)]
    pub fn add(self, o: Self) -> Self {
        Quad(f32x4_add(self.0, o.0))
    }
    #[inline(always)]
    pub fn sub(self, o: Self) -> Self {
        Quad(f32x4_sub(self.0, o.0))
    }
    /// `0 < v ? v : 0` per lane, as `finish` clamps (NaN to zero).
    #[inline(always)]
    pub fn relu(self) -> Self {
        Quad(f32x4_pmax(f32x4_splat(0.0), self.0))
    }
    /// `[a0, a2, b0, b2]`.
    #[inline(always)]
    pub fn evens(a: Self, b: Self) -> Self {
        Quad(i32x4_shuffle::<0, 2, 4, 6>(a.0, b.0))
    }
    /// `[a1, a3, b1, b3]`.
    #[inline(always)]
    pub fn odds(a: Self, b: Self) -> Self {
        Quad(i32x4_shuffle::<1, 3, 5, 7>(a.0, b.0))
    }
    /// `[a1, a2, a3, x]`.
    #[inline(always)]
    pub fn shift_in(self, x: f32) -> Self {
        Quad(i32x4_shuffle::<1, 2, 3, 4>(self.0, f32x4_splat(x)))
    }
    /// `[a0, b0, a1, b1]`.
    #[inline(always)]
    pub fn zip_lo(a: Self, b: Self) -> Self {
        Quad(i32x4_shuffle::<0, 4, 1, 5>(a.0, b.0))
    }
    /// `[a2, b2, a3, b3]`.
    #[inline(always)]
    pub fn zip_hi(a: Self, b: Self) -> Self {
        Quad(i32x4_shuffle::<2, 6, 3, 7>(a.0, b.0))
    }
}

#[cfg(target_arch = "x86_64")]
impl Quad {
    #[inline(always)]
    pub fn splat(x: f32) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_set1_ps(x) })
    }
    /// # Safety
    /// `p` points at four readable values (no alignment needed).
    #[inline(always)]
    pub unsafe fn load(p: *const f32) -> Self {
        Quad(unsafe { _mm_loadu_ps(p) })
    }
    /// # Safety
    /// `p` points at four writable values.
    #[inline(always)]
    pub unsafe fn store(self, p: *mut f32) {
        unsafe { _mm_storeu_ps(p, self.0) }
    }
    #[inline(always)]
    pub fn add(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    pub fn sub(self, o: Self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_sub_ps(self.0, o.0) })
    }
    /// `0 < v ? v : 0` per lane, as `finish` clamps: `maxps` answers its second operand when
    /// the first is NaN or not greater.
    #[inline(always)]
    pub fn relu(self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_max_ps(self.0, _mm_setzero_ps()) })
    }
    /// `[a0, a2, b0, b2]`.
    #[inline(always)]
    pub fn evens(a: Self, b: Self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_shuffle_ps::<0b10_00_10_00>(a.0, b.0) })
    }
    /// `[a1, a3, b1, b3]`.
    #[inline(always)]
    pub fn odds(a: Self, b: Self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_shuffle_ps::<0b11_01_11_01>(a.0, b.0) })
    }
    /// `[a1, a2, a3, x]`: `[a3, a3, x, x]` first, then lanes 1, 2 of `a` and 0, 2 of that.
    #[inline(always)]
    pub fn shift_in(self, x: f32) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        let t = unsafe { _mm_shuffle_ps::<0b00_00_11_11>(self.0, _mm_set1_ps(x)) };
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_shuffle_ps::<0b10_00_10_01>(self.0, t) })
    }
    /// `[a0, b0, a1, b1]`.
    #[inline(always)]
    pub fn zip_lo(a: Self, b: Self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_unpacklo_ps(a.0, b.0) })
    }
    /// `[a2, b2, a3, b3]`.
    #[inline(always)]
    pub fn zip_hi(a: Self, b: Self) -> Self {
        // SAFETY: SSE2 is part of every x86-64.
        Quad(unsafe { _mm_unpackhi_ps(a.0, b.0) })
    }
}

#[cfg(not(any(
    all(target_arch = "wasm32", target_feature = "simd128"),
    target_arch = "x86_64"
)))]
impl Quad {
    pub fn splat(x: f32) -> Self {
        Quad([x; 4])
    }
    /// # Safety
    /// `p` points at four readable values.
    pub unsafe fn load(p: *const f32) -> Self {
        Quad(unsafe { std::ptr::read_unaligned(p as *const [f32; 4]) })
    }
    /// # Safety
    /// `p` points at four writable values.
    pub unsafe fn store(self, p: *mut f32) {
        unsafe { std::ptr::write_unaligned(p as *mut [f32; 4], self.0) }
    }
    pub fn add(self, o: Self) -> Self {
        Quad(std::array::from_fn(|i| self.0[i] + o.0[i]))
    }
    pub fn sub(self, o: Self) -> Self {
        Quad(std::array::from_fn(|i| self.0[i] - o.0[i]))
    }
    pub fn relu(self) -> Self {
        Quad(self.0.map(|v| if v > 0.0 { v } else { 0.0 }))
    }
    pub fn evens(a: Self, b: Self) -> Self {
        Quad([a.0[0], a.0[2], b.0[0], b.0[2]])
    }
    pub fn odds(a: Self, b: Self) -> Self {
        Quad([a.0[1], a.0[3], b.0[1], b.0[3]])
    }
    pub fn shift_in(self, x: f32) -> Self {
        Quad([self.0[1], self.0[2], self.0[3], x])
    }
    pub fn zip_lo(a: Self, b: Self) -> Self {
        Quad([a.0[0], b.0[0], a.0[1], b.0[1]])
    }
    pub fn zip_hi(a: Self, b: Self) -> Self {
        Quad([a.0[2], b.0[2], a.0[3], b.0[3]])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes(q: Quad) -> [f32; 4] {
        let mut out = [0.0; 4];
        // SAFETY: four writable values.
        unsafe { q.store(out.as_mut_ptr()) };
        out
    }

    fn quad(v: [f32; 4]) -> Quad {
        // SAFETY: four readable values.
        unsafe { Quad::load(v.as_ptr()) }
    }

    /// Every operation lane by lane, on this target's form of the type.
    #[test]
    fn operations_move_the_lanes_they_name() {
        let (a, b) = (quad([1.0, 2.0, 3.0, 4.0]), quad([5.0, 6.0, 7.0, 8.0]));
        assert_eq!(lanes(Quad::evens(a, b)), [1.0, 3.0, 5.0, 7.0]);
        assert_eq!(lanes(Quad::odds(a, b)), [2.0, 4.0, 6.0, 8.0]);
        assert_eq!(lanes(a.shift_in(9.0)), [2.0, 3.0, 4.0, 9.0]);
        assert_eq!(lanes(Quad::zip_lo(a, b)), [1.0, 5.0, 2.0, 6.0]);
        assert_eq!(lanes(Quad::zip_hi(a, b)), [3.0, 7.0, 4.0, 8.0]);
        assert_eq!(lanes(a.add(b)), [6.0, 8.0, 10.0, 12.0]);
        assert_eq!(lanes(a.sub(b)), [-4.0; 4]);
        assert_eq!(lanes(Quad::splat(2.5)), [2.5; 4]);
        let clamped = lanes(quad([-1.0, 0.5, f32::NAN, -0.0]).relu());
        assert_eq!(clamped[..2], [0.0, 0.5]);
        assert!(clamped[2] == 0.0 && clamped[3] == 0.0 && clamped[3].is_sign_positive());
    }
}
