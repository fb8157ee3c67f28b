//! JavaScript for `assets.*` and the older engine's asset globals
//! (`listAssets`, `fetchAsset`, `upsertAsset`, `deleteAsset`). Like
//! `prelude_kv`, each context gets cheap stubs and the first use of any of
//! these names loads the whole prelude.

use std::rc::Rc;

use rquickjs::{Ctx, Function};

use super::context::Shared;

const NAMES: &[&str] = &[
    "assets",
    "listAssets",
    "fetchAsset",
    "upsertAsset",
    "deleteAsset",
];

pub(crate) fn install(ctx: &Ctx<'_>, shared: Rc<Shared>) -> rquickjs::Result<()> {
    super::lazy::install(ctx, NAMES, move |ctx: Ctx<'_>| {
        let setup: Function = shared.preludes.assets.run(&ctx)?;
        setup.call::<_, ()>((super::assets::natives(&ctx, shared.clone())?,))
    })
}

pub(crate) const PRELUDE_ASSETS: &str = include_str!("prelude/assets.js");

#[cfg(test)]
mod tests {
    use rquickjs::{Context, Function, Runtime};

    #[test]
    fn prelude_parses() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let setup: rquickjs::Result<Function> = ctx.eval(super::PRELUDE_ASSETS);
            assert!(setup.is_ok());
        });
    }
}
