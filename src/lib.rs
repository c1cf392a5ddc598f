//! devplane: a GraphQL control plane for cloud development workspaces.

pub mod app;
pub mod authz;
pub mod client;
pub mod clock;
pub mod commands;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod entity;
pub mod graphql;
pub mod http;
pub mod scheduler;
pub mod state;
pub mod telemetry;
