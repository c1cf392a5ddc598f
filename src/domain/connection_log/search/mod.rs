//! The connection-log search string (`q`): Coder's `key:value` language parsed into a typed
//! [`ConnectionLogFilter`], with Coder's validation texts, so that saved searches and URLs
//! carry over unchanged and clients see the same errors.
//!
//! Parsing is pure. The two things that need the database or the caller stay outside: an
//! organization given by name ([`OrganizationRef::Name`]) is resolved by the caller, who must
//! apply RBAC and report [`organization_not_found`] when it fails; `me`
//! ([`UserRef::Me`]) is replaced by the caller's user id.
//!
//! The language (docs/rules/connection-log.md): the whole query is lower-cased, split on
//! spaces outside double quotes into `key:value` elements (the tokeniser of
//! [`crate::domain::search`]), and each of the
//! eleven keys may appear once; an empty value is the same as leaving the key out. There is no
//! free text. Values that contain `:`, such as timestamps, must be quoted:
//! `connected_after:"2023-01-01T00:00:00Z"`.

#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use uuid::Uuid;

use crate::domain::FieldError;
use crate::domain::go_quote::go_quote;
pub use crate::domain::search::{InvalidValue, OrganizationRef, UserRef, organization_not_found};
use crate::domain::search::{SearchTerms, parse_enum, parse_uuid, report_unknown_keys, tokenise};

/// Where free text goes. Connection logs have no free-text search, so anything filed here is
/// reported as an unknown key, as Coder does.
const FREE_TEXT_KEY: &str = "search";

/// The keys we understand, in the order Coder parses them, which is the order their errors are
/// reported in.
const KEYS: [&str; 11] = [
    "organization",
    "workspace_owner",
    "workspace_owner_email",
    "type",
    "username",
    "user_email",
    "connected_after",
    "connected_before",
    "workspace_id",
    "connection_id",
    "status",
];

/// Go's `time.RFC3339Nano` layout, quoted in timestamp errors exactly as Coder prints it.
const RFC3339_NANO_LAYOUT: &str = "2006-01-02T15:04:05.999999999Z07:00";

/// What a connection-log search asks for. Every field is an AND-ed condition; `None` means no
/// condition. `ConnectionLogFilter::default()` matches every row the caller may see.
///
/// String values are lower-case: the whole query is lower-cased before parsing, as in Coder.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectionLogFilter {
    /// `organization:`: logs of the workspace's organization.
    pub organization: Option<OrganizationRef>,
    /// `workspace_owner:`: logs of workspaces owned by this user (username matched
    /// case-insensitively; an unknown name matches nothing rather than failing).
    pub workspace_owner: Option<UserRef>,
    /// `workspace_owner_email:`: logs of workspaces owned by the user with this email. Compared
    /// case-insensitively, a deliberate difference from Coder, which lower-cases the query
    /// but then compares emails exactly (so mixed-case stored emails never matched).
    pub workspace_owner_email: Option<String>,
    /// `type:`: the connection type.
    pub connection_type: Option<ConnectionType>,
    /// `username:`: web connections made by this user. Only web rows record a user, so SSH-like
    /// rows never match.
    pub username: Option<UserRef>,
    /// `user_email:`: web connections made by the user with this email; compared
    /// case-insensitively, as for `workspace_owner_email`.
    pub user_email: Option<String>,
    /// `connected_after:`: connected at or after this instant (inclusive).
    pub connected_after: Option<DateTime<Utc>>,
    /// `connected_before:`: connected at or before this instant (inclusive). Not checked
    /// against `connected_after`; an empty range simply matches nothing.
    pub connected_before: Option<DateTime<Utc>>,
    /// `workspace_id:`: logs of this workspace.
    pub workspace_id: Option<Uuid>,
    /// `connection_id:`: the SSH-like session with this id.
    pub connection_id: Option<Uuid>,
    /// `status:`: still open or closed. Web connections have no end, so any status excludes
    /// them.
    pub status: Option<ConnectionStatus>,
}

/// How a client reached a workspace (the `connection_type` database enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionType {
    /// An SSH session, reported by the agent.
    Ssh,
    /// VS Code Desktop over SSH, reported by the agent.
    Vscode,
    /// A JetBrains IDE over SSH, reported by the agent.
    Jetbrains,
    /// The web terminal's reconnecting PTY, reported by the agent.
    ReconnectingPty,
    /// A workspace app opened through coderd (the web terminal included), reported by coderd.
    WorkspaceApp,
    /// A port forwarded through coderd's proxy, reported by coderd.
    PortForwarding,
}

