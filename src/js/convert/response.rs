//! A handler's value as a response: `{status, body, contentType, headers}`,
//! a string, bytes, an async iterable or a WHATWG `Response`, validated as
//! REQ-HTTP-003 asks.

use bytes::Bytes;
use rquickjs::{ArrayBuffer, Ctx, Object, TypedArray, Value};

use crate::js::call::internal;
use crate::js::stream_body::is_async_iterable;
use crate::js::{FailureKind, ResponseBody, ScriptFailure, ScriptResponse};

/// Result of converting a handler's return value.
pub(crate) struct Converted<'js> {
    pub response: ScriptResponse,
    pub warnings: Vec<String>,
    /// An async iterable to stream as the body; the response's own body is
    /// empty until the caller opens the stream.
    pub stream: Option<Value<'js>>,
}

/// Headers that describe one connection or one framing, never a body
/// passed on from a `Response` (the engine frames the body itself).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "content-length",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Validates and converts. Problems that make the response wrong are
/// errors, except in `dev` where they become warnings and a best effort.
pub(crate) fn to_response<'js>(
    ctx: &Ctx<'js>,
    v: Value<'js>,
    dev: bool,
    responses: bool,
) -> Result<Converted<'js>, ScriptFailure> {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut status = 200u16;
    let mut headers: Vec<(String, String)> = Vec::new();
    let mut content_type: Option<String> = None;
    let mut framed_here = false;
    let body_value = if v.is_string() || is_bytes(&v) || is_async_iterable(&v) {
        v
    } else if let Some(parts) = responses
        .then(|| response_parts(ctx, &v, &mut problems))
        .flatten()
    {
        framed_here = true;
        status = read_status(&parts, &mut problems);
        read_header_pairs(&parts, &mut headers, &mut problems);
        parts
            .get::<_, Value>("body")
            .unwrap_or_else(|_| Value::new_undefined(ctx.clone()))
    } else if let Some(obj) = v.as_object().filter(|_| !v.is_function() && !v.is_array()) {
        status = read_status(obj, &mut problems);
        read_headers(obj, &mut headers, &mut problems);
        content_type = obj
            .get::<_, Option<rquickjs::Coerced<String>>>("contentType")
            .ok()
            .flatten()
            .map(|c| c.0);
        obj.get::<_, Value>("body")
            .unwrap_or_else(|_| Value::new_undefined(ctx.clone()))
    } else {
        problems.push(format!(
            "the handler returned {}; return a string, a Response or an object {{status, body, contentType, headers}}",
            describe_type(&v)
        ));
        Value::new_undefined(ctx.clone())
    };
    let stream = is_async_iterable(&body_value).then(|| body_value.clone());
    let (body, default_type) = match stream {
        Some(_) => (Bytes::new(), "text/plain; charset=utf-8"),
        None => read_body(ctx, &body_value, &mut problems),
    };
    if stream.is_some() || framed_here {
        headers.retain(|(k, _)| !HOP_BY_HOP.contains(&k.as_str()));
    }
    if let Some(ct) = &content_type {
        if ct.contains(['\r', '\n']) {
            problems.push("contentType contains CR or LF; remove the line break".into());
            content_type = None;
        }
    }
    let ct = content_type.unwrap_or_else(|| default_type.to_string());
    if (stream.is_some() || !body.is_empty()) && (status == 204 || status == 304) {
        warnings.push(format!("a {status} response must not have a body; the body is sent anyway but clients will ignore it"));
    }
    if ct.starts_with("text/plain") && looks_like_html(&body) {
        warnings.push("the body looks like HTML but contentType is text/plain; browsers will show the markup as text".into());
    }
    if !ct.is_empty()
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type".into(), ct));
    }
    let response = ScriptResponse {
        status,
        headers,
        body: ResponseBody::Full(body),
        value_json: None,
    };
    if problems.is_empty() {
        return Ok(Converted {
            response,
            warnings,
            stream,
        });
    }
    Err(ScriptFailure {
        kind: FailureKind::InvalidResponse,
        message: format!("invalid response: {}", problems.join("; ")),
        stack: None,
        line: None,
        column: None,
        best_effort: (dev && stream.is_none()).then(|| Box::new(response)),
    })
}

