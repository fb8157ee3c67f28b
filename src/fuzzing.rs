//! Entry points for the fuzz targets in `fuzz/` (issue 15): thin wrappers
//! over parsers that are not public otherwise, so that `cargo fuzz` drives
//! the same code a request does. Not an API; nothing in the server calls it.

use std::path::Path;
use std::sync::Arc;

use crate::graphql::{GqlKind, GqlSpec};
use crate::js::{Invocation, Invoker};
use crate::scripts::routes::LoadedScript;

/// What a request body parsed into: form fields and files.
pub struct BodySummary {
    pub body_len: usize,
    pub fields: Option<Vec<(String, String)>>,
    pub files: usize,
}

/// Reads `body` sent with `content_type` as a script route with a body
/// limit of `limit` bytes does (urlencoded forms, multipart with files
/// spooled under `data`'s spool folder, anything else raw).
pub async fn script_body(
    content_type: &str,
    body: Vec<u8>,
    limit: u64,
    data: &Path,
) -> Result<BodySummary, String> {
    let limits = crate::http::spool::BodyLimits {
        limit,
        keep_raw: limit,
        idle: None,
    };
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/fuzz")
        .header("content-type", content_type)
        .body(())
        .map_err(|e| e.to_string())?;
    let (parts, ()) = req.into_parts();
    let body = axum::body::Body::from(body);
    match crate::http::request::read_script_body(&parts, body, limits, data).await {
        Ok(r) => Ok(BodySummary {
            body_len: r.body.len(),
            fields: r.form,
            files: r.files.len(),
        }),
        Err(e) => Err(e.to_string()),
    }
}

/// An invoker for schema building: nothing is executed.
struct NoCalls;

impl Invoker for NoCalls {
    fn invoke(&self, _inv: Invocation) {}
}

/// Builds the GraphQL schema of one script registering `fields` (kind,
/// name, SDL), as a script save does. Ok(true) when a schema came out.
pub fn graphql_schema(
    fields: Vec<(GqlKind, String, String)>,
    handle: &tokio::runtime::Handle,
) -> Result<bool, String> {
    let script = Arc::new(LoadedScript::new("fuzz.js".into(), 1, "".into()));
    let specs = fields
        .into_iter()
        .map(|(kind, name, sdl)| GqlSpec { kind, name, sdl })
        .collect();
    let streams = crate::events::Streams::start(handle);
    crate::graphql::build(
        &[(script, specs)],
        Arc::new(NoCalls),
        streams,
        Default::default(),
    )
    .map(|b| b.is_some())
    .map_err(|e| e.message)
}

/// A QuickJS context for the `js_value` target, made once and reused.
pub struct JsValues {
    ctx: rquickjs::Context,
}

/// What `JsValues::store` saw: the MessagePack of the value as `kv.set`
/// stores it, and of the value read back into JS (`kv.get`) and stored
/// again.
pub struct Stored {
    pub first: Vec<u8>,
    pub again: Vec<u8>,
}

impl JsValues {
    pub fn new() -> Result<JsValues, String> {
        let rt = rquickjs::Runtime::new().map_err(|e| e.to_string())?;
        rt.set_memory_limit(256 << 20);
        let ctx = rquickjs::Context::full(&rt).map_err(|e| e.to_string())?;
        Ok(JsValues { ctx })
    }

    /// Evaluates `expr` and stores its value as `kv.set` does (structured
    /// clone, then MessagePack); reads it back as `kv.get` does and stores
    /// that again. `Ok(None)` when the value is refused as not storable.
    pub fn store(&self, expr: &str) -> Result<Option<Stored>, String> {
        use crate::kv::value::{decode_value, encode_value};
        self.ctx.with(|ctx| {
            let value: rquickjs::Value = ctx
                .eval(expr)
                .map_err(|e| format!("{expr}: {e}: {:?}", ctx.catch()))?;
            let Ok(kv) = crate::js::clone::to_value(&ctx, value, 0) else {
                let _ = ctx.catch();
                return Ok(None);
            };
            let first = encode_value(&kv).map_err(|e| format!("encode {kv:?}: {e}"))?;
            let read = decode_value(&first).map_err(|e| format!("decode {kv:?}: {e}"))?;
            let back = crate::js::clone::from_value(&ctx, read)
                .map_err(|e| format!("back to JS {kv:?}: {e}"))?;
            let kv2 = crate::js::clone::to_value(&ctx, back, 0)
                .map_err(|e| format!("store again {kv:?}: {e}: {:?}", ctx.catch()))?;
            let again = encode_value(&kv2).map_err(|e| format!("encode again {kv2:?}: {e}"))?;
            Ok(Some(Stored { first, again }))
        })
    }
}
