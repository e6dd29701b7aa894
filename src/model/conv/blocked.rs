//! The page's matrix product: a register-blocked kernel for wasm SIMD128.
//!
//! Why not the `gemm` crate there: its SIMD128 path ran the decoder's products at ~7 GFLOP/s
//! in V8 (node 20, the shapes below), this loop at ~37–40 — a tile of 4 rows × 8 columns kept in
//! eight vector accumulators, one row of `b` loaded per step and one value of `a` broadcast per
//! row. The products it serves are small (k = 2 to 576, n = 49 to 784 per sample), so there is
//! no packing and no cache blocking: a tile's rows of `b` stay in L1 across the rows of `a`.
//! Natively the same loops run on four-lane arrays, which is how the unit test checks the
//! blocking and the edges (`gemm.rs`' test runs both); the lanes are the only target-specific
//! part.
//!
//! With the `relaxed-simd` feature (the page's main CPU module, `wasm/cpu`) each step is a fused
//! multiply-add (`f32x4_relaxed_madd`): SIMD128's separate multiply and add were this loop's
//! limit, and V8 turns the relaxed one into one FMA instruction — decoding ~20% faster in node
//! and Chromium. Only `gemm` is compiled for relaxed SIMD (building everything for it breaks a
//! dependency), and a module containing it does not compile where relaxed SIMD is missing
//! (Safari): those browsers get `wasm/cpu-baseline`, chosen by `www/js/boot.js`.

use lanes::Lanes;

/// `dst[m×n] (+)= a · b`: `b` and `dst` row-major with rows of `n`; `a[i, l]` at
/// `i * a_rs + l * a_cs`.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(
    all(target_arch = "wasm32", feature = "relaxed-simd"),
    target_feature(enable = "relaxed-simd")
)]
pub fn gemm(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    (a, a_rs, a_cs): (&[f32], usize, usize),
    b: &[f32],
) {
    if m == 0 || n == 0 {
        return;
    }
    // Every index below is under these: rows < m, columns < n, steps < k.
    assert!(dst.len() >= m * n && b.len() >= k * n);
    assert!(k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs);
    let op = Op {
        n,
        k,
        a_cs,
        accumulate,
    };
    let mut i = 0;
    while i < m {
        let rows = (m - i).min(4);
        let a_at = &a[i * a_rs..];
        let d = &mut dst[i * n..(i + rows) * n];
        match rows {
            4 => op.rows::<4>(a_at, a_rs, b, d),
            3 => op.rows::<3>(a_at, a_rs, b, d),
            2 => op.rows::<2>(a_at, a_rs, b, d),
            _ => op.rows::<1>(a_at, a_rs, b, d),
        }
        i += rows;
    }
}

/// What every tile of one product shares.
struct Op {
    n: usize,
    k: usize,
    a_cs: usize,
    accumulate: bool,
}

