//! Configuration (issue 5 §2): layers and their precedence, file formats,
//! validation messages, secrets, `config show/check/set`, the management
//! API and hot reload (REQ-CFG-001..004, REQ-SEC-005).

mod common;

use std::path::Path;

use common::*;

/// `aiwebengine ARGS` with extra environment variables.
fn run_env(args: &[&str], env: &[(&str, &str)]) -> CliOutput {
    let mut cmd = cli();
    cmd.args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_cmd(cmd, None)
}

/// `config show --json --data D ARGS`, which must exit 0.
fn show(data: &Path, args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut all = vec!["config", "show", "--json", "--data", data.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = run_env(&all, env);
    assert_eq!(out.status.code(), Some(0), "config show: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

fn entry(view: &Value, key: &str) -> Value {
    view["values"]
        .as_array()
        .expect("values")
        .iter()
        .find(|v| v["key"] == key)
        .cloned()
        .unwrap_or_else(|| panic!("no {key} in {view}"))
}

fn assert_layer(view: &Value, key: &str, value: Value, source: &str) {
    let e = entry(view, key);
    assert_eq!(e["value"], value, "{key}: {e}");
    assert_eq!(e["source"], source, "{key}: {e}");
}

/// `serve` that must refuse its config: exit 2, and the messages.
fn refused(dir: &DataDir, extra: &[&str], env: &[(&str, &str)]) -> String {
    let data = dir.data.to_str().unwrap();
    let mut args = vec![
        "serve",
        "--data",
        data,
        "--http",
        "127.0.0.1:0",
        "--https",
        "off",
    ];
    args.extend_from_slice(extra);
    let out = run_env(&args, env);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout {} stderr {}",
        out.stdout,
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.stderr
}

fn set_offline(data: &Path, key: &str, value: &str) {
    let out = run_cli(&[
        "config",
        "set",
        key,
        value,
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "config set: {}", out.stderr);
}

#[test]
fn test_req_cfg_001_precedence_matrix() {
    let dir = DataDir::new();
    let key = "server.http";
    assert_layer(
        &show(&dir.data, &[], &[]),
        key,
        json!("0.0.0.0:8080"),
        "default",
    );
    set_offline(&dir.data, key, "127.0.0.2:1");
    assert_layer(
        &show(&dir.data, &[], &[]),
        key,
        json!("127.0.0.2:1"),
        "settings",
    );
    let file = dir.write("a.toml", b"[server]\nhttp = \"127.0.0.3:1\"\n");
    let f = file.to_str().unwrap();
    let with_file = show(&dir.data, &["--config", f], &[]);
    assert_layer(&with_file, key, json!("127.0.0.3:1"), &format!("file:{f}"));
    let scheme = [("AIWEBENGINE_SERVER__HTTP", "127.0.0.4:1")];
    let with_env = show(&dir.data, &["--config", f], &scheme);
    assert_layer(
        &with_env,
        key,
        json!("127.0.0.4:1"),
        "env:AIWEBENGINE_SERVER__HTTP",
    );
    let fixed = [("AIWEBENGINE_HTTP", "127.0.0.5:1")];
    let with_fixed = show(&dir.data, &["--config", f], &fixed);
    assert_layer(
        &with_fixed,
        key,
        json!("127.0.0.5:1"),
        "env:AIWEBENGINE_HTTP",
    );
    let args = ["--config", f, "--http", "127.0.0.6:1"];
    let with_flag = show(&dir.data, &args, &scheme);
    assert_layer(&with_flag, key, json!("127.0.0.6:1"), "flag");
    assert_eq!(entry(&with_flag, key)["editable"], false);
    assert_eq!(entry(&show(&dir.data, &[], &[]), key)["editable"], true);
}

/// The same order seen by a running server: the time limit it enforces
/// is the one from the highest layer that sets it.
#[tokio::test]
async fn test_req_cfg_001_running_server_uses_the_highest_layer() {
    let dir = DataDir::new();
    admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
    set_offline(&dir.data, "js.time_limit_ms", "50");
    let file = dir.write("a.yaml", b"js:\n  time_limit_ms: 60\n");
    for (env, want, source) in [
        (None, 60, format!("file:{}", file.display())),
        (
            Some("70"),
            70,
            "env:AIWEBENGINE_JS__TIME_LIMIT_MS".to_string(),
        ),
    ] {
        let mut cmd = cli();
        cmd.args(["serve", "--data", dir.data.to_str().unwrap()]);
        cmd.args(["--http", "127.0.0.1:0", "--https", "off", "--config"]);
        cmd.arg(&file);
        if let Some(v) = env {
            cmd.env("AIWEBENGINE_JS__TIME_LIMIT_MS", v);
        }
        let server = Server::spawn_cmd(cmd, &dir.data).unwrap_or_else(|e| panic!("{e}"));
        let token = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
        let cfg = send(server.req("GET", "/engine/api/config").bearer_auth(&token)).await;
        assert_eq!(cfg.status, 200, "{}", cfg.text());
        assert_layer(&cfg.json(), "js.time_limit_ms", json!(want), &source);
        let src = "register('/spin', () => { for (;;) {} });";
        let put = send(
            server
                .req("PUT", "/engine/api/scripts/spin.js")
                .bearer_auth(&token)
                .body(src),
        )
        .await;
        assert!(put.status == 200 || put.status == 201, "{}", put.text());
        let r = server.get("/spin").await;
        assert_eq!(r.status, 500);
        assert!(
            r.text().contains(&format!("limit of {want} ms")),
            "{}",
            r.text()
        );
    }
}

#[test]
fn test_req_cfg_002_yaml_json_json5_layered_later_wins() {
    let dir = DataDir::new();
    let base = dir.write(
        "base.yaml",
        b"js:\n  time_limit_ms: 100\n  console: false\nkv:\n  shared: [a, b]\n",
    );
    let prod = dir.write("prod.json", br#"{"js": {"time_limit_ms": 200}}"#);
    let extra = dir.write(
        "extra.json5",
        b"{\n  // comments are fine\n  graphql: { max_depth: 7, },\n}\n",
    );
    let (b, p, x) = (
        base.to_str().unwrap(),
        prod.to_str().unwrap(),
        extra.to_str().unwrap(),
    );
    let v = show(
        &dir.data,
        &["--config", b, "--config", p, "--config", x],
        &[],
    );
    assert_layer(&v, "js.time_limit_ms", json!(200), &format!("file:{p}"));
    assert_layer(&v, "js.console", json!(false), &format!("file:{b}"));
    assert_layer(&v, "kv.shared", json!(["a", "b"]), &format!("file:{b}"));
    assert_layer(&v, "graphql.max_depth", json!(7), &format!("file:{x}"));
    let list = format!("{b},{p}");
    let v = show(&dir.data, &[], &[("AIWEBENGINE_CONFIG", &list)]);
    assert_layer(&v, "js.time_limit_ms", json!(200), &format!("file:{p}"));
}

#[test]
fn test_req_cfg_003_every_validation_message_names_key_source_value_allowed() {
    let dir = DataDir::new();
    let toml = dir.write("a.toml", b"[js]\nworkers = 1\ntim_limit_ms = 5\n");
    let err = refused(&dir, &["--config", toml.to_str().unwrap()], &[]);
    assert!(err.contains("unknown key js.tim_limit_ms"), "{err}");
    assert!(
        err.contains(&format!("config file {} line 3", toml.display())),
        "{err}"
    );
    assert!(err.contains("did you mean js.time_limit_ms?"), "{err}");

    let yaml = dir.write(
        "b.yaml",
        b"server:\n  http: x\njs:\n  time_limit_ms: fast\n",
    );
    let err = refused(&dir, &["--config", yaml.to_str().unwrap()], &[]);
    let want = format!(
        "js.time_limit_ms = \"fast\" (config file {} line 4); allowed: a whole number",
        yaml.display()
    );
    assert!(err.contains(&want), "{err}");

    let json = dir.write(
        "c.json",
        b"{\n  \"js\": {\n    \"isolation\": \"fork\"\n  }\n}\n",
    );
    let err = refused(&dir, &["--config", json.to_str().unwrap()], &[]);
    let want = format!(
        "js.isolation = \"fork\" (config file {} line 3); allowed: \"worker\" or \"request\"",
        json.display()
    );
    assert!(err.contains(&want), "{err}");

    let env = [("AIWEBENGINE_LOGGING__FORMAT", "xml")];
    let err = refused(&dir, &[], &env);
    let want = "logging.format = \"xml\" (environment variable AIWEBENGINE_LOGGING__FORMAT); allowed: \"pretty\", \"json\"";
    assert!(err.contains(want), "{err}");

    let err = refused(&dir, &[], &[("AIWEBENGINE_JS__TIME_LIMIT", "5")]);
    assert!(
        err.contains("environment variable AIWEBENGINE_JS__TIME_LIMIT"),
        "{err}"
    );
    assert!(
        err.contains("did you mean AIWEBENGINE_JS__TIME_LIMIT_MS?"),
        "{err}"
    );

    let err = refused(&dir, &[], &[("AIWEBENGINE_JS_TIME_LIMIT_MS", "5")]);
    assert!(
        err.contains("did you mean AIWEBENGINE_JS__TIME_LIMIT_MS?"),
        "{err}"
    );

    let syntax = dir.write("d.toml", b"[js]\n\ntime_limit_ms = = 3\n");
    let err = refused(&dir, &["--config", syntax.to_str().unwrap()], &[]);
    assert!(
        err.contains(&format!("config file {} line 3", syntax.display())),
        "{err}"
    );

    let two = dir.write("e.toml", b"[sever]\nx = 1\n[js]\nisolation = 3\n");
    let err = refused(&dir, &["--config", two.to_str().unwrap()], &[]);
    assert!(
        err.contains("unknown key sever") && err.contains("did you mean server?"),
        "{err}"
    );
    assert!(
        err.contains("js.isolation = 3"),
        "both problems at once: {err}"
    );

    let bad_ext = dir.write("f.ini", b"");
    let err = refused(&dir, &["--config", bad_ext.to_str().unwrap()], &[]);
    assert!(err.contains(".toml, .yaml, .yml, .json, .json5"), "{err}");
}

#[test]
fn test_req_cfg_003_fixed_and_foreign_env_names_are_not_unknown_keys() {
    let dir = DataDir::new();
    let env = [
        ("AIWEBENGINE_SECRET_KEY", "x"),
        ("AIWEBENGINE_OTHER_TOOL", "/usr/bin/aiwebengine"),
        ("AIWEBENGINE_LOG", "warn"),
    ];
    let v = show(&dir.data, &[], &env);
    assert_layer(&v, "logging.level", json!("warn"), "env:AIWEBENGINE_LOG");
}

#[test]
fn test_req_cfg_003_config_check_exit_codes() {
    let dir = DataDir::new();
    let good = dir.write("good.toml", b"[js]\ntime_limit_ms = 5\n");
    let out = run_cli(&["config", "check", good.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("valid"), "{}", out.stdout);
    let bad = dir.write("bad.yaml", b"js:\n  memory_limit_bytes: 5\n");
    let out = run_cli(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stdout);
    assert!(
        out.stderr.contains("js.memory_limit_bytes = 5"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("at least 1048576"), "{}", out.stderr);
    let out = run_cli(&[
        "config",
        "check",
        dir.dir().join("missing.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        out.stderr.contains("cannot read config file"),
        "{}",
        out.stderr
    );
}

#[test]
fn test_req_sec_005_secret_references_resolved_and_masked() {
    let dir = DataDir::new();
    let secret_file = dir.write("token.txt", b"from-a-file\n");
    let toml = format!("[metrics]\ntoken = \"file:{}\"\n", secret_file.display());
    let cfg = dir.write("a.toml", toml.as_bytes());
    let c = cfg.to_str().unwrap();
    let v = show(&dir.data, &["--config", c], &[]);
    let e = entry(&v, "metrics.token");
    assert_eq!(e["value"], "********");
    assert_eq!(e["secret"], true);
    let text = run_cli(&[
        "config",
        "show",
        "--data",
        dir.data.to_str().unwrap(),
        "--config",
        c,
    ]);
    assert!(
        !text.stdout.contains("from-a-file") && text.stdout.contains("********"),
        "{}",
        text.stdout
    );

    let key = run_cli(&["config", "genkey"]).stdout.trim().to_string();
    let mut enc = cli();
    enc.args(["config", "encrypt"])
        .env("AIWEBENGINE_SECRET_KEY", &key);
    let enc = run_cmd(enc, Some("s3cret-token\n"));
    assert!(enc.status.success(), "{}", enc.stderr);
    let sealed = enc.stdout.trim();
    assert!(
        sealed.starts_with("enc:v1:") && !sealed.contains("s3cret"),
        "{sealed}"
    );
    let env = [
        ("AIWEBENGINE_METRICS__TOKEN", sealed),
        ("AIWEBENGINE_SECRET_KEY", key.as_str()),
    ];
    let v = show(&dir.data, &[], &env);
    assert_eq!(entry(&v, "metrics.token")["value"], "********");

    let err = refused(&dir, &[], &[("AIWEBENGINE_METRICS__TOKEN", sealed)]);
    assert!(err.contains("metrics.token = ********"), "{err}");
    assert!(err.contains("AIWEBENGINE_SECRET_KEY"), "{err}");
    let err = refused(
        &dir,
        &[],
        &[("AIWEBENGINE_METRICS__TOKEN", "env:NOT_SET_ANYWHERE_42")],
    );
    assert!(err.contains("NOT_SET_ANYWHERE_42"), "{err}");
}

/// An `enc:` token really guards `/metrics` once decrypted.
#[tokio::test]
async fn test_req_sec_005_encrypted_metrics_token_works() {
    let dir = DataDir::new();
    let key = run_cli(&["config", "genkey"]).stdout.trim().to_string();
    let mut enc = cli();
    enc.args(["config", "encrypt"])
        .env("AIWEBENGINE_SECRET_KEY", &key);
    let sealed = run_cmd(enc, Some("tok-123")).stdout.trim().to_string();
    let mut cmd = cli();
    cmd.args([
        "serve",
        "--data",
        dir.data.to_str().unwrap(),
        "--http",
        "127.0.0.1:0",
        "--https",
        "off",
    ]);
    cmd.env("AIWEBENGINE_METRICS__TOKEN", &sealed)
        .env("AIWEBENGINE_SECRET_KEY", &key)
        .env("AIWEBENGINE_METRICS__LOOPBACK_OPEN", "false");
    let server = Server::spawn_cmd(cmd, &dir.data).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.get("/metrics").await.status, 403);
    let ok = send(server.req("GET", "/metrics").bearer_auth("tok-123")).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert!(
        !server.output().contains("tok-123"),
        "the secret is never logged"
    );
}

#[tokio::test]
async fn test_req_cfg_001_config_show_held_file_points_to_the_api() {
    let eng = Engine::start().await;
    let out = run_cli(&["config", "show", "--data", eng.dir.data.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert!(
        out.stdout.contains("held by a running server"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("GET /engine/api/config"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("js.time_limit_ms = 1000"),
        "{}",
        out.stdout
    );
    let fresh = DataDir::new();
    let out = run_cli(&["config", "show", "--data", fresh.data.to_str().unwrap()]);
    assert!(out.stdout.contains("no data file"), "{}", out.stdout);
    assert!(!fresh.data.exists(), "show never creates the data file");
}

#[tokio::test]
async fn test_req_cfg_004_api_get_put_settings_layer() {
    let eng = Engine::start_with(Opts::config("[js]\nworkers = 2\n")).await;
    let v = eng.api("GET", "/engine/api/config", None).await;
    assert_eq!(v.status, 200, "{}", v.text());
    let e = entry(&v.json(), "js.time_limit_ms");
    assert_eq!(
        e,
        json!({"key": "js.time_limit_ms", "value": 1000, "source": "default", "secret": false,
        "editable": true, "reload": "restart", "pending_restart": false, "env": "AIWEBENGINE_JS__TIME_LIMIT_MS"})
    );
    assert_eq!(entry(&v.json(), "js.workers")["editable"], false);
    assert_eq!(entry(&v.json(), "server.http")["source"], "flag");

    let body = json!({"key": "js.time_limit_ms", "value": 1500});
    let r = eng.api("PUT", "/engine/api/config", Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["source"], "settings");
    assert_eq!(r.json()["restart_required"], json!(["js.time_limit_ms"]));
    assert_eq!(r.json()["pending_restart"], true);

    let bad = json!({"key": "js.isolation", "value": "fork"});
    let r = eng.api("PUT", "/engine/api/config", Some(bad)).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text()
            .contains("allowed: \\\"worker\\\" or \\\"request\\\""),
        "{}",
        r.text()
    );
    let typo = json!({"key": "js.tim_limit_ms", "value": 5});
    let r = eng.api("PUT", "/engine/api/config", Some(typo)).await;
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("did you mean js.time_limit_ms?"),
        "{}",
        r.text()
    );
    let over = json!({"key": "js.workers", "value": 3});
    assert_eq!(
        eng.api("PUT", "/engine/api/config", Some(over))
            .await
            .status,
        409
    );

    let live = json!({"key": "security.frame_options", "value": "SAMEORIGIN"});
    let r = eng.api("PUT", "/engine/api/config", Some(live)).await;
    assert_eq!(
        r.json()["applied"],
        json!(["security.frame_options"]),
        "{}",
        r.text()
    );
    let h = eng.get("/health").await;
    assert_eq!(h.header("x-frame-options").as_deref(), Some("SAMEORIGIN"));
    let del = json!({"key": "security.frame_options", "value": null});
    let r = eng.api("PUT", "/engine/api/config", Some(del)).await;
    assert_eq!(r.json()["source"], "default", "{}", r.text());
    assert_eq!(
        eng.get("/health")
            .await
            .header("x-frame-options")
            .as_deref(),
        Some("DENY")
    );

    let audit = eng.api("GET", "/engine/api/audit", None).await.text();
    assert!(
        audit.contains("config.set") && audit.contains("security.frame_options"),
        "{audit}"
    );
}

#[tokio::test]
async fn test_req_cfg_004_api_is_admin_only() {
    let eng = Engine::start().await;
    let body =
        json!({"email": "ed@example.com", "password": "editor-password-1", "role": "editor"});
    let r = eng.api("POST", "/engine/api/users", Some(body)).await;
    assert!(r.status == 200 || r.status == 201, "{}", r.text());
    let ed = eng
        .server
        .login("ed@example.com", "editor-password-1")
        .await;
    for (m, p) in [
        ("GET", "/engine/api/config"),
        ("PUT", "/engine/api/config"),
        ("POST", "/engine/api/config/reload"),
    ] {
        let rb = eng
            .req(m, p)
            .bearer_auth(&ed)
            .json(&json!({"key": "js.eval", "value": false}));
        assert_eq!(send(rb).await.status, 403, "{m} {p}");
    }
    assert_eq!(eng.get("/engine/api/config").await.status, 401, "anonymous");
}

fn frame_options(v: &str) -> String {
    format!("[security]\nframe_options = \"{v}\"\n[logging]\nlevel = \"info\"\n")
}

#[tokio::test]
async fn test_req_cfg_004_reload_via_api_applies_live_and_rejects_invalid() {
    let eng = Engine::start_with(Opts::config(&frame_options("SAMEORIGIN"))).await;
    let file = eng.dir.dir().join("config.toml");
    assert_eq!(
        eng.get("/health")
            .await
            .header("x-frame-options")
            .as_deref(),
        Some("SAMEORIGIN")
    );
    std::fs::write(
        &file,
        format!("{}[js]\ntime_limit_ms = 900\n", frame_options("DENY")),
    )
    .unwrap();
    let r = eng.api("POST", "/engine/api/config/reload", None).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["applied"], json!(["security.frame_options"]));
    assert_eq!(r.json()["restart_required"], json!(["js.time_limit_ms"]));
    assert_eq!(
        eng.get("/health")
            .await
            .header("x-frame-options")
            .as_deref(),
        Some("DENY")
    );

    std::fs::write(
        &file,
        "[security]\nframe_options = \"ALLOWALL\"\n[js]\nisolation = \"fork\"\n",
    )
    .unwrap();
    let r = eng.api("POST", "/engine/api/config/reload", None).await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("js.isolation"), "{}", r.text());
    assert_eq!(
        eng.get("/health")
            .await
            .header("x-frame-options")
            .as_deref(),
        Some("DENY"),
        "old config kept"
    );
}

#[cfg(unix)]
#[tokio::test]
async fn test_req_cfg_004_sighup_reloads_and_keeps_old_on_error() {
    let eng = Engine::start_with(Opts::config(&frame_options("SAMEORIGIN"))).await;
    let file = eng.dir.dir().join("config.toml");
    std::fs::write(&file, "[security]\nframe_options = \"DENY\"\n[sever]\n").unwrap();
    eng.server.signal("HUP");
    eventually("the rejected reload in the log", || async {
        eng.server
            .output()
            .contains("config reload on SIGHUP rejected")
            .then_some(())
    })
    .await;
    assert_eq!(
        eng.get("/health")
            .await
            .header("x-frame-options")
            .as_deref(),
        Some("SAMEORIGIN")
    );
    std::fs::write(&file, frame_options("DENY")).unwrap();
    eng.server.signal("HUP");
    eventually("the new header", || async {
        let h = eng.get("/health").await.header("x-frame-options");
        (h.as_deref() == Some("DENY")).then_some(())
    })
    .await;
    let v = eng.api("GET", "/engine/api/config", None).await.json();
    let e = entry(&v, "security.frame_options");
    assert_eq!(e["value"], "DENY", "{e}\n{}", eng.server.output());
}

/// A renewed certificate at the same paths is served after SIGHUP; a bad
/// one is refused and the served one stays.
#[cfg(unix)]
#[tokio::test]
async fn test_req_cfg_004_sighup_reloads_tls_certificate_files() {
    use common::tls::*;
    use rustls::pki_types::pem::PemObject;
    let fp = |pem: &str| {
        let der = rustls::pki_types::CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        sha256_fingerprint(&der)
    };
    let dir = DataDir::new();
    let (cert, key) = make_cert_pem();
    let cert_path = dir.write("cert.pem", cert.as_bytes());
    let key_path = dir.write("key.pem", key.as_bytes());
    let toml = format!("[tls]\ncert = {cert_path:?}\nkey = {key_path:?}\n");
    let s = start_https(&dir.data, Some(&toml));
    assert_eq!(s.fingerprint, fp(&cert));

    let (cert2, key2) = make_cert_pem();
    std::fs::write(&cert_path, &cert2).unwrap();
    std::fs::write(&key_path, &key2).unwrap();
    s.server.signal("HUP");
    let new_fp = fp(&cert2);
    eventually("the renewed certificate", || async {
        let r = pinned_client(&new_fp).get(s.url("/health")).send().await;
        r.is_ok_and(|r| r.status() == 200).then_some(())
    })
    .await;

    std::fs::write(&key_path, "not a key").unwrap();
    s.server.signal("HUP");
    eventually("the refused reload", || async {
        s.server
            .output()
            .contains("config reload on SIGHUP rejected")
            .then_some(())
    })
    .await;
    let r = pinned_client(&new_fp).get(s.url("/health")).send().await;
    assert_eq!(r.expect("still served").status(), 200);
}
