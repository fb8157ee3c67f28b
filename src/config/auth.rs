//! `[auth]` in the config file: sessions, password login, the role of new
//! users, and `[auth.providers.NAME]`, the OpenID Connect providers users
//! may sign in with (docs/auth-providers.md).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

/// `[auth]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSection {
    /// How long a login session lives without a refresh.
    #[serde(deserialize_with = "duration")]
    pub session_length: Duration,
    /// No sliding refresh keeps a session past this long after its login.
    #[serde(deserialize_with = "duration")]
    pub max_session: Duration,
    /// `POST /engine/auth/login` with email and password.
    pub password_login: bool,
    /// The role of users a provider brings in (unless the provider says).
    pub default_role: String,
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Roles whose users must log in with a TOTP code (and enrol one at
    /// their next login if they have none).
    pub require_totp_for: Vec<String>,
}

impl Default for AuthSection {
    fn default() -> Self {
        AuthSection {
            session_length: Duration::from_secs(12 * 3600),
            max_session: Duration::from_secs(7 * 24 * 3600),
            password_login: true,
            default_role: "authenticated".into(),
            providers: BTreeMap::new(),
            require_totp_for: Vec::new(),
        }
    }
}

/// One `[auth.providers.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// `"google"`, `"microsoft"` or `"apple"`: their issuer and quirks.
    #[serde(default)]
    pub preset: Option<String>,
    /// The issuer URL; its `/.well-known/openid-configuration` is fetched.
    /// Optional with a preset.
    #[serde(default)]
    pub issuer: String,
    /// Microsoft: `common`, `organizations`, `consumers` or a tenant id.
    #[serde(default)]
    pub tenant: Option<String>,
    /// Apple: the team id, the key id and the `.p8` private key (a secret
    /// reference such as `file:/etc/aiwebengine/AuthKey_ABC123.p8`).
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub private_key: Option<String>,
    pub client_id: String,
    /// A secret reference (`env:`, `file:`, `enc:`) or the secret itself.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Default: `["email", "profile"]` (Apple: `["name", "email"]`).
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Default: `ORIGIN/engine/auth/oidc/NAME/callback` of the request.
    #[serde(default)]
    pub redirect_url: Option<String>,
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    #[serde(default)]
    pub allowed_emails: Vec<String>,
    /// Overrides `auth.default_role` for users this provider brings in.
    #[serde(default)]
    pub default_role: Option<String>,
    #[serde(default)]
    pub link_by_verified_email: bool,
    /// Shown on the login page; default: the name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// Logging out also ends the session at the provider (RP-initiated
    /// logout), when it offers an `end_session_endpoint`.
    #[serde(default)]
    pub logout_at_provider: bool,
}

