//! Problem documents (RFC 9457, `application/problem+json`): every error the
//! API answers with.

use crate::finding::InputError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The media type of problem documents.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One input error, with its place as the CLI gives it.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorEntry {
    pub source: SourceEntry,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceEntry {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locator: Option<String>,
}

impl From<&InputError> for ErrorEntry {
    fn from(e: &InputError) -> Self {
        ErrorEntry {
            source: SourceEntry {
                file: e.source.file.to_string(),
                line: e.source.line,
                locator: e.source.locator.clone(),
            },
            message: e.message.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Input errors (always present; empty when the problem is not about
    /// the input).
    pub errors: Vec<ErrorEntry>,
}

impl Problem {
    /// A problem of kind `slug` (`urn:anskaff:problem:SLUG`).
    pub fn new(status: StatusCode, slug: &str, title: &str, detail: &str) -> Problem {
        Problem {
            kind: format!("urn:anskaff:problem:{slug}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.to_string(),
            errors: Vec::new(),
        }
    }

    /// 400: input that could not be read as records.
    pub fn invalid_input(errors: &[InputError]) -> Problem {
        let first = errors
            .first()
            .map(|e| format!("{}: {}", e.source.display(), e.message))
            .unwrap_or_default();
        let detail = match errors.len() {
            1 => format!("1 input error; nothing was checked. {first}"),
            n => format!("{n} input errors; nothing was checked. The first: {first}"),
        };
        Problem {
            errors: errors.iter().map(ErrorEntry::from).collect(),
            ..Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid-input",
                "The input cannot be read",
                &detail,
            )
        }
    }

    pub fn bad_request(slug: &str, title: &str, detail: &str) -> Problem {
        Problem::new(StatusCode::BAD_REQUEST, slug, title, detail)
    }

    pub fn response(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".to_string());
        let mut r = (status, body).into_response();
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        r
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        self.response()
    }
}
