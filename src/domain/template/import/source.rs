//! One parsed `.tf` file: its HCL body (with byte spans, from hcl-edit) and the table that turns
//! byte offsets into line numbers for error messages.

use std::ops::Range;

use hcl::edit::structure::Body;

/// A `.tf` file whose HCL parsed.
pub(super) struct ParsedFile<'a> {
    /// The path as uploaded.
    pub path: &'a str,
    /// The file's text; errors quote expressions from it.
    pub text: &'a str,
    /// The parsed body; every node carries its byte span into `text`.
    pub body: Body,
    /// Byte offset where each line starts; `line_starts[0]` is 0.
    line_starts: Vec<usize>,
}

impl<'a> ParsedFile<'a> {
    /// Parses `text`; a syntax error comes back as its 1-based line and message.
    pub fn parse(path: &'a str, text: &'a str) -> Result<Self, (usize, String)> {
        let body = hcl::edit::parser::parse_body(text)
            .map_err(|err| (err.location().line(), err.message().to_owned()))?;
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(offset, _)| offset + 1))
            .collect();
        Ok(Self {
            path,
            text,
            body,
            line_starts,
        })
    }

    /// The 1-based line of a span's start. Spans are always set on nodes the parser produced;
    /// a missing one (impossible here) reads as line 0, "unknown".
    pub fn line(&self, span: Option<Range<usize>>) -> usize {
        match span {
            // partition_point counts the lines starting at or before the offset.
            Some(span) => self
                .line_starts
                .partition_point(|&start| start <= span.start),
            None => 0,
        }
    }

    /// The source text of a span, trimmed, for quoting in messages.
    pub fn snippet(&self, span: Option<Range<usize>>) -> &'a str {
        span.and_then(|span| self.text.get(span))
            .map_or("", str::trim)
    }
}
