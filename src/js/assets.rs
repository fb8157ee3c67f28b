//! The `assets` natives (issue 6 §4): reads of metadata come from memory
//! at once; reading content, storing, deleting and image variants run on
//! the blocking pool and settle a promise on the owning worker (a
//! [`LocalMsg::Run`]). The older engine's synchronous globals block the
//! calling worker instead (see `prelude_assets`).
//!
//! Changes act for the script's owner (a user or a group), whoever the
//! request's user is: the script decides who may do what.

use std::rc::Rc;
use std::sync::Arc;

use base64::Engine as _;
use rquickjs::{Ctx, Exception, Function, Object, TypedArray, Value};
use serde_json::{json, Value as Json};

use super::context::{Shared, TimerSink};
use super::upload::{spooled_file, SpooledFile, SPOOLED_KEY};
use super::worker::LocalMsg;
use super::AssetsPort;
use crate::assets::image::Params;
use crate::assets::{path, Actor, AssetError, AssetRecord};

/// What settles an operation, built in its context.
enum Answer {
    Json(Json),
    Bytes(Vec<u8>),
}

pub(crate) fn meta(rec: &AssetRecord) -> Json {
    json!({
        "path": rec.path, "url": path::public(&rec.path), "contentType": rec.content_type,
        "size": rec.size, "etag": rec.etag(), "owner": rec.owner,
        "created": rec.created, "updated": rec.updated, "blob": rec.blob.to_string(),
    })
}

pub(crate) fn natives<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    let s = shared.clone();
    o.set(
        "list",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, prefix: String| {
            let list: Vec<Json> = service(&ctx, &s)?
                .list(&prefix)
                .iter()
                .map(|r| meta(r))
                .collect();
            ctx.json_parse(Json::Array(list).to_string())
        })?,
    )?;
    let s = shared.clone();
    o.set(
        "get",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, p: String| {
            let m = service(&ctx, &s)?.get(&p).map_or(Json::Null, |r| meta(&r));
            ctx.json_parse(m.to_string())
        })?,
    )?;
    let s = shared.clone();
    o.set(
        "read",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, p: String, blob: String, text: bool| {
                let (a, sink) = start(&ctx, &s, "asset.bytes()")?;
                run(&sink, id, move || {
                    let rec = a.get(&p).filter(|r| r.blob.to_string() == blob);
                    let rec = rec.ok_or_else(|| AssetError::Changed(p.clone()))?;
                    let bytes = a.read(&rec)?;
                    Ok(match text {
                        true => {
                            Answer::Json(Json::String(String::from_utf8_lossy(&bytes).into_owned()))
                        }
                        false => Answer::Bytes(bytes),
                    })
                });
                Ok::<(), rquickjs::Error>(())
            },
        )?,
    )?;
    let s = shared.clone();
    o.set(
        "put",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, p: String, data: Value<'js>, ct: Option<String>| {
                let (a, sink) = start(&ctx, &s, "assets.put")?;
                let actor = owner(&ctx, &s, &*a, "assets.put")?;
                let content = content_arg(&ctx, &s, &data)?;
                let who = format!("script {} (for {})", s.script, actor.label);
                run(&sink, id, move || {
                    let r = match &content {
                        Content::Bytes(b) => a.put_bytes(&actor, &p, ct.as_deref(), b),
                        // The handle keeps the file until the copy is done.
                        Content::Spooled(f) => a.put_file(&actor, &p, ct.as_deref(), f.path()),
                    };
                    audit(
                        &*a,
                        &who,
                        if r.as_ref().is_ok_and(|c| c.created) {
                            "asset.create"
                        } else {
                            "asset.replace"
                        },
                        &p,
                        &r,
                    );
                    r.map(|c| Answer::Json(meta(&c.record)))
                });
                Ok::<(), rquickjs::Error>(())
            },
        )?,
    )?;
    let s = shared.clone();
    o.set(
        "delete",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, id: f64, p: String| {
            let (a, sink) = start(&ctx, &s, "assets.delete")?;
            let actor = owner(&ctx, &s, &*a, "assets.delete")?;
            let who = format!("script {} (for {})", s.script, actor.label);
            run(&sink, id, move || {
                let r = a.delete(&actor, &p);
                if !matches!(r, Ok(false)) {
                    audit(&*a, &who, "asset.delete", &p, &r);
                }
                r.map(|gone| Answer::Json(Json::Bool(gone)))
            });
            Ok::<(), rquickjs::Error>(())
        })?,
    )?;
    o.set("image", image_fn(ctx, shared.clone())?)?;
    legacy(ctx, &o, shared)?;
    Ok(o)
}

