//! The preludes as QuickJS bytecode, compiled once per pool (issue 14).
//!
//! Parsing the preludes cost more than building a context: about 0.85 ms
//! for kv and the utilities, 1.45 ms for fetch, every time a new context
//! first used them. Each prelude is now compiled once when the pool starts
//! (`JS_Eval` with `COMPILE_ONLY`, then `JS_WriteObject`), and a context
//! reads the bytecode (`JS_ReadObject`) and runs it (`JS_EvalFunction`).
//! QuickJS bytecode names atoms by their text, so one compiled copy serves
//! every runtime of the process; it is only ever read by the QuickJS build
//! that wrote it.
//!
//! The bytecode leaves out each function's source text, which QuickJS keeps
//! only for `Function.prototype.toString` (a prelude function prints as
//! `[native code]`, like any built-in): a third of the size, about a fifth
//! less time to read, and the text is not held in every context's memory
//! (main 43 → 14 KB, fetch 118 → 34 KB, kv 52 → 16 KB). Line numbers stay,
//! for stack traces.

use std::ffi::CString;

use rquickjs::{qjs, Context, Ctx, FromJs, Runtime, Value};

/// One script, compiled.
pub struct Bytecode(Box<[u8]>);

impl Bytecode {
    /// Compiles `source` as global script code; `name` is the file name
    /// stack traces show.
    pub fn compile(ctx: &Ctx<'_>, name: &str, source: &str) -> rquickjs::Result<Bytecode> {
        let src = CString::new(source)?;
        let file = CString::new(name)?;
        let raw = ctx.as_raw().as_ptr();
        let flags = (qjs::JS_EVAL_TYPE_GLOBAL | qjs::JS_EVAL_FLAG_COMPILE_ONLY) as i32;
        // SAFETY: `raw` is the live context `ctx` borrows; both strings are
        // NUL-terminated and outlive the call.
        let func =
            unsafe { qjs::JS_Eval(raw, src.as_ptr(), source.len() as _, file.as_ptr(), flags) };
        let func = owned(ctx, func)?;
        let mut len: qjs::size_t = 0;
        // SAFETY: `func` is a function-bytecode value owned by this context;
        // JS_WriteObject only reads it and returns a buffer we must free.
        let buf = unsafe {
            qjs::JS_WriteObject(
                raw,
                &mut len,
                func.as_raw(),
                (qjs::JS_WRITE_OBJ_BYTECODE | qjs::JS_WRITE_OBJ_STRIP_SOURCE) as i32,
            )
        };
        if buf.is_null() {
            return Err(rquickjs::Error::Exception);
        }
        // SAFETY: QuickJS wrote `len` bytes at `buf`; they are copied out
        // before the buffer is freed with the allocator that made it.
        let bytes = unsafe { std::slice::from_raw_parts(buf, len as usize) }.into();
        // SAFETY: `buf` came from JS_WriteObject on this context.
        unsafe { qjs::js_free(raw, buf.cast()) };
        Ok(Bytecode(bytes))
    }

    /// Runs the compiled script in `ctx` and returns its completion value.
    pub fn run<'js, V: FromJs<'js>>(&self, ctx: &Ctx<'js>) -> rquickjs::Result<V> {
        let raw = ctx.as_raw().as_ptr();
        // SAFETY: the bytes were written by JS_WriteObject of this same
        // QuickJS build (see `compile`); they are copied, not borrowed.
        let func = unsafe {
            qjs::JS_ReadObject(
                raw,
                self.0.as_ptr(),
                self.0.len() as _,
                qjs::JS_READ_OBJ_BYTECODE as i32,
            )
        };
        if unsafe_is_exception(func) {
            return Err(rquickjs::Error::Exception);
        }
        // SAFETY: `func` is a function-bytecode value of this context, which
        // JS_EvalFunction takes ownership of (and frees).
        let value = unsafe { qjs::JS_EvalFunction(raw, func) };
        V::from_js(ctx, owned(ctx, value)?)
    }
}

/// Takes ownership of a returned value; an exception stays pending on the
/// context, where `Ctx::catch` finds it as for any rquickjs call.
fn owned<'js>(ctx: &Ctx<'js>, v: qjs::JSValue) -> rquickjs::Result<Value<'js>> {
    if unsafe_is_exception(v) {
        return Err(rquickjs::Error::Exception);
    }
    // SAFETY: `v` is a fresh reference returned to us by QuickJS on `ctx`.
    Ok(unsafe { Value::from_raw(ctx.clone(), v) })
}

