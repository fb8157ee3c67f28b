//! Access tokens: JWTs (RFC 9068 style, `typ` "at+jwt") signed with the
//! engine's key, carrying the grant's session id and the resource as `aud`.
//! A login token has no `aud`, so the login check refuses these, and this
//! check refuses login tokens: neither kind works in the other's place.

use jsonwebtoken::{Header, Validation};
use serde::{Deserialize, Serialize};

use super::ACCESS_TOKEN_SECONDS;
use crate::auth::{now_secs, AuthError, AuthService, Principal};
use crate::domain::StorageError;

/// The JOSE `typ` of an access token.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub sid: String,
    pub client_id: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
}

/// What the token endpoint answers with.
#[derive(Clone, Debug)]
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: String,
}

impl AuthService {
    pub(super) fn sign_access_token(&self, claims: &AccessClaims) -> Result<String, StorageError> {
        let header = Header {
            typ: Some(ACCESS_TOKEN_TYP.into()),
            ..Header::default()
        };
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| StorageError::io(format!("cannot sign an access token: {e}")))
    }

    pub(super) fn access_claims(
        &self,
        sid: &str,
        g: &super::OAuthGrant,
        iss: &str,
        user: &str,
    ) -> AccessClaims {
        let now = now_secs();
        AccessClaims {
            iss: iss.to_string(),
            sub: user.to_string(),
            aud: g.resource.clone(),
            sid: sid.to_string(),
            client_id: g.client_id.clone(),
            scope: g.scope.clone(),
            iat: now,
            exp: now + ACCESS_TOKEN_SECONDS,
        }
    }

    /// Checks an access token for `resource` against memory only:
    /// signature, expiry, audience, the grant's live session, the user.
    /// The principal has the user's role and groups, as a login would.
    pub fn authenticate_resource(
        &self,
        token: &str,
        resource: &str,
    ) -> Result<Principal, AuthError> {
        let mut v = Validation::default();
        v.set_audience(&[resource]);
        v.set_required_spec_claims(&["exp", "aud", "sub"]);
        let data = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &v)
            .map_err(|_| AuthError::InvalidToken)?;
        if data.header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(AuthError::InvalidToken);
        }
        self.session_principal(&data.claims.sub, data.claims.sid)
    }
}
