//! Dates in searches: Coder's `QueryParamParser.Time` with the layout `2006-01-02`, and Go's
//! `time.Parse` for that layout, down to its error texts, which clients see in validation
//! details (`parsing time "2023" as "2006-01-02": cannot parse "" as "-"`).

use chrono::{DateTime, NaiveDate, Utc};

use super::SearchTerms;
use crate::domain::{FieldError, go_quote::go_quote};

/// Go's reference layout for a calendar date, quoted in errors as Coder prints it.
pub const DATE_LAYOUT: &str = "2006-01-02";

/// Coder's `QueryParamParser.Time(values, .., key, "2006-01-02")`: midnight UTC of the date.
pub fn parse_date(
    terms: &SearchTerms,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let value = terms.single(key, errors)?;
    match go_parse_date(value) {
        Ok(date) => Some(date.and_time(chrono::NaiveTime::MIN).and_utc()),
        Err(reason) => {
            errors.push(FieldError::new(
                key,
                format!(
                    "Query param {} must be a valid date format ({DATE_LAYOUT}): {reason}",
                    go_quote(key)
                ),
            ));
            None
        }
    }
}

/// One step of the layout `2006-01-02`, named as Go names it in errors.
#[derive(Clone, Copy)]
enum Element {
    Year,
    Dash,
    Month,
    Day,
}

impl Element {
    fn layout(self) -> &'static str {
        match self {
            Element::Year => "2006",
            Element::Dash => "-",
            Element::Month => "01",
            Element::Day => "02",
        }
    }
}

/// Go's `time.Parse("2006-01-02", value)`, with Go's error text on failure.
///
/// Go reads the layout element by element: four digits for the year, a literal `-`, exactly
/// two digits for the month (then checks 1-12), `-`, two digits for the day; then refuses
/// extra text, and last checks the day against the month's length.
pub fn go_parse_date(value: &str) -> Result<NaiveDate, String> {
    let cannot_parse = |rest: &str, element: Element| {
        format!(
            "parsing time {} as {}: cannot parse {} as {}",
            go_quote(value),
            go_quote(DATE_LAYOUT),
            go_quote(rest),
            go_quote(element.layout())
        )
    };
    let mut rest = value;
    let (mut year, mut month, mut day) = (0, 0, 0);
    for element in [
        Element::Year,
        Element::Dash,
        Element::Month,
        Element::Dash,
        Element::Day,
    ] {
        match element {
            Element::Year => {
                let digits = rest
                    .get(..4)
                    .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
                let Some(digits) = digits else {
                    return Err(cannot_parse(rest, element));
                };
                year = digits
                    .parse::<i32>()
                    .map_err(|_| cannot_parse(rest, element))?;
                rest = &rest[4..];
            }
            Element::Dash => {
                rest = rest
                    .strip_prefix('-')
                    .ok_or_else(|| cannot_parse(rest, element))?;
            }
            Element::Month | Element::Day => {
                let digits = rest
                    .get(..2)
                    .filter(|d| d.bytes().all(|b| b.is_ascii_digit()));
                let Some(digits) = digits else {
                    return Err(cannot_parse(rest, element));
                };
                let number = digits
                    .parse::<u32>()
                    .map_err(|_| cannot_parse(rest, element))?;
                rest = &rest[2..];
                if let Element::Month = element {
                    if !(1..=12).contains(&number) {
                        return Err(format!(
                            "parsing time {}: month out of range",
                            go_quote(value)
                        ));
                    }
                    month = number;
                } else {
                    day = number;
                }
            }
        }
    }
    if !rest.is_empty() {
        return Err(format!(
            "parsing time {}: extra text: {}",
            go_quote(value),
            go_quote(rest)
        ));
    }
    NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| format!("parsing time {}: day out of range", go_quote(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_as_go_parses_them() {
        assert_eq!(
            go_parse_date("2023-01-16"),
            Ok(NaiveDate::from_ymd_opt(2023, 1, 16).expect("date"))
        );
        assert_eq!(
            go_parse_date("2024-02-29"),
            Ok(NaiveDate::from_ymd_opt(2024, 2, 29).expect("date"))
        );
    }

    #[test]
    fn errors_read_as_go_writes_them() {
        let cases = [
            (
                "2023",
                r#"parsing time "2023" as "2006-01-02": cannot parse "" as "-""#,
            ),
            (
                "abc",
                r#"parsing time "abc" as "2006-01-02": cannot parse "abc" as "2006""#,
            ),
            (
                "23-01-01",
                r#"parsing time "23-01-01" as "2006-01-02": cannot parse "23-01-01" as "2006""#,
            ),
            (
                "2023-1-01",
                r#"parsing time "2023-1-01" as "2006-01-02": cannot parse "1-01" as "01""#,
            ),
            (
                "2023/01/01",
                r#"parsing time "2023/01/01" as "2006-01-02": cannot parse "/01/01" as "-""#,
            ),
            (
                "2023-01-1",
                r#"parsing time "2023-01-1" as "2006-01-02": cannot parse "1" as "02""#,
            ),
            (
                "2023-13-01",
                r#"parsing time "2023-13-01": month out of range"#,
            ),
            (
                "2023-00-01",
                r#"parsing time "2023-00-01": month out of range"#,
            ),
            (
                "2023-02-30",
                r#"parsing time "2023-02-30": day out of range"#,
            ),
            (
                "2023-01-00",
                r#"parsing time "2023-01-00": day out of range"#,
            ),
            (
                "2023-01-011",
                r#"parsing time "2023-01-011": extra text: "1""#,
            ),
            (
                "2023-01-01t00:00:00z",
                r#"parsing time "2023-01-01t00:00:00z": extra text: "t00:00:00z""#,
            ),
            (
                "2023-é1-01",
                r#"parsing time "2023-é1-01" as "2006-01-02": cannot parse "é1-01" as "01""#,
            ),
        ];
        for (value, error) in cases {
            assert_eq!(go_parse_date(value), Err(error.to_owned()), "{value}");
        }
    }
}
