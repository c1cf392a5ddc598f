//! The one place where errors become GraphQL errors with a stable `extensions.code`.
//!
//! [`ApiError`] deliberately does not implement `Display`: async-graphql converts any
//! `Display` error into a response with its text, so a resolver returning
//! `Result<_, ApiError>` cannot leak a database message by a stray `?`. Internal errors are
//! logged here (inside the request's span, which carries the request id) and reach the
//! client as a fixed message.

use async_graphql::ErrorExtensions;

use crate::{
    authz,
    domain::{
        FieldError, audit, connection_log, identity, license, log_paging, paging, prebuilds,
        provisioner, template, workspace,
    },
};

/// Results of resolvers.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;

/// The codes clients can rely on; every error of every response has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No or a bad token.
    Unauthenticated,
    /// Authenticated, but not allowed.
    Forbidden,
    /// No such object (or not visible to the caller).
    NotFound,
    /// The input is invalid; see `validations`.
    BadUserInput,
    /// The request clashes with the current state.
    Conflict,
    /// A bug or an outage; details are in the server log.
    InternalServerError,
    /// The document is not valid GraphQL syntax.
    GraphqlParseFailed,
    /// The document does not fit the schema (unknown field, wrong argument, too deep...).
    GraphqlValidationFailed,
}

impl ErrorCode {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::GraphqlParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
        }
    }
}

/// The message clients see for internal errors.
pub const INTERNAL_MESSAGE: &str =
    "Internal server error. The x-request-id response header identifies it in the server log.";

/// An error on its way to the client.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    validations: Vec<FieldError>,
    /// Further `extensions` entries, such as `retryAfterSeconds`.
    extra: Vec<(&'static str, async_graphql::Value)>,
}

impl ApiError {
    /// An error with a code and a message for the client.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            validations: Vec::new(),
            extra: Vec::new(),
        }
    }

    /// The same error listing fields in `extensions.validations`.
    pub fn with_validations(mut self, validations: Vec<FieldError>) -> Self {
        self.validations = validations;
        self
    }

    /// The same error with one more `extensions` entry.
    pub fn with_extension(
        mut self,
        name: &'static str,
        value: impl Into<async_graphql::Value>,
    ) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    /// An input error listing every invalid field.
    pub fn invalid(message: impl Into<String>, validations: Vec<FieldError>) -> Self {
        Self {
            code: ErrorCode::BadUserInput,
            message: message.into(),
            validations,
            extra: Vec::new(),
        }
    }

    /// A clash with stored values, listing the fields that clashed.
    pub fn conflict(validations: Vec<FieldError>) -> Self {
        Self {
            code: ErrorCode::Conflict,
            message: "A value is already in use.".into(),
            validations,
            extra: Vec::new(),
        }
    }

    /// Logs `cause` and returns the fixed internal error.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        tracing::error!(error = %cause, error.debug = ?cause, "internal error");
        Self::new(ErrorCode::InternalServerError, INTERNAL_MESSAGE)
    }

    /// The "please log in" error.
    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "You must be signed in: send Authorization: Bearer <token>.",
        )
    }

    /// The message for the client.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The GraphQL error, with `extensions.code` and, for input errors, `validations`.
    pub fn into_graphql(self) -> async_graphql::Error {
        let ApiError {
            code,
            message,
            validations,
            extra,
        } = self;
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            for (name, value) in extra {
                ext.set(name, value);
            }
            if !validations.is_empty() {
                let list: Vec<async_graphql::Value> = validations
                    .iter()
                    .map(|v| {
                        let mut obj = async_graphql::indexmap::IndexMap::new();
                        obj.insert(
                            async_graphql::Name::new("field"),
                            async_graphql::Value::from(v.field.clone()),
                        );
                        obj.insert(
                            async_graphql::Name::new("detail"),
                            async_graphql::Value::from(v.detail.clone()),
                        );
                        async_graphql::Value::Object(obj)
                    })
                    .collect();
                ext.set("validations", async_graphql::Value::List(list));
            }
        })
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        err.into_graphql()
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        self.clone().into_graphql()
    }
}

