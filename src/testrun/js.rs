//! One test file in its own QuickJS runtime: the harness, the file's
//! top-level code (which registers tests), then each test in turn, awaited
//! under its own deadline.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rquickjs::context::EvalOptions;
use rquickjs::promise::PromiseState;
use rquickjs::{CatchResultExt, Context, Ctx, Function, Object, Promise, Runtime, Value};

use super::{Failure, FileReport, Options, Outcome, Target};

const HARNESS: &str = include_str!("harness.js");
const MEMORY_LIMIT: usize = 128 * 1024 * 1024;
const STACK_LIMIT: usize = 1024 * 1024;

/// Runs `source` (named `file`) against `target`; on a thread of its own
/// so that QuickJS has the stack it expects.
pub fn run_file(file: &str, source: &str, target: Arc<dyn Target>, opts: &Options) -> FileReport {
    let (f, s, o) = (file.to_string(), source.to_string(), opts.clone());
    let ran = std::thread::Builder::new()
        .name("testrun".into())
        .stack_size(STACK_LIMIT + 8 * 1024 * 1024)
        .spawn(move || run(&f, &s, target, &o))
        .map_err(|e| e.to_string())
        .and_then(|t| t.join().map_err(|_| "the test runner panicked".to_string()));
    ran.unwrap_or_else(|e| FileReport {
        file: file.to_string(),
        outcomes: Vec::new(),
        load_error: Some(e),
    })
}

fn run(file: &str, source: &str, target: Arc<dyn Target>, opts: &Options) -> FileReport {
    let mut report = FileReport {
        file: file.to_string(),
        outcomes: Vec::new(),
        load_error: None,
    };
    if let Err(e) = run_in(file, source, target, opts, &mut report) {
        report.load_error = Some(e);
    }
    report
}

fn run_in(
    file: &str,
    source: &str,
    target: Arc<dyn Target>,
    opts: &Options,
    report: &mut FileReport,
) -> Result<(), String> {
    let rt = Runtime::new().map_err(|e| e.to_string())?;
    rt.set_memory_limit(MEMORY_LIMIT);
    rt.set_max_stack_size(STACK_LIMIT);
    let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
    let watch = deadline.clone();
    rt.set_interrupt_handler(Some(Box::new(move || {
        watch.get().is_some_and(|d| Instant::now() >= d)
    })));
    let ctx = Context::full(&rt).map_err(|e| e.to_string())?;
    ctx.with(|ctx| -> Result<(), String> {
        install(&ctx, target, deadline.clone(), opts.timeout).map_err(|e| e.to_string())?;
        deadline.set(Some(Instant::now() + opts.timeout));
        let mut eval = EvalOptions::default();
        eval.global = true;
        eval.strict = false;
        eval.filename = Some(file.to_string());
        let loaded = ctx.eval_with_options::<(), _>(source, eval).catch(&ctx);
        deadline.set(None);
        if let Err(e) = loaded {
            return Err(format!("{file} did not load: {e}"));
        }
        let native: Object = ctx.globals().get("__testrun").map_err(|e| e.to_string())?;
        let count: usize = call(&native, "count", ()).map_err(|e| e.to_string())?;
        for i in 0..count {
            let name: String = call(&native, "name", (i,)).map_err(|e| e.to_string())?;
            if opts
                .filter
                .as_ref()
                .is_some_and(|f| !name.contains(f.as_str()))
            {
                continue;
            }
            let failure = one(&ctx, &native, i, file, &deadline, opts.timeout);
            report.outcomes.push(Outcome { name, failure });
        }
        Ok(())
    })
}

fn call<'js, A, R>(native: &Object<'js>, name: &str, args: A) -> rquickjs::Result<R>
where
    A: rquickjs::function::IntoArgs<'js>,
    R: rquickjs::FromJs<'js>,
{
    let f: Function = native.get(name)?;
    f.call(args)
}

