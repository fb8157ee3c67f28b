//! Accounts, sessions, API tokens, groups, script ownership and named
//! permissions (no HTTP types).
//!
//! Two things are mirrored in memory so that checking a request reads no
//! store: the set of live sessions (login tokens are JWTs carrying a session
//! id, so revoking the session revokes the token at once), and a
//! [`Directory`] snapshot of users, groups with their transitive closure,
//! permissions, script ownership and API token hashes. Every change writes
//! the store first, then rebuilds and swaps the snapshot.

mod audit;
mod directory;
mod groups;
mod identities;
mod login;
pub mod oauth;
pub mod oidc;
mod otp;
mod ownership;
mod password;
mod ratelimit;
pub mod repo;
mod sessions;
mod setup;
mod tokens;
mod totp;
mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use arc_swap::ArcSwap;
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde::{Deserialize, Serialize};

use crate::domain::{Outcome, StorageError};

pub use crate::domain::{Principal, UserInfo};
pub use audit::AuditEntry;
pub use directory::{Directory, Group, Permission};
pub use groups::{validate_group_name, Member};
pub use identities::{identity_key, Identity, NewAccounts};
pub use login::{LoginStep, TotpDone, TotpPending, PENDING_SECONDS};
pub use password::{hash_password, verify_password, MIN_PASSWORD_LEN};
pub use ratelimit::RateLimiter;
pub use repo::{AuthRepo, ScriptAccess};
pub use sessions::Claims;
pub use sessions::LoggedIn;
pub use tokens::{ApiToken, API_TOKEN_PREFIX};
pub use totp::{Enrolment, TotpPolicy, TotpRecord, TotpStatus};
pub use users::{create_user, UserPatch};

pub use crate::domain::Role;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: i64,
    #[serde(default)]
    pub last_login: Option<i64>,
    #[serde(default = "default_provider")]
    pub provider: String,
}

fn default_provider() -> String {
    "password".into()
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    #[serde(default)]
    pub ip: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("a user with email {0} already exists")]
    EmailTaken(String),
    #[error("{0:?} is not a valid email address")]
    InvalidEmail(String),
    #[error("passwords must be at least {MIN_PASSWORD_LEN} characters long")]
    WeakPassword,
    #[error("wrong email or password")]
    BadCredentials,
    #[error("missing, expired or revoked token; log in again with POST /engine/auth/login")]
    InvalidToken,
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Cycle(String),
    /// A wrong or reused TOTP code or recovery code.
    #[error("{0}")]
    BadCode(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("too many login attempts; try again in {0} seconds")]
    RateLimited(u64),
    #[error(transparent)]
    Store(#[from] StorageError),
}

impl From<crate::domain::UnknownRole> for AuthError {
    fn from(e: crate::domain::UnknownRole) -> AuthError {
        AuthError::Invalid(e.to_string())
    }
}

impl AuthError {
    /// The stable error code of the API (and of the audit log's result).
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::EmailTaken(_) => "email_taken",
            AuthError::InvalidEmail(_) | AuthError::WeakPassword | AuthError::Invalid(_) => {
                "invalid_input"
            }
            AuthError::BadCredentials | AuthError::InvalidToken | AuthError::Unauthorized(_) => {
                "unauthorized"
            }
            AuthError::BadCode(_) => "invalid_code",
            AuthError::NotFound(_) => "not_found",
            AuthError::Forbidden(_) => "forbidden",
            AuthError::Conflict(_) => "conflict",
            AuthError::Cycle(_) => "group_cycle",
            AuthError::RateLimited(_) => "rate_limited",
            AuthError::Store(_) => "internal",
        }
    }
}

/// How long a login session (and its token) lives without a refresh,
/// unless `auth.session_length` says otherwise.
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// No refresh takes a session past this long after its login.
pub const MAX_SESSION_SECONDS: i64 = 7 * 24 * 3600;

/// Wrong TOTP codes allowed at once per account, then one more every
/// this many seconds.
const TOTP_BURST: f64 = 5.0;
const TOTP_EVERY_SECS: f64 = 60.0;

/// A session id in memory: enough to accept or refuse a token.
#[derive(Clone, Debug)]
struct LiveSession {
    user_id: String,
    expires_at: i64,
}

pub struct AuthService {
    repo: Arc<dyn AuthRepo>,
    encoding: EncodingKey,
    decoding: DecodingKey,
    csrf_key: ring::hmac::Key,
    live: RwLock<HashMap<String, LiveSession>>,
    dir: ArcSwap<Directory>,
    /// Serializes change + rebuild, so snapshots are swapped in commit order.
    change: Mutex<()>,
    setup: Mutex<Option<setup::SetupToken>>,
    oauth_codes: oauth::Codes,
    pub limiter: RateLimiter,
    /// Wrong TOTP codes per account (stricter than passwords: a code has
    /// only a million values).
    totp_limiter: RateLimiter,
    totp_policy: ArcSwap<TotpPolicy>,
    /// Logins waiting for their second factor, by handle.
    pending: Mutex<login::PendingMap>,
    /// Session length and sliding limit in seconds (`[auth]`).
    session_seconds: std::sync::atomic::AtomicI64,
    max_session_seconds: std::sync::atomic::AtomicI64,
}

