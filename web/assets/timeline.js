// timeline.js: a channel's wall-clock timeline. The view is [start,
// start + span), zoomable from 62 days to 10 seconds with the wheel, a
// pinch, the toolbar and the keyboard, and panned by dragging. A click
// (or Enter) picks an instant; the cursor shows the picked or played
// instant. Drawing is in timeline_draw.js, coverage fetching in
// coverage.js.

import { clampSpan, iso } from './state.js';
import { fmt, fmtUTC } from './timefmt.js';
import { drawAxis, drawLanes, drawWindows, mark, selection, tipOf } from './timeline_draw.js';

/** Timeline draws one channel's archive and turns input into events. */
export class Timeline {
  /**
   * root is the #timeline element; on: {pick(ms), view(), cursor(ms), markIn(ms), markOut(ms), toggleUTC()}.
   */
  constructor(root, on) {
    this.root = root;
    this.on = on;
    this.axis = root.querySelector('.tl-axis');
    this.lanes = root.querySelector('.tl-lanes');
    this.windowsLane = root.querySelector('.tl-windows');
    this.tip = root.querySelector('.tl-tip');
    const m = (c) => root.querySelector(c);
    this.mk = { now: m('.mk-now'), live: m('.mk-live'), cursor: m('.mk-cursor'), in: m('.mk-in'), out: m('.mk-out'),
      sel: m('.mk-sel') };
    this.start = Date.now() - 3600e3;
    this.span = 3600e3;
    this.cursor = NaN;
    this.live = NaN;
    this.first = NaN;
    this.marks = { in: NaN, out: NaN };
    this.coverage = null;
    this.windows = [];
    this.labels = new Map(); // track name → what the lane says (codec, size)
    this.frame = 0;
    this.userAt = 0; // when the user last moved the view (playback does not pull it away meanwhile)
    this.pointers = new Map();
    this.gesture = null;
    this.bind();
    new ResizeObserver(() => this.invalidate()).observe(root);
    setInterval(() => mark(this.mk.now, this.view(), Date.now()), 1000); // the now marker moves
  }

  get width() {
    return this.lanes.clientWidth || this.root.clientWidth || 1;
  }

  /** view is {start, span, width} for drawing. */
  view() {
    return { start: this.start, span: this.span, width: this.width };
  }

  timeAt(clientX) {
    const r = this.lanes.getBoundingClientRect();
    return this.start + ((clientX - r.left) / r.width) * this.span;
  }

  /** setView moves the view; the caller's change is reported through on.view. */
  setView(start, span, { user = false } = {}) {
    this.span = clampSpan(span);
    this.start = start;
    if (user) this.userAt = Date.now();
    this.invalidate();
    this.on.view();
  }

  /** zoom by factor (<1 zooms in) keeping anchor (ms) at the same pixel. */
  zoom(factor, anchor = this.start + this.span / 2, opts = { user: true }) {
    const span = clampSpan(this.span * factor);
    const frac = (anchor - this.start) / this.span;
    this.setView(anchor - frac * span, span, opts);
  }

  /** center puts ms in the middle of the view, optionally with a new span. */
  center(ms, span = this.span, opts) {
    const s = clampSpan(span);
    this.setView(ms - s / 2, s, opts);
  }

  setCursor(ms, { follow = false } = {}) {
    this.cursor = ms;
    if (follow && Date.now() - this.userAt > 4000 && this.gesture === null) {
      const x = (ms - this.start) / this.span;
      if (x < 0 || x > 0.95) this.setView(ms - this.span * 0.1, this.span);
    }
    this.root.dataset.cursor = Number.isFinite(ms) ? iso(ms) : '';
    this.invalidate();
  }

  setExtent(first, live) {
    if (Object.is(first, this.first) && Object.is(live, this.live)) return;
    this.first = first;
    this.live = live;
    this.invalidate();
  }

  setMarks(a, b) {
    this.marks = { in: a, out: b };
    this.invalidate();
  }

  setCoverage(data) {
    this.coverage = data;
    this.invalidate();
  }

  /** setTracks labels the lanes from the channel's tracks (browse API). */
  setTracks(tracks) {
    const labels = new Map((tracks || []).map((t) => [t.name, [t.name, t.codecs, t.width ? `${t.width}×${t.height}` : '',
      t.sampleRate ? `${t.sampleRate / 1000} kHz` : '', t.lang || ''].filter(Boolean).join(' · ')]));
    if ([...labels].join() === [...this.labels].join()) return;
    this.labels = labels;
    this.invalidate();
  }

  setWindows(ws) {
    this.windows = ws;
    this.invalidate();
  }

  invalidate() {
    if (!this.frame) this.frame = requestAnimationFrame(() => { this.frame = 0; this.draw(); });
  }

  draw() {
    const v = this.view();
    const d = this.root.dataset;
    d.viewStart = iso(v.start);
    d.viewEnd = iso(v.start + v.span);
    d.span = String(v.span / 1000);
    drawAxis(this.axis, v);
    drawLanes(this.lanes, v, this.coverage, this.labels);
    drawWindows(this.windowsLane, v, this.windows);
    mark(this.mk.now, v, Date.now());
    mark(this.mk.live, v, this.live);
    mark(this.mk.cursor, v, this.cursor);
    mark(this.mk.in, v, this.marks.in);
    mark(this.mk.out, v, this.marks.out);
    selection(this.mk.sel, v, this.marks.in, this.marks.out);
    d.drawn = String(Number(d.drawn || 0) + 1);
  }

