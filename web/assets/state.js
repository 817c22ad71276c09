// state.js: what the page shows, kept in the URL's hash so that a link
// reopens the same channel, time and zoom (and marks):
//
//   #ch=news&t=2026-12-01T18:02:15.000Z&span=3600&in=…&out=…&utc=1
//
// t is the cursor (the instant played or picked), span the width of the
// timeline in seconds (the zoom); the view is centered on t when a link
// opens.

/** Zoom limits of the timeline, in ms. */
export const minSpan = 10 * 1000;
export const maxSpan = 62 * 24 * 3600 * 1000;

/** parseTime reads an RFC 3339 instant or epoch seconds; NaN when neither. */
export function parseTime(s) {
  if (s == null || s === '') return NaN;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  return Date.parse(s);
}

/** iso formats epoch ms as RFC 3339 UTC with milliseconds. */
export function iso(ms) {
  return new Date(ms).toISOString();
}

/** readState parses a location hash into the page state (fields missing when absent). */
export function readState(hash) {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const s = {};
  if (q.get('ch')) s.channel = q.get('ch');
  const t = parseTime(q.get('t'));
  if (Number.isFinite(t)) s.t = t;
  const span = Number(q.get('span'));
  if (Number.isFinite(span) && span > 0) s.span = clampSpan(span * 1000);
  const a = parseTime(q.get('in'));
  const b = parseTime(q.get('out'));
  if (Number.isFinite(a)) s.in = a;
  if (Number.isFinite(b)) s.out = b;
  if (q.get('utc') === '1') s.utc = true;
  return s;
}

/** stateHash is the hash for a state (the inverse of readState). */
export function stateHash(s) {
  const q = new URLSearchParams();
  if (s.channel) q.set('ch', s.channel);
  if (Number.isFinite(s.t)) q.set('t', iso(s.t));
  if (Number.isFinite(s.span)) q.set('span', String(Math.round(s.span) / 1000));
  if (Number.isFinite(s.in)) q.set('in', iso(s.in));
  if (Number.isFinite(s.out)) q.set('out', iso(s.out));
  if (s.utc) q.set('utc', '1');
  return '#' + q.toString().replaceAll('%3A', ':');
}

/** clampSpan keeps a zoom within the timeline's limits. */
export function clampSpan(ms) {
  return Math.min(maxSpan, Math.max(minSpan, ms));
}

let pending = 0;

/** saveState writes the state to the URL (replacing the entry, at most every 250 ms). */
export function saveState(s) {
  clearTimeout(pending);
  pending = setTimeout(() => {
    const h = stateHash(s);
    if (h !== location.hash) history.replaceState(null, '', h);
  }, 250);
}
