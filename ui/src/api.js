// Calls to the JSON management API. Every failure becomes an ApiError whose
// message is the server's own message, so the UI never just says "Error".
//
// Auth: the session cookie that POST /engine/auth/login sets (HttpOnly,
// SameSite=Lax; the page never sees the token). Unsafe requests also send
// the session's CSRF token in X-CSRF-Token, read from the aiwebengine_csrf
// cookie (the browser adds a same-origin Origin header itself). The server
// slides a session on use; while the user is active without making calls
// (typing in the editor), POST /engine/auth/refresh keeps it alive.

const CSRF_COOKIE = 'aiwebengine_csrf';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const REFRESH_MS = 30 * 60 * 1000;

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

// The logged-in user, from GET /engine/api/me (null when logged out).
let me = null;
export const currentUser = () => me;
export const isAdmin = () => Boolean(me && me.role === 'admin');
export const isEditor = () => Boolean(me && (me.role === 'editor' || me.role === 'admin'));

function csrfToken() {
  const m = document.cookie.match(new RegExp(`(?:^|;\\s*)${CSRF_COOKIE}=([^;]*)`));
  if (m) return decodeURIComponent(m[1]);
  return (me && me.csrf_token) || '';
}

// Who is logged in, or null. A 401 here only means "not logged in".
// Login sets both cookies with the same lifetime: without the readable
// CSRF cookie there is no session to ask about (and no 401 in the console).
export async function loadMe() {
  if (!csrfToken()) {
    me = null;
    return me;
  }
  try {
    me = await api('GET', '/engine/api/me', { quiet: true });
  } catch (e) {
    if (e.status !== 401) throw e;
    me = null;
  }
  return me;
}

// Resolves to the user, or, when the account needs its second factor, to
// the server's pending answer ({ totp_required: true, enrol }): finish
// with finishTotp(code) (after pendingEnrol() when enrol is true).
export async function login(email, password) {
  const res = await api('POST', '/engine/auth/login', { json: { email, password }, quiet: true });
  if (res && res.totp_required) return res;
  return sessionStarted();
}

// The second login step; the pending handle travels in its HttpOnly cookie.
// Resolves to the recovery codes when this step finished a forced enrolment.
export async function finishTotp(code) {
  const res = await api('POST', '/engine/auth/totp', { json: { code }, quiet: true });
  await sessionStarted();
  return (res && res.recovery_codes) || null;
}

// The enrolment a pending login needs (role requires TOTP, none yet).
export function pendingEnrol() {
  return api('POST', '/engine/auth/totp/enrol', { quiet: true });
}

async function sessionStarted() {
  lastRefresh = Date.now();
  if (!await loadMe()) {
    throw new ApiError(0, 'no_cookie', 'The server accepted the login, but the browser did not keep the session cookie. '
      + 'Allow cookies for this site (and use https:// if the server runs over HTTPS).');
  }
  return me;
}

// Ends the session on the server (which clears the cookies).
export async function logout() {
  try {
    await api('POST', '/engine/auth/logout', { quiet: true });
  } finally {
    me = null;
  }
}

// Forget the user without a call (the server already ended the session).
export function forget() {
  me = null;
}

export async function api(method, path, { json, body, quiet = false } = {}) {
  const headers = {};
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  }
  if (!SAFE.has(method)) {
    const token = csrfToken();
    if (token) headers['x-csrf-token'] = token;
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
  if (res.status === 401 && !quiet && me) {
    me = null;
    onUnauthorized(message);
  }
  throw error;
}

// Sliding refresh while the user works without calling the server.
let lastRefresh = Date.now();
let lastActivity = 0;
const active = () => { lastActivity = Date.now(); };
for (const ev of ['keydown', 'pointerdown']) document.addEventListener(ev, active, { capture: true, passive: true });

export async function refresh() {
  await api('POST', '/engine/auth/refresh');
  lastRefresh = Date.now();
}

setInterval(() => {
  if (!me || !me.session_id) return;
  if (lastActivity > lastRefresh && Date.now() - lastRefresh > REFRESH_MS) refresh().catch(() => {});
}, 60 * 1000);

export const scriptPath = (name) => `/engine/api/scripts/${encodeURIComponent(name)}`;
