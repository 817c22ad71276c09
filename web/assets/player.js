// player.js: catch-up playback with dash.js (vendored from npm, see
// vendor/). Playing from an instant T asks reapd for a window starting at
// T: a start-over (manifest.mpd?start=T, a dynamic MPD growing to the live
// edge) while the channel is live, else a closed window up to the end of
// the archive. Either way the presentation starts at T, so the wall-clock
// instant on screen is T + video.currentTime (Period@start counts from the
// window start, gaps included). Media requests carry the read token
// through dash.js's request interceptor.

import { Debug, MediaPlayer } from './vendor/dash.mediaplayer.min.js';
import { authHeaders, enc } from './api.js';
import { iso } from './state.js';

const maxStatic = 6 * 3600e3; // a closed window's length (catch-up allows 24 h by default)
const maxStartOverAge = 23 * 3600e3; // how far back a start-over may begin (24 h by default)

/** Player plays a channel from an instant and reports the wall-clock instant it shows. */
export class Player {
  /** on: {time(ms), state(text, isError)} */
  constructor(video, on) {
    this.video = video;
    this.on = on;
    this.dash = null;
    this.base = NaN; // the instant video.currentTime 0 shows
    this.session = null; // {channel, start, url, live, clicked} of the current source
    video.addEventListener('timeupdate', () => {
      const t = this.wallTime();
      if (Number.isFinite(t)) this.on.time(t);
    });
    video.addEventListener('playing', () => this.on.state(this.describe('playing'), false));
    video.addEventListener('waiting', () => this.on.state(this.describe('buffering'), false));
  }

  describe(what) {
    const s = this.session;
    return s ? `${what}: ${s.channel} ${s.live ? 'start-over to the live edge' : 'catch-up'}` : what;
  }

  ensure() {
    if (this.dash) return this.dash;
    const p = MediaPlayer().create();
    // The catch-up MPD names its own UTCTiming (direct): no time server.
    p.updateSettings({ debug: { logLevel: Debug.LOG_LEVEL_WARNING } });
    p.addRequestInterceptor((req) => {
      req.headers = { ...(req.headers || {}), ...authHeaders() };
      return Promise.resolve(req);
    });
    const ev = MediaPlayer.events;
    p.on(ev.ERROR, (e) => this.on.state(`player error: ${describeError(e.error || e)}`, true));
    p.on(ev.PLAYBACK_ERROR, (e) => this.on.state(`playback error: ${describeError(e.error || e)}`, true));
    p.initialize(this.video, undefined, true);
    this.dash = p;
    return p;
  }

  /**
   * play the channel from instant t (ms). ch is the channel's browse
   * answer ({last, live}); live forces a start-over.
   */
  play(channel, t, { last = NaN, live = false } = {}) {
    const now = Date.now();
    const startOver = live && now - t < maxStartOverAge;
    let url = `/catchup/${enc(channel)}/manifest.mpd?start=${iso(Math.floor(t))}`;
    if (!startOver) {
      const end = Math.min(t + maxStatic, Number.isFinite(last) ? last : t + maxStatic);
      if (end <= t) {
        this.on.state(`no media after ${iso(t)} in ${channel}`, true);
        return;
      }
      url += `&end=${iso(Math.ceil(end))}`;
    }
    this.base = Math.floor(t);
    this.session = { channel, start: this.base, url, live: startOver, clicked: t, at: now };
    const p = this.ensure();
    this.video.muted = this.video.muted || !navigator.userActivation?.hasBeenActive;
    // dash.js: a VoD start is relative to the first Period; a dynamic one
    // to availabilityStartTime, which reapd sets to the window start.
    p.attachSource(url, 0);
    this.on.state(this.describe('loading'), false);
  }

  /** goLive starts over a little before the live edge and plays at the edge. */
  goLive(channel) {
    const t = Date.now() - 60e3;
    this.base = t;
    const url = `/catchup/${enc(channel)}/manifest.mpd?start=${iso(t)}`;
    this.session = { channel, start: t, url, live: true, clicked: NaN, at: Date.now() };
    this.ensure().attachSource(url);
    this.on.state(this.describe('loading'), false);
  }

  /** stop ends playback and forgets the source. */
  stop() {
    if (this.dash) this.dash.reset(); // a fresh player is made for the next source
    this.dash = null;
    this.session = null;
    this.base = NaN;
    this.on.state('', false);
  }

  /** wallTime is the instant on screen (ms), NaN before playback. */
  wallTime() {
    if (!this.session || !Number.isFinite(this.base)) return NaN;
    return this.base + this.video.currentTime * 1000;
  }

  /** quality reports decoded and dropped frames (for the page's tests and the status line). */
  quality() {
    const q = this.video.getVideoPlaybackQuality ? this.video.getVideoPlaybackQuality() : null;
    return q ? { decoded: q.totalVideoFrames, dropped: q.droppedVideoFrames } : { decoded: 0, dropped: 0 };
  }
}

function describeError(e) {
  if (!e) return 'unknown';
  if (typeof e === 'string') return e;
  return [e.code, e.message].filter((x) => x !== undefined && x !== '').join(' ') || JSON.stringify(e);
}
