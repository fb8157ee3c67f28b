//! Users, password hashing, sessions and session tokens (no HTTP types).
//!
//! A token is a JWT that carries a session id; the set of live session ids
//! is mirrored in memory, so checking a token reads no store, and revoking
//! a session takes effect at once.

mod password;

use std::collections::HashSet;
use std::sync::RwLock;

use jsonwebtoken::{DecodingKey, EncodingKey, Header, Validation};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::store::{decode, encode, get_value, tables, Store, StoreError};

pub use password::{hash_password, verify_password, MIN_PASSWORD_LEN};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Authenticated,
    Editor,
    Admin,
}

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
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub sid: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub iat: i64,
    pub exp: i64,
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How long a login token lives.
const SESSION_SECONDS: i64 = 12 * 3600;

pub struct AuthService {
    store: Store,
    encoding: EncodingKey,
    decoding: DecodingKey,
    live: RwLock<HashSet<String>>,
}

impl AuthService {
    pub fn open(store: Store) -> Result<AuthService, StoreError> {
        let now = now_secs();
        let (secret, live) = store.read(|txn| {
            let meta = txn.open_table(tables::META)?;
            let secret = meta
                .get("jwt_secret")?
                .map(|v| v.value().to_vec())
                .ok_or_else(|| StoreError::Codec("the data file has no jwt_secret".into()))?;
            let mut live = HashSet::new();
            for row in txn.open_table(tables::SESSIONS)?.iter()? {
                let s: Session = decode(row?.1.value())?;
                if s.expires_at > now {
                    live.insert(s.id);
                }
            }
            Ok((secret, live))
        })?;
        Ok(AuthService {
            store,
            encoding: EncodingKey::from_secret(&secret),
            decoding: DecodingKey::from_secret(&secret),
            live: RwLock::new(live),
        })
    }

    /// Blocking: hashes with argon2 and writes the store.
    pub fn create_user(&self, email: &str, password: &str, role: Role) -> Result<User, AuthError> {
        create_user(&self.store, email, password, role)
    }

    /// Blocking: verifies the password and records a new session.
    pub fn login(&self, email: &str, password: &str) -> Result<(String, User), AuthError> {
        let key = email.trim().to_lowercase();
        let user = self.store.read(|txn| {
            let Some(id) = txn
                .open_table(tables::USER_EMAILS)?
                .get(key.as_str())?
                .map(|v| v.value().to_string())
            else {
                return Ok(None);
            };
            get_value::<User>(&txn.open_table(tables::USERS)?, &id)
        })?;
        let user = match user {
            Some(u) if !u.disabled && verify_password(password, &u.password_hash) => u,
            Some(_) => return Err(AuthError::BadCredentials),
            None => {
                // Same work for unknown emails, so timing does not reveal accounts.
                let _ = verify_password(password, password::DUMMY_HASH);
                return Err(AuthError::BadCredentials);
            }
        };
        let now = now_secs();
        let session = Session {
            id: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + SESSION_SECONDS,
        };
        let user = self.store.write(|txn| {
            txn.open_table(tables::SESSIONS)?
                .insert(session.id.as_str(), encode(&session)?.as_slice())?;
            let mut users = txn.open_table(tables::USERS)?;
            let mut u = user.clone();
            u.last_login = Some(now * 1000);
            users.insert(u.id.as_str(), encode(&u)?.as_slice())?;
            Ok(u)
        })?;
        self.live
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(session.id.clone());
        let claims = Claims {
            sub: user.id.clone(),
            sid: session.id,
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            iat: now,
            exp: session.expires_at,
        };
        let token = jsonwebtoken::encode(&Header::default(), &claims, &self.encoding)
            .map_err(|e| StoreError::Codec(e.to_string()))?;
        Ok((token, user))
    }

    /// Checks signature, expiry and that the session is still live.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &Validation::default())
            .map_err(|_| AuthError::InvalidToken)?;
        let live = self.live.read().unwrap_or_else(|e| e.into_inner());
        if !live.contains(&data.claims.sid) {
            return Err(AuthError::InvalidToken);
        }
        Ok(data.claims)
    }
}

/// Creates a user in one write transaction; the email is unique, case-insensitively.
pub fn create_user(
    store: &Store,
    email: &str,
    password: &str,
    role: Role,
) -> Result<User, AuthError> {
    let email = email.trim();
    let at = email.find('@');
    if !matches!(at, Some(i) if i > 0 && i + 1 < email.len()) || email.contains(char::is_whitespace)
    {
        return Err(AuthError::InvalidEmail(email.to_string()));
    }
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AuthError::WeakPassword);
    }
    let key = email.to_lowercase();
    let hash = hash_password(password);
    let user = User {
        id: uuid::Uuid::new_v4().simple().to_string(),
        email: email.to_string(),
        name: email.split('@').next().unwrap_or(email).to_string(),
        password_hash: hash,
        role,
        disabled: false,
        created_at: crate::scripts::now_millis(),
        last_login: None,
        provider: default_provider(),
    };
    store.write(|txn| {
        let mut emails = txn.open_table(tables::USER_EMAILS)?;
        if emails.get(key.as_str())?.is_some() {
            return Ok(Err(AuthError::EmailTaken(email.to_string())));
        }
        emails.insert(key.as_str(), user.id.as_str())?;
        txn.open_table(tables::USERS)?
            .insert(user.id.as_str(), encode(&user)?.as_slice())?;
        Ok(Ok(user))
    })?
}

fn now_secs() -> i64 {
    crate::scripts::now_millis() / 1000
}