/// `{status, headers: [[name, value]], body}` of a WHATWG `Response`, from
/// the hook the fetch prelude installs when it loads (no Response can exist
/// before that). None when `v` is not a Response.
fn response_parts<'js>(
    ctx: &Ctx<'js>,
    v: &Value<'js>,
    problems: &mut Vec<String>,
) -> Option<Object<'js>> {
    v.as_object()?;
    let hook: rquickjs::Function = internal(ctx).ok()?.get("responseParts").ok()?;
    match hook.call::<_, Value>((v.clone(),)) {
        Ok(parts) => parts.into_object(),
        Err(e) => {
            let msg = match e {
                rquickjs::Error::Exception => {
                    let ex = ctx.catch();
                    ex.as_exception()
                        .and_then(|x| x.message())
                        .unwrap_or_else(|| "the Response could not be read".into())
                }
                other => other.to_string(),
            };
            problems.push(msg);
            Object::new(ctx.clone()).ok()
        }
    }
}

fn read_header_pairs(
    parts: &Object<'_>,
    out: &mut Vec<(String, String)>,
    problems: &mut Vec<String>,
) {
    let Ok(pairs) = parts.get::<_, Vec<Vec<String>>>("headers") else {
        return;
    };
    for pair in pairs {
        let [name, value] = pair.as_slice() else {
            continue;
        };
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            problems.push(format!("header name {name:?} is not a valid HTTP token"));
        } else if value.contains(['\r', '\n', '\0']) {
            problems.push(format!("header {name} contains CR, LF or NUL"));
        } else {
            out.push((name.to_ascii_lowercase(), value.clone()));
        }
    }
}

fn read_status(obj: &Object<'_>, problems: &mut Vec<String>) -> u16 {
    let Ok(v) = obj.get::<_, Value>("status") else {
        return 200;
    };
    if v.is_undefined() || v.is_null() {
        return 200;
    }
    if let Some(s) = v.as_string().and_then(|s| s.to_string().ok()) {
        problems.push(format!(
            "status must be a number, not the string \"{s}\"; write status: {}",
            s.trim()
        ));
        return s
            .trim()
            .parse()
            .ok()
            .filter(|n| (100..=599).contains(n))
            .unwrap_or(500);
    }
    let n = v.as_number().unwrap_or(f64::NAN);
    if n.fract() == 0.0 && (100.0..=599.0).contains(&n) {
        return n as u16;
    }
    let hint = suggest_status(n)
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default();
    problems.push(format!(
        "status {n} is not a valid HTTP status; use a whole number from 100 to 599{hint}"
    ));
    suggest_status(n).unwrap_or(500)
}

/// 2000 -> 200, 4040 -> 404, 20 -> 200: drop or add zeros until it fits.
fn suggest_status(n: f64) -> Option<u16> {
    if !n.is_finite() || n <= 0.0 {
        return None;
    }
    let mut x = n.trunc();
    while x > 599.0 {
        x = (x / 10.0).trunc();
    }
    while x < 100.0 {
        x *= 10.0;
    }
    Some(x as u16).filter(|s| (100..=599).contains(s))
}

fn read_headers(obj: &Object<'_>, out: &mut Vec<(String, String)>, problems: &mut Vec<String>) {
    let Ok(Some(h)) = obj.get::<_, Option<Object>>("headers") else {
        return;
    };
    // Names as JS strings: an Atom -> String conversion would stop at a NUL
    // and let "x-a\0b" pass the token check as "x-a".
    for entry in h.props::<rquickjs::String, rquickjs::Coerced<String>>() {
        let Ok((name, value)) = entry else {
            problems.push("headers must be an object of name: string".into());
            continue;
        };
        let Ok(name) = name.to_string() else {
            problems.push("headers must be an object of name: string".into());
            continue;
        };
        let value = value.0;
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            problems.push(format!(
                "header name {name:?} is not a valid HTTP token; use letters, digits and '-'"
            ));
        } else if value.contains(['\r', '\n', '\0']) {
            problems.push(format!("header {name} contains CR, LF or NUL; remove the line break (it would allow header injection)"));
        } else {
            out.push((name.to_ascii_lowercase(), value));
        }
    }
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_bytes(v: &Value<'_>) -> bool {
    v.as_object().is_some_and(|o| {
        TypedArray::<u8>::from_object(o.clone()).is_ok()
            || ArrayBuffer::from_object(o.clone()).is_some()
    })
}

