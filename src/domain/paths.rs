//! Paths the engine keeps for itself; no script route or asset may take them.

/// Every path at or under one of these roots is the engine's.
pub const RESERVED_ROOTS: [&str; 5] = ["/engine", "/health", "/graphql", "/metrics", "/mcp"];

/// Single paths the engine answers (the OAuth metadata of `/mcp`); the
/// rest of `/.well-known/` is left to scripts and assets.
pub const RESERVED_PATHS: [&str; 3] = [
    "/.well-known/oauth-protected-resource",
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-authorization-server",
];

/// True for a root in [`RESERVED_ROOTS`] and everything under it, except
/// that `/metrics` is reserved only itself, and for [`RESERVED_PATHS`].
/// Allocates nothing.
pub fn is_reserved(path: &str) -> bool {
    let under = |root: &str| {
        path.strip_prefix(root)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    under("/engine")
        || under("/health")
        || under("/graphql")
        || path == "/metrics"
        || under("/mcp")
        || RESERVED_PATHS.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::is_reserved;

    #[test]
    fn reserved_paths() {
        for p in [
            "/engine",
            "/engine/x",
            "/health",
            "/health/live",
            "/metrics",
            "/graphql",
            "/mcp",
            "/mcp/x",
            "/.well-known/oauth-authorization-server",
        ] {
            assert!(is_reserved(p), "{p}");
        }
        for p in [
            "/health-test",
            "/metrics2",
            "/metrics/x",
            "/engineer",
            "/mcpx",
            "/.well-known/security.txt",
            "/",
        ] {
            assert!(!is_reserved(p), "{p}");
        }
    }
}
