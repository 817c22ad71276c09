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

/** drawLanes writes one lane per track of the coverage answer. */
export function drawLanes(lanes, v, data) {
  const frag = document.createDocumentFragment();
  const end = v.start + v.span;
  for (const t of (data ? data.tracks : [])) {
    const lane = el('div', 'lane', { 'data-track': t.name });
    const label = el('span', 'lane-label');
    label.textContent = t.name;
    lane.appendChild(label);
    let lastR = -Infinity;
    let merged = null;
    for (const r of t.ranges) {
      if (r.end <= v.start || r.start >= end) continue;
      const b = box(v, r.start, r.end);
      if (merged && b.left - lastR < 1) { // sub-pixel hole: one element for both
        merged.style.width = `${(b.left + b.width - parseFloat(merged.style.left)).toFixed(2)}px`;
        merged.dataset.end = r.endISO;
        merged.dataset.merged = String(Number(merged.dataset.merged || 1) + 1);
        lastR = b.left + b.width;
        continue;
      }
      merged = el('div', r.staged ? 'range staged' : 'range',
        { 'data-start': r.startISO, 'data-end': r.endISO, 'data-track': t.name });
      place(merged, b);
      merged.dataset.tip = `${t.name}: archived ${fmt(r.start)} – ${fmt(r.end)} (${fmtDuration(r.end - r.start)}, ` +
        `${r.segments} segments)${r.staged ? ', partly not finalized yet' : ''}`;
      merged.dataset.utc = `${fmtUTC(r.start)} – ${fmtUTC(r.end)}`;
      lane.appendChild(merged);
      lastR = b.left + b.width;
    }
    let lastGapPx = -Infinity;
    for (const g of t.gaps) {
      if (g.end <= v.start || g.start >= end) continue;
      const b = box(v, g.start, g.end);
      if (b.left < lastGapPx + 1) continue; // one gap per pixel is enough to see
      const e = el('div', 'gap', { 'data-start': g.startISO, 'data-end': g.endISO, 'data-reason': g.reason,
        'data-track': t.name });
      place(e, b);
      e.dataset.tip = `${t.name}: gap ${fmt(g.start)} – ${fmt(g.end)} (${fmtDuration(g.end - g.start)}), reason: ${g.reason}`;
      e.dataset.utc = `${fmtUTC(g.start)} – ${fmtUTC(g.end)}`;
      lane.appendChild(e);
      lastGapPx = b.left + b.width;
    }
    frag.appendChild(lane);
  }
  lanes.replaceChildren(frag);
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
    e.dataset.tip = `${w.kind} ${w.name}: ${fmt(w.start)} – ${fmt(w.end)}${w.state ? ` (${w.state})` : ''}`;
    e.dataset.utc = `${fmtUTC(w.start)} – ${fmtUTC(w.end)}`;
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
