//! Login throttling per username and per source address, in this process's
//! memory.
//!
//! Every login attempt counts as a failure of its username *before* the
//! password is checked, under one lock, so parallel requests for one account
//! cannot each slip through before the first failure is recorded; a correct
//! password then takes its attempt back. A source address is charged after
//! the check, with wrong passwords only, so members logging in at once from
//! one office (one NAT address) never lock each other out. Past a number of
//! free failures each further failure locks the key for a delay that doubles
//! up to a cap; an attempt while either key is locked is refused with 429
//! and `Retry-After` before any Argon2 work.
//!
//! - **Source address**: 10 free failures, then 1 s doubling to 15 min. It
//!   stops one machine from spraying passwords over many usernames.
//! - **Username**: 5 free failures, then 1 s doubling to 5 min, from any
//!   address. It stops many machines from guessing one password (at most
//!   about 12 guesses an hour once the cap is reached). Its cap is lower
//!   because an attacker can lock a member out this way: the member waits at
//!   most 5 minutes, and a correct password does not open a locked username
//!   early (that would tell the attacker the password was right).
//!
//! A key is forgotten an hour after its last failure. The table is bounded:
//! past [`MAX_ENTRIES`] keys the stale ones are dropped, then the unlocked
//! ones. The state is per process: several server processes behind one load
//! balancer each keep their own, so an attacker spread over N processes gets
//! N times the attempts; a restart forgets it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// How one kind of key is throttled.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Failures answered without a delay.
    pub free_failures: u32,
    /// Lock after the first failure past the free ones; doubles each time.
    pub first_delay_ms: i64,
    pub max_delay_ms: i64,
}

impl Policy {
    /// The lock that follows the `failures`-th failure.
    fn delay_ms(self, failures: u32) -> i64 {
        let Some(past) = failures.checked_sub(self.free_failures + 1) else {
            return 0;
        };
        let factor = 1i64.checked_shl(past.min(40)).unwrap_or(i64::MAX);
        self.first_delay_ms
            .saturating_mul(factor)
            .min(self.max_delay_ms)
    }
}

pub const ADDRESS_POLICY: Policy = Policy {
    free_failures: 10,
    first_delay_ms: 1_000,
    max_delay_ms: 15 * 60 * 1_000,
};

pub const USERNAME_POLICY: Policy = Policy {
    free_failures: 5,
    first_delay_ms: 1_000,
    max_delay_ms: 5 * 60 * 1_000,
};

/// A key with no failure for this long starts afresh.
const FORGET_AFTER_MS: i64 = 60 * 60 * 1_000;
/// Keys kept before stale ones are dropped.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// SHA-256 of the username, so a huge username costs no memory.
    User(String),
    /// An IPv4 address, or the /64 of an IPv6 one (one subscriber's block).
    /// `None`: the address is not known (in-process tests).
    Addr(Option<IpAddr>),
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: i64,
    locked_until: i64,
}

/// An attempt refused: retry after this many milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub retry_after_ms: i64,
}

impl Refused {
    /// Whole seconds for `Retry-After`, at least 1.
    pub fn retry_after_secs(self) -> i64 {
        ((self.retry_after_ms + 999) / 1_000).max(1)
    }
}

/// The throttle of one server process.
#[derive(Default)]
pub struct LoginThrottle {
    entries: Mutex<HashMap<Key, Entry>>,
    evaluations: AtomicU64,
}

/// The throttled address of `ip`: IPv6 by its /64.
fn addr_key(ip: Option<IpAddr>) -> Key {
    Key::Addr(ip.map(|ip| match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(bits.into())
            }
        },
        v4 => v4,
    }))
}

fn user_key(username: &str) -> Key {
    Key::User(crate::auth::sha256_hex(username.as_bytes()))
}

impl LoginThrottle {
    /// Admits one attempt for `username` from `ip`, counting it as a failure
    /// until [`LoginThrottle::succeeded`] takes it back; or refuses it while
    /// either key is locked.
    pub fn admit(&self, username: &str, ip: Option<IpAddr>, now: i64) -> Result<(), Refused> {
        let keys = [
            (user_key(username), USERNAME_POLICY),
            (addr_key(ip), ADDRESS_POLICY),
        ];
        let mut entries = self.lock();
        let wait = keys
            .iter()
            .filter_map(|(k, _)| entries.get(k))
            .filter(|e| now - e.last_failure < FORGET_AFTER_MS)
            .map(|e| e.locked_until - now)
            .max()
            .unwrap_or(0);
        if wait > 0 {
            return Err(Refused {
                retry_after_ms: wait,
            });
        }
        let [(user, policy), _] = keys;
        record(&mut entries, user, policy, now);
        Ok(())
    }