fn image_fn<'js>(ctx: &Ctx<'js>, s: Rc<Shared>) -> rquickjs::Result<Function<'js>> {
    Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, id: f64, p: String, o: Object<'js>| {
            let (a, sink) = start(&ctx, &s, "assets.image")?;
            let side = |k: &str| -> rquickjs::Result<Option<u32>> {
                Ok(o.get::<_, Option<f64>>(k)?
                    .map(|v| v.clamp(0.0, u32::MAX as f64) as u32))
            };
            let fit: Option<String> = o.get("fit")?;
            let format: Option<String> = o.get("format")?;
            let params = Params::new(
                side("width")?,
                side("height")?,
                fit.as_deref(),
                format.as_deref(),
            )
            .map_err(|e| Exception::throw_type(&ctx, &format!("assets.image: {e}")))?;
            let handle = sink.handle.clone();
            handle.clone().spawn(async move {
                let job = handle.spawn_blocking(move || {
                    let rec = a
                        .get(&p)
                        .ok_or_else(|| AssetError::NotFound(format!("no asset at {p}")))?;
                    let v = a.variant(&rec, &params)?;
                    let url = format!(
                        "{}?{}",
                        path::public(&rec.path),
                        params.query(&rec.content_type)
                    );
                    Ok(Answer::Json(json!({
                        "path": rec.path, "url": url, "contentType": v.content_type, "size": v.size,
                        "width": v.width, "height": v.height, "etag": v.etag(),
                    })))
                });
                let r = match tokio::time::timeout(crate::assets::image::TIME_LIMIT, job).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => Err(AssetError::Image(format!("image work failed: {e}"))),
                    Err(_) => Err(AssetError::Busy(format!(
                        "making the image variant took longer than {} s",
                        crate::assets::image::TIME_LIMIT.as_secs()
                    ))),
                };
                settle(&sink, id, r);
            });
            Ok::<(), rquickjs::Error>(())
        },
    )
}

/// `fetchAsset`, `upsertAsset`, `deleteAsset`: synchronous, acting for
/// the script's owner; they block the calling worker for the store.
fn legacy<'js>(ctx: &Ctx<'js>, o: &Object<'js>, shared: Rc<Shared>) -> rquickjs::Result<()> {
    let s = shared.clone();
    o.set(
        "fetchSync",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, p: String| {
            let a = service(&ctx, &s)?;
            let Some(rec) = a.get(path::from_legacy(&p)) else {
                return Ok("null".to_string());
            };
            let bytes = a.read(&rec).map_err(|e| throw(&ctx, "fetchAsset", e))?;
            let content = base64::engine::general_purpose::STANDARD.encode(bytes);
            Ok::<_, rquickjs::Error>(
                json!({ "publicPath": path::public(&rec.path), "mimetype": rec.content_type, "content": content })
                    .to_string(),
            )
        })?,
    )?;
    let s = shared.clone();
    o.set(
        "putSync",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, p: String, mimetype: String, b64: String| {
            let a = writer(&ctx, &s, "upsertAsset")?;
            let actor = owner(&ctx, &s, &*a, "upsertAsset")?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| Exception::throw_type(&ctx, &format!("upsertAsset(path, mimetype, base64Content): the content is not valid base64: {e}")))?;
            let p = path::from_legacy(&p).to_string();
            let r = a.put_bytes(&actor, &p, Some(&mimetype), &bytes);
            let who = format!("script {} (for {})", s.script, actor.label);
            audit(&*a, &who, if r.as_ref().is_ok_and(|c| c.created) { "asset.create" } else { "asset.replace" }, &p, &r);
            r.map(|_| ()).map_err(|e| throw(&ctx, "upsertAsset", e))
        })?,
    )?;
    let s = shared;
    o.set(
        "deleteSync",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, p: String| {
            let a = writer(&ctx, &s, "deleteAsset")?;
            let actor = owner(&ctx, &s, &*a, "deleteAsset")?;
            let p = path::from_legacy(&p).to_string();
            let r = a.delete(&actor, &p);
            if !matches!(r, Ok(false)) {
                audit(
                    &*a,
                    &format!("script {} (for {})", s.script, actor.label),
                    "asset.delete",
                    &p,
                    &r,
                );
            }
            r.map_err(|e| throw(&ctx, "deleteAsset", e))
        })?,
    )?;
    Ok(())
}

fn service(ctx: &Ctx<'_>, s: &Shared) -> rquickjs::Result<Arc<dyn AssetsPort>> {
    s.host.assets().ok_or_else(|| {
        Exception::throw_message(
            ctx,
            "assets are not available in this engine (no data file)",
        )
    })
}

/// The service for a synchronous change; refused in top-level code.
fn writer(ctx: &Ctx<'_>, s: &Shared, what: &str) -> rquickjs::Result<Arc<dyn AssetsPort>> {
    if s.registering || s.replaying.get() || s.timers.is_none() {
        return Err(Exception::throw_message(
            ctx,
            &format!("{what} runs inside handlers, not in a script's top-level code (which runs again at every save and on every worker)"),
        ));
    }
    service(ctx, s)
}

