#!/usr/bin/env node
// webui.mjs: drives reapd's web page (package web) in headless Chromium
// through what an operator does, and prints ONE JSON line with what the
// page showed, for the Go test (cmd/reapd/webui_test.go) to check against
// reapd's API:
//
//   node test/player/webui.mjs --base http://127.0.0.1:PORT --channel ch1 --scenario browse|export
//        [--view-start ISO --view-end ISO] [--click ISO] [--in ISO --out ISO] [--name NAME]
//        [--shots DIR] [--downloads DIR] [--token READ_TOKEN] [--timeout-seconds 120] [--chromium /usr/bin/chromium]
//
// browse: (gap) opens the channel with [view-start, view-end] in view and
// reports every drawn range and gap with its geometry; (play) clicks the
// --click instant on the timeline and reports the first frame's wall-clock
// time and the decoded frames; (shots) writes screenshots of the channel
// list, the timeline zoomed to a day and to a minute, and the player, at
// 1280x720 and 390x844, into --shots; (share) marks in and out with the
// keyboard, then opens the page's URL in a new tab and reports both states.
//
// export: marks --in and --out with the keyboard (--out - --in a multiple
// of 1.2 s), saves
// the "Download clip" link and the "Export MP4" result as browser downloads
// into --downloads, then records the window as --name and reports whether
// the page lists it.
//
// Chromium is Debian's, driven by playwright-core, as in play.mjs.
import { chromium } from 'playwright-core';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const chromeArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required', '--no-proxy-server',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
];

const { values: cfg } = parseArgs({
  options: {
    base: { type: 'string' }, channel: { type: 'string' }, scenario: { type: 'string', default: 'browse' },
    'view-start': { type: 'string' }, 'view-end': { type: 'string' }, click: { type: 'string' },
    in: { type: 'string' }, out: { type: 'string' }, name: { type: 'string', default: 'webui-test' },
    shots: { type: 'string' }, downloads: { type: 'string' }, token: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '120' }, chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});

const logs = [];
const ms = (iso) => Date.parse(iso);
const pageURL = (hash) => `${cfg.base}/#${new URLSearchParams(hash).toString()}`;

const t0 = Date.now();
const stamp = () => ((Date.now() - t0) / 1000).toFixed(3);

