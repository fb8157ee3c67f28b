//! The TOTP second factor of an account (REQ-AUTH-007): enrolment that
//! turns on only after a valid code, one-time recovery codes stored
//! hashed, disabling, regenerating, an admin reset, and the check of a
//! code (never the same step twice, one step of skew either way).
//!
//! Codes and recovery codes are checked inside one write transaction that
//! also records the used step or drops the used recovery code, so two
//! requests with the same code cannot both pass.

use serde::{Deserialize, Serialize};

use super::{now_secs, otp, AuthError, AuthService, Role};

/// The TOTP state of one user, keyed by user id.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TotpRecord {
    pub user_id: String,
    /// The secret as [`otp::seal`] stores it (encrypted when the engine
    /// has a secret key).
    pub secret: String,
    /// False from enrolment until a valid code confirms it.
    pub enabled: bool,
    /// The last time step whose code was accepted; older and equal steps
    /// are refused (a code is used once).
    pub last_step: u64,
    /// SHA-256 of each unused recovery code.
    pub recovery: Vec<String>,
    pub created_at: i64,
}

/// What enrolment shows the user once: the secret and the URI for the QR code.
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
}

/// `GET`-able state of a user's second factor.
#[derive(Clone, Debug, Serialize)]
pub struct TotpStatus {
    pub enabled: bool,
    /// Enrolment begun, not yet confirmed.
    pub pending: bool,
    pub recovery_codes_left: usize,
    /// The user's role is in `auth.require_totp_for`.
    pub required: bool,
}

/// How the engine treats second factors, from the config.
#[derive(Clone, Debug, Default)]
pub struct TotpPolicy {
    /// Roles that must use TOTP (`auth.require_totp_for`).
    pub required_roles: Vec<Role>,
    /// The engine's secret key (`AIWEBENGINE_SECRET_KEY`); secrets are
    /// stored encrypted under it when set.
    pub key: Option<[u8; 32]>,
}

/// Issuer shown in authenticator apps.
const ISSUER: &str = "aiwebengine";

fn bad_code() -> AuthError {
    AuthError::BadCode("wrong or already used code: send the current 6-digit code from your authenticator app, or an unused recovery code".into())
}

fn not_on() -> AuthError {
    AuthError::Conflict("TOTP is not turned on for this account".into())
}

impl AuthService {
    pub fn set_totp_policy(&self, policy: TotpPolicy) {
        self.totp_policy.store(std::sync::Arc::new(policy));
    }

    /// Changes only the roles (a config reload); the key stays.
    pub fn set_totp_roles(&self, roles: Vec<Role>) {
        let mut p = TotpPolicy::clone(&self.totp_policy.load());
        p.required_roles = roles;
        self.set_totp_policy(p);
    }

    pub(super) fn totp_required(&self, role: Role) -> bool {
        self.totp_policy.load().required_roles.contains(&role)
    }

    /// Blocking: the user's TOTP record, if any.
    pub(super) fn totp_record(&self, user_id: &str) -> Result<Option<TotpRecord>, AuthError> {
        let mut rec = None;
        self.repo.read(&mut |r| {
            rec = r.totp(user_id)?;
            Ok(())
        })?;
        Ok(rec)
    }

    /// Blocking: the ids of the users with TOTP on.
    pub fn totp_users(&self) -> Result<std::collections::HashSet<String>, AuthError> {
        let mut ids = std::collections::HashSet::new();
        self.repo.read(&mut |r| {
            ids = r
                .totps()?
                .into_iter()
                .filter(|t| t.enabled)
                .map(|t| t.user_id)
                .collect();
            Ok(())
        })?;
        Ok(ids)
    }

    /// Blocking: whether TOTP is on, pending, and required for the user.
    pub fn totp_status(&self, user_id: &str) -> Result<TotpStatus, AuthError> {
        let user = self.get_user(user_id)?;
        let rec = self.totp_record(user_id)?;
        Ok(TotpStatus {
            enabled: rec.as_ref().is_some_and(|r| r.enabled),
            pending: rec.as_ref().is_some_and(|r| !r.enabled),
            recovery_codes_left: rec.as_ref().map_or(0, |r| r.recovery.len()),
            required: self.totp_required(user.role),
        })
    }

    /// Blocking: starts (or restarts) enrolment with a new secret; TOTP is
    /// not on until [`AuthService::totp_confirm`].
    pub fn totp_begin(&self, user_id: &str) -> Result<Enrolment, AuthError> {
        let user = self.get_user(user_id)?;
        let secret = otp::new_secret();
        let key = self.totp_policy.load().key;
        let sealed = otp::seal(&secret, key.as_ref(), user_id).map_err(AuthError::Invalid)?;
        super::transact(self.repo.as_ref(), |tx| {
            if tx.totp(user_id)?.is_some_and(|r| r.enabled) {
                return Err(AuthError::Conflict(
                    "TOTP is already on for this account; turn it off first (with a code) to enrol a new device".into(),
                ));
            }
            let rec = TotpRecord {
                user_id: user_id.to_string(),
                secret: sealed.clone(),
                enabled: false,
                last_step: 0,
                recovery: Vec::new(),
                created_at: now_secs(),
            };
            Ok(tx.put_totp(&rec)?)
        })?;
        Ok(Enrolment {
            secret: otp::base32(&secret),
            uri: otp::otpauth_uri(ISSUER, &user.email, &secret),
        })
    }

