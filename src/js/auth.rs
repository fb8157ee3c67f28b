//! `req.auth` and the global `auth` (REQ-AUTH-004, REQ-JSAPI-005): who is
//! calling, built from a [`RequestAuth`] the HTTP layer resolved (from the
//! session cookie or a Bearer token), plus `escapeHtml`, `escapeJs` and
//! `withCsp` (REQ-SEC-002).
//!
//! The global `auth` is the current request's only while its handler runs
//! synchronously; after an `await` it reads as anonymous (fail closed), so
//! async handlers use `req.auth`.

use rquickjs::{Ctx, Function, Object, Value};

use super::ScriptRequest;

use crate::domain::RequestAuth;

/// Sets `req.auth` and the global `auth` for this call.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    req: &Object<'js>,
    r: &ScriptRequest,
) -> rquickjs::Result<()> {
    let internal: Object = ctx.globals().get("__aiwebengine")?;
    let next = login_next(r);
    // The common case, anonymous and not a browser page, allocates nothing.
    let value: Value = match (&r.auth, next) {
        (None, None) => internal.get("anonymous")?,
        (None, next) => internal
            .get::<_, Function>("makeAuth")?
            .call((Value::new_null(ctx.clone()), next))?,
        (Some(a), next) => internal
            .get::<_, Function>("makeAuth")?
            .call((data(ctx, a)?, next))?,
    };
    internal.set("currentAuth", value.clone())?;
    req.set("auth", value)
}

/// The global `auth` reads as anonymous again once the call returns (only
/// needed after a call that had a user).
pub(crate) fn clear(ctx: &Ctx<'_>) {
    if let Ok(internal) = ctx.globals().get::<_, Object>("__aiwebengine") {
        let _ = internal.set("currentAuth", Value::new_undefined(ctx.clone()));
    }
}

fn data<'js>(ctx: &Ctx<'js>, a: &RequestAuth) -> rquickjs::Result<Object<'js>> {
    let d = Object::new(ctx.clone())?;
    d.set("userId", a.user_id.as_str())?;
    d.set("userEmail", a.email.as_str())?;
    d.set("userName", a.name.as_str())?;
    d.set("provider", a.provider.as_str())?;
    d.set("role", a.role)?;
    d.set("groups", a.groups.to_vec())?;
    d.set("permissions", a.permissions.to_vec())?;
    match &a.scripts {
        Some(s) => d.set("scripts", s.to_vec())?,
        None => d.set("scripts", Value::new_null(ctx.clone()))?,
    }
    Ok(d)
}

/// Where `requireAuth()` sends a browser back to after login: only for a
/// GET or HEAD that accepts HTML.
fn login_next(r: &ScriptRequest) -> Option<String> {
    if r.method != "GET" && r.method != "HEAD" {
        return None;
    }
    let html = r
        .headers
        .iter()
        .any(|(k, v)| k == "accept" && v.contains("text/html"));
    html.then(|| match r.query.is_empty() {
        true => r.path.clone(),
        false => format!("{}?{}", r.path, r.query),
    })
}

/// Runs after the main prelude, with its internal object.
pub const PRELUDE: &str = r#"
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
        throw { status: 302, headers: { location: '/engine/admin/login?next=' + encodeURIComponent(next) }, body: '' };
      }
      throw deny(401, 'unauthorized', 'log in first: send the session cookie or Authorization: Bearer TOKEN');
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
"#;
