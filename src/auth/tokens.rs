//! API tokens: named, revocable, optionally expiring; shown once, and only
//! a SHA-256 hash of the secret is stored.

use serde::{Deserialize, Serialize};

use super::{now_secs, sha256_hex, AuthError, AuthService, Principal};

/// Every API token starts with this, so it is told apart from a login JWT.
pub const API_TOKEN_PREFIX: &str = "awt_";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub hash: String,
    pub created_at: i64,
    /// Seconds since the epoch; None never expires.
    #[serde(default)]
    pub expires_at: Option<i64>,
}

impl AuthService {
    /// Blocking: returns the record and the token, which is not kept.
    pub fn create_api_token(
        &self,
        user_id: &str,
        name: &str,
        expires_in_days: Option<u32>,
    ) -> Result<(ApiToken, String), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(AuthError::Invalid(
                "a token needs a name of 1 to 100 characters".into(),
            ));
        }
        let secret = format!("{API_TOKEN_PREFIX}{}", super::sessions::secret());
        let tok = ApiToken {
            id: uuid::Uuid::new_v4().simple().to_string(),
            user_id: user_id.to_string(),
            name: name.to_string(),
            hash: sha256_hex(&secret),
            created_at: crate::domain::now_millis(),
            expires_at: expires_in_days.map(|d| now_secs() + i64::from(d) * 86_400),
        };
        self.change(|tx| Ok(tx.put_api_token(&tok)?))?;
        Ok((tok, secret))
    }

    /// Blocking: the tokens of a user (every user's for None).
    pub fn list_api_tokens(&self, user_id: Option<&str>) -> Vec<ApiToken> {
        let dir = self.directory();
        let mut out: Vec<ApiToken> = dir
            .tokens
            .values()
            .filter(|t| user_id.is_none_or(|u| u == t.user_id))
            .cloned()
            .collect();
        out.sort_by_key(|t| t.created_at);
        out
    }

    /// Blocking: deletes a token of `user_id` (anyone's for None).
    pub fn delete_api_token(&self, id: &str, user_id: Option<&str>) -> Result<(), AuthError> {
        self.change(|tx| match tx.api_token(id)? {
            Some(tok) if user_id.is_none_or(|u| u == tok.user_id) => {
                tx.remove_api_token(id)?;
                Ok(())
            }
            _ => Err(AuthError::NotFound(format!("no API token {id}"))),
        })
    }

    pub(super) fn authenticate_api_token(&self, token: &str) -> Result<Principal, AuthError> {
        let dir = self.directory();
        let tok = dir
            .tokens
            .get(&sha256_hex(token))
            .filter(|t| t.expires_at.is_none_or(|e| e > now_secs()))
            .ok_or(AuthError::InvalidToken)?;
        let mut p = dir.principal(&tok.user_id).ok_or(AuthError::InvalidToken)?;
        p.token_id = Some(tok.id.clone());
        Ok(p)
    }
}
