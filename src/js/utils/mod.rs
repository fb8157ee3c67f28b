//! Natives behind the web-standard utilities (issue 6 §3): base64, UTF-8,
//! WHATWG URL parsing (the `url` crate), form encoding, hashes and HMAC
//! (`ring`), random values, structured clone and date formatting. The JS
//! classes around them live in `prelude_kv`.

mod date;

use base64::Engine as _;
use rquickjs::{Array, Ctx, Exception, Function, Object, TypedArray, Value};

use crate::js::clone::{bytes_of, from_value, to_value};

type B64 = base64::engine::general_purpose::GeneralPurpose;
const STD: B64 = base64::engine::general_purpose::STANDARD;
const URLSAFE: B64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
/// `atob` accepts input without padding (the WHATWG "forgiving" decode).
const FORGIVING: B64 = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

pub(crate) fn natives<'js>(ctx: &Ctx<'js>) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    o.set("btoa", Function::new(ctx.clone(), btoa)?)?;
    o.set("atob", Function::new(ctx.clone(), atob)?)?;
    o.set(
        "b64",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>, url: bool| {
            let b = bytes(&ctx, &v)?;
            Ok::<_, rquickjs::Error>(if url {
                URLSAFE.encode(b)
            } else {
                STD.encode(b)
            })
        })?,
    )?;
    o.set(
        "utf8Encode",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, s: String| {
            TypedArray::<u8>::new(ctx, s.into_bytes())
        })?,
    )?;
    o.set("utf8Decode", Function::new(ctx.clone(), utf8_decode)?)?;
    o.set("urlParse", Function::new(ctx.clone(), url_parse)?)?;
    o.set("urlSet", Function::new(ctx.clone(), url_set)?)?;
    o.set("formDecode", Function::new(ctx.clone(), form_decode)?)?;
    o.set(
        "formEncode",
        Function::new(ctx.clone(), |pairs: Vec<Vec<String>>| {
            let mut ser = form_urlencoded::Serializer::new(String::new());
            for p in &pairs {
                if let [k, v] = p.as_slice() {
                    ser.append_pair(k, v);
                }
            }
            ser.finish()
        })?,
    )?;
    o.set(
        "uuid",
        Function::new(ctx.clone(), || uuid::Uuid::new_v4().to_string())?,
    )?;
    o.set(
        "random",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, n: usize| {
            let mut buf = vec![0u8; n];
            rand::fill(&mut buf[..]);
            TypedArray::<u8>::new(ctx, buf)
        })?,
    )?;
    o.set("hash", Function::new(ctx.clone(), hash)?)?;
    o.set("hmac", Function::new(ctx.clone(), hmac)?)?;
    o.set(
        "timingSafeEqual",
        Function::new(
            ctx.clone(),
            |ctx: Ctx<'js>, a: Value<'js>, b: Value<'js>| {
                let (a, b) = (bytes(&ctx, &a)?, bytes(&ctx, &b)?);
                // Length is not secret; the contents are compared in full.
                let same = a.len() == b.len()
                    && a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0;
                Ok::<_, rquickjs::Error>(same)
            },
        )?,
    )?;
    o.set(
        "clone",
        Function::new(ctx.clone(), |ctx: Ctx<'js>, v: Value<'js>| {
            let kv = to_value(&ctx, v, 0)?;
            from_value(&ctx, kv)
        })?,
    )?;
    o.set("formatDate", Function::new(ctx.clone(), date::format_date)?)?;
    Ok(o)
}

fn bytes<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.to_string()?.into_bytes());
    }
    bytes_of(v).ok_or_else(|| {
        Exception::throw_type(ctx, "expected a string, a Uint8Array or an ArrayBuffer")
    })
}

fn invalid_character(ctx: &Ctx<'_>, msg: &str) -> rquickjs::Error {
    match Exception::from_message(ctx.clone(), msg) {
        Ok(e) => {
            let _ = e.set("name", "InvalidCharacterError");
            ctx.throw(e.into_value())
        }
        Err(e) => e,
    }
}

fn btoa(ctx: Ctx<'_>, s: String) -> rquickjs::Result<String> {
    let mut latin1 = Vec::with_capacity(s.len());
    for c in s.chars() {
        let Ok(b) = u8::try_from(u32::from(c)) else {
            return Err(invalid_character(
                &ctx,
                "btoa: the string contains a character above U+00FF; encode it first, e.g. btoa(String.fromCharCode(...new TextEncoder().encode(s)))",
            ));
        };
        latin1.push(b);
    }
    Ok(STD.encode(latin1))
}

fn atob(ctx: Ctx<'_>, s: String) -> rquickjs::Result<String> {
    let clean: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t' | '\n' | '\x0c' | '\r'))
        .collect();
    let bytes = if clean.len() % 4 == 1 {
        None
    } else {
        FORGIVING.decode(clean.as_bytes()).ok()
    };
    let Some(bytes) = bytes else {
        return Err(invalid_character(
            &ctx,
            "atob: the string is not valid base64",
        ));
    };
    Ok(bytes.into_iter().map(char::from).collect())
}