async function newPage(context, viewport) {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const tab = `${viewport.width}x${viewport.height}#${context.pages().length}`;
  const log = (l) => logs.push(`${stamp()} ${tab} ${l}`);
  page.on('console', (m) => log(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log(`[pageerror] ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) log(`[http ${r.status()}] ${r.request().method()} ${r.url()}`); });
  // How often the token dialog opened in this tab, and why.
  await page.addInitScript(() => {
    window.__tokenDialogs = [];
    new MutationObserver((ms) => {
      for (const m of ms) {
        if (m.target.id === 'token-dialog' && m.target.open) {
          window.__tokenDialogs.push(`${(performance.now() / 1000).toFixed(3)} ${document.getElementById('token-why').textContent}`);
        }
      }
    }).observe(document, { subtree: true, attributes: true, attributeFilter: ['open'] });
  });
  page.on('requestfailed', (r) => log(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure() && r.failure().errorText}`));
  return page;
}

let tokenAsked = 0;
let step = 'start'; // what the scenario is doing, for the error of a step that fails

/** tabsDiag is the state of every open tab, for a step that failed without its own report. */
async function tabsDiag(context) {
  const out = [];
  for (const page of context.pages()) {
    out.push(await page.evaluate(() => {
      const ui = window.reapdUI;
      const dlg = document.getElementById('token-dialog');
      const a = document.activeElement;
      return { href: location.href, tokenDialogs: window.__tokenDialogs,
        tokenDialog: dlg && dlg.open ? document.getElementById('token-why').textContent : 'closed',
        active: a ? `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}` : '',
        span: ui && ui.timeline.span, start: ui && ui.timeline.start, channel: ui && ui.state.channel,
        coverage: ui && ui.coverage.fetched, header: document.getElementById('status').textContent,
        player: document.getElementById('player-status').textContent };
    }).catch((e) => ({ failed: e.message })));
  }
  return out;
}

/**
 * open loads the page; with --token, it answers the page's token dialog
 * (every new tab asks once). A request the page sent before the token was
 * entered is answered 401 after it: the page must send it again with the
 * token, not ask again (a dialog opened again blocks every click, so
 * the click on the timeline played nothing). So that this happens in
 * every tab, the token is entered once the page asked for coverage
 * without it, and that request is held until then; the tab must have
 * asked exactly once.
 */
async function open(page, url) {
  if (!cfg.token) {
    await page.goto(url);
    return;
  }
  const coverageURL = '**/api/channels/*/coverage?*';
  let entered;
  const given = new Promise((r) => { entered = r; });
  const held = [];
  let seen;
  const sent = new Promise((r) => { seen = r; });
  await page.route(coverageURL, (route) => {
    if (route.request().headers().authorization) return route.continue();
    seen();
    // .catch: a request the page aborted meanwhile.
    const answered = given.then(async () => route.fulfill({ response: await route.fetch() })).catch(() => {});
    held.push(answered);
    return answered;
  });
  await page.goto(url);
  await page.waitForSelector('#token-dialog[open]', { timeout: 30000 });
  let timer;
  await Promise.race([sent, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('the page asked for no coverage in 30 s')), 30000);
  })]).finally(() => clearTimeout(timer));
  await page.fill('#token-input', cfg.token);
  await page.press('#token-input', 'Enter');
  tokenAsked++;
  entered();
  await Promise.all(held);
  await page.unroute(coverageURL);
  await settled(page);
  const asked = await page.evaluate(() => ({ open: document.getElementById('token-dialog').open,
    dialogs: window.__tokenDialogs }));
  if (asked.open || asked.dialogs.length !== 1) {
    throw new Error(`the tab asked for the token ${asked.dialogs.length} times (${asked.dialogs.join('; ')}), ` +
      `${held.length} coverage requests sent without it; the dialog is ${asked.open ? 'open' : 'closed'}`);
  }
}

