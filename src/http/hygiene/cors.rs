//! CORS policies by path prefix, each a tower-http `CorsLayer`
//! (REQ-HTTP-007). A preflight is answered by the engine unless a script
//! registered `OPTIONS` for the path, so scripts can take over.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

use crate::config::security::CorsPolicy;

pub struct Cors {
    /// (prefix, layer), longest prefix first.
    policies: Vec<(String, CorsLayer)>,
}

impl Cors {
    pub fn new(policies: &[CorsPolicy]) -> Cors {
        let mut policies: Vec<(String, CorsLayer)> = policies
            .iter()
            .filter_map(|p| layer(p).ok().map(|l| (p.path.clone(), l)))
            .collect();
        policies.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Cors { policies }
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    pub fn layer_for(&self, path: &str) -> Option<&CorsLayer> {
        self.policies
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map(|(_, l)| l)
    }
}

/// The checks here are the config validation for `[[security.cors]]`.
pub fn layer(p: &CorsPolicy) -> Result<CorsLayer, String> {
    let bad = |what: &str, v: &str| {
        format!(
            "invalid config: security.cors (path {:?}): {what} {v:?}",
            p.path
        )
    };
    if !p.path.starts_with('/') {
        return Err(bad("path must start with '/', got", &p.path));
    }
    let any = p.origins.iter().any(|o| o == "*");
    let origins = if any {
        if p.credentials {
            return Err(
                bad("credentials = true cannot be combined with origins", "*")
                    + "; list the allowed origins instead",
            );
        }
        AllowOrigin::any()
    } else {
        if p.origins.is_empty() {
            return Err(
                bad("needs origins, a list like", "https://app.example.com") + " or [\"*\"]"
            );
        }
        let list = p
            .origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| bad("bad origin", o)))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(list)
    };
    let methods = p
        .methods
        .iter()
        .map(|m| Method::from_bytes(m.as_bytes()).map_err(|_| bad("bad method", m)))
        .collect::<Result<Vec<_>, _>>()?;
    let headers = if p.headers.is_empty() {
        AllowHeaders::mirror_request()
    } else {
        AllowHeaders::list(names(&p.headers, &bad)?)
    };
    Ok(CorsLayer::new()
        .allow_origin(origins)
        .allow_methods(methods)
        .allow_headers(headers)
        .expose_headers(names(&p.expose_headers, &bad)?)
        .allow_credentials(p.credentials)
        .max_age(Duration::from_secs(p.max_age_secs)))
}

fn names(list: &[String], bad: &dyn Fn(&str, &str) -> String) -> Result<Vec<HeaderName>, String> {
    list.iter()
        .map(|h| HeaderName::from_bytes(h.as_bytes()).map_err(|_| bad("bad header name", h)))
        .collect()
}
