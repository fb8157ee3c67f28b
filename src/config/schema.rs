//! What every config key is: its kind, default, whether it reloads live,
//! whether it is a secret, and one line of docs. docs/CONFIGURATION.md's
//! key table is generated from [`KEYS`] (`aiwebengine config docs`), and
//! the tests below fail when a struct field has no entry here, when an
//! entry's default differs from the struct's, or when the doc lacks a key.

use std::collections::BTreeSet;

/// How a value is written; decides how an environment variable is parsed
/// (strings are taken as they are) and what a type error says is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
    /// A duration such as "30m", "6h" or "1d".
    Duration,
    /// A file system path.
    Path,
    /// An array (of strings, or of tables such as `[[security.cors]]`).
    List,
    /// A table with keys of your choosing.
    Table,
}

impl Kind {
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Int => "a whole number",
            Kind::Bool => "true or false",
            Kind::Duration => "a duration string such as \"30m\" or \"1d\"",
            Kind::Path => "a file path string",
            Kind::List => "an array",
            Kind::Table => "a table",
        }
    }

    /// Strings are never parsed, so `AIWEBENGINE_METRICS__TOKEN=1234` stays text.
    pub fn is_text(self) -> bool {
        matches!(self, Kind::Str | Kind::Duration | Kind::Path)
    }
}

#[derive(Debug)]
pub struct Key {
    /// `section.key`, as in files; the env name is derived from it.
    pub path: &'static str,
    pub kind: Kind,
    /// JSON; `null` means unset.
    pub default: &'static str,
    /// Applied by a reload (SIGHUP, `POST /engine/api/config/reload`).
    pub live: bool,
    pub doc: &'static str,
}

impl Key {
    pub fn env_name(&self) -> String {
        env_name(self.path)
    }

    pub fn secret(&self) -> bool {
        SECRETS.contains(&self.path)
    }

    /// Whether the data file's settings may hold it (not the data path).
    pub fn settable(&self) -> bool {
        self.path != "storage.data"
    }

    pub fn default_json(&self) -> serde_json::Value {
        serde_json::from_str(self.default).unwrap_or(serde_json::Value::Null)
    }
}

pub fn env_name(path: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        path.to_ascii_uppercase().replace('.', "__")
    )
}

pub const ENV_PREFIX: &str = "AIWEBENGINE_";

/// Keys whose values are never shown or logged.
pub const SECRETS: &[&str] = &["metrics.token"];

/// `serve` flags and the keys they set.
pub const FLAGS: &[(&str, &str)] = &[
    ("--data", "storage.data"),
    ("--http", "server.http"),
    ("--https", "server.https"),
    ("--dev", "server.dev"),
];

/// Environment names outside the `AIWEBENGINE_SECTION__KEY` scheme, with
/// the key each sets (none for those that are not config values).
pub const FIXED_ENV: &[(&str, Option<&str>)] = &[
    ("AIWEBENGINE_DATA", Some("storage.data")),
    ("AIWEBENGINE_HTTP", Some("server.http")),
    ("AIWEBENGINE_HTTPS", Some("server.https")),
    ("AIWEBENGINE_LOG", Some("logging.level")),
    ("AIWEBENGINE_CONFIG", None),
    ("AIWEBENGINE_SECRET_KEY", None),
    // Set by the build (cargo passes them to `cargo run`/`cargo test`) and
    // by the browser tests; not config.
    ("AIWEBENGINE_BUILD_DATE", None),
    ("AIWEBENGINE_GIT_COMMIT", None),
    ("AIWEBENGINE_BIN", None),
];

pub fn find(path: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.path == path)
}

/// Whether `path` is a section (a proper prefix of some key).
pub fn is_section(path: &str) -> bool {
    KEYS.iter().any(|k| {
        k.path.len() > path.len()
            && k.path.starts_with(path)
            && k.path.as_bytes()[path.len()] == b'.'
    })
}

