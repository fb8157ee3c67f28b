//! How a verified user finishes logging in, whatever verified them (a
//! password today, an OpenID provider too): either a session at once, or,
//! when the account has TOTP on or its role requires it, a short-lived
//! pending state that is not a session. The pending state is redeemed
//! once, with a code or a recovery code (or, when the role requires TOTP
//! and the user has none yet, by enrolling first).
//!
//! Pending states live in memory only: they last minutes, and a restart
//! just means logging in again.

use std::collections::HashMap;

use super::{now_secs, random_hex, AuthError, AuthService, Enrolment, LoggedIn, User};

/// How long a pending login waits for its code.
pub const PENDING_SECONDS: i64 = 300;
/// Past this many pending logins, expired ones are swept on insert.
const SWEEP_AT: usize = 1024;

/// The outcome of [`AuthService::finish_login`].
pub enum LoginStep {
    /// Logged in: a session with its token and CSRF token.
    Session(LoggedIn),
    /// A second factor is needed first.
    Totp(TotpPending),
}

/// A login waiting for its second factor.
pub struct TotpPending {
    /// The single-use handle the client sends back with the code.
    pub token: String,
    pub expires_at: i64,
    /// The role requires TOTP and the user has none yet: enrol first
    /// ([`AuthService::pending_enrol`]), then confirm with a code.
    pub enrol: bool,
    pub user: User,
}

/// A finished second step: the session, and the recovery codes when this
/// step confirmed a forced enrolment.
pub struct TotpDone {
    pub session: LoggedIn,
    pub recovery_codes: Option<Vec<String>>,
}

#[derive(Clone)]
pub(super) struct Pending {
    user_id: String,
    ip: String,
    expires_at: i64,
    enrol: bool,
}

pub(super) type PendingMap = HashMap<String, Pending>;

impl AuthService {
    /// Blocking: the last step of every login, once the user is verified.
    /// Gives a session, or a pending state when TOTP is on for the user or
    /// required for their role.
    pub fn finish_login(&self, user: User, ip: &str) -> Result<LoginStep, AuthError> {
        if user.disabled {
            return Err(AuthError::BadCredentials);
        }
        let enabled = self.totp_record(&user.id)?.is_some_and(|r| r.enabled);
        if !enabled && !self.totp_required(user.role) {
            return self.start_session(user, ip).map(LoginStep::Session);
        }
        let now = now_secs();
        let token = random_hex(32);
        let pending = Pending {
            user_id: user.id.clone(),
            ip: ip.to_string(),
            expires_at: now + PENDING_SECONDS,
            enrol: !enabled,
        };
        {
            let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            if map.len() >= SWEEP_AT {
                map.retain(|_, p| p.expires_at > now);
            }
            map.insert(token.clone(), pending);
        }
        Ok(LoginStep::Totp(TotpPending {
            token,
            expires_at: now + PENDING_SECONDS,
            enrol: !enabled,
            user,
        }))
    }

    /// Blocking: redeems a pending login with a code or recovery code (or,
    /// for a forced enrolment, with the first code of the new secret).
    /// The pending state is taken out first, so two requests cannot both
    /// use it; it goes back when the check fails, until it expires.
    pub fn finish_totp(&self, token: &str, code: &str) -> Result<TotpDone, AuthError> {
        let p = self.take_pending(token)?;
        let checked = if p.enrol {
            self.totp_confirm(&p.user_id, code).map(Some)
        } else {
            self.totp_verify(&p.user_id, code).map(|_| None)
        };
        let recovery_codes = match checked {
            Ok(codes) => codes,
            Err(e) => {
                // Not redeemed: usable again (until it expires); guessing
                // is bounded by the per-account limit of wrong codes.
                let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                map.insert(token.to_string(), p);
                return Err(e);
            }
        };
        let user = self.get_user(&p.user_id)?;
        let session = self.start_session(user, &p.ip)?;
        Ok(TotpDone {
            session,
            recovery_codes,
        })
    }

    /// Blocking: begins the enrolment a pending login requires (the role
    /// requires TOTP and the user has none). The pending state stays until
    /// a code confirms the enrolment through [`AuthService::finish_totp`].
    pub fn pending_enrol(&self, token: &str) -> Result<Enrolment, AuthError> {
        let p = self.peek_pending(token)?;
        if !p.enrol {
            return Err(AuthError::Conflict(
                "this account already has TOTP; send a code to POST /engine/auth/totp".into(),
            ));
        }
        self.totp_begin(&p.user_id)
    }

    fn peek_pending(&self, token: &str) -> Result<Pending, AuthError> {
        let map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token)
            .filter(|p| p.expires_at > now_secs())
            .cloned()
            .ok_or_else(expired)
    }

    fn take_pending(&self, token: &str) -> Result<Pending, AuthError> {
        let mut map = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(token)
            .filter(|p| p.expires_at > now_secs())
            .ok_or_else(expired)
    }
}

fn expired() -> AuthError {
    AuthError::Unauthorized(format!(
        "no pending login for this handle (unknown, used, or older than {PENDING_SECONDS} seconds); log in again with POST /engine/auth/login"
    ))
}
