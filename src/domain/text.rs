//! The longest text devplane stores in each kind of field, and the two ways text is checked.
//!
//! Text people send (names, descriptions, URLs, parameter values) is refused when it is too
//! long or holds a NUL character, with a field error saying which and why. Text machines
//! report about what happened (an agent's disconnect reason, a proxy's user agent, a
//! provisioner's error) is cleaned instead: NULs are dropped and the text is cut at its
//! maximum, because refusing it would refuse the whole report and the machine would send the
//! same report again forever. PostgreSQL cannot store NUL in text at all; SQLite could, but
//! both engines are held to the same rule.
//!
//! The limits are in characters and are listed in the README.

use super::FieldError;

/// Email addresses (RFC 5321's limit on a forward path).
pub const EMAIL: usize = 254;
/// Display names of users, organizations, groups and templates.
pub const DISPLAY_NAME: usize = 128;
/// Descriptions of organizations and templates.
pub const DESCRIPTION: usize = 1024;
/// Avatar and icon URLs.
pub const URL: usize = 2048;
/// Template version messages.
pub const VERSION_MESSAGE: usize = 4096;
/// Paths of template source files.
pub const FILE_PATH: usize = 1024;
/// Build parameter names.
pub const PARAMETER_NAME: usize = 128;
/// Build parameter values.
pub const PARAMETER_VALUE: usize = 16 * 1024;
/// Autostart schedules.
pub const SCHEDULE: usize = 256;
/// Search filters (`workspaces`, `connectionLogs`).
pub const FILTER: usize = 1024;
/// License tokens.
pub const LICENSE: usize = 16 * 1024;
/// App slugs or ports of web connections.
pub const SLUG_OR_PORT: usize = 256;
/// Reported disconnect reasons and user agents (cut, not refused).
pub const REPORTED_TEXT: usize = 1024;
/// Errors provisioners report for failed jobs (cut, not refused).
pub const JOB_ERROR: usize = 16 * 1024;

/// Refuses text a person sent that is longer than `max` characters or holds a NUL,
/// adding the reason to `errors` under `field`.
pub fn check(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    if value.contains('\0') {
        errors.push(FieldError::new(field, "must not contain NUL characters"));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// Text a machine reported, as stored: without NULs, cut at `max` characters.
pub fn clean_reported(value: &str, max: usize) -> String {
    value.chars().filter(|c| *c != '\0').take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_are_told_machines_are_cleaned() {
        let mut errors = Vec::new();
        check("name", "fine", 4, &mut errors);
        check("name", "héllo", 5, &mut errors);
        assert!(errors.is_empty());
        check("name", "toolong", 4, &mut errors);
        check("about", "a\0b", 100, &mut errors);
        assert_eq!(
            errors,
            vec![
                FieldError::new("name", "must be at most 4 characters"),
                FieldError::new("about", "must not contain NUL characters"),
            ]
        );
        assert_eq!(clean_reported("a\0b\0c", 10), "abc");
        assert_eq!(
            clean_reported(&"é".repeat(2000), REPORTED_TEXT)
                .chars()
                .count(),
            REPORTED_TEXT
        );
    }
}
