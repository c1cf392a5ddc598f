//! The browser UI: the files under `web/`, compiled into the binary so the server needs
//! nothing beside it. `index.html` is served at `/`; every other file under `/assets/`.
//! The UI routes with the URL's fragment (`/#/workspaces`), so a reload always asks for `/`.

use axum::{
    Router,
    extract::Path,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use rust_embed::Embed;

use super::HttpState;

/// The `web/` folder. Release builds carry the files; debug builds read them from the
/// source tree on each request, so the UI can be edited without rebuilding the server.
#[derive(Embed)]
#[folder = "web/"]
#[exclude = "*.md"]
struct Assets;

fn asset(path: &str, request: &HeaderMap) -> Response {
    let Some(file) = Assets::get(path) else {
        return not_found_response();
    };
    let etag = format!(
        "\"{}\"",
        data_encoding::HEXLOWER.encode(&file.metadata.sha256_hash()[..16])
    );
    let Ok(etag) = HeaderValue::from_str(&etag) else {
        return not_found_response();
    };
    // Revalidated on every load (no-cache), so a new binary's UI is picked up at once, yet an
    // unchanged file costs a 304 and no body.
    let unchanged = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|sent| sent.as_bytes() == etag.as_bytes());
    let content_type = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let headers = [
        (header::CONTENT_TYPE, content_type),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, etag),
    ];
    if unchanged {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, file.data).into_response()
}

fn not_found_response() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

/// The UI's routes.
pub fn routes() -> Router<HttpState> {
    Router::new()
        .route(
            "/",
            get(|headers: HeaderMap| async move { asset("index.html", &headers) }),
        )
        .route(
            "/assets/{*path}",
            get(|Path(path): Path<String>, headers: HeaderMap| async move {
                if path == "index.html" {
                    return not_found_response();
                }
                asset(&path, &headers)
            }),
        )
}

/// Anything else.
pub async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found")
}
