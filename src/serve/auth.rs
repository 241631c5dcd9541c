//! The bearer token: read from `--token-file`, compared in constant time.
//!
//! Which paths need it, when a token is set:
//! - `/v1/...` (the API): always.
//! - `/`, `/check-form`, `/check-upload` (the page): only when the service
//!   listens on a non-loopback address (a browser cannot send the header,
//!   so there the page is for a reverse proxy that adds it); on loopback
//!   the page stays open.
//! - `/healthz`: never (it tells nothing about policies or records).

use super::Shared;
use super::problem::Problem;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

/// A bearer token. Its `Debug` does not show it.
#[derive(Clone)]
pub struct Token(Vec<u8>);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// The token in `text`: the first line, without surrounding white space.
    pub fn parse(text: &str) -> Result<Token, String> {
        let token = text.lines().next().unwrap_or("").trim();
        if token.is_empty() {
            return Err("the token file is empty".into());
        }
        if token.chars().any(|c| !c.is_ascii_graphic()) {
            return Err("the token must be printable ASCII without spaces".into());
        }
        Ok(Token(token.as_bytes().to_vec()))
    }

    /// Read the token from `path`.
    pub fn from_file(path: &std::path::Path) -> Result<Token, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Token::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Whether `presented` is this token, in time that does not depend on
    /// where they differ.
    pub fn matches(&self, presented: &[u8]) -> bool {
        constant_time_eq(&self.0, presented)
    }
}

/// Compare two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    std::hint::black_box(diff) == 0
}

/// Whether a request to `path` needs the token.
pub fn needs_token(path: &str, loopback: bool) -> bool {
    if path == "/healthz" {
        return false;
    }
    if path == "/v1" || path.starts_with("/v1/") {
        return true;
    }
    !loopback
}

/// Answer 401 to requests without the right `Authorization: Bearer` header
/// where one is needed.
pub async fn require_token(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let Some(token) = &state.config.token else {
        return next.run(req).await;
    };
    if !needs_token(req.uri().path(), state.loopback) {
        return next.run(req).await;
    }
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| bearer(v.as_bytes()));
    match presented {
        Some(p) if token.matches(p) => next.run(req).await,
        found => {
            let detail = if found.is_some() {
                "The bearer token is not the one the service was started with."
            } else {
                "Send the service's token as `Authorization: Bearer <token>`."
            };
            let mut r = Problem::new(StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized", detail).response();
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"anskaff\""),
            );
            r
        }
    }
}

/// The token of an `Authorization: Bearer TOKEN` header value.
fn bearer(value: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = value.split_at_checked(6)?;
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return None;
    }
    let rest = rest.strip_prefix(b" ")?;
    let start = rest.iter().position(|b| *b != b' ')?;
    let end = rest.iter().rposition(|b| *b != b' ')? + 1;
    Some(&rest[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compares_whole_tokens() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn reads_bearer_headers() {
        assert_eq!(bearer(b"Bearer abc"), Some(&b"abc"[..]));
        assert_eq!(bearer(b"bearer   abc  "), Some(&b"abc"[..]));
        assert_eq!(bearer(b"Basic abc"), None);
        assert_eq!(bearer(b"Bearer"), None);
        assert_eq!(bearer(b"Bearerabc"), None);
    }

    #[test]
    fn token_files() {
        assert!(Token::parse("  \n").is_err());
        assert!(Token::parse("abc\n").expect("token").matches(b"abc"));
        assert!(Token::parse("a b").is_err());
    }

    #[test]
    fn which_paths_need_the_token() {
        assert!(needs_token("/v1/check", true));
        assert!(needs_token("/v1/openapi.json", false));
        assert!(!needs_token("/healthz", false));
        assert!(!needs_token("/", true));
        assert!(needs_token("/", false));
        assert!(!needs_token("/check-form", true));
    }
}
