//! Templates: creating one (with its first version), reading and listing them, and changing
//! their schedule settings.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    TransactionTrait,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::{
    Error, FileCache, Result,
    schedule_settings::{ScheduleSettings, apply_schedule, check_entitled, check_schedule},
    version_import::{TemplateSource, import_source},
    versions::insert_version,
};
use crate::{
    authz::{self, Action, Object, ReadScope, Resource, Subject},
    domain::license::service::EntitlementsService,
    domain::{
        FieldError,
        audit::{self, AuditEntry, Diff, ResourceType},
        identity::PREBUILDS_SYSTEM_USER_ID,
        schedule::CronSchedule,
        text, unique_or,
        workspace::next_start_at,
    },
    entity::{
        audit_log::AuditAction,
        template, template_version, workspace,
        workspace_build::{self, Transition},
    },
};

/// The input of `createTemplate`.
#[derive(Debug, Clone)]
pub struct CreateTemplate {
    /// The organization.
    pub organization_id: Uuid,
    /// Unique name in the organization.
    pub name: String,
    /// Human-readable name.
    pub display_name: String,
    /// Free text.
    pub description: String,
    /// Icon URL or empty.
    pub icon: String,
    /// Version 1's source.
    pub source: TemplateSource,
    /// Schedule settings.
    pub schedule: ScheduleSettings,
}

pub(super) fn template_object(org: Uuid) -> Object {
    Object::new(Resource::Template).in_org(org)
}

fn check_names(
    name: &str,
    display_name: &str,
    icon: &str,
    errors: &mut Vec<FieldError>,
) -> (String, String, String) {
    let trimmed = name.trim();
    let valid = !trimmed.is_empty()
        && trimmed.len() <= 32
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !trimmed.starts_with('-');
    if !valid {
        errors.push(FieldError::new(
            "name",
            "must be 1-32 letters, digits, hyphens or underscores",
        ));
    }
    let display = display_name.trim();
    text::check("displayName", display, 64, errors);
    let icon = icon.trim();
    let before = errors.len();
    text::check("icon", icon, text::URL, errors);
    let icon_ok = errors.len() > before
        || icon.is_empty()
        || icon.starts_with('/')
        || url::Url::parse(icon).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !icon_ok {
        errors.push(FieldError::new(
            "icon",
            "must be an absolute http(s) URL or a path starting with /",
        ));
    }
    (trimmed.to_owned(), display.to_owned(), icon.to_owned())
}

