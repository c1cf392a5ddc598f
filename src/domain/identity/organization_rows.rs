//! Organization rows remembered by the process, so that the organizations nested in a page
//! (every connection-log and audit-log entry names one) cost no statement after the first
//! time they are read.
//!
//! Entries are never stale because an organization's row never changes once written:
//! organizations can be neither edited nor deleted. Should either ever become possible,
//! that change must also forget the row here (and on other replicas, or give entries a
//! lifetime). Replicas need no coordination today: a row another replica created is read
//! the first time it is asked for. This is data access only; whoever shows a row decides
//! whether the caller may see it.

use std::{collections::HashMap, sync::Arc};

use sea_orm::{ConnectionTrait, DbErr};
use uuid::Uuid;

use crate::{domain::by_id::rows_by_id, entity::organization};

/// How many organizations are remembered; the least useful go first when it is full.
const CAPACITY: usize = 10_000;

/// The process's organization rows by id; cheap to clone.
#[derive(Clone)]
pub struct OrganizationRows {
    rows: Arc<quick_cache::sync::Cache<Uuid, organization::Model>>,
}

impl Default for OrganizationRows {
    fn default() -> Self {
        Self {
            rows: Arc::new(quick_cache::sync::Cache::new(CAPACITY)),
        }
    }
}

impl OrganizationRows {
    /// The organizations with the given ids, by id (ids with no row are absent), reading
    /// only those not remembered, in one statement.
    pub async fn by_ids(
        &self,
        db: &impl ConnectionTrait,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, organization::Model>, DbErr> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        for id in ids {
            match self.rows.get(id) {
                Some(row) => {
                    found.insert(*id, row);
                }
                None => missing.push(*id),
            }
        }
        if !missing.is_empty() {
            for (id, row) in rows_by_id::<organization::Entity>(db, &missing).await? {
                self.rows.insert(id, row.clone());
                found.insert(id, row);
            }
        }
        Ok(found)
    }
}

impl std::fmt::Debug for OrganizationRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrganizationRows")
            .field("remembered", &self.rows.len())
            .finish()
    }
}
