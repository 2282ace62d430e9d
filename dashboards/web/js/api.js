// REST access with the stored token. A 404 on a whole API (alarms, tickets not deployed yet)
// becomes a NotAvailable error the views show as a notice instead of crashing.

const TOKEN_KEY = 'heatwatch.token';

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {unknown} [body] */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The route answered 404 for the collection itself: that part of the API is not there. */
export class NotAvailable extends ApiError {}

export function getToken() {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

/** @param {string} token */
export function setToken(token) {
  localStorage.setItem(TOKEN_KEY, token);
}

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, optional?: boolean }} [opts] optional: 404 → NotAvailable
 * @returns {Promise<any>}
 */
export async function api(path, opts = {}) {
  return (await request(path, opts)).body;
}

/**
 * Every page of a paged list (`X-Next-Cursor`), concatenated.
 * @param {string} path with its filters; `cursor` is added
 * @param {{ optional?: boolean }} [opts]
 * @returns {Promise<any[]>}
 */
export async function apiAllPages(path, opts = {}) {
  /** @type {any[]} */
  const all = [];
  let cursor = null;
  // a bound, so a server that kept answering with a cursor could not loop the page forever
  for (let page = 0; page < 1000; page++) {
    const r = await request(cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : path, opts);
    all.push(...listOf(r.body, ['tickets', 'items']));
    cursor = r.headers.get('x-next-cursor');
    if (!cursor) break;
  }
  return all;
}

/**
 * @param {string} path
 * @param {{ method?: string, body?: unknown, optional?: boolean }} opts
 * @returns {Promise<{ body: any, headers: Headers }>}
 */
async function request(path, opts) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${getToken()}` };
  // a FormData body (an upload) sets its own multipart content type
  const form = opts.body instanceof FormData;
  if (opts.body !== undefined && !form) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : form ? /** @type {FormData} */ (opts.body) : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const msg = (body && typeof body === 'object' && body.message) || `${res.status} ${res.statusText}`;
    if (res.status === 404 && opts.optional) throw new NotAvailable(404, msg, body);
    throw new ApiError(res.status, msg, body);
  }
  return { body, headers: res.headers };
}

/**
 * A file the API serves behind the token (an attachment, a report), as a Blob: for an image
 * preview or a download through an object URL.
 * @param {string} path
 * @returns {Promise<Blob>}
 */
export async function apiBlob(path) {
  const res = await fetch(path, { headers: { authorization: `Bearer ${getToken()}` } });
  if (!res.ok) {
    const text = await res.text();
    let msg = `${res.status} ${res.statusText}`;
    try {
      msg = JSON.parse(text).message ?? msg;
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(res.status, msg);
  }
  return res.blob();
}

/**
 * Saves a file the API builds behind the token (a report, an export) as `filename`: fetched with
 * the Authorization header, handed to the browser through an object URL.
 * @param {string} path
 * @param {string} filename
 */
export async function saveDownload(path, filename) {
  const url = URL.createObjectURL(await apiBlob(path));
  const a = Object.assign(document.createElement('a'), { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // the browser has taken the file once the click returned; the URL only has to outlive it briefly
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A URL carrying the token as a query parameter (CSV download links, the websocket). */
export function withToken(/** @type {string} */ path) {
  return `${path}${path.includes('?') ? '&' : '?'}token=${encodeURIComponent(getToken())}`;
}

/** Accepts `[...]` or `{ items|alarms|tickets|events: [...] }`. */
export function listOf(/** @type {any} */ body, /** @type {string[]} */ keys) {
  if (Array.isArray(body)) return body;
  for (const k of keys) if (body && Array.isArray(body[k])) return body[k];
  return [];
}

/**
 * One load at a time: a call while `load` runs waits for one more run after it, and any number of
 * such calls share that run. A burst of live events (a hundred tickets in a city-wide outage) then
 * costs two loads, not a hundred overlapping ones that each page in and redraw the whole list, and
 * a caller that awaits still sees data fetched after it asked.
 * @param {() => Promise<void>} load
 * @returns {() => Promise<void>}
 */
export function oneAtATime(load) {
  /** @type {Promise<void> | null} */
  let running = null;
  /** @type {Promise<void> | null} */
  let next = null;
  const start = () => {
    running = load().finally(() => {
      running = null;
    });
    return running;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = null;
        return start();
      });
    return next;
  };
}
