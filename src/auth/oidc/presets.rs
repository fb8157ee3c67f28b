//! What the Google, Microsoft and Apple presets change about the generic
//! flow: default issuers; Microsoft's multi-tenant issuer (a template
//! with `{tenantid}`, checked against the token's `tid`); Apple's client
//! secret (an ES256 JWT signed with the team's `.p8` key, made afresh for
//! every token request), `response_mode=form_post`, and the user's name,
//! which Apple sends once, in the first callback's `user` field.

use serde::Deserialize;

/// Microsoft's tenant of personal accounts.
pub const MICROSOFT_CONSUMERS_TID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
/// How long a minted Apple client secret is valid (Apple allows 6 months).
const APPLE_SECRET_SECONDS: i64 = 600;

#[derive(Clone, Debug, Default)]
pub enum Preset {
    #[default]
    Generic,
    Google,
    /// `common`, `organizations`, `consumers` or a tenant id.
    Microsoft {
        tenant: String,
    },
    Apple(AppleKey),
}

/// Apple's signing key for client secrets.
#[derive(Clone)]
pub struct AppleKey {
    pub team_id: String,
    pub key_id: String,
    key: jsonwebtoken::EncodingKey,
}

impl std::fmt::Debug for AppleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "AppleKey {{ team_id: {:?}, key_id: {:?} }}",
            self.team_id, self.key_id
        )
    }
}

impl AppleKey {
    /// `pem` is the `.p8` file's text (PKCS#8 EC P-256).
    pub fn new(team_id: &str, key_id: &str, pem: &str) -> Result<AppleKey, String> {
        let key = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes())
            .map_err(|e| format!("not an EC P-256 private key in PEM (the .p8 file): {e}"))?;
        Ok(AppleKey {
            team_id: team_id.to_string(),
            key_id: key_id.to_string(),
            key,
        })
    }

    /// The client secret: `{alg: ES256, kid}` over `{iss: team, sub:
    /// client_id, aud: issuer, iat, exp}`.
    pub fn client_secret(&self, client_id: &str, audience: &str, now: i64) -> Option<String> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = serde_json::json!({
            "iss": self.team_id, "sub": client_id, "aud": audience,
            "iat": now, "exp": now + APPLE_SECRET_SECONDS,
        });
        match jsonwebtoken::encode(&header, &claims, &self.key) {
            Ok(jwt) => Some(jwt),
            Err(e) => {
                tracing::error!(error = %e, "cannot sign the Apple client secret");
                None
            }
        }
    }
}

impl From<AppleKey> for Preset {
    fn from(k: AppleKey) -> Preset {
        Preset::Apple(k)
    }
}

impl Preset {
    /// Microsoft's multi-tenant endpoints, whose issuer is a template.
    pub fn multi_tenant(&self) -> Option<&str> {
        match self {
            Preset::Microsoft { tenant }
                if matches!(tenant.as_str(), "common" | "organizations" | "consumers") =>
            {
                Some(tenant)
            }
            _ => None,
        }
    }

    pub fn form_post(&self) -> bool {
        matches!(self, Preset::Apple(_))
    }

    /// For a multi-tenant Microsoft provider: the token's `iss` must be
    /// the metadata's issuer template with the token's own `tid`, and the
    /// tenant kind must fit (`organizations`: not a personal account;
    /// `consumers`: only personal accounts).
    pub fn check_tenant(&self, template: &str, token: &str) -> Result<(), String> {
        let Some(kind) = self.multi_tenant() else {
            return Ok(());
        };
        #[derive(Deserialize)]
        struct TenantClaims {
            iss: String,
            tid: Option<String>,
        }
        let payload = token
            .split('.')
            .nth(1)
            .and_then(|p| {
                use base64::Engine;
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .ok()
            })
            .and_then(|b| serde_json::from_slice::<TenantClaims>(&b).ok())
            .ok_or("the ID token's claims cannot be read")?;
        let tid = payload
            .tid
            .ok_or("the ID token has no tid (tenant id) claim")?;
        let expected = template.replace("{tenantid}", &tid);
        if payload.iss != expected {
            return Err(format!(
                "iss {:?} does not match the token's tenant (expected {expected:?})",
                payload.iss
            ));
        }
        match kind {
            "organizations" if tid == MICROSOFT_CONSUMERS_TID => Err(
                "personal Microsoft accounts are not allowed (tenant = \"organizations\")".into(),
            ),
            "consumers" if tid != MICROSOFT_CONSUMERS_TID => {
                Err("only personal Microsoft accounts are allowed (tenant = \"consumers\")".into())
            }
            _ => Ok(()),
        }
    }
}

/// The name in Apple's first-login `user` form field:
/// `{"name": {"firstName": "..", "lastName": ".."}, "email": ".."}`.
pub fn apple_user_name(user_field: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Name {
        #[serde(rename = "firstName")]
        first: Option<String>,
        #[serde(rename = "lastName")]
        last: Option<String>,
    }
    #[derive(Deserialize)]
    struct User {
        name: Option<Name>,
    }
    let u: User = serde_json::from_str(user_field).ok()?;
    let n = u.name?;
    let full = [n.first, n.last]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    Some(full.trim().to_string()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apple_name_from_the_first_login() {
        let f = r#"{"name":{"firstName":"Ada","lastName":"Lovelace"},"email":"a@privaterelay.appleid.com"}"#;
        assert_eq!(apple_user_name(f).as_deref(), Some("Ada Lovelace"));
        assert_eq!(apple_user_name("{}"), None);
        assert_eq!(apple_user_name("not json"), None);
    }

    fn token(claims: serde_json::Value) -> String {
        use base64::Engine;
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("x.{}.y", b.encode(claims.to_string()))
    }

    #[test]
    fn microsoft_tenant_checks() {
        let t = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let org = Preset::Microsoft {
            tenant: "organizations".into(),
        };
        let good = token(
            serde_json::json!({"iss": "https://login.microsoftonline.com/abc/v2.0", "tid": "abc"}),
        );
        assert!(org.check_tenant(t, &good).is_ok());
        let mixed = token(
            serde_json::json!({"iss": "https://login.microsoftonline.com/abc/v2.0", "tid": "def"}),
        );
        assert!(org.check_tenant(t, &mixed).is_err());
        let personal = token(serde_json::json!({
            "iss": format!("https://login.microsoftonline.com/{MICROSOFT_CONSUMERS_TID}/v2.0"),
            "tid": MICROSOFT_CONSUMERS_TID,
        }));
        assert!(org.check_tenant(t, &personal).is_err());
        let consumers = Preset::Microsoft {
            tenant: "consumers".into(),
        };
        assert!(consumers.check_tenant(t, &personal).is_ok());
        assert!(consumers.check_tenant(t, &good).is_err());
        let single = Preset::Microsoft {
            tenant: "abc".into(),
        };
        assert!(
            single.check_tenant(t, &mixed).is_ok(),
            "single tenant: iss checked by discovery"
        );
    }
}