fn utf8_decode<'js>(
    ctx: Ctx<'js>,
    v: Value<'js>,
    fatal: bool,
    ignore_bom: bool,
) -> rquickjs::Result<String> {
    let b = if v.is_undefined() {
        Vec::new()
    } else {
        bytes_of(&v).ok_or_else(|| {
            Exception::throw_type(
                &ctx,
                "TextDecoder.decode: expected a Uint8Array, an ArrayBuffer or a view",
            )
        })?
    };
    let b = match b.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) if !ignore_bom => rest,
        _ => &b[..],
    };
    if fatal {
        return std::str::from_utf8(b).map(str::to_string).map_err(|e| {
            Exception::throw_type(
                &ctx,
                &format!("TextDecoder (fatal): the data is not valid UTF-8: {e}"),
            )
        });
    }
    Ok(String::from_utf8_lossy(b).into_owned())
}

fn url_record<'js>(ctx: &Ctx<'js>, u: &url::Url) -> rquickjs::Result<Object<'js>> {
    use url::quirks;
    let o = Object::new(ctx.clone())?;
    o.set("href", quirks::href(u))?;
    o.set("origin", quirks::origin(u))?;
    o.set("protocol", quirks::protocol(u))?;
    o.set("username", quirks::username(u))?;
    o.set("password", quirks::password(u))?;
    o.set("host", quirks::host(u))?;
    o.set("hostname", quirks::hostname(u))?;
    o.set("port", quirks::port(u))?;
    o.set("pathname", quirks::pathname(u))?;
    o.set("search", quirks::search(u))?;
    o.set("hash", quirks::hash(u))?;
    Ok(o)
}

fn url_parse<'js>(
    ctx: Ctx<'js>,
    input: String,
    base: Option<String>,
) -> rquickjs::Result<Object<'js>> {
    let parsed = match &base {
        Some(b) => url::Url::parse(b)
            .map_err(|e| format!("Invalid base URL {b:?}: {e}"))
            .and_then(|b| {
                b.join(&input)
                    .map_err(|e| format!("Invalid URL {input:?}: {e}"))
            }),
        None => url::Url::parse(&input).map_err(|e| format!("Invalid URL {input:?}: {e}")),
    };
    match parsed {
        Ok(u) => url_record(&ctx, &u),
        Err(m) => Err(Exception::throw_type(&ctx, &m)),
    }
}

/// A WHATWG URL setter: returns the new record (invalid values are
/// ignored, as the standard says).
fn url_set<'js>(
    ctx: Ctx<'js>,
    href: String,
    what: String,
    value: String,
) -> rquickjs::Result<Object<'js>> {
    use url::quirks;
    let mut u = url::Url::parse(&href).map_err(|e| Exception::throw_type(&ctx, &e.to_string()))?;
    let _ = match what.as_str() {
        "protocol" => quirks::set_protocol(&mut u, &value),
        "username" => quirks::set_username(&mut u, &value),
        "password" => quirks::set_password(&mut u, &value),
        "host" => quirks::set_host(&mut u, &value),
        "hostname" => quirks::set_hostname(&mut u, &value),
        "port" => quirks::set_port(&mut u, &value),
        "pathname" => {
            quirks::set_pathname(&mut u, &value);
            Ok(())
        }
        "search" => {
            quirks::set_search(&mut u, &value);
            Ok(())
        }
        "hash" => {
            quirks::set_hash(&mut u, &value);
            Ok(())
        }
        _ => Ok(()),
    };
    url_record(&ctx, &u)
}

fn form_decode<'js>(ctx: Ctx<'js>, s: String) -> rquickjs::Result<Array<'js>> {
    let arr = Array::new(ctx.clone())?;
    for (i, (k, v)) in form_urlencoded::parse(s.as_bytes()).enumerate() {
        let pair = Array::new(ctx.clone())?;
        pair.set(0, &*k)?;
        pair.set(1, &*v)?;
        arr.set(i, pair)?;
    }
    Ok(arr)
}

fn hash<'js>(
    ctx: Ctx<'js>,
    alg: String,
    data: Value<'js>,
) -> rquickjs::Result<TypedArray<'js, u8>> {
    use ring::digest;
    let algorithm = match alg.as_str() {
        "sha1" => &digest::SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => &digest::SHA256,
        "sha384" => &digest::SHA384,
        "sha512" => &digest::SHA512,
        _ => {
            return Err(Exception::throw_type(
                &ctx,
                &format!("crypto.hash: unknown algorithm {alg:?}; use \"sha256\", \"sha384\", \"sha512\" or \"sha1\""),
            ))
        }
    };
    let d = digest::digest(algorithm, &bytes(&ctx, &data)?);
    TypedArray::new_copy(ctx, d.as_ref())
}

fn hmac<'js>(
    ctx: Ctx<'js>,
    alg: String,
    key: Value<'js>,
    data: Value<'js>,
) -> rquickjs::Result<TypedArray<'js, u8>> {
    use ring::hmac;
    let algorithm = match alg.as_str() {
        "sha1" => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => hmac::HMAC_SHA256,
        "sha384" => hmac::HMAC_SHA384,
        "sha512" => hmac::HMAC_SHA512,
        _ => {
            return Err(Exception::throw_type(
                &ctx,
                &format!("crypto.hmac: unknown algorithm {alg:?}; use \"sha256\", \"sha384\", \"sha512\" or \"sha1\""),
            ))
        }
    };
    let key = hmac::Key::new(algorithm, &bytes(&ctx, &key)?);
    let tag = hmac::sign(&key, &bytes(&ctx, &data)?);
    TypedArray::new_copy(ctx, tag.as_ref())
}