impl From<authz::Forbidden> for ApiError {
    fn from(err: authz::Forbidden) -> Self {
        ApiError::new(
            ErrorCode::Forbidden,
            format!(
                "You may not {} this {}.",
                err.action.as_str(),
                err.resource.as_str().replace('_', " ")
            ),
        )
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(err: sea_orm::DbErr) -> Self {
        ApiError::internal(&err)
    }
}

impl From<identity::Error> for ApiError {
    fn from(err: identity::Error) -> Self {
        use identity::Error as E;
        match err {
            E::Invalid(fields) => ApiError::invalid("The input is invalid.", fields),
            E::Conflict(fields) => ApiError::conflict(fields),
            E::FirstUserExists => ApiError::new(ErrorCode::Conflict, err.to_string()),
            E::Throttled {
                retry_after_seconds,
            } => ApiError::new(ErrorCode::Forbidden, err.to_string())
                .with_extension("retryAfterSeconds", retry_after_seconds),
            E::InvalidCredentials | E::Unauthenticated(_) | E::Suspended => {
                ApiError::new(ErrorCode::Unauthenticated, err.to_string())
            }
            E::Forbidden(forbidden) => forbidden.into(),
            E::NotAssignable(_) | E::OwnRoles | E::SuspendOwner => {
                ApiError::new(ErrorCode::Forbidden, err.to_string())
            }
            E::LastOwner => ApiError::new(ErrorCode::Conflict, err.to_string()),
            E::NotFound(what) => ApiError::new(
                ErrorCode::NotFound,
                format!("The {what} does not exist, or you may not see it."),
            ),
            E::Hashing(_) | E::Db(_) => ApiError::internal(&err),
        }
    }
}

impl From<crate::graphql::loaders::LoadError> for ApiError {
    fn from(err: crate::graphql::loaders::LoadError) -> Self {
        ApiError::internal(err.as_ref())
    }
}

impl From<template::Error> for ApiError {
    fn from(err: template::Error) -> Self {
        use template::Error as E;
        match err {
            E::Invalid(fields) => ApiError::invalid("The input is invalid.", fields),
            E::ImportFailed(fields) => {
                ApiError::invalid("The template version could not be imported.", fields)
            }
            E::Taken(fields) => ApiError::conflict(fields),
            E::NotFound(what) => ApiError::new(
                ErrorCode::NotFound,
                format!("The {what} does not exist, or you may not see it."),
            ),
            E::Forbidden(forbidden) => forbidden.into(),
            E::Source(source) => match source {
                template::source::SourceError::Db(e) => ApiError::internal(&e),
                other => ApiError::invalid(
                    "The template source is invalid.",
                    vec![FieldError::new("files", other.to_string())],
                ),
            },
            E::NotEntitled { source, fields } => {
                ApiError::new(ErrorCode::Forbidden, source.to_string()).with_validations(fields)
            }
            E::Corrupt(_) | E::Cpu(_) | E::Db(_) => ApiError::internal(&err),
        }
    }
}

impl From<workspace::Error> for ApiError {
    fn from(err: workspace::Error) -> Self {
        use workspace::Error as E;
        match err {
            E::Invalid(fields) => ApiError::invalid("The input is invalid.", fields),
            E::InvalidParameters(fields) => {
                ApiError::invalid("Unable to validate parameters", fields)
            }
            E::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            E::Taken(fields) => ApiError::conflict(fields),
            E::NotFound(what) => ApiError::new(
                ErrorCode::NotFound,
                format!("The {what} does not exist, or you may not see it."),
            ),
            E::Forbidden(forbidden) => forbidden.into(),
            E::NotPermitted(message) => ApiError::new(ErrorCode::Forbidden, message),
            E::Corrupt(_) | E::Db(_) => ApiError::internal(&err),
        }
    }
}

impl From<provisioner::Error> for ApiError {
    fn from(err: provisioner::Error) -> Self {
        match err {
            provisioner::Error::InvalidState(message) => {
                ApiError::new(ErrorCode::Conflict, message)
            }
            provisioner::Error::Corrupt(_) | provisioner::Error::Db(_) => ApiError::internal(&err),
        }
    }
}

impl From<provisioner::keys::KeyError> for ApiError {
    fn from(err: provisioner::keys::KeyError) -> Self {
        use provisioner::keys::KeyError as E;
        match err {
            E::Invalid(fields) => ApiError::invalid("The input is invalid.", fields),
            E::Forbidden(forbidden) => forbidden.into(),
            E::NotEntitled(err) => err.into(),
            E::Db(e) => ApiError::internal(&e),
        }
    }
}

impl From<license::service::Error> for ApiError {
    fn from(err: license::service::Error) -> Self {
        use license::service::Error as E;
        match err {
            E::InvalidLicense(detail) => {
                ApiError::invalid("Invalid license", vec![FieldError::new("license", detail)])
            }
            E::WrongDeployment(detail) => ApiError::invalid(
                "License cannot be used on this deployment!",
                vec![FieldError::new("license", detail)],
            ),
            E::NotFound => ApiError::new(ErrorCode::NotFound, "Unknown license ID"),
            E::RefreshedRecently(_) => ApiError::invalid(err.to_string(), vec![]),
            E::NotEntitled(_) => ApiError::new(ErrorCode::Forbidden, err.to_string()),
            E::Forbidden(forbidden) => forbidden.into(),
            E::Db(e) => ApiError::internal(&e),
        }
    }
}

impl From<paging::PageError> for ApiError {
    fn from(err: paging::PageError) -> Self {
        let message = err.to_string();
        ApiError::invalid(message, err.0)
    }
}

impl From<connection_log::ingest::Error> for ApiError {
    fn from(err: connection_log::ingest::Error) -> Self {
        use connection_log::ingest::Error as E;
        let message = err.to_string();
        match err {
            E::InvalidBatch(fields) | E::Invalid(fields) => ApiError::invalid(message, fields),
            E::NotFound(_) => ApiError::new(ErrorCode::NotFound, message),
            E::Forbidden(forbidden) => forbidden.into(),
            E::Db(e) => ApiError::internal(&e),
        }
    }
}

impl From<connection_log::query::Error> for ApiError {
    fn from(err: connection_log::query::Error) -> Self {
        use connection_log::query::Error as E;
        let message = err.to_string();
        match err {
            E::InvalidQuery(fields) => ApiError::invalid(message, fields),
            E::Paging(err) => err.into(),
            E::NotEntitled(err) => err.into(),
            E::Db(e) => ApiError::internal(&e),
        }
    }
}

impl From<audit::query::Error> for ApiError {
    fn from(err: audit::query::Error) -> Self {
        use audit::query::Error as E;
        let message = err.to_string();
        match err {
            E::InvalidQuery(fields) => ApiError::invalid(message, fields),
            E::Paging(err) => err.into(),
            E::NotEntitled(err) => err.into(),
            E::Db(e) => ApiError::internal(&e),
        }
    }
}

impl From<log_paging::Error> for ApiError {
    fn from(err: log_paging::Error) -> Self {
        use log_paging::Error as E;
        let message = err.to_string();
        match err {
            E::InvalidPage(err) => err.into(),
            E::MixedPaging(field) | E::InvalidCursor(field) => {
                ApiError::invalid(message, vec![field])
            }
        }
    }
}

impl From<prebuilds::settings::Error> for ApiError {
    fn from(err: prebuilds::settings::Error) -> Self {
        use prebuilds::settings::Error as E;
        match err {
            E::Forbidden(forbidden) => forbidden.into(),
            E::Db(e) => ApiError::internal(&e),
        }
    }
}
