//! Creating and reading templates and versions. A version is imported when it is created:
//! its source is parsed, the parameter definitions and preset schedules are checked, and
//! only a clean import is stored (with its presets), so builds never meet a broken version.

use std::collections::HashMap;

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
    import::{self, SourceFile, TemplateImport},
    source,
};
use crate::{
    authz::{self, Action, Object, ReadScope, Resource, Subject},
    domain::{
        FieldError, cpu, identity::PREBUILDS_SYSTEM_USER_ID, parameters, schedule, text, unique_or,
    },
    entity::{
        file, preset_prebuild_schedule, template, template_version,
        template_version::ImportStatus,
        template_version_preset, workspace,
        workspace_build::{self, Transition},
    },
};

/// Where a version's source comes from.
#[derive(Debug, Clone)]
pub enum TemplateSource {
    /// A file uploaded before (`uploadFile`).
    FileId(Uuid),
    /// Files given inline; packed into an archive.
    Files(Vec<SourceFile>),
}

/// Template schedule settings; None leaves a setting as it is (or at its default).
#[derive(Debug, Clone, Default)]
pub struct ScheduleSettings {
    /// Default workspace TTL in ms (0: none).
    pub default_ttl_ms: Option<i64>,
    /// Activity bump in ms.
    pub activity_bump_ms: Option<i64>,
    /// Whether users may set autostart.
    pub allow_user_autostart: Option<bool>,
    /// Whether users may set their TTL.
    pub allow_user_autostop: Option<bool>,
    /// Days the autostop requirement applies, bit 0 = Monday.
    pub autostop_requirement_days_of_week: Option<i16>,
    /// Every how many weeks (1-16).
    pub autostop_requirement_weeks: Option<i32>,
    /// Days autostart may run, bit 0 = Monday.
    pub autostart_allowed_days_of_week: Option<i16>,
    /// Stop a failed start after this long (ms; 0: never).
    pub failure_ttl_ms: Option<i64>,
    /// Mark dormant after this long unused (ms; 0: never).
    pub time_til_dormant_ms: Option<i64>,
    /// Delete dormant workspaces after this long (ms; 0: never).
    pub time_til_dormant_autodelete_ms: Option<i64>,
    /// Whether starts always use the active version.
    pub require_active_version: Option<bool>,
    /// Quota cost of a running workspace.
    pub workspace_cost: Option<i32>,
}

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

/// The input of `createTemplateVersion`.
#[derive(Debug, Clone)]
pub struct CreateTemplateVersion {
    /// The template.
    pub template_id: Uuid,
    /// The source.
    pub source: TemplateSource,
    /// Make it the active version.
    pub activate: bool,
    /// Free text.
    pub message: String,
}

fn template_object(org: Uuid) -> Object {
    Object::new(Resource::Template).in_org(org)
}

/// Stores an uploaded tar archive for an organization.
pub async fn upload_file(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    organization_id: Uuid,
    data: Vec<u8>,
) -> Result<file::Model> {
    authz::authorize(
        subject,
        Action::Create,
        &Object::new(Resource::File)
            .in_org(organization_id)
            .owned_by(subject.user_id),
    )?;
    Ok(source::store_file(db, now, organization_id, subject.user_id, data).await?)
}

