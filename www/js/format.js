// @ts-check
// Short text for latent vectors (end labels, the encoded drawing, the fixed point).

/** `(0.12, -1.50, 0.33, 2.00, …)`: the first four coordinates. */
export function fmt(z) {
  if (!z) return '—';
  const shown = Array.from(z).slice(0, 4).map((v) => v.toFixed(2)).join(', ');
  return `(${shown}${z.length > 4 ? ', …' : ''})`;
}
