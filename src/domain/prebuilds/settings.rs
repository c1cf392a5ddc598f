//! The deployment-wide prebuild settings (whether reconciliation is paused).
