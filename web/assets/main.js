// main.js: the page at / — channels, a timeline per channel, a catch-up
// player, and marks to cut clips, exports and recordings. It glues the
// modules together and keeps the state in the URL (state.js), so that a
// link reopens the same view.

import { Channels, isReceiving } from './channels.js';
import { Coverage } from './coverage.js';
import { Jobs, clipURL, download, exportFileURL } from './jobs.js';
import { Player } from './player.js';
import { iso, readState, saveState } from './state.js';
import { Timeline } from './timeline.js';
import { fmt, fmtDuration, fmtUTC, fromInput, toInput, zone, zoneName } from './timefmt.js';
import { hasToken } from './api.js';

const $ = (id) => document.getElementById(id);
const state = { channel: null, t: NaN, span: 3600e3, in: NaN, out: NaN, utc: false, ...readState(location.hash) };
zone.utc = !!state.utc;

let statusTimer = 0;
/** status shows a message in the header for 15 s. */
function status(text, isError = false) {
  const s = $('status');
  s.textContent = text;
  s.classList.toggle('error', isError);
  clearTimeout(statusTimer);
  statusTimer = setTimeout(() => { s.textContent = ''; }, 15000);
}
const showError = (e) => status(e.message || String(e), true);

const timeline = new Timeline($('timeline'), {
  pick: (t) => play(t),
  view: () => onView(),
  cursor: (t) => { state.t = t; describeCursor(); saveState(state); },
  markIn: (t) => setMarks(t, state.out),
  markOut: (t) => setMarks(state.in, t),
});
const coverage = new Coverage((data) => {
  timeline.setCoverage(data);
  if (data.problems.length) status(data.problems.join('; '), true);
}, showError);
const player = new Player($('video'), {
  time: (t) => {
    state.t = t;
    timeline.setCursor(t, { follow: true });
    describeCursor();
    saveState(state);
  },
  state: (text, isError) => {
    $('player-status').textContent = text;
    $('player-status').classList.toggle('error', isError);
  },
});
// What this reapd serves besides the browse API (null: not known yet).
const apis = { exports: null, recordings: null };
const jobs = new Jobs({
  windows: (ws) => timeline.setWindows(ws),
  available: (a) => {
    if (a.exports === apis.exports && a.recordings === apis.recordings) return;
    Object.assign(apis, a);
    setMarks(state.in, state.out);
  },
  error: showError,
});
const channels = new Channels($('channel-list'), {
  select: (name) => selectChannel(name, { fresh: true }),
  update: () => onChannels(),
  error: showError,
});

function onView() {
  state.span = timeline.span;
  if (state.channel) coverage.need(state.channel, timeline.start, timeline.start + timeline.span);
  saveState(state);
}

function describeCursor() {
  const t = state.t;
  const input = $('goto-input');
  if (Number.isFinite(t) && document.activeElement !== input) input.value = toInput(t);
  $('cursor-text').textContent = Number.isFinite(t) ? `Cursor ${fmt(t, { frac: true })} ${zoneName()}` : '';
  $('cursor-text').title = Number.isFinite(t) ? fmtUTC(t) : '';
}

/** selectChannel shows a channel; fresh (a click) recenters on its live edge unless the state says where. */
function selectChannel(name, { fresh = false } = {}) {
  const changed = state.channel !== name;
  state.channel = name;
  channels.select(name);
  $('channel-title').textContent = name;
  document.title = `${name} — reapd archive`;
  jobs.setChannel(name);
  const info = channels.info(name);
  if (changed) player.stop(); // its time is another channel's
  if (changed && fresh) {
    state.t = NaN;
    setMarks(NaN, NaN);
    const last = info && info.last ? Date.parse(info.last) : Date.now();
    timeline.setCursor(NaN);
    timeline.center(last - timeline.span * 0.4, timeline.span);
  }
  updateExtent();
  onView();
}