impl AuthService {
    /// Blocking: reads the secret, the live sessions and the directory.
    pub fn open(repo: Arc<dyn AuthRepo>) -> Result<AuthService, StorageError> {
        let now = now_secs();
        let (mut secret, mut live) = (None, HashMap::new());
        repo.read(&mut |r| {
            secret = r.jwt_secret()?;
            for s in r.sessions()? {
                if s.expires_at > now {
                    let entry = LiveSession {
                        user_id: s.user_id,
                        expires_at: s.expires_at,
                    };
                    live.insert(s.id, entry);
                }
            }
            Ok(())
        })?;
        let secret = secret.ok_or_else(|| {
            StorageError::corrupt(
                "stored value could not be decoded: the data file has no jwt_secret",
            )
        })?;
        // Expired sessions are forgotten at start; they can never come back.
        // So are OAuth grants whose session is gone.
        repo.write(&mut |tx| {
            for s in tx.sessions()?.iter().filter(|s| s.expires_at <= now) {
                tx.remove_session(&s.id)?;
            }
            for g in tx.oauth_grants()? {
                if tx.session(&g.id)?.is_none() {
                    tx.remove_oauth_grant(&g.id)?;
                }
            }
            Ok(())
        })?;
        let dir = Directory::load(repo.as_ref())?;
        Ok(AuthService {
            repo,
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            csrf_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
            live: RwLock::new(live),
            dir: ArcSwap::from_pointee(dir),
            change: Mutex::new(()),
            setup: Mutex::new(None),
            oauth_codes: oauth::Codes::default(),
            limiter: RateLimiter::default(),
            totp_limiter: RateLimiter::new(TOTP_BURST, TOTP_EVERY_SECS),
            totp_policy: ArcSwap::from_pointee(TotpPolicy::default()),
            pending: Mutex::new(login::PendingMap::new()),
            session_seconds: SESSION_SECONDS.into(),
            max_session_seconds: MAX_SESSION_SECONDS.into(),
        })
    }

    /// Sets how long new and refreshed sessions live (`auth.session_length`,
    /// `auth.max_session`).
    pub fn set_session_limits(&self, session_seconds: i64, max_session_seconds: i64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.session_seconds.store(session_seconds.max(60), Relaxed);
        self.max_session_seconds
            .store(max_session_seconds.max(session_seconds), Relaxed);
    }

    /// (session length, sliding limit) in seconds.
    pub fn session_limits(&self) -> (i64, i64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.session_seconds.load(Relaxed),
            self.max_session_seconds.load(Relaxed),
        )
    }

    /// The current snapshot; lock-free.
    pub fn directory(&self) -> arc_swap::Guard<std::sync::Arc<Directory>> {
        self.dir.load()
    }

    /// Blocking: runs `f` in one write transaction, then rebuilds the
    /// snapshot from the store (under one lock, so snapshots follow commits).
    fn change<T>(
        &self,
        f: impl FnOnce(&mut dyn repo::AuthWrite) -> Result<T, AuthError>,
    ) -> Result<T, AuthError> {
        let _guard = self.change.lock().unwrap_or_else(|e| e.into_inner());
        let out = transact(self.repo.as_ref(), f)?;
        self.dir
            .store(Arc::new(Directory::load(self.repo.as_ref())?));
        Ok(out)
    }

    /// Blocking: rebuilds the snapshot after a change made elsewhere (a
    /// script created or deleted by the script service).
    pub fn reload(&self) -> Result<(), StorageError> {
        let _guard = self.change.lock().unwrap_or_else(|e| e.into_inner());
        self.dir
            .store(Arc::new(Directory::load(self.repo.as_ref())?));
        Ok(())
    }
}

/// Runs `f` in one write transaction of `repo`; a domain error rolls it back.
fn transact<T>(
    repo: &dyn AuthRepo,
    f: impl FnOnce(&mut dyn repo::AuthWrite) -> Result<T, AuthError>,
) -> Result<T, AuthError> {
    let (mut f, mut out) = (Some(f), Outcome::new());
    let r = repo.write(&mut |tx| match f.take() {
        Some(f) => out.put(f(tx)),
        None => Ok(()),
    });
    out.finish(r)
}

fn now_secs() -> i64 {
    crate::domain::now_millis() / 1000
}

fn random_hex(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(s: &str) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, s.as_bytes());
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}
