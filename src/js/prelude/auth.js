
(function (internal) {
  'use strict';
  const deny = (status, code, message) => ({
    status, contentType: 'application/json', body: { error: { code, message } },
  });
  const proto = {
    canManageScript(name) {
      return this.isAdmin || (this.isEditor && internal.authScripts.get(this).includes(String(name)));
    },
    hasPermission(name) {
      return this.isAdmin || internal.authPerms.get(this).includes(String(name));
    },
    currentUser() {
      if (!this.isAuthenticated) return null;
      return { id: this.userId, email: this.userEmail, name: this.userName,
        provider: this.provider, role: this.role, groups: this.groups.slice(),
        permissions: internal.authPerms.get(this).slice() };
    },
    requireAuth() {
      if (this.isAuthenticated) return this.currentUser();
      const next = internal.authNext.get(this);
      if (typeof next === 'string') {
        throw { status: 302, headers: { location: this.loginUrl(next) }, body: '' };
      }
      throw deny(401, 'unauthorized', 'log in first: send the session cookie or Authorization: Bearer TOKEN');
    },
    // The engine's login and logout pages; they follow only same-site paths.
    loginUrl(returnTo) {
      return '/engine/auth/login' + (returnTo === undefined || returnTo === null ? '' : '?return_to=' + encodeURIComponent(String(returnTo)));
    },
    logoutUrl(returnTo) {
      return '/engine/auth/logout' + (returnTo === undefined || returnTo === null ? '' : '?return_to=' + encodeURIComponent(String(returnTo)));
    },
    requireEditor() {
      const u = this.requireAuth();
      if (!this.isEditor) throw deny(403, 'forbidden', 'this needs the editor or admin role');
      return u;
    },
    requireAdmin() {
      const u = this.requireAuth();
      if (!this.isAdmin) throw deny(403, 'forbidden', 'this needs the admin role');
      return u;
    },
    requirePermission(name) {
      const u = this.requireAuth();
      if (!this.hasPermission(name)) throw deny(403, 'forbidden', 'this needs the permission ' + String(name));
      return u;
    },
  };
  // Hidden per-object data, out of reach of the script.
  internal.authScripts = new WeakMap();
  internal.authPerms = new WeakMap();
  internal.authNext = new WeakMap();
  const make = (d, next) => {
    const a = Object.create(proto);
    const role = d ? d.role : 'unauthenticated';
    a.isAuthenticated = !!d;
    a.userId = d ? d.userId : null;
    a.userEmail = d ? d.userEmail : null;
    a.userName = d ? d.userName : null;
    a.provider = d ? d.provider : null;
    a.role = role;
    a.isEditor = role === 'editor' || role === 'admin';
    a.isAdmin = role === 'admin';
    a.groups = Object.freeze(d ? d.groups : []);
    internal.authScripts.set(a, d && d.scripts ? d.scripts : []);
    internal.authPerms.set(a, d ? d.permissions : []);
    internal.authNext.set(a, next === undefined ? null : next);
    return Object.freeze(a);
  };
  const anonymous = make(null, null);
  internal.anonymous = anonymous;
  internal.makeAuth = (d, next) => (d === null && (next === null || next === undefined) ? anonymous : make(d, next));
  Object.defineProperty(globalThis, 'auth', {
    get() { return internal.currentAuth || anonymous; }, configurable: true,
  });
  const html = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  globalThis.escapeHtml = function escapeHtml(s) {
    return String(s === undefined || s === null ? '' : s).replace(/[&<>"']/g, (c) => html[c]);
  };
  globalThis.escapeJs = function escapeJs(s) {
    return String(s === undefined || s === null ? '' : s).replace(/[\\'"`\n\r\t<>&\u2028\u2029\0]/g,
      (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  };
  const strictCsp = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";
  globalThis.withCsp = function withCsp(response, policy) {
    if (policy !== undefined && (typeof policy !== 'string' || /[\r\n]/.test(policy))) {
      throw new TypeError('withCsp(response, policy): policy must be a one-line string');
    }
    const r = response !== null && typeof response === 'object' && !ArrayBuffer.isView(response) && !(response instanceof ArrayBuffer)
      ? Object.assign({}, response) : { body: response };
    r.headers = Object.assign({}, r.headers, { 'content-security-policy': policy === undefined ? strictCsp : policy });
    return r;
  };
})(globalThis.__aiwebengine);
