//! devplane: a GraphQL control plane for cloud development workspaces.

pub mod authz;
pub mod clock;
pub mod config;
pub mod db;
pub mod telemetry;
pub mod entity;
pub mod domain;
pub mod graphql;
pub mod state;
pub mod app;
pub mod http;
