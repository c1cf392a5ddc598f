//! Prebuilt workspaces: workspaces the prebuilds system user keeps running for a template
//! preset so that a developer who asks for one gets it at once. A pure core turns a snapshot
//! of one preset into its state and the actions that close the gap; the reconciler loads the
//! snapshot and performs the actions through the workspace builder; a claim hands a ready
//! prebuild to a user; an admin can pause the whole loop.

pub mod membership;
pub mod metrics;
pub mod preset_snapshot;
pub mod preset_states;
pub mod reconciler;
pub mod settings;
pub mod snapshot;
