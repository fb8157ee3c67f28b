//! Shared by `tests/mcp_admin*.rs`: an in-process engine with its MCP
//! admin tools built from the engine's own services (as the composition
//! root builds them), an admin and two editors, and calls that check the
//! arguments and the answers against the tools' JSON Schemas.
#![allow(dead_code)]

use std::sync::Arc;

use aiwebengine::domain::{Principal, Role};
use aiwebengine::mcp::admin::{AdminDeps, AdminTools};
use aiwebengine::mcp::builtin::{BuiltinTools, ToolReply};

use crate::common::*;

pub struct Admin {
    pub eng: InEngine,
    pub tools: AdminTools,
    pub admin: Principal,
    pub alice: Principal,
    pub bob: Principal,
}

/// A failed call's message, or the structured answer.
pub type Answer = Result<Value, String>;

impl Admin {
    pub async fn start() -> Admin {
        let eng = InEngine::start().await;
        let st = eng.server.state().clone();
        let (client, inbox) = aiwebengine::http::local_routes();
        tokio::spawn(aiwebengine::http::serve_local(inbox, st.downgrade()));
        let tools = AdminTools::new(AdminDeps {
            scripts: st.scripts().clone(),
            auth: st.auth().clone(),
            logs: st.logs().clone(),
            kv: st.kv().clone(),
            assets: st.assets().clone(),
            routes: Arc::new(client),
            max_script_bytes: st.config().js.max_script_bytes,
        });
        let admin = principal(&eng, ADMIN_EMAIL, None).await;
        let alice = principal(&eng, "alice@example.com", Some(Role::Editor)).await;
        let bob = principal(&eng, "bob@example.com", Some(Role::Editor)).await;
        Admin {
            eng,
            tools,
            admin,
            alice,
            bob,
        }
    }

    /// Calls `tool` as `who`; the arguments must match the input schema
    /// and a structured answer its output schema.
    pub async fn call(&self, who: &Principal, tool: &str, args: Value) -> Answer {
        let spec = self
            .tools
            .list(Some(who))
            .into_iter()
            .find(|t| t.name == tool)
            .unwrap_or_else(|| panic!("{tool} is not listed for {}", who.email));
        assert_valid(&spec.input_schema, &args, &format!("{tool} arguments"));
        let out = self.raw(who, tool, args).await;
        if let Ok(v) = &out {
            let schema = spec.output_schema.expect("output schema");
            assert_valid(&schema, v, &format!("{tool} answer"));
        }
        out
    }

    /// Calls without checking the arguments (for refusals of bad ones).
    pub async fn raw(&self, who: &Principal, tool: &str, args: Value) -> Answer {
        let fut = self
            .tools
            .call(Some(who), tool, args)
            .unwrap_or_else(|| panic!("{tool} is not callable by {}", who.email));
        match fut.await {
            Ok(ToolReply::Structured(v)) => Ok(v),
            Ok(ToolReply::Text(t)) => panic!("{tool} answered text, not JSON: {t}"),
            Err(f) => Err(f.0),
        }
    }

    /// A call that must succeed.
    pub async fn ok(&self, who: &Principal, tool: &str, args: Value) -> Value {
        let out = self.call(who, tool, args).await;
        out.unwrap_or_else(|e| panic!("{tool} failed: {e}"))
    }

    /// A call that must fail; its message.
    pub async fn fails(&self, who: &Principal, tool: &str, args: Value) -> String {
        match self.call(who, tool, args).await {
            Ok(v) => panic!("{tool} should have failed for {}: {v}", who.email),
            Err(m) => m,
        }
    }

    /// The newest audit entries (user, action, target, result).
    pub async fn audit(&self) -> Vec<(String, String, String, String)> {
        let page = self
            .eng
            .server
            .blocking(|s| s.auth().audit_page(200, None))
            .await
            .expect("audit page");
        page.into_iter()
            .map(|e| (e.user, e.action, e.target, e.result))
            .collect()
    }
}

pub fn assert_valid(schema: &Value, v: &Value, what: &str) {
    let validator = jsonschema::validator_for(schema)
        .unwrap_or_else(|e| panic!("{what}: the schema itself is invalid: {e}\n{schema:#}"));
    let errors: Vec<String> = validator
        .iter_errors(v)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match its schema: {errors:?}\n{v:#}"
    );
}

/// The principal of `email`, creating the user with `role` first.
async fn principal(eng: &InEngine, email: &str, role: Option<Role>) -> Principal {
    let email = email.to_string();
    eng.server
        .blocking(move |s| {
            let id = match role {
                Some(r) => {
                    s.auth()
                        .create_user(&email, "a long user password", None, r)
                        .expect("create user")
                        .id
                }
                None => s
                    .auth()
                    .directory()
                    .user_by_email(&email)
                    .expect("user")
                    .id
                    .clone(),
            };
            s.auth().directory().principal(&id).expect("principal")
        })
        .await
}

impl Admin {
    pub fn admin_ref(&self) -> &Principal {
        &self.admin
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.eng.get(path).await
    }

    /// Another user with `role`.
    pub async fn user(&self, email: &str, role: Role) -> Principal {
        principal(&self.eng, email, Some(role)).await
    }
}