/// Test `i`: `None` when it passed.
fn one<'js>(
    ctx: &Ctx<'js>,
    native: &Object<'js>,
    i: usize,
    file: &str,
    deadline: &Rc<Cell<Option<Instant>>>,
    timeout: Duration,
) -> Option<Failure> {
    let end = Instant::now() + timeout;
    deadline.set(Some(end));
    let timed_out = || Failure {
        message: format!(
            "timed out: the test did not finish within {} ms",
            timeout.as_millis()
        ),
        ..Failure::default()
    };
    let started: Result<Promise, _> = call(native, "run", (i,)).catch(ctx);
    let promise = match started {
        Ok(p) => p,
        Err(_) if Instant::now() >= end => return Some(timed_out()),
        Err(e) => return Some(plain(format!("the test could not run: {e}"))),
    };
    // Nothing in a test waits on the outside (request() answers before it
    // returns, and there are no timers): once the jobs have run, a pending
    // promise can only stay pending.
    while ctx.execute_pending_job() {}
    let late = Instant::now() >= end;
    match promise.state() {
        PromiseState::Pending | PromiseState::Rejected if late => return Some(timed_out()),
        PromiseState::Pending => {
            return Some(plain(format!(
                "the test's promise never settled (nothing left to run; timeout {} ms)",
                timeout.as_millis()
            )))
        }
        PromiseState::Rejected => return Some(plain("the test's promise was rejected".into())),
        PromiseState::Resolved => {}
    }
    deadline.set(None);
    let json: String = promise.result::<String>()?.ok()?;
    let r: serde_json::Value = serde_json::from_str(&json).ok()?;
    if r["ok"] == true {
        return None;
    }
    let text = |k: &str| r[k].as_str().map(str::to_string);
    Some(Failure {
        message: text("message").unwrap_or_default(),
        expected: text("expected"),
        actual: text("actual"),
        location: text("stack").and_then(|s| location(&s, file)),
    })
}

fn plain(message: String) -> Failure {
    Failure {
        message,
        ..Failure::default()
    }
}

/// The first `file:line:column` of the test file in a stack trace.
fn location(stack: &str, file: &str) -> Option<String> {
    stack.lines().find_map(|l| {
        let at = l.find(file)?;
        let rest = &l[at..];
        let end = rest.find(')').unwrap_or(rest.len());
        Some(rest[..end].trim().to_string())
    })
}

fn install<'js>(
    ctx: &Ctx<'js>,
    target: Arc<dyn Target>,
    deadline: Rc<Cell<Option<Instant>>>,
    fallback: Duration,
) -> rquickjs::Result<()> {
    let native = Object::new(ctx.clone())?;
    let request = Function::new(
        ctx.clone(),
        move |ctx: Ctx<'js>, method: String, path: String, headers: String, body: String| {
            let left = deadline
                .get()
                .map(|d| d.saturating_duration_since(Instant::now()))
                .unwrap_or(fallback);
            let headers: Vec<(String, String)> =
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&headers)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_string()))
                    .collect();
            let reply = target.request(&method, &path, headers, body.into_bytes(), left);
            match reply {
                Ok(r) => {
                    let headers: serde_json::Map<_, _> = r
                        .headers
                        .into_iter()
                        .map(|(k, v)| (k, serde_json::Value::String(v)))
                        .collect();
                    let out = serde_json::json!({
                        "status": r.status,
                        "headers": headers,
                        "body": String::from_utf8_lossy(&r.body),
                    });
                    Ok(out.to_string())
                }
                Err(e) => Err(rquickjs::Exception::throw_message(
                    &ctx,
                    &format!("request({method} {path}) failed: {e}"),
                )),
            }
        },
    )?;
    native.set("request", request)?;
    ctx.globals().set("__testrun", native)?;
    let mut eval = EvalOptions::default();
    eval.global = true;
    eval.filename = Some("testrun-harness.js".into());
    ctx.eval_with_options::<Value, _>(HARNESS, eval)?;
    Ok(())
}
