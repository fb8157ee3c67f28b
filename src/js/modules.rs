//! Module scripts (issue 16): a script written with `import`/`export` is
//! evaluated as an ES module, may import the other scripts of the engine by
//! name, and may serve every path under a mount point with
//! `export default { fetch(request, ctx) { ... } }`.
//!
//! Imports read the scripts the engine serves now (the host's
//! `module_source`), and a context records which version of each import it
//! evaluated, so that saving an imported script rebuilds its importers'
//! contexts (see `worker::contexts`).

use std::rc::Rc;
use std::sync::Arc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::promise::PromiseState;
use rquickjs::{Ctx, Function, Module, Object, Value};

use super::context::Shared;

/// How many modules one context may import (transitively).
const MAX_IMPORTS: usize = 256;

/// Whether `source` is a module script: a line of it starts with an
/// `import` or `export` statement (`import x`, `import {`, `import "x"`,
/// `export const`, `export default`, `export {`, `export *`; not
/// `import(` or `import.meta`). QuickJS's own test looks at the first
/// token only, which misses a module that starts with other code.
pub(crate) fn is_module(source: &str) -> bool {
    source.lines().any(|line| {
        let line = line.trim_start();
        let starts = |kw: &str, next: &[char]| {
            line.strip_prefix(kw)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| c.is_whitespace() || next.contains(&c))
        };
        starts("import", &['{', '*', '"', '\'']) || starts("export", &['{', '*'])
    })
}

/// The resolver and loader of one context's runtime.
pub(crate) struct ScriptModules(pub Rc<Shared>);

impl Resolver for ScriptModules {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        crate::domain::resolve_import(base, name)
            .map_err(|m| rquickjs::Error::new_resolving_message(base, name, m))
    }
}

impl Loader for ScriptModules {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, rquickjs::module::Declared>> {
        let shared = &self.0;
        if name == &*shared.script {
            return Err(rquickjs::Error::new_loading_message(
                name,
                "a script cannot import itself",
            ));
        }
        let Some(source) = shared.host.module_source(name) else {
            return Err(rquickjs::Error::new_loading_message(
                name,
                format!(
                    "no script named '{name}' (imported by {}); save it first, or check the name: scripts are imported by their name, e.g. './lib.js'",
                    shared.script
                ),
            ));
        };
        let mut imports = shared.imports.borrow_mut();
        if imports.len() >= MAX_IMPORTS {
            return Err(rquickjs::Error::new_loading_message(
                name,
                format!("more than {MAX_IMPORTS} imported modules"),
            ));
        }
        imports.push((Arc::from(name), source.clone()));
        drop(imports);
        Module::declare(ctx.clone(), name, source.as_bytes())
    }
}

/// Evaluates `source` as the entry module of the context, waits for its
/// top-level code (including top-level `await` that settles without
/// outside events), and hands its exports to the prelude, which mounts
/// `export default { fetch }`.
pub(crate) fn evaluate<'js>(ctx: &Ctx<'js>, name: &str, source: &str) -> rquickjs::Result<()> {
    let declared = Module::declare(ctx.clone(), name, source)?;
    let (module, done) = declared.eval()?;
    while ctx.execute_pending_job() {}
    match done.state() {
        PromiseState::Resolved => {}
        PromiseState::Rejected => {
            // Rethrow the rejection so that it is described like any error.
            let reason = done.result::<Value>().and_then(|r| r.err());
            return Err(reason.unwrap_or(rquickjs::Error::Exception));
        }
        PromiseState::Pending => {
            return Err(rquickjs::Exception::throw_type(
                ctx,
                "the module's top-level await did not settle while it loaded; top-level code may only await work that finishes during loading",
            ))
        }
    }
    let exports: Object = module.namespace()?;
    let internal: Object = ctx.globals().get("__aiwebengine")?;
    let loaded: Function = internal.get("moduleLoaded")?;
    loaded.call((exports, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_syntax_is_detected() {
        assert!(is_module("export default { fetch() {} }"));
        assert!(is_module(
            "import { x } from './lib.js';\nregister('/a', x);"
        ));
        assert!(!is_module(
            "register('/a', function (req) { return 'import'; });"
        ));
        assert!(!is_module("const exported = 1;"));
        assert!(is_module("const a = 1;\n  export const b = 2;"));
        assert!(is_module("// setup\nawait x;\nexport default {};"));
        assert!(!is_module("const m = import('./x.js');\nimport.meta;"));
        assert!(!is_module("register('/a', () => 'export');\nexports = 1;"));
    }
}
