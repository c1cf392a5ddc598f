//! Writing audit rows. A row names the actor (from the [`Subject`], with where its request
//! came from), the resource acted on, the action, and a diff of the fields that changed.
//!
//! Secrets never reach a diff: every column whose name is in [`SECRET_COLUMNS`] is left out,
//! whatever the table, so a new table with a `hashed_secret` column is safe by default.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, IdenStatic, Iterable, ModelTrait, Set,
    sea_query::sea_value_to_json_value,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::{
    authz::Subject,
    entity::{
        audit_log::{self, AuditAction},
        workspace_build::BuildReason,
    },
};

/// Columns never written into a diff: password hashes, token secrets and license JWTs.
pub const SECRET_COLUMNS: [&str; 5] =
    ["hashed_password", "hashed_secret", "jwt", "token", "secret"];

/// Bookkeeping columns that change with every write and would only add noise to a diff.
const BOOKKEEPING_COLUMNS: [&str; 3] = ["updated_at", "last_seen_at", "last_used_at"];

/// The HTTP-style status of a change that went through.
pub const STATUS_OK: i32 = 200;
/// The status of an attempt refused by authorization.
pub const STATUS_FORBIDDEN: i32 = 403;
/// The status of a login with a wrong email or password.
pub const STATUS_UNAUTHORIZED: i32 = 401;
/// The status of a login refused because of too many failures.
pub const STATUS_TOO_MANY_REQUESTS: i32 = 429;

/// The kinds of resource the audit log records, named as in Coder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    /// A user account.
    User,
    /// An organization.
    Organization,
    /// A user's membership of an organization and its roles.
    OrganizationMember,
    /// A group.
    Group,
    /// An API token or session.
    ApiKey,
    /// A license.
    License,
    /// A template.
    Template,
    /// A template version.
    TemplateVersion,
    /// A workspace.
    Workspace,
    /// A workspace build (start, stop, delete).
    WorkspaceBuild,
    /// The deployment's prebuild settings.
    PrebuildsSettings,
    /// A provisioner key.
    ProvisionerKey,
    /// A workspace agent (legacy connection events, and agent tokens).
    WorkspaceAgent,
    /// A workspace app (legacy connection events).
    WorkspaceApp,
}

impl ResourceType {
    /// Every resource type, in the order searches list them.
    pub const ALL: [Self; 14] = [
        Self::User,
        Self::Organization,
        Self::OrganizationMember,
        Self::Group,
        Self::ApiKey,
        Self::License,
        Self::Template,
        Self::TemplateVersion,
        Self::Workspace,
        Self::WorkspaceBuild,
        Self::PrebuildsSettings,
        Self::ProvisionerKey,
        Self::WorkspaceAgent,
        Self::WorkspaceApp,
    ];

    /// The stored and searched name, e.g. `workspace_build`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Organization => "organization",
            Self::OrganizationMember => "organization_member",
            Self::Group => "group",
            Self::ApiKey => "api_key",
            Self::License => "license",
            Self::Template => "template",
            Self::TemplateVersion => "template_version",
            Self::Workspace => "workspace",
            Self::WorkspaceBuild => "workspace_build",
            Self::PrebuildsSettings => "prebuilds_settings",
            Self::ProvisionerKey => "provisioner_key",
            Self::WorkspaceAgent => "workspace_agent",
            Self::WorkspaceApp => "workspace_app",
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownResourceType(pub String);

impl FromStr for ResourceType {
    type Err = UnknownResourceType;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| UnknownResourceType(s.to_owned()))
    }
}

/// The object an audited action was done to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// What kind of object.
    pub kind: ResourceType,
    /// Its id, when it has a UUID one.
    pub id: Option<Uuid>,
    /// A name a person recognises (a username, a workspace's name); may be empty.
    pub target: String,
    /// The organization it belongs to; None for site-wide objects.
    pub organization_id: Option<Uuid>,
}

impl Resource {
    /// A resource of `kind` with id `id` and display name `target`.
    pub fn new(kind: ResourceType, id: Option<Uuid>, target: impl Into<String>) -> Self {
        Self {
            kind,
            id,
            target: target.into(),
            organization_id: None,
        }
    }

    /// The same resource, inside organization `organization_id`.
    pub fn in_org(mut self, organization_id: Uuid) -> Self {
        self.organization_id = Some(organization_id);
        self
    }
}

/// The fields an action changed, as Coder's `{field: {old, new, secret}}` object. Only
/// fields whose value changed are present; secrets never are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff(Map<String, Value>);

impl Diff {
    /// No changed fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `field` when `old` and `new` differ.
    pub fn field(mut self, field: &str, old: impl Into<Value>, new: impl Into<Value>) -> Self {
        let (old, new) = (old.into(), new.into());
        if old != new && !is_secret(field) {
            self.0.insert(
                field.to_owned(),
                json!({ "old": old, "new": new, "secret": false }),
            );
        }
        self
    }

