// timefmt.js: times as people read them, in the browser's zone or in
// UTC (the toggle), plus bytes and durations.

/** The zone the page shows times in. */
export const zone = { utc: false };

const pad = (n, w = 2) => String(n).padStart(w, '0');

/** parts of an instant in the current zone. */
function parts(ms) {
  const d = new Date(ms);
  if (zone.utc) {
    return { y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(),
      mi: d.getUTCMinutes(), s: d.getUTCSeconds(), ms: d.getUTCMilliseconds() };
  }
  return { y: d.getFullYear(), mo: d.getMonth() + 1, d: d.getDate(), h: d.getHours(),
    mi: d.getMinutes(), s: d.getSeconds(), ms: d.getMilliseconds() };
}

/** zoneOffset is the current zone's offset from UTC at ms, in ms. */
export function zoneOffset(ms) {
  return zone.utc ? 0 : -new Date(ms).getTimezoneOffset() * 60000;
}

/** zoneName names the current zone (for labels). */
export function zoneName() {
  if (zone.utc) return 'UTC';
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local'; } catch { return 'local'; }
}

/** fmt formats an instant: "2026-12-01 18:02:15" (frac: with ms). */
export function fmt(ms, { frac = false, date = true } = {}) {
  if (!Number.isFinite(ms)) return '—';
  const p = parts(ms);
  const time = `${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}${frac ? '.' + pad(p.ms, 3) : ''}`;
  return date ? `${p.y}-${pad(p.mo)}-${pad(p.d)} ${time}` : time;
}

/** fmtUTC is the instant in UTC, RFC 3339, for hover titles. */
export function fmtUTC(ms) {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '';
}

/** tickLabel labels an axis tick for a tick step (ms). */
export function tickLabel(ms, step) {
  const p = parts(ms);
  if (step >= 86400000) return `${p.y}-${pad(p.mo)}-${pad(p.d)}`;
  const hm = `${pad(p.h)}:${pad(p.mi)}`;
  if (p.h === 0 && p.mi === 0 && p.s === 0) return `${pad(p.mo)}-${pad(p.d)} ${hm}`;
  return step >= 60000 ? hm : `${hm}:${pad(p.s)}`;
}

/** toInput formats an instant for <input type="datetime-local">. */
export function toInput(ms) {
  const p = parts(ms);
  return `${p.y}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

/** fromInput reads <input type="datetime-local"> in the current zone. */
export function fromInput(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/.exec(v);
  if (!m) return NaN;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x || 0));
  const ms = Number(((m[7] || '') + '000').slice(0, 3));
  if (zone.utc) return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

/** fmtBytes: 1.2 GB. */
export function fmtBytes(n) {
  if (!Number.isFinite(n) || n <= 0) return '0 B';
  const u = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  const i = Math.min(u.length - 1, Math.floor(Math.log10(n) / 3));
  return `${(n / 10 ** (3 * i)).toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** fmtDuration: 1d 2h, 3m 05s, 12.5 s. */
export function fmtDuration(ms) {
  if (!Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(Math.round(s % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
