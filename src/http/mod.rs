//! The HTTP adapter: [`app`] builds the one router used in production and
//! in tests. Only this module (and `server`) knows axum.

mod access;
mod api;
mod assets;
mod auth;
mod backup;
pub mod config_api;
mod deadline;
mod dev_user;
mod dispatch;
mod error;
mod extract;
mod graphql;
mod graphql_stream;
mod groups;
mod health;
pub mod hygiene;
mod identities;
mod kv;
mod local;
mod log_stream;
mod login_page;
mod mcp;
pub mod oauth;
mod oidc;
pub(crate) mod request;
mod script_tests;
mod setup_page;
pub(crate) mod spool;
mod state;
mod streams;
mod tls_api;
mod totp;
mod ui;
mod users;

use std::time::Duration;

use axum::routing::{delete, get, post, put};
use axum::Router;

use access::audit;
pub use auth::OverTls;
pub use dispatch::run_script;
pub use error::ApiError;
pub use graphql::post_local as graphql_post_local;
pub use local::{local_routes, serve_local, LocalClient, LocalInbox};
pub use script_tests::ScriptTests;
pub use state::{AppState, Services, WeakAppState};

pub fn app(state: AppState) -> Router {
    let timeout = Duration::from_millis(state.config().server.request_timeout_ms);
    let engine = Router::new()
        .route("/auth/login", get(login_page::show).post(auth::login))
        .route("/auth/login/form", post(login_page::submit))
        .route("/auth/providers", get(login_page::providers))
        .route(
            "/auth/logout",
            get(login_page::logout_page).post(auth::logout),
        )
        .route("/auth/logout/form", post(login_page::logout_submit))
        .route("/auth/oidc/{provider}", get(oidc::start))
        .route(
            "/auth/oidc/{provider}/callback",
            get(oidc::callback).post(oidc::callback),
        )
        .route("/api/me/identities", get(identities::mine))
        .route(
            "/api/me/identities/{provider}",
            delete(identities::unlink_mine),
        )
        .route("/api/users/{id}/identities", get(identities::of_user))
        .route(
            "/api/users/{id}/identities/{provider}",
            delete(identities::unlink_of_user),
        )
        .route("/auth/refresh", post(auth::refresh))
        .route("/auth/setup", get(auth::setup_status).post(auth::setup))
        .route("/auth/totp", post(totp::finish))
        .route("/auth/totp/enrol", post(totp::pending_enrol))
        .route("/api/me/totp", get(totp::status))
        .route("/api/me/totp/enrol", post(totp::enrol))
        .route("/api/me/totp/confirm", post(totp::confirm))
        .route("/api/me/totp/disable", post(totp::disable))
        .route("/api/me/totp/recovery", post(totp::new_recovery))
        .route("/api/users/{id}/totp", delete(totp::admin_reset))
        .route("/api/me", get(users::me))
        .route("/api/users", get(users::list).post(users::create))
        .route(
            "/api/users/{id}",
            get(users::get).patch(users::patch).delete(users::delete),
        )
        .route(
            "/api/sessions",
            get(users::sessions).delete(users::revoke_all),
        )
        .route("/api/sessions/{id}", delete(users::revoke_session))
        .route("/api/tokens", get(users::tokens).post(users::create_token))
        .route("/api/tokens/{id}", delete(users::delete_token))
        .route("/api/groups", get(groups::list).post(groups::create))
        .route("/api/groups/{name}", delete(groups::delete))
        .route(
            "/api/groups/{name}/members",
            put(groups::add_member).delete(groups::remove_member),
        )
        .route("/api/scripts/{name}/owner", put(groups::set_owner))
        .route(
            "/api/scripts/{name}/grants",
            put(groups::set_grant).delete(groups::remove_grant),
        )
        .route(
            "/api/permissions",
            get(groups::permissions).post(groups::create_permission),
        )
        .route("/api/permissions/{name}", delete(groups::delete_permission))
        .route(
            "/api/permissions/{name}/grants",
            put(groups::grant_permission).delete(groups::revoke_permission),
        )
        .route("/api/audit", get(groups::audit))
        .route("/api/mcp/sessions", get(mcp::sessions))
        // Until the admin UI has its own setup page.
        .route(
            "/admin/setup",
            get(setup_page::show).post(setup_page::submit),
        )
        .route("/api/scripts", get(api::list_scripts))
        .route(
            "/api/scripts/{name}",
            get(api::get_script)
                .put(api::put_script)
                .delete(api::delete_script)
                .patch(api::patch_script),
        )
        .route("/api/scripts/{name}/rename", post(api::rename_script))
        .route("/api/scripts/{name}/test", post(script_tests::run))
        .route("/api/scripts/{name}/versions", get(api::list_versions))
        .route("/api/scripts/{name}/versions/{n}", get(api::get_version))
        .route(
            "/api/scripts/{name}/versions/{n}/restore",
            post(api::restore_version),
        )
        .route("/api/logs", get(api::logs))
        .route("/api/scripts/{name}/kv", get(kv::browse))
        .route("/api/streams", get(streams::list))
        .route("/api/config", get(config_api::get).put(config_api::put))
        .route("/api/config/reload", post(config_api::reload))
        .route(
            "/api/tls",
            get(tls_api::get).put(tls_api::put).delete(tls_api::delete),
        )
        .merge(ui::routes())
        .merge(oauth::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(engine_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::slide_session,
        ))
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| async move {
                match tokio::time::timeout(timeout, next.run(req)).await {
                    Ok(resp) => resp,
                    Err(_) => axum::response::IntoResponse::into_response(ApiError::timeout(
                        timeout.as_millis() as u64,
                    )),
                }
            },
        ));
    Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/stream", post(graphql_stream::sse))
        .route("/graphql/sse", post(graphql_stream::legacy_sse))
        .route("/graphql/ws", get(graphql_stream::ws))
        .route("/health", get(health::health))
        .route("/health/live", get(health::live))
        .route("/health/ready", get(health::ready))
        // Outside `engine`: a large snapshot may outlast the request timeout.
        .route("/engine/api/backup", get(backup::download))
        // Outside `engine` too: a live stream outlasts the request timeout.
        .route("/engine/api/logs/stream", get(log_stream::stream))
        // Outside `engine` too: an upload streams for longer than the
        // request timeout, with its own size limit (assets.max_upload_bytes).
        .route(
            "/engine/api/assets",
            get(assets::list).post(assets::upload_many),
        )
        .route(
            "/engine/api/assets/{*path}",
            get(assets::meta).put(assets::upload).delete(assets::delete),
        )
        .merge(oauth::well_known())
        .merge(mcp::routes(&state))
        .nest("/engine", engine)
        .route("/engine", get(engine_not_found))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(dispatch::dispatch)
        .layer(axum::middleware::from_fn(tag_route))
        .with_state(state)
}

