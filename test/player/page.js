// Browser side of the player harness (see play.mjs, which serves this file
// next to the chosen player library and calls window.runHarness(cfg)).
//
// It plays cfg.url muted in a <video>, raises video.playbackRate once the
// first frame is on screen so that a minute of media takes seconds, and
// resolves with what it saw. Every number comes from the media element or the
// player, except shaka's content start, which its compiled build hides: that
// one is read from the MPD (see dashStart).
'use strict';

(function () {
  // One entry per player: (video, url, rec, cfg) starts loading, wires the
  // player's error events into rec.errors and returns { start, hasVideo }:
  // start reads the player's notion of where the content starts, hasVideo
  // whether the player found a video track in the manifest (false until it
  // has parsed it, and for video it filtered out as unplayable). cfg.startAt, when set,
  // is handed to the player's own start-position API (what a web page that
  // plays "from 10:32:05" would do); by default the manifest alone decides.
  const players = {
    dashjs(video, url, rec, cfg) {
      const p = dashjs.MediaPlayer().create();
      p.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
      const ev = dashjs.MediaPlayer.events;
      for (const name of [ev.ERROR, ev.PLAYBACK_ERROR]) {
        p.on(name, (e) => rec.errors.push(`dashjs ${name}: ${describe(e.error || e)}`));
      }
      // dash.js takes a VoD start in seconds from the presentation start.
      if (cfg.startAt !== null) p.initialize(video, url, true, cfg.startAt);
      else p.initialize(video, url, true);
      window.__player = p;
      return {
        start() {
          // dash.js keeps the PTO in seconds on the Representation it plays.
          const r = p.getCurrentRepresentationForType && p.getCurrentRepresentationForType('video');
          if (!r || !r.adaptation || !r.adaptation.period) return null;
          return { mediaTime: r.presentationTimeOffset || 0, elementTime: r.adaptation.period.start || 0,
            source: 'dashjs representation PTO' };
        },
        hasVideo() {
          try { return p.getTracksFor('video').length > 0; } catch (e) { return false; }
        },
      };
    },

    shaka(video, url, rec, cfg) {
      shaka.polyfill.installAll();
      const p = new shaka.Player();
      p.addEventListener('error', (e) => rec.errors.push(`shaka error: ${describe(e.detail)}`));
      p.attach(video)
        .then(() => (cfg.startAt !== null ? p.load(url, cfg.startAt) : p.load(url)))
        .then(() => video.play())
        .catch((e) => rec.errors.push(`shaka load: ${describe(e)}`));
      window.__player = p;
      return {
        // Shaka's compiled build hides segment offsets; read the MPD's own
        // Period@start and PTO (the same numbers shaka derives its offset from).
        start: () => rec.manifestStart,
        hasVideo: () => p.getVariantTracks().some((t) => !!(t.videoCodec || t.width)),
      };
    },

    hlsjs(video, url, rec, cfg) {
      const p = new Hls(cfg.startAt !== null ? { startPosition: cfg.startAt } : {});
      p.on(Hls.Events.ERROR, (_, d) => {
        const msg = `hlsjs ${d.type}/${d.details}${d.response ? ` (HTTP ${d.response.code})` : ''}`;
        // Non-fatal errors are retried by hls.js itself: keep them as warnings.
        (d.fatal ? rec.errors : rec.warnings).push(msg);
      });
      let first = null, videoBuffer = false;
      // A media playlist names no codecs: the video track shows when
      // hls.js has parsed the first init segment.
      p.on(Hls.Events.BUFFER_CODECS, (_, d) => { if (d && d.video) videoBuffer = true; });
      p.on(Hls.Events.LEVEL_LOADED, (_, d) => {
        const f = d.details && d.details.fragments && d.details.fragments[0];
        if (f && !first) first = f;
      });
      // hls.js does not start playback by itself.
      p.on(Hls.Events.MANIFEST_PARSED, () => {
        video.play().catch((e) => rec.errors.push(`hlsjs play(): ${describe(e)}`));
      });
      p.loadSource(url);
      p.attachMedia(video);
      window.__player = p;
      return {
        start() {
          if (!first) return null;
          // EXT-X-PROGRAM-DATE-TIME of the first segment, when the playlist has
          // one; else the segment's own start on the element timeline.
          const pdt = first.programDateTime;
          return { mediaTime: pdt ? pdt / 1000 : first.start, elementTime: first.start,
            source: pdt ? 'hlsjs fragment.programDateTime' : 'hlsjs fragment.start' };
        },
        hasVideo: () => videoBuffer || (p.levels || []).some((l) => !!(l.videoCodec || l.width)),
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
  function dashStart(text) {
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

  // Video codecs by their RFC 6381 sample entry (ISO/IEC 14496-15, VP9,
  // AV1, Dolby Vision, VVC).
  const videoCodec = /(^|[\s,"])(avc[1-4]|hvc1|hev1|dvh1|dvhe|vp0[89]|av01|vvc1|vvi1)(\.|[\s,"]|$)/;

  // manifestHasVideo tells from the manifest text whether it offers video:
  // for DASH an AdaptationSet or Representation with contentType or
  // mimeType video or a video codec; for HLS a variant with a RESOLUTION or
  // a video codec (RFC 8216bis 4.4.6.2). A media playlist says nothing.
  function manifestHasVideo(text) {
    if (/^#EXTM3U/.test(text)) {
      return text.split('\n').some((l) => l.startsWith('#EXT-X-STREAM-INF:') &&
        (/RESOLUTION=/.test(l) || videoCodec.test((/CODECS="([^"]*)"/.exec(l) || [])[1] || '')));
    }
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    for (const tag of ['AdaptationSet', 'Representation', 'ContentComponent']) {
      for (const el of doc.getElementsByTagName(tag)) {
        if (el.getAttribute('contentType') === 'video' || /^video\//.test(el.getAttribute('mimeType') || '') ||
          videoCodec.test(el.getAttribute('codecs') || '')) return true;
      }
    }
    return false;
  }

  window.runHarness = async function (cfg) {
    const video = document.querySelector('video');
    const rec = { errors: [], warnings: [], manifestStart: null, manifestVideo: null };
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
    // The manifest as the page can read it (CORS applies as to the player).
    fetch(cfg.url).then((r) => r.text()).then((text) => {
      rec.manifestVideo = manifestHasVideo(text);
      if (cfg.player === 'shaka' || cfg.player === 'dashjs') rec.manifestStart = dashStart(text);
    }).catch(() => {});
    const handle = players[cfg.player](video, cfg.url, rec, cfg);
    const startOf = handle.start;
    // Whether this run must decode video: cfg.video 'required' or
    // 'optional' says so; 'auto' (the default) expects video when the
    // manifest or the player shows a video track.
    const videoExpected = () => {
      if (cfg.video === 'required') return { expected: true, source: 'caller' };
      if (cfg.video === 'optional') return { expected: false, source: 'caller' };
      if (rec.manifestVideo) return { expected: true, source: 'manifest' };
      let player = false;
      try { player = handle.hasVideo(); } catch (e) { player = false; }
      if (player) return { expected: true, source: 'player' };
      if (video.videoWidth > 0) return { expected: true, source: 'element' };
      return { expected: false, source: 'manifest, player and element' };
    };

    // The first displayed frame. requestVideoFrameCallback reports the media
    // time of each frame the compositor actually showed. A player that seeks
    // to its start position may first show a preroll frame from before the
    // seek, so the frame on screen when 'playing' fires counts only if it
    // belongs to the current position; otherwise the next presented one does.
    // Only then is the rate raised, so the start is seen at normal speed.
    let lastFrame = null, firstFrame = null, firstBufferedStart = null, startTime = null, framesAtStart = 0;
    const totalFrames = () => (video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality().totalVideoFrames : 0);
    // The content start as the player saw it when playback began: later,
    // in a multi-Period window, the player's current Period is another one.
    let startInfo = null;
    // Without video to wait for (an audio-only manifest), the rate goes up
    // as soon as playback starts.
    const speedUp = () => {
      if (startTime !== null && (firstFrame !== null || !video.requestVideoFrameCallback || !videoExpected().expected)) {
        video.playbackRate = cfg.rate;
      }
    };
    if (video.requestVideoFrameCallback) {
      const onFrame = (_, meta) => {
        lastFrame = meta.mediaTime;
        if (startTime !== null && firstFrame === null) { firstFrame = lastFrame; speedUp(); return; }
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
    }
    video.addEventListener('playing', () => {
      startTime = video.currentTime;
      framesAtStart = totalFrames();
      startInfo = startOf();
      if (video.buffered.length) firstBufferedStart = video.buffered.start(0);
      if (lastFrame !== null && lastFrame <= startTime + 0.001 && startTime - lastFrame < 0.1) firstFrame = lastFrame;
      speedUp();
    }, { once: true });

    // Progress watch: a player that shows no error but stops moving (a
    // static MPD with epoch times and no PTO does exactly that) fails after
    // cfg.stallSeconds instead of at the deadline.
    let maxTime = 0, lastProgress = 0;
    const done = (ok, why) => {
      const q = video.getVideoPlaybackQuality ? video.getVideoPlaybackQuality() : {};
      const vx = videoExpected();
      const s = startInfo || startOf() || rec.manifestStart;
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
        framesAtStart, videoWidth: video.videoWidth, videoHeight: video.videoHeight,
        videoExpected: vx.expected, videoExpectedSource: vx.source,
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
        if (video.currentTime > maxTime) { maxTime = video.currentTime; lastProgress = elapsed(); }
        const played = startTime === null ? 0 : maxTime - startTime;
        let result = null;
        if (rec.errors.length) result = done(false, rec.errors[0]);
        else if (played > cfg.minSeconds) {
          // Frames decoded while it played prove the time came from video,
          // not from audio alone or a bare clock. Without video expected,
          // the played time is enough.
          const vx = videoExpected(), decoded = totalFrames() - framesAtStart;
          if (!vx.expected || (decoded > 0 && video.videoWidth > 0)) result = done(true, '');
          else {
            result = done(false, `no video: ${played.toFixed(2)} s played with ${decoded} video frames decoded ` +
              `(videoWidth ${video.videoWidth}) although video is expected (${vx.source})`);
          }
        } else if (video.ended) result = done(false, `media ended after ${played.toFixed(2)} s played`);
        else if (cfg.stallSeconds > 0 && elapsed() - lastProgress > cfg.stallSeconds) {
          result = done(false, `stalled: no progress for ${cfg.stallSeconds} s at currentTime ${video.currentTime} ` +
            `(${played.toFixed(2)} s played, readyState ${video.readyState})`);
        } else if (elapsed() > cfg.deadlineSeconds) {
          result = done(false, `timeout: ${played.toFixed(2)} s played in ${elapsed().toFixed(1)} s`);
        }
        if (result) { clearInterval(tick); video.pause(); resolve(result); }
      }, 100);
    });
  };
})();