  bind() {
    const r = this.root;
    r.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    r.addEventListener('pointerdown', (e) => this.down(e));
    r.addEventListener('pointermove', (e) => this.move(e));
    r.addEventListener('pointerup', (e) => this.up(e));
    r.addEventListener('pointercancel', (e) => this.up(e, true));
    r.addEventListener('pointerleave', () => { this.tip.hidden = true; });
    r.addEventListener('keydown', (e) => this.key(e));
  }

  wheel(e) {
    e.preventDefault();
    const dx = e.deltaMode === 1 ? e.deltaX * 16 : e.deltaX;
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    if (e.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      const px = Math.abs(dx) > Math.abs(dy) ? dx : dy;
      this.setView(this.start + (px / this.width) * this.span, this.span, { user: true });
      return;
    }
    this.zoom(Math.exp(dy * 0.002), this.timeAt(e.clientX));
  }

  down(e) {
    if (e.button !== 0 || e.target.closest('.tl-tip')) return;
    this.tip.hidden = true;
    try {
      this.root.setPointerCapture(e.pointerId);
    } catch { /* a pointer the browser no longer tracks: no capture, the gesture still works */ }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const pts = [...this.pointers.values()];
    if (pts.length === 1) {
      this.gesture = { kind: 'drag', x0: e.clientX, start0: this.start, moved: false };
    } else if (pts.length === 2) {
      const dist = Math.abs(pts[0].x - pts[1].x) || 1;
      const mid = (pts[0].x + pts[1].x) / 2;
      this.gesture = { kind: 'pinch', dist0: dist, span0: this.span, anchor: this.timeAt(mid), moved: true };
    }
  }

  move(e) {
    if (!this.pointers.has(e.pointerId)) {
      this.hover(e);
      return;
    }
    this.pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const g = this.gesture;
    if (!g) return;
    if (g.kind === 'drag') {
      const dx = e.clientX - g.x0;
      if (Math.abs(dx) > 4) g.moved = true;
      if (g.moved) this.setView(g.start0 - (dx / this.width) * this.span, this.span, { user: true });
    } else {
      const pts = [...this.pointers.values()];
      if (pts.length < 2) return;
      const dist = Math.abs(pts[0].x - pts[1].x) || 1;
      const mid = (pts[0].x + pts[1].x) / 2;
      const span = clampSpan(g.span0 * (g.dist0 / dist));
      const r = this.lanes.getBoundingClientRect();
      const frac = (mid - r.left) / r.width;
      this.setView(g.anchor - frac * span, span, { user: true });
    }
  }

  up(e, cancel = false) {
    if (!this.pointers.has(e.pointerId)) return;
    this.pointers.delete(e.pointerId);
    const g = this.gesture;
    if (this.pointers.size === 0) {
      this.gesture = null;
      if (g && g.kind === 'drag' && !g.moved && !cancel) {
        const t = this.timeAt(e.clientX);
        this.root.dataset.clicked = iso(t);
        this.setCursor(t);
        this.on.pick(t);
      }
    } else if (g && g.kind === 'pinch') {
      const [p] = [...this.pointers.values()];
      this.gesture = { kind: 'drag', x0: p.x, start0: this.start, moved: true };
    }
  }

  hover(e) {
    const tip = tipOf(e.target);
    const t = this.timeAt(e.clientX);
    const [text, utc] = tip || [fmt(t, { frac: this.span < 120e3 }), fmtUTC(t)];
    this.tip.replaceChildren(document.createTextNode(text), document.createElement('br'),
      Object.assign(document.createElement('small'), { textContent: `UTC ${utc}` }));
    this.tip.hidden = false;
    const r = this.root.getBoundingClientRect();
    const x = Math.min(e.clientX - r.left + 12, r.width - this.tip.offsetWidth - 4);
    this.tip.style.left = `${Math.max(4, x)}px`;
  }

  key(e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const cur = Number.isFinite(this.cursor) ? this.cursor : this.start + this.span / 2;
    const step = this.span / (e.shiftKey ? 10 : 50);
    const moveCursor = (ms) => {
      this.setCursor(ms);
      if (ms < this.start || ms > this.start + this.span) this.center(ms, this.span, { user: true });
      this.on.cursor(ms);
    };
    const keys = {
      ArrowLeft: () => moveCursor(cur - step),
      ArrowRight: () => moveCursor(cur + step),
      PageUp: () => this.setView(this.start - this.span / 2, this.span, { user: true }),
      PageDown: () => this.setView(this.start + this.span / 2, this.span, { user: true }),
      '+': () => this.zoom(0.5, cur),
      '=': () => this.zoom(0.5, cur),
      '-': () => this.zoom(2, cur),
      _: () => this.zoom(2, cur),
      Home: () => Number.isFinite(this.first) && moveCursor(this.first),
      End: () => Number.isFinite(this.live) && moveCursor(this.live),
      Enter: () => this.on.pick(cur),
      ' ': () => this.on.pick(cur),
      i: () => this.on.markIn(cur),
      o: () => this.on.markOut(cur),
    };
    const f = keys[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  }
}
