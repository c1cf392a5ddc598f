//! Go's `%q` for strings, because the provider's messages quote values that way and clients
//! compare those texts.

/// Quotes `s` as Go's `strconv.Quote` does for printable text: double quotes around it, with
/// `"` and `\` escaped and control characters written as escapes. Go also escapes the other
/// non-printable Unicode characters; here only the control characters are.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c.is_control() && (c as u32) < 0x80 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::go_quote;

    #[test]
    fn quotes_like_go() {
        assert_eq!(go_quote("c"), r#""c""#);
        assert_eq!(go_quote(r#"["c","x"]"#), r#""[\"c\",\"x\"]""#);
        assert_eq!(go_quote("a\\b\n\u{1}"), r#""a\\b\n\x01""#);
        assert_eq!(go_quote("é"), "\"é\"");
    }
}
