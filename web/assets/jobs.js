// jobs.js: what the page does with a marked window [in, out): a clip
// download (GET /catchup/{c}/clip.mp4), an MP4 export job (POST
// /api/exports, polled until done, then a download link) and a named
// recording (POST /api/recordings); and the recordings, holds and export
// jobs of the channel, listed and drawn on the timeline.

import { APIError, enc, fetchBlob, getOptional, hasToken, request } from './api.js';
import { iso } from './state.js';
import { fmt, fmtBytes, fmtDuration, fmtUTC } from './timefmt.js';

const pollMs = 1000;

/** clipURL is the direct MP4 of a window. */
export function clipURL(channel, a, b) {
  const name = `${channel}-${iso(a).replace(/[:.]/g, '').replace('T', '-')}.mp4`;
  return `/catchup/${enc(channel)}/clip.mp4?start=${iso(a)}&end=${iso(b)}&download=${enc(name)}`;
}

/** exportFileURL is where reapd serves a result of a job written to its own store. */
export function exportFileURL(job, result) {
  if (/^https?:\/\//.test(result) || result.startsWith('/')) return result;
  const prefix = `${job.channel}/exports/${job.id}/`;
  const rel = result.startsWith(prefix) ? result.slice(prefix.length) : result.replace(/^.*\/exports\/[^/]+\//, '');
  return `/api/exports/${enc(job.id)}/files/${rel.split('/').map(enc).join('/')}`;
}

/** download saves url; with a read token the browser cannot send, it fetches first (or signs the URL). */
export async function download(url, name) {
  let href = url;
  if (hasToken()) {
    const signed = await request('/api/sign', { method: 'POST', body: { url, ttl: '1h' } }).catch(() => null);
    href = signed && signed.url ? signed.url : URL.createObjectURL(await fetchBlob(url));
  }
  const a = document.createElement('a');
  a.href = href;
  a.download = name || '';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Jobs lists a channel's recordings, holds and exports. */
export class Jobs {
  /** on: {windows(list), available({exports, recordings}), error(e)} */
  constructor(on) {
    this.on = on;
    this.channel = null;
    this.recordings = null; // null: the API is not there (404)
    this.holds = null;
    this.exports = null;
    this.timer = 0;
  }

  setChannel(name) {
    this.channel = name;
    this.refresh();
  }

  async refresh() {
    clearTimeout(this.timer);
    const ch = this.channel;
    if (!ch) return;
    const q = `?channel=${enc(ch)}`;
    try {
      const [r, h, x] = await Promise.all([
        getOptional(`/api/recordings${q}`), getOptional(`/api/holds${q}`), getOptional(`/api/exports${q}`)]);
      if (ch !== this.channel) return;
      this.recordings = r ? r.recordings || [] : null;
      this.holds = h ? h.holds || [] : null;
      this.exports = x ? x.exports || [] : null;
      this.render();
    } catch (e) {
      this.on.error(e);
    }
    const busy = (this.exports || []).some((j) => j.state === 'queued' || j.state === 'running');
    const waiting = (this.recordings || []).some((r) => r.state === 'waiting');
    this.timer = setTimeout(() => this.refresh(), busy ? pollMs : waiting ? 3 * pollMs : 10000);
  }

  windows() {
    const out = [];
    for (const r of this.recordings || []) out.push({ kind: 'recording', name: r.name, start: Date.parse(r.start), end: Date.parse(r.end), state: r.state });
    for (const h of this.holds || []) out.push({ kind: 'hold', name: h.reason || h.id, start: Date.parse(h.from), end: Date.parse(h.to) });
    for (const j of this.exports || []) out.push({ kind: 'export', name: `${j.format} ${j.id}`, start: Date.parse(j.start), end: Date.parse(j.end), state: j.state });
    return out.filter((w) => Number.isFinite(w.start) && Number.isFinite(w.end));
  }

  render() {
    fill('recordings', this.recordings, (r) => item(r.name, Date.parse(r.start), Date.parse(r.end),
      `${r.state}${r.duration_s ? `, ${fmtDuration(r.duration_s * 1000)}` : ''}${r.gaps && r.gaps.length ? `, ${r.gaps.length} gaps` : ''}${r.error ? `: ${r.error}` : ''}`,
      r.url ? [{ href: r.url.startsWith('/') || /^https?:/.test(r.url) ? r.url : null, text: r.mpd_key || r.url }] : [], { 'data-name': r.name, 'data-state': r.state }));
    fill('holds', this.holds, (h) => item(h.reason || h.id, Date.parse(h.from), Date.parse(h.to), `hold ${h.id}`, [], { 'data-id': h.id }));
    fill('exports', this.exports, (j) => item(`${j.format} ${j.id}`, Date.parse(j.start), Date.parse(j.end),
      `${j.state}${j.state === 'running' || j.state === 'queued' ? ` ${Math.round(j.progress || 0)}%` : ''}${j.bytes ? `, ${fmtBytes(j.bytes)}` : ''}${j.error ? `: ${j.error}` : ''}`,
      j.state === 'complete' && !j.destination ? (j.results || []).map((r) => ({ href: exportFileURL(j, r), text: r.split('/').pop(), download: true })) : [],
      { 'data-id': j.id, 'data-state': j.state }));
    this.on.windows(this.windows());
    this.on.available({ exports: this.exports !== null, recordings: this.recordings !== null });
  }

  /** exportMP4 starts an MP4 export of [a, b) into reapd's store and reports progress until it ends. */
  async exportMP4(a, b, progress) {
    const job = await request('/api/exports', { method: 'POST',
      body: { channel: this.channel, start: iso(a), end: iso(b), format: 'mp4', destination: '' } });
    this.refresh();
    for (let j = job; ; ) {
      progress(j);
      if (['complete', 'failed', 'canceled'].includes(j.state)) return j;
      await new Promise((r) => setTimeout(r, pollMs));
      j = await request(`/api/exports/${enc(job.id)}`);
    }
  }

  /** record creates a named recording of [a, b). */
  async record(name, a, b) {
    try {
      const r = await request('/api/recordings', { method: 'POST', body: { channel: this.channel, name, start: iso(a), end: iso(b) } });
      this.refresh();
      return r;
    } catch (e) {
      if (e instanceof APIError && e.status === 409) throw new Error(`a recording named ${name} exists with another window`);
      throw e;
    }
  }
}

function fill(id, items, fn) {
  const ul = document.getElementById(id);
  const frag = document.createDocumentFragment();
  if (items === null || items.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = items === null ? 'not available on this reapd' : 'none';
    frag.appendChild(li);
  } else {
    items.forEach((x) => frag.appendChild(fn(x)));
  }
  ul.replaceChildren(frag);
}

function item(name, a, b, detail, links, attrs) {
  const li = document.createElement('li');
  for (const [k, v] of Object.entries(attrs)) li.setAttribute(k, v);
  const jump = document.createElement('button');
  jump.type = 'button';
  jump.className = 'jump';
  jump.dataset.start = String(a);
  jump.dataset.end = String(b);
  jump.textContent = name;
  jump.title = `show on the timeline: ${fmtUTC(a)} – ${fmtUTC(b)}`;
  const when = document.createElement('span');
  when.className = 'when';
  when.textContent = `${fmt(a)} – ${fmt(b, { date: false })} (${fmtDuration(b - a)})`;
  const d = document.createElement('span');
  d.className = 'detail';
  d.textContent = detail;
  li.append(jump, when, d);
  for (const l of links) {
    const el = document.createElement(l.href ? 'a' : 'code');
    if (l.href) {
      el.href = l.href;
      if (l.download) el.setAttribute('download', '');
    }
    el.className = 'result';
    el.textContent = l.text;
    li.appendChild(el);
  }
  return li;
}
