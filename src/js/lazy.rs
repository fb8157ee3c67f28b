//! Preludes loaded on first use. Parsing a prelude costs several times a
//! `Context::full`, so each context gets cheap accessor stubs for the
//! prelude's global names instead, and the first use of any of them loads
//! the whole prelude in that context (once). The preludes run from
//! bytecode compiled once per pool; the stubs are native accessors (a JS
//! loop defining them cost about twice as much per context, issue 14).

use std::cell::Cell;
use std::rc::Rc;

use rquickjs::object::{Accessor, Property};
use rquickjs::{Ctx, Value};

/// Defines a stub for each of `names` on the global object (skipping a
/// name already defined there); the first access to any of them runs
/// `load`, which must define the real globals. Reading a stub returns what
/// `load` put under its name (undefined if nothing); assigning to it
/// replaces it with a plain, non-enumerable data property.
pub(crate) fn install<'js, F>(
    ctx: &Ctx<'js>,
    names: &[&'static str],
    load: F,
) -> rquickjs::Result<()>
where
    F: for<'a> Fn(Ctx<'a>) -> rquickjs::Result<()> + 'static,
{
    let loaded = Cell::new(false);
    let load = Rc::new(move |ctx: Ctx<'_>| {
        if loaded.replace(true) {
            return Ok(());
        }
        load(ctx)
    });
    let globals = ctx.globals();
    for &name in names {
        if globals.contains_key(name)? {
            continue;
        }
        let load = load.clone();
        // Set while this stub's getter runs: a `load` that did not define
        // the name leaves the stub in place, and reading it again from
        // inside the getter must not recurse.
        let busy = Cell::new(false);
        let get = move |ctx: Ctx<'js>| -> rquickjs::Result<Value<'js>> {
            if busy.replace(true) {
                return Ok(Value::new_undefined(ctx));
            }
            let r = load(ctx.clone()).and_then(|()| ctx.globals().get::<_, Value>(name));
            busy.set(false);
            r
        };
        let set = move |ctx: Ctx<'js>, value: Value<'js>| -> rquickjs::Result<()> {
            ctx.globals()
                .prop(name, Property::from(value).writable().configurable())
        };
        globals.prop(name, Accessor::new(get, set).configurable())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use rquickjs::{Context, Runtime};

    fn with_stubs(define: &'static str, check: impl FnOnce(&rquickjs::Ctx<'_>, &Cell<u32>)) {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        let loads = Rc::new(Cell::new(0));
        ctx.with(|ctx| {
            ctx.globals().set("already", 7).unwrap();
            let counted = loads.clone();
            super::install(&ctx, &["a", "b", "missing", "already"], move |ctx| {
                counted.set(counted.get() + 1);
                ctx.eval::<(), _>(define)
            })
            .unwrap();
            check(&ctx, &loads);
        });
    }

    #[test]
    fn first_read_loads_once_and_reads_the_real_globals() {
        let define = "Object.defineProperty(globalThis, 'a', { value: 1, writable: true, configurable: true });\
                      Object.defineProperty(globalThis, 'b', { value: 2, writable: true, configurable: true });";
        with_stubs(define, |ctx, loads| {
            assert_eq!(loads.get(), 0, "nothing loads before a stub is read");
            let v: Vec<i32> = ctx
                .eval("[a, b, a, typeof missing === 'undefined' ? 0 : 1, already]")
                .unwrap();
            assert_eq!(v, vec![1, 2, 1, 0, 7]);
            assert_eq!(loads.get(), 1, "loaded once");
            let enumerable: bool = ctx.eval("Object.keys(globalThis).includes('b')").unwrap();
            assert!(
                !enumerable,
                "stubs and what replaces them stay out of Object.keys"
            );
        });
    }

    #[test]
    fn an_assignment_replaces_the_stub_without_loading() {
        with_stubs("", |ctx, loads| {
            let v: i32 = ctx.eval("a = 5; a").unwrap();
            assert_eq!(v, 5);
            assert_eq!(loads.get(), 0);
            let d: bool = ctx
                .eval("const d = Object.getOwnPropertyDescriptor(globalThis, 'a'); d.writable && d.configurable && !d.enumerable")
                .unwrap();
            assert!(d);
        });
    }

    #[test]
    fn a_failing_load_throws_from_the_read() {
        with_stubs("throw new Error('prelude broke')", |ctx, _| {
            let msg: String = ctx
                .eval("try { a; 'no throw' } catch (e) { e.message }")
                .unwrap();
            assert_eq!(msg, "prelude broke");
        });
    }
}
