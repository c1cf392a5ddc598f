//! The Terraform import: parses a version's `.tf` files for parameters, presets, agents and
//! the AI task.
