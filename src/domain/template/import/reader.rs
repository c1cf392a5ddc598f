//! Typed access to one block's attributes and nested blocks, collecting every problem as an
//! `ImportError` instead of stopping at the first, so an author sees all of them at once.

use hcl::edit::Span;
use hcl::edit::structure::{Block, Body};
use serde::de::DeserializeOwned;

use super::error::ImportError;
use super::scope::Scope;
use super::source::ParsedFile;
use super::value::Value;

/// A block being read, with its Terraform-style address (`data.coder_parameter.region`, or
/// `data.coder_parameter.region.validation` for a nested block) to name attributes in errors.
pub(super) struct BlockReader<'a> {
    file: &'a ParsedFile<'a>,
    scope: &'a Scope<'a>,
    body: &'a Body,
    address: String,
    line: usize,
}

impl<'a> BlockReader<'a> {
    /// A reader for a top-level block.
    pub fn new(
        file: &'a ParsedFile<'a>,
        scope: &'a Scope<'a>,
        block: &'a Block,
        address: String,
    ) -> Self {
        Self {
            file,
            scope,
            body: &block.body,
            address,
            line: file.line(block.span()),
        }
    }

    /// A reader for a block nested in this one.
    pub fn nested(&self, block: &'a Block) -> Self {
        Self {
            file: self.file,
            scope: self.scope,
            body: &block.body,
            address: format!("{}.{}", self.address, block.ident.as_str()),
            line: self.file.line(block.span()),
        }
    }

