//! JavaScript run after the main prelude: `kv` and the web-standard
//! utilities (issue 6 §1 and §3). Natives arrive as arguments, so nothing
//! but the documented globals is left behind.

use std::rc::Rc;

use rquickjs::{Ctx, Function};

use super::context::Shared;

/// The globals this prelude defines. Parsing it costs several times a
/// `Context::full`, so each context gets cheap stubs instead, and the first
/// use of any of these names loads the whole prelude in that context.
const NAMES: &[&str] = &[
    "kv",
    "atob",
    "btoa",
    "TextEncoder",
    "TextDecoder",
    "URL",
    "URLSearchParams",
    "structuredClone",
    "queueMicrotask",
    "crypto",
    "escapeHtml",
    "escapeJs",
    "escapeUrl",
    "formatDate",
];

pub(crate) fn install(ctx: &Ctx<'_>, shared: Rc<Shared>) -> rquickjs::Result<()> {
    super::lazy::install(ctx, NAMES, move |ctx: Ctx<'_>| {
        let setup: Function = shared.preludes.kv.run(&ctx)?;
        let kv = super::kv::natives(&ctx, shared.clone())?;
        let utils = super::utils::natives(&ctx)?;
        setup.call::<_, ()>((kv, utils))
    })
}

// Kept as JavaScript so it reads (and lints) as JavaScript; the bytes are
// exactly what the Rust string literal held.
pub(crate) const PRELUDE_KV: &str = include_str!("prelude/kv.js");

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Function, Object, Runtime};

    /// What this prelude adds to every new context, and what its first use
    /// costs (run with `cargo test --release --lib prelude_kv -- --ignored
    /// --nocapture`).
    #[test]
    #[ignore]
    fn cost_per_context() {
        let rt = Runtime::new().unwrap();
        let n = 200u32;
        let (mut full, mut stubs, mut load) = Default::default();
        let add = |d: &mut std::time::Duration, t: std::time::Instant| *d += t.elapsed();
        for _ in 0..n {
            let t = std::time::Instant::now();
            let ctx = Context::full(&rt).unwrap();
            add(&mut full, t);
            ctx.with(|ctx| {
                ctx.globals()
                    .set("__aiwebengine", Object::new(ctx.clone()).unwrap())
                    .unwrap();
                let t = std::time::Instant::now();
                super::super::lazy::install(&ctx, super::NAMES, |_| Ok(())).unwrap();
                add(&mut stubs, t);
                let t = std::time::Instant::now();
                let setup: Function = ctx.eval(super::PRELUDE_KV).unwrap();
                let dummy = Object::new(ctx.clone()).unwrap();
                setup.call::<_, ()>((dummy.clone(), dummy)).unwrap();
                add(&mut load, t);
            });
        }
        println!(
            "per context: Context::full {:?}, stubs {:?}; first use loads in {:?}",
            full / n,
            stubs / n,
            load / n
        );
    }

    #[test]
    fn prelude_parses() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let setup: rquickjs::Result<Function> = ctx.eval(super::PRELUDE_KV);
            assert!(setup.is_ok());
        });
    }
}