fn read_body<'js>(
    ctx: &Ctx<'js>,
    v: &Value<'js>,
    problems: &mut Vec<String>,
) -> (Bytes, &'static str) {
    if v.is_undefined() || v.is_null() {
        return (Bytes::new(), "");
    }
    if let Some(s) = v.as_string() {
        let s = s.to_string().unwrap_or_default();
        if s.is_empty() {
            return (Bytes::new(), "");
        }
        let ct = if looks_like_html(s.as_bytes()) {
            "text/html; charset=utf-8"
        } else {
            "text/plain; charset=utf-8"
        };
        return (Bytes::from(s), ct);
    }
    if let Some(obj) = v.as_object() {
        if let Ok(ta) = TypedArray::<u8>::from_object(obj.clone()) {
            // SAFETY: the slice is copied at once, while this thread holds the
            // context and no JS can run to detach or resize the buffer.
            let bytes = unsafe { ta.as_slice() }.to_vec();
            return (Bytes::from(bytes), "application/octet-stream");
        }
        if let Some(ab) = ArrayBuffer::from_object(obj.clone()) {
            // SAFETY: as above; the bytes are copied before any JS runs.
            let bytes = unsafe { ab.as_bytes() }.unwrap_or_default().to_vec();
            return (Bytes::from(bytes), "application/octet-stream");
        }
    }
    if v.is_function() || v.is_symbol() {
        problems.push(format!("body is {}; return a string, a Uint8Array, an async iterable (to stream) or a plain object (did you forget to call the function?)", describe_type(v)));
        return (Bytes::new(), "");
    }
    if v.is_object() {
        return match ctx.json_stringify(v.clone()) {
            Ok(Some(s)) => (
                Bytes::from(s.to_string().unwrap_or_default()),
                "application/json",
            ),
            _ => {
                let _ = ctx.catch();
                problems.push(
                    "body object could not be serialized as JSON (a cycle or a BigInt?)".into(),
                );
                (Bytes::new(), "")
            }
        };
    }
    let text = v
        .get::<rquickjs::Coerced<String>>()
        .map(|c| c.0)
        .unwrap_or_default();
    (Bytes::from(text), "text/plain; charset=utf-8")
}

fn describe_type(v: &Value<'_>) -> String {
    if v.is_undefined() {
        "undefined".into()
    } else if v.is_null() {
        "null".into()
    } else if v.is_function() {
        "a function".into()
    } else if v.is_symbol() {
        "a symbol".into()
    } else if v.is_array() {
        "an array".into()
    } else if v.is_number() {
        "a number".into()
    } else if v.is_bool() {
        "a boolean".into()
    } else {
        format!("a {}", v.type_name())
    }
}

fn looks_like_html(body: &[u8]) -> bool {
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 9)];
    head.len() >= 5
        && (head.eq_ignore_ascii_case(b"<!doctype") || head[..5].eq_ignore_ascii_case(b"<html"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn status_suggestions() {
        assert_eq!(super::suggest_status(2000.0), Some(200));
        assert_eq!(super::suggest_status(4040.0), Some(404));
        assert_eq!(super::suggest_status(20.0), Some(200));
    }

    #[test]
    fn html_detection() {
        assert!(super::looks_like_html(b"  <!DOCTYPE html>"));
        assert!(super::looks_like_html(b"<HTML>"));
        assert!(!super::looks_like_html(b"<div>"));
    }
}
