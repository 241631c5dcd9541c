//! The JSON API under `/v1`, described by `openapi.json` (served at
//! `/v1/openapi.json`).

use super::engine::{self, Cancel, Input};
use super::problem::{PROBLEM_JSON, Problem};
use super::{Loaded, Shared};
use crate::input::InputFormat;
use crate::plan::{ParamValue, Period, Plan};
use crate::report::ReportFormat;
use crate::syntax::ast::{Lang, Translations};
use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The OpenAPI 3 description of the API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// The report formats `?format=` accepts, by name.
pub fn report_format(name: &str) -> Option<ReportFormat> {
    Some(match name {
        "json" => ReportFormat::Json,
        "text" => ReportFormat::Text,
        "html" => ReportFormat::Html,
        "markdown" | "md" => ReportFormat::Markdown,
        "junit" => ReportFormat::Junit,
        "csv" => ReportFormat::Csv,
        _ => return None,
    })
}

/// Every name [`report_format`] knows.
pub const FORMAT_NAMES: &[&str] = &["json", "text", "html", "markdown", "junit", "csv"];

/// The query string's parameters, decoded.
pub fn query_pairs(req_query: Option<&str>) -> Vec<(String, String)> {
    req_query
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

/// `?lang=`: `nb` (also `no`, `nob`) or `en`.
pub fn parse_lang(text: &str) -> Option<Lang> {
    match text.trim().to_ascii_lowercase().as_str() {
        "nb" | "no" | "nob" => Some(Lang::Nb),
        "en" | "eng" => Some(Lang::En),
        _ => None,
    }
}

/// `POST /v1/check`: records in the body (JSON, JSON Lines, or a file
/// uploaded as multipart/form-data field `file`) → the report.
pub async fn check(State(state): State<Shared>, req: Request) -> Response {
    let query = query_pairs(req.uri().query());
    let mut format_name = "json".to_string();
    let mut lang = None;
    for (key, value) in &query {
        match key.as_str() {
            "format" => format_name = value.trim().to_ascii_lowercase(),
            "lang" => match parse_lang(value) {
                Some(l) => lang = Some(l),
                None => {
                    return Problem::bad_request(
                        "unknown-lang",
                        "Unknown language",
                        &format!("`lang` must be `nb` or `en`, not `{value}`."),
                    )
                    .response();
                }
            },
            _ => {}
        }
    }
    let Some(format) = report_format(&format_name) else {
        return Problem::bad_request(
            "unknown-format",
            "Unknown report format",
            &format!(
                "`format` must be one of {}, not `{format_name}`.",
                FORMAT_NAMES.join(", ")
            ),
        )
        .response();
    };
    // As `anskaff check`: the format's own language unless one is asked for.
    let lang = lang.unwrap_or(format.default_lang());
    let input = match read_input(&state, req).await {
        Ok(i) => i,
        Err(p) => return p.response(),
    };
    let loaded = state.current();
    let cancel = Cancel::default();
    let _guard = cancel.on_drop();
    let job = {
        let loaded = loaded.clone();
        let input = input.clone();
        let cancel = cancel.clone();
        state.blocking(move || {
            let opts = loaded.run_options(lang);
            engine::check_report(&loaded.policies.plan, &input, format, &opts, &cancel)
        })
    };
    let report = match job.await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return internal(&e.to_string()),
        Err(e) => return internal(&e),
    };
    if !report.errors.is_empty() {
        return Problem::invalid_input(&report.errors).response();
    }
    if report.records == 0 {
        return no_records();
    }
    let mut r = (StatusCode::OK, report.body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if let Ok(v) = HeaderValue::from_str(&loaded.generation.to_string()) {
        r.headers_mut().insert("anskaff-policies-generation", v);
    }
    r
}

fn no_records() -> Response {
    Problem::bad_request(
        "no-records",
        "No records",
        "The request holds no records: send one record (a JSON object), an array of records, JSON Lines, or a file.",
    )
    .response()
}

fn internal(detail: &str) -> Response {
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "Internal error",
        &format!("The check could not be completed: {detail}"),
    )
    .response()
}

