//! DNS for the fetch client: resolve, then drop every address in a refused
//! range. The connection uses only the addresses checked here, which also
//! defeats DNS rebinding (no second lookup happens between check and use).

use std::net::{IpAddr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::policy::{article, refused_class};

pub struct GuardedResolver {
    pub allow_private: bool,
}

/// A name whose every address is in a refused range.
#[derive(Debug)]
pub struct AddressRefused {
    pub host: String,
    pub ip: IpAddr,
    pub class: &'static str,
}

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves to {}, {} {} address (allow with js.fetch.allow_private = true)",
            self.host,
            self.ip,
            article(self.class),
            self.class
        )
    }
}

impl std::error::Error for AddressRefused {}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let addrs = screen(&host, addrs, allow_private)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The addresses that may be used; an error naming the first refused one
/// when none may.
pub fn screen(
    host: &str,
    addrs: Vec<SocketAddr>,
    allow_private: bool,
) -> Result<Vec<SocketAddr>, AddressRefused> {
    if allow_private {
        return Ok(addrs);
    }
    let mut first_refused = None;
    let ok: Vec<SocketAddr> = addrs
        .into_iter()
        .filter(|a| match refused_class(a.ip()) {
            Some(class) => {
                first_refused.get_or_insert((a.ip(), class));
                false
            }
            None => true,
        })
        .collect();
    match (ok.is_empty(), first_refused) {
        (true, Some((ip, class))) => Err(AddressRefused {
            host: host.to_string(),
            ip,
            class,
        }),
        _ => Ok(ok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mixed_answers_keep_only_public_addresses() {
        let addrs = vec![
            "127.0.0.1:0".parse().unwrap(),
            "93.184.216.34:0".parse().unwrap(),
        ];
        let ok = screen("rebind.example", addrs, false).unwrap();
        assert_eq!(ok, vec!["93.184.216.34:0".parse().unwrap()]);
    }

    #[test]
    fn only_private_answers_are_refused() {
        let e = screen("db.internal", vec!["10.1.2.3:0".parse().unwrap()], false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "db.internal resolves to 10.1.2.3, a private address (allow with js.fetch.allow_private = true)"
        );
        assert!(screen("db.internal", vec!["10.1.2.3:0".parse().unwrap()], true).is_ok());
    }

    #[tokio::test]
    async fn localhost_is_refused_after_resolution() {
        let r = GuardedResolver {
            allow_private: false,
        };
        let e = match r.resolve("localhost".parse().unwrap()).await {
            Ok(_) => panic!("localhost must be refused"),
            Err(e) => e,
        };
        let refused = e
            .downcast_ref::<AddressRefused>()
            .expect("an AddressRefused");
        assert_eq!(refused.class, "loopback");
    }
}