function updateExtent() {
  const info = state.channel && channels.info(state.channel);
  if (!info) return;
  timeline.setExtent(info.first ? Date.parse(info.first) : NaN, info.last ? Date.parse(info.last) : NaN);
  timeline.setTracks(info.tracks);
}

function onChannels() {
  if (!state.channel && channels.channels.length) selectChannel(channels.channels[0].name, { fresh: true });
  else if (state.channel && !$('channel-title').dataset.shown) {
    $('channel-title').dataset.shown = '1';
    selectChannel(state.channel);
  }
  updateExtent();
  if (state.channel) coverage.need(state.channel, timeline.start, timeline.start + timeline.span);
}

function play(t) {
  if (!state.channel) return;
  const info = channels.info(state.channel);
  state.t = t;
  timeline.setCursor(t);
  describeCursor();
  saveState(state);
  player.play(state.channel, t, { last: info && info.last ? Date.parse(info.last) : NaN, live: isReceiving(info) });
}

function setMarks(a, b) {
  state.in = a;
  state.out = b;
  timeline.setMarks(a, b);
  const ok = Number.isFinite(a) && Number.isFinite(b) && b > a;
  const text = $('mark-text');
  if (ok) text.textContent = `In ${fmt(a)}, out ${fmt(b)}: ${fmtDuration(b - a)}`;
  else if (Number.isFinite(a)) text.textContent = `In ${fmt(a)}; mark out after it.`;
  else if (Number.isFinite(b)) text.textContent = `Out ${fmt(b)}; mark in before it.`;
  else text.textContent = 'Mark in and out to cut a clip.';
  text.title = ok ? `${fmtUTC(a)} – ${fmtUTC(b)}` : '';
  const link = $('clip-link');
  if (ok && state.channel) {
    link.href = clipURL(state.channel, a, b);
    link.removeAttribute('aria-disabled');
  } else {
    link.removeAttribute('href');
    link.setAttribute('aria-disabled', 'true');
  }
  $('export-mp4').disabled = !ok || apis.exports === false;
  $('record').disabled = !ok || apis.recordings === false;
  $('export-mp4').title = apis.exports === false ? 'this reapd serves no export API' : 'Export the marked window as an MP4 file';
  $('record').title = apis.recordings === false ? 'this reapd serves no recordings API' : 'Create a recording S-MPD of the marked window';
  const name = $('record-name');
  if (ok && !name.dataset.edited) name.value = `${state.channel}-${iso(a).slice(0, 19).replace(/[:]/g, '').replace('T', '-')}`;
  saveState(state);
}

const cursorOrPlay = () => (Number.isFinite(state.t) ? state.t : timeline.start + timeline.span / 2);