/// The records of a request: its body as the content type says, or the
/// `file` field of a multipart upload.
pub async fn read_input(state: &Shared, req: Request) -> Result<Input, Problem> {
    let mime = media_type(req.headers());
    if mime == "multipart/form-data" {
        let upload = read_upload(state, req).await?;
        return Ok(upload.input);
    }
    let format = match mime.as_str() {
        "" | "application/json" | "text/json" => Some(InputFormat::Json),
        m if m.ends_with("+json") => Some(InputFormat::Json),
        "application/x-ndjson" | "application/jsonl" | "application/x-jsonlines" | "application/jsonlines" => {
            Some(InputFormat::Jsonl)
        }
        "text/csv" | "text/tab-separated-values" => Some(InputFormat::Csv),
        "application/xml" | "text/xml" => Some(InputFormat::Eforms),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => Some(InputFormat::Xlsx),
        other => {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                &format!(
                    "`{other}` is not read here: send application/json or application/x-ndjson records, \
                     or upload a file as multipart/form-data (field `file`)."
                ),
            ));
        }
    };
    let bytes = Bytes::from_request(req, state)
        .await
        .map_err(|e| body_problem(e.status(), &e.body_text()))?;
    let input = Input {
        name: "-".to_string(),
        bytes: Arc::from(&bytes[..]),
        format,
    };
    if input.is_blank() {
        return Err(Problem::bad_request(
            "no-records",
            "No records",
            "The request body is empty: send one record (a JSON object), an array of records, or JSON Lines.",
        ));
    }
    Ok(input)
}

/// An uploaded file and the other fields of the form it came with.
pub struct Upload {
    pub input: Input,
    pub fields: Vec<(String, String)>,
}

/// Read a multipart/form-data request: the file in field `file` (its format
/// from its name or its content), and the short text fields beside it.
pub async fn read_upload(state: &Shared, req: Request) -> Result<Upload, Problem> {
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|e| body_problem(e.status(), &e.body_text()))?;
    let mut file = None;
    let mut fields = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(body_problem(e.status(), &e.body_text())),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            let file_name = field.file_name().map(clean_file_name).unwrap_or_default();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| body_problem(e.status(), &e.body_text()))?;
            file = Some((file_name, bytes));
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| body_problem(e.status(), &e.body_text()))?;
            if text.len() <= 1024 {
                fields.push((name, text));
            }
        }
    }
    let Some((file_name, bytes)) = file else {
        return Err(Problem::bad_request(
            "no-file",
            "No file",
            "Upload the records as multipart/form-data in a field named `file`.",
        ));
    };
    let name = if file_name.is_empty() {
        "upload".to_string()
    } else {
        file_name
    };
    let Some(format) = engine::sniff_format(&name, &bytes) else {
        let e = crate::finding::InputError {
            index: 0,
            source: crate::finding::Source {
                file: Arc::from(name.as_str()),
                line: None,
                locator: None,
            },
            message: "unknown input format: anskaff reads `.jsonl` and `.json` (canonical records or OCDS), `.xml` (eForms), `.csv` and `.xlsx`".into(),
        };
        return Err(Problem::invalid_input(&[e]));
    };
    let input = Input {
        name,
        bytes: Arc::from(&bytes[..]),
        format: Some(format),
    };
    if input.is_blank() {
        let e = crate::finding::InputError {
            index: 0,
            source: crate::finding::Source {
                file: Arc::from(input.name.as_str()),
                line: None,
                locator: None,
            },
            message: "the file holds no records".into(),
        };
        return Err(Problem::invalid_input(&[e]));
    }
    Ok(Upload { input, fields })
}

/// The base name of an uploaded file, without any directories, control
/// characters or odd lengths.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    base.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// A problem reading the body: 413 when it is too large, else 400.
fn body_problem(status: StatusCode, text: &str) -> Problem {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Request body too large",
            "The request body is larger than the service accepts (--max-body).",
        )
    } else {
        Problem::new(status, "bad-body", "The request body cannot be read", text)
    }
}