impl ConnectionType {
    /// Whether a stored type name is a web type (apps and ports).
    pub fn is_web_str(stored: &str) -> bool {
        stored
            .parse::<ConnectionType>()
            .is_ok_and(ConnectionType::is_web)
    }

    /// Every connection type, in the database enum's order.
    pub const ALL: [Self; 6] = [
        Self::Ssh,
        Self::Vscode,
        Self::Jetbrains,
        Self::ReconnectingPty,
        Self::WorkspaceApp,
        Self::PortForwarding,
    ];

    /// The name used in the database, the API and searches.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ssh => "ssh",
            Self::Vscode => "vscode",
            Self::Jetbrains => "jetbrains",
            Self::ReconnectingPty => "reconnecting_pty",
            Self::WorkspaceApp => "workspace_app",
            Self::PortForwarding => "port_forwarding",
        }
    }

    /// Whether coderd records this type from HTTP requests ("web") rather than the agent
    /// ("SSH-like"). Web rows carry a user, user agent, slug/port and HTTP status, never a
    /// connection id or an end, which is why `status:` excludes them.
    pub fn is_web(self) -> bool {
        matches!(self, Self::WorkspaceApp | Self::PortForwarding)
    }
}

impl fmt::Display for ConnectionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConnectionType {
    type Err = InvalidValue;

    /// Exact, case-sensitive names, as the database enum.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| InvalidValue(s.to_owned()))
    }
}

/// Whether a connection is still open: the `status:` filter (codersdk's
/// `ConnectionLogStatus`), an API-level enum with no database column behind it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionStatus {
    /// No disconnect seen yet.
    Ongoing,
    /// A disconnect was recorded.
    Completed,
}

impl ConnectionStatus {
    /// Both statuses.
    pub const ALL: [Self; 2] = [Self::Ongoing, Self::Completed];

    /// The name used in the API and searches.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ongoing => "ongoing",
            Self::Completed => "completed",
        }
    }
}

impl fmt::Display for ConnectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConnectionStatus {
    type Err = InvalidValue;

    /// Exact, case-sensitive names.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s)
            .ok_or_else(|| InvalidValue(s.to_owned()))
    }
}

/// Parses a connection-log search string into a filter.
///
/// On failure, returns every problem as `{field, detail}` with Coder's texts: one error per
/// bad key in the order of [`ConnectionLogFilter`]'s fields, then one per unknown key in the
/// order written. A malformed element (`:foo`, `type:ssh:x`) is reported alone, on field `q`.
/// Never panics.
pub fn parse_search_query(q: &str) -> Result<ConnectionLogFilter, Vec<FieldError>> {
    let (filter, errors) = parse_search_query_partially(q);
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(errors)
    }
}

/// Like [`parse_search_query`], but also gives back the filter of the keys that did parse,
/// so a caller that resolves `organization:` names can report an unknown one together with
/// the other errors, in Coder's key order (organization first). After a malformed element
/// the filter is empty.
pub fn parse_search_query_partially(q: &str) -> (ConnectionLogFilter, Vec<FieldError>) {
    let terms = match tokenise(q, FREE_TEXT_KEY) {
        Ok(terms) => terms,
        Err(errors) => return (ConnectionLogFilter::default(), errors),
    };

    let mut errors = Vec::new();
    let e = &mut errors;
    // One statement per key, in Coder's order: the statements' order is the errors' order.
    let organization = terms
        .single("organization", e)
        .map(OrganizationRef::from_value);
    let workspace_owner = terms.single("workspace_owner", e).map(UserRef::from_value);
    let workspace_owner_email = terms.single("workspace_owner_email", e).map(str::to_owned);
    let connection_type = parse_enum(&terms, "type", e);
    let username = terms.single("username", e).map(UserRef::from_value);
    let user_email = terms.single("user_email", e).map(str::to_owned);
    let connected_after = parse_timestamp(&terms, "connected_after", e);
    let connected_before = parse_timestamp(&terms, "connected_before", e);
    let workspace_id = parse_uuid(&terms, "workspace_id", e);
    let connection_id = parse_uuid(&terms, "connection_id", e);
    let status = parse_enum(&terms, "status", e);

    report_unknown_keys(&terms, &KEYS, &mut errors);

    let filter = ConnectionLogFilter {
        organization,
        workspace_owner,
        workspace_owner_email,
        connection_type,
        username,
        user_email,
        connected_after,
        connected_before,
        workspace_id,
        connection_id,
        status,
    };
    (filter, errors)
}

