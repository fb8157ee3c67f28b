//! Preludes loaded on first use. Parsing a prelude costs several times a
//! `Context::full`, so each context gets cheap accessor stubs for the
//! prelude's global names instead, and the first use of any of them loads
//! the whole prelude in that context (once). Both the stubs and the
//! preludes run from bytecode compiled once per pool.

use std::cell::Cell;

use rquickjs::{Ctx, Function};

use super::bytecode::Bytecode;

pub(crate) const STUBS: &str = include_str!("prelude/stubs.js");

/// Defines a stub for each of `names`; the first access to any of them
/// runs `load`, which must define the real globals.
pub(crate) fn install<F>(
    ctx: &Ctx<'_>,
    stubs: &Bytecode,
    names: &[&str],
    load: F,
) -> rquickjs::Result<()>
where
    F: for<'js> Fn(Ctx<'js>) -> rquickjs::Result<()> + 'static,
{
    let loaded = Cell::new(false);
    let load = Function::new(ctx.clone(), move |ctx: Ctx<'_>| {
        if loaded.replace(true) {
            return Ok(());
        }
        load(ctx)
    })?;
    let stubs: Function = stubs.run(ctx)?;
    stubs.call((load, names.to_vec()))
}
