//! `scripts.*` (async, acting for the request's user) and the older
//! engine's synchronous globals (`listScripts`, `getScript`,
//! `upsertScript`, `deleteScript`, `listLogs`, acting for the script's
//! owner). The rules live behind [`super::ScriptsPort`]; this file converts
//! arguments and answers.

use std::rc::Rc;
use std::sync::Arc;

use rquickjs::{Ctx, Exception, Function, Object};
use serde_json::Value;

use super::context::{Caller, Shared};
use super::worker::LocalMsg;
use super::{ActFor, ScriptOp, ScriptsError, ScriptsPort};

const NAMES: &[&str] = &[
    "scripts",
    "listScripts",
    "getScript",
    "upsertScript",
    "deleteScript",
    "listLogs",
];

pub(crate) const PRELUDE: &str = include_str!("prelude/scripts.js");

pub(crate) fn install(ctx: &Ctx<'_>, shared: Rc<Shared>) -> rquickjs::Result<()> {
    super::lazy::install(ctx, NAMES, move |ctx: Ctx<'_>| {
        let setup: Function = shared.preludes.scripts.run(&ctx)?;
        setup.call::<_, ()>((natives(&ctx, shared.clone())?,))
    })
}

/// One management call, decoded from the JS side's JSON arguments.
fn parse(op: &str, args: &str) -> Result<ScriptOp, String> {
    let args: Vec<Value> = serde_json::from_str(args).map_err(|e| e.to_string())?;
    let text = |i: usize| args.get(i).and_then(Value::as_str).map(str::to_string);
    let need = |i: usize| text(i).ok_or_else(|| format!("{op}: missing argument {}", i + 1));
    Ok(match op {
        "list" => ScriptOp::List,
        "get" => ScriptOp::Get(need(0)?),
        "put" => ScriptOp::Put(need(0)?, need(1)?),
        "delete" => ScriptOp::Delete(need(0)?),
        "logs" => ScriptOp::Logs(
            text(0),
            args.get(1).and_then(Value::as_f64).unwrap_or(100.0) as usize,
        ),
        other => return Err(format!("unknown scripts operation {other}")),
    })
}

fn natives<'js>(ctx: &Ctx<'js>, shared: Rc<Shared>) -> rquickjs::Result<Object<'js>> {
    let o = Object::new(ctx.clone())?;
    let s = shared.clone();
    o.set(
        "start",
        Function::new(
            ctx.clone(),
            move |ctx: Ctx<'js>, id: f64, op: String, as_owner: bool, args: String| {
                let m = manager(&ctx, &s)?;
                let op = parse(&op, &args).map_err(|e| Exception::throw_type(&ctx, &e))?;
                let Some(sink) = s.timers.clone().filter(|_| !s.replaying.get()) else {
                    return Err(Exception::throw_message(
                        &ctx,
                        "scripts.* runs inside handlers; top-level code (run again on every worker) may read with listScripts() and getScript(), which act for the script's owner",
                    ));
                };
                let caller = s.caller.borrow();
                let who = if as_owner {
                    ActFor::Owner(&s.script)
                } else {
                    match &*caller {
                        Caller::Request(user) => ActFor::User(user.as_deref()),
                        Caller::TopLevel => ActFor::Owner(&s.script),
                        Caller::Ambiguous => return Err(Exception::throw_message(
                            &ctx,
                            "scripts.*: several requests of this script are awaiting at once, so this call cannot tell whose rights to use; call scripts.* before the first await in the handler, or use scripts.asOwner() for the script owner's rights",
                        )),
                    }
                };
                m.start(
                    who,
                    op,
                    Box::new(move |r| {
                        let f = move |ctx: &Ctx<'_>| settle(ctx, id, r);
                        (sink.deliver)(LocalMsg::Run {
                            generation: sink.generation,
                            f: Box::new(f),
                        });
                    }),
                );
                Ok::<(), rquickjs::Error>(())
            },
        )?,
    )?;
    let s = shared;
    o.set(
        "sync",
        Function::new(ctx.clone(), move |ctx: Ctx<'js>, op: String, args: String| {
            let m = manager(&ctx, &s)?;
            let op = parse(&op, &args).map_err(|e| Exception::throw_type(&ctx, &e))?;
            let top_level = s.registering || s.replaying.get() || s.timers.is_none();
            if top_level && op.writes() {
                return Err(Exception::throw_message(
                    &ctx,
                    "upsertScript and deleteScript run inside handlers, not in top-level code (which runs again at every save and on every worker)",
                ));
            }
            m.wait(ActFor::Owner(&s.script), op)
                .map_err(|e| Exception::throw_message(&ctx, &e.message))
        })?,
    )?;
    Ok(o)
}

fn manager(ctx: &Ctx<'_>, s: &Shared) -> rquickjs::Result<Arc<dyn ScriptsPort>> {
    s.host.scripts().ok_or_else(|| {
        Exception::throw_message(ctx, "script management is not available in this engine")
    })
}

fn settle(ctx: &Ctx<'_>, id: f64, r: Result<String, ScriptsError>) -> rquickjs::Result<()> {
    let f: Function = super::call::internal(ctx)?.get("scriptsSettle")?;
    match r {
        Ok(json) => f.call((id, true, ctx.json_parse(json)?)),
        Err(e) => {
            let err = Exception::from_message(ctx.clone(), &e.message)?;
            if e.forbidden {
                err.set("status", 403)?;
            }
            f.call((id, false, err))
        }
    }
}
