//! A host that panics on demand stands in for an engine bug reached from JS.

use std::sync::Arc;
use std::time::Duration;

use crate::js::{
    CallKind, FailureKind, Host, Invocation, Invoker, Isolation, JsConfig, LogLevel, Outcome,
    Publish, QuickJsPool, ScriptLog, ScriptRequest, StreamMessage,
};
use crate::scripts::routes::LoadedScript;

struct PanickyHost;

impl ScriptLog for PanickyHost {
    fn script_log(&self, _: &str, _: LogLevel, message: String, _: Option<&str>) {
        assert!(message != "panic-now", "injected panic");
    }
}

impl Publish for PanickyHost {
    fn publish(&self, _: Option<&str>, _: StreamMessage) {}
}

impl Host for PanickyHost {}

const SCRIPT: &str =
    "register('/panic', () => { writeLog('panic-now'); return 'unreachable'; });\n\
                      register('/ok', () => 'ok');";

fn config() -> JsConfig {
    JsConfig {
        workers: 1,
        memory_limit_bytes: 16 << 20,
        time_limit_ms: 1000,
        stack_size_bytes: 512 << 10,
        isolation: Isolation::Worker,
        eval: true,
        console: true,
        max_contexts_per_worker: 4,
        dev: false,
        slow_after: Duration::from_millis(10),
    }
}

async fn call(pool: &QuickJsPool, script: &Arc<LoadedScript>, path: &str) -> Outcome {
    let (reply, rx) = tokio::sync::oneshot::channel();
    pool.invoke(Invocation {
        script: script.clone(),
        handler_key: format!("GET {path}").into(),
        kind: CallKind::Request,
        request: ScriptRequest {
            method: "GET".into(),
            path: path.into(),
            request_id: format!("rid-{path}").into(),
            ..ScriptRequest::default()
        },
        reply,
    });
    tokio::time::timeout(Duration::from_secs(10), rx)
        .await
        .expect("the worker answers within 10 s")
        .expect("the worker answers rather than dropping the request")
}

#[tokio::test]
async fn a_panic_answers_its_request_and_the_worker_keeps_serving() {
    let host: Arc<dyn Host> = Arc::new(PanickyHost);
    let pool = QuickJsPool::start(config(), host, tokio::runtime::Handle::current())
        .expect("start the pool");
    let script = Arc::new(LoadedScript::new("panicky.js".into(), 1, SCRIPT.into()));
    assert_eq!(
        call(&pool, &script, "/ok").await.expect("ok before").status,
        200
    );
    let failure = call(&pool, &script, "/panic").await.expect_err("a failure");
    assert_eq!(failure.kind, FailureKind::Internal, "{failure:?}");
    assert!(failure.message.contains("injected panic"), "{failure:?}");
    assert!(failure.message.contains("panicky.js"), "{failure:?}");
    // The one worker thread is still alive, on a fresh context.
    for _ in 0..3 {
        let ok = call(&pool, &script, "/ok")
            .await
            .expect("ok after the panic");
        assert_eq!(ok.status, 200);
    }
    pool.shutdown();
}