/// The service and delivery sink of an async operation about to start.
fn start(
    ctx: &Ctx<'_>,
    s: &Shared,
    what: &str,
) -> rquickjs::Result<(Arc<dyn AssetsPort>, TimerSink)> {
    let a = service(ctx, s)?;
    match &s.timers {
        Some(sink) if !s.replaying.get() => Ok((a, sink.clone())),
        _ => Err(Exception::throw_message(
            ctx,
            &format!("{what} is available inside handlers, not in a script's top-level code (which runs again on every worker); assets.get and assets.list work anywhere"),
        )),
    }
}

/// The script owner's rights, or an error saying how to give it some.
fn owner(ctx: &Ctx<'_>, s: &Shared, a: &dyn AssetsPort, what: &str) -> rquickjs::Result<Actor> {
    a.actor_for_script(&s.script).ok_or_else(|| {
        Exception::throw_message(
            ctx,
            &format!(
                "{what}: script {} has no owner, so it may not change assets (scripts act with their owner's rights); an admin can give it one: PUT /engine/api/scripts/{}/owner",
                s.script, s.script
            ),
        )
    })
}

/// Runs a blocking job and settles operation `id` with its result.
fn run(
    sink: &TimerSink,
    id: f64,
    job: impl FnOnce() -> Result<Answer, AssetError> + Send + 'static,
) {
    let sink2 = sink.clone();
    sink.handle
        .spawn_blocking(move || settle(&sink2, id, job()));
}

fn settle(sink: &TimerSink, id: f64, r: Result<Answer, AssetError>) {
    let r = r.map_err(|e| (e.code(), e.to_string()));
    (sink.deliver)(LocalMsg::Run {
        generation: sink.generation,
        f: Box::new(move |ctx| settle_js(ctx, id, r)),
    });
}

fn settle_js(
    ctx: &Ctx<'_>,
    id: f64,
    r: Result<Answer, (&'static str, String)>,
) -> rquickjs::Result<()> {
    let f: Function = super::call::internal(ctx)?.get("assetsSettle")?;
    match r {
        Ok(Answer::Json(j)) => f.call((id, true, ctx.json_parse(j.to_string())?)),
        Ok(Answer::Bytes(b)) => f.call((id, true, TypedArray::<u8>::new(ctx.clone(), b)?)),
        Err((code, msg)) => {
            let e = Exception::from_message(ctx.clone(), &msg)?;
            e.set("code", code)?;
            f.call((id, false, e))
        }
    }
}

fn throw(ctx: &Ctx<'_>, what: &str, e: AssetError) -> rquickjs::Error {
    let msg = format!("{what}: {e}");
    match e {
        AssetError::Invalid(_) | AssetError::TypeNotAllowed(_) | AssetError::Mismatch(_) => {
            Exception::throw_type(ctx, &msg)
        }
        AssetError::TooLarge { .. } => Exception::throw_range(ctx, &msg),
        _ => Exception::throw_message(ctx, &msg),
    }
}

fn audit<T>(a: &dyn AssetsPort, who: &str, action: &str, target: &str, r: &Result<T, AssetError>) {
    let result = match r {
        Ok(_) => "ok",
        Err(AssetError::Forbidden(_)) => "denied",
        Err(e) => e.code(),
    };
    a.audit(who, action, target, result);
}

/// What `assets.put` stores.
enum Content {
    Bytes(Vec<u8>),
    /// A spooled upload (`req.files[i]`), copied from its file.
    Spooled(Arc<SpooledFile>),
}

fn content_arg<'js>(ctx: &Ctx<'js>, s: &Shared, v: &Value<'js>) -> rquickjs::Result<Content> {
    let Some(o) = v
        .as_object()
        .filter(|o| o.contains_key(SPOOLED_KEY).unwrap_or(false))
    else {
        return bytes_arg(ctx, v, "assets.put(path, data)").map(Content::Bytes);
    };
    spooled_file(s, o).map(Content::Spooled).ok_or_else(|| {
        Exception::throw_message(
            ctx,
            "assets.put(path, file): the upload is gone; uploaded files are deleted when the request ends, so store them before the handler returns its response",
        )
    })
}

/// Bytes from a string (UTF-8), a Uint8Array or an ArrayBuffer.
fn bytes_arg<'js>(ctx: &Ctx<'js>, v: &Value<'js>, what: &str) -> rquickjs::Result<Vec<u8>> {
    if let Some(s) = v.as_string() {
        return Ok(s.to_string()?.into_bytes());
    }
    super::clone::bytes_of(v).ok_or_else(|| {
        Exception::throw_type(
            ctx,
            &format!("{what}: data must be a string, a Uint8Array, an ArrayBuffer or an uploaded file (req.files[i]), not a {}", v.type_name()),
        )
    })
}
