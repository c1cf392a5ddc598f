//! Parse-don't-validate checks for identity inputs. Each returns the cleaned value or a
//! [`FieldError`] for the named field, so callers can collect every problem at once.

use super::FieldError;
use crate::domain::text;

/// Usernames, organization and group names: Coder's rules (1-32 characters, letters,
/// digits and single hyphens, no hyphen at either end).
pub fn name(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.len() <= 32
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !value.starts_with('-')
        && !value.ends_with('-')
        && !value.contains("--");
    if !valid {
        errors.push(FieldError::new(
            field,
            "must be 1-32 letters, digits or single hyphens, not starting or ending with a hyphen",
        ));
    }
    value.to_owned()
}

/// Email addresses, stored as given but compared case-insensitively.
pub fn email(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.chars().count() > text::EMAIL {
        text::check(field, value, text::EMAIL, errors);
    } else if !email_address::EmailAddress::is_valid(value) {
        errors.push(FieldError::new(field, "must be a valid email address"));
    }
    value.to_owned()
}

/// Passwords: at least 8 characters, at most 256 (argon2 input stays bounded).
pub fn password(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    let len = value.chars().count();
    if len < 8 {
        errors.push(FieldError::new(field, "must be at least 8 characters"));
    } else if len > 256 {
        errors.push(FieldError::new(field, "must be at most 256 characters"));
    }
}

/// Free-text display names: at most 128 characters.
pub fn display_name(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    text::check(field, value, text::DISPLAY_NAME, errors);
    value.to_owned()
}

/// Free-text descriptions: at most 1024 characters.
pub fn description(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    text::check(field, value, text::DESCRIPTION, errors);
    value.to_owned()
}

/// Avatar and icon URLs: empty, or an absolute http(s) URL.
pub fn avatar_url(field: &str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.is_empty() {
        return String::new();
    }
    let before = errors.len();
    text::check(field, value, text::URL, errors);
    if errors.len() > before {
        return value.to_owned();
    }
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => url.to_string(),
        _ => {
            errors.push(FieldError::new(
                field,
                "must be an absolute http or https URL",
            ));
            value.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errs<T>(f: impl FnOnce(&mut Vec<FieldError>) -> T) -> usize {
        let mut errors = Vec::new();
        f(&mut errors);
        errors.len()
    }

    #[test]
    fn names() {
        for ok in ["alice", "a", "dev-team-1", "ABC"] {
            assert_eq!(errs(|e| name("n", ok, e)), 0, "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "a b", "a_b", &"x".repeat(33)] {
            assert_eq!(errs(|e| name("n", bad, e)), 1, "{bad}");
        }
    }

    #[test]
    fn avatar_urls() {
        for ok in ["", "https://example.com/a.png", "http://x.io"] {
            assert_eq!(errs(|e| avatar_url("a", ok, e)), 0, "{ok}");
        }
        for bad in [
            "example.com/a.png",
            "/a.png",
            "ftp://x.io/a",
            "javascript:alert(1)",
            "https://",
        ] {
            assert_eq!(errs(|e| avatar_url("a", bad, e)), 1, "{bad}");
        }
    }

    #[test]
    fn emails_and_passwords() {
        assert_eq!(errs(|e| email("e", "a@b.co", e)), 0);
        assert_eq!(errs(|e| email("e", "not-an-email", e)), 1);
        assert_eq!(
            errs(|e| email("e", &format!("{}@b.co", "a".repeat(300)), e)),
            1
        );
        assert_eq!(errs(|e| display_name("d", "a\0b", e)), 1);
        assert_eq!(errs(|e| description("d", &"x".repeat(1025), e)), 1);
        assert_eq!(
            errs(|e| avatar_url("a", &format!("https://x.io/{}", "a".repeat(3000)), e)),
            1
        );
        assert_eq!(errs(|e| password("p", "short", e)), 1);
        assert_eq!(errs(|e| password("p", "long enough", e)), 0);
    }
}
