//! The MCP admin tools (issue 12, "Built-in admin tools"), called through
//! their `BuiltinTools` seam on an in-process engine, as an admin and as
//! editors: the develop-and-fix loop, the script tools, and the ownership
//! refusals and audit entries. Data tools: `tests/mcp_admin_data.rs`.

mod common;
mod mcp_admin_helpers;

use aiwebengine::domain::Role;
use aiwebengine::mcp::builtin::BuiltinTools;
use common::*;
use mcp_admin_helpers::*;

const HELLO_BROKEN: &str = "register('/hello', (req) => {\n  writeLog('hello from ' + req.requestId);\n  return 'hello ' + (req.query.name ?? 'world';\n});\n";

#[tokio::test]
async fn test_req_mcp_003_admin_syntax_error_then_edit_fix_then_call_route() {
    let t = Admin::start().await;
    let a = &t.alice;
    // The agent creates a script with a syntax error: nothing is saved,
    // the error says where.
    let r = t
        .ok(
            a,
            "put_script",
            json!({"name": "hello.js", "source": HELLO_BROKEN}),
        )
        .await;
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["saved"], false, "{r}");
    assert_eq!(r["line"], 3, "the error is on line 3: {r}");
    assert!(r["column"].as_u64().is_some(), "{r}");
    assert!(!r["error"].as_str().unwrap().is_empty(), "{r}");
    assert_eq!(t.get("/hello").await.status, 404, "nothing serves yet");
    // It reads the error and its draft back.
    let got = t.ok(a, "get_script", json!({"name": "hello.js"})).await;
    assert_eq!(got["saved"], false, "{got}");
    assert_eq!(got["draft"]["source"], HELLO_BROKEN);
    assert_eq!(got["draft"]["line"], 3);
    // It fixes the one line with edit_script, without resending the file.
    let fixed = t
        .ok(
            a,
            "edit_script",
            json!({"name": "hello.js",
            "oldText": "?? 'world';", "newText": "?? 'world');"}),
        )
        .await;
    assert_eq!(fixed["ok"], true, "{fixed}");
    assert_eq!(fixed["edited"], "draft");
    assert_eq!(fixed["created"], true);
    assert_eq!(
        fixed["routes"],
        json!([{"method": "GET", "path": "/hello", "stream": false}])
    );
    // And calls the new route in-process.
    let call = t
        .ok(a, "call_route", json!({"path": "/hello?name=agent"}))
        .await;
    assert_eq!(call["status"], 200, "{call}");
    assert_eq!(call["body"], "hello agent");
    assert_eq!(call["truncated"], false);
    let rid = call["requestId"].as_str().expect("request id").to_string();
    // The request's log entry, found by its id.
    let logs = t
        .ok(
            a,
            "get_logs",
            json!({"script": "hello.js", "requestId": rid}),
        )
        .await;
    let entries = logs["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{logs}");
    assert_eq!(entries[0]["message"], format!("hello from {rid}"));
    // The draft is gone once saved; the saved script is what get shows.
    let got = t.ok(a, "get_script", json!({"name": "hello.js"})).await;
    assert_eq!(got["saved"], true);
    assert!(got["draft"].is_null(), "{got}");
    assert_eq!(got["version"], 1);
}

#[tokio::test]
async fn test_req_mcp_003_admin_edit_script_refuses_ambiguous_and_missing_text() {
    let t = Admin::start().await;
    let a = &t.alice;
    let src = "register('/x', () => 'one');\nregister('/y', () => 'one');\n";
    let r = t
        .ok(a, "put_script", json!({"name": "x.js", "source": src}))
        .await;
    assert_eq!(r["ok"], true, "{r}");
    let many = t
        .fails(
            a,
            "edit_script",
            json!({"name": "x.js", "oldText": "'one'", "newText": "'two'"}),
        )
        .await;
    assert!(many.contains("occurs 2 times (at lines 1, 2)"), "{many}");
    let none = t
        .fails(
            a,
            "edit_script",
            json!({"name": "x.js", "oldText": "'three'", "newText": "'two'"}),
        )
        .await;
    assert!(none.contains("does not occur"), "{none}");
    let range = t
        .fails(
            a,
            "edit_script",
            json!({"name": "x.js", "startLine": 3, "endLine": 4, "newText": "x"}),
        )
        .await;
    assert!(range.contains("has 2 lines"), "{range}");
    let both = t
        .fails(a, "edit_script", json!({"name": "x.js", "oldText": "'one'", "startLine": 1, "endLine": 1, "newText": "x"}))
        .await;
    assert!(both.contains("not both"), "{both}");
    // A line range edit of the saved source.
    let r = t
        .ok(
            a,
            "edit_script",
            json!({"name": "x.js", "startLine": 2, "endLine": 2,
            "newText": "register('/y', () => 'two');"}),
        )
        .await;
    assert_eq!(
        (r["ok"].clone(), r["version"].clone(), r["edited"].clone()),
        (json!(true), json!(2), json!("saved"))
    );
    assert_eq!(t.get("/y").await.text(), "two");
    assert_eq!(t.get("/x").await.text(), "one");
    // Nothing to edit: no script, no draft.
    let gone = t
        .fails(
            a,
            "edit_script",
            json!({"name": "nope.js", "oldText": "a", "newText": "b"}),
        )
        .await;
    assert!(gone.contains("no script nope.js and no draft"), "{gone}");
}

