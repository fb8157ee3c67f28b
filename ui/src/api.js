// Calls to the JSON management API. Every failure becomes an ApiError whose
// message is the server's own message, so the UI never just says "Error".
//
// Auth for now: the token from POST /engine/auth/login, kept in
// sessionStorage and sent as `Authorization: Bearer`. (Cookie sessions with
// CSRF protection come with accounts, issue 4 §1.)

const TOKEN = 'aiwebengine.token';
const USER = 'aiwebengine.user';

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details || {};
  }
}

let onUnauthorized = () => {};
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

export function session() {
  const token = sessionStorage.getItem(TOKEN);
  if (!token) return null;
  try {
    return { token, user: JSON.parse(sessionStorage.getItem(USER) || '{}') };
  } catch {
    return { token, user: {} };
  }
}

export function logout() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}

export async function login(email, password) {
  const data = await api('POST', '/engine/auth/login', { json: { email, password } });
  sessionStorage.setItem(TOKEN, data.token);
  sessionStorage.setItem(USER, JSON.stringify(data.user || {}));
  return data.user;
}

export async function api(method, path, { json, body } = {}) {
  const headers = {};
  const s = session();
  if (s) headers.authorization = `Bearer ${s.token}`;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  }
  let res;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, 'network', `Could not reach the server (${e.message}). Is it running?`);
  }
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (res.ok) return data;
  const err = data && data.error;
  const message = err && err.message
    ? err.message
    : `${res.status} ${res.statusText || 'error'}${text ? `: ${text.slice(0, 300)}` : ''}`;
  const error = new ApiError(res.status, (err && err.code) || `http_${res.status}`, message, err);
  if (res.status === 401 && path !== '/engine/auth/login') {
    logout();
    onUnauthorized(message);
  }
  throw error;
}

export const scriptPath = (name) => `/engine/api/scripts/${encodeURIComponent(name)}`;
