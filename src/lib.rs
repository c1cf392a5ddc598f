//! devplane: a GraphQL control plane for cloud development workspaces.

pub mod authz;
pub mod clock;
pub mod config;
pub mod db;
pub mod telemetry;
