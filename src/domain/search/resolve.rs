//! The lookups a search needs before it can become SQL: an `organization:` name to the id of
//! an organization the caller may read, and usernames and emails to user ids, all the names
//! of one search in one statement, so that the log is then filtered by indexed ids.

use sea_orm::{
    Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use uuid::Uuid;

use super::{OrganizationRef, UserRef, organization_not_found};
use crate::{
    authz::Subject,
    domain::{FieldError, identity::OrganizationNames, license::service::EntitlementsService},
    entity::user,
};

/// What a log query consults besides its table: the license, and where the organization
/// names a search uses are resolved.
pub struct Lookups<'a> {
    /// The license.
    pub entitlements: &'a EntitlementsService,
    /// The process's organization name memo.
    pub organization_names: &'a OrganizationNames,
}

/// The organization an `organization:` value names, looked up as the caller: one it may
/// not read does not exist. `Ok(None)` when the search names no organization.
pub async fn organization(
    db: &impl ConnectionTrait,
    names: &OrganizationNames,
    subject: &Subject,
    organization: Option<&OrganizationRef>,
) -> Result<Result<Option<Uuid>, FieldError>, sea_orm::DbErr> {
    let name = match organization {
        Some(OrganizationRef::Id(id)) => return Ok(Ok(Some(*id))),
        Some(OrganizationRef::Name(name)) => name,
        None => return Ok(Ok(None)),
    };
    Ok(names
        .resolve(db, subject, name)
        .await?
        .map(Some)
        .ok_or_else(|| organization_not_found(name)))
}

/// A user's id, lower-cased username and email, and whether it is deleted.
type UserRow = (Uuid, String, String, bool);

/// The users a search's names and emails matched, fetched in one statement.
#[derive(Debug, Default)]
pub struct MatchedUsers {
    rows: Vec<UserRow>,
}

impl MatchedUsers {
    /// Fetches the live users with one of the `names` and the users (deleted ones included)
    /// with one of the `emails`, both compared ignoring case; no statement when both are empty.
    pub async fn fetch(
        db: &impl ConnectionTrait,
        names: &[&UserRef],
        emails: &[&str],
    ) -> Result<Self, sea_orm::DbErr> {
        let names: Vec<String> = names
            .iter()
            .filter_map(|user| match user {
                UserRef::Username(name) => Some(name.to_lowercase()),
                UserRef::Me => None,
            })
            .collect();
        let emails: Vec<String> = emails.iter().map(|e| e.to_lowercase()).collect();
        if names.is_empty() && emails.is_empty() {
            return Ok(Self::default());
        }
        let mut any = Condition::any();
        if !names.is_empty() {
            any = any.add(
                lower(user::Column::Username)
                    .is_in(names)
                    .and(Expr::col(user::Column::Deleted).eq(false)),
            );
        }
        if !emails.is_empty() {
            any = any.add(lower(user::Column::Email).is_in(emails));
        }
        let rows = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .expr(lower(user::Column::Username))
            .expr(lower(user::Column::Email))
            .column(user::Column::Deleted)
            .filter(any)
            .into_tuple()
            .all(db)
            .await?;
        Ok(Self { rows })
    }

    // The statement compared the same lower-cased strings, so equal strings here are the
    // rows it matched for each value.
    fn ids(&self, matches: impl Fn(&UserRow) -> bool) -> Vec<Uuid> {
        self.rows
            .iter()
            .filter(|r| matches(r))
            .map(|r| r.0)
            .collect()
    }

    /// The ids `user` names: the caller for `me`, else the live users with that name.
    pub fn named(&self, user: &UserRef, subject: &Subject) -> Vec<Uuid> {
        match user {
            UserRef::Me => vec![subject.user_id],
            UserRef::Username(name) => {
                let name = name.to_lowercase();
                self.ids(|r| !r.3 && r.1 == name)
            }
        }
    }

    /// The ids of the users with `email` (case-insensitively), deleted ones only when
    /// `with_deleted`.
    pub fn with_email(&self, email: &str, with_deleted: bool) -> Vec<Uuid> {
        let email = email.to_lowercase();
        self.ids(|r| (with_deleted || !r.3) && r.2 == email)
    }
}

/// The ids both conditions allow (either alone when the other is absent).
pub fn intersect(a: Option<Vec<Uuid>>, b: Option<Vec<Uuid>>) -> Option<Vec<Uuid>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.into_iter().filter(|id| b.contains(id)).collect()),
        (a, None) => a,
        (None, b) => b,
    }
}

fn lower(column: user::Column) -> Expr {
    Expr::expr(Func::lower(Expr::col((user::Entity, column))))
}