fn unsafe_is_exception(v: qjs::JSValue) -> bool {
    // SAFETY: reads the tag of a value; no pointer is followed.
    unsafe { qjs::JS_IsException(v) }
}

/// Every prelude a context may run, compiled.
pub struct Preludes {
    /// The host API (`main.js`) and `auth` (`auth.js`), run in every context.
    pub main: Bytecode,
    pub kv: Bytecode,
    pub fetch: Bytecode,
    pub assets: Bytecode,
    pub scripts: Bytecode,
    pub stream: Bytecode,
    pub mcp: Bytecode,
}

impl Preludes {
    /// Compiles every prelude in a throwaway runtime. The sources are part
    /// of the binary, so a failure here is a build defect, reported with
    /// the prelude's name.
    pub fn compile() -> Result<Preludes, String> {
        let fail =
            |what: &str, e: rquickjs::Error| format!("the {what} prelude does not compile: {e}");
        let rt = Runtime::new().map_err(|e| fail("runtime", e))?;
        let ctx = Context::full(&rt).map_err(|e| fail("context", e))?;
        ctx.with(|ctx| {
            let one = |name: &str, source: &str| {
                Bytecode::compile(&ctx, name, source).map_err(|e| {
                    let detail = ctx.catch();
                    format!("the {name} prelude does not compile: {e}: {detail:?}")
                })
            };
            Ok(Preludes {
                main: one("main", &super::prelude::prelude())?,
                kv: one("kv", super::prelude_kv::PRELUDE_KV)?,
                fetch: one("fetch", super::prelude_fetch::PRELUDE_FETCH)?,
                assets: one("assets", super::prelude_assets::PRELUDE_ASSETS)?,
                scripts: one("scripts", super::scripts_api::PRELUDE)?,
                stream: one("stream", super::stream_body::DRIVER)?,
                mcp: one("mcp", super::mcp::PRELUDE)?,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prelude_compiles_and_runs_in_another_runtime() {
        let p = Preludes::compile().unwrap();
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            for code in [&p.kv, &p.fetch, &p.assets, &p.scripts, &p.stream, &p.mcp] {
                // Each prelude's completion value is its setup function.
                let _: rquickjs::Function = code.run(&ctx).unwrap();
            }
        });
    }

    #[test]
    fn a_syntax_error_is_a_pending_exception_with_its_message() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        ctx.with(|ctx| {
            let e = Bytecode::compile(&ctx, "bad.js", "let = ;").err().unwrap();
            assert!(matches!(e, rquickjs::Error::Exception));
            let caught = format!("{:?}", ctx.catch());
            assert!(
                caught.contains("SyntaxError") || caught.contains("unexpected"),
                "{caught}"
            );
        });
    }

    #[test]
    fn completion_value_and_globals_survive_the_round_trip() {
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        let code = ctx
            .with(|ctx| Bytecode::compile(&ctx, "t.js", "var seen = 40; seen + 2"))
            .unwrap();
        let rt2 = Runtime::new().unwrap();
        let ctx2 = Context::full(&rt2).unwrap();
        ctx2.with(|ctx| {
            let v: i32 = code.run(&ctx).unwrap();
            assert_eq!(v, 42);
            let g: i32 = ctx.globals().get("seen").unwrap();
            assert_eq!(g, 40);
        });
    }

    #[test]
    fn the_source_text_is_left_out_and_line_numbers_kept() {
        let src = "function greet() { return 'hello from the source'; }\n\
                   function boom() { throw new Error('x'); }\n\
                   [greet.toString(), (() => { try { boom(); } catch (e) { return e.stack; } })()]";
        let rt = Runtime::new().unwrap();
        let ctx = Context::full(&rt).unwrap();
        let code = ctx
            .with(|ctx| Bytecode::compile(&ctx, "t.js", src))
            .unwrap();
        // The string literal is an atom and stays; the function's text goes.
        assert!(!code.0.windows(8).any(|w| w == b"{ return"));
        let rt2 = Runtime::new().unwrap();
        let ctx2 = Context::full(&rt2).unwrap();
        ctx2.with(|ctx| {
            let [text, stack]: [String; 2] =
                code.run::<Vec<String>>(&ctx).unwrap().try_into().unwrap();
            assert!(!text.contains("return"), "{text}");
            assert!(text.contains("greet"), "{text}");
            assert!(stack.contains("t.js:2"), "{stack}");
        });
    }
}
