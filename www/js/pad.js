// @ts-check
// Image input: a drawing pad (mouse, touch, pen; undo and clear) and file uploads read into
// RGBA pixels. Preprocessing to model input happens in Rust (prepareImage).

const MAX_FILE_BYTES = 25 * 1024 * 1024;
// Big photos are scaled down before reading pixels; cropping to the drawing comes later.
const MAX_SIDE = 1024;

export class DrawingPad {
  constructor(canvas, onChange) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.strokes = [];
    this.current = null;
    const pos = (e) => {
      const r = canvas.getBoundingClientRect();
      return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
    };
    canvas.addEventListener('pointerdown', (e) => {
      try { canvas.setPointerCapture(e.pointerId); } catch { /* the pointer is already gone */ }
      // Pens report pressure; mice and most touches report 0.5.
      this.current = { width: 16 + 12 * ((e.pressure || 0.5) - 0.5), points: [pos(e)] };
      this.strokes.push(this.current);
      this.redraw();
      e.preventDefault();
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.current) return;
      for (const ev of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) this.current.points.push(pos(ev));
      this.redraw();
    });
    const end = () => { if (this.current) { this.current = null; this.onChange?.(); } };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
    this.redraw();
  }

  isEmpty() { return this.strokes.length === 0; }
  undo() { this.strokes.pop(); this.redraw(); this.onChange?.(); }
  clear() { this.strokes = []; this.redraw(); this.onChange?.(); }

  redraw() {
    const ctx = this.canvas.getContext('2d');
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.strokeStyle = ctx.fillStyle = '#fff';
    ctx.lineCap = ctx.lineJoin = 'round';
    for (const s of this.strokes) {
      ctx.lineWidth = s.width;
      if (s.points.length === 1) {
        ctx.beginPath(); ctx.arc(s.points[0][0], s.points[0][1], s.width / 2, 0, 7); ctx.fill();
        continue;
      }
      ctx.beginPath();
      s.points.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.stroke();
    }
  }

  rgba() {
    const { width, height } = this.canvas;
    return { rgba: this.canvas.getContext('2d').getImageData(0, 0, width, height).data, width, height };
  }
}

/** A File -> { rgba, width, height }, or throws an Error whose message the page shows.
 * `checkHeader(bytes)` (wasm's checkUploadHeader) reads the size the file's header states and
 * throws for unreadable files or more than 40 megapixels, before the browser decodes anything. */
export async function readImageFile(file, checkHeader) {
  if (!file || file.size === 0) throw new Error('The file is empty.');
  if (file.size > MAX_FILE_BYTES) throw new Error(`The file is ${(file.size / 1048576).toFixed(1)} MB; files up to 25 MB are accepted.`);
  if (file.type && !/^image\/(png|jpeg|webp|gif)$/.test(file.type)) {
    throw new Error('Only PNG, JPEG, WebP and GIF images can be encoded.');
  }
  checkHeader(new Uint8Array(await file.arrayBuffer()));
  let bitmap;
  try {
    // For an animated GIF this is its first frame.
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('The file could not be read as an image (it may be damaged or not an image).');
  }
  try {
    const k = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * k)), height = Math.max(1, Math.round(bitmap.height * k));
    const c = document.createElement('canvas');
    c.width = width; c.height = height;
    const ctx = c.getContext('2d');
    ctx.drawImage(bitmap, 0, 0, width, height);
    return { rgba: ctx.getImageData(0, 0, width, height).data, width, height };
  } finally {
    bitmap.close();
  }
}