impl ConnectionLogFilter {
    /// The search string for this filter, in the fields' order, with string values and
    /// timestamps quoted: `type:ssh connected_after:"2023-01-01T00:00:00Z"`.
    ///
    /// [`parse_search_query`] gives the filter back for every filter it can produce. Values it
    /// cannot produce do not survive the trip: upper-case letters (queries are lower-cased),
    /// a `"` (quotes cannot be escaped), an empty string (means "absent"), a username `me`,
    /// an organization name that parses as a UUID, and timestamps outside years 0-9999 or on
    /// a leap second.
    pub fn to_search_query(&self) -> String {
        let mut parts = Vec::new();
        if let Some(organization) = &self.organization {
            parts.push(match organization {
                OrganizationRef::Id(id) => format!("organization:{id}"),
                OrganizationRef::Name(name) => format!("organization:\"{name}\""),
            });
        }
        if let Some(owner) = &self.workspace_owner {
            parts.push(format!("workspace_owner:{}", owner.to_query_value()));
        }
        if let Some(email) = &self.workspace_owner_email {
            parts.push(format!("workspace_owner_email:\"{email}\""));
        }
        if let Some(connection_type) = self.connection_type {
            parts.push(format!("type:{connection_type}"));
        }
        if let Some(user) = &self.username {
            parts.push(format!("username:{}", user.to_query_value()));
        }
        if let Some(email) = &self.user_email {
            parts.push(format!("user_email:\"{email}\""));
        }
        if let Some(after) = self.connected_after {
            parts.push(format!("connected_after:\"{}\"", format_timestamp(after)));
        }
        if let Some(before) = self.connected_before {
            parts.push(format!("connected_before:\"{}\"", format_timestamp(before)));
        }
        if let Some(id) = self.workspace_id {
            parts.push(format!("workspace_id:{id}"));
        }
        if let Some(id) = self.connection_id {
            parts.push(format!("connection_id:{id}"));
        }
        if let Some(status) = self.status {
            parts.push(format!("status:{status}"));
        }
        parts.join(" ")
    }
}

/// Coder's `QueryParamParser.Time3339Nano`: RFC 3339 with optional fractional seconds,
/// converted to UTC.
fn parse_timestamp(
    terms: &SearchTerms,
    key: &str,
    errors: &mut Vec<FieldError>,
) -> Option<DateTime<Utc>> {
    let value = terms.single(key, errors)?;
    parse_rfc3339(value)
        .map_err(|reason| {
            errors.push(FieldError::new(
                key,
                format!(
                    "Query param {} must be a valid date format ({RFC3339_NANO_LAYOUT}): {reason}",
                    go_quote(key)
                ),
            ));
        })
        .ok()
}

/// Parses one RFC 3339 timestamp as Go's `time.Parse(time.RFC3339Nano, ..)` accepts it, giving
/// chrono's description of what is wrong otherwise.
fn parse_rfc3339(value: &str) -> Result<DateTime<Utc>, String> {
    // The query was lower-cased, but the `T` and `Z` must be upper-case; Coder upper-cases the
    // value back, and so do we.
    let value = value.to_uppercase();
    // chrono also takes a space between date and time (RFC 3339 allows it); Go's layout has a
    // literal `T`, so a quoted "2023-01-01 00:00:00Z" stays an error here as it is in Coder.
    if value.as_bytes().get(10) == Some(&b' ') {
        return Err("input contains invalid characters".to_owned());
    }
    let parsed = DateTime::parse_from_rfc3339(&value).map_err(|err| err.to_string())?;
    // chrono accepts a leap second (`:60`) as a nanosecond count past 10^9; Go refuses it.
    if parsed.nanosecond() >= 1_000_000_000 {
        return Err("input is out of range".to_owned());
    }
    Ok(parsed.with_timezone(&Utc))
}

/// The timestamp form [`ConnectionLogFilter::to_search_query`] writes: RFC 3339 in UTC with
/// as many fractional digits as needed.
fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
