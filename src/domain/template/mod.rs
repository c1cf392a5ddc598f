//! Templates and their versions: sources, the Terraform import, and the file cache.

pub mod import;