    /// The columns of an entity row that differ between `old` and `new`; None stands for
    /// "did not exist", so a creation lists every column and a deletion every old value.
    pub fn of_rows<M: ModelTrait>(old: Option<&M>, new: Option<&M>) -> Self {
        let mut diff = Self::new();
        for column in <M::Entity as EntityTrait>::Column::iter() {
            let name = column.as_str();
            if BOOKKEEPING_COLUMNS.contains(&name) {
                continue;
            }
            let value = |row: Option<&M>| row.map_or(Value::Null, |r| json_of(&r.get(column)));
            diff = diff.field(name, value(old), value(new));
        }
        diff
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The JSON object stored in `audit_logs.diff`.
    pub fn into_json(self) -> Value {
        Value::Object(self.0)
    }
}

/// A column's value as JSON; times as [`time_value`] writes them.
fn json_of(value: &sea_orm::Value) -> Value {
    match value {
        sea_orm::Value::ChronoDateTimeUtc(t) => time_value(*t),
        other => sea_value_to_json_value(other),
    }
}

/// A time as a diff holds it: RFC 3339 in UTC, as the API shows times; null for none.
pub fn time_value(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| {
        Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
    })
}

fn is_secret(field: &str) -> bool {
    SECRET_COLUMNS.contains(&field)
}

/// One audited action, as the domain function that performed it describes it.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// What was done.
    pub action: AuditAction,
    /// To what.
    pub resource: Resource,
    /// What changed.
    pub diff: Diff,
    /// 200 for a change that went through, 403 for a refusal, 401/429 for failed logins.
    pub status: i32,
    /// For builds: why the build happened.
    pub build_reason: Option<BuildReason>,
}

impl AuditEntry {
    /// A successful `action` on `resource` that changed `diff`.
    pub fn new(action: AuditAction, resource: Resource, diff: Diff) -> Self {
        Self {
            action,
            resource,
            diff,
            status: STATUS_OK,
            build_reason: None,
        }
    }

    /// The same entry with another status.
    pub fn with_status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    /// The same entry, for a build started for `reason`.
    pub fn with_build_reason(mut self, reason: BuildReason) -> Self {
        self.build_reason = Some(reason);
        self
    }
}

/// Writes `entry` as done by `subject` at `now`, on `db` (the caller's transaction, so the
/// row commits or rolls back with the change it describes).
///
/// Background jobs are recorded with no user: the actor is the system, and for builds the
/// build reason says which job acted.
pub async fn record(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> Result<(), DbErr> {
    let user_id = (!subject.internal).then_some(subject.user_id);
    insert(db, user_id, &subject.origin, now, entry).await
}

/// Writes the row of an attempt that authorization refused (status 403, empty diff). It
/// runs outside the refused change's transaction, which rolled back.
pub async fn record_refusal(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    action: AuditAction,
    resource: Resource,
) -> Result<(), DbErr> {
    let entry = AuditEntry::new(action, resource, Diff::new()).with_status(STATUS_FORBIDDEN);
    record(db, subject, now, entry).await
}

/// Writes a row for a request that had no authenticated subject (a login or the first
/// user's sign-up): `user_id` is the account it concerns, when one is known.
pub async fn record_anonymous(
    db: &impl ConnectionTrait,
    user_id: Option<Uuid>,
    origin: &crate::authz::RequestOrigin,
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> Result<(), DbErr> {
    insert(db, user_id, origin, now, entry).await
}

async fn insert(
    db: &impl ConnectionTrait,
    user_id: Option<Uuid>,
    origin: &crate::authz::RequestOrigin,
    now: DateTime<Utc>,
    entry: AuditEntry,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        id: Set(Uuid::new_v4()),
        time: Set(now),
        user_id: Set(user_id),
        organization_id: Set(entry.resource.organization_id),
        action: Set(entry.action),
        resource_type: Set(entry.resource.kind.as_str().to_owned()),
        resource_id: Set(entry.resource.id),
        resource_target: Set(entry.resource.target),
        diff: Set(entry.diff.into_json()),
        status_code: Set(entry.status),
        ip: Set(origin.ip.map(|ip| ip.to_string())),
        user_agent: Set(origin.user_agent.clone()),
        request_id: Set(origin.request_id.clone()),
        build_reason: Set(entry.build_reason),
    }
    .insert(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_that_did_not_change_is_left_out() {
        let diff = Diff::new().field("name", "a", "a").field("ttl", 1, 2);
        assert_eq!(
            diff.into_json(),
            json!({ "ttl": { "old": 1, "new": 2, "secret": false } })
        );
    }

    #[test]
    fn secrets_never_enter_a_diff() {
        let diff = Diff::new()
            .field("hashed_password", "old-hash", "new-hash")
            .field("jwt", Value::Null, "eyJ...")
            .field("hashed_secret", "a", "b");
        assert!(diff.is_empty());
    }

    #[test]
    fn resource_types_round_trip_through_their_names() {
        for kind in ResourceType::ALL {
            assert_eq!(kind.as_str().parse::<ResourceType>(), Ok(kind));
        }
        assert_eq!(
            "workspaces".parse::<ResourceType>(),
            Err(UnknownResourceType("workspaces".into()))
        );
    }
}
