// The API client: same origin, the session cookie, and the session's CSRF
// token on every state change. Errors carry the API's message.
let csrf = '';
export function setCSRF(token) { csrf = token || ''; }

export class APIError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status; this.code = code; this.details = details || [];
  }
}

export async function api(method, path, body, opts = {}) {
  const headers = {...(opts.headers || {})};
  let payload = body;
  if (body !== undefined && !(body instanceof FormData)) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  const res = await fetch(path, {method, headers, body: payload, credentials: 'same-origin'});
  if (res.status === 204) return null;
  const ct = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let e = {code: 'http_' + res.status, message: res.statusText, details: []};
    if (ct.includes('json')) { try { e = (await res.json()).error || e; } catch { /* keep */ } }
    throw new APIError(res.status, e.code, e.message, e.details);
  }
  if (opts.raw) return res;
  return ct.includes('json') ? res.json() : res.text();
}
export const get = (p, o) => api('GET', p, undefined, o);
export const post = (p, b, o) => api('POST', p, b, o);
export const del = (p, o) => api('DELETE', p, undefined, o);

// poll waits for a background job, calling onProgress(job) as it goes.
export async function pollJob(id, onProgress, everyMs = 500) {
  for (;;) {
    const j = await get(`/api/v1/jobs/${id}`);
    onProgress?.(j);
    if (j.status !== 'running') return j;
    await new Promise(r => setTimeout(r, everyMs));
  }
}