/// The media type of a request, lower case, without parameters.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn json_response(value: &Value) -> Response {
    let body = serde_json::to_string_pretty(value).unwrap_or_else(|_| "{}".into());
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// `{nb, en}` of a text in both languages (absent ones left out).
pub fn titles(t: &Translations) -> Value {
    let mut m = serde_json::Map::new();
    for (lang, text) in &t.texts {
        m.entry(lang.code()).or_insert_with(|| Value::String(text.node.clone()));
    }
    Value::Object(m)
}

fn period(p: &Period) -> Value {
    json!({
        "from": p.from.map(|d| d.to_string()),
        "to": p.to.map(|d| d.to_string()),
    })
}

fn parameters(plan: &Plan) -> Value {
    plan.params
        .iter()
        .map(|p| {
            let mut v = json!({
                "name": p.name,
                "policy": plan.policies.get(p.policy as usize).map(|x| x.id.as_str()),
                "title": titles(&p.title),
                "overridden": p.overridden,
            });
            match &p.value {
                ParamValue::Fixed(c) => v["value"] = Value::String(c.display(Lang::En)),
                ParamValue::ByDate(entries) => {
                    v["by_date"] = entries
                        .iter()
                        .map(|(d, c)| json!({"from": d.to_string(), "value": c.display(Lang::En)}))
                        .collect()
                }
            }
            v
        })
        .collect()
}

fn loaded_json(loaded: &Loaded) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("generation".into(), json!(loaded.generation));
    m.insert("loaded_at".into(), json!(loaded.loaded_at));
    m
}

/// `GET /v1/policies`: the loaded policies and their parameters.
pub async fn policies(State(state): State<Shared>) -> Response {
    let loaded = state.current();
    let plan = &loaded.policies.plan;
    let mut m = loaded_json(&loaded);
    m.insert(
        "policies".into(),
        plan.policies
            .iter()
            .map(|p| {
                json!({
                    "id": p.id,
                    "version": p.version,
                    "title": titles(&p.title),
                    "authority": p.authority,
                    "source": p.source,
                    "in_force": period(&p.in_force),
                    "applies_to": p.applies_text,
                    "rules": plan.rules.iter().filter(|r| plan.policies.get(r.policy as usize).is_some_and(|x| x.id == p.id)).count(),
                })
            })
            .collect(),
    );
    m.insert("parameters".into(), parameters(plan));
    json_response(&Value::Object(m))
}

/// `GET /v1/rules`: every loaded rule, the strategy areas, and the
/// parameters with their values.
pub async fn rules(State(state): State<Shared>) -> Response {
    let loaded = state.current();
    let plan = &loaded.policies.plan;
    let mut m = loaded_json(&loaded);
    m.insert(
        "rules".into(),
        plan.rules
            .iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "title": titles(&r.title),
                    "area": plan.areas.get(r.area as usize).map(|a| a.id.as_str()),
                    "severity": r.severity.as_str(),
                    "policy": plan.policies.get(r.policy as usize).map(|p| p.id.as_str()),
                    "basis": r.basis,
                    "in_force": period(&r.in_force),
                    "cross_record": r.is_cross(),
                    "applies_when": r.applies_text,
                    "requires": r.requirement_text,
                    "advice": titles(&r.advice),
                })
            })
            .collect(),
    );
    m.insert(
        "areas".into(),
        plan.areas
            .iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "title": titles(&a.title),
                    "policy": plan.policies.get(a.policy as usize).map(|p| p.id.as_str()),
                })
            })
            .collect(),
    );
    m.insert("parameters".into(), parameters(plan));
    json_response(&Value::Object(m))
}

/// `GET /v1/openapi.json`.
pub async fn openapi() -> Response {
    let mut r = (StatusCode::OK, OPENAPI).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// `GET /healthz`: the service is up and has policies.
pub async fn healthz(State(state): State<Shared>) -> Response {
    let loaded = state.current();
    json_response(&json!({"status": "ok", "generation": loaded.generation}))
}

/// Anything else: 404 as a problem document.
pub async fn not_found(req: Request) -> Response {
    let mut r = Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        &format!(
            "There is nothing at `{}`. The API is described at /v1/openapi.json.",
            req.uri().path()
        ),
    )
    .response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    r
}
