//! `req` objects in, `{status, body, contentType, headers}` out, with the
//! response validation of REQ-HTTP-003 (in `response`).

mod response;

use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, TypedArray, Value};

use super::names::{Defined, Name, Names};
use super::upload::{file_object, Uploads};
use super::ScriptRequest;

pub(crate) use response::to_response;

pub(crate) fn build_request<'js>(
    ctx: &Ctx<'js>,
    r: &ScriptRequest,
    uploads: &Uploads,
    names: &Names,
) -> rquickjs::Result<Object<'js>> {
    let internal = names.internal(ctx)?;
    // text()/formData()/arrayBuffer()/bytes()/bodyUsed: one shared prototype,
    // given at creation (a prototype set afterwards unhashes the shape).
    let proto = names.object(ctx, &internal, Name::ReqProto)?;
    let req = Object::new_proto(ctx.clone(), Some(&proto))?;
    let mut defined = Defined::new();
    let mut str_prop = |name: Name, value: &str| {
        defined.push(name);
        names.define_str(ctx, &req, name, value)
    };
    str_prop(Name::Method, r.method.as_str())?;
    str_prop(Name::Path, r.path.as_str())?;
    str_prop(Name::Url, &full_url(r))?;
    str_prop(Name::Version, r.version)?;
    // `req.headers` is made from this text on first read (`reqProto`'s
    // getter): one string instead of a name, a value and a shape step per
    // header (issue 14).
    defined.push(Name::RawHeaders);
    names.with_scratch(|text| {
        packed_headers(r, text);
        names.define_str(ctx, &req, Name::RawHeaders, text)
    })?;
    let mut prop = |name: Name, value: Value<'js>| {
        defined.push(name);
        names.define(ctx, &req, name, value)
    };
    // An empty `query` or `params` is inherited, as `cookies` below.
    if !r.query.is_empty() {
        let query = multi_map(ctx, form_urlencoded::parse(r.query.as_bytes()))?;
        prop(Name::Query, query.into_value())?;
    }
    if !r.params.is_empty() {
        let params = Object::new(ctx.clone())?;
        for (k, v) in &r.params {
            params.set(k.as_str(), v.as_str())?;
        }
        prop(Name::Params, params.into_value())?;
    }
    let content_type = r
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // `cookies`, `form`, `files` and `json` are set only when the request
    // has them; otherwise `req` inherits an empty default from `reqProto`,
    // made on first read (issue 14: most requests have none of them).
    if r.headers.contains_key(http::header::COOKIE) {
        prop(Name::Cookies, cookies(ctx, r)?.into_value())?;
    }
    let body = String::from_utf8_lossy(&r.body);
    let mut str_prop = |name: Name, value: &str| {
        defined.push(name);
        names.define_str(ctx, &req, name, value)
    };
    str_prop(Name::Ip, r.ip.as_str())?;
    str_prop(Name::RequestId, &r.request_id)?;
    str_prop(Name::Body, &body)?;
    if matches!(body, std::borrow::Cow::Owned(_)) {
        // Not UTF-8: the body methods read the exact bytes from here.
        let raw = TypedArray::<u8>::new_copy(ctx.clone(), &r.body[..])?;
        req.prop(RAW_BODY, Property::from(raw))?;
        defined.other();
    }
    let mut prop = |name: Name, value: Value<'js>| {
        defined.push(name);
        names.define(ctx, &req, name, value)
    };
    if content_type.contains("json") && !body.trim().is_empty() {
        let json = ctx.json_parse(body.as_bytes()).unwrap_or_else(|_| {
            // A malformed JSON body is not the handler's failure: `json` is null.
            let _ = ctx.catch();
            Value::new_null(ctx.clone())
        });
        prop(Name::Json, json)?;
    }
    if let Some(form) = &r.form {
        let form = multi_map(ctx, form.iter().map(|(k, v)| (k.into(), v.into())))?;
        prop(Name::Form, form.into_value())?;
    }
    if !r.files.is_empty() {
        let files = Array::new(ctx.clone())?;
        for (i, f) in r.files.iter().enumerate() {
            files.set(i, file_object(ctx, uploads, f)?)?;
        }
        prop(Name::Files, files.into_value())?;
    }
    let auth = super::auth::install_with(ctx, names, &internal, r)?;
    prop(Name::Auth, auth)?;
    if defined.exact() {
        names.keep_shapes(ctx, &internal, &proto, &defined)?;
    }
    Ok(req)
}

/// The request's headers as `name NUL value NUL …`, each name once, its
/// values joined with ", " in order (header names and values cannot hold
/// NUL). The prelude's `req.headers` getter splits it.
pub(super) fn packed_headers(r: &ScriptRequest, out: &mut String) {
    out.clear();
    // A HeaderMap yields each name's values one after another, so a
    // repeated name is the previous one: no lookup per header.
    let mut last: Option<&http::HeaderName> = None;
    for (name, value) in &r.headers {
        if last == Some(name) {
            out.push_str(", ");
        } else {
            if last.is_some() {
                out.push('\0');
            }
            out.push_str(name.as_str());
            out.push('\0');
            last = Some(name);
        }
        out.push_str(&String::from_utf8_lossy(value.as_bytes()));
    }
}

/// The hidden property holding a body that is not valid UTF-8 (`req.body`
/// holds it with U+FFFD replacements). The prelude reads it by this name.
const RAW_BODY: &str = "__rawBody";

/// `scheme://host/path?query`; the origin is `http://localhost` for calls
/// that are not HTTP requests.
fn full_url(r: &ScriptRequest) -> String {
    let origin = if r.origin.is_empty() {
        "http://localhost"
    } else {
        &r.origin
    };
    let mut url = String::with_capacity(origin.len() + r.path.len() + r.query.len() + 1);
    url.push_str(origin);
    url.push_str(&r.path);
    if !r.query.is_empty() {
        url.push('?');
        url.push_str(&r.query);
    }
    url
}

/// Repeated keys become arrays, in order.
fn multi_map<'js, 'a>(
    ctx: &Ctx<'js>,
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    let mut seen: Vec<std::borrow::Cow<'a, str>> = Vec::new();
    for (k, v) in pairs {
        // Only a repeated key is read back from JS (issue 14).
        if !seen.contains(&k) {
            obj.set(&*k, &*v)?;
            seen.push(k);
            continue;
        }
        let k: &str = &k;
        match obj.get::<_, Value>(k)? {
            prev if prev.is_undefined() => obj.set(k, &*v)?,
            prev if prev.is_array() => {
                let arr = prev.into_array().expect("checked is_array");
                arr.set(arr.len(), &*v)?;
            }
            prev => {
                let arr = Array::new(ctx.clone())?;
                arr.set(0, prev)?;
                arr.set(1, &*v)?;
                obj.set(k, arr)?;
            }
        }
    }
    Ok(obj)
}

fn cookies<'js>(ctx: &Ctx<'js>, r: &ScriptRequest) -> rquickjs::Result<Object<'js>> {
    let obj = Object::new(ctx.clone())?;
    for header in r.headers.get_all(http::header::COOKIE) {
        let header = String::from_utf8_lossy(header.as_bytes());
        for pair in header.split(';') {
            if let Some((k, v)) = pair.split_once('=') {
                let v = v.trim().trim_matches('"');
                let v = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                obj.set(k.trim(), &*v)?;
            }
        }
    }
    Ok(obj)
}