/// The closest key (or section) to a misspelt one, if any is close; else
/// a key with the same last name in another section.
pub fn suggest(path: &str) -> Option<String> {
    let mut names: BTreeSet<&str> = KEYS.iter().map(|k| k.path).collect();
    for k in KEYS {
        let mut p = k.path;
        while let Some((head, _)) = p.rsplit_once('.') {
            names.insert(head);
            p = head;
        }
    }
    let best = names
        .iter()
        .map(|n| (super::report::edit_distance(path, n), *n))
        .min();
    if let Some((_, n)) = best.filter(|(d, n)| *d <= (n.len() / 5).max(2)) {
        return Some(n.to_string());
    }
    let leaf = path.rsplit('.').next();
    KEYS.iter()
        .find(|k| k.path.rsplit('.').next() == leaf)
        .or_else(|| KEYS.iter().find(|k| k.path.starts_with(path)))
        .map(|k| k.path.to_string())
}

macro_rules! keys {
    (@live live) => { true };
    (@live restart) => { false };
    ($($path:literal $kind:ident $default:literal $live:ident $doc:literal;)*) => {
        &[$(Key {
            path: $path,
            kind: Kind::$kind,
            default: $default,
            live: keys!(@live $live),
            doc: $doc,
        }),*]
    };
}

