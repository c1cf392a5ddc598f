//! The deployment-wide prebuild settings (whether reconciliation is paused).

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::entity::site_config;

/// The settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
pub struct PrebuildsSettings {
    /// Whether reconciliation is paused.
    #[serde(default)]
    pub reconciliation_paused: bool,
}

/// Reads the settings; missing means defaults.
pub async fn load(db: &impl ConnectionTrait) -> Result<PrebuildsSettings, DbErr> {
    let row = site_config::Entity::find_by_id("prebuilds_settings".to_owned())
        .one(db)
        .await?;
    Ok(row
        .and_then(|r| serde_json::from_value(r.value).ok())
        .unwrap_or_default())
}
