//! Login, login tokens (JWTs carrying a session id), the live-session set,
//! CSRF tokens bound to a session, and revocation.

use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};

use super::{
    now_secs, password, random_hex, verify_password, AuthError, AuthService, LiveSession,
    Principal, Role, Session, User,
};
use crate::domain::StorageError;

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

/// What a successful login hands out.
pub struct LoggedIn {
    pub token: String,
    pub csrf: String,
    pub user: User,
    pub expires_at: i64,
}

impl AuthService {
    /// Blocking: verifies the password, then [`AuthService::finish_login`]:
    /// a new session, or a login pending its second factor.
    pub fn login(
        &self,
        email: &str,
        password: &str,
        ip: &str,
    ) -> Result<super::LoginStep, AuthError> {
        let key = email.trim().to_lowercase();
        let mut user = None;
        self.repo.read(&mut |r| {
            if let Some(id) = r.user_id_by_email(&key)? {
                user = r.user(&id)?;
            }
            Ok(())
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
        self.finish_login(user, ip)
    }

    /// Blocking: records a session for `user` and signs its token.
    pub fn start_session(&self, user: User, ip: &str) -> Result<LoggedIn, AuthError> {
        let now = now_secs();
        let (length, _) = self.session_limits();
        let session = Session {
            id: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + length,
            ip: ip.to_string(),
        };
        // The user is read again inside the transaction: a change made since
        // the password check (disabling, say) must neither be lost nor bypassed.
        let user = super::transact(self.repo.as_ref(), |tx| {
            let Some(mut u) = tx.user(&user.id)?.filter(|u| !u.disabled) else {
                return Err(AuthError::BadCredentials);
            };
            u.last_login = Some(now * 1000);
            tx.put_user(&u)?;
            tx.put_session(&session)?;
            Ok(u)
        })?;
        let live = LiveSession {
            user_id: user.id.clone(),
            expires_at: session.expires_at,
        };
        {
            let mut map = self.live.write().unwrap_or_else(|e| e.into_inner());
            // Expired sessions are dropped from memory now and then.
            if map.len() % 1024 == 1023 {
                map.retain(|_, s| s.expires_at > now);
            }
            map.insert(session.id.clone(), live);
        }
        self.sign(user, &session, now)
    }

    /// Blocking: slides a live session's expiry forward (up to
    /// `auth.max_session` after login) and signs a new token for it.
    pub fn refresh(&self, p: &Principal) -> Result<LoggedIn, AuthError> {
        let sid = p.session_id.as_deref().ok_or_else(|| {
            AuthError::Invalid("API tokens are not refreshed; only login sessions are".into())
        })?;
        let now = now_secs();
        let (length, max) = self.session_limits();
        let session = super::transact(self.repo.as_ref(), |tx| {
            let Some(mut s) = tx.session(sid)? else {
                return Err(AuthError::InvalidToken);
            };
            s.expires_at = (now + length).min(s.created_at + max);
            tx.put_session(&s)?;
            Ok(s)
        })?;
        {
            let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
            // Revoked meanwhile: stays revoked.
            let entry = live.get_mut(sid).ok_or(AuthError::InvalidToken)?;
            entry.expires_at = session.expires_at;
        }
        let user = self.get_user(&p.id)?;
        self.sign(user, &session, now)
    }

    fn sign(&self, user: User, session: &Session, now: i64) -> Result<LoggedIn, AuthError> {
        let claims = Claims {
            sub: user.id.clone(),
            sid: session.id.clone(),
            email: user.email.clone(),
            name: user.name.clone(),
            role: user.role,
            iat: now,
            exp: session.expires_at,
        };
        let token = jsonwebtoken::encode(&Header::default(), &claims, &self.encoding)
            .map_err(|e| StorageError::io(format!("cannot sign the login token: {e}")))?;
        Ok(LoggedIn {
            token,
            csrf: self.csrf_token(&session.id),
            user,
            expires_at: session.expires_at,
        })
    }

    /// Seconds left on a login token, without checking it is live.
    pub fn token_seconds_left(&self, token: &str) -> Option<i64> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &Validation::default()).ok()?;
        Some(data.claims.exp - now_secs())
    }

    /// Checks a bearer or cookie token (a login token or an API token)
    /// against memory only: signature, expiry, the live session, the user.
    pub fn authenticate(&self, token: &str) -> Result<Principal, AuthError> {
        if token.starts_with(super::API_TOKEN_PREFIX) {
            return self.authenticate_api_token(token);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &Validation::default())
            .map_err(|_| AuthError::InvalidToken)?;
        self.session_principal(&data.claims.sub, data.claims.sid)
    }

    /// The user `sub` acting through the live session `sid` (memory only);
    /// what a verified login token or OAuth access token stands for.
    pub(super) fn session_principal(&self, sub: &str, sid: String) -> Result<Principal, AuthError> {
        let now = now_secs();
        let ok = self
            .live
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&sid)
            .is_some_and(|s| s.user_id == sub && s.expires_at > now);
        if !ok {
            return Err(AuthError::InvalidToken);
        }
        let mut p = self
            .directory()
            .principal(sub)
            .ok_or(AuthError::InvalidToken)?;
        p.session_id = Some(sid);
        Ok(p)
    }

    /// The CSRF token of a session: an HMAC of its id, so nothing is stored
    /// and a token from one session is worthless in another.
    pub fn csrf_token(&self, session_id: &str) -> String {
        let tag = ring::hmac::sign(&self.csrf_key, format!("csrf:{session_id}").as_bytes());
        tag.as_ref()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Blocking: the user's unexpired sessions, newest first.
    pub fn sessions_of(&self, user_id: &str) -> Result<Vec<Session>, AuthError> {
        let now = now_secs();
        let mut out = Vec::new();
        self.repo.read(&mut |r| {
            out = r.sessions()?;
            Ok(())
        })?;
        out.retain(|s| s.user_id == user_id && s.expires_at > now);
        out.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        Ok(out)
    }

    /// Blocking: revokes one session of `user_id` (or of anyone, for None).
    pub fn revoke_session(&self, id: &str, user_id: Option<&str>) -> Result<(), AuthError> {
        let not_found = || AuthError::NotFound(format!("no session {id}"));
        {
            let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
            match live.get(id) {
                Some(s) if user_id.is_none_or(|u| u == s.user_id) => {
                    live.remove(id);
                }
                _ => return Err(not_found()),
            }
        }
        self.repo.write(&mut |tx| {
            tx.remove_session(id)?;
            // An OAuth grant is a session too: its refresh token ends here.
            tx.remove_oauth_grant(id).map(drop)
        })?;
        Ok(())
    }

    /// Blocking: revokes every session of a user ("log out everywhere",
    /// password change, disabling, deletion). Memory first: effective at once.
    pub fn revoke_user_sessions(&self, user_id: &str) -> Result<usize, AuthError> {
        let n = {
            let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
            let before = live.len();
            live.retain(|_, s| s.user_id != user_id);
            before - live.len()
        };
        self.repo.write(&mut |tx| {
            let now = now_secs();
            for s in tx.sessions()? {
                if s.user_id == user_id || s.expires_at <= now {
                    tx.remove_session(&s.id)?;
                    tx.remove_oauth_grant(&s.id)?;
                }
            }
            Ok(())
        })?;
        Ok(n)
    }
}

/// A random secret in hex, for tokens shown once.
pub(super) fn secret() -> String {
    random_hex(32)
}