/// Every key, in the order of docs/CONFIGURATION.md.
pub const KEYS: &[Key] = keys! {
    "server.http" Str "\"0.0.0.0:8080\"" restart "HTTP listen address `IP:PORT`; port 0 picks a free port.";
    "server.https" Str "\"0.0.0.0:8443\"" restart "HTTPS listen address `IP:PORT` (port 0 picks a free port), or `\"off\"`.";
    "server.dev" Bool "false" restart "Development mode: detailed script errors (message, stack, line, column) in responses, and best-effort answers for invalid responses.";
    "server.dev_user" Str "\"\"" restart "The email of an account that requests from loopback clients (peer and `Host` both loopback, and for changes a same-origin `Origin`) act as without logging in; `aiwebengine dev` sets it to its own admin account when it listens on a loopback address. Empty: off. Never set it on a server others can reach through a proxy on the same host.";
    "server.request_timeout_ms" Int "5000" restart "Whole-request timeout for script routes and the management API; over it: `408 request_timeout`. At least 1.";
    "server.body_limit_bytes" Int "1048576" restart "Largest request body for script routes (a route's `maxBodyBytes` overrides it); over it: `413 payload_too_large`.";
    "server.shutdown_grace_ms" Int "10000" restart "On SIGINT/SIGTERM, how long in-flight requests may run before their connections are closed.";
    "server.drain_delay_ms" Int "0" restart "On SIGINT/SIGTERM, how long to keep accepting requests while /health/ready answers 503, so a load balancer stops routing first (e.g. 5000 under Kubernetes).";
    "server.header_read_timeout_ms" Int "10000" restart "Slowloris guard: a connection that has not sent a whole request head within this time is closed (HTTP/1).";
    "server.write_timeout_ms" Int "30000" restart "Slow-reader guard: a connection whose writes make no progress for this long (the client stopped reading: an SSE subscriber that never reads, a stalled download) is closed, freeing its slot of server.max_connections.";
    "server.max_connections" Int "10000" restart "Open connections at once; beyond it new ones are closed as soon as they are accepted.";
    "js.workers" Int "0" restart "I/O threads (each with an inline JS worker) and JS pool threads; 0 means one per core.";
    "js.memory_limit_bytes" Int "16777216" restart "Memory per script runtime; over it: `500 script_memory`. At least 1048576 (1 MiB).";
    "js.time_limit_ms" Int "1000" restart "JavaScript run time per request, summed over its slices (waiting in `await` does not count); over it: `500 script_timeout`. At least 1.";
    "js.stack_size_bytes" Int "524288" restart "JS stack per script runtime; over it: `500 script_stack`. At least 65536.";
    "js.max_script_bytes" Int "1048576" restart "Largest script source; a bigger `PUT` gets `413 payload_too_large`.";
    "js.isolation" Str "\"worker\"" restart "`\"worker\"`: a warm context per script per worker, reused across requests; `\"request\"`: a fresh context for every request.";
    "js.eval" Bool "true" restart "`false` makes `eval`, `new Function` and the async/generator function constructors throw.";
    "js.console" Bool "true" restart "`false` drops `console.*` output; `writeLog` still writes.";
    "js.log_ring" Int "1000" restart "Log entries kept per script; older ones are deleted as new ones arrive.";
    "js.max_contexts_per_worker" Int "64" restart "Warm contexts one worker keeps; beyond it the least recently used is dropped.";
    "js.inline_slow_ms" Int "10" restart "A script version runs on the JS pool until it has run fast 32 times, then inline; one run longer than this sends it back to the pool.";
    "js.fetch.allow" List "[]" restart "Hosts every script may `fetch`: `\"api.example.com\"`, `\"api.example.com:8443\"`, `\"*.example.com\"` or `\"*\"`; empty turns fetch off.";
    "js.fetch.scripts" Table "{}" restart "Extra hosts per script name, such as `{ \"blog.js\" = [\"api.example.com\"] }`.";
    "js.fetch.allow_private" Bool "false" restart "Let allowed hosts resolve to loopback, private, link-local and metadata addresses.";
    "js.fetch.timeout_ms" Int "30000" restart "Upper bound on one fetch; the request's remaining deadline is used when shorter.";
    "js.fetch.max_response_bytes" Int "10485760" restart "Largest response body a script may read.";
    "js.fetch.max_concurrent" Int "16" restart "Fetches in flight per script; more throw at once.";
    "js.fetch.max_redirects" Int "5" restart "Redirects followed, each target checked against the rules again.";
    "tls.cert" Path "null" live "PEM certificate chain (leaf first); with `tls.key` it replaces the self-signed certificate. A reload reads both files again (after a renewal, say).";
    "tls.key" Path "null" live "PEM private key for `tls.cert` (PKCS#8, PKCS#1 or SEC1); must match it.";
    "tls.https_redirect" Str "\"non-loopback\"" restart "Plain-HTTP requests answered with a 308 to HTTPS: `\"non-loopback\"`, `\"always\"` or `\"never\"` (`/health*` and `/metrics` never are).";
    "tls.hsts" Str "\"auto\"" restart "`Strict-Transport-Security` over HTTPS: `\"auto\"` (only with a configured certificate), `\"always\"` or `\"never\"`.";
    "tls.hsts_max_age_secs" Int "31536000" restart "The HSTS `max-age`.";
    "tls.names" List "[]" restart "Extra DNS names or IPs for the self-signed certificate, besides `localhost`, the hostname and every local address.";
    "storage.data" Path "\"./aiwebengine.redb\"" restart "The data file; created (with its directories) on first run. Not settable in the data file's settings.";
    "storage.backup_dir" Path "null" restart "Directory for scheduled `.redb.zst` backups; unset means no schedule.";
    "storage.backup_interval" Duration "\"1d\"" restart "Time between scheduled backups, such as `\"30m\"`, `\"6h\"`, `\"1d\"`; at least `\"1s\"`.";
    "storage.backup_keep" Int "7" restart "Scheduled backups kept; older ones are deleted. At least 1.";
    "storage.cache_bytes" Int "67108864" restart "redb page cache (64 MiB); bounds the memory that store reads and writes, such as a large upload, may keep. At least 1 MiB.";
    "storage.reserve_bytes" Int "16777216" restart "bytes kept allocated past the end of the data file (16 MiB): when the disk cannot give them, writes are refused with 507 storage_full before the file is touched, and reads keep working. 0 turns the reserve off (then a full disk stops the server until a restart).";
    "kv.max_key_bytes" Int "2048" restart "Largest kv key, encoded.";
    "kv.max_value_bytes" Int "65536" restart "Largest kv value, encoded (MessagePack).";
    "kv.max_atomic_keys" Int "128" restart "Checks plus mutations in one `kv.atomic()` commit; keys in one `kv.getMany`.";
    "kv.shared" List "[]" restart "Shared namespaces any script may open with `kv.open(name)`.";
    "kv.sweep_interval_ms" Int "1000" restart "How often expired entries are deleted from the file.";
    "kv.cache_bytes" Int "16777216" restart "Memory for kv rows read recently (16 MiB): a `kv.get` of a cached key is answered on the handler's own thread, with no storage read. Commits keep it exact. 0 turns it off.";
    "security.headers" Bool "true" live "Add the four headers below to responses that lack them.";
    "security.content_type_options" Str "\"nosniff\"" live "`X-Content-Type-Options`; `\"\"` leaves it out (likewise for the three below).";
    "security.frame_options" Str "\"DENY\"" live "`X-Frame-Options`.";
    "security.referrer_policy" Str "\"strict-origin-when-cross-origin\"" live "`Referrer-Policy`.";
    "security.xss_protection" Str "\"0\"" live "`X-XSS-Protection`.";
    "security.compression" Bool "true" live "gzip or Brotli by `Accept-Encoding` (never for SSE, images, archives and the like).";
    "security.compression_min_bytes" Int "1024" live "Smaller bodies are sent uncompressed.";
    "security.cors" List "[]" live "`[[security.cors]]` policies by path prefix (the longest wins): `path`, `origins` (or `[\"*\"]`), `methods`, `headers`, `expose_headers`, `credentials`, `max_age_secs`.";
    "security.rate_limit.auth_per_minute" Int "10" live "Requests per minute per client IP on `/engine/auth/` (login); 0 turns it off.";
    "security.rate_limit.loopback_exempt" Bool "true" live "Clients on 127.0.0.0/8 or ::1 are never limited.";
    "security.rate_limit.trusted_proxies" List "[]" live "Peers (IPs or CIDRs) whose `X-Forwarded-For` names the client.";
    "security.rate_limit.max_clients" Int "100000" live "Rate-limit buckets kept at once; the least recently seen client is forgotten first.";
    "security.rate_limit.rules" List "[]" live "`[[security.rate_limit.rules]]`: `path` prefix, `per_ip`, `per_user`, `window_secs` token buckets; none by default.";
    "logging.level" Str "\"info\"" live "Server log filter in `EnvFilter` syntax: `\"debug\"`, `\"warn,aiwebengine::http=debug\"`; script logs are the target `script` at debug.";
    "logging.format" Str "\"pretty\"" restart "`\"pretty\"` (text) or `\"json\"` (one object per line).";
    "logging.console" Bool "true" restart "Write the server log to stderr.";
    "logging.file" Path "null" restart "Also write the server log to this file; rotated files are named `STEM.DATE.EXT` beside it.";
    "logging.rotation" Str "\"daily\"" restart "`\"hourly\"`, `\"daily\"`, `\"weekly\"` or `\"never\"`.";
    "logging.retention_files" Int "7" restart "Log files kept, the current one included; 0 keeps all.";
    "logging.retention_days" Int "0" restart "Rotated log files older than this are deleted; 0 keeps all.";
    "logging.compress" Str "\"gzip\"" restart "Rotated log files are compressed in the background: `\"gzip\"`, `\"zstd\"` or `\"none\"`.";
    "logging.access_format" Str "\"off\"" restart "Access log: `\"common\"`, `\"combined\"`, `\"json\"` or `\"off\"`.";
    "logging.access_file" Path "null" restart "Append access lines to this file; without it they go to the server log (target `access`).";
    "metrics.token" Str "null" restart "Bearer token that lets clients other than loopback read `GET /metrics` (a secret).";
    "metrics.loopback_open" Bool "true" restart "Answer loopback clients on `/metrics` without the token.";
    "graphql.introspection" Bool "true" restart "GraphQL introspection outside `--dev` (always on in `--dev`).";
    "graphql.graphiql" Bool "false" restart "GraphiQL at `GET /graphql` outside `--dev` (always on in `--dev`).";
    "graphql.max_depth" Int "32" restart "Deepest selection a query may have.";
    "graphql.max_complexity" Int "10000" restart "Largest query complexity (fields counted).";
    "assets.dir" Path "null" restart "A directory also served read-only at `/` (after stored assets, which win on the same path).";
    "assets.max_upload_bytes" Int "67108864" restart "Largest asset an upload or `assets.put` may store; over it: `413 payload_too_large`.";
    "assets.allowed_types" List "[]" restart "Content types uploads may declare (`\"image/png\"`, `\"image/*\"`); empty means the built-in list of web types. The bytes must match the type.";
    "assets.cache_control" Str "\"public, max-age=0, must-revalidate\"" restart "`Cache-Control` of served assets and image variants.";
    "assets.active_content_csp" Str "\"sandbox\"" restart "`Content-Security-Policy` sent with HTML, SVG and XML assets, so uploaded markup cannot run script as this site; `\"\"` sends none.";
    "auth.require_totp_for" List "[]" live "Roles whose users must log in with a TOTP code from an authenticator app, such as `[\"admin\"]`; a user without one enrols at their next login.";
    "auth.session_length" Duration "\"12h\"" restart "How long a login session (and its token) lives without a refresh; at least `\"1m\"`.";
    "auth.max_session" Duration "\"7d\"" restart "No sliding refresh keeps a session past this long after its login; at least `auth.session_length`.";
    "auth.password_login" Bool "true" live "Email and password login (`POST /engine/auth/login` and the login page's form); `false` leaves only the providers.";
    "auth.default_role" Str "\"authenticated\"" live "Role of users a sign-in provider creates: `\"authenticated\"`, `\"editor\"` or `\"admin\"`.";
    "auth.providers" Table "{}" live "`[auth.providers.NAME]` OpenID Connect providers: `issuer`, `client_id`, `client_secret` (use `env:`/`file:`/`enc:`), `scopes`, `redirect_url`, `allowed_domains`, `allowed_emails`, `default_role`, `link_by_verified_email`, `display_name`, `logout_at_provider`; presets: `preset` (`google`, `microsoft` with `tenant`, `apple` with `team_id`, `key_id`, `private_key`); see docs/auth-providers.md.";
    "mcp.auth" Str "\"required\"" restart "`\"required\"`: `/mcp` needs a bearer token (API or login token) or the session cookie; `\"optional\"`: anonymous callers are served too (tools see `ctx.auth`).";
    "mcp.allowed_origins" List "[]" restart "Browser origins (`\"https://app.example.com\"`, `\"http://localhost:*\"`) allowed to call `/mcp`; any other `Origin` is refused with 403, requests without one pass.";
    "mcp.allowed_hosts" List "[\"localhost\",\"127.0.0.1\",\"::1\"]" restart "`Host` values `/mcp` answers (DNS-rebinding protection); add your public host names; `[]` accepts any host.";
    "mcp.admin_tools" Bool "false" restart "Offer the engine's built-in admin tools over MCP to admins and editors.";
    "mcp.max_body_bytes" Int "4194304" restart "Largest JSON-RPC request body on `/mcp`; larger ones get 413.";
    "oauth.public_url" Str "null" restart "The engine's public base URL (`https://host`, no path): the OAuth issuer and the base of the `/mcp` resource tokens are bound to; unset, each request's `Host` and scheme decide.";
    "oauth.client_metadata_private" Bool "false" live "Let Client ID Metadata Document URLs (a `client_id` that is an https URL) resolve to loopback, private and link-local addresses, and be plain http on loopback: for local development and tests only.";
};

/// The key tables of docs/CONFIGURATION.md, one per section.
pub fn markdown() -> String {
    let mut out = String::new();
    let mut section = "";
    for k in KEYS {
        let here = k.path.rsplit_once('.').map_or("", |(s, _)| s);
        if here != section {
            section = here;
            out.push_str(&format!(
                "\n### [{section}]\n\n| key | default | environment variable | reload | meaning |\n|---|---|---|---|---|\n"
            ));
        }
        let default = match k.default {
            "null" => "none".to_string(),
            d => format!("`{d}`"),
        };
        let reload = if k.live { "live" } else { "restart" };
        out.push_str(&format!(
            "| `{}` | {default} | `{}` | {reload} | {} |\n",
            k.path,
            k.env_name(),
            k.doc.replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests;
