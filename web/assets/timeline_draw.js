// timeline_draw.js: drawing the timeline as positioned elements, one
// per archived range, gap and window, so that each carries its times
// (data-start, data-end, RFC 3339 as the API gave them) and a tooltip,
// and stays inspectable. Only what intersects the view is drawn; ranges
// and gaps narrower than a pixel are merged per pixel, so a month of
// archive with thousands of gaps stays a few hundred elements.

import { fmt, fmtDuration, fmtUTC, tickLabel, zoneOffset } from './timefmt.js';

// Tick steps, ms: the axis takes the smallest with at least minTickPx between ticks.
const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
  86400, 172800, 604800].map((s) => s * 1000);
const minTickPx = 90;

/** x maps an instant to a pixel of a view {start, span, width}. */
export function xOf(v, ms) {
  return ((ms - v.start) / v.span) * v.width;
}

/** box returns left/width styles of [a, b) in view v, clipped a little beyond the view. */
function box(v, a, b, minPx = 1) {
  const l = Math.max(-4, xOf(v, a));
  const r = Math.min(v.width + 4, xOf(v, b));
  return { left: l, width: Math.max(minPx, r - l) };
}

function el(tag, cls, attrs = {}) {
  const e = document.createElement(tag);
  e.className = cls;
  for (const [k, val] of Object.entries(attrs)) e.setAttribute(k, val);
  return e;
}

function place(e, b) {
  e.style.left = `${b.left.toFixed(2)}px`;
  e.style.width = `${b.width.toFixed(2)}px`;
}

/** drawAxis writes the ticks of the view into axis. */
export function drawAxis(axis, v) {
  const step = steps.find((s) => (s / v.span) * v.width >= minTickPx) || steps[steps.length - 1];
  const off = zoneOffset(v.start);
  // Ticks on round local (or UTC) times: align in the zone, then back.
  let t = Math.ceil((v.start + off) / step) * step - off;
  const frag = document.createDocumentFragment();
  for (let i = 0; t < v.start + v.span && i < 200; t += step, i++) {
    const tick = el('div', 'tick');
    tick.style.left = `${xOf(v, t).toFixed(1)}px`;
    tick.textContent = tickLabel(t, step);
    tick.title = fmtUTC(t);
    frag.appendChild(tick);
  }
  axis.replaceChildren(frag);
}

/**
 * blocks merges the items of a track that fall into the view into runs
 * whose holes are under a pixel: plain numbers first, elements after, so
 * a month of ranges costs one element per visible pixel at most.
 */
function blocks(v, items, mergeHoles) {
  const end = v.start + v.span;
  const out = [];
  for (const it of items) {
    if (it.end <= v.start || it.start >= end) continue;
    const b = box(v, it.start, it.end);
    const last = out[out.length - 1];
    if (last && b.left - (last.left + last.width) < 1) {
      if (mergeHoles) { // one element for both
        last.width = b.left + b.width - last.left;
        last.to = it;
        last.count++;
      }
      continue; // (gaps: one per pixel is enough to see)
    }
    out.push({ left: b.left, width: b.width, from: it, to: it, count: 1 });
  }
  return out;
}

/** drawLanes writes one lane per track of the coverage answer (tooltips are made on hover: tipOf). */
export function drawLanes(lanes, v, data, labels = new Map()) {
  const frag = document.createDocumentFragment();
  for (const t of (data ? data.tracks : [])) {
    const lane = el('div', 'lane', { 'data-track': t.name });
    const label = el('span', 'lane-label');
    label.textContent = labels.get(t.name) || t.name;
    lane.appendChild(label);
    for (const b of blocks(v, t.ranges, true)) {
      const e = el('div', b.to.staged ? 'range staged' : 'range',
        { 'data-start': b.from.startISO, 'data-end': b.to.endISO, 'data-track': t.name });
      place(e, b);
      if (b.count > 1) e.dataset.merged = String(b.count);
      else e.dataset.segments = String(b.from.segments);
      lane.appendChild(e);
    }
    for (const b of blocks(v, t.gaps, false)) {
      const g = b.from;
      const e = el('div', 'gap', { 'data-start': g.startISO, 'data-end': g.endISO, 'data-reason': g.reason, 'data-track': t.name });
      place(e, b);
      lane.appendChild(e);
    }
    frag.appendChild(lane);
  }
  lanes.replaceChildren(frag);
}

/** tipOf is the tooltip of a drawn range, gap or window: [text, UTC text]; null for other elements. */
export function tipOf(e) {
  const d = e.dataset;
  if (!d.start || !d.end) return null;
  const a = Date.parse(d.start);
  const z = Date.parse(d.end);
  const when = `${fmt(a)} – ${fmt(z)} (${fmtDuration(z - a)})`;
  const utc = `${fmtUTC(a)} – ${fmtUTC(z)}`;
  if (e.classList.contains('gap')) return [`${d.track}: gap ${when}, reason: ${d.reason}`, utc];
  if (e.classList.contains('range')) {
    const what = d.merged ? `${d.merged} ranges with holes under a pixel (zoom in)` : `archived, ${d.segments} segments`;
    return [`${d.track}: ${when}, ${what}${e.classList.contains('staged') ? ', not all finalized yet' : ''}`, utc];
  }
  if (e.classList.contains('win')) return [`${d.kind} ${d.name}: ${when}${d.state ? ` (${d.state})` : ''}`, utc];
  return null;
}

/** drawWindows writes recordings, holds and exports as bars on one lane. */
export function drawWindows(lane, v, windows) {
  const frag = document.createDocumentFragment();
  const end = v.start + v.span;
  for (const w of windows) {
    if (w.end <= v.start || w.start >= end) continue;
    const e = el('div', `win win-${w.kind}`, { 'data-kind': w.kind, 'data-name': w.name,
      'data-start': new Date(w.start).toISOString(), 'data-end': new Date(w.end).toISOString() });
    place(e, box(v, w.start, w.end, 2));
    if (w.state) e.dataset.state = w.state;
    e.textContent = w.name;
    frag.appendChild(e);
  }
  lane.replaceChildren(frag);
  lane.hidden = windows.length === 0;
}

/** mark places a marker element at ms, or hides it. */
export function mark(e, v, ms) {
  const show = Number.isFinite(ms) && ms >= v.start && ms <= v.start + v.span;
  e.hidden = !show;
  if (show) e.style.left = `${xOf(v, ms).toFixed(2)}px`;
}

/** selection places the in–out shading. */
export function selection(e, v, a, b) {
  const show = Number.isFinite(a) && Number.isFinite(b) && b > a && b > v.start && a < v.start + v.span;
  e.hidden = !show;
  if (show) place(e, box(v, a, b));
}
