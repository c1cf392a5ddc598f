//! A template's schedule settings as given by a client: checked (every bad value at once)
//! and applied to the stored template.

use sea_orm::ActiveValue::Set;

use super::{Error, Result};
use crate::{
    domain::{
        FieldError,
        license::{FeatureName, service::EntitlementsService},
    },
    entity::template,
};

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
}

impl ScheduleSettings {
    /// The advanced settings this sets away from their defaults (the autostop requirement,
    /// autostart days, turning user autostart or autostop off, failure cleanup, dormancy):
    /// what a deployment needs the advanced template scheduling feature for. Field names as
    /// clients write them.
    pub fn advanced_fields(&self) -> Vec<&'static str> {
        let checks = [
            (
                "autostopRequirementDaysOfWeek",
                self.autostop_requirement_days_of_week
                    .is_some_and(|d| d != 0),
            ),
            (
                "autostopRequirementWeeks",
                self.autostop_requirement_weeks.is_some_and(|w| w > 1),
            ),
            (
                "autostartAllowedDaysOfWeek",
                self.autostart_allowed_days_of_week
                    .is_some_and(|d| d != 127),
            ),
            (
                "allowUserAutostart",
                self.allow_user_autostart == Some(false),
            ),
            ("allowUserAutostop", self.allow_user_autostop == Some(false)),
            ("failureTtlMs", self.failure_ttl_ms.is_some_and(|v| v > 0)),
            (
                "timeTilDormantMs",
                self.time_til_dormant_ms.is_some_and(|v| v > 0),
            ),
            (
                "timeTilDormantAutodeleteMs",
                self.time_til_dormant_autodelete_ms.is_some_and(|v| v > 0),
            ),
        ];
        checks
            .into_iter()
            .filter_map(|(field, set)| set.then_some(field))
            .collect()
    }
}

/// Refuses advanced settings when the deployment is not entitled to them.
pub(super) fn check_entitled(
    settings: &ScheduleSettings,
    entitlements: &EntitlementsService,
) -> Result<()> {
    let fields = settings.advanced_fields();
    if fields.is_empty() {
        return Ok(());
    }
    entitlements
        .require(FeatureName::AdvancedTemplateScheduling)
        .map_err(|source| Error::NotEntitled {
            source,
            fields: fields
                .into_iter()
                .map(|field| {
                    FieldError::new(field, "needs the advanced template scheduling feature")
                })
                .collect(),
        })
}

pub(super) fn check_schedule(s: &ScheduleSettings, errors: &mut Vec<FieldError>) {
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
}

pub(super) fn apply_schedule(active: &mut template::ActiveModel, s: &ScheduleSettings) {
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
}
