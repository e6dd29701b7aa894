//! What every kernel does last to a layer's output: add the channel's bias, and clamp at zero
//! when the layer's ReLU is fused into the pass. One definition for the rows path, the phase
//! planes, col2im and the dense layers.

/// `v + bias`, clamped at zero when `RELU`. A compare-and-select rather than `f32::max`: in wasm
/// `max` compiles to a call to libm's `fmaxf` per value (wasm's `f32.max` treats NaN otherwise
/// than Rust's `max`), which was 15% of the page's decoding; natively both are one `maxps`. A NaN
/// sum clamps to zero either way.
#[inline(always)]
pub fn finish<const RELU: bool>(v: f32, bias: f32) -> f32 {
    let v = v + bias;
    if !RELU || v > 0.0 { v } else { 0.0 }
}

/// The logistic function in burn-flex's two-branch form (`exp` of a non-positive number only,
/// so it never overflows): the same bits as burn's `sigmoid` on the CPU, which the decoder's
/// output path (`kernels::sigmoid`, the page's `explorer::logits_to_grey_bytes`) replaces.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Every value of `values` finished with one bias (the loop is chosen once, not per value).
pub fn finish_all(values: &mut [f32], bias: f32, relu: bool) {
    if relu {
        values
            .iter_mut()
            .for_each(|v| *v = finish::<true>(*v, bias));
    } else {
        values
            .iter_mut()
            .for_each(|v| *v = finish::<false>(*v, bias));
    }
}

/// `values[i]` finished with `biases[i]` (a dense layer's row).
pub fn finish_each(values: &mut [f32], biases: &[f32], relu: bool) {
    let pairs = values.iter_mut().zip(biases);
    if relu {
        pairs.for_each(|(v, b)| *v = finish::<true>(*v, *b));
    } else {
        pairs.for_each(|(v, b)| *v = finish::<false>(*v, *b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_adds_the_bias_and_clamps_only_with_relu() {
        let values = [-3.0, -0.5, 0.0, 0.25, 2.0, f32::NAN];
        let mut clamped = values;
        finish_all(&mut clamped, 0.5, true);
        assert_eq!(clamped[..5], [0.0, 0.0, 0.5, 0.75, 2.5]);
        assert_eq!(
            clamped[5], 0.0,
            "a NaN sum clamps to zero, as f32::max(0.0) does"
        );
        let mut plain = values;
        finish_all(&mut plain, 0.5, false);
        assert_eq!(plain[..5], [-2.5, 0.0, 0.5, 0.75, 2.5]);
        let mut each = [-1.0, 1.0, -1.0];
        finish_each(&mut each, &[0.5, 0.5, 2.0], true);
        assert_eq!(each, [0.0, 1.5, 1.0]);
    }
}
