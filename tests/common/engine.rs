//! An engine with a logged-in admin, the usual starting point of a test.

use super::*;

/// The HTTP helpers of a running server (black-box [`Server`] and
/// in-process [`InProc`]): both hold its `base` URL and a `client`.
macro_rules! server_api {
    ($ty:ty) => {
        impl $ty {
            pub fn url(&self, path: &str) -> String {
                format!("{}{}", self.base, path)
            }

            pub fn req(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
                let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
                self.client.request(method, self.url(path))
            }

            pub async fn get(&self, path: &str) -> Resp {
                send(self.req("GET", path)).await
            }

            pub async fn login(&self, email: &str, pass: &str) -> String {
                let body = json!({"email": email, "password": pass});
                let r = send(self.req("POST", "/engine/auth/login").json(&body)).await;
                assert_eq!(r.status, 200, "login failed: {}", r.text());
                let token = r.json()["token"].as_str().map(str::to_string);
                token.unwrap_or_else(|| panic!("login response has no token: {}", r.text()))
            }
        }
    };
}

/// The HTTP helpers every engine wrapper has (black-box [`Engine`] and
/// in-process [`InEngine`]): both hold `server` (with `req`/`get`) and
/// the admin `token`.
macro_rules! engine_api {
    ($ty:ty) => {
        impl $ty {
            pub fn req(&self, method: &str, path: &str) -> reqwest::RequestBuilder {
                self.server.req(method, path)
            }

            pub async fn get(&self, path: &str) -> Resp {
                self.server.get(path).await
            }

            /// A management API call with the admin bearer token.
            pub async fn api(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
                let mut rb = self.req(method, path).bearer_auth(&self.token);
                if let Some(body) = body {
                    rb = rb.json(&body);
                }
                send(rb).await
            }

            pub async fn put_script(&self, name: &str, src: &str) -> (u16, Value) {
                let path = format!("/engine/api/scripts/{name}");
                let rb = self
                    .req("PUT", &path)
                    .bearer_auth(&self.token)
                    .body(src.to_string());
                let r = send(rb).await;
                let v = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
                (r.status, v)
            }

            /// PUT that must succeed (200 or 201); returns the JSON body.
            pub async fn deploy(&self, name: &str, src: &str) -> Value {
                let (status, v) = self.put_script(name, src).await;
                assert!(
                    status == 200 || status == 201,
                    "PUT {name} -> {status}: {v}"
                );
                v
            }

            pub async fn logs(&self, script: &str, limit: usize) -> Vec<Value> {
                let path = format!("/engine/api/logs?script={script}&limit={limit}");
                let r = self.api("GET", &path, None).await;
                assert_eq!(r.status, 200, "logs: {}", r.text());
                r.json()["entries"].as_array().cloned().unwrap_or_default()
            }

            /// Polls the script log until an entry satisfies `pred`; the panic
            /// message shows the entries seen last.
            pub async fn wait_log(&self, script: &str, pred: impl Fn(&Value) -> bool) -> Value {
                let deadline = std::time::Instant::now() + POLL_DEADLINE;
                loop {
                    let entries = self.logs(script, 100).await;
                    if let Some(found) = entries.iter().find(|e| pred(e)) {
                        return found.clone();
                    }
                    assert!(
                        std::time::Instant::now() < deadline,
                        "no matching log entry for {script}; entries: {entries:#?}"
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            }
        }
    };
}

/// A server with an admin account, logged in.
/// Field order matters: the server is killed before the dir is removed.
pub struct Engine {
    pub server: Server,
    pub token: String,
    pub opts: Opts,
    pub dir: DataDir,
}

impl Engine {
    pub async fn start() -> Engine {
        Engine::start_with(Opts::default()).await
    }

    pub async fn start_with(opts: Opts) -> Engine {
        let dir = DataDir::new();
        admin_create(&dir.data, ADMIN_EMAIL, ADMIN_PASS);
        let server = Server::start(&dir.data, &opts);
        let token = server.login(ADMIN_EMAIL, ADMIN_PASS).await;
        Engine {
            server,
            token,
            opts,
            dir,
        }
    }

    /// Graceful stop (asserting exit status 0), then a new server on the
    /// same data file. The token is kept: the signing key lives in the file.
    pub fn restart(&mut self) {
        let status = self.server.stop();
        assert!(
            status.is_some_and(|s| s.success()),
            "server did not exit cleanly on SIGTERM: {status:?}\n{}",
            self.server.output()
        );
        self.server = Server::start(&self.dir.data, &self.opts);
    }
}

engine_api!(Engine);

/// Text of a log entry's message.
pub fn msg(entry: &Value) -> String {
    entry["message"].as_str().unwrap_or("").to_string()
}
