//! A small GraphQL client for the CLI's client commands (`devplane license …`): posts one
//! operation to a running server and turns GraphQL errors into readable messages.

use serde_json::{Value, json};

use crate::config::ClientArgs;

/// Why a client command failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server could not be reached or answered garbage.
    #[error("cannot reach {url}: {source}")]
    Http {
        /// The endpoint.
        url: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with GraphQL errors.
    #[error("{0}")]
    Graphql(String),
}

/// Sends `query` with `variables` and returns `data`.
pub async fn execute(
    client: &ClientArgs,
    query: &str,
    variables: Value,
) -> Result<Value, ClientError> {
    let url = client
        .url
        .join("graphql")
        .map_or_else(|_| format!("{}graphql", client.url), |u| u.to_string());
    let http = |source| ClientError::Http {
        url: url.clone(),
        source,
    };
    let mut request = reqwest::Client::new()
        .post(&url)
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = &client.token {
        request = request.bearer_auth(token);
    }
    let body: Value = request
        .send()
        .await
        .map_err(http)?
        .json()
        .await
        .map_err(http)?;
    if let Some(errors) = body
        .get("errors")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty())
    {
        let messages: Vec<String> = errors.iter().map(describe_error).collect();
        return Err(ClientError::Graphql(messages.join("\n")));
    }
    Ok(body.get("data").cloned().unwrap_or(Value::Null))
}

/// `CODE: message (field: detail; …)`.
fn describe_error(error: &Value) -> String {
    let message = error["message"].as_str().unwrap_or("unknown error");
    let code = error["extensions"]["code"].as_str().unwrap_or("ERROR");
    let details: Vec<String> = error["extensions"]["validations"]
        .as_array()
        .map(|v| {
            v.iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        e["field"].as_str().unwrap_or(""),
                        e["detail"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if details.is_empty() {
        format!("{code}: {message}")
    } else {
        format!("{code}: {message} ({})", details.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_well() {
        let error = json!({ "message": "Invalid license", "extensions": { "code": "BAD_USER_INPUT",
            "validations": [{ "field": "license", "detail": "license must be version 3" }] } });
        assert_eq!(
            describe_error(&error),
            "BAD_USER_INPUT: Invalid license (license: license must be version 3)"
        );
    }
}
