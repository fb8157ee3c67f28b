//! First run: while no enabled admin exists, a one-time setup token lets
//! whoever holds the printed URL create the first admin. It is kept only in
//! memory, expires after an hour and dies once any admin exists.

use super::{now_secs, sha256_hex, AuthError, AuthService, Role, User};

const SETUP_SECONDS: i64 = 3600;

pub(super) struct SetupToken {
    hash: String,
    expires_at: i64,
}

impl AuthService {
    /// A fresh setup token when no admin exists (replacing any older one).
    pub fn issue_setup_token(&self) -> Option<String> {
        if self.directory().has_admin() {
            return None;
        }
        let token = super::sessions::secret();
        let entry = SetupToken {
            hash: sha256_hex(&token),
            expires_at: now_secs() + SETUP_SECONDS,
        };
        *self.setup.lock().unwrap_or_else(|e| e.into_inner()) = Some(entry);
        Some(token)
    }

    /// Whether the setup page can still be used.
    pub fn setup_open(&self) -> bool {
        !self.directory().has_admin()
            && self
                .setup
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_ref()
                .is_some_and(|s| s.expires_at > now_secs())
    }

    /// Blocking: checks and burns the token, then creates the first admin.
    pub fn complete_setup(
        &self,
        token: &str,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> Result<User, AuthError> {
        let refused = || {
            AuthError::Forbidden(
                "the setup link is invalid, used or expired, or an admin already exists; \
                 restart the server for a new link, or use `aiwebengine admin create`"
                    .into(),
            )
        };
        {
            let mut slot = self.setup.lock().unwrap_or_else(|e| e.into_inner());
            let ok = slot
                .as_ref()
                .is_some_and(|s| s.expires_at > now_secs() && s.hash == sha256_hex(token));
            if !ok || self.directory().has_admin() {
                return Err(refused());
            }
            // Single use: burnt before the account exists, so a second
            // request racing this one is refused.
            *slot = None;
        }
        self.create_user(email, password, name, Role::Admin)
    }
}
