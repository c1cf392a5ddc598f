//! The workspace search string: `owner:alice template:web name:dev status:running`, bare
//! words matching names, `owner:me` for the caller. Every bad term is reported at once.

use crate::domain::{FieldError, text};

/// A workspace's state, derived from its latest build and that build's job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkspaceStatus {
    /// The build waits for a provisioner.
    Pending,
    /// A start is running.
    Starting,
    /// Started.
    Running,
    /// A stop is running.
    Stopping,
    /// Stopped.
    Stopped,
    /// The latest build failed.
    Failed,
    /// A cancel was asked.
    Canceling,
    /// The latest build was canceled.
    Canceled,
    /// A delete is running.
    Deleting,
    /// Deleted.
    Deleted,
}

impl WorkspaceStatus {
    /// Every status, for parsing and listing.
    pub const ALL: [WorkspaceStatus; 10] = [
        WorkspaceStatus::Pending,
        WorkspaceStatus::Starting,
        WorkspaceStatus::Running,
        WorkspaceStatus::Stopping,
        WorkspaceStatus::Stopped,
        WorkspaceStatus::Failed,
        WorkspaceStatus::Canceling,
        WorkspaceStatus::Canceled,
        WorkspaceStatus::Deleting,
        WorkspaceStatus::Deleted,
    ];

    /// The lowercase name used in filters.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceStatus::Pending => "pending",
            WorkspaceStatus::Starting => "starting",
            WorkspaceStatus::Running => "running",
            WorkspaceStatus::Stopping => "stopping",
            WorkspaceStatus::Stopped => "stopped",
            WorkspaceStatus::Failed => "failed",
            WorkspaceStatus::Canceling => "canceling",
            WorkspaceStatus::Canceled => "canceled",
            WorkspaceStatus::Deleting => "deleting",
            WorkspaceStatus::Deleted => "deleted",
        }
    }
}

/// A parsed workspace filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceFilter {
    /// Owner username (`me` already replaced by the caller's).
    pub owner: Option<String>,
    /// Template name.
    pub template: Option<String>,
    /// Substring of the workspace name (case-insensitive).
    pub name: Option<String>,
    /// Status of the latest build.
    pub status: Option<WorkspaceStatus>,
}

/// Parses `filter`; `me` in `owner:` is the caller's username.
pub fn parse_filter(filter: &str, me: &str) -> Result<WorkspaceFilter, Vec<FieldError>> {
    let mut parsed = WorkspaceFilter::default();
    let mut errors = Vec::new();
    text::check("filter", filter, text::FILTER, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut names = Vec::new();
    for term in filter.split_whitespace() {
        let Some((key, value)) = term.split_once(':') else {
            names.push(term.to_owned());
            continue;
        };
        if key.is_empty() {
            errors.push(FieldError::new(
                "filter",
                format!("Query element {term:?} has an empty key"),
            ));
            continue;
        }
        if value.is_empty() {
            errors.push(FieldError::new(
                key,
                format!("Query element {term:?} has an empty value"),
            ));
            continue;
        }
        match key {
            "owner" => {
                parsed.owner = Some(if value == "me" {
                    me.to_owned()
                } else {
                    value.to_owned()
                })
            }
            "template" => parsed.template = Some(value.to_owned()),
            "name" => names.push(value.to_owned()),
            "status" => match WorkspaceStatus::ALL
                .iter()
                .find(|s| s.as_str() == value.to_lowercase())
            {
                Some(status) => parsed.status = Some(*status),
                None => errors.push(FieldError::new(
                    "status",
                    format!(
                        "{value:?} is not a valid status; use one of {}",
                        WorkspaceStatus::ALL.map(WorkspaceStatus::as_str).join(", ")
                    ),
                )),
            },
            other => errors.push(FieldError::new(
                other,
                format!("{other:?} is not a valid query param"),
            )),
        }
    }
    if names.len() > 1 {
        errors.push(FieldError::new("name", "only one name may be given"));
    }
    parsed.name = names.pop();
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys_and_me() {
        let f = parse_filter("owner:me template:web status:Running dev", "alice").expect("valid");
        assert_eq!(
            f,
            WorkspaceFilter {
                owner: Some("alice".into()),
                template: Some("web".into()),
                name: Some("dev".into()),
                status: Some(WorkspaceStatus::Running)
            }
        );
        assert_eq!(
            parse_filter("", "a").expect("empty is fine"),
            WorkspaceFilter::default()
        );
    }

    #[test]
    fn reports_every_bad_term() {
        let errors = parse_filter("color:red status:sleeping owner:", "a").expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["color", "status", "owner"]);
        let errors = parse_filter(":x", "a").expect_err("invalid");
        assert_eq!(
            errors,
            [FieldError::new(
                "filter",
                "Query element \":x\" has an empty key"
            )]
        );
    }

    #[test]
    fn refuses_long_filters_and_nul() {
        let errors = parse_filter(&"x".repeat(1025), "a").expect_err("too long");
        assert_eq!(
            errors,
            [FieldError::new("filter", "must be at most 1024 characters")]
        );
        assert!(parse_filter("name:a\0b", "a").is_err());
    }
}
