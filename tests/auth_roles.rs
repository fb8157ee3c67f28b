//! Roles, groups and ownership on the management API (issue 4 §2).

mod auth_helpers;
mod common;

use auth_helpers::*;
use common::*;

#[tokio::test]
async fn test_req_auth_006_editor_denied_another_editors_script() {
    let eng = Engine::start().await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (_, bob) = user(&eng, "bob@example.com", "editor").await;
    assert_eq!(
        put_as(&eng, &alice, "a.js", "register('/a', () => 'a');").await,
        201
    );
    assert_eq!(
        put_as(&eng, &bob, "b.js", "register('/b', () => 'b');").await,
        201
    );

    let r = call(&eng, &bob, "GET", "/engine/api/scripts/a.js", None).await;
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(r.code(), "forbidden");
    assert_eq!(
        put_as(&eng, &bob, "a.js", "register('/a', () => 'pwned');").await,
        403
    );
    let r = call(&eng, &bob, "DELETE", "/engine/api/scripts/a.js", None).await;
    assert_eq!(r.status, 403);
    let r = call(
        &eng,
        &bob,
        "PATCH",
        "/engine/api/scripts/a.js",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(&eng, &bob, "GET", "/engine/api/scripts/a.js/versions", None).await;
    assert_eq!(r.status, 403);
    assert_eq!(eng.get("/a").await.text(), "a", "a.js is untouched");

    assert_eq!(
        listed(&eng, &bob).await,
        ["b.js"],
        "bob sees only his script"
    );
    assert_eq!(listed(&eng, &alice).await, ["a.js"]);
    let all = listed(&eng, &eng.token).await;
    assert!(
        all.contains(&"a.js".into()) && all.contains(&"b.js".into()),
        "{all:?}"
    );
    // Seeded scripts have no owner: admins only.
    assert!(all.iter().any(|n| n.starts_with("example-")), "{all:?}");

    // Editors manage no users, groups or ownership.
    let r = call(&eng, &bob, "GET", "/engine/api/users", None).await;
    assert_eq!(r.status, 403);
    let r = call(
        &eng,
        &bob,
        "POST",
        "/engine/api/groups",
        Some(json!({"name": "g"})),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = call(
        &eng,
        &bob,
        "PUT",
        "/engine/api/scripts/a.js/owner",
        Some(json!({"group": "g"})),
    )
    .await;
    assert_eq!(r.status, 403);

    // An authenticated (non-editor) user has no script API at all.
    let (_, carol) = user(&eng, "carol@example.com", "authenticated").await;
    let r = call(&eng, &carol, "GET", "/engine/api/scripts", None).await;
    assert_eq!(r.status, 403);

    // Denials are in the audit log.
    let r = eng.api("GET", "/engine/api/audit?limit=50", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let entries = r.json()["entries"].as_array().cloned().unwrap_or_default();
    assert!(
        entries.iter().any(|e| e["user"] == "bob@example.com"
            && e["result"] == "denied"
            && e["target"] == "a.js"),
        "{entries:#?}"
    );
    assert!(entries
        .iter()
        .any(|e| e["action"] == "user.create" && e["result"] == "ok"));
    // Paging: `before` the last id of a page gives older entries.
    let p1 = eng
        .api("GET", "/engine/api/audit?limit=2", None)
        .await
        .json();
    let next = p1["next_before"].as_u64().expect("a next page");
    let path = format!("/engine/api/audit?limit=2&before={next}");
    let p2 = eng.api("GET", &path, None).await.json();
    let first = p2["entries"][0]["id"].as_u64().expect("older entries");
    assert!(first < next, "{p1} then {p2}");
    let r = call(&eng, &bob, "GET", "/engine/api/audit", None).await;
    assert_eq!(r.status, 403, "editors do not read the audit log");
}

#[tokio::test]
async fn test_req_auth_005_group_ownership_inherited_through_two_levels() {
    let eng = Engine::start().await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (bob_id, bob) = user(&eng, "bob@example.com", "editor").await;
    assert_eq!(
        put_as(&eng, &alice, "team.js", "register('/team', () => 't1');").await,
        201
    );
    for g in ["devs", "eng", "company"] {
        let r = eng
            .api("POST", "/engine/api/groups", Some(json!({"name": g})))
            .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
    // bob ∈ devs ⊂ eng ⊂ company
    assert_eq!(
        add_member(&eng, "devs", json!({"user": bob_id}))
            .await
            .status,
        200
    );
    assert_eq!(
        add_member(&eng, "eng", json!({"group": "devs"}))
            .await
            .status,
        200
    );
    assert_eq!(
        add_member(&eng, "company", json!({"group": "eng"}))
            .await
            .status,
        200
    );

    assert_eq!(
        call(&eng, &bob, "GET", "/engine/api/scripts/team.js", None)
            .await
            .status,
        403
    );
    let r = eng
        .api(
            "PUT",
            "/engine/api/scripts/team.js/owner",
            Some(json!({"group": "company"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["owner_group"], "company");

    let r = call(&eng, &bob, "GET", "/engine/api/scripts/team.js", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        put_as(&eng, &bob, "team.js", "register('/team', () => 't2');").await,
        200
    );
    assert_eq!(eng.get("/team").await.text(), "t2");
    assert_eq!(listed(&eng, &bob).await, ["team.js"]);
    // Alice no longer owns it and is in no group.
    assert_eq!(
        call(&eng, &alice, "GET", "/engine/api/scripts/team.js", None)
            .await
            .status,
        403
    );

    let r = call(&eng, &bob, "GET", "/engine/api/me", None).await;
    let mut groups: Vec<String> = serde_json::from_value(r.json()["groups"].clone()).unwrap();
    groups.sort();
    assert_eq!(groups, ["company", "devs", "eng"]);

    // Removing the middle link takes the access away at once.
    let r = eng
        .api(
            "DELETE",
            "/engine/api/groups/eng/members",
            Some(json!({"group": "devs"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        call(&eng, &bob, "GET", "/engine/api/scripts/team.js", None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn test_req_auth_005_read_and_write_grants() {
    let eng = Engine::start().await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (bob_id, bob) = user(&eng, "bob@example.com", "editor").await;
    assert_eq!(
        put_as(&eng, &alice, "g.js", "register('/g', () => 'g');").await,
        201
    );
    let grants = "/engine/api/scripts/g.js/grants";
    let r = eng
        .api(
            "PUT",
            grants,
            Some(json!({"user": bob_id, "access": "read"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        call(&eng, &bob, "GET", "/engine/api/scripts/g.js", None)
            .await
            .status,
        200
    );
    assert_eq!(
        put_as(&eng, &bob, "g.js", "register('/g', () => 'x');").await,
        403
    );
    let r = eng
        .api(
            "PUT",
            grants,
            Some(json!({"user": bob_id, "access": "write"})),
        )
        .await;
    assert_eq!(
        r.json()["grants"].as_array().map(|a| a.len()),
        Some(1),
        "replaced"
    );
    assert_eq!(
        put_as(&eng, &bob, "g.js", "register('/g', () => 'x');").await,
        200
    );
    let r = eng
        .api("DELETE", grants, Some(json!({"user": bob_id})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        call(&eng, &bob, "GET", "/engine/api/scripts/g.js", None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn test_req_auth_005_group_cycle_refused() {
    let eng = Engine::start().await;
    for g in ["a", "b", "c"] {
        eng.api("POST", "/engine/api/groups", Some(json!({"name": g})))
            .await;
    }
    assert_eq!(
        add_member(&eng, "a", json!({"group": "b"})).await.status,
        200
    );
    assert_eq!(
        add_member(&eng, "b", json!({"group": "c"})).await.status,
        200
    );
    let r = add_member(&eng, "c", json!({"group": "a"})).await;
    assert_eq!(r.status, 409, "{}", r.text());
    assert_eq!(r.code(), "group_cycle");
    assert!(r.text().contains("cycle"), "{}", r.text());
    assert_eq!(
        add_member(&eng, "a", json!({"group": "a"})).await.code(),
        "group_cycle"
    );
    let r = add_member(&eng, "a", json!({"group": "nope"})).await;
    assert_eq!(r.status, 404, "{}", r.text());
    let r = eng
        .api("POST", "/engine/api/groups", Some(json!({"name": "a"})))
        .await;
    assert_eq!(r.status, 409);
    let r = eng
        .api("POST", "/engine/api/groups", Some(json!({"name": "../x"})))
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn test_req_auth_005_named_permissions_in_js() {
    let eng = Engine::start().await;
    let (bob_id, bob) = user(&eng, "bob@example.com", "authenticated").await;
    let (_, carol) = user(&eng, "carol@example.com", "authenticated").await;
    eng.deploy(
        "refund.js",
        "register('/refund', (req) => { req.auth.requirePermission('orders.refund'); return 'refunded'; }, 'POST');",
    )
    .await;
    let r = eng
        .api(
            "POST",
            "/engine/api/permissions",
            Some(json!({"name": "orders.refund"})),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    eng.api(
        "POST",
        "/engine/api/groups",
        Some(json!({"name": "support"})),
    )
    .await;
    eng.api("POST", "/engine/api/groups", Some(json!({"name": "staff"})))
        .await;
    let m = json!({"user": bob_id});
    eng.api("PUT", "/engine/api/groups/support/members", Some(m))
        .await;
    eng.api(
        "PUT",
        "/engine/api/groups/staff/members",
        Some(json!({"group": "support"})),
    )
    .await;
    let r = eng
        .api(
            "PUT",
            "/engine/api/permissions/orders.refund/grants",
            Some(json!({"group": "staff"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());

    let r = send(eng.req("POST", "/refund").bearer_auth(&bob)).await;
    assert_eq!((r.status, r.text()), (200, "refunded".into()));
    let r = send(eng.req("POST", "/refund").bearer_auth(&carol)).await;
    assert_eq!(r.status, 403, "{}", r.text());
    let r = send(eng.req("POST", "/refund")).await;
    assert_eq!(r.status, 401, "{}", r.text());
    let r = call(&eng, &bob, "GET", "/engine/api/me", None).await;
    assert_eq!(r.json()["permissions"], json!(["orders.refund"]));
}

/// Two editors create the same new name at once: one wins, the other is
/// refused (409 script_exists, or 403 when it already sees the winner's
/// script) and never silently saves a version of the winner's script.
#[tokio::test]
async fn test_req_auth_006_racing_first_saves_of_one_name() {
    let eng = Engine::start().await;
    let (_, alice) = user(&eng, "alice@example.com", "editor").await;
    let (_, bob) = user(&eng, "bob@example.com", "editor").await;
    for round in 0..5 {
        let name = format!("race{round}.js");
        let (a, b) = tokio::join!(
            put_as(&eng, &alice, &name, "register('/race', () => 'alice');"),
            put_as(&eng, &bob, &name, "register('/race', () => 'bob');"),
        );
        let mut statuses = [a, b];
        statuses.sort();
        assert!(
            statuses == [201, 403] || statuses == [201, 409],
            "round {round}: {statuses:?}"
        );
        let r = eng
            .api("GET", &format!("/engine/api/scripts/{name}"), None)
            .await;
        assert_eq!(
            r.json()["version"],
            1,
            "the loser added no version: {}",
            r.text()
        );
        eng.api("DELETE", &format!("/engine/api/scripts/{name}"), None)
            .await;
    }
}