    /// The path of the block's file.
    pub fn path(&self) -> &'a str {
        self.file.path
    }

    /// The line of an attribute, or of the block when the attribute is absent.
    pub fn line_of(&self, key: &str) -> usize {
        self.body
            .get_attribute(key)
            .map_or(self.line, |attr| self.file.line(attr.span()))
    }

    /// Records an error on `key` (an attribute or nested block name) at `line`.
    pub fn error(&self, errors: &mut Vec<ImportError>, key: &str, line: usize, message: String) {
        errors.push(ImportError {
            file: self.file.path.to_owned(),
            line,
            attribute: format!("{}.{key}", self.address),
            message,
        });
    }

    /// The value of `key`, with the line to blame for a conversion error; `null` counts as
    /// absent, as in Terraform.
    fn value(&self, key: &str, errors: &mut Vec<ImportError>) -> Option<(Value, usize)> {
        // The parser already refuses an attribute set twice in one body.
        let attr = self.body.get_attribute(key)?;
        let line = self.file.line(attr.span());
        match self.scope.eval(self.file, &attr.value) {
            Ok(Value::Null) => None,
            Ok(value) => Some((value, line)),
            Err(err) => {
                let line = match self.file.line(err.span) {
                    0 => line,
                    at => at,
                };
                self.error(errors, key, line, err.message);
                None
            }
        }
    }

    /// Reads `key` and converts it, recording a conversion failure.
    fn convert<T>(
        &self,
        key: &str,
        errors: &mut Vec<ImportError>,
        convert: impl FnOnce(Value) -> Result<T, String>,
    ) -> Option<T> {
        let (value, line) = self.value(key, errors)?;
        convert(value)
            .map_err(|message| self.error(errors, key, line, message))
            .ok()
    }

    /// Records that a required attribute is missing.
    pub fn missing(&self, key: &str, errors: &mut Vec<ImportError>) {
        self.error(errors, key, self.line, "is required".to_owned());
    }

    /// A string attribute.
    pub fn text(&self, key: &str, errors: &mut Vec<ImportError>) -> Option<String> {
        self.convert(key, errors, Value::into_text)
    }

    /// A string attribute that must be present.
    pub fn required_text(&self, key: &str, errors: &mut Vec<ImportError>) -> Option<String> {
        self.required(key, errors, Self::text)
    }

    /// A bool attribute; absent is false, as every bool of the provider defaults to false.
    pub fn flag(&self, key: &str, errors: &mut Vec<ImportError>) -> bool {
        self.convert(key, errors, Value::into_bool).unwrap_or(false)
    }

    /// A whole-number attribute that must fit `T`.
    pub fn integer<T: TryFrom<i64>>(&self, key: &str, errors: &mut Vec<ImportError>) -> Option<T> {
        self.convert(key, errors, |value| {
            let n = value.into_integer()?;
            T::try_from(n).map_err(|_| format!("{n} is out of range"))
        })
    }

    /// A whole-number attribute that must be present.
    pub fn required_integer<T: TryFrom<i64>>(
        &self,
        key: &str,
        errors: &mut Vec<ImportError>,
    ) -> Option<T> {
        self.required(key, errors, Self::integer)
    }

    /// A parameter value (string, number, bool, or a list as JSON text).
    pub fn parameter_value(&self, key: &str, errors: &mut Vec<ImportError>) -> Option<String> {
        self.convert(key, errors, Value::into_parameter_value)
    }

    /// A string attribute from a closed set, decoded through the type's serde names so the
    /// accepted spellings are exactly the stored ones; `expected` lists them for the message.
    pub fn choice<T: DeserializeOwned>(
        &self,
        key: &str,
        expected: &str,
        errors: &mut Vec<ImportError>,
    ) -> Option<T> {
        self.convert(key, errors, |value| {
            let text = value.into_text()?;
            serde_json::from_value(serde_json::Value::String(text.clone()))
                .map_err(|_| format!("unknown value {text:?}; expected one of {expected}"))
        })
    }

    /// An object attribute, as key-value pairs; each value converted with `convert`.
    pub fn map(
        &self,
        key: &str,
        errors: &mut Vec<ImportError>,
        convert: impl Fn(Value) -> Result<String, String>,
    ) -> Vec<(String, String)> {
        let Some((value, line)) = self.value(key, errors) else {
            return Vec::new();
        };
        let Value::Object(fields) = value else {
            let message = "expected an object of name = value".to_owned();
            self.error(errors, key, line, message);
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for (name, value) in fields {
            match convert(value) {
                Ok(value) => pairs.push((name, value)),
                Err(message) => self.error(errors, key, line, format!("{name}: {message}")),
            }
        }
        pairs
    }

    /// The nested blocks named `ident`, in source order.
    pub fn blocks(&self, ident: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.body.get_blocks(ident)
    }

    /// The nested block `ident`, which may appear at most once.
    pub fn single_block(&self, ident: &'a str, errors: &mut Vec<ImportError>) -> Option<&'a Block> {
        let mut found = self.blocks(ident);
        let first = found.next()?;
        for again in found {
            let message = format!(
                "only one `{ident}` block is allowed (first at line {})",
                self.file.line(first.span())
            );
            self.error(errors, ident, self.file.line(again.span()), message);
        }
        Some(first)
    }

    /// Refuses `dynamic` blocks: their content depends on a `for_each` the import cannot
    /// evaluate, and silently dropping them would import a different definition.
    pub fn reject_dynamic_blocks(&self, errors: &mut Vec<ImportError>) {
        for block in self.blocks("dynamic") {
            let label = block.labels.first().map_or("", |label| label.as_str());
            let message =
                format!("dynamic blocks are not supported; write the `{label}` blocks out");
            self.error(errors, "dynamic", self.file.line(block.span()), message);
        }
    }

    /// Reads `key` with `read`, recording it as missing when absent or null.
    pub fn required<T>(
        &self,
        key: &str,
        errors: &mut Vec<ImportError>,
        read: impl FnOnce(&Self, &str, &mut Vec<ImportError>) -> Option<T>,
    ) -> Option<T> {
        let before = errors.len();
        let value = read(self, key, errors);
        // Absent and `null` are both missing; a value that failed has its own error already.
        if value.is_none() && errors.len() == before {
            self.missing(key, errors);
        }
        value
    }
}
