// api.js: the page's one door to reapd's HTTP API. Every request carries
// the read token (when the user gave one); a 401 asks for the token and
// retries, so the page works the same with and without read-side auth. A
// 401 to a request sent before the user gave the token is retried with
// it, without asking again.

const tokenKey = 'reapd-read-token';
let token = sessionStorage.getItem(tokenKey) || '';
let asking = null; // the pending token dialog, shared by concurrent 401s

/** An API answer that is not 2xx: status and the server's message. */
export class APIError extends Error {
  constructor(status, message, path) {
    super(`${path}: ${status} ${message}`);
    this.status = status;
    this.path = path;
    this.detail = message;
  }
}

/** The Authorization header for a request, or {} without a token. */
export function authHeaders() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Whether the user gave a read token. */
export function hasToken() {
  return token !== '';
}

/**
 * request sends one API call and returns its JSON (null for 204).
 * A 401 asks for the read token and tries again.
 */
export async function request(path, { method = 'GET', body, signal } = {}) {
  for (;;) {
    const sent = token;
    const headers = { ...authHeaders() };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path, {
      method, headers, signal, cache: 'no-cache',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status === 401) {
      await refused(sent);
      continue;
    }
    if (res.status === 204) return null;
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* a plain-text error */ }
    if (!res.ok) throw new APIError(res.status, (data && data.error) || text.trim() || res.statusText, path);
    return data;
  }
}

/** get is request for a GET that answers null when the endpoint or thing is missing (404, 405). */
export async function getOptional(path, opts) {
  try {
    return await request(path, opts);
  } catch (e) {
    if (e instanceof APIError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

/**
 * refused is what a 401 to a request sent with token sent waits for: a
 * token other than the one refused. A request sent before the user
 * entered the token (the page's first requests race the dialog) is
 * refused after the token is known: it is sent again with it, without
 * asking again.
 */
function refused(sent) {
  if (token !== sent) return Promise.resolve();
  return askToken(sent ? 'That token was refused. Enter a read token.' : undefined);
}

/** askToken opens the token dialog once for all callers waiting on a 401. */
export function askToken(why) {
  if (asking) return asking;
  const dialog = document.getElementById('token-dialog');
  const input = document.getElementById('token-input');
  if (why) document.getElementById('token-why').textContent = why;
  asking = new Promise((resolve) => {
    const form = document.getElementById('token-form');
    const done = (ev) => {
      ev.preventDefault();
      token = input.value.trim();
      sessionStorage.setItem(tokenKey, token);
      form.removeEventListener('submit', done);
      dialog.close();
      asking = null;
      resolve();
    };
    form.addEventListener('submit', done);
    dialog.showModal();
    input.focus();
  });
  return asking;
}

/** fetchBlob downloads a media URL with the token (for links a browser cannot send a header with). */
export async function fetchBlob(url) {
  for (;;) {
    const sent = token;
    const res = await fetch(url, { headers: authHeaders() });
    if (res.status === 401) { await refused(sent); continue; }
    if (!res.ok) throw new APIError(res.status, (await res.text()).trim(), url);
    return res.blob();
  }
}

/** enc percent-encodes one path segment. */
export const enc = encodeURIComponent;
