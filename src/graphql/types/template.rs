//! Templates, versions, their parameters and presets.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Milliseconds, Organization, identity::organization_by_id};
use crate::{
    domain::{
        parameters,
        prebuilds::{
            self,
            preset_snapshot::{self, State},
        },
        template as domain,
    },
    entity::{preset_prebuild_schedule, template, template_version, template_version_preset},
    graphql::{
        context::ContextExt,
        error::{ApiError, Result},
        loaders::TemplateVersionId,
    },
};

/// A template: what workspaces are built from, with versions and schedule settings.
pub struct Template(pub template::Model);

/// A template: what workspaces are built from, with versions and schedule settings.
#[Object]
impl Template {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The organization's id.
    async fn organization_id(&self) -> Uuid {
        self.0.organization_id
    }
    /// The organization.
    async fn organization(&self, ctx: &Context<'_>) -> Result<Organization> {
        organization_by_id(ctx, self.0.organization_id).await
    }
    /// Unique name in the organization.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Human-readable name.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Free text.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// Icon URL or path.
    async fn icon(&self) -> &str {
        &self.0.icon
    }
    /// The id of the version new workspaces and updates use.
    async fn active_version_id(&self) -> Option<Uuid> {
        self.0.active_version_id
    }
    /// The version new workspaces and updates use.
    async fn active_version(&self, ctx: &Context<'_>) -> Result<Option<TemplateVersion>> {
        let Some(id) = self.0.active_version_id else {
            return Ok(None);
        };
        Ok(ctx
            .loader()?
            .load_one(TemplateVersionId(id))
            .await?
            .map(TemplateVersion))
    }
    /// Every version, newest first.
    async fn versions(&self, ctx: &Context<'_>) -> Result<Vec<TemplateVersion>> {
        let state = ctx.state()?;
        Ok(domain::list_versions(&state.db, self.0.id)
            .await?
            .into_iter()
            .map(TemplateVersion)
            .collect())
    }
    /// Default workspace TTL (0: none).
    async fn default_ttl_ms(&self) -> Milliseconds {
        Milliseconds(self.0.default_ttl_ms)
    }
    /// How far activity pushes a running workspace's deadline.
    async fn activity_bump_ms(&self) -> Milliseconds {
        Milliseconds(self.0.activity_bump_ms)
    }
    /// Whether users may set an autostart schedule.
    async fn allow_user_autostart(&self) -> bool {
        self.0.allow_user_autostart
    }
    /// Whether users may set their own TTL.
    async fn allow_user_autostop(&self) -> bool {
        self.0.allow_user_autostop
    }
    /// Days the autostop requirement applies: bit 0 = Monday … bit 6 = Sunday.
    async fn autostop_requirement_days_of_week(&self) -> i32 {
        self.0.autostop_requirement_days_of_week.into()
    }
    /// Every how many weeks the autostop requirement applies.
    async fn autostop_requirement_weeks(&self) -> i32 {
        self.0.autostop_requirement_weeks
    }
    /// Days autostart may run: bit 0 = Monday … bit 6 = Sunday.
    async fn autostart_allowed_days_of_week(&self) -> i32 {
        self.0.autostart_allowed_days_of_week.into()
    }
    /// Stop a failed start after this long (0: never).
    async fn failure_ttl_ms(&self) -> Milliseconds {
        Milliseconds(self.0.failure_ttl_ms)
    }
    /// Mark workspaces dormant after this long unused (0: never).
    async fn time_til_dormant_ms(&self) -> Milliseconds {
        Milliseconds(self.0.time_til_dormant_ms)
    }
    /// Delete dormant workspaces after this long (0: never).
    async fn time_til_dormant_autodelete_ms(&self) -> Milliseconds {
        Milliseconds(self.0.time_til_dormant_autodelete_ms)
    }
    /// Whether starts always use the active version.
    async fn require_active_version(&self) -> bool {
        self.0.require_active_version
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// When it last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// How far a version's import has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(remote = "crate::entity::template_version::ImportStatus")]
pub enum ImportStatus {
    /// Queued.
    Pending,
    /// In progress.
    Running,
    /// Imported; builds may use it.
    Succeeded,
    /// Failed; see `importError`.
    Failed,
}

/// One imported source of a template.
pub struct TemplateVersion(pub template_version::Model);

/// One imported source of a template.
#[Object]
impl TemplateVersion {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The template's id.
    async fn template_id(&self) -> Uuid {
        self.0.template_id
    }
    /// 1, 2, … per template.
    async fn number(&self) -> i32 {
        self.0.number
    }
    /// `v<number>`.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Free text given when it was created.
    async fn message(&self) -> &str {
        &self.0.message
    }
    /// The source archive's file id.
    async fn file_id(&self) -> Uuid {
        self.0.file_id
    }
    /// How far the import has come.
    async fn import_status(&self) -> ImportStatus {
        self.0.import_status.into()
    }
    /// Why the import failed, or empty.
    async fn import_error(&self) -> &str {
        &self.0.import_error
    }
    /// The parameters it declares, by order then name.
    async fn parameters(&self) -> Result<Vec<TemplateParameter>> {
        let defs: Vec<parameters::ParameterDefinition> =
            serde_json::from_value(self.0.parameters.clone())
                .map_err(|e| ApiError::internal(&e))?;
        Ok(defs.into_iter().map(TemplateParameter).collect())
    }
    /// The names of the agents a started workspace runs.
    async fn agents(&self) -> Result<Vec<String>> {
        serde_json::from_value(self.0.agents.clone()).map_err(|e| ApiError::internal(&e))
    }
    /// Whether it declares an AI task (counts against the managed-agent limit).
    async fn has_ai_task(&self) -> bool {
        self.0.has_ai_task
    }
    /// Quota cost of a workspace running this version: the sum of the `daily_cost` of its
    /// `coder_metadata` resources.
    async fn daily_cost(&self) -> i32 {
        self.0.daily_cost
    }
    /// Its presets, by name.
    async fn presets(&self, ctx: &Context<'_>) -> Result<Vec<Preset>> {
        let state = ctx.state()?;
        let rows = prebuilds::preset_states::list_presets_with_state(
            &state.db,
            ctx.subject()?,
            self.0.id,
            state.clock.now(),
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|((preset, schedules), counts)| Preset(preset, schedules, counts))
            .collect())
    }
    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// One allowed value of a parameter.
#[derive(SimpleObject)]
pub struct ParameterOptionInfo {
    /// Label.
    pub name: String,
    /// The value.
    pub value: String,
    /// Free text.
    pub description: String,
    /// Icon URL or path.
    pub icon: String,
}

/// A parameter's validation block.
#[derive(SimpleObject)]
pub struct ParameterValidationInfo {
    /// Smallest number allowed.
    pub min: Option<String>,
    /// Largest number allowed.
    pub max: Option<String>,
    /// `increasing` or `decreasing`.
    pub monotonic: Option<String>,
    /// Regular expression strings must match.
    pub regex: Option<String>,
    /// The message for a failed check.
    pub error: String,
}

/// A parameter a template version declares.
pub struct TemplateParameter(pub parameters::ParameterDefinition);

/// A parameter a template version declares.
#[Object]
impl TemplateParameter {
    /// Unique name; the key of its value.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Label.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }
    /// Free text.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// `string`, `number`, `bool` or `list(string)`.
    async fn r#type(&self) -> &str {
        self.0.kind.as_str()
    }
    /// The default value; null makes the parameter required.
    async fn default_value(&self) -> Option<&str> {
        self.0.default.as_deref()
    }
    /// Whether a value must be given.
    async fn required(&self) -> bool {
        self.0.required()
    }
    /// Whether the value may change after the first build.
    async fn mutable(&self) -> bool {
        self.0.mutable
    }
    /// Whether the value applies to one build only.
    async fn ephemeral(&self) -> bool {
        self.0.ephemeral
    }
    /// Allowed values; empty means any.
    async fn options(&self) -> Vec<ParameterOptionInfo> {
        self.0
            .options
            .iter()
            .map(|o| ParameterOptionInfo {
                name: o.name.clone(),
                value: o.value.clone(),
                description: o.description.clone(),
                icon: o.icon.clone(),
            })
            .collect()
    }
    /// The validation block, if any.
    async fn validation(&self) -> Option<ParameterValidationInfo> {
        self.0.validation.as_ref().map(|v| ParameterValidationInfo {
            min: v.min.map(|n| n.to_string()),
            max: v.max.map(|n| n.to_string()),
            monotonic: v.monotonic.map(|m| match m {
                parameters::Monotonic::Increasing => "increasing".to_owned(),
                parameters::Monotonic::Decreasing => "decreasing".to_owned(),
            }),
            regex: v.regex.clone(),
            error: v.error.clone(),
        })
    }
    /// How the UI renders it (kebab-case), or null for the type's default.
    async fn form_type(&self) -> Option<String> {
        self.0
            .form_type
            .and_then(|f| serde_json::to_value(f).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
    }
    /// Sort key.
    async fn order(&self) -> i32 {
        self.0.order
    }
    /// Icon URL or path.
    async fn icon(&self) -> &str {
        &self.0.icon
    }
}

/// A parameter name and value.
#[derive(SimpleObject, Clone)]
pub struct ParameterValue {
    /// The parameter's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// When a preset wants how many prebuilt workspaces.
#[derive(SimpleObject)]
pub struct PrebuildSchedule {
    /// Coder cron: `* HOURS * * WEEKDAYS` (weekday 0-6 from Sunday), in the preset's time zone.
    pub cron: String,
    /// Prebuilds wanted while the schedule matches.
    pub instances: i32,
}

/// A named set of parameter values of a version, with prebuild settings and, when it has
/// prebuilds, their state now.
pub struct Preset(
    pub template_version_preset::Model,
    pub Vec<preset_prebuild_schedule::Model>,
    pub Option<State>,
);

/// Whether a preset may still get new prebuilt workspaces.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PrebuildStatus {
    /// Normal.
    Healthy,
    /// Its most recent prebuilds all failed: no more are created (deletes go on) until a
    /// new template version brings new presets.
    HardLimited,
}

/// How many prebuilt workspaces a preset has and wants, as the reconciler sees it now.
#[derive(SimpleObject)]
pub struct PresetPrebuildCounts {
    /// Wanted now (the matching schedule's count, else the preset's; 0 when the version is
    /// not the active one).
    pub desired: i32,
    /// Running, expired ones included.
    pub running: i32,
    /// Running, unexpired and ready to be claimed.
    pub eligible: i32,
    /// Start builds in progress.
    pub starting: i32,
    /// Delete builds in progress.
    pub deleting: i32,
}

/// A named set of parameter values of a version, with prebuild settings.
#[Object]
impl Preset {
    /// Unique id.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// The version's id.
    async fn template_version_id(&self) -> Uuid {
        self.0.template_version_id
    }
    /// Unique name in the version.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The values it sets, by name.
    async fn parameters(&self) -> Result<Vec<ParameterValue>> {
        let map: std::collections::BTreeMap<String, String> =
            serde_json::from_value(self.0.parameters.clone())
                .map_err(|e| ApiError::internal(&e))?;
        Ok(map
            .into_iter()
            .map(|(name, value)| ParameterValue { name, value })
            .collect())
    }
    /// Prebuilt workspaces to keep ready; null when the preset has no prebuilds.
    async fn desired_instances(&self) -> Option<i32> {
        self.0.desired_instances
    }
    /// Seconds after which a prebuild expires; null or 0: never.
    async fn ttl_seconds(&self) -> Option<i32> {
        self.0.invalidate_after_secs
    }
    /// IANA time zone of the schedules.
    async fn scheduling_timezone(&self) -> &str {
        &self.0.scheduling_timezone
    }
    /// Whether new prebuilds are still created for it.
    async fn prebuild_status(&self) -> PrebuildStatus {
        match preset_snapshot::PrebuildStatus::parse(&self.0.prebuild_status) {
            preset_snapshot::PrebuildStatus::Healthy => PrebuildStatus::Healthy,
            preset_snapshot::PrebuildStatus::HardLimited => PrebuildStatus::HardLimited,
        }
    }
    /// Its prebuilt workspaces now; null when the preset has no prebuilds.
    async fn prebuilds(&self) -> Option<PresetPrebuildCounts> {
        self.2.map(|s| PresetPrebuildCounts {
            desired: s.desired,
            running: s.actual,
            eligible: s.eligible,
            starting: s.starting,
            deleting: s.deleting,
        })
    }
    /// Schedules, first match wins.
    async fn schedules(&self) -> Vec<PrebuildSchedule> {
        self.1
            .iter()
            .map(|s| PrebuildSchedule {
                cron: s.cron_expression.clone(),
                instances: s.desired_instances,
            })
            .collect()
    }
}

/// An uploaded source archive.
pub struct File(pub crate::entity::file::Model);

/// An uploaded source archive.
#[Object]
impl File {
    /// Unique id; pass it as `fileId`.
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// Hex SHA-256 of the content.
    async fn hash(&self) -> &str {
        &self.0.hash
    }
    /// Media type.
    async fn mimetype(&self) -> &str {
        &self.0.mimetype
    }
    /// Size in bytes.
    async fn size(&self) -> i32 {
        i32::try_from(self.0.data.len()).unwrap_or(i32::MAX)
    }
    /// When it was uploaded (first).
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
