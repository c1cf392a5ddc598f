//! Limits password guessing: at most `max_failures` failed logins per window, counted per
//! account (the email as typed, so unknown accounts are limited exactly like known ones and
//! the answer reveals nothing) and per client address. Once either is exhausted, logins for
//! that account or from that client are refused until the window ends, even with the right
//! password, without checking it.
//!
//! An attempt counts as a failure from the moment it starts and is forgiven when it
//! succeeds, so concurrent attempts cannot slip past the limit while their passwords are
//! being checked. The counters live in this process: with several replicas behind a load
//! balancer each counts on its own, which multiplies the limit by the number of replicas.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Duration, Utc};

/// How many keys are tracked at most; beyond that the oldest window is forgotten, so a flood
/// of made-up emails cannot grow memory without bound.
const MAX_TRACKED: usize = 100_000;

/// Refused: too many failed logins. Try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// How long until the window ends.
    pub retry_after: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Client(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Window {
    started: DateTime<Utc>,
    failures: u32,
}

/// The failed-login counters of this process; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct LoginThrottle {
    windows: Arc<Mutex<HashMap<Key, Window>>>,
    max_failures: u32,
    window: Duration,
}

impl LoginThrottle {
    /// A throttle allowing `max_failures` failed logins per `window` per account and per
    /// client; `max_failures` 0 turns it off.
    pub fn new(max_failures: u32, window: std::time::Duration) -> Self {
        Self {
            windows: Arc::default(),
            max_failures,
            window: Duration::from_std(window).unwrap_or(Duration::MAX),
        }
    }

    fn keys(email: &str, client: Option<IpAddr>) -> impl Iterator<Item = Key> {
        std::iter::once(Key::Account(email.trim().to_lowercase())).chain(client.map(Key::Client))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Window>> {
        self.windows.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts an attempt: refused when the account or the client has no failures left in
    /// its window; otherwise counted as a failure until [`Self::succeeded`] forgives it.
    pub fn attempt(
        &self,
        now: DateTime<Utc>,
        email: &str,
        client: Option<IpAddr>,
    ) -> Result<(), Throttled> {
        if self.max_failures == 0 {
            return Ok(());
        }
        let mut windows = self.lock();
        let keys: Vec<Key> = Self::keys(email, client).collect();
        let mut retry_after = None;
        for key in &keys {
            if let Some(window) = windows.get(key)
                && now - window.started < self.window
                && window.failures >= self.max_failures
            {
                let wait = window.started + self.window - now;
                retry_after = Some(retry_after.map_or(wait, |w: Duration| w.max(wait)));
            }
        }
        if let Some(retry_after) = retry_after {
            return Err(Throttled { retry_after });
        }
        for key in keys {
            if !windows.contains_key(&key) && windows.len() >= MAX_TRACKED {
                self.make_room(&mut windows, now);
            }
            let window = windows.entry(key).or_insert(Window {
                started: now,
                failures: 0,
            });
            if now - window.started >= self.window {
                *window = Window {
                    started: now,
                    failures: 0,
                };
            }
            window.failures += 1;
        }
        Ok(())
    }

    /// Forgives a successful attempt: the account starts afresh and the client gets its
    /// attempt back (not more: a client cannot reset its count with an account of its own).
    pub fn succeeded(&self, email: &str, client: Option<IpAddr>) {
        if self.max_failures == 0 {
            return;
        }
        let mut windows = self.lock();
        windows.remove(&Key::Account(email.trim().to_lowercase()));
        if let Some(window) = client.and_then(|ip| windows.get_mut(&Key::Client(ip))) {
            window.failures = window.failures.saturating_sub(1);
        }
    }

    /// Drops ended windows, then, if still full, the oldest one.
    fn make_room(&self, windows: &mut HashMap<Key, Window>, now: DateTime<Utc>) {
        windows.retain(|_, w| now - w.started < self.window);
        if windows.len() >= MAX_TRACKED
            && let Some(oldest) = windows
                .iter()
                .min_by_key(|(_, w)| w.started)
                .map(|(k, _)| k.clone())
        {
            windows.remove(&oldest);
        }
    }

    /// How many keys are tracked (for tests and metrics).
    pub fn tracked(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + seconds, 0)
            .single()
            .expect("valid time")
    }

    const IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1)));
    const OTHER_IP: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2)));

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(3, std::time::Duration::from_secs(60))
    }

    #[test]
    fn an_account_is_refused_after_its_failures_until_the_window_ends() {
        let t = throttle();
        for i in 0..3 {
            assert_eq!(t.attempt(at(i), "a@x.io", IP), Ok(()));
        }
        assert_eq!(
            t.attempt(at(10), "A@X.io ", OTHER_IP),
            Err(Throttled {
                retry_after: Duration::seconds(50)
            })
        );
        assert_eq!(t.attempt(at(60), "a@x.io", OTHER_IP), Ok(()));
    }

    #[test]
    fn a_client_is_refused_whatever_account_it_tries() {
        let t = throttle();
        for (i, email) in ["a@x.io", "b@x.io", "c@x.io"].iter().enumerate() {
            assert_eq!(t.attempt(at(i as i64), email, IP), Ok(()));
        }
        assert!(t.attempt(at(5), "d@x.io", IP).is_err());
        // Another client may still try those accounts.
        assert_eq!(t.attempt(at(5), "d@x.io", OTHER_IP), Ok(()));
    }

    #[test]
    fn success_forgives_the_attempt_but_does_not_reset_the_client() {
        let t = throttle();
        t.attempt(at(0), "a@x.io", IP).expect("allowed");
        t.attempt(at(1), "a@x.io", IP).expect("allowed");
        // The attacker logs into its own account in between.
        t.attempt(at(2), "mine@x.io", IP).expect("allowed");
        t.succeeded("mine@x.io", IP);
        t.attempt(at(3), "a@x.io", IP).expect("allowed");
        assert!(t.attempt(at(4), "a@x.io", IP).is_err());
        // A real user's success clears its account.
        let t = throttle();
        t.attempt(at(0), "a@x.io", None).expect("allowed");
        t.attempt(at(1), "a@x.io", None).expect("allowed");
        t.succeeded("a@x.io", None);
        for i in 2..5 {
            t.attempt(at(i), "a@x.io", None).expect("allowed");
        }
    }

    #[test]
    fn zero_turns_it_off_and_memory_stays_bounded() {
        let off = LoginThrottle::new(0, std::time::Duration::from_secs(60));
        for i in 0..100 {
            assert_eq!(off.attempt(at(i), "a@x.io", IP), Ok(()));
        }
        assert_eq!(off.tracked(), 0);
        let t = throttle();
        for i in 0..(MAX_TRACKED + 10) {
            t.attempt(at(0), &format!("u{i}@x.io"), None)
                .expect("allowed");
        }
        assert_eq!(t.tracked(), MAX_TRACKED);
    }
}
