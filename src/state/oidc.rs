//! Wiring of sign-in providers: `[auth]` config -> the auth service's
//! OIDC provider set, at start (discovery must succeed, or the server does
//! not start) and on reload (a provider that cannot be discovered refuses
//! the reload and the running set stays).

use std::sync::Arc;

use crate::auth::oidc::presets::{AppleKey, Preset};
use crate::auth::oidc::{Oidc, ProviderSpec};
use crate::config::live::{Commit, Hook, Prepared};
use crate::config::Config;
use crate::domain::Role;

/// The providers of `config`, secrets resolved; errors name the key.
pub fn specs(config: &Config) -> Result<Vec<ProviderSpec>, String> {
    let auth = &config.auth;
    let fallback = Role::parse(&auth.default_role).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (name, p) in &auth.providers {
        let role = match p.default_role.as_deref() {
            Some(r) => Role::parse(r).map_err(|e| e.to_string())?,
            None => fallback,
        };
        let lower = |v: &Vec<String>| v.iter().map(|s| s.trim().to_lowercase()).collect();
        out.push(ProviderSpec {
            name: name.clone(),
            display_name: p.display_name.clone().unwrap_or_else(|| name.clone()),
            issuer: crate::config::auth::issuer(p),
            client_id: p.client_id.clone(),
            client_secret: crate::config::auth::client_secret(name, p)?,
            scopes: crate::config::auth::scopes(p),
            redirect_url: p.redirect_url.clone(),
            allowed_domains: lower(&p.allowed_domains),
            allowed_emails: lower(&p.allowed_emails),
            default_role: role,
            link_by_verified_email: p.link_by_verified_email,
            logout_at_provider: p.logout_at_provider,
            preset: preset(name, p)?,
        });
    }
    Ok(out)
}

fn preset(name: &str, p: &crate::config::auth::ProviderConfig) -> Result<Preset, String> {
    Ok(match p.preset.as_deref() {
        Some("google") => Preset::Google,
        Some("microsoft") => Preset::Microsoft {
            tenant: p.tenant.clone().unwrap_or_else(|| "common".into()),
        },
        Some("apple") => {
            let pem = crate::config::auth::private_key(name, p)?;
            let (team, key) = (p.team_id.as_deref(), p.key_id.as_deref());
            AppleKey::new(team.unwrap_or(""), key.unwrap_or(""), &pem).map_err(|e| {
                format!("invalid config: auth.providers.{name}.private_key = ********; allowed: {e}")
            })?
            .into()
        }
        _ => Preset::Generic,
    })
}

/// The provider set of `config`, discovered.
pub async fn start(config: &Config) -> Result<Arc<Oidc>, String> {
    let oidc = Arc::new(Oidc::new()?);
    let set = oidc.discover(specs(config)?).await?;
    oidc.install(set);
    Ok(oidc)
}

/// Rediscovers the providers when `[auth]` changes; runs the discovery on
/// its own thread, since a reload blocks its caller.
pub fn reload_hook(oidc: Arc<Oidc>, rt: tokio::runtime::Handle) -> Hook {
    Box::new(move |old, new| {
        if format!("{:?}", old.auth.providers) == format!("{:?}", new.auth.providers)
            && old.auth.default_role == new.auth.default_role
        {
            return Ok(Prepared::nothing());
        }
        let specs = specs(new)?;
        let (o, handle) = (oidc.clone(), rt.clone());
        let set = std::thread::scope(|s| {
            s.spawn(move || handle.block_on(o.discover(specs)))
                .join()
                .map_err(|_| "provider discovery panicked".to_string())?
        })?;
        let oidc = oidc.clone();
        let commit: Commit = Box::new(move || {
            let n = set.len();
            oidc.install(set);
            Some(format!("sign-in providers rediscovered ({n} configured)"))
        });
        Ok(Prepared::commit(commit))
    })
}
