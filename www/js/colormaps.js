// @ts-check
// Colour maps for the grid (greys is the default: the decoder's own output). Each is a table of
// 256 RGB triples indexed by the decoded grey value. Viridis and magma from Matt Zucker's
// degree-6 polynomial fits of the matplotlib maps (within about 1/255 of the originals).

/** @type {Record<string, number[][]>} the fits' coefficients c0…c6 for r, g, b */
const FITS = {
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ],
  magma: [
    [-0.002136485053939582, -0.000749655052795221, -0.005386127855323933],
    [0.2516605407371642, 0.6775232436837668, 2.494026599312351],
    [8.353717279216625, -3.577719514958484, 0.3144679030132573],
    [-27.66873308576866, 14.26473078096533, -13.64921318813922],
    [52.17613981234068, -27.94360607168351, 12.94416944238394],
    [-50.76852536473588, 29.04658282127291, 4.23415299384598],
    [18.65570506591883, -11.48977351997711, -5.601961508734096],
  ],
};

/** The maps a person can choose, in the picker's order. */
export const COLOUR_MAPS = [['greys', 'greys'], ['paper', 'ink on paper'], ['viridis', 'viridis'], ['magma', 'magma']];

/** Map `name`'s table (768 bytes: r, g, b for grey 0…255), or null for plain greys.
 * @param {string} name
 * @returns {Uint8Array|null} */
export function colourTable(name) {
  if (name === 'paper') return Uint8Array.from({ length: 768 }, (_, i) => 255 - Math.floor(i / 3));
  const c = FITS[name];
  if (!c) return null;
  const lut = new Uint8Array(768);
  for (let g = 0; g < 256; g++) {
    const t = g / 255;
    for (let k = 0; k < 3; k++) {
      let v = c[6][k];
      for (let d = 5; d >= 0; d--) v = v * t + c[d][k];
      lut[3 * g + k] = Math.round(255 * Math.min(1, Math.max(0, v)));
    }
  }
  return lut;
}
