//! JavaScript for `fetch` and the WHATWG classes around it (`Headers`,
//! `Request`, `Response`, `FormData`, `AbortController`, `AbortSignal`,
//! `DOMException`, `Blob`, `File`). Like `prelude_kv`, each context gets cheap stubs and
//! the first use of any of these names loads the whole prelude.

use std::rc::Rc;

use rquickjs::{Ctx, Function};

use super::context::Shared;

const NAMES: &[&str] = &[
    "fetch",
    "Headers",
    "Request",
    "Response",
    "FormData",
    "AbortController",
    "AbortSignal",
    "DOMException",
    "Blob",
    "File",
];

pub(crate) fn install(ctx: &Ctx<'_>, shared: Rc<Shared>) -> rquickjs::Result<()> {
    super::lazy::install(ctx, NAMES, move |ctx: Ctx<'_>| {
        let setup: Function = shared.preludes.fetch.run(&ctx)?;
        let natives = super::fetch::natives(&ctx, shared.clone())?;
        // From now on a handler may return a Response.
        shared.streams.note_responses();
        setup.call::<_, ()>((natives,))
    })
}

// Kept as JavaScript so it reads (and lints) as JavaScript; the bytes are
// exactly what the Rust string literal held.
pub(crate) const PRELUDE_FETCH: &str = include_str!("prelude/fetch.js");

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Function, Runtime};

    #[test]
    fn prelude_parses() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let setup: rquickjs::Result<Function> = ctx.eval(super::PRELUDE_FETCH);
            assert!(setup.is_ok());
        });
    }
}
