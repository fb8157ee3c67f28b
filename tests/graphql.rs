//! GraphQL over HTTP (REQ-GQL-001/002/004): queries, mutations, errors,
//! save-time schema checks and live schema changes.

mod common;

use common::*;

const BLOG: &str = include_str!("test_scripts/blog_graphql.js");

async fn gql(eng: &Engine, query: &str, variables: Value) -> Value {
    let r = send(
        eng.req("POST", "/graphql")
            .json(&json!({ "query": query, "variables": variables })),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

#[tokio::test]
async fn test_req_gql_001_query_with_nested_objects_lists_and_enums() {
    let eng = Engine::start().await;
    eng.deploy("blog.js", BLOG).await;
    let r = gql(
        &eng,
        "query($id: ID!) { hello post(id: $id) { id title author { name } tags status } }",
        json!({"id": "1"}),
    )
    .await;
    assert_eq!(r["errors"], Value::Null, "{r}");
    assert_eq!(r["data"]["hello"], "Hello world");
    assert_eq!(
        r["data"]["post"],
        json!({"id": "1", "title": "Hello", "author": {"name": "ann"}, "tags": ["a", "b"], "status": "PUBLISHED"})
    );
    assert_eq!(
        gql(&eng, "{ post(id: 99) { id } }", Value::Null).await["data"]["post"],
        Value::Null
    );
}

#[tokio::test]
async fn test_req_gql_002_mutation_with_input_type_and_named_resolver() {
    let eng = Engine::start().await;
    eng.deploy("blog.js", BLOG).await;
    let q = "mutation($in: PostInput!) { addPost(input: $in) { id title tags status } }";
    let r = gql(&eng, q, json!({"in": {"title": "Second", "tags": ["x"]}})).await;
    assert_eq!(r["data"]["addPost"]["title"], "Second", "{r}");
    assert_eq!(r["data"]["addPost"]["status"], "DRAFT");
    let get = eng
        .get("/graphql?query=mutation%7BaddPost(input:%7Btitle:%22x%22%7D)%7Bid%7D%7D")
        .await;
    assert_eq!(get.status, 405, "mutations need POST: {}", get.text());
}

#[tokio::test]
async fn test_req_gql_001_errors_have_a_path_and_other_fields_resolve() {
    let eng = Engine::start().await;
    eng.deploy("blog.js", BLOG).await;
    let r = gql(&eng, "{ a: hello(name: \"x\") boom }", Value::Null).await;
    assert_eq!(r["data"]["a"], "Hello x");
    assert_eq!(r["data"]["boom"], Value::Null);
    let err = &r["errors"][0];
    assert_eq!(err["message"], "kaput", "{r}");
    assert_eq!(err["path"], json!(["boom"]));
    assert!(err["locations"].is_array());
}

#[tokio::test]
async fn test_req_gql_001_get_query_and_context_headers() {
    let eng = Engine::start().await;
    eng.deploy("blog.js", BLOG).await;
    let r = eng.get("/graphql?query=%7Bhello(name:%22get%22)%7D").await;
    assert_eq!(r.json()["data"]["hello"], "Hello get");
    let r = send(
        eng.req("POST", "/graphql")
            .header("x-who", "me")
            .json(&json!({"query": "{ whoAsks }"})),
    )
    .await;
    assert_eq!(r.json()["data"]["whoAsks"], "me");
    let r = send(
        eng.req("POST", "/graphql")
            .header("accept", "application/graphql-response+json")
            .json(&json!({"query": "{ hello }"})),
    )
    .await;
    assert_eq!(r.content_type(), "application/graphql-response+json");
}

#[tokio::test]
async fn test_req_gql_004_introspection_shows_fields_and_descriptions() {
    let eng = Engine::start().await;
    eng.deploy("blog.js", BLOG).await;
    let r = gql(
        &eng,
        "{ __type(name: \"Post\") { description fields { name } } }",
        Value::Null,
    )
    .await;
    assert_eq!(r["data"]["__type"]["description"], "A blog post", "{r}");
    assert_eq!(r["data"]["__type"]["fields"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn test_req_gql_002_schema_errors_refuse_the_save_and_keep_the_schema() {
    let eng = Engine::start().await;
    eng.deploy("blog.js", BLOG).await;
    let (status, body) = eng
        .put_script(
            "bad.js",
            "registerGraphQLQuery('x', 'type Query { x: Foo', () => 1);",
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "graphql_schema_error");
    assert_eq!(
        (
            body["error"]["line"].as_u64(),
            body["error"]["column"].as_u64()
        ),
        (Some(1), Some(20))
    );
    let clash =
        "registerGraphQLQuery('y', 'type Query { y: Post } type Post { id: Int }', () => 1);";
    let (status, body) = eng.put_script("clash.js", clash).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("blog.js"),
        "{body}"
    );
    let (status, body) = eng
        .put_script(
            "dup.js",
            "registerGraphQLQuery('hello', 'hello: String', () => 'x');",
        )
        .await;
    assert_eq!(status, 400, "a root field belongs to one script: {body}");
    assert_eq!(
        gql(&eng, "{ hello }", Value::Null).await["data"]["hello"],
        "Hello world"
    );
}

#[tokio::test]
async fn test_req_gql_002_schema_changes_go_live_without_restart() {
    let eng = Engine::start().await;
    let r = send(
        eng.req("POST", "/graphql")
            .json(&json!({"query": "{ hello }"})),
    )
    .await;
    assert_eq!(r.status, 404, "no schema yet: {}", r.text());
    eng.deploy(
        "v.js",
        "registerGraphQLQuery('version', 'version: Int', () => 1);",
    )
    .await;
    assert_eq!(
        gql(&eng, "{ version }", Value::Null).await["data"]["version"],
        1
    );
    eng.deploy(
        "v.js",
        "registerGraphQLQuery('version', 'version: Int', () => 2);",
    )
    .await;
    assert_eq!(
        gql(&eng, "{ version }", Value::Null).await["data"]["version"],
        2
    );
    let r = eng.api("DELETE", "/engine/api/scripts/v.js", None).await;
    assert_eq!(r.status, 204);
    let r = send(
        eng.req("POST", "/graphql")
            .json(&json!({"query": "{ version }"})),
    )
    .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn test_seed_example_todo_graphql_runs() {
    let eng = Engine::start().await;
    let r = eng
        .api(
            "PATCH",
            "/engine/api/scripts/example-todo-graphql.js",
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = gql(
        &eng,
        "mutation { exampleAddTodo(text: \"milk\") { id text done } }",
        Value::Null,
    )
    .await;
    assert_eq!(r["data"]["exampleAddTodo"]["text"], "milk", "{r}");
    let r = gql(
        &eng,
        "{ __schema { subscriptionType { fields { name } } } }",
        Value::Null,
    )
    .await;
    assert_eq!(
        r["data"]["__schema"]["subscriptionType"]["fields"][0]["name"],
        "exampleTodoAdded"
    );
}

#[tokio::test]
async fn test_req_gql_003_subscription_over_legacy_sse_transport() {
    let eng = Engine::start().await;
    eng.deploy("todo.js", include_str!("test_scripts/todo_graphql.js"))
        .await;
    // The older engine's transport: POST /graphql/sse, plain data: lines.
    let mut resp = eng
        .req("POST", "/graphql/sse")
        .json(&json!({"query": "subscription { greeting(name: \"bo\") }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), resp.chunk())
        .await
        .expect("first event in time")
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk).to_string();
    assert!(text.starts_with("data: "), "{text}");
    assert!(
        text.contains(r#"{"data":{"greeting":"hello bo"}}"#),
        "{text}"
    );
}

#[tokio::test]
async fn test_req_gql_004_introspection_off_and_depth_limit_by_config() {
    let opts = Opts::config("[graphql]\nintrospection = false\nmax_depth = 2\n");
    let eng = Engine::start_with(opts).await;
    eng.deploy("blog.js", BLOG).await;
    let r = gql(&eng, "{ __schema { queryType { name } } }", Value::Null).await;
    assert!(r["errors"].is_array(), "introspection must be off: {r}");
    let r = gql(&eng, "{ post(id: 1) { author { name } } }", Value::Null).await;
    let msg = r["errors"][0]["message"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        msg.contains("nested too deep") || msg.contains("depth"),
        "{r}"
    );
    assert_eq!(
        gql(&eng, "{ post(id: 1) { title } }", Value::Null).await["data"]["post"]["title"],
        "Hello"
    );
}

#[tokio::test]
async fn test_req_gql_001_resolvers_see_the_requests_user() {
    let eng = Engine::start().await;
    let src = "registerGraphQLQuery('me', 'me: String', (args, ctx) => ctx.auth.isAuthenticated ? ctx.auth.userEmail : 'anonymous');";
    eng.deploy("me.js", src).await;
    assert_eq!(
        gql(&eng, "{ me }", Value::Null).await["data"]["me"],
        "anonymous"
    );
    let r = send(
        eng.req("POST", "/graphql")
            .bearer_auth(&eng.token)
            .json(&json!({"query": "{ me }"})),
    )
    .await;
    assert_eq!(r.json()["data"]["me"], ADMIN_EMAIL);
}

#[tokio::test]
async fn test_req_gql_001_oversized_body_is_413() {
    let eng = Engine::start_with(Opts::config("[server]\nbody_limit_bytes = 1000\n")).await;
    eng.deploy("blog.js", BLOG).await;
    let big = format!("{{ hello }} #{}", "x".repeat(2000));
    let r = send(eng.req("POST", "/graphql").json(&json!({ "query": big }))).await;
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.code(), "payload_too_large");
}

/// After 32 fast runs a resolver is called on the I/O thread itself; sync
/// and async resolvers (one awaits a timer, one kv) keep answering right,
/// including several fields of one query resolved concurrently.
#[tokio::test]
async fn test_req_gql_001_resolvers_stay_correct_once_promoted_inline() {
    let eng = Engine::start().await;
    eng.deploy(
        "fast.js",
        r#"
        registerGraphQLQuery("twice", "twice(n: Int!): Int", (a) => a.n * 2);
        registerGraphQLQuery("later", "later(n: Int!): Int", async (a) => {
          await new Promise((r) => setTimeout(r, 1));
          return a.n + 1;
        });
        registerGraphQLMutation("bump", "bump: Int", async () => {
          const r = await kv.atomic().sum(["n"], 1n).commit();
          return Number((await kv.get(["n"])).value);
        });
        "#,
    )
    .await;
    for i in 0..60 {
        let r = gql(
            &eng,
            "query($n: Int!) { twice(n: $n) later(n: $n) x: twice(n: 1) }",
            json!({ "n": i }),
        )
        .await;
        assert_eq!(
            r["data"],
            json!({"twice": i * 2, "later": i + 1, "x": 2}),
            "{r}"
        );
    }
    for i in 1..=40 {
        let r = gql(&eng, "mutation { bump }", Value::Null).await;
        assert_eq!(r["data"]["bump"], i, "{r}");
    }
}

/// REQ-GQL-001 batching: a JSON array of operations is answered with an
/// array in the same order; mutations run in order.
#[tokio::test]
async fn test_req_gql_001_batched_operations_run_in_order() {
    let eng = Engine::start().await;
    eng.deploy(
        "count.js",
        r#"
        // Module state is per worker; kv is shared, so the order shows.
        const count = async () => Number((await kv.get(["n"])).value ?? 0n);
        registerGraphQLQuery("count", "count: Int", count);
        registerGraphQLMutation("inc", "inc(by: Int!): Int", async (a) => {
          await kv.atomic().sum(["n"], BigInt(a.by)).commit();
          return count();
        });
        "#,
    )
    .await;
    let batch = json!([
        {"query": "mutation { inc(by: 2) }"},
        {"query": "mutation($b: Int!) { inc(by: $b) }", "variables": {"b": 3}},
        {"query": "{ count }"},
        {"query": "{ nope }"}
    ]);
    let r = send(eng.req("POST", "/graphql").json(&batch)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v[0]["data"]["inc"], 2, "{v}");
    assert_eq!(v[1]["data"]["inc"], 5, "{v}");
    assert_eq!(v[2]["data"]["count"], 5, "{v}");
    assert!(
        v[3]["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nope")),
        "{v}"
    );
    let empty = send(eng.req("POST", "/graphql").json(&json!([]))).await;
    assert_eq!(empty.status, 400, "{}", empty.text());
    let big: Vec<Value> = (0..33).map(|_| json!({"query": "{ count }"})).collect();
    let r = send(eng.req("POST", "/graphql").json(&big)).await;
    assert_eq!(r.status, 400);
    assert!(r.text().contains("1 to 32"), "{}", r.text());
}

/// REQ-GQL-001: what a resolver's `(args, ctx)` hold. `ctx.headers` is made
/// on first read (issue 14) but reads, enumerates once read, and
/// serializes as a plain object would; `ctx.variables` is the operation's
/// variables or `null`; values of every JSON kind come back as returned.
#[tokio::test]
async fn test_req_gql_001_resolver_args_and_ctx() {
    let eng = Engine::start().await;
    eng.deploy(
        "ctx.js",
        r#"
        registerGraphQLQuery("ctxInfo", "ctxInfo(n: Int): String", (args, ctx) => {
          const before = Object.keys(ctx).sort().join(",");
          const who = ctx.headers["x-who"];
          return JSON.stringify({
            args, before, who,
            after: Object.keys(ctx).sort().join(","),
            json: Object.keys(JSON.parse(JSON.stringify(ctx))).sort().join(","),
            vars: ctx.variables,
            rid: typeof ctx.requestId === "string" && ctx.requestId.length > 0,
            anon: ctx.auth.isAuthenticated === false,
          });
        });
        registerGraphQLQuery("vInt", "vInt: Int", () => -7);
        registerGraphQLQuery("vBool", "vBool: Boolean", () => false);
        registerGraphQLQuery("vFloat", "vFloat: Float", () => 1.5);
        registerGraphQLQuery("vStr", "vStr: String", () => 'q"\\\n\u2603\u0001');
        registerGraphQLQuery("vNull", "vNull: String", () => undefined);
        "#,
    )
    .await;
    let info = |r: &Value| -> Value {
        serde_json::from_str(
            r["data"]["ctxInfo"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}")),
        )
        .unwrap()
    };
    let r = send(
        eng.req("POST", "/graphql")
            .header("x-who", "ann")
            .header("x-who", "bob")
            .json(&json!({"query": "{ ctxInfo }"})),
    )
    .await;
    let i = info(&r.json());
    assert_eq!(i["args"], json!({}), "{i}");
    assert_eq!(i["before"], "auth,requestId,variables", "{i}");
    assert_eq!(i["who"], "ann, bob", "a repeated header reads joined: {i}");
    assert_eq!(i["after"], "auth,headers,requestId,variables", "{i}");
    assert_eq!(i["json"], "auth,headers,requestId,variables", "{i}");
    assert_eq!(i["vars"], Value::Null, "{i}");
    assert_eq!(
        (i["rid"].clone(), i["anon"].clone()),
        (json!(true), json!(true))
    );

    let r = gql(&eng, "query($n: Int) { ctxInfo(n: $n) }", json!({"n": 3})).await;
    let i = info(&r);
    assert_eq!(i["args"], json!({"n": 3}), "{i}");
    assert_eq!(i["vars"], json!({"n": 3}), "{i}");
    assert_eq!(i["who"], Value::Null, "{i}");

    let r = gql(&eng, "{ vInt vBool vFloat vStr vNull }", Value::Null).await;
    assert_eq!(
        r["data"],
        json!({"vInt": -7, "vBool": false, "vFloat": 1.5, "vStr": "q\"\\\n\u{2603}\u{1}", "vNull": null}),
        "{r}"
    );
}
