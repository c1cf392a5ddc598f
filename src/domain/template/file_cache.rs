//! The file cache (Coder's `coderd/files`): parsed template sources shared in memory while
//! anyone holds them, so concurrent builds and previews of one version read one copy.
//!
//! Coder PR #18348 fixed a poisoning bug we keep fixed here: the fetch ran as the first
//! caller, so an unauthorized first opener cached its error for everyone. Here the fetch
//! runs as the system (no authorization), errors are never cached, and every acquire is
//! authorized for its own caller after the value is loaded.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use sea_orm::{ConnectionTrait, EntityTrait};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::{import::SourceFile, source};
use crate::{
    authz::{self, Action, Object, Resource, Subject},
    entity::file,
};

/// A file's parsed sources and what authorization needs to know about it.
#[derive(Debug)]
pub struct CachedFile {
    /// The file id.
    pub id: Uuid,
    /// The organization it belongs to.
    pub organization_id: Uuid,
    /// Who uploaded it.
    pub created_by: Uuid,
    /// The archive's files.
    pub sources: Vec<SourceFile>,
    /// Archive size in bytes.
    pub size: usize,
}

/// Why a file could not be acquired.
#[derive(Debug, thiserror::Error)]
pub enum FileCacheError {
    /// No such file.
    #[error("file not found")]
    NotFound,
    /// The caller may not read it.
    #[error(transparent)]
    Forbidden(#[from] authz::Forbidden),
    /// The archive is unreadable.
    #[error(transparent)]
    Source(#[from] source::SourceError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Default)]
struct Entry {
    refs: usize,
    value: Arc<OnceCell<Arc<CachedFile>>>,
}

/// The cache; cheap to clone (clones share entries).
#[derive(Clone, Default)]
pub struct FileCache {
    entries: Arc<Mutex<HashMap<Uuid, Entry>>>,
}

impl std::fmt::Debug for FileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCache")
            .field("open_files", &self.open_files())
            .finish()
    }
}

/// A reference to a cached file; dropping it releases the reference, and the last
/// release evicts the file.
pub struct FileHandle {
    cache: FileCache,
    file: Arc<CachedFile>,
}

impl std::ops::Deref for FileHandle {
    type Target = CachedFile;
    fn deref(&self) -> &CachedFile {
        &self.file
    }
}

impl FileHandle {
    /// The file itself, to hand to work that may outlive this handle (a parse on the
    /// blocking pool). The cache entry stays counted by the handle only.
    pub fn shared(&self) -> Arc<CachedFile> {
        self.file.clone()
    }
}

impl Drop for FileHandle {
    fn drop(&mut self) {
        self.cache.release(self.file.id);
    }
}

/// Whether `subject` may read a template source: its uploader and file readers may, and so
/// may anyone who can read the templates of its organization (a version's source is part
/// of the template).
pub fn may_read(subject: &Subject, file: &CachedFile) -> bool {
    let as_file = Object::new(Resource::File)
        .in_org(file.organization_id)
        .owned_by(file.created_by);
    let as_template = Object::new(Resource::Template).in_org(file.organization_id);
    authz::is_allowed(subject, Action::Read, &as_file)
        || authz::is_allowed(subject, Action::Read, &as_template)
}

impl FileCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many files are held.
    pub fn open_files(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Entry>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn release(&self, id: Uuid) {
        let mut entries = self.lock();
        if let Some(entry) = entries.get_mut(&id) {
            entry.refs = entry.refs.saturating_sub(1);
            if entry.refs == 0 {
                entries.remove(&id);
            }
        }
    }

    /// Loads (once, as the system) and returns the file, after checking that `subject`
    /// may read it.
    pub async fn acquire(
        &self,
        db: &impl ConnectionTrait,
        subject: &Subject,
        id: Uuid,
    ) -> Result<FileHandle, FileCacheError> {
        let cell = {
            let mut entries = self.lock();
            let entry = entries.entry(id).or_default();
            entry.refs += 1;
            entry.value.clone()
        };
        // From here on a reference is held: every exit path must release it, which the
        // handle does on drop; before the handle exists, release by hand.
        let loaded = cell.get_or_try_init(|| fetch(db, id)).await.cloned();
        let file = match loaded {
            Ok(file) => file,
            Err(err) => {
                // Not cached: OnceCell stays empty, and the entry goes with its last ref.
                self.release(id);
                return Err(err);
            }
        };
        let handle = FileHandle {
            cache: self.clone(),
            file,
        };
        if !may_read(subject, &handle) {
            return Err(FileCacheError::Forbidden(authz::Forbidden {
                subject: subject.name.clone(),
                action: Action::Read,
                resource: Resource::File,
            }));
        }
        Ok(handle)
    }
}

async fn fetch(db: &impl ConnectionTrait, id: Uuid) -> Result<Arc<CachedFile>, FileCacheError> {
    let row = file::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(FileCacheError::NotFound)?;
    let sources = source::read_tar(&row.data)?;
    Ok(Arc::new(CachedFile {
        id: row.id,
        organization_id: row.organization_id,
        created_by: row.created_by,
        size: row.data.len(),
        sources,
    }))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Utc;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection};