    /// Blocking: turns TOTP on with a valid code for the begun enrolment;
    /// returns the ten recovery codes (shown once, stored hashed).
    pub fn totp_confirm(&self, user_id: &str, code: &str) -> Result<Vec<String>, AuthError> {
        let codes = otp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| otp::recovery_hash(c)).collect();
        self.with_limit(user_id, || {
            let key = self.totp_policy.load().key;
            super::transact(self.repo.as_ref(), |tx| {
                let mut rec = match tx.totp(user_id)? {
                    Some(r) if !r.enabled => r,
                    Some(_) => return Err(AuthError::Conflict("TOTP is already on".into())),
                    None => {
                        return Err(AuthError::Conflict(
                            "no enrolment to confirm; begin one first".into(),
                        ))
                    }
                };
                let secret =
                    otp::open(&rec.secret, key.as_ref(), user_id).map_err(AuthError::Invalid)?;
                let step = otp::matching_step(&secret, code.trim(), otp::step_of(now_secs()), 0)
                    .ok_or_else(bad_code)?;
                rec.enabled = true;
                rec.last_step = step;
                rec.recovery = hashes.clone();
                Ok(tx.put_totp(&rec)?)
            })
        })?;
        Ok(codes)
    }

    /// Blocking: checks a code or a recovery code of a user with TOTP on,
    /// and uses it up.
    pub fn totp_verify(&self, user_id: &str, code: &str) -> Result<(), AuthError> {
        self.with_limit(user_id, || {
            let key = self.totp_policy.load().key;
            super::transact(self.repo.as_ref(), |tx| {
                let mut rec = tx.totp(user_id)?.filter(|r| r.enabled).ok_or_else(not_on)?;
                use_code(&mut rec, code.trim(), key.as_ref())?;
                Ok(tx.put_totp(&rec)?)
            })
        })
    }

    /// Blocking: turns TOTP off after a code or recovery code; refused
    /// while the user's role requires it.
    pub fn totp_disable(&self, user_id: &str, code: &str) -> Result<(), AuthError> {
        let user = self.get_user(user_id)?;
        if self.totp_required(user.role) {
            return Err(AuthError::Forbidden(format!(
                "the {} role requires TOTP (auth.require_totp_for); it cannot be turned off",
                user.role.as_str()
            )));
        }
        self.totp_verify(user_id, code)?;
        self.repo
            .write(&mut |tx| tx.remove_totp(user_id).map(drop))?;
        Ok(())
    }

    /// Blocking: replaces the recovery codes after a code or recovery code.
    pub fn totp_new_recovery(&self, user_id: &str, code: &str) -> Result<Vec<String>, AuthError> {
        let codes = otp::new_recovery_codes();
        let hashes: Vec<String> = codes.iter().map(|c| otp::recovery_hash(c)).collect();
        self.with_limit(user_id, || {
            let key = self.totp_policy.load().key;
            super::transact(self.repo.as_ref(), |tx| {
                let mut rec = tx.totp(user_id)?.filter(|r| r.enabled).ok_or_else(not_on)?;
                use_code(&mut rec, code.trim(), key.as_ref())?;
                rec.recovery = hashes.clone();
                Ok(tx.put_totp(&rec)?)
            })
        })?;
        Ok(codes)
    }

    /// Blocking: an admin removes a user's second factor (lost device);
    /// false when there was none.
    pub fn totp_reset(&self, user_id: &str) -> Result<bool, AuthError> {
        self.get_user(user_id)?;
        let mut gone = false;
        self.repo.write(&mut |tx| {
            gone = tx.remove_totp(user_id)?;
            Ok(())
        })?;
        Ok(gone)
    }

    /// Runs a code check under the per-account limit of wrong codes: an
    /// attempt is taken up front and given back when it succeeds.
    fn with_limit(
        &self,
        user_id: &str,
        check: impl FnOnce() -> Result<(), AuthError>,
    ) -> Result<(), AuthError> {
        self.totp_limiter.take(user_id)?;
        let out = check();
        // Only wrong codes count against the account.
        if !matches!(out, Err(AuthError::BadCode(_))) {
            self.totp_limiter.refund(user_id);
        }
        out
    }
}

/// Accepts a 6-digit code for a step after the last used one, or an
/// unused recovery code (which is then dropped).
fn use_code(rec: &mut TotpRecord, code: &str, key: Option<&[u8; 32]>) -> Result<(), AuthError> {
    if otp::looks_like_code(code) {
        let secret = otp::open(&rec.secret, key, &rec.user_id).map_err(AuthError::Invalid)?;
        let now = otp::step_of(now_secs());
        let step = otp::matching_step(&secret, code, now, rec.last_step).ok_or_else(bad_code)?;
        rec.last_step = step;
        return Ok(());
    }
    let hash = otp::recovery_hash(code);
    let at = rec.recovery.iter().position(|h| *h == hash);
    let at = at.ok_or_else(bad_code)?;
    rec.recovery.remove(at);
    Ok(())
}
