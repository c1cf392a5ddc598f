//! devplane's database migrations, one file per migration, oldest first.
//!
//! Every migration runs on both SQLite and PostgreSQL. Tables and columns are named with
//! plain identifiers here rather than the server's entities, so that an old migration is
//! frozen against later edits of the entities (and so this crate does not depend on the
//! server crate).

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_identity;
mod m20261129_000002_templates_workspaces;
mod m20261129_000003_provisioner_keys;
mod m20261129_000004_licenses;
mod m20261129_000005_connection_logs;
mod m20261201_000001_provisioner_job_heartbeats;
mod m20261202_000001_prebuild_indexes;
mod m20261202_000002_quota_costs;
mod m20261203_000001_connection_log_filter_indexes;
mod m20261204_000001_audit_log_search;

/// The fixed id of the prebuilds system user, created by the first migration.
pub const PREBUILDS_SYSTEM_USER_ID: &str = "c42fdf75-3097-471c-8c33-fb52454d81c0";

/// The list of migrations, applied in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_identity::Migration),
            Box::new(m20261129_000002_templates_workspaces::Migration),
            Box::new(m20261129_000003_provisioner_keys::Migration),
            Box::new(m20261129_000004_licenses::Migration),
            Box::new(m20261129_000005_connection_logs::Migration),
            Box::new(m20261201_000001_provisioner_job_heartbeats::Migration),
            Box::new(m20261202_000001_prebuild_indexes::Migration),
            Box::new(m20261202_000002_quota_costs::Migration),
            Box::new(m20261203_000001_connection_log_filter_indexes::Migration),
            Box::new(m20261204_000001_audit_log_search::Migration),
        ]
    }
}
