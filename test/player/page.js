// Browser side of the player harness (see play.mjs, which serves this file
// next to the chosen player library and calls window.runHarness(cfg)).
//
// It plays cfg.url muted in a <video>, raises video.playbackRate once the
// first frame is on screen so that a minute of media takes seconds, and
// resolves with what it saw. Every number comes from the media element or the
// player, never from the manifest alone, except the DASH PTO (see dashStart).
'use strict';

(function () {
  // One entry per player: attach(video, url, rec) starts loading and wires the
  // player's error events into rec.errors; it returns a function that reads
  // the player's notion of where the content starts (see rec.start).
  const players = {
    dashjs(video, url, rec) {
      const p = dashjs.MediaPlayer().create();
      p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
      const ev = dashjs.MediaPlayer.events;
      for (const name of [ev.ERROR, ev.PLAYBACK_ERROR]) {
        p.on(name, (e) => rec.errors.push(`dashjs ${name}: ${describe(e.error || e)}`));
      }
      p.initialize(video, url, true);
      window.__player = p;
      return () => {
        // dash.js keeps the PTO in seconds on the Representation it plays.
        const r = p.getCurrentRepresentationForType && p.getCurrentRepresentationForType('video');
        if (!r || !r.adaptation || !r.adaptation.period) return null;
        return { mediaTime: r.presentationTimeOffset || 0, elementTime: r.adaptation.period.start || 0,
          source: 'dashjs representation PTO' };
      };
    },

    shaka(video, url, rec) {
      shaka.polyfill.installAll();
      const p = new shaka.Player();
      p.addEventListener('error', (e) => rec.errors.push(`shaka error: ${describe(e.detail)}`));
      p.attach(video)
        .then(() => p.load(url))
        .then(() => video.play())
        .catch((e) => rec.errors.push(`shaka load: ${describe(e)}`));
      window.__player = p;
      // Shaka's compiled build hides segment offsets; read the MPD's own
      // Period@start and PTO (the same numbers shaka derives its offset from).
      return () => rec.manifestStart;
    },

    hlsjs(video, url, rec) {
      const p = new Hls({ enableWorker: true });
      p.on(Hls.Events.ERROR, (_, d) => {
        const msg = `hlsjs ${d.type}/${d.details}${d.response ? ` (HTTP ${d.response.code})` : ''}`;
        // Non-fatal errors are retried by hls.js itself: keep them as warnings.
        (d.fatal ? rec.errors : rec.warnings).push(msg);
      });
      let first = null;
      p.on(Hls.Events.LEVEL_LOADED, (_, d) => {
        const f = d.details && d.details.fragments && d.details.fragments[0];
        if (f && !first) first = f;
      });
      p.loadSource(url);
      p.attachMedia(video);
      window.__player = p;
      return () => {
        if (!first) return null;
        // EXT-X-PROGRAM-DATE-TIME of the first segment, when the playlist has
        // one; else the segment's own start on the element timeline.
        const pdt = first.programDateTime;
        return { mediaTime: pdt ? pdt / 1000 : first.start, elementTime: first.start,
          source: pdt ? 'hlsjs fragment.programDateTime' : 'hlsjs fragment.start' };
      };
    },
  };

  function describe(e) {
    if (e == null) return String(e);
    if (typeof e === 'string') return e;
    const parts = [];
    for (const k of ['code', 'category', 'severity', 'message', 'type', 'details']) {
      if (e[k] !== undefined) parts.push(`${k}=${e[k]}`);
    }
    if (e.data && e.data.length) parts.push(`data=${JSON.stringify(e.data).slice(0, 200)}`);
    return parts.length ? parts.join(' ') : JSON.stringify(e).slice(0, 300);
  }

  // dashStart reads the first Period@start and the PTO/timescale of its first
  // video SegmentTemplate (or SegmentBase), inherited down AdaptationSet and
  // Representation as in ISO/IEC 23009-1 5.3.9.
  async function dashStart(url) {
    const text = await (await fetch(url)).text();
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const period = doc.getElementsByTagName('Period')[0];
    if (!period) return null;
    const seconds = (d) => {
      const m = /^PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(d || '');
      return m ? (+(m[1] || 0)) * 3600 + (+(m[2] || 0)) * 60 + (+(m[3] || 0)) : 0;
    };
    const sets = [...period.getElementsByTagName('AdaptationSet')];
    const video = sets.find((a) => /video/.test(a.getAttribute('contentType') || a.getAttribute('mimeType') || '') ||
      [...a.getElementsByTagName('Representation')].some((r) => /video/.test(r.getAttribute('mimeType') || ''))) || sets[0];
    let pto = 0, ts = 1;
    for (const el of [period, video, video && video.getElementsByTagName('Representation')[0]]) {
      if (!el) continue;
      for (const c of el.children) {
        if (c.tagName !== 'SegmentTemplate' && c.tagName !== 'SegmentBase' && c.tagName !== 'SegmentList') continue;
        if (c.hasAttribute('presentationTimeOffset')) pto = Number(c.getAttribute('presentationTimeOffset'));
        if (c.hasAttribute('timescale')) ts = Number(c.getAttribute('timescale'));
      }
    }
    return { mediaTime: pto / ts, elementTime: seconds(period.getAttribute('start')), source: 'MPD Period@start and PTO' };
  }

  window.runHarness = async function (cfg) {
    const video = document.querySelector('video');
    const rec = { errors: [], warnings: [], manifestStart: null };
    const t0 = performance.now();
    const elapsed = () => (performance.now() - t0) / 1000;

    video.addEventListener('error', () => {
      const e = video.error;
      rec.errors.push(`video element error: code=${e && e.code} ${e && e.message}`);
    });
    // An exception nobody caught is a bug in the page or the player; a
    // rejection nobody handled is usually a player's internal noise.
    window.addEventListener('error', (e) => rec.errors.push(`uncaught: ${e.message}`));
    window.addEventListener('unhandledrejection', (e) => rec.warnings.push(`unhandled rejection: ${describe(e.reason)}`));
    if (cfg.player === 'shaka' || cfg.player === 'dashjs') {
      dashStart(cfg.url).then((s) => { rec.manifestStart = s; }).catch(() => {});
    }
    const startOf = players[cfg.player](video, cfg.url, rec);

    // The first presented frame: requestVideoFrameCallback reports the media
    // time of the frame the compositor actually showed. Only after it do we
    // speed up, so that the first frame is the one a viewer would see.
    let firstFrame = null, firstBufferedStart = null, startTime = null;
    const onFirst = (mediaTime) => {
      if (startTime !== null) return;
      firstFrame = mediaTime;
      startTime = video.currentTime;
      if (video.buffered.length) firstBufferedStart = video.buffered.start(0);
      video.playbackRate = cfg.rate;
    };
    if (video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback((_, meta) => onFirst(meta.mediaTime));
    }
    // Fallback when no frame callback comes (e.g. audio-only): 'playing'.
    video.addEventListener('playing', () => setTimeout(() => onFirst(null), 500), { once: true });

    let maxTime = 0;
    const done = (ok, why) => {
      const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : {};
      const s = startOf() || rec.manifestStart;
      const played = startTime === null ? 0 : maxTime - startTime;
      const firstShown = firstFrame !== null ? firstFrame : startTime;
      const res = {
        ok, player: cfg.player, reason: why,
        currentTime: video.currentTime, played, startTime, firstFrameTime: firstFrame,
        firstBufferedStart,
        firstPresentationTime: s ? s.mediaTime : null,
        contentStartElementTime: s ? s.elementTime : null,
        startSource: s ? s.source : null,
        // Where the first shown frame sits on the content's own timeline (the
        // archive's epoch seconds for reapd): the number --expect-start checks.
        firstDisplayedTime: s && firstShown !== null ? s.mediaTime + (firstShown - s.elementTime) : null,
        duration: Number.isFinite(video.duration) ? video.duration : null,
        playbackRate: video.playbackRate,
        framesDecoded: q.totalVideoFrames || 0, framesDropped: q.droppedVideoFrames || 0,
        errors: rec.errors, warnings: rec.warnings, wallSeconds: elapsed(),
      };
      if (ok && cfg.expectStart !== null) {
        if (res.firstDisplayedTime === null) {
          res.ok = false; res.errors.push('expect-start: the player exposed no content start');
        } else if (Math.abs(res.firstDisplayedTime - cfg.expectStart) > cfg.startTolerance) {
          res.ok = false;
          res.errors.push(`expect-start: first displayed time ${res.firstDisplayedTime} is ` +
            `${(res.firstDisplayedTime - cfg.expectStart).toFixed(3)} s from ${cfg.expectStart} ` +
            `(tolerance ${cfg.startTolerance} s)`);
        }
      }
      if (!res.ok && !res.reason) res.reason = res.errors[0];
      return res;
    };

    // Poll: succeed as soon as enough media has played; fail on the first
    // error, on the end of the media, or at the deadline.
    return new Promise((resolve) => {
      const tick = setInterval(() => {
        maxTime = Math.max(maxTime, video.currentTime);
        const played = startTime === null ? 0 : maxTime - startTime;
        let result = null;
        if (rec.errors.length) result = done(false, 'player error');
        else if (played > cfg.minSeconds && (video.getVideoPlaybackQuality().totalVideoFrames > 0 || video.videoWidth === 0)) {
          // Decoded frames prove the time came from media, not a bare clock
          // (a stream without video has videoWidth 0 and no frames).
          result = done(true, '');
        } else if (video.ended) result = done(false, `media ended after ${played.toFixed(2)} s played`);
        else if (elapsed() > cfg.deadlineSeconds) {
          result = done(false, `timeout: ${played.toFixed(2)} s played in ${elapsed().toFixed(1)} s`);
        }
        if (result) { clearInterval(tick); video.pause(); resolve(result); }
      }, 100);
    });
  };
})();
