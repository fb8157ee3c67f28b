//! Grants: the code exchange that starts one (a session of a new kind plus
//! its [`OAuthGrant`] row, in one transaction), refresh with rotation, and
//! revocation (RFC 7009).

use std::collections::HashMap;

use jsonwebtoken::Validation;

use super::{AccessClaims, Issued, OAuthError, OAuthGrant, GRANT_SECONDS, REFRESH_PREFIX};
use crate::auth::{now_secs, random_hex, sha256_hex, AuthError, AuthService, LiveSession, Session};

impl AuthService {
    /// Blocking: exchanges a code (RFC 6749 §4.1.3 with PKCE) for the first
    /// tokens of a new grant. `resource`, when sent, must be the code's.
    pub fn exchange_oauth_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        resource: Option<&str>,
        iss: &str,
    ) -> Result<Issued, OAuthError> {
        let req = self.redeem_oauth_code(code, client_id, redirect_uri, verifier)?;
        if resource.is_some_and(|r| r.trim_end_matches('/') != req.resource) {
            return Err(OAuthError::InvalidTarget(format!(
                "resource differs from the authorization request's ({})",
                req.resource
            )));
        }
        let client = self.oauth_client(client_id)?;
        let now = now_secs();
        let session = Session {
            id: uuid::Uuid::new_v4().simple().to_string(),
            user_id: req.user_id.clone(),
            created_at: now,
            expires_at: now + GRANT_SECONDS,
            ip: String::new(),
        };
        let secret = random_hex(32);
        let grant = OAuthGrant {
            id: session.id.clone(),
            client_id: client.client_id,
            client_name: client.client_name,
            resource: req.resource,
            scope: req.scope,
            refresh_hash: sha256_hex(&secret),
            previous_hash: None,
            created_at: now,
        };
        crate::auth::transact(self.repo.as_ref(), |tx| {
            if tx.user(&session.user_id)?.is_none_or(|u| u.disabled) {
                return Err(crate::auth::AuthError::BadCredentials);
            }
            tx.put_session(&session)?;
            tx.put_oauth_grant(&grant)?;
            Ok(())
        })?;
        self.set_live(&session);
        self.issue(&grant, &session, &secret, iss)
    }

    /// Blocking: a refresh (RFC 6749 §6) that rotates the refresh token and
    /// slides the grant forward. An old refresh token seen again revokes
    /// the grant: one of the two holders is not the client.
    pub fn refresh_oauth(
        &self,
        refresh_token: &str,
        client_id: &str,
        resource: Option<&str>,
        iss: &str,
    ) -> Result<Issued, OAuthError> {
        let invalid = || {
            OAuthError::InvalidGrant(
                "the refresh token is unknown, rotated, expired or revoked; authorize again".into(),
            )
        };
        let (sid, secret) = split_refresh(refresh_token).ok_or_else(invalid)?;
        let hash = sha256_hex(secret);
        let now = now_secs();
        let mut replayed = false;
        let mut found: Option<(OAuthGrant, Session)> = None;
        let next = random_hex(32);
        crate::auth::transact(self.repo.as_ref(), |tx| {
            let (Some(mut g), Some(mut s)) = (tx.oauth_grant(sid)?, tx.session(sid)?) else {
                return Ok(());
            };
            if g.previous_hash.as_deref() == Some(hash.as_str()) {
                replayed = true;
                tx.remove_session(sid)?;
                tx.remove_oauth_grant(sid)?;
                return Ok(());
            }
            if g.refresh_hash != hash || g.client_id != client_id || s.expires_at <= now {
                return Ok(());
            }
            g.previous_hash = Some(std::mem::replace(&mut g.refresh_hash, sha256_hex(&next)));
            s.expires_at = now + GRANT_SECONDS;
            tx.put_oauth_grant(&g)?;
            tx.put_session(&s)?;
            found = Some((g, s));
            Ok(())
        })?;
        if replayed {
            self.live_remove(sid);
            return Err(OAuthError::InvalidGrant(
                "this refresh token was used already, so the grant is revoked; authorize again"
                    .into(),
            ));
        }
        let (grant, session) = found.ok_or_else(invalid)?;
        if resource.is_some_and(|r| r.trim_end_matches('/') != grant.resource) {
            return Err(OAuthError::InvalidTarget(format!(
                "this grant is for {} only",
                grant.resource
            )));
        }
        // Revoked from the sessions page meanwhile: stays revoked.
        if !self.live_extend(&session) {
            return Err(invalid());
        }
        self.issue(&grant, &session, &next, iss)
    }

    /// Blocking: RFC 7009. A refresh or access token of `client_id` ends
    /// its grant; anything else is ignored, as the RFC asks.
    pub fn revoke_oauth_token(&self, token: &str, client_id: &str) -> Result<(), OAuthError> {
        let sid = match split_refresh(token) {
            Some((sid, _)) => sid.to_string(),
            None => {
                let mut v = Validation::default();
                v.validate_aud = false;
                v.validate_exp = false;
                match jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &v) {
                    Ok(d) if d.claims.client_id == client_id => d.claims.sid,
                    _ => return Ok(()),
                }
            }
        };
        let mut owned = false;
        self.repo.write(&mut |tx| {
            owned = tx
                .oauth_grant(&sid)?
                .is_some_and(|g| g.client_id == client_id);
            if owned {
                tx.remove_session(&sid)?;
                tx.remove_oauth_grant(&sid)?;
            }
            Ok(())
        })?;
        if owned {
            self.live_remove(&sid);
        }
        Ok(())
    }

    /// Blocking: the client name of each grant, by its session id (for the
    /// sessions page).
    pub fn oauth_grant_clients(&self) -> Result<HashMap<String, String>, AuthError> {
        let mut out = HashMap::new();
        self.repo.read(&mut |r| {
            out = r
                .oauth_grants()?
                .into_iter()
                .map(|g| (g.id, g.client_name))
                .collect();
            Ok(())
        })?;
        Ok(out)
    }

    fn issue(
        &self,
        grant: &OAuthGrant,
        session: &Session,
        secret: &str,
        iss: &str,
    ) -> Result<Issued, OAuthError> {
        let claims = self.access_claims(&session.id, grant, iss, &session.user_id);
        Ok(Issued {
            access_token: self.sign_access_token(&claims)?,
            refresh_token: format!("{REFRESH_PREFIX}{}.{secret}", session.id),
            expires_in: claims.exp - claims.iat,
            scope: grant.scope.clone(),
        })
    }

    fn set_live(&self, s: &Session) {
        let live = LiveSession {
            user_id: s.user_id.clone(),
            expires_at: s.expires_at,
        };
        let mut map = self.live.write().unwrap_or_else(|e| e.into_inner());
        map.insert(s.id.clone(), live);
    }

    /// False when the session is no longer live (revoked meanwhile).
    fn live_extend(&self, s: &Session) -> bool {
        let mut map = self.live.write().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(&s.id) {
            Some(l) => {
                l.expires_at = s.expires_at;
                true
            }
            None => false,
        }
    }

    fn live_remove(&self, sid: &str) {
        let mut map = self.live.write().unwrap_or_else(|e| e.into_inner());
        map.remove(sid);
    }
}

/// `awr_SID.SECRET` -> (SID, SECRET).
fn split_refresh(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(REFRESH_PREFIX)?;
    let (sid, secret) = rest.split_once('.')?;
    (!sid.is_empty() && !secret.is_empty()).then_some((sid, secret))
}