/// The scopes asked for besides `openid`.
pub fn scopes(p: &ProviderConfig) -> Vec<String> {
    match (&p.scopes, p.preset.as_deref()) {
        (Some(s), _) => s.clone(),
        (None, Some("apple")) => vec!["name".into(), "email".into()],
        (None, _) => vec!["email".into(), "profile".into()],
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    match humantime::parse_duration(&text) {
        Ok(t) if t >= Duration::from_secs(60) => Ok(t),
        _ => Err(serde::de::Error::custom(
            "a duration of 1m or more, such as \"30m\", \"12h\" or \"7d\"",
        )),
    }
}

/// The provider's client secret, resolved; errors name the key.
pub fn client_secret(name: &str, p: &ProviderConfig) -> Result<Option<String>, String> {
    let Some(raw) = &p.client_secret else {
        return Ok(None);
    };
    super::secrets::resolve(raw).map(Some).map_err(|e| {
        format!("invalid config: auth.providers.{name}.client_secret = ********; allowed: {e}")
    })
}

/// The issuer to discover: the configured one, else the preset's.
pub fn issuer(p: &ProviderConfig) -> String {
    if !p.issuer.is_empty() {
        return p.issuer.clone();
    }
    let tenant = p.tenant.as_deref();
    match p.preset.as_deref() {
        Some("google") => "https://accounts.google.com".into(),
        Some("microsoft") => format!(
            "https://login.microsoftonline.com/{}/v2.0",
            tenant.unwrap_or("common")
        ),
        Some("apple") => "https://appleid.apple.com".into(),
        _ => String::new(),
    }
}

/// Apple's `.p8` key text, resolved; errors name the key.
pub fn private_key(name: &str, p: &ProviderConfig) -> Result<String, String> {
    let raw = p.private_key.as_deref().unwrap_or("");
    super::secrets::resolve(raw).map_err(|e| {
        format!("invalid config: auth.providers.{name}.private_key = ********; allowed: {e}")
    })
}

impl AuthSection {
    /// Everything but discovery (which the auth service does at start and
    /// on reload): names, required fields, roles, secrets.
    /// `require_totp_for` as roles; the first unknown name is the error.
    pub fn totp_roles(&self) -> Result<Vec<crate::domain::Role>, String> {
        self.require_totp_for
            .iter()
            .map(|r| crate::domain::Role::parse(r.trim()).map_err(|e| e.to_string()))
            .collect()
    }

    pub fn validate(&self) -> Result<(), String> {
        let bad = |key: String, value: &str, allowed: &str| {
            Err(format!(
                "invalid config: {key} = {value}; allowed: {allowed}"
            ))
        };
        let roles = "\"authenticated\", \"editor\" or \"admin\"";
        if crate::domain::Role::parse(&self.default_role).is_err() {
            return bad(
                "auth.default_role".into(),
                &format!("{:?}", self.default_role),
                roles,
            );
        }
        if self.max_session < self.session_length {
            return bad(
                "auth.max_session".into(),
                &humantime::format_duration(self.max_session).to_string(),
                "at least auth.session_length",
            );
        }
        for (name, p) in &self.providers {
            let key = |k: &str| format!("auth.providers.{name}.{k}");
            let name_ok = !name.is_empty()
                && name.len() <= 32
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
            if !name_ok {
                return bad(
                    format!("auth.providers.{name}"),
                    "a table",
                    "a provider name of 1 to 32 characters a-z, 0-9, - and _",
                );
            }
            if !(p.issuer.starts_with("https://") || p.issuer.starts_with("http://")) {
                return bad(
                    key("issuer"),
                    &format!("{:?}", p.issuer),
                    "the provider's issuer URL, such as \"https://accounts.google.com\"",
                );
            }
            if p.client_id.trim().is_empty() {
                return bad(
                    key("client_id"),
                    "\"\"",
                    "the client id the provider issued for this app",
                );
            }
            if let Some(r) = p.default_role.as_deref() {
                if crate::domain::Role::parse(r).is_err() {
                    return bad(key("default_role"), &format!("{r:?}"), roles);
                }
            }
            if let Some(u) = p.redirect_url.as_deref() {
                if url::Url::parse(u).is_err() {
                    return bad(
                        key("redirect_url"),
                        &format!("{u:?}"),
                        "an absolute URL ending in /engine/auth/oidc/NAME/callback",
                    );
                }
            }
            client_secret(name, p)?;
        }
        Ok(())
    }
}

/// What the config view shows for a secret inside `auth.providers`.
pub const MASK: &str = "********";

/// A new `auth.providers` value from an editor that only saw the masked
/// view: a `client_secret` or `private_key` still reading [`MASK`] keeps
/// the value `current` has for that provider (or is dropped).
pub fn keep_masked_secrets(
    mut new: serde_json::Value,
    current: &serde_json::Value,
) -> serde_json::Value {
    if let Some(providers) = new.as_object_mut() {
        for (name, p) in providers.iter_mut() {
            let Some(p) = p.as_object_mut() else { continue };
            for field in ["client_secret", "private_key"] {
                if p.get(field).and_then(|v| v.as_str()) == Some(MASK) {
                    match current.get(name).and_then(|c| c.get(field)) {
                        Some(old) => p.insert(field.to_string(), old.clone()),
                        None => p.remove(field),
                    };
                }
            }
        }
    }
    new
}