function bindControls() {
  document.querySelectorAll('[data-zoom]').forEach((b) => b.addEventListener('click', () =>
    timeline.zoom(b.dataset.zoom === 'in' ? 0.5 : 2, Number.isFinite(state.t) ? state.t : undefined)));
  document.querySelectorAll('[data-span]').forEach((b) => b.addEventListener('click', () =>
    timeline.center(cursorOrPlay(), Number(b.dataset.span) * 1000, { user: true })));
  $('go-live').addEventListener('click', () => {
    if (!state.channel) return;
    player.goLive(state.channel);
    const info = channels.info(state.channel);
    const last = info && info.last ? Date.parse(info.last) : Date.now();
    timeline.center(last - timeline.span * 0.4, timeline.span, { user: true });
  });
  $('goto').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = fromInput($('goto-input').value);
    if (!Number.isFinite(t)) return status('Not a date and time', true);
    timeline.center(t, timeline.span, { user: true });
    play(t);
  });
  $('utc-toggle').checked = zone.utc;
  $('utc-toggle').addEventListener('change', () => setUTC($('utc-toggle').checked));
  $('mark-in').addEventListener('click', () => setMarks(cursorOrPlay(), state.out));
  $('mark-out').addEventListener('click', () => setMarks(state.in, cursorOrPlay()));
  $('mark-clear').addEventListener('click', () => setMarks(NaN, NaN));
  $('record-name').addEventListener('input', () => { $('record-name').dataset.edited = '1'; });
  $('export-mp4').addEventListener('click', () => exportMP4());
  $('record-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const name = $('record-name').value.trim();
    jobs.record(name, state.in, state.out).then((r) => status(`Recording ${r.name}: ${r.state}`), showError);
  });
  // Links the browser would fetch without the read token.
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a#clip-link[href], a.result[download]');
    if (!a || !hasToken()) return;
    e.preventDefault();
    download(a.getAttribute('href'), a.getAttribute('download') || '').catch(showError);
  });
  document.addEventListener('click', (e) => {
    const b = e.target.closest('button.jump');
    if (!b) return;
    const a = Number(b.dataset.start);
    const z = Number(b.dataset.end);
    timeline.setView(a - (z - a) * 0.1, (z - a) * 1.2, { user: true });
  });
  $('help-button').addEventListener('click', () => {
    const h = $('help');
    h.hidden = !h.hidden;
    $('help-button').setAttribute('aria-expanded', String(!h.hidden));
  });
  document.addEventListener('keydown', (e) => {
    if (e.target.closest('input, textarea, select, dialog') || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'u') setUTC(!zone.utc);
    else if (e.key === '?') $('help-button').click();
    else if ((e.key === 'i' || e.key === 'o') && e.target === document.body) {
      if (e.key === 'i') setMarks(cursorOrPlay(), state.out);
      else setMarks(state.in, cursorOrPlay());
    }
  });
}

function setUTC(on) {
  zone.utc = on;
  state.utc = on;
  $('utc-toggle').checked = on;
  $('goto-input').value = toInput(cursorOrPlay());
  setMarks(state.in, state.out);
  describeCursor();
  channels.render();
  jobs.render();
  timeline.invalidate();
  saveState(state);
}

async function exportMP4() {
  const box = $('export-progress');
  const bar = box.querySelector('progress');
  const text = box.querySelector('span');
  box.hidden = false;
  bar.value = 0;
  text.textContent = 'starting…';
  try {
    const job = await jobs.exportMP4(state.in, state.out, (j) => {
      bar.value = j.progress || 0;
      text.textContent = `${j.state} ${Math.round(j.progress || 0)}%`;
    });
    if (job.state !== 'complete') throw new Error(`export ${job.id} ${job.state}${job.error ? `: ${job.error}` : ''}`);
    text.replaceChildren();
    for (const r of job.results || []) {
      const a = document.createElement('a');
      a.className = 'result export-download';
      a.href = exportFileURL(job, r);
      a.setAttribute('download', r.split('/').pop());
      a.textContent = `Download ${r.split('/').pop()}`;
      text.appendChild(a);
    }
    jobs.refresh();
  } catch (e) {
    text.textContent = e.message;
    showError(e);
  }
}

// Start: the view from the URL (centered on its time), then the data.
if (Number.isFinite(state.t)) {
  timeline.center(state.t, state.span);
  timeline.setCursor(state.t);
} else {
  timeline.center(Date.now() - state.span * 0.4, state.span);
}
bindControls();
setMarks(state.in, state.out);
describeCursor();
$('goto-input').value = toInput(cursorOrPlay());
channels.start();
window.addEventListener('hashchange', () => {
  const s = readState(location.hash);
  if (s.channel && s.channel !== state.channel) selectChannel(s.channel);
  if (Number.isFinite(s.t) && s.t !== state.t) {
    state.t = s.t;
    timeline.center(s.t, s.span || timeline.span);
    timeline.setCursor(s.t);
  }
});

// For the page's own tests and for debugging from the console.
window.reapdUI = { state, timeline, coverage, player, channels, jobs };
