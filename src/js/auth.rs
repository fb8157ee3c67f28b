//! `req.auth` and the global `auth` (REQ-AUTH-004, REQ-JSAPI-005): who is
//! calling, built from a [`RequestAuth`] the HTTP layer resolved (from the
//! session cookie or a Bearer token), plus `escapeHtml`, `escapeJs` and
//! `withCsp` (REQ-SEC-002).
//!
//! The global `auth` is the current request's only while its handler runs
//! synchronously; after an `await` it reads as anonymous (fail closed), so
//! async handlers use `req.auth`.

use rquickjs::{Ctx, Function, Object, Value};

use super::names::{Name, Names};
use super::ScriptRequest;

use crate::domain::RequestAuth;

/// Sets the global `auth` for this call and returns the value for
/// `req.auth`, with the prelude's internal object already at hand.
pub(crate) fn install_with<'js>(
    ctx: &Ctx<'js>,
    names: &Names,
    internal: &Object<'js>,
    r: &ScriptRequest,
) -> rquickjs::Result<Value<'js>> {
    let next = login_next(r);
    // The common case, anonymous and not a browser page, allocates nothing.
    let value: Value = match (&r.auth, next) {
        (None, None) => names.get(ctx, internal, Name::Anonymous)?,
        (None, next) => internal
            .get::<_, Function>("makeAuth")?
            .call((Value::new_null(ctx.clone()), next))?,
        (Some(a), next) => internal
            .get::<_, Function>("makeAuth")?
            .call((data(ctx, a)?, next))?,
    };
    names.define(ctx, internal, Name::CurrentAuth, value.clone())?;
    Ok(value)
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
        .get_all(http::header::ACCEPT)
        .iter()
        .any(|v| String::from_utf8_lossy(v.as_bytes()).contains("text/html"));
    html.then(|| match r.query.is_empty() {
        true => r.path.clone(),
        false => format!("{}?{}", r.path, r.query),
    })
}

/// Runs after the main prelude, with its internal object.
pub const PRELUDE: &str = include_str!("prelude/auth.js");
