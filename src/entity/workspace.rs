//! `workspaces`: a user's development environment built from a template.

use sea_orm::entity::prelude::*;

/// A workspace row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workspaces")]
pub struct Model {
    /// Unique id of the workspace.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The template's organization (`organizations.id`; deleting it deletes the workspace).
    pub organization_id: Uuid,
    /// The owner (`users.id`); the prebuilds system user owns prebuilt workspaces.
    pub owner_id: Uuid,
    /// The template (`templates.id`; a template with workspaces cannot be deleted).
    pub template_id: Uuid,
    /// Name, unique among the owner's live workspaces ignoring case.
    pub name: String,
    /// Autostop after this many milliseconds; None disables it.
    pub ttl_ms: Option<i64>,
    /// Coder cron (`CRON_TZ=… m h * * dow`); None disables autostart.
    pub autostart_schedule: Option<String>,
    /// The next autostart the template allows; None: no schedule, none within a week, or not
    /// computed yet (the lifecycle executor computes it).
    pub next_start_at: Option<DateTimeUtc>,
    /// When it was last used: set at creation, then by its agent's activity (at most once a
    /// minute); dormancy counts from it.
    pub last_used_at: DateTimeUtc,
    /// When it became dormant (set by the lifecycle executor); None: not dormant.
    pub dormant_at: Option<DateTimeUtc>,
    /// When a dormant workspace is to be deleted (set with `dormant_at`); None: not scheduled.
    pub deleting_at: Option<DateTimeUtc>,
    /// `always` or `never` (CHECK): whether autostarts move to the active version.
    pub automatic_updates: String,
    /// Set when a delete build succeeds; the row stays, hidden from lists.
    pub deleted: bool,
    /// When the workspace was created.
    pub created_at: DateTimeUtc,
    /// When the workspace last changed.
    pub updated_at: DateTimeUtc,
}

/// No relations are declared; joins are written in the queries.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