    /// The admitted attempt had the wrong password (or no such user): the
    /// source address is charged with it.
    pub fn failed(&self, ip: Option<IpAddr>, now: i64) {
        record(&mut self.lock(), addr_key(ip), ADDRESS_POLICY, now);
    }

    /// The admitted attempt had the right password: the username starts afresh.
    pub fn succeeded(&self, username: &str) {
        self.lock().remove(&user_key(username));
    }

    /// Counts one password hash evaluation (a real user's or the dummy's).
    pub fn count_evaluation(&self) {
        self.evaluations.fetch_add(1, Ordering::Relaxed);
    }

    /// Password hash evaluations since the process started.
    pub fn evaluations(&self) -> u64 {
        self.evaluations.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Entry>> {
        // The map holds no invariant a panic could break half-way.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One more failure of `key`, and the lock that follows it.
fn record(entries: &mut HashMap<Key, Entry>, key: Key, policy: Policy, now: i64) {
    if entries.len() >= MAX_ENTRIES {
        prune(entries, now);
    }
    let e = entries.entry(key).or_insert(Entry {
        failures: 0,
        last_failure: now,
        locked_until: 0,
    });
    if now - e.last_failure >= FORGET_AFTER_MS {
        e.failures = 0;
    }
    e.failures = e.failures.saturating_add(1);
    e.last_failure = now;
    e.locked_until = now + policy.delay_ms(e.failures);
}

/// Drops keys forgotten by now, then (if still full) every unlocked key.
fn prune(entries: &mut HashMap<Key, Entry>, now: i64) {
    entries.retain(|_, e| now - e.last_failure < FORGET_AFTER_MS);
    if entries.len() >= MAX_ENTRIES {
        entries.retain(|_, e| e.locked_until > now);
    }
}

/// The client's address: the TCP peer, or — only when the server runs
/// behind a TLS proxy it trusts — the last address of `X-Forwarded-For`
/// (the one that proxy appended; earlier ones are the client's own claims).
pub fn source_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trust_forwarded_for: bool,
) -> Option<IpAddr> {
    if !trust_forwarded_for {
        return peer;
    }
    forwarded_for
        .and_then(|h| h.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_failures_up_to_the_cap() {
        let p = USERNAME_POLICY;
        let delays: Vec<i64> = (1..=9).map(|n| p.delay_ms(n)).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1_000, 2_000, 4_000, 8_000]);
        assert_eq!(p.delay_ms(100), p.max_delay_ms);
        assert_eq!(p.delay_ms(u32::MAX), p.max_delay_ms);
    }

    #[test]
    fn a_locked_key_is_refused_until_its_delay_passes() {
        let t = LoginThrottle::default();
        let ip = Some("192.0.2.7".parse().expect("ip"));
        for _ in 0..6 {
            assert_eq!(t.admit("member", ip, 0), Ok(()));
        }
        let refused = t.admit("member", ip, 10).expect_err("locked");
        assert_eq!(refused.retry_after_ms, 990);
        assert_eq!(refused.retry_after_secs(), 1);
        assert_eq!(t.admit("member", ip, 1_000), Ok(()));
        // Other usernames from this address are still free (address: 10).
        assert_eq!(t.admit("chair", ip, 1_001), Ok(()));
    }

    #[test]
    fn many_right_passwords_at_once_from_one_address_are_not_throttled() {
        let t = LoginThrottle::default();
        let office = Some("192.0.2.8".parse().expect("ip"));
        // Thirty members log in at the same moment from one NAT address.
        for i in 0..30 {
            assert_eq!(t.admit(&format!("member{i}"), office, 0), Ok(()));
        }
        for i in 0..30 {
            t.succeeded(&format!("member{i}"));
        }
        assert_eq!(t.admit("member0", office, 0), Ok(()));
        // Wrong passwords do charge the address.
        for _ in 0..11 {
            t.failed(office, 0);
        }
        assert!(t.admit("member1", office, 1).is_err());
    }

    #[test]
    fn ipv6_addresses_share_their_64_bit_prefix() {
        let a = addr_key(Some("2001:db8:1:2::1".parse().expect("ip")));
        let b = addr_key(Some("2001:db8:1:2:ffff::9".parse().expect("ip")));
        let c = addr_key(Some("2001:db8:1:3::1".parse().expect("ip")));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn forwarded_for_counts_only_behind_a_trusted_proxy() {
        let peer = Some("127.0.0.1".parse().expect("ip"));
        let xff = Some("203.0.113.9, 198.51.100.4");
        assert_eq!(source_address(peer, xff, false), peer);
        assert_eq!(
            source_address(peer, xff, true),
            Some("198.51.100.4".parse().expect("ip"))
        );
        assert_eq!(source_address(peer, Some("garbage"), true), peer);
    }
}
