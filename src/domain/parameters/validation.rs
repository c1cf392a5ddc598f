//! The `validation` block: the rules the block itself must follow for the parameter's type,
//! and the check of one value against it (the provider's `Validation.Valid`).

use regex::Regex;

use super::check::parse_string_list;
use super::{Monotonic, ParameterType, ParameterValidation};
use crate::domain::go_quote::go_quote;

/// Why the block does not fit the type, whatever the value: the provider reports only the
/// first problem, in this order.
pub(crate) fn block_rule_error(v: &ParameterValidation, kind: ParameterType) -> Option<String> {
    let type_name = kind.as_str();
    if kind != ParameterType::Number {
        if v.min.is_some() {
            return Some(format!("a min cannot be specified for a {type_name} type"));
        }
        if v.max.is_some() {
            return Some(format!("a max cannot be specified for a {type_name} type"));
        }
        if v.monotonic.is_some() {
            return Some(format!(
                "monotonic validation can only be specified for number types, not {type_name} types"
            ));
        }
    }
    let regex = regex_of(v)?;
    if kind != ParameterType::String {
        return Some(format!(
            "a regex cannot be specified for a {type_name} type"
        ));
    }
    if let Err(err) = Regex::new(regex) {
        return Some(format!("compile regex {}: {err}", go_quote(regex)));
    }
    if v.error.is_empty() {
        return Some("an error must be specified with a regex validation".to_owned());
    }
    None
}

/// The provider's regex, where an empty one means none.
fn regex_of(v: &ParameterValidation) -> Option<&str> {
    v.regex.as_deref().filter(|r| !r.is_empty())
}

/// Why `value` fails the block, if it does. `previous` is the last build's value, for the
/// monotonic rule; without it monotonicity is not checked.
pub(crate) fn validation_error(
    v: &ParameterValidation,
    kind: ParameterType,
    value: &str,
    previous: Option<&str>,
) -> Option<String> {
    if let Some(err) = block_rule_error(v, kind) {
        return Some(err);
    }
    match kind {
        ParameterType::Bool => (value != "true" && value != "false")
            .then(|| r#"boolean value can be either "true" or "false""#.to_owned()),
        ParameterType::String => {
            let pattern = regex_of(v)?;
            // block_rule_error has compiled it once already; a failure here cannot happen,
            // and reporting it again is the honest fallback.
            match Regex::new(pattern) {
                Ok(re) if re.is_match(value) => None,
                Ok(_) => Some(format!(
                    "{} (value {} does not match {})",
                    v.error,
                    go_quote(value),
                    go_quote(pattern)
                )),
                Err(err) => Some(format!("compile regex {}: {err}", go_quote(pattern))),
            }
        }
        ParameterType::Number => number_error(v, value, previous),
        ParameterType::ListString => parse_string_list(value)
            .is_err()
            .then(|| format!("value {} is not valid list of strings", go_quote(value))),
    }
}

/// The number rules. The value must be an integer (Go's `Atoi`); the block's `error`, when
/// set, replaces the parse and range messages but not the monotonic one.
fn number_error(v: &ParameterValidation, value: &str, previous: Option<&str>) -> Option<String> {
    let rendered = |plain: String| {
        if v.error.is_empty() {
            plain
        } else {
            render_error(v, value)
        }
    };
    let Ok(num) = value.parse::<i64>() else {
        return Some(rendered(format!(
            "value {} is not a number",
            go_quote(value)
        )));
    };
    if let Some(min) = v.min.filter(|min| num < *min) {
        return Some(rendered(format!(
            "value {num} is less than the minimum {min}"
        )));
    }
    if let Some(max) = v.max.filter(|max| num > *max) {
        return Some(rendered(format!(
            "value {num} is more than the maximum {max}"
        )));
    }
    let (Some(monotonic), Some(previous)) = (v.monotonic, previous) else {
        return None;
    };
    // An unparsable previous value is ignored, as the provider does: failing on it would
    // leave the workspace in a state the user cannot repair.
    let previous: i64 = previous.parse().ok()?;
    match monotonic {
        Monotonic::Increasing if num < previous => Some(format!(
            "parameter value '{num}' must be equal or greater than previous value: {previous}"
        )),
        Monotonic::Decreasing if num > previous => Some(format!(
            "parameter value '{num}' must be equal or lower than previous value: {previous}"
        )),
        _ => None,
    }
}

/// The block's `error` with `{min}`, `{max}` and `{value}` substituted; an absent bound is
/// written as 0, as the provider does.
fn render_error(v: &ParameterValidation, value: &str) -> String {
    let min = v.min.unwrap_or(0).to_string();
    let max = v.max.unwrap_or(0).to_string();
    // One pass over the template, so that a substituted value containing `{min}` is left as
    // it is (Go's strings.Replacer behaves the same way).
    let mut out = String::with_capacity(v.error.len());
    let mut rest = v.error.as_str();
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix("{min}") {
            out.push_str(&min);
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("{max}") {
            out.push_str(&max);
            rest = tail;
        } else if let Some(tail) = rest.strip_prefix("{value}") {
            out.push_str(value);
            rest = tail;
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                out.push(c);
            }
            rest = chars.as_str();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers(min: Option<i64>, max: Option<i64>, error: &str) -> ParameterValidation {
        ParameterValidation {
            min,
            max,
            error: error.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_error_template_substitutes_once() {
        let v = numbers(Some(1), None, "{value} not in {min}-{max} ({min})");
        assert_eq!(render_error(&v, "{max}"), "{max} not in 1-0 (1)");
    }

    #[test]
    fn a_template_replaces_the_parse_message() {
        let v = numbers(Some(1), Some(3), "bad {value}");
        assert_eq!(
            validation_error(&v, ParameterType::Number, "1.5", None).as_deref(),
            Some("bad 1.5")
        );
    }

    #[test]
    fn the_monotonic_message_is_never_templated() {
        let v = ParameterValidation {
            monotonic: Some(Monotonic::Increasing),
            error: "custom".into(),
            ..Default::default()
        };
        assert_eq!(
            validation_error(&v, ParameterType::Number, "5", Some("10")).as_deref(),
            Some("parameter value '5' must be equal or greater than previous value: 10")
        );
        assert_eq!(
            validation_error(&v, ParameterType::Number, "5", Some("ten")),
            None
        );
    }

    #[test]
    fn block_rules_come_in_the_providers_order() {
        let v = ParameterValidation {
            min: Some(1),
            max: Some(2),
            regex: Some("x".into()),
            ..Default::default()
        };
        assert_eq!(
            block_rule_error(&v, ParameterType::Bool).as_deref(),
            Some("a min cannot be specified for a bool type")
        );
        let v = ParameterValidation {
            monotonic: Some(Monotonic::Decreasing),
            ..Default::default()
        };
        assert_eq!(
            block_rule_error(&v, ParameterType::Bool).as_deref(),
            Some("monotonic validation can only be specified for number types, not bool types")
        );
        let v = ParameterValidation {
            regex: Some("(".into()),
            error: "e".into(),
            ..Default::default()
        };
        let err = block_rule_error(&v, ParameterType::String).expect("bad regex");
        assert!(err.starts_with(r#"compile regex "(": "#), "{err}");
    }
}
