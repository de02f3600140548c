// The console's one way to the server: /api/v1 on the same origin, with the session cookie
// (set by the API, HttpOnly) and the session's CSRF token in X-CSRF-Token on every change.
// Errors are the API's problem details (RFC 9457), thrown as ApiError.

let csrf = '';
export function setCSRF(token) { csrf = token || ''; }

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem && problem.detail ? problem.detail : `HTTP ${status}`);
    this.status = status;
    this.code = problem ? problem.code : '';
    this.problem = problem || {};
  }
}

// onUnauthenticated is called when the session ends under the console's feet.
let unauthenticated = () => {};
export function onUnauthenticated(fn) { unauthenticated = fn; }

export async function api(method, path, body, opts) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined && body !== null) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(`/api/v1${path}`, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let problem = null;
    if (type.startsWith('application/problem+json')) problem = await res.json();
    const err = new ApiError(res.status, problem);
    if (res.status === 401 && !(opts && opts.quiet401)) unauthenticated(err);
    throw err;
  }
  if (res.status === 204) return null;
  if (opts && opts.text) return res.text();
  if (type.startsWith('application/json')) return res.json();
  return res.text();
}

export const get = (path, opts) => api('GET', path, null, opts);
export const put = (path, body) => api('PUT', path, body);
export const post = (path, body) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

// query builds a query string from the non-empty values of an object.
export function query(o) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
