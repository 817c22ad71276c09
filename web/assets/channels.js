// channels.js: the channel list with each channel's status, from the
// browse API: receiving now or not, last segment time, tracks, storage
// used and the count of conformance findings.

import { enc, getOptional, request } from './api.js';
import { fmt, fmtBytes, fmtUTC } from './timefmt.js';

const refreshMs = 5000;
const maxDetailed = 40; // channels whose details and findings are fetched
const otherDetailMs = 60000; // how often the details of channels not shown are fetched

/** liveWithin says how close to now the last segment must end for "receiving now". */
export function isReceiving(ch, now = Date.now()) {
  if (!ch || !ch.last) return false;
  const d = parseSeconds(ch.segmentDuration) || 2;
  return now - Date.parse(ch.last) < Math.max(3 * d * 1000 + 4000, 10000);
}

/** parseSeconds reads a segment duration as the API writes it ("2s", "2", "1.92s", "48/25"). */
export function parseSeconds(s) {
  if (!s) return NaN;
  const m = /^(\d+(?:\.\d+)?)(?:\/(\d+))?\s*(ms|s)?$/.exec(String(s).trim());
  if (!m) return NaN;
  let v = Number(m[1]) / (m[2] ? Number(m[2]) : 1);
  if (m[3] === 'ms') v /= 1000;
  return v;
}

/** Channels keeps the list fresh and renders it into a <ul>. */
export class Channels {
  /** on: {select(name), update(detailsByName)} */
  constructor(list, on) {
    this.list = list;
    this.on = on;
    this.selected = null;
    this.channels = [];
    this.details = new Map(); // name → /api/channels/{c} answer
    this.findings = new Map(); // name → conformance findings, or null when unknown
    this.detailedAt = new Map(); // name → when its details were fetched
    this.loaded = false;
  }

  start() {
    const tick = async () => {
      try {
        await this.refresh();
      } catch (e) {
        this.on.error(e);
      }
      setTimeout(tick, refreshMs);
    };
    tick();
  }

  async refresh() {
    const ans = await request('/api/channels');
    this.channels = (ans && ans.channels) || [];
    // Details list the store (storage used): the shown channel's at every
    // refresh, the others' once a minute.
    const now = Date.now();
    const due = this.channels.slice(0, maxDetailed).filter((c) => c.name === this.selected ||
      !(this.detailedAt.get(c.name) > now - otherDetailMs));
    await Promise.all(due.map((c) => this.detail(c.name)));
    this.loaded = true;
    this.render();
    this.on.update(this);
  }

  async detail(name) {
    const [d, conf] = await Promise.all([
      request(`/api/channels/${enc(name)}`).catch(() => null),
      getOptional(`/api/channels/${enc(name)}/conformance`).catch(() => null),
    ]);
    if (d) this.details.set(name, d);
    this.detailedAt.set(name, Date.now());
    this.findings.set(name, conf ? conf.findings || [] : null);
  }

  /** info is what is known of a channel: its details, with the list's extent over them. */
  info(name) {
    const listed = this.channels.find((c) => c.name === name);
    const d = this.details.get(name);
    return d ? { ...d, ...listed } : listed || null; // the list's first and last are the freshest
  }

  select(name) {
    this.selected = name;
    this.render();
  }

  render() {
    const focused = document.activeElement && document.activeElement.dataset.channel;
    const frag = document.createDocumentFragment();
    if (this.channels.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = this.loaded ? 'No channels yet: point an encoder at /ingest/{channel}/.' : 'Loading…';
      frag.appendChild(li);
    }
    for (const c of this.channels) {
      const d = this.info(c.name);
      const rx = isReceiving(d);
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'channel';
      b.dataset.channel = c.name;
      b.dataset.receiving = String(rx);
      b.setAttribute('aria-pressed', String(c.name === this.selected));
      const tracks = (d && d.tracks) || [];
      const findings = this.findings.get(c.name);
      const last = d && d.last ? Date.parse(d.last) : NaN;
      b.innerHTML = `<span class="ch-name"></span><span class="ch-state"></span>
        <span class="ch-last"></span><span class="ch-tracks"></span><span class="ch-bytes"></span><span class="ch-find"></span>`;
      b.querySelector('.ch-name').textContent = c.name;
      const st = b.querySelector('.ch-state');
      st.textContent = rx ? 'receiving' : 'idle';
      st.classList.add(rx ? 'on' : 'off');
      const l = b.querySelector('.ch-last');
      l.textContent = `last ${fmt(last)}`;
      l.title = `last segment ends ${fmtUTC(last)}`;
      const tr = b.querySelector('.ch-tracks');
      tr.textContent = `${tracks.length} track${tracks.length === 1 ? '' : 's'}`;
      tr.title = tracks.map((t) => `${t.name}: ${t.codecs}${t.width ? ` ${t.width}×${t.height}` : ''}` +
        `${t.sampleRate ? ` ${t.sampleRate} Hz` : ''}${t.lang ? ` ${t.lang}` : ''}`).join('\n');
      b.querySelector('.ch-bytes').textContent = fmtBytes(d && d.storageBytes);
      const f = b.querySelector('.ch-find');
      const n = findings ? findings.length : 0;
      f.textContent = findings == null ? 'findings —' : `${n} finding${n === 1 ? '' : 's'}`;
      f.classList.toggle('warn', n > 0);
      f.title = findings == null ? 'no ingest seen by this instance since it started'
        : ['REaP conformance findings on ingest:', ...findings.map((x) =>
          `${x.level} ${x.clause} (${x.scope}, ${x.count}×): ${x.message}`)].join('\n');
      b.addEventListener('click', () => this.on.select(c.name));
      li.appendChild(b);
      frag.appendChild(li);
    }
    this.list.replaceChildren(frag);
    if (focused) this.list.querySelector(`[data-channel="${CSS.escape(focused)}"]`)?.focus();
  }
}