#[tokio::test]
async fn test_req_mcp_003_admin_check_versions_restore_delete() {
    let t = Admin::start().await;
    let a = &t.alice;
    let v1 = "register('/v', () => 'v1');";
    t.ok(a, "put_script", json!({"name": "v.js", "source": v1}))
        .await;
    // check_script compiles without saving.
    let bad = t
        .ok(
            a,
            "check_script",
            json!({"name": "v.js", "source": "register('/v', () => {"}),
        )
        .await;
    assert_eq!(bad["ok"], false, "{bad}");
    assert_eq!(bad["line"], 1, "{bad}");
    let good = t
        .ok(
            a,
            "check_script",
            json!({"name": "v.js", "source": "register('/w', () => 'w');"}),
        )
        .await;
    assert_eq!(good["ok"], true, "{good}");
    assert_eq!(good["routes"][0]["path"], "/w");
    let clash = t
        .ok(
            t.admin_ref(),
            "put_script",
            json!({"name": "other.js", "source": "register('/z', () => 'z');"}),
        )
        .await;
    assert_eq!(clash["ok"], true);
    let refused = t
        .ok(
            a,
            "check_script",
            json!({"name": "v.js", "source": "register('/z', () => 'mine');"}),
        )
        .await;
    assert_eq!(refused["ok"], false);
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("already registered by script other.js"),
        "{refused}"
    );
    assert_eq!(t.get("/v").await.text(), "v1", "check_script saved nothing");
    assert_eq!(t.get("/w").await.status, 404);
    // Versions, newest first; restore makes the old source the newest.
    t.ok(
        a,
        "put_script",
        json!({"name": "v.js", "source": "register('/v', () => 'v2');"}),
    )
    .await;
    let vs = t.ok(a, "list_versions", json!({"name": "v.js"})).await;
    let nums: Vec<u64> = vs["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_u64().unwrap())
        .collect();
    assert_eq!(nums, vec![2, 1]);
    assert_eq!(vs["versions"][0]["author"], "alice@example.com");
    let r = t
        .ok(a, "restore_version", json!({"name": "v.js", "version": 1}))
        .await;
    assert_eq!(
        (r["ok"].clone(), r["version"].clone()),
        (json!(true), json!(3))
    );
    assert_eq!(t.get("/v").await.text(), "v1");
    let missing = t
        .fails(a, "restore_version", json!({"name": "v.js", "version": 9}))
        .await;
    assert!(missing.contains("has no version 9"), "{missing}");
    // Routes listed, then gone with the script.
    let routes = t.ok(a, "list_routes", json!({})).await;
    let mine: Vec<&Value> = routes["routes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["script"] == "v.js")
        .collect();
    assert_eq!(mine.len(), 1, "{routes}");
    let d = t.ok(a, "delete_script", json!({"name": "v.js"})).await;
    assert_eq!(d, json!({"name": "v.js", "deleted": true}));
    assert_eq!(t.get("/v").await.status, 404);
}

#[tokio::test]
async fn test_req_mcp_003_admin_editors_manage_only_their_own_scripts() {
    let t = Admin::start().await;
    let (a, b) = (&t.alice, &t.bob);
    t.ok(a, "put_script", json!({"name": "a.js", "source": "register('/a', () => { writeLog('a ran'); return 'a'; });"})).await;
    t.ok(a, "call_route", json!({"path": "/a"})).await;
    // Bob sees none of Alice's script ...
    let listed = t.ok(b, "list_scripts", json!({})).await;
    assert_eq!(listed["scripts"], json!([]), "{listed}");
    let routes = t.ok(b, "list_routes", json!({})).await;
    assert!(
        routes["routes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["script"] != "a.js"),
        "{routes}"
    );
    let logs = t.ok(b, "get_logs", json!({})).await;
    assert!(
        logs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["script"] != "a.js"),
        "{logs}"
    );
    // ... and may neither read nor change it.
    for (tool, args) in [
        ("get_script", json!({"name": "a.js"})),
        (
            "put_script",
            json!({"name": "a.js", "source": "register('/a', () => 'pwned');"}),
        ),
        (
            "edit_script",
            json!({"name": "a.js", "oldText": "'a'", "newText": "'b'"}),
        ),
        ("check_script", json!({"name": "a.js", "source": "1"})),
        ("delete_script", json!({"name": "a.js"})),
        ("list_versions", json!({"name": "a.js"})),
        ("restore_version", json!({"name": "a.js", "version": 1})),
        ("get_logs", json!({"script": "a.js"})),
        ("kv_get", json!({"script": "a.js", "key": ["k"]})),
        ("kv_list", json!({"script": "a.js"})),
    ] {
        let m = t.fails(b, tool, args).await;
        assert!(
            m.contains("bob@example.com may not") && m.contains("script a.js"),
            "{tool}: {m}"
        );
    }
    assert_eq!(t.get("/a").await.text(), "a", "unchanged");
    // Alice sees her own; the admin sees everything.
    let listed = t.ok(a, "list_scripts", json!({})).await;
    assert_eq!(listed["scripts"][0]["name"], "a.js");
    let logs = t
        .ok(t.admin_ref(), "get_logs", json!({"script": "a.js"}))
        .await;
    assert_eq!(logs["entries"][0]["message"], "a ran");
    let got = t
        .ok(t.admin_ref(), "get_script", json!({"name": "a.js"}))
        .await;
    assert_eq!(got["owner"], "alice@example.com");
    // Every call is audited, refusals as denied.
    let audit = t.audit().await;
    let has = |user: &str, action: &str, target: &str, result: &str| {
        audit
            .iter()
            .any(|e| e == &(user.into(), action.into(), target.into(), result.into()))
    };
    assert!(
        has("alice@example.com", "mcp.put_script", "a.js", "ok"),
        "{audit:#?}"
    );
    assert!(has("alice@example.com", "mcp.call_route", "/a", "ok"));
    assert!(has("bob@example.com", "mcp.put_script", "a.js", "denied"));
    assert!(has("bob@example.com", "mcp.list_scripts", "*", "ok"));
    assert!(has("admin@example.com", "mcp.get_script", "a.js", "ok"));
}

#[tokio::test]
async fn test_req_mcp_003_admin_tools_only_for_editors_and_admins() {
    let t = Admin::start().await;
    let names: Vec<String> = t
        .tools
        .list(Some(&t.alice))
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names.len(), 15, "{names:?}");
    assert_eq!(t.tools.list(Some(&t.admin)).len(), 15);
    assert!(t.tools.list(None).is_empty());
    let user = t.user("carol@example.com", Role::Authenticated).await;
    assert!(t.tools.list(Some(&user)).is_empty());
    assert!(t
        .tools
        .call(Some(&user), "list_scripts", json!({}))
        .is_none());
    assert!(t.tools.call(None, "list_scripts", json!({})).is_none());
    assert!(t
        .tools
        .call(Some(&t.alice), "no_such_tool", json!({}))
        .is_none());
    // Schemas compile; the readers say so, the writers do not.
    for tool in t.tools.list(Some(&t.alice)) {
        assert_eq!(tool.input_schema["type"], "object", "{}", tool.name);
        jsonschema::validator_for(&tool.input_schema).expect("input schema");
        jsonschema::validator_for(tool.output_schema.as_ref().expect("output"))
            .expect("output schema");
        let hints = tool.annotations.expect("annotations");
        let reader = [
            "list_scripts",
            "get_script",
            "check_script",
            "list_versions",
            "list_routes",
            "get_logs",
            "list_assets",
            "kv_get",
            "kv_list",
        ];
        assert_eq!(
            hints["readOnlyHint"],
            reader.contains(&tool.name.as_str()),
            "{}",
            tool.name
        );
        assert_eq!(
            hints["destructiveHint"],
            !reader.contains(&tool.name.as_str()),
            "{}",
            tool.name
        );
        assert!(!tool.description.is_empty() && !tool.title.is_empty());
    }
    // Bad arguments say what is wrong.
    let m = t
        .raw(&t.alice, "get_script", json!({"nme": "x.js"}))
        .await
        .unwrap_err();
    assert!(m.contains("invalid arguments") && m.contains("name"), "{m}");
    let m = t
        .raw(
            &t.alice,
            "put_script",
            json!({"name": "../x", "source": "1"}),
        )
        .await
        .unwrap_err();
    assert!(m.contains("invalid script name"), "{m}");
}
