//! What a new script context costs, and what the first use of each lazy
//! prelude adds (issue 14). Run with `bash bench/context.sh`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::js::context::ScriptContext;
use crate::js::{Host, Isolation, JsConfig, LogLevel, Publish, ScriptLog, StreamMessage};

struct Quiet;

impl ScriptLog for Quiet {
    fn script_log(&self, _: &str, _: LogLevel, _: String, _: Option<&str>) {}
}

impl Publish for Quiet {
    fn publish(&self, _: Option<&str>, _: StreamMessage) {}
}

impl Host for Quiet {}

fn config() -> JsConfig {
    JsConfig {
        workers: 1,
        memory_limit_bytes: 64 << 20,
        time_limit_ms: 1000,
        stack_size_bytes: 1 << 20,
        isolation: Isolation::Worker,
        eval: false,
        console: true,
        max_contexts_per_worker: 4,
        dev: false,
        slow_after: Duration::from_millis(10),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median over `n` fresh contexts of: building the context, and then
/// running `first_use` in it (None: nothing).
fn measure(n: usize, first_use: Option<&str>) -> (Duration, Duration) {
    let cfg = config();
    let host: Arc<dyn Host> = Arc::new(Quiet);
    let preludes = Arc::new(crate::js::Preludes::compile().expect("preludes"));
    let (mut build, mut used) = (Vec::new(), Vec::new());
    for _ in 0..n {
        let t = Instant::now();
        let sc = ScriptContext::new(
            &cfg,
            "bench.js".into(),
            host.clone(),
            None,
            false,
            preludes.clone(),
        )
        .expect("context");
        build.push(t.elapsed());
        if let Some(code) = first_use {
            let t = Instant::now();
            sc.ctx
                .with(|ctx| ctx.eval::<(), _>(code).expect("first use"));
            used.push(t.elapsed());
        }
    }
    let used = if used.is_empty() {
        Duration::ZERO
    } else {
        median(used)
    };
    (median(build), used)
}

#[test]
#[ignore]
fn context_cost() {
    let n = 400;
    let (build, _) = measure(n, None);
    println!("new script context            median {build:?}");
    for (what, code) in [
        ("first use of kv + utilities", "typeof kv.get"),
        ("first use of fetch (Headers)", "new Headers()"),
        ("first use of assets", "typeof assets"),
        (
            "kv + fetch + assets",
            "typeof kv; typeof fetch; typeof assets",
        ),
    ] {
        let (_, used) = measure(n, Some(code));
        println!(
            "{what:<30}median {used:?}  (context + use {:?})",
            build + used
        );
    }
}
