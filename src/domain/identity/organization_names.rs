//! Organization names resolved to ids, remembered by the process so that a search naming an
//! organization (`organization:acme`) costs no statement after the first.
//!
//! Only names that were found are remembered, and the caller's right to read the
//! organization is checked on every use, so the cache never shows anyone an organization
//! they could not see. Entries are never stale because an organization's name and id never
//! change: organizations can be neither renamed nor deleted. Should either ever become
//! possible, that change must clear this cache (and other replicas' caches, or give entries
//! a lifetime).

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use sea_orm::{
    ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use crate::{
    authz::{Action, ReadScope, Resource, Subject},
    entity::organization,
};

/// How many names are remembered; the map is emptied when it fills, which only costs
/// lookups (and bounds memory whatever names are asked for).
const MAX_NAMES: usize = 10_000;

/// The process's name → id memo; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct OrganizationNames {
    ids: Arc<RwLock<HashMap<String, Uuid>>>,
}

impl OrganizationNames {
    /// The id of the organization called `name` (case-insensitively) that `subject` may
    /// read, or `None` when there is no such organization or it may not read it.
    pub async fn resolve(
        &self,
        db: &impl ConnectionTrait,
        subject: &Subject,
        name: &str,
    ) -> Result<Option<Uuid>, sea_orm::DbErr> {
        let name = name.to_lowercase();
        let scope = ReadScope::compute(subject, Action::Read, Resource::Organization);
        let cached = self
            .ids
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&name)
            .copied();
        if let Some(id) = cached {
            return Ok(scope.covers_org(id).then_some(id));
        }
        let found = organization::Entity::find()
            .filter(Expr::expr(Func::lower(Expr::col(organization::Column::Name))).eq(&name))
            .filter(scope.condition(
                Some(Expr::col((organization::Entity, organization::Column::Id))),
                None,
            ))
            .one(db)
            .await?;
        let Some(org) = found else {
            return Ok(None);
        };
        let mut ids = self.ids.write().unwrap_or_else(|p| p.into_inner());
        if ids.len() >= MAX_NAMES {
            ids.clear();
        }
        ids.insert(name, org.id);
        Ok(Some(org.id))
    }
}
