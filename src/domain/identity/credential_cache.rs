//! Accepted tokens remembered by the process for a few seconds, so that a client's steady
//! stream of requests costs no statement to authenticate.
//!
//! Staleness is bounded two ways:
//! - **In this process, none.** Every change that can refuse a token or change what it may
//!   do (deleting a key, suspending a user, changing site or organization roles, adding or
//!   removing a membership) calls [`CredentialCache::invalidate`] once it has committed. That
//!   bumps a generation number; an entry filled under an older generation is never used
//!   again. A request records the generation *before* it reads the database, so a read that
//!   raced a change cannot store what it saw after the change was announced.
//! - **Elsewhere, the lifetime.** A change made by another replica, or straight in the
//!   database, reaches this process when its entries expire: at most the configured lifetime
//!   (`--credential-cache-ttl`, 0 turns the cache off).
//!
//! Only accepted tokens are stored, under their public id, with the SHA-256 of their secret:
//! every use still checks the presented secret (in constant time) and the key's expiry, so a
//! cached entry never lets in a token the database would refuse for either reason. The
//! number of entries is bounded, so memory is too, whoever asks.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Duration, Utc};

use crate::{authz::Subject, entity::user};

/// How many tokens are remembered; the least useful go first when it is full.
const CAPACITY: usize = 4_096;

/// One accepted token, as the database showed it.
#[derive(Debug, Clone)]
pub(super) struct CachedCredential {
    /// The generation it was read under.
    pub generation: u64,
    /// When it was read (the server's clock).
    pub read_at: DateTime<Utc>,
    /// The key's stored secret hash.
    pub hashed_secret: String,
    /// When the key expires.
    pub expires_at: DateTime<Utc>,
    /// The key's `last_used_at`, as stored.
    pub last_used_at: DateTime<Utc>,
    /// The key's user.
    pub user: user::Model,
    /// The user's roles.
    pub subject: Subject,
}

/// The process's remembered tokens; cheap to clone.
#[derive(Clone)]
pub struct CredentialCache {
    inner: Arc<Inner>,
}

struct Inner {
    entries: quick_cache::sync::Cache<String, Arc<CachedCredential>>,
    generation: AtomicU64,
    ttl: Duration,
}

impl CredentialCache {
    /// A cache whose entries live `ttl` (zero or less: nothing is remembered).
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Arc::new(Inner {
                entries: quick_cache::sync::Cache::new(CAPACITY),
                generation: AtomicU64::new(0),
                ttl,
            }),
        }
    }

    /// Forgets every remembered token. Called after any committed change to keys, users'
    /// status or roles, or memberships.
    pub fn invalidate(&self) {
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
        // The generation alone makes old entries unusable; clearing gives back their memory.
        self.inner.entries.clear();
    }

    /// The current generation, to be taken before reading what will be stored.
    pub(super) fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// The entry for key `id`, when one was read under the current generation less than the
    /// lifetime before `now`.
    pub(super) fn get(&self, id: &str, now: DateTime<Utc>) -> Option<Arc<CachedCredential>> {
        let entry = self.inner.entries.get(id)?;
        let fresh = entry.generation == self.generation()
            && now >= entry.read_at
            && now - entry.read_at < self.inner.ttl;
        fresh.then_some(entry)
    }

    /// Remembers key `id`, unless the cache is off or the entry's generation is already
    /// past.
    pub(super) fn put(&self, id: &str, entry: CachedCredential) {
        if self.inner.ttl <= Duration::zero() || entry.generation != self.generation() {
            return;
        }
        self.inner.entries.insert(id.to_owned(), Arc::new(entry));
    }
}

impl std::fmt::Debug for CredentialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialCache")
            .field("ttl", &self.inner.ttl)
            .field("entries", &self.inner.entries.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cache: &CredentialCache, read_at: DateTime<Utc>) -> CachedCredential {
        let user = user::Model {
            id: uuid::Uuid::nil(),
            email: "dev@example.com".into(),
            username: "dev".into(),
            name: String::new(),
            avatar_url: String::new(),
            hashed_password: String::new(),
            status: user::UserStatus::Active,
            login_type: user::LoginType::Password,
            rbac_roles: serde_json::json!([]),
            is_system: false,
            deleted: false,
            created_at: read_at,
            updated_at: read_at,
            last_seen_at: None,
        };
        CachedCredential {
            generation: cache.generation(),
            read_at,
            hashed_secret: "hash".into(),
            expires_at: read_at + Duration::days(1),
            last_used_at: read_at,
            subject: super::super::users::subject_from(&user, []),
            user,
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("time")
    }

    #[test]
    fn entries_live_for_the_lifetime_only() {
        let cache = CredentialCache::new(Duration::seconds(5));
        cache.put("key", entry(&cache, at(0)));
        assert!(cache.get("key", at(0)).is_some());
        assert!(cache.get("key", at(4)).is_some());
        assert!(cache.get("key", at(5)).is_none(), "expired at the lifetime");
        // A clock that went back does not stretch an entry's life.
        assert!(cache.get("key", at(-1)).is_none());
        assert!(cache.get("other", at(0)).is_none());
    }

    #[test]
    fn invalidation_drops_entries_and_refuses_older_reads() {
        let cache = CredentialCache::new(Duration::seconds(5));
        cache.put("key", entry(&cache, at(0)));
        // Read before the change, stored after it: must not be kept.
        let raced = entry(&cache, at(0));
        cache.invalidate();
        assert!(cache.get("key", at(1)).is_none());
        cache.put("key", raced);
        assert!(
            cache.get("key", at(1)).is_none(),
            "a read older than the change"
        );
        cache.put("key", entry(&cache, at(1)));
        assert!(cache.get("key", at(1)).is_some());
    }

    #[test]
    fn a_zero_lifetime_remembers_nothing() {
        let cache = CredentialCache::new(Duration::zero());
        cache.put("key", entry(&cache, at(0)));
        assert!(cache.get("key", at(0)).is_none());
    }

    #[test]
    fn the_number_of_entries_is_bounded() {
        let cache = CredentialCache::new(Duration::seconds(5));
        for n in 0..CAPACITY * 2 {
            cache.put(&format!("key{n}"), entry(&cache, at(0)));
        }
        assert!(cache.inner.entries.len() <= CAPACITY);
    }
}
