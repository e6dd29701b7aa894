//! Where a convolution's kernel lands: the one geometry a 2-D convolution and a transposed one
//! share (`kernels`' module comment: a "big" image and a grid of kernel placements on it).

/// Where a kernel lands on the big image (see the module comment). Dilation 1, one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Channels of the big image (conv2d: input channels; transposed: output channels).
    pub channels: usize,
    pub big: [usize; 2],
    pub kernel: [usize; 2],
    pub stride: [usize; 2],
    /// Padding before the first row / column (the far side only changes the sizes).
    pub pad: [usize; 2],
    pub grid: [usize; 2],
}

impl Geometry {
    /// Rows of an im2col matrix: channels × kernel positions.
    pub fn patch_len(&self) -> usize {
        self.channels * self.kernel[0] * self.kernel[1]
    }

    /// Columns of an im2col matrix: kernel placements.
    pub fn grid_len(&self) -> usize {
        self.grid[0] * self.grid[1]
    }

    pub fn big_len(&self) -> usize {
        self.channels * self.big[0] * self.big[1]
    }

    /// The grid positions `lo..hi` along `axis` whose kernel offset `k` lands inside the image
    /// (the others read padding); position `g` lands on `g * stride + k - pad`.
    pub(super) fn span(&self, axis: usize, k: usize) -> (usize, usize) {
        let (s, p, grid) = (self.stride[axis], self.pad[axis], self.grid[axis]);
        let lo = p.saturating_sub(k).div_ceil(s).min(grid);
        let hi = (self.big[axis] + p).saturating_sub(k).div_ceil(s).min(grid);
        (lo, hi.max(lo))
    }
}
