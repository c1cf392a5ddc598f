//! The integration tests: one binary; each test starts the real server on port 0 against a
//! fresh database (SQLite, or PostgreSQL when DEVPLANE_TEST_DATABASE_URL is set) and talks
//! to it over HTTP as a client would.

mod helpers;

mod activity;
mod agent_lifecycle;
mod audit_logs;
mod audit_writing;
mod auth;
mod auth_statements;
mod background_jobs;
mod build_jobs;
mod cli;
mod connection_log_acceptance;
mod connection_log_cases;
mod connection_log_costs;
mod connection_logs;
mod demo;
mod document_limits;
mod fuzz_endpoint;
mod groups;
mod hostile_input;
mod http_hygiene;
mod licenses;
mod lifecycle;
mod login_limits;
mod migrations;
mod organizations;
mod prebuild_permissions;
mod prebuilds;
mod prebuilds_settings;
mod profiling;
mod provisioners;
mod quotas;
mod replicas;
mod role_escalation;
mod schema_sdl;
mod slow_clients;
mod startup;
mod template_schedule;
mod token_revocation;
mod workspaces;
