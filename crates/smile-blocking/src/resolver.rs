//! Host resolution for the ureq agent without a thread and a lookup per request.
//!
//! ureq 3 resolves the host before every request, before looking in its connection pool, and
//! with any timeout set (the transport always sets one) it does so on a freshly spawned thread:
//! three thread spawns and three lookups per job even on a kept-alive connection
//! (docs/benchmarks.md). This resolver keeps the answers for a host for a short time, so a
//! lookup (still on ureq's thread, still bounded by the request's timeout) runs only on a miss.
//!
//! It uses ureq's `unversioned` resolver API, which ureq does not cover by semver: the
//! workspace pins ureq to 3.5.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a host name's addresses are reused.
pub(crate) const TTL: Duration = Duration::from_secs(30);

/// ureq's default resolver behind a literal-IP fast path and a small cache.
#[derive(Debug)]
pub(crate) struct CachingResolver {
    inner: DefaultResolver,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl CachingResolver {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            inner: DefaultResolver::default(),
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let Some(authority) = uri.authority() else {
            return self.inner.resolve(uri, config, timeout);
        };
        let key = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or(""),
            authority.as_str().to_ascii_lowercase()
        );
        if let Ok(cache) = self.cache.lock()
            && let Some((at, addrs)) = cache.get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(addrs.clone());
        }
        let addrs = self.inner.resolve(uri, config, timeout)?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.retain(|_, (at, _)| at.elapsed() < self.ttl);
            cache.insert(key, (Instant::now(), addrs.clone()));
        }
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_timeout() -> NextTimeout {
        NextTimeout {
            after: ureq::unversioned::transport::time::Duration::NotHappening,
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        }
    }

    #[test]
    fn answers_are_kept_per_scheme_and_authority() {
        let r = CachingResolver::new(TTL);
        // A stored answer that a real lookup would not give: a hit returns it.
        let mut addrs = r.empty();
        addrs.push("127.0.0.2:9999".parse().unwrap());
        r.cache
            .lock()
            .unwrap()
            .insert("http://127.0.0.1:8080".into(), (Instant::now(), addrs));
        let uri: http::Uri = "http://127.0.0.1:8080/v1/upload".parse().unwrap();
        let got = r
            .resolve(&uri, &ureq::config::Config::default(), no_timeout())
            .unwrap();
        assert_eq!(
            &got[..],
            ["127.0.0.2:9999".parse::<std::net::SocketAddr>().unwrap()]
        );
        // Another scheme is another entry: a miss, resolved for real (an IP literal: no DNS).
        let https: http::Uri = "https://127.0.0.1:8080/v1".parse().unwrap();
        let got = r
            .resolve(&https, &ureq::config::Config::default(), no_timeout())
            .unwrap();
        assert_eq!(
            &got[..],
            ["127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap()]
        );
        assert_eq!(r.cache.lock().unwrap().len(), 2);
    }
}
