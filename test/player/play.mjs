#!/usr/bin/env node
// play.mjs: plays one manifest in a real headless Chromium with one of the
// JavaScript players reapd's users run (dash.js, shaka-player, hls.js) and
// prints ONE JSON line with what happened. Exit 0 when playback advanced by
// more than --min-seconds of media with no player error and, when video is
// expected, with video frames decoded meanwhile (videoWidth > 0 and
// getVideoPlaybackQuality().totalVideoFrames advancing), else 1.
//
//   node test/player/play.mjs --player dashjs|shaka|hlsjs --url MANIFEST_URL
//        [--min-seconds 60] [--timeout-seconds 120] [--expect-start EPOCH_OR_SECONDS]
//        [--start-tolerance 0.041] [--start-at SECONDS] [--stall-seconds 10] [--rate 16]
//        [--video auto|required|optional] [--chromium /usr/bin/chromium]
//
// --video: auto (the default) expects video when the manifest (an
// AdaptationSet, Representation or HLS variant with video) or the player
// shows a video track; required always, optional never. A run that plays its
// --min-seconds with video expected but no frame decoded fails ("no video"):
// a player that dropped the video and played the audio alone did not play
// the manifest.
//
// Speed: once the first frame is on screen the page sets video.playbackRate to
// --rate (16, Chromium's maximum), so 60 s of media play in about 4 s while
// every frame still goes through MSE and the decoder (the result reports
// decoded and dropped frame counts). Seeking in steps was rejected: it skips
// the very segments a catch-up server might serve wrongly. A dynamic
// (start-over) manifest cannot run ahead of its live edge: use --rate 1 there.
//
// The page is served from 127.0.0.1 on its own port, so every request the
// player makes to the manifest's server is cross-origin: that server must send
// CORS headers (see playertest/doc.go).
//
// The browser is never downloaded: Debian's /usr/bin/chromium, driven by
// playwright-core (which has no browser of its own).
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));

// The browser builds each package ships (checked against the pinned versions
// in package.json): plain scripts that define a global.
const libs = {
  dashjs: 'node_modules/dashjs/dist/modern/umd/dash.all.min.js',
  shaka: 'node_modules/shaka-player/dist/shaka-player.compiled.js',
  hlsjs: 'node_modules/hls.js/dist/hls.min.js',
};

// The flags toolchain.md settled on: no sandbox (root in CI), software
// rendering, no background traffic, autoplay without a gesture.
const chromeArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

function parse() {
  const { values } = parseArgs({
    options: {
      player: { type: 'string' }, url: { type: 'string' },
      'min-seconds': { type: 'string', default: '60' },
      'timeout-seconds': { type: 'string', default: '120' },
      'expect-start': { type: 'string' },
      'start-at': { type: 'string' },
      'stall-seconds': { type: 'string', default: '10' }, // 0: wait for the deadline
      'start-tolerance': { type: 'string', default: '0.041' }, // one frame at 25 fps, plus rounding
      rate: { type: 'string', default: '16' },
      video: { type: 'string', default: 'auto' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
    },
  });
  if (!libs[values.player]) throw new Error(`--player must be one of ${Object.keys(libs).join(', ')}`);
  if (!values.url) throw new Error('--url is required');
  if (!['auto', 'required', 'optional'].includes(values.video)) throw new Error('--video must be auto, required or optional');
  const num = (k) => {
    const v = Number(values[k]);
    if (!Number.isFinite(v)) throw new Error(`--${k}: not a number: ${values[k]}`);
    return v;
  };
  let expectStart = null;
  if (values['expect-start'] !== undefined) {
    // Epoch or media seconds as a number; RFC 3339 accepted for convenience.
    const s = values['expect-start'];
    expectStart = /^-?\d+(\.\d+)?$/.test(s) ? Number(s) : Date.parse(s) / 1000;
    if (!Number.isFinite(expectStart)) throw new Error(`--expect-start: not a time: ${s}`);
  }
  return {
    player: values.player, url: values.url, minSeconds: num('min-seconds'),
    timeoutSeconds: num('timeout-seconds'), expectStart, startTolerance: num('start-tolerance'),
    rate: num('rate'), chromium: values.chromium,
    startAt: values['start-at'] === undefined ? null : num('start-at'),
    stallSeconds: num('stall-seconds'), video: values.video,
  };
}

// serve answers the page, page.js and the chosen player library; nothing else.
function serve(player) {
  const html = `<!doctype html><meta charset="utf-8"><title>reapd player harness</title>
<video muted playsinline width="320" height="180"></video>
<script src="/lib.js"></script><script src="/page.js"></script>`;
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    try {
      if (path === '/') return send(res, 'text/html', html);
      if (path === '/page.js') return send(res, 'text/javascript', await readFile(join(here, 'page.js')));
      if (path === '/lib.js') return send(res, 'text/javascript', await readFile(join(here, libs[player])));
    } catch (e) {
      res.writeHead(500).end(String(e));
      return;
    }
    res.writeHead(path === '/favicon.ico' ? 204 : 404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function send(res, type, body) {
  res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
}

function fail(cfg, msg) {
  return { ok: false, player: cfg ? cfg.player : null, reason: msg, currentTime: 0, played: 0,
    firstBufferedStart: null, firstPresentationTime: null, errors: [msg], warnings: [], duration: null };
}

async function main() {
  const started = Date.now();
  let cfg;
  try {
    cfg = parse();
  } catch (e) {
    return fail(null, `usage: ${e.message}`);
  }
  const console_ = []; // the browser's console, echoed to stderr for diagnosis
  let server, context, profile;
  // A watchdog beyond the page's own deadline: a hung browser still ends
  // the run with a JSON line.
  const watchdog = new Promise((resolve) => setTimeout(
    () => resolve(fail(cfg, `harness watchdog: no result in ${cfg.timeoutSeconds} s`)),
    cfg.timeoutSeconds * 1000).unref());
  try {
    server = await serve(cfg.player);
    const pageURL = `http://127.0.0.1:${server.address().port}/`;
    // Only loopback and the manifest's host resolve: a player that reaches
    // for the internet (e.g. a default time server) fails the same way here
    // as on a machine without internet, instead of passing only where it can.
    const host = new URL(cfg.url).hostname;
    const resolverRules = `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE ${host}`;
    profile = await mkdtemp(join(tmpdir(), 'reapd-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: cfg.chromium, headless: true, args: [...chromeArgs, resolverRules, '--no-proxy-server'],
      timeout: 30000,
    });
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => console_.push(`[${m.type()}] ${m.text()}`));
    const crashed = new Promise((resolve) => page.on('crash', () => resolve(fail(cfg, 'page crashed'))));
    await page.goto(pageURL);
    const deadlineSeconds = cfg.timeoutSeconds - (Date.now() - started) / 1000 - 3;
    const run = page.evaluate((c) => window.runHarness(c), {
      player: cfg.player, url: cfg.url, minSeconds: cfg.minSeconds, rate: cfg.rate,
      expectStart: cfg.expectStart, startTolerance: cfg.startTolerance, deadlineSeconds,
      startAt: cfg.startAt, stallSeconds: cfg.stallSeconds, video: cfg.video,
    });
    return await Promise.race([run, crashed, watchdog]);
  } catch (e) {
    return fail(cfg, `harness: ${e.message.split('\n')[0]}`);
  } finally {
    for (const line of console_.slice(-60)) process.stderr.write(`browser ${line}\n`);
    if (context) await context.close().catch(() => {});
    if (server) server.close();
    if (profile) await rm(profile, { recursive: true, force: true }).catch(() => {});
  }
}

const result = await main();
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(result.ok ? 0 : 1);