fn check_schedule(s: &ScheduleSettings, errors: &mut Vec<FieldError>) {
    let durations = [
        ("defaultTtlMs", s.default_ttl_ms),
        ("activityBumpMs", s.activity_bump_ms),
        ("failureTtlMs", s.failure_ttl_ms),
        ("timeTilDormantMs", s.time_til_dormant_ms),
        (
            "timeTilDormantAutodeleteMs",
            s.time_til_dormant_autodelete_ms,
        ),
    ];
    for (field, value) in durations {
        if value.is_some_and(|v| v < 0) {
            errors.push(FieldError::new(field, "must not be negative"));
        }
    }
    if s.autostop_requirement_days_of_week
        .is_some_and(|d| !(0..=127).contains(&d))
    {
        errors.push(FieldError::new(
            "autostopRequirementDaysOfWeek",
            "invalid autostop requirement days, last bit is set",
        ));
    }
    match s.autostop_requirement_weeks {
        Some(w) if w < 1 => errors.push(FieldError::new(
            "autostopRequirementWeeks",
            "invalid autostop requirement weeks, less than 1",
        )),
        Some(w) if w > 16 => errors.push(FieldError::new(
            "autostopRequirementWeeks",
            "invalid autostop requirement weeks, too large",
        )),
        _ => {}
    }
    if s.autostart_allowed_days_of_week
        .is_some_and(|d| !(0..=127).contains(&d))
    {
        errors.push(FieldError::new(
            "autostartAllowedDaysOfWeek",
            "invalid autostart days, last bit is set",
        ));
    }
    if s.workspace_cost.is_some_and(|c| c < 0) {
        errors.push(FieldError::new("workspaceCost", "must not be negative"));
    }
}

fn apply_schedule(active: &mut template::ActiveModel, s: &ScheduleSettings) {
    if let Some(v) = s.default_ttl_ms {
        active.default_ttl_ms = Set(v);
    }
    if let Some(v) = s.activity_bump_ms {
        active.activity_bump_ms = Set(v);
    }
    if let Some(v) = s.allow_user_autostart {
        active.allow_user_autostart = Set(v);
    }
    if let Some(v) = s.allow_user_autostop {
        active.allow_user_autostop = Set(v);
    }
    if let Some(v) = s.autostop_requirement_days_of_week {
        active.autostop_requirement_days_of_week = Set(v);
    }
    if let Some(v) = s.autostop_requirement_weeks {
        active.autostop_requirement_weeks = Set(v);
    }
    if let Some(v) = s.autostart_allowed_days_of_week {
        active.autostart_allowed_days_of_week = Set(v);
    }
    if let Some(v) = s.failure_ttl_ms {
        active.failure_ttl_ms = Set(v);
    }
    if let Some(v) = s.time_til_dormant_ms {
        active.time_til_dormant_ms = Set(v);
    }
    if let Some(v) = s.time_til_dormant_autodelete_ms {
        active.time_til_dormant_autodelete_ms = Set(v);
    }
    if let Some(v) = s.require_active_version {
        active.require_active_version = Set(v);
    }
    if let Some(v) = s.workspace_cost {
        active.workspace_cost = Set(v);
    }
}