/// Creates a template with version 1 from its source, and makes that version active.
pub async fn create_template(
    db: &DatabaseConnection,
    entitlements: &EntitlementsService,
    files: &FileCache,
    subject: &Subject,
    now: DateTime<Utc>,
    input: CreateTemplate,
) -> Result<(template::Model, template_version::Model)> {
    crate::domain::identity::get_organization(db, subject, input.organization_id)
        .await
        .map_err(|err| match err {
            crate::domain::identity::Error::Db(e) => Error::Db(e),
            // The lookup fails otherwise only when the organization is absent or hidden
            // from the caller: for the caller, it does not exist.
            _ => Error::NotFound("organization"),
        })?;
    authz::authorize(
        subject,
        Action::Create,
        &template_object(input.organization_id),
    )?;
    let mut errors = Vec::new();
    let (name, display_name, icon) =
        check_names(&input.name, &input.display_name, &input.icon, &mut errors);
    let description = input.description.trim().to_owned();
    text::check("description", &description, text::DESCRIPTION, &mut errors);
    check_schedule(&input.schedule, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    check_entitled(&input.schedule, entitlements)?;
    let txn = db.begin().await?;
    let (file_id, imported) = import_source(
        &txn,
        files,
        subject,
        now,
        input.organization_id,
        input.source,
    )
    .await?;
    let mut active = template::ActiveModel {
        id: Set(Uuid::new_v4()),
        organization_id: Set(input.organization_id),
        name: Set(name),
        display_name: Set(display_name),
        description: Set(description),
        icon: Set(icon),
        active_version_id: Set(None),
        created_by: Set(subject.user_id),
        deleted: Set(false),
        default_ttl_ms: Set(0),
        activity_bump_ms: Set(3_600_000),
        allow_user_autostart: Set(true),
        allow_user_autostop: Set(true),
        autostop_requirement_days_of_week: Set(0),
        autostop_requirement_weeks: Set(1),
        autostart_allowed_days_of_week: Set(127),
        failure_ttl_ms: Set(0),
        time_til_dormant_ms: Set(0),
        time_til_dormant_autodelete_ms: Set(0),
        require_active_version: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
    };
    apply_schedule(&mut active, &input.schedule);
    let tmpl = active.insert(&txn).await.map_err(|e| {
        unique_or(e, || {
            Error::Taken(vec![FieldError::new(
                "name",
                "a template with this name already exists in the organization",
            )])
        })
    })?;
    let version =
        insert_version(&txn, subject, now, &tmpl, file_id, &imported, String::new()).await?;
    let mut active: template::ActiveModel = tmpl.into();
    active.active_version_id = Set(Some(version.id));
    let tmpl = active.update(&txn).await?;
    let entry = AuditEntry::new(
        AuditAction::Create,
        template_resource(&tmpl),
        Diff::of_rows(None, Some(&tmpl)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok((tmpl, version))
}

/// A template as the audit log names it.
fn template_resource(tmpl: &template::Model) -> audit::Resource {
    audit::Resource::new(ResourceType::Template, Some(tmpl.id), &tmpl.name)
        .in_org(tmpl.organization_id)
}

/// A live template the subject may read.
pub async fn get_template(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<template::Model> {
    let tmpl = template::Entity::find_by_id(id)
        .filter(template::Column::Deleted.eq(false))
        .one(db)
        .await?
        .ok_or(Error::NotFound("template"))?;
    if !authz::is_allowed(
        subject,
        Action::Read,
        &template_object(tmpl.organization_id),
    ) {
        return Err(Error::NotFound("template"));
    }
    Ok(tmpl)
}

/// The live templates of an organization the subject may read, by name.
pub async fn list_templates(
    db: &impl ConnectionTrait,
    subject: &Subject,
    organization_id: Option<Uuid>,
) -> Result<Vec<template::Model>> {
    let scope = ReadScope::compute(subject, Action::Read, Resource::Template);
    let mut select = template::Entity::find()
        .filter(scope.condition(
            Some(Expr::col((
                template::Entity,
                template::Column::OrganizationId,
            ))),
            None,
        ))
        .filter(template::Column::Deleted.eq(false));
    if let Some(org) = organization_id {
        select = select.filter(template::Column::OrganizationId.eq(org));
    }
    Ok(select.order_by_asc(template::Column::Name).all(db).await?)
}

/// Changes a template's schedule settings, in one transaction with what they imply for
/// existing workspaces (as Coder's enterprise store does): when users may no longer set their
/// own TTL, every workspace of the template takes the template's default TTL (none when it
/// is 0); a TTL that becomes none moves running builds' deadlines to their max deadlines,
/// as `updateWorkspaceTtl` does. Prebuilt workspaces keep their own settings.
pub async fn update_template_schedule(
    db: &DatabaseConnection,
    entitlements: &EntitlementsService,
    subject: &Subject,
    now: DateTime<Utc>,
    id: Uuid,
    settings: ScheduleSettings,
) -> Result<template::Model> {
    let tmpl = get_template(db, subject, id).await?;
    authz::authorize(
        subject,
        Action::Update,
        &template_object(tmpl.organization_id),
    )?;
    let mut errors = Vec::new();
    check_schedule(&settings, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    check_entitled(&settings, entitlements)?;
    let txn = db.begin().await?;
    let old = tmpl.clone();
    let mut active: template::ActiveModel = tmpl.into();
    apply_schedule(&mut active, &settings);
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    let ttl_forced = !updated.allow_user_autostop
        && (old.allow_user_autostop || old.default_ttl_ms != updated.default_ttl_ms);
    if ttl_forced {
        let ttl = (updated.default_ttl_ms > 0).then_some(updated.default_ttl_ms);
        let affected = || {
            Query::select()
                .column(workspace::Column::Id)
                .from(workspace::Entity)
                .and_where(workspace::Column::TemplateId.eq(updated.id))
                .and_where(workspace::Column::OwnerId.ne(PREBUILDS_SYSTEM_USER_ID))
                .and_where(workspace::Column::Deleted.eq(false))
                .to_owned()
        };
        workspace::Entity::update_many()
            .col_expr(workspace::Column::TtlMs, Expr::value(ttl))
            .col_expr(workspace::Column::UpdatedAt, Expr::value(now))
            .filter(workspace::Column::Id.in_subquery(affected()))
            .exec(&txn)
            .await?;
        if ttl.is_none() {
            workspace_build::Entity::update_many()
                .col_expr(
                    workspace_build::Column::Deadline,
                    Expr::col(workspace_build::Column::MaxDeadline),
                )
                .col_expr(workspace_build::Column::UpdatedAt, Expr::value(now))
                .filter(workspace_build::Column::WorkspaceId.in_subquery(affected()))
                .filter(workspace_build::Column::Transition.eq(Transition::Start))
                .filter(crate::domain::workspace::is_latest_build())
                .exec(&txn)
                .await?;
        }
    }
    crate::domain::workspace::apply_template_schedule_change(&txn, &old, &updated, now).await?;
    if updated.autostart_allowed_days_of_week != old.autostart_allowed_days_of_week {
        refresh_next_starts(&txn, &updated, now).await?;
    }
    let entry = AuditEntry::new(
        AuditAction::Write,
        template_resource(&updated),
        Diff::of_rows(Some(&old), Some(&updated)),
    );
    audit::record(&txn, subject, now, entry).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Recomputes `next_start_at` of the template's workspaces for its new allowed autostart
/// days. A cached start later than a newly allowed day would keep the lifecycle executor
/// from looking at the workspace until then, and clients would show the wrong time.
async fn refresh_next_starts(
    txn: &impl ConnectionTrait,
    tmpl: &template::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let scheduled = workspace::Entity::find()
        .filter(workspace::Column::TemplateId.eq(tmpl.id))
        .filter(workspace::Column::OwnerId.ne(PREBUILDS_SYSTEM_USER_ID))
        .filter(workspace::Column::Deleted.eq(false))
        .filter(workspace::Column::AutostartSchedule.is_not_null())
        .all(txn)
        .await?;
    for ws in scheduled {
        // A stored schedule was valid when written; one that no longer parses never fires.
        let Some(schedule) = ws
            .autostart_schedule
            .as_deref()
            .and_then(|s| CronSchedule::parse_weekly(s).ok())
        else {
            continue;
        };
        let next = next_start_at(&schedule, tmpl, now)
            .map_err(|e| Error::Corrupt(format!("template schedule: {e}")))?;
        if next != ws.next_start_at {
            workspace::Entity::update_many()
                .col_expr(workspace::Column::NextStartAt, Expr::value(next))
                .col_expr(workspace::Column::UpdatedAt, Expr::value(now))
                .filter(workspace::Column::Id.eq(ws.id))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With no organizations table, looking the organization up fails in the database: that
    /// must stay a database failure (an internal error), not become "no such organization".
    #[tokio::test]
    async fn a_database_failure_is_not_reported_as_not_found() {
        let db = crate::db::connect("sqlite::memory:", Some(1))
            .await
            .expect("db");
        let input = CreateTemplate {
            organization_id: Uuid::new_v4(),
            name: "t".into(),
            display_name: String::new(),
            description: String::new(),
            icon: String::new(),
            source: TemplateSource::Files(Vec::new()),
            schedule: ScheduleSettings::default(),
        };
        let entitlements = EntitlementsService::new(
            db.clone(),
            std::sync::Arc::new(crate::clock::SystemClock),
            crate::domain::license::LicenseKeys::empty(),
        );
        let err = create_template(
            &db,
            &entitlements,
            &FileCache::new(),
            &Subject::system("test", Uuid::new_v4()),
            Utc::now(),
            input,
        )
        .await
        .expect_err("the organization cannot be read");
        assert!(matches!(err, Error::Db(_)), "{err:?}");
    }
}
