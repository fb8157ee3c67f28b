//! Module scripts (issue 16, "Web-standard handlers"): ES module syntax,
//! `import` between the scripts of one engine, and `export default
//! { fetch(request, ctx) }` serving every path under a mount point given
//! by `export const mount` or by `register(path, app)`.
//! docs/javascript-apis.md "Module scripts".

mod common;

use common::*;
use serde_json::json;

const LIB: &str = r#"
export const greeting = 'hello';
export function shout(s) { return s.toUpperCase() + '!'; }
"#;

const APP: &str = r#"
import { greeting, shout } from './lib.js';

export const mount = '/app';

export default {
  async fetch(request, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/app/echo' && request.method === 'POST') {
      const body = await request.json();
      return Response.json({ got: body, used: request.bodyUsed });
    }
    if (url.pathname === '/app/form') {
      const form = await request.formData();
      const file = form.get('doc');
      return Response.json({ name: form.get('name'), file: file.name, text: await file.text() });
    }
    return new Response(shout(greeting) + ' ' + request.method + ' ' + ctx.path, {
      status: url.pathname === '/app/teapot' ? 418 : 200,
      headers: { 'x-mount': ctx.mount, 'x-query': url.searchParams.get('q') || '' },
    });
  },
};
"#;

async fn engine() -> Engine {
    let eng = Engine::start().await;
    eng.deploy("lib.js", LIB).await;
    eng.deploy("app.js", APP).await;
    eng
}

#[tokio::test]
async fn test_req_dev_web_001_module_app_serves_every_path_and_method_under_its_mount() {
    let eng = engine().await;
    let r = eng.get("/app").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.text(), "HELLO! GET /");
    assert_eq!(r.header("x-mount").as_deref(), Some("/app"));

    let r = eng.get("/app/items/7?q=z").await;
    assert_eq!(r.text(), "HELLO! GET /items/7");
    assert_eq!(r.header("x-query").as_deref(), Some("z"));

    for method in ["PUT", "DELETE", "PATCH", "OPTIONS"] {
        let r = send(eng.req(method, "/app/x/y")).await;
        assert_eq!(r.status, 200, "{method}: {}", r.text());
        assert_eq!(r.text(), format!("HELLO! {method} /x/y"));
    }
    assert_eq!(eng.get("/app/teapot").await.status, 418);

    let r = send(eng.req("POST", "/app/echo").json(&json!({"a": [1, 2]}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({"got": {"a": [1, 2]}, "used": true}));

    // Outside the mount point nothing answers; a longer name is not under it.
    assert_eq!(eng.get("/other").await.status, 404);
    assert_eq!(eng.get("/apple").await.status, 404);
}

#[tokio::test]
async fn test_req_dev_web_001_module_app_reads_multipart_uploads_with_form_data() {
    let eng = engine().await;
    let form = reqwest::multipart::Form::new().text("name", "Ada").part(
        "doc",
        reqwest::multipart::Part::bytes(b"file body".to_vec())
            .file_name("notes.txt")
            .mime_str("text/plain")
            .unwrap(),
    );
    let r = send(eng.req("POST", "/app/form").multipart(form)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"name": "Ada", "file": "notes.txt", "text": "file body"})
    );
}

#[tokio::test]
async fn test_req_dev_web_001_saving_an_imported_script_reaches_its_importers() {
    let eng = engine().await;
    assert_eq!(eng.get("/app/a").await.text(), "HELLO! GET /a");
    eng.deploy(
        "lib.js",
        "export const greeting = 'bonjour';\nexport const shout = (s) => s + '?';",
    )
    .await;
    // app.js was not saved again: its contexts rebuild with the new lib.
    for _ in 0..4 {
        assert_eq!(eng.get("/app/a").await.text(), "bonjour? GET /a");
    }
}

#[tokio::test]
async fn test_req_dev_web_001_module_load_errors_name_the_fix() {
    let eng = Engine::start().await;
    // An import of a script that does not exist.
    let (status, v) = eng
        .put_script(
            "a.js",
            "import { x } from './nope.js';\nregister('/a', () => x);",
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("no script named 'nope.js'"), "{v}");

    // An app without a mount point: the message gives the line to add.
    let (status, v) = eng
        .put_script(
            "shop%2Fcart.js",
            "export default { fetch() { return new Response('x'); } };",
        )
        .await;
    assert_eq!(status, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("export const mount = \"/shop/cart\""), "{v}");

    // A mount point with a parameter.
    let (status, v) = eng
        .put_script(
            "b.js",
            "export const mount = '/b/:id';\nexport default { fetch() { return new Response('x'); } };",
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("literal path"),
        "{v}"
    );

    // A syntax error in a module names its line and column.
    let (status, v) = eng
        .put_script("c.js", "export const a = 1;\nexport const b = ;\n")
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["line"], 2, "{v}");

    // A rejected top-level await refuses the save with its reason.
    let (status, v) = eng
        .put_script(
            "d.js",
            "await Promise.reject(new Error('no config'));\nexport const x = 1;",
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no config"),
        "{v}"
    );

    // Nothing was stored by the refused saves.
    let r = eng.api("GET", "/engine/api/scripts", None).await;
    assert!(!r.text().contains("c.js"), "{}", r.text());
}

#[tokio::test]
async fn test_req_dev_web_001_register_mounts_an_app_object_and_specific_routes_win() {
    let eng = Engine::start().await;
    eng.deploy(
        "api.js",
        r#"
const api = {
  fetch(request, ctx) {
    return Response.json({ path: ctx.path, method: request.method, user: ctx.auth.isAuthenticated });
  },
};
register('/api', api, { maxBodyBytes: 16 });
"#,
    )
    .await;
    eng.deploy("health.js", "register('/api/health', () => 'ok');")
        .await;
    let r = eng.get("/api/v1/users").await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({"path": "/v1/users", "method": "GET", "user": false})
    );
    // A route of its own wins over the app's wildcard.
    assert_eq!(eng.get("/api/health").await.text(), "ok");
    // The app's body limit is enforced before it runs.
    let r = send(eng.req("POST", "/api/x").body("x".repeat(64))).await;
    assert_eq!(r.status, 413, "{}", r.text());
    // Another script cannot take the same mount point.
    let (status, v) = eng
        .put_script(
            "other.js",
            "register('/api', { fetch: () => new Response('2') });",
        )
        .await;
    assert_eq!(status, 409, "{v}");
}

#[tokio::test]
async fn test_req_dev_web_001_a_library_module_has_no_routes_and_classic_scripts_keep_working() {
    let eng = Engine::start().await;
    let v = eng
        .deploy(
            "util%2Fstrings.js",
            "export const up = (s) => s.toUpperCase();",
        )
        .await;
    assert_eq!(v["routes"], json!([]), "{v}");
    eng.deploy(
        "page.js",
        "import { up } from './util/strings.js';\nregister('/page', (req) => up(req.query.name || 'x'));",
    )
    .await;
    assert_eq!(eng.get("/page?name=bob").await.text(), "BOB");
}