/** settled waits until the timeline holds coverage for its whole view and has drawn it. */
async function settled(page) {
  await page.waitForFunction(() => {
    const ui = window.reapdUI;
    const f = ui && ui.coverage.fetched;
    const t = ui && ui.timeline;
    return f && t && ui.state.channel && f.channel === ui.state.channel && f.from <= t.start &&
      f.to >= t.start + t.span && !ui.coverage.abort && document.querySelector('.tl-lanes .lane');
  }, null, { timeout: 30000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** geometry reports the view and every drawn range and gap. */
function geometry(page) {
  return page.evaluate(() => {
    const tl = document.getElementById('timeline');
    const lanes = tl.querySelector('.tl-lanes').getBoundingClientRect();
    const items = [...tl.querySelectorAll('.range, .gap')].map((e) => {
      const r = e.getBoundingClientRect();
      return { kind: e.classList.contains('gap') ? 'gap' : 'range', track: e.dataset.track, start: e.dataset.start,
        end: e.dataset.end, reason: e.dataset.reason || '', left: r.left - lanes.left, width: r.width,
        visible: r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' };
    });
    return { viewStart: tl.dataset.viewStart, viewEnd: tl.dataset.viewEnd, width: lanes.width, items };
  });
}

/** clickAt clicks the instant iso on the first lane of the timeline. */
async function clickAt(page, iso) {
  const p = await page.evaluate((t) => {
    const tl = window.reapdUI.timeline;
    const lane = document.querySelector('.tl-lanes .lane').getBoundingClientRect();
    const x = lane.left + ((t - tl.start) / tl.span) * lane.width;
    const y = lane.top + lane.height / 2;
    const e = document.elementFromPoint(x, y);
    window.__clickTarget = e ? `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')}` : 'none';
    return { x, y };
  }, ms(iso));
  await page.mouse.click(p.x, p.y);
}

/** played waits for playback after a click and reports its first frame and progress. */
async function played(page, minSeconds) {
  try {
    await page.waitForFunction((min) => {
      const v = document.getElementById('video');
      const q = v.getVideoPlaybackQuality();
      return window.__firstFrame !== undefined && v.currentTime >= min && q.totalVideoFrames > 5;
    }, minSeconds, { timeout: 60000 });
  } catch (e) {
    const err = new Error(`played: no ${minSeconds} s of playback after the click: ${e.message.split('\n')[0]}`);
    err.diag = await playbackDiag(page).catch((d) => ({ diagFailed: String(d) }));
    throw err;
  }
  return page.evaluate(() => {
    const ui = window.reapdUI;
    const v = document.getElementById('video');
    const q = v.getVideoPlaybackQuality();
    return { clicked: document.getElementById('timeline').dataset.clicked, base: new Date(ui.player.base).toISOString(),
      url: ui.player.session.url, firstFrameMediaTime: window.__firstFrame,
      firstFrameWall: new Date(ui.player.base + window.__firstFrame * 1000).toISOString(),
      currentTime: v.currentTime, wallTime: new Date(ui.player.wallTime()).toISOString(),
      cursor: document.getElementById('timeline').dataset.cursor, framesDecoded: q.totalVideoFrames,
      framesDropped: q.droppedVideoFrames, videoWidth: v.videoWidth, status: document.getElementById('player-status').textContent };
  });
}

/**
 * armFirstFrame readies a tab for a click that plays: the first frame's
 * media time lands in window.__firstFrame, and window.__diag records what
 * the video element and dash.js did (for playbackDiag).
 */
function armFirstFrame(page) {
  return page.evaluate(() => {
    delete window.__firstFrame;
    const v = document.getElementById('video');
    v.requestVideoFrameCallback((_, md) => { window.__firstFrame = md.mediaTime; });
    const t0 = performance.now();
    const buf = (r) => [...Array(r.length).keys()].map((i) => `${r.start(i).toFixed(3)}-${r.end(i).toFixed(3)}`).join(' ');
    const d = { events: [], samples: [] };
    const note = (what) => {
      if (d.events.length < 400) {
        d.events.push(`${((performance.now() - t0) / 1000).toFixed(3)} ${what} ct=${v.currentTime.toFixed(3)} rs=${v.readyState}`);
      }
    };
    if (window.__diag) clearInterval(window.__diag.timer);
    window.__diag = d;
    if (!v.__diagged) {
      v.__diagged = true;
      for (const ev of ['loadstart', 'loadedmetadata', 'loadeddata', 'canplay', 'canplaythrough', 'play', 'playing',
        'pause', 'waiting', 'stalled', 'seeking', 'seeked', 'ended', 'emptied', 'abort', 'error', 'ratechange',
        'durationchange']) {
        v.addEventListener(ev, () => window.__diag.note(`video ${ev}`));
      }
    }
    d.note = note;
    d.timer = setInterval(() => {
      if (d.samples.length >= 120) d.samples.shift();
      d.samples.push(`${((performance.now() - t0) / 1000).toFixed(1)} ct=${v.currentTime.toFixed(3)} rs=${v.readyState} ` +
        `ns=${v.networkState} paused=${v.paused} frames=${v.getVideoPlaybackQuality().totalVideoFrames} buf=[${buf(v.buffered)}]`);
    }, 1000);
    // dash.js is made on the first play: listen to it from its start.
    const player = window.reapdUI.player;
    const listen = (p) => {
      if (p.__diagged) return;
      p.__diagged = true;
      for (const ev of ['error', 'playbackError', 'playbackStalled', 'playbackWaiting', 'bufferStalled', 'bufferLoaded',
        'manifestLoaded', 'streamInitialized', 'canPlay', 'playbackStarted', 'playbackPlaying', 'playbackPaused',
        'playbackSeeking', 'playbackSeeked', 'playbackEnded', 'playbackNotAllowed', 'periodSwitchStarted',
        'periodSwitchCompleted', 'fragmentLoadingAbandoned', 'streamActivated', 'streamDeactivated']) {
        p.on(ev, (e) => {
          const x = e && (e.error || e.reason || e.mediaType || (e.seekTime !== undefined ? `seekTime ${e.seekTime}` : ''));
          window.__diag.note(`dash ${ev}${x ? ` ${typeof x === 'string' ? x : JSON.stringify(x).slice(0, 300)}` : ''}`);
        });
      }
      p.on('fragmentLoadingCompleted', (e) => {
        const r = e && e.request;
        if (r) window.__diag.note(`dash fragment ${r.mediaType} ${r.type} ${r.startTime !== undefined ? Number(r.startTime).toFixed(3) : ''} ${r.url ? r.url.replace(/^.*\/catchup\//, '') : ''}`);
      });
    };
    if (player.dash) listen(player.dash);
    if (!player.__diagged) {
      player.__diagged = true;
      const ensure = player.ensure.bind(player);
      player.ensure = () => {
        const p = ensure();
        listen(p);
        return p;
      };
    }
  });
}

/** playbackDiag is what a tab's player was doing, for a run whose playback did not come. */
function playbackDiag(page) {
  return page.evaluate(async () => {
    const ui = window.reapdUI;
    const v = document.getElementById('video');
    const q = v.getVideoPlaybackQuality();
    const buf = (r) => [...Array(r.length).keys()].map((i) => `${r.start(i).toFixed(3)}-${r.end(i).toFixed(3)}`).join(' ');
    const p = ui.player.dash;
    const safe = (f) => { try { return f(); } catch (e) { return `(${e.message})`; } };
    const s = ui.player.session;
    let mpd = '';
    if (s) {
      const tok = sessionStorage.getItem('reapd-read-token');
      mpd = await fetch(s.url, { headers: tok ? { Authorization: `Bearer ${tok}` } : {} })
        .then((r) => r.text().then((t) => `${r.status} ${t}`)).catch((e) => `fetch: ${e.message}`);
    }
    const d = window.__diag || { events: [], samples: [] };
    return {
      firstFrame: window.__firstFrame, clicked: document.getElementById('timeline').dataset.clicked,
      session: s, base: ui.player.base, status: document.getElementById('player-status').textContent,
      header: document.getElementById('status').textContent, clickTarget: window.__clickTarget,
      tokenDialogs: window.__tokenDialogs, tokenDialog: document.getElementById('token-dialog').open ? document.getElementById('token-why').textContent || 'open' : 'closed',
      video: { currentTime: v.currentTime, readyState: v.readyState, networkState: v.networkState, paused: v.paused,
        ended: v.ended, seeking: v.seeking, muted: v.muted, playbackRate: v.playbackRate, duration: v.duration,
        buffered: buf(v.buffered), error: v.error && `${v.error.code} ${v.error.message}`, src: v.currentSrc,
        videoWidth: v.videoWidth, frames: q.totalVideoFrames, dropped: q.droppedVideoFrames },
      dash: p ? { ready: safe(() => p.isReady()), time: safe(() => p.time()), duration: safe(() => p.duration()),
        paused: safe(() => p.isPaused()), seeking: safe(() => p.isSeeking()), dynamic: safe(() => p.isDynamic()),
        bufferVideo: safe(() => p.getBufferLength('video')), bufferAudio: safe(() => p.getBufferLength('audio')) } : null,
      visibility: document.visibilityState, hasFocus: document.hasFocus(),
      events: d.events, samples: d.samples, mpd: mpd.slice(0, 6000).split('\n'),
    };
  });
}

/**
 * zoomGestures zooms in with the mouse wheel at the lane's middle (the
 * instant under the pointer must stay there), then out with a two-finger
 * pinch (touch pointers 100 px apart moved to 300 px: three times in),
 * and reports the spans and where the anchor instant went.
 */
async function zoomGestures(page) {
  const at = () => page.evaluate(() => {
    const tl = window.reapdUI.timeline;
    const r = tl.lanes.getBoundingClientRect();
    const x = r.left + r.width / 2;
    return { span: tl.span, x, y: r.top + 10, t: tl.timeAt(x), width: r.width };
  });
  const before = await at();
  await page.mouse.move(before.x, before.y);
  await page.mouse.wheel(0, -300);
  await page.waitForFunction((s) => window.reapdUI.timeline.span < s, before.span, { timeout: 5000 });
  const wheel = await at();
  const pinch = await page.evaluate(({ x, y }) => {
    const lane = document.querySelector('.tl-lanes .lane');
    const ev = (type, id, cx) => lane.dispatchEvent(new PointerEvent(type, { bubbles: true, pointerId: id,
      pointerType: 'touch', isPrimary: id === 11, button: type === 'pointermove' ? -1 : 0, clientX: cx, clientY: y }));
    ev('pointerdown', 11, x - 50);
    ev('pointerdown', 12, x + 50);
    for (let d = 50; d <= 150; d += 25) {
      ev('pointermove', 11, x - d);
      ev('pointermove', 12, x + d);
    }
    ev('pointerup', 11, x - 150);
    ev('pointerup', 12, x + 150);
    const tl = window.reapdUI.timeline;
    return { span: tl.span, t: tl.timeAt(x) };
  }, before);
  return { before, wheel, pinch };
}

/**
 * drawCost times the timeline's drawing over a synthetic 30 days of
 * archive with a 10 s gap every 10 minutes on two tracks (8640 ranges and
 * as many gaps), panning at each zoom: ms per frame and elements drawn.
 */
function drawCost(page) {
  return page.evaluate(() => {
    const ui = window.reapdUI;
    const tl = ui.timeline;
    ui.coverage.need = () => {}; // this page shows the synthetic archive from now on
    const day = 86400e3;
    const end = Math.floor(Date.now() / 600e3) * 600e3;
    const start = end - 30 * day;
    const iso = (x) => new Date(x).toISOString();
    const track = (name) => {
      const ranges = [];
      const gaps = [];
      for (let t = start; t < end; t += 600e3) {
        ranges.push({ start: t, end: t + 590e3, startISO: iso(t), endISO: iso(t + 590e3), segments: 295, bytes: 1 });
        if (t + 600e3 < end) gaps.push({ start: t + 590e3, end: t + 600e3, startISO: iso(t + 590e3), endISO: iso(t + 600e3), reason: 'gap' });
      }
      return { name, ranges, gaps };
    };
    tl.setCoverage({ from: start, to: end, tracks: [track('video'), track('audio')], problems: [] });
    const out = {};
    for (const [label, span] of [['30d', 30 * day], ['1d', day], ['1h', 3600e3], ['1m', 60e3]]) {
      tl.span = span;
      tl.start = end - span;
      // Each frame drawn and laid out (clientWidth forces the layout a
      // real frame would do); the cheapest frame says what drawing costs
      // without the other load of the machine.
      let best = Infinity;
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        tl.start -= span / 200;
        tl.draw();
        void tl.lanes.clientWidth;
        best = Math.min(best, performance.now() - t0);
      }
      out[label] = { msPerFrame: best, elements: document.querySelectorAll('.tl-lanes .range, .tl-lanes .gap').length };
    }
    return out;
  });
}

/** viewState is what a shared URL must carry: channel, cursor, zoom, marks. */
async function viewState(page) {
  const v = await page.evaluate(() => {
    const ui = window.reapdUI;
    const tl = document.getElementById('timeline');
    const pressed = document.querySelector('.channel[aria-pressed="true"]');
    return { channel: ui.state.channel, pressed: pressed && pressed.dataset.channel, cursor: tl.dataset.cursor,
      viewStart: tl.dataset.viewStart, viewEnd: tl.dataset.viewEnd, span: Number(tl.dataset.span),
      in: ui.state.in, out: ui.state.out, href: location.href };
  });
  const iso = (x) => (Number.isFinite(x) ? new Date(x).toISOString() : '');
  return { ...v, in: iso(v.in), out: iso(v.out) };
}

async function shot(page, name, viewport) {
  if (!cfg.shots) return null;
  const file = join(cfg.shots, `${viewport.width}x${viewport.height}-${name}.png`);
  await page.mouse.move(1, 1); // no tooltip in the picture
  await page.screenshot({ path: file, fullPage: false });
  return file;
}

async function zoomTo(page, span) {
  await page.click(`button[data-span="${span}"]`);
  await settled(page);
}

/**
 * playAndShoot takes the channel list's picture, clicks --click on the
 * timeline and waits for minSeconds of playback (the result of played),
 * then takes the player's and the timeline's at a day and at a minute.
 */
async function playAndShoot(page, viewport, minSeconds, shots) {
  shots.push(await shot(page, 'channels', viewport));
  await armFirstFrame(page);
  await clickAt(page, cfg.click);
  const p = await played(page, minSeconds).catch((e) => {
    e.message = `${viewport.width}x${viewport.height}: ${e.message}`;
    throw e;
  });
  shots.push(await shot(page, 'player', viewport));
  await zoomTo(page, 86400);
  shots.push(await shot(page, 'timeline-day', viewport));
  await zoomTo(page, 60);
  shots.push(await shot(page, 'timeline-minute', viewport));
  return p;
}

async function browse(context) {
  const out = { shots: [] };
  const big = { width: 1280, height: 720 };
  const a = ms(cfg['view-start']);
  const b = ms(cfg['view-end']);
  const page = await newPage(context, big);
  // (1) the gap: open the channel with the window in view.
  step = 'gap';
  await open(page, pageURL({ ch: cfg.channel, t: new Date((a + b) / 2).toISOString(), span: String((b - a) / 1000) }));
  await settled(page);
  out.gap = await geometry(page);
  // The reason of each gap shows on hover.
  out.gapHover = [];
  for (const g of out.gap.items.filter((it) => it.kind === 'gap')) {
    // A locator finds the element again should the timeline redraw meanwhile.
    await page.locator(`.tl-lanes .gap[data-track="${g.track}"][data-start="${g.start}"]`).hover();
    await page.waitForFunction((tr) => {
      const tip = document.querySelector('.tl-tip');
      return !tip.hidden && tip.textContent.startsWith(`${tr}: gap`);
    }, g.track, { timeout: 5000 });
    const text = await page.locator('.tl-tip').textContent();
    out.gapHover.push({ track: g.track, start: g.start, text });
  }
  // (2) a click plays from there; (4) the pictures.
  step = 'play 1280x720';
  out.play = await playAndShoot(page, big, 3, out.shots);
  // (5) marks with the keyboard, then the URL reopens the same view.
  step = 'share: marks';
  await page.evaluate(() => document.getElementById('video').pause());
  await page.focus('#timeline');
  await page.keyboard.press('i');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('o');
  await page.keyboard.press('-'); // zoom out once: 120 s
  // The page writes its URL a moment after a change: wait for this state in it.
  await page.waitForFunction(() => {
    const st = window.reapdUI.state;
    const iso = (x) => new Date(x).toISOString();
    return window.reapdUI.timeline.span === 120e3 && Number.isFinite(st.out) &&
      location.hash.includes(`out=${iso(st.out)}`) && location.hash.includes(`t=${iso(st.t)}`);
  }, null, { timeout: 5000 });
  const before = await viewState(page);
  step = 'share: reopen';
  const again = await newPage(context, big);
  await open(again, before.href);
  await settled(again);
  await again.waitForFunction(() => document.querySelector('.channel[aria-pressed="true"]'), null, { timeout: 10000 });
  const after = await viewState(again);
  out.share = { before, after };
  step = 'zoom';
  out.zoom = await zoomGestures(again);
  step = '30 days';
  out.perf = await drawCost(again);
  await again.close();
  // (4) the phone-sized viewport.
  step = 'phone';
  const small = { width: 390, height: 844 };
  const phone = await newPage(context, small);
  await open(phone, pageURL({ ch: cfg.channel, t: new Date((a + b) / 2).toISOString(), span: String((b - a) / 1000) }));
  await settled(phone);
  out.phonePlay = await playAndShoot(phone, small, 2, out.shots);
  out.overflowX = await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  out.shots = out.shots.filter(Boolean);
  out.coverageRequests = await page.evaluate(() => window.reapdUI.coverage.requests);
  out.tokenAsked = tokenAsked;
  return out;
}

async function exportScenario(context) {
  const out = {};
  const big = { width: 1280, height: 720 };
  const a = ms(cfg.in);
  const b = ms(cfg.out);
  const page = await newPage(context, big);
  // The cursor at --in from the URL, then the keyboard alone: mark in,
  // move the cursor (a step is a fiftieth of the 60 s view), mark out.
  await open(page, pageURL({ ch: cfg.channel, t: new Date(a).toISOString(), span: '60' }));
  await settled(page);
  await page.focus('#timeline');
  await page.keyboard.press('i');
  for (let i = Math.round((b - a) / 1200); i > 0; i--) await page.keyboard.press('ArrowRight');
  await page.keyboard.press('o');
  out.marks = await page.evaluate(() => ({ in: new Date(window.reapdUI.state.in).toISOString(),
    out: new Date(window.reapdUI.state.out).toISOString() }));
  // The direct clip link.
  let [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click('#clip-link')]);
  out.clip = { file: join(cfg.downloads, 'clip-' + dl.suggestedFilename()), url: dl.url() };
  await dl.saveAs(out.clip.file);
  out.clip.failure = await dl.failure();
  // The export job: progress, then a download link.
  await page.click('#export-mp4');
  const link = await page.waitForSelector('a.export-download', { timeout: 90000 });
  [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), link.click()]);
  out.export = { file: join(cfg.downloads, 'export-' + dl.suggestedFilename()), url: dl.url(),
    progress: await page.evaluate(() => document.querySelector('#export-progress progress').value) };
  await dl.saveAs(out.export.file);
  out.export.failure = await dl.failure();
  // A recording, listed on the page.
  await page.fill('#record-name', cfg.name);
  await page.click('#record');
  const li = await page.waitForSelector(`#recordings li[data-name="${cfg.name}"]`, { timeout: 30000 });
  out.recording = { text: await li.textContent(), drawn: await page.evaluate((n) =>
    !!document.querySelector(`.win-recording[data-name="${n}"]`), cfg.name) };
  return out;
}

async function main() {
  let context;
  const profile = await mkdtemp(join(tmpdir(), 'reapd-webui-'));
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: cfg.chromium, headless: true, args: chromeArgs, timeout: 30000, acceptDownloads: true,
      timezoneId: 'Europe/Berlin', // a zone that is not UTC: the page shows local times, UTC on hover
    });
    const run = cfg.scenario === 'export' ? exportScenario(context) : browse(context);
    const watchdog = new Promise((_, reject) => setTimeout(() => reject(new Error('watchdog: no result in time')),
      Number(cfg['timeout-seconds']) * 1000).unref());
    return { ok: true, ...(await Promise.race([run, watchdog])) };
  } catch (e) {
    const diag = e.diag || (context && await tabsDiag(context).catch((d) => ({ diagFailed: d.message })));
    return { ok: false, error: `${step}: ${e.message.split('\n').slice(0, 6).join('\n')}`, diag };
  } finally {
    for (const l of logs.slice(-60)) process.stderr.write(`browser ${l}\n`);
    if (context) await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}

const result = await main();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(result.ok ? 0 : 1);