    use super::*;
    use crate::entity::{organization, user};

    async fn database_with_file() -> (DatabaseConnection, Uuid, Uuid) {
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .expect("connect");
        crate::db::migrate(&db).await.expect("migrate");
        let now = Utc::now();
        let org = organization::ActiveModel {
            id: Set(Uuid::new_v4()),
            name: Set("acme".into()),
            display_name: Set("Acme".into()),
            description: Set(String::new()),
            icon: Set(String::new()),
            is_default: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&db)
        .await
        .expect("org");
        let uploader = user::ActiveModel {
            id: Set(Uuid::new_v4()),
            email: Set("a@example.com".into()),
            username: Set("a".into()),
            name: Set(String::new()),
            avatar_url: Set(String::new()),
            hashed_password: Set("x".into()),
            status: Set(user::UserStatus::Active),
            login_type: Set(user::LoginType::Password),
            rbac_roles: Set(serde_json::json!([])),
            is_system: Set(false),
            deleted: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            last_seen_at: Set(None),
        }
        .insert(&db)
        .await
        .expect("user");
        let data = source::tar_from_files(&[SourceFile {
            path: "main.tf".into(),
            content: "# hi".into(),
        }])
        .expect("tar");
        let stored = source::store_file(&db, now, org.id, uploader.id, data)
            .await
            .expect("file");
        (db, org.id, stored.id)
    }

    fn member_of(org: Option<Uuid>) -> Subject {
        Subject {
            user_id: Uuid::new_v4(),
            site_roles: vec![],
            org_roles: org
                .into_iter()
                .map(|o| (o, vec![]))
                .collect::<BTreeMap<_, _>>(),
            name: "someone".into(),
            internal: false,
            origin: Default::default(),
        }
    }

    #[tokio::test]
    async fn an_unauthorized_first_opener_does_not_poison_the_cache() {
        let (db, org, file_id) = database_with_file().await;
        let cache = FileCache::new();
        let outsider = member_of(None);
        let insider = member_of(Some(org));

        let refused = cache.acquire(&db, &outsider, file_id).await;
        assert!(matches!(refused, Err(FileCacheError::Forbidden(_))));
        assert_eq!(
            cache.open_files(),
            0,
            "a refused acquire holds no reference"
        );

        let first = cache
            .acquire(&db, &insider, file_id)
            .await
            .expect("authorized");
        assert_eq!(first.sources[0].path, "main.tf");
        // While held, a second acquire shares the entry; the outsider is still refused.
        let second = cache
            .acquire(&db, &insider, file_id)
            .await
            .expect("authorized");
        assert!(
            std::ptr::eq(&*first.sources, &*second.sources),
            "one copy in memory"
        );
        assert!(cache.acquire(&db, &outsider, file_id).await.is_err());
        assert_eq!(cache.open_files(), 1);
        drop(first);
        assert_eq!(cache.open_files(), 1);
        drop(second);
        assert_eq!(cache.open_files(), 0, "evicted with the last reference");
    }

    #[tokio::test]
    async fn errors_are_not_cached() {
        let (db, org, _) = database_with_file().await;
        let cache = FileCache::new();
        let missing = Uuid::new_v4();
        let insider = member_of(Some(org));
        assert!(matches!(
            cache.acquire(&db, &insider, missing).await,
            Err(FileCacheError::NotFound)
        ));
        assert_eq!(cache.open_files(), 0);
    }
}
