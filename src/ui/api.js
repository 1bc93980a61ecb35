// api.js -- the public API (/v1/...) with the user's bearer token.
//
// The token lives in sessionStorage (this tab only, gone when the tab
// closes) and travels only in the Authorization header: never in a URL.

const TOKEN_KEY = 'casusd.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(t, who) {
  sessionStorage.setItem(TOKEN_KEY, t);
  if (who) sessionStorage.setItem(WHO_KEY, JSON.stringify(who));
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(WHO_KEY);
}

// Who the token is (GET /v1/me: id, role, org, creates), kept beside it; null when not known.
const WHO_KEY = 'casusd.wie';
export function who() {
  try {
    return JSON.parse(sessionStorage.getItem(WHO_KEY));
  } catch (err) {
    return null;
  }
}

// An error reply of the API: {"error": {"code", "message", "rule"}}.
export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.rule = e.rule || null;
    this.field = e.field || null; // the data field a 422 invalid_data refused
  }
}

// Called when the server no longer knows the token (401): app.js logs out.
let onUnauthenticated = () => {};
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

// One request; resolves to the parsed JSON body or throws an ApiError.
export async function api(method, path, body, extraHeaders) {
  const headers = { Authorization: 'Bearer ' + (token() || ''), Accept: 'application/json', ...extraHeaders };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const resp = await fetch(path, init);
  let parsed = null;
  const text = await resp.text();
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (!resp.ok) {
    const err = new ApiError(resp.status, parsed);
    if (resp.status === 401) onUnauthenticated(err);
    throw err;
  }
  return parsed;
}

export const get = (path) => api('GET', path);

// A query string of the non-empty values of params.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

// The charts do not change while the server runs: each is fetched once per tab.
const charts = new Map();
export function chart(ref) {
  if (!charts.has(ref)) {
    const p = get('/v1/statecharts/' + ref);
    p.catch(() => charts.delete(ref));
    charts.set(ref, p);
  }
  return charts.get(ref);
}

// A fresh Idempotency-Key (also outside a secure context, where crypto.randomUUID is missing).
export function idempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return 'ui-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
