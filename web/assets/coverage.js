// coverage.js: archived ranges and gaps per track, fetched from
// /api/channels/{c}/coverage for the range the timeline shows (plus a
// margin on each side), never for the whole history at once: a month of
// archive costs one request per view change that leaves the fetched range,
// debounced while the user zooms or pans.

import { request, enc } from './api.js';
import { iso } from './state.js';

const maxRange = 31 * 24 * 3600 * 1000; // the API's MaxCoverage default
const debounceMs = 150;
const refreshMs = 10000; // how old coverage near the live edge may get

/** Coverage keeps the last answer for one channel and fetches when the view needs more. */
export class Coverage {
  /** onData(answer) is called whenever a new answer arrives. */
  constructor(onData, onError) {
    this.onData = onData;
    this.onError = onError;
    this.channel = null;
    this.data = null; // {from, to, tracks:[{name, ranges, gaps}]} with ms times
    this.fetched = null; // {channel, from, to, at}
    this.timer = 0;
    this.abort = null;
    this.requests = 0; // answers asked for (the tests read it)
  }

  /** need says the timeline shows [from, to) of channel: fetch (debounced) when not held. */
  need(channel, from, to) {
    const f = this.fetched;
    const fresh = f && f.channel === channel && f.from <= from && f.to >= to &&
      (f.to < Date.now() - refreshMs || Date.now() - f.at < refreshMs);
    if (fresh) return;
    if (!f || f.channel !== channel) this.data = null;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fetch(channel, from, to), debounceMs);
  }

  async fetch(channel, from, to) {
    const span = to - from;
    let a = from - span / 2;
    let b = to + span / 2;
    if (b - a > maxRange) { // centered on the view, within the API's limit
      const mid = (from + to) / 2;
      a = mid - maxRange / 2;
      b = mid + maxRange / 2;
    }
    a = Math.floor(a);
    b = Math.ceil(b);
    if (this.abort) this.abort.abort();
    const ctl = new AbortController();
    this.abort = ctl;
    this.requests++;
    try {
      const ans = await request(`/api/channels/${enc(channel)}/coverage?from=${iso(a)}&to=${iso(b)}`, { signal: ctl.signal });
      this.fetched = { channel, from: a, to: b, at: Date.now() };
      this.channel = channel;
      this.data = {
        from: a, to: b,
        tracks: ans.tracks.map((t) => ({
          name: t.name,
          bytes: t.bytes,
          ranges: t.ranges.map((r) => ({ start: Date.parse(r.start), end: Date.parse(r.end), startISO: r.start,
            endISO: r.end, segments: r.segments, bytes: r.bytes, staged: !!r.staged })),
          gaps: t.gaps.map((g) => ({ start: Date.parse(g.start), end: Date.parse(g.end), startISO: g.start,
            endISO: g.end, reason: g.reason })),
        })),
        problems: ans.problems || [],
      };
      this.onData(this.data);
    } catch (e) {
      if (e.name !== 'AbortError') this.onError(e);
    } finally {
      if (this.abort === ctl) this.abort = null;
    }
  }
}