/// Parses a source and checks everything the provider and the prebuild scheduler would
/// refuse, returning every problem at once.
fn import_checked(sources: &[SourceFile]) -> Result<TemplateImport> {
    let imported = import::parse_template(sources).map_err(|errors| {
        Error::ImportFailed(
            errors
                .errors
                .iter()
                .map(|e| FieldError::new(e.attribute.clone(), e.to_string()))
                .collect(),
        )
    })?;
    let mut errors = Vec::new();
    for def in &imported.parameters {
        for message in parameters::validate_definition(def) {
            errors.push(FieldError::new(format!("parameter.{}", def.name), message));
        }
    }
    let names: std::collections::HashSet<&str> = imported
        .parameters
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for preset in &imported.presets {
        for name in preset.parameters.keys() {
            if !names.contains(name.as_str()) {
                errors.push(FieldError::new(
                    format!("preset.{}", preset.name),
                    format!("preset parameter {name:?} is not a parameter of the template"),
                ));
            }
        }
        let Some(scheduling) = preset
            .prebuilds
            .as_ref()
            .and_then(|p| p.scheduling.as_ref())
        else {
            continue;
        };
        let mut ranges = Vec::new();
        for (i, s) in scheduling.schedules.iter().enumerate() {
            match schedule::parse_preset_schedule(&s.cron, &scheduling.timezone) {
                Ok(range) => ranges.push(range),
                Err(e) => errors.push(FieldError::new(
                    format!("preset.{}.schedule[{i}]", preset.name),
                    e.to_string(),
                )),
            }
        }
        for (i, a) in ranges.iter().enumerate() {
            for b in &ranges[i + 1..] {
                if schedule::schedules_overlap(a, b) {
                    errors.push(FieldError::new(
                        format!("preset.{}.schedule", preset.name),
                        "schedules overlap",
                    ));
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(imported)
    } else {
        Err(Error::ImportFailed(errors))
    }
}

/// Resolves a source to a stored file and its parsed, checked import.
async fn import_source(
    db: &impl ConnectionTrait,
    files: &FileCache,
    subject: &Subject,
    now: DateTime<Utc>,
    organization_id: Uuid,
    source: TemplateSource,
) -> Result<(Uuid, TemplateImport)> {
    let file_id = match source {
        TemplateSource::Files(sources) => {
            let data = source::tar_from_files(&sources)?;
            upload_file(db, subject, now, organization_id, data)
                .await?
                .id
        }
        TemplateSource::FileId(id) => id,
    };
    let handle = files.acquire(db, subject, file_id).await?;
    if handle.organization_id != organization_id {
        return Err(Error::Invalid(vec![FieldError::new(
            "fileId",
            "the file belongs to another organization",
        )]));
    }
    // HCL parsing of up to 10 MB of sources: CPU-heavy, so off the request threads.
    let file = handle.shared();
    let imported = cpu::run(move || import_checked(&file.sources)).await??;
    Ok((file_id, imported))
}

async fn insert_version(
    db: &impl ConnectionTrait,
    subject: &Subject,
    now: DateTime<Utc>,
    tmpl: &template::Model,
    file_id: Uuid,
    imported: &TemplateImport,
    message: String,
) -> Result<template_version::Model> {
    let number = template_version::Entity::find()
        .filter(template_version::Column::TemplateId.eq(tmpl.id))
        .order_by_desc(template_version::Column::Number)
        .one(db)
        .await?
        .map_or(1, |v| v.number + 1);
    let to_json =
        |v: serde_json::Result<serde_json::Value>| v.map_err(|e| Error::Corrupt(e.to_string()));
    let version = template_version::ActiveModel {
        id: Set(Uuid::new_v4()),
        template_id: Set(tmpl.id),
        organization_id: Set(tmpl.organization_id),
        number: Set(number),
        name: Set(format!("v{number}")),
        message: Set(message),
        file_id: Set(file_id),
        import_status: Set(ImportStatus::Succeeded),
        import_error: Set(String::new()),
        parameters: Set(to_json(serde_json::to_value(&imported.parameters))?),
        agents: Set(to_json(serde_json::to_value(&imported.agents))?),
        has_ai_task: Set(imported.has_ai_task),
        created_by: Set(subject.user_id),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| {
        unique_or(e, || {
            Error::Taken(vec![FieldError::new(
                "templateId",
                "a version was created concurrently; retry",
            )])
        })
    })?;
    for preset in &imported.presets {
        let prebuilds = preset.prebuilds.as_ref();
        let row = template_version_preset::ActiveModel {
            id: Set(Uuid::new_v4()),
            template_version_id: Set(version.id),
            name: Set(preset.name.clone()),
            parameters: Set(to_json(serde_json::to_value(&preset.parameters))?),
            desired_instances: Set(prebuilds.map(|p| p.instances)),
            invalidate_after_secs: Set(prebuilds
                .and_then(|p| p.expiration_ttl_seconds)
                .map(|s| i32::try_from(s).unwrap_or(i32::MAX))),
            scheduling_timezone: Set(prebuilds
                .and_then(|p| p.scheduling.as_ref())
                .map(|s| s.timezone.clone())
                .unwrap_or_default()),
            prebuild_status: Set("healthy".to_owned()),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        if let Some(scheduling) = prebuilds.and_then(|p| p.scheduling.as_ref()) {
            for (position, s) in scheduling.schedules.iter().enumerate() {
                preset_prebuild_schedule::ActiveModel {
                    id: Set(Uuid::new_v4()),
                    preset_id: Set(row.id),
                    cron_expression: Set(s.cron.clone()),
                    desired_instances: Set(s.instances),
                    position: Set(i32::try_from(position).unwrap_or(i32::MAX)),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(version)
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
        workspace_cost: Set(1),
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
    txn.commit().await?;
    Ok((tmpl, version))
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

/// Adds a version to a template, optionally making it active.
pub async fn create_template_version(
    db: &DatabaseConnection,
    files: &FileCache,
    subject: &Subject,
    now: DateTime<Utc>,
    input: CreateTemplateVersion,
) -> Result<template_version::Model> {
    let tmpl = get_template(db, subject, input.template_id).await?;
    authz::authorize(
        subject,
        Action::Update,
        &template_object(tmpl.organization_id),
    )?;
    let mut errors = Vec::new();
    text::check(
        "message",
        &input.message,
        text::VERSION_MESSAGE,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let txn = db.begin().await?;
    let (file_id, imported) = import_source(
        &txn,
        files,
        subject,
        now,
        tmpl.organization_id,
        input.source,
    )
    .await?;
    let version =
        insert_version(&txn, subject, now, &tmpl, file_id, &imported, input.message).await?;
    if input.activate {
        template::Entity::update_many()
            .col_expr(template::Column::ActiveVersionId, Expr::value(version.id))
            .col_expr(template::Column::UpdatedAt, Expr::value(now))
            .filter(template::Column::Id.eq(tmpl.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(version)
}

/// Changes a template's schedule settings, in one transaction with what they imply for
/// existing workspaces (as Coder's enterprise store does): when users may no longer set their
/// own TTL, every workspace of the template takes the template's default TTL (none when it
/// is 0); a TTL that becomes none moves running builds' deadlines to their max deadlines,
/// as `updateWorkspaceTtl` does. Prebuilt workspaces keep their own settings.
pub async fn update_template_schedule(
    db: &DatabaseConnection,
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
    txn.commit().await?;
    Ok(updated)
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

/// A version the subject may read.
pub async fn get_template_version(
    db: &impl ConnectionTrait,
    subject: &Subject,
    id: Uuid,
) -> Result<template_version::Model> {
    let version = template_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(Error::NotFound("template version"))?;
    if !authz::is_allowed(
        subject,
        Action::Read,
        &template_object(version.organization_id),
    ) {
        return Err(Error::NotFound("template version"));
    }
    Ok(version)
}

/// The versions of a template, newest first.
pub async fn list_versions(
    db: &impl ConnectionTrait,
    template_id: Uuid,
) -> Result<Vec<template_version::Model>> {
    Ok(template_version::Entity::find()
        .filter(template_version::Column::TemplateId.eq(template_id))
        .order_by_desc(template_version::Column::Number)
        .all(db)
        .await?)
}

/// The presets of a version with their schedules, by name.
pub async fn presets_of(
    db: &impl ConnectionTrait,
    version_id: Uuid,
) -> Result<
    Vec<(
        template_version_preset::Model,
        Vec<preset_prebuild_schedule::Model>,
    )>,
> {
    let presets = template_version_preset::Entity::find()
        .filter(template_version_preset::Column::TemplateVersionId.eq(version_id))
        .order_by_asc(template_version_preset::Column::Name)
        .all(db)
        .await?;
    let ids: Vec<Uuid> = presets.iter().map(|p| p.id).collect();
    let mut schedules: HashMap<Uuid, Vec<preset_prebuild_schedule::Model>> = HashMap::new();
    for s in preset_prebuild_schedule::Entity::find()
        .filter(preset_prebuild_schedule::Column::PresetId.is_in(ids))
        .order_by_asc(preset_prebuild_schedule::Column::Position)
        .all(db)
        .await?
    {
        schedules.entry(s.preset_id).or_default().push(s);
    }
    Ok(presets
        .into_iter()
        .map(|p| {
            let s = schedules.remove(&p.id).unwrap_or_default();
            (p, s)
        })
        .collect())
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
        let err = create_template(
            &db,
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