/// Route label for metrics and the access log: the matched pattern, so
/// that `/engine/api/scripts/{name}` is one series, not one per script.
async fn tag_route(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| std::sync::Arc::<str>::from(m.as_str()));
    let mut resp = next.run(req).await;
    if let Some(route) = route {
        if resp
            .extensions()
            .get::<crate::observe::RouteTag>()
            .is_none()
        {
            resp.extensions_mut().insert(crate::observe::RouteTag {
                route,
                script: None,
            });
        }
    }
    resp
}

async fn engine_not_found(uri: axum::extract::OriginalUri) -> ApiError {
    ApiError::not_found(format!("no engine endpoint at {}", uri.0.path()))
}

/// A known engine path with the wrong method; axum adds the `Allow` header.
async fn method_not_allowed(
    method: axum::http::Method,
    uri: axum::extract::OriginalUri,
) -> ApiError {
    let message = format!(
        "{method} is not allowed on {}; the Allow header lists the methods it accepts",
        uri.0.path()
    );
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        message,
    )
}

/// The one SSE response head (200, `text/event-stream`, no caching, and
/// no buffering by nginx-style proxies) around an event stream body.
pub(crate) fn sse_response(body: axum::body::Body) -> axum::response::Response {
    use axum::http::{header, HeaderValue};
    let mut resp = axum::response::Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

/// Parses a JSON body whatever its Content-Type says, with an error that
/// shows the expected shape.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    body: &[u8],
    shape: &str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("send JSON like {shape}: {e}")))
}