impl Op {
    /// `R` rows of the product: tiles of eight columns, then four, then single columns.
    /// A function of its own for each `R`: V8 optimises a wasm function whole once it runs hot,
    /// and the decoders' products run at `R` = 4 (and 1): inlined into `gemm`, all four copies
    /// were optimised while the first grid decoded. Compiled for relaxed SIMD like `gemm`
    /// (without it, `mul_add` is a call and the product 25 times slower).
    #[inline(never)]
    #[cfg_attr(
        all(target_arch = "wasm32", feature = "relaxed-simd"),
        target_feature(enable = "relaxed-simd")
    )]
    fn rows<const R: usize>(&self, a: &[f32], a_rs: usize, b: &[f32], d: &mut [f32]) {
        let mut j = 0;
        while j + 8 <= self.n {
            self.tile::<R, 2>(a, a_rs, b, d, j);
            j += 8;
        }
        if j + 4 <= self.n {
            self.tile::<R, 1>(a, a_rs, b, d, j);
            j += 4;
        }
        if j < self.n && self.n >= 4 && !self.accumulate {
            // The last 1 to 3 columns as the last four again: a vector tile that rewrites a
            // few values with themselves costs less than scalar columns (a whole column of the
            // decoder's first layer, n = 49, was a sixth of its time).
            self.tile::<R, 1>(a, a_rs, b, d, self.n - 4);
            return;
        }
        for j in j..self.n {
            for r in 0..R {
                let s = (0..self.k).fold(0.0, |s, l| {
                    s + a[r * a_rs + l * self.a_cs] * b[l * self.n + j]
                });
                let o = &mut d[r * self.n + j];
                *o = if self.accumulate { *o + s } else { s };
            }
        }
    }

    /// The `R × 4V` tile at column `j`, in `R · V` accumulators. Raw pointers: bounds checks
    /// in this loop halved its speed in V8.
    #[inline(always)]
    fn tile<const R: usize, const V: usize>(
        &self,
        a: &[f32],
        a_rs: usize,
        b: &[f32],
        d: &mut [f32],
        j: usize,
    ) {
        let (n, a_cs) = (self.n, self.a_cs);
        // The tile's corners are in bounds, and so everything between them: `gemm` checked
        // that `a` holds rows `< R` at steps `< k`, `b` rows `< k` of `n`, and `d` holds `R`
        // rows of `n`; `rows` keeps `j + 4V <= n`.
        assert!(j + 4 * V <= n && d.len() >= R * n);
        assert!(
            self.k == 0
                || (a.len() > (R - 1) * a_rs + (self.k - 1) * a_cs && b.len() >= self.k * n)
        );
        let (a, b, d) = (a.as_ptr(), b.as_ptr(), d.as_mut_ptr());
        // SAFETY: every offset below is inside the bounds asserted above.
        unsafe {
            let mut acc = [[Lanes::zero(); V]; R];
            if self.accumulate {
                for (r, row) in acc.iter_mut().enumerate() {
                    for (v, x) in row.iter_mut().enumerate() {
                        *x = Lanes::load(d.add(r * n + j + 4 * v));
                    }
                }
            }
            for l in 0..self.k {
                let b_row = b.add(l * n + j);
                let bv: [Lanes; V] = std::array::from_fn(|v| Lanes::load(b_row.add(4 * v)));
                for (r, row) in acc.iter_mut().enumerate() {
                    let s = Lanes::splat(*a.add(r * a_rs + l * a_cs));
                    for (x, bv) in row.iter_mut().zip(&bv) {
                        *x = x.mul_add(s, *bv);
                    }
                }
            }
            for (r, row) in acc.iter().enumerate() {
                for (v, x) in row.iter().enumerate() {
                    x.store(d.add(r * n + j + 4 * v));
                }
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    /// Four f32 lanes in one SIMD128 register.
    #[derive(Clone, Copy)]
    pub struct Lanes(v128);

    impl Lanes {
        #[inline(always)]
        pub fn zero() -> Self {
            Lanes(f32x4_splat(0.0))
        }
        #[inline(always)]
        pub fn splat(x: f32) -> Self {
            Lanes(f32x4_splat(x))
        }
        /// # Safety
        /// `p` points at four readable f32s (no alignment needed).
        #[inline(always)]
        pub unsafe fn load(p: *const f32) -> Self {
            Lanes(unsafe { v128_load(p as *const v128) })
        }
        /// # Safety
        /// `p` points at four writable f32s.
        #[inline(always)]
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { v128_store(p as *mut v128, self.0) }
        }
        /// `self + a · b`, rounded twice (SIMD128 has no fused multiply-add).
        #[cfg(not(feature = "relaxed-simd"))]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            Lanes(f32x4_add(self.0, f32x4_mul(a.0, b.0)))
        }
        /// `self + a · b` in one fused multiply-add where the engine has one (relaxed SIMD
        /// lets it round once or twice; V8 on x86 with FMA rounds once). Inlined into `gemm`,
        /// which is compiled for relaxed SIMD.
        #[cfg(feature = "relaxed-simd")]
        #[inline(always)]
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            Lanes(f32x4_relaxed_madd(a.0, b.0, self.0))
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    /// Four f32 lanes as an array: the same loops, checked natively.
    #[derive(Clone, Copy)]
    pub struct Lanes([f32; 4]);

    impl Lanes {
        pub fn zero() -> Self {
            Lanes([0.0; 4])
        }
        pub fn splat(x: f32) -> Self {
            Lanes([x; 4])
        }
        /// # Safety
        /// `p` points at four readable f32s.
        pub unsafe fn load(p: *const f32) -> Self {
            Lanes(unsafe { std::ptr::read_unaligned(p as *const [f32; 4]) })
        }
        /// # Safety
        /// `p` points at four writable f32s.
        pub unsafe fn store(self, p: *mut f32) {
            unsafe { std::ptr::write_unaligned(p as *mut [f32; 4], self.0) }
        }
        pub fn mul_add(self, a: Self, b: Self) -> Self {
            Lanes(std::array::from_fn(|i| self.0[i] + a.0[i] * b.0[i]))
        }
    }
}

/// Natively, the same product on AVX2 with FMA (eight lanes, tiles of 4 rows × 16 columns),
/// where the CPU has them: `winograd`'s sixteen short products (n = 16 to 196) ran ~1.3x faster
/// on it than on the `gemm` crate, whose packing and set-up are made for long ones.
#[cfg(target_arch = "x86_64")]
pub mod wide {
    use core::arch::x86_64::*;

    /// Whether this CPU runs `gemm` (AVX2 and FMA).
    pub fn available() -> bool {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }

    /// `dst[m×n] = a · b` as `super::gemm` (no accumulating); panics where `available` is false.
    pub fn gemm(
        m: usize,
        n: usize,
        k: usize,
        dst: &mut [f32],
        (a, a_rs, a_cs): (&[f32], usize, usize),
        b: &[f32],
    ) {
        assert!(available(), "AVX2 and FMA");
        if m == 0 || n == 0 {
            return;
        }
        // Every index below is under these: rows < m, columns < n, steps < k.
        assert!(dst.len() >= m * n && b.len() >= k * n);
        assert!(k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs);
        // SAFETY: the CPU has AVX2 and FMA (asserted), and the bounds above hold.
        unsafe {
            gemm_avx2(
                m,
                n,
                k,
                dst.as_mut_ptr(),
                (a.as_ptr(), a_rs, a_cs),
                b.as_ptr(),
            )
        }
    }

    /// # Safety
    /// AVX2 and FMA present; `a`, `b`, `dst` hold what `gemm` asserted.
    ///
    /// Panels of 16 columns, then 8, then the last 8 again (a few values rewritten with
    /// themselves) or, under 8 columns, single columns; each panel for every four rows of `a`
    /// in turn. Panels outside, rows inside: a panel of `b` (`k` × 16, 4 kB at k = 64) then
    /// stays in the level-1 cache while every row of `a` passes it, where rows outside streamed
    /// all of `b` (50 kB for the decoder's widest products) from level 2 once per four rows
    /// (native decoding +3%, median of six paired rounds).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn gemm_avx2(
        m: usize,
        n: usize,
        k: usize,
        d: *mut f32,
        a: (*const f32, usize, usize),
        b: *const f32,
    ) {
        let mut j = 0;
        // SAFETY (all calls): every panel's columns j .. j + 8V are < n.
        unsafe {
            while j + 16 <= n {
                panel::<2>(m, n, k, d, a, b, j);
                j += 16;
            }
            if j + 8 <= n {
                panel::<1>(m, n, k, d, a, b, j);
                j += 8;
            }
            if j < n && n >= 8 {
                panel::<1>(m, n, k, d, a, b, n - 8);
                return;
            }
            for j in j..n {
                for r in 0..m {
                    let s = (0..k).fold(0.0, |s, l| {
                        s + *a.0.add(r * a.1 + l * a.2) * *b.add(l * n + j)
                    });
                    *d.add(r * n + j) = s;
                }
            }
        }
    }

    /// Columns `j .. j + 8V` of every row, four rows at a time.
    #[inline(always)]
    unsafe fn panel<const V: usize>(
        m: usize,
        n: usize,
        k: usize,
        d: *mut f32,
        a: (*const f32, usize, usize),
        b: *const f32,
        j: usize,
    ) {
        let mut i = 0;
        while i < m {
            let rows = (m - i).min(4);
            // SAFETY (all calls): rows i .. i + rows < m, and the caller's columns.
            unsafe {
                let at = (a.0.add(i * a.1), a.1, a.2);
                let d = d.add(i * n);
                match rows {
                    4 => tile::<4, V>(n, k, d, at, b, j),
                    3 => tile::<3, V>(n, k, d, at, b, j),
                    2 => tile::<2, V>(n, k, d, at, b, j),
                    _ => tile::<1, V>(n, k, d, at, b, j),
                }
            }
            i += rows;
        }
    }

    /// The `R × 8V` tile at column `j`, in `R · V` accumulators.
    #[inline(always)]
    unsafe fn tile<const R: usize, const V: usize>(
        n: usize,
        k: usize,
        d: *mut f32,
        (a, a_rs, a_cs): (*const f32, usize, usize),
        b: *const f32,
        j: usize,
    ) {
        // SAFETY: rows < R, columns j .. j + 8V and steps < k are inside the operands.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); V]; R];
            for l in 0..k {
                let row = b.add(l * n + j);
                let bv: [__m256; V] = std::array::from_fn(|v| _mm256_loadu_ps(row.add(8 * v)));
                for (r, acc) in acc.iter_mut().enumerate() {
                    let s = _mm256_broadcast_ss(&*a.add(r * a_rs + l * a_cs));
                    for (x, bv) in acc.iter_mut().zip(&bv) {
                        *x = _mm256_fmadd_ps(s, *bv, *x);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate() {
                for (v, x) in acc.iter().enumerate() {
                    _mm256_storeu_ps(d.add(r * n + j + 8 * v), *x);
                }
            }
        }
    }
}
