//! The values the import can know without Terraform: HCL literals, and the conversions
//! Terraform applies when such a value meets an attribute's type (a number where a string is
//! expected becomes its decimal text, the string "true" becomes a bool...).

use std::collections::BTreeMap;

use hcl::edit::Number;

/// A known value.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    List(Vec<Value>),
    /// Keys sorted, as Terraform's `jsonencode` orders them.
    Object(BTreeMap<String, Value>),
}

impl Value {
    /// What the value is, for messages ("expected a string, found a list").
    pub fn describe(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::List(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    /// How many values this one holds, itself included: what copying it costs.
    pub fn size(&self) -> usize {
        match self {
            Value::List(items) => 1 + items.iter().map(Value::size).sum::<usize>(),
            Value::Object(fields) => 1 + fields.values().map(Value::size).sum::<usize>(),
            _ => 1,
        }
    }

    /// How many levels of lists and objects the value nests, itself included.
    pub fn depth(&self) -> usize {
        match self {
            Value::List(items) => 1 + items.iter().map(Value::depth).max().unwrap_or(0),
            Value::Object(fields) => 1 + fields.values().map(Value::depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// The JSON form `jsonencode` produces.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => {
                serde_json::Value::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(key, value)| (key.clone(), value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value as a string attribute: Terraform converts numbers and bools to strings
    /// implicitly, so `display_name = 5` is "5".
    pub fn into_text(self) -> Result<String, String> {
        match self {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(format!("expected a string, found {}", other.describe())),
        }
    }

    /// The value as a parameter value (a default, an option value, a preset value): scalars as
    /// `into_text`, and a list as its JSON text because list(string) values travel as JSON.
    pub fn into_parameter_value(self) -> Result<String, String> {
        match self {
            Value::List(_) => Ok(self.to_json().to_string()),
            other => other.into_text(),
        }
    }

    /// The value as a bool attribute; like Terraform, the strings "true" and "false" convert.
    pub fn into_bool(self) -> Result<bool, String> {
        match self {
            Value::Bool(b) => Ok(b),
            Value::String(s) if s == "true" => Ok(true),
            Value::String(s) if s == "false" => Ok(false),
            other => Err(format!("expected a bool, found {}", other.describe())),
        }
    }

    /// The value as a whole number; numeric strings convert, as in Terraform.
    pub fn into_integer(self) -> Result<i64, String> {
        let number = match self {
            Value::Number(n) => n,
            Value::String(s) => {
                let text = s.trim();
                if let Ok(i) = text.parse::<i64>() {
                    return Ok(i);
                }
                text.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .ok_or_else(|| format!("expected a whole number, found the string {s:?}"))?
            }
            other => {
                return Err(format!(
                    "expected a whole number, found {}",
                    other.describe()
                ));
            }
        };
        if let Some(i) = number.as_i64() {
            return Ok(i);
        }
        match number.as_f64() {
            // 3.0 is a whole number; the range check keeps the cast exact.
            Some(f) if f.fract() == 0.0 && f >= i64::MIN as f64 && f < i64::MAX as f64 => {
                Ok(f as i64)
            }
            _ => Err(format!("expected a whole number, found {number}")),
        }
    }
}

fn number_to_json(n: &Number) -> serde_json::Value {
    if let Some(i) = n.as_i64() {
        i.into()
    } else if let Some(u) = n.as_u64() {
        u.into()
    } else {
        // HCL numbers are always finite, so from_f64 only fails on values that cannot occur.
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}
