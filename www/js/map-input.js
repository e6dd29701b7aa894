// @ts-check
// The map's input: drag to pan, wheel and pinch to zoom, arrow and +/- keys, clicks (on a test
// point or the plane), hover, and the A/B keys. It moves the map through its methods only.

/** Binds the pointer, wheel and key handlers of `map`'s overlay canvas.
 * @param {import('./map.js').LatentMap} map */
export function bindInput(map) {
  const el = map.overlay;
  /** @type {Map<number, number[]>} */
  const pointers = new Map();
  /** @type {{ start: number[], view: { cx: number, cy: number, half: number }, moved: boolean, shift: boolean }|null} */
  let drag = null;
  /** @type {{ dist: number, view: { cx: number, cy: number, half: number }, mid: number[] }|null} */
  let pinch = null;
  /** @param {MouseEvent} e */
  const devicePos = (e) => {
    const r = el.getBoundingClientRect(), dpr = el.width / r.width;
    return [(e.clientX - r.left) * dpr, (e.clientY - r.top) * dpr];
  };
  el.addEventListener('pointerdown', (e) => {
    // Capture can fail (the pointer is already gone); dragging still works without it.
    try { el.setPointerCapture(e.pointerId); } catch { /* keep going */ }
    pointers.set(e.pointerId, devicePos(e));
    if (pointers.size === 1) {
      drag = { start: devicePos(e), view: { ...map.view }, moved: false, shift: e.shiftKey };
    } else if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { dist: Math.hypot(a[0] - b[0], a[1] - b[1]), view: { ...map.view }, mid: map.toPlane((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) };
      drag = null;
    }
  });
  el.addEventListener('pointermove', (e) => {
    const p = devicePos(e);
    if (pointers.has(e.pointerId)) pointers.set(e.pointerId, p);
    if (pinch && pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const want = pinch.view.half * pinch.dist / Math.max(1, Math.hypot(a[0] - b[0], a[1] - b[1]));
      const half = map.clampHalf(want), k = half / pinch.view.half;
      map.setView(pinch.mid[0] + (pinch.view.cx - pinch.mid[0]) * k, pinch.mid[1] + (pinch.view.cy - pinch.mid[1]) * k, half);
      return;
    }
    if (drag) {
      const dx = p[0] - drag.start[0], dy = p[1] - drag.start[1];
      if (Math.hypot(dx, dy) > 4 * (window.devicePixelRatio || 1)) drag.moved = true;
      if (drag.moved) {
        const s = Math.min(el.width, el.height) / (2 * drag.view.half);
        map.setView(drag.view.cx - dx / s, drag.view.cy + dy / s, drag.view.half);
      }
      return;
    }
    map.h.onHover?.(map.nearestPoint(p[0], p[1]), e.clientX, e.clientY);
  });
  /** @param {PointerEvent} e */
  const end = (e) => {
    pointers.delete(e.pointerId);
    if (drag && !drag.moved && e.type === 'pointerup') {
      const p = devicePos(e);
      map.h.onClick?.(map.toPlane(p[0], p[1]), map.nearestPoint(p[0], p[1]), drag.shift || e.shiftKey);
    }
    if (pointers.size < 2) pinch = null;
    drag = null;
  };
  el.addEventListener('pointerup', end);
  el.addEventListener('pointercancel', end);
  el.addEventListener('pointerleave', () => map.h.onHover?.(null));
  el.addEventListener('wheel', (e) => {
    e.preventDefault();
    const p = devicePos(e);
    const [mx, my] = map.toPlane(p[0], p[1]);
    const { cx, cy, half } = map.view;
    // At the zoom limits the view must not drift towards the cursor.
    const k = map.clampHalf(half * Math.exp(Math.max(-1, Math.min(1, e.deltaY * 0.0015)))) / half;
    map.setView(mx + (cx - mx) * k, my + (cy - my) * k, half * k);
  }, { passive: false });
  el.addEventListener('keydown', (e) => {
    const { cx, cy, half } = map.view, d = half * 0.2;
    const moves = { ArrowLeft: [-d, 0], ArrowRight: [d, 0], ArrowUp: [0, d], ArrowDown: [0, -d] };
    if (moves[e.key]) { map.setView(cx + moves[e.key][0], cy + moves[e.key][1], half); }
    else if (e.key === '+' || e.key === '=') map.setView(cx, cy, half / 1.25);
    else if (e.key === '-' || e.key === '_') map.setView(cx, cy, half * 1.25);
    else if (e.key === 'a' || e.key === 'b') { map.h.onKeyEnd?.(e.key, [cx, cy]); }
    else return;
    e.preventDefault();
  });
}
