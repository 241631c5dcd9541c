//! The officer's web page at `/`: a form for one planned tender, checked at
//! once against the loaded policies, or an upload of a procurement plan.
//! Server-rendered HTML that works without JavaScript; every input has a
//! label, errors stand next to the field they concern, and everything from
//! the user or the policies is escaped.

use super::api::{query_pairs, read_upload};
use super::engine::{self, Cancel, Findings, Input};
use super::html::{esc, esc_code};
use super::{Loaded, Shared};
use crate::finding::{Evaluated, Finding, Outcome, Status};
use crate::input::InputFormat;
use crate::plan::Plan;
use crate::report::{ReportFormat, severity_word, status_word};
use crate::syntax::ast::{Lang, Severity};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Arc;

/// Rows of award criteria and vehicles the form offers.
pub const CRITERIA_ROWS: usize = 4;
pub const VEHICLE_ROWS: usize = 3;
/// The longest text a form field takes.
const MAX_FIELD: usize = 4000;

fn t(lang: Lang, nb: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Nb { nb } else { en }
}

// ---------------------------------------------------------------------------
// Handlers

/// `GET /`: the empty form.
pub async fn index(State(state): State<Shared>, req: Request) -> Response {
    let lang = page_lang(&query_pairs(req.uri().query()));
    let loaded = state.current();
    let form = FormValues::default();
    html_response(
        StatusCode::OK,
        render_page(&loaded, lang, &form, &Errors::default(), None),
    )
}

/// `GET /check-form?...`: the form sent with GET (works like POST).
pub async fn check_form_get(State(state): State<Shared>, req: Request) -> Response {
    let pairs = query_pairs(req.uri().query());
    let lang = page_lang(&pairs);
    if pairs.iter().all(|(k, v)| k == "lang" || v.trim().is_empty()) {
        // Nothing filled in: the empty form.
        let loaded = state.current();
        let page = render_page(&loaded, lang, &FormValues::default(), &Errors::default(), None);
        return html_response(StatusCode::OK, page);
    }
    let form = FormValues::from_pairs(pairs);
    check_form(state, lang, form).await
}

/// `POST /check-form`: the form, `application/x-www-form-urlencoded`.
pub async fn check_form_post(State(state): State<Shared>, req: Request) -> Response {
    let query = query_pairs(req.uri().query());
    let bytes = match Bytes::from_request(req, &state).await {
        Ok(b) => b,
        Err(e) => {
            let lang = page_lang(&query);
            return error_page(&state.current(), lang, e.status(), &e.body_text());
        }
    };
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    pairs.extend(query.into_iter().filter(|(k, _)| k == "lang"));
    let lang = page_lang(&pairs);
    check_form(state, lang, FormValues::from_pairs(pairs)).await
}

async fn check_form(state: Shared, lang: Lang, form: FormValues) -> Response {
    let loaded = state.current();
    let built = build_record(&form, lang);
    if !built.errors.is_empty() {
        return html_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            render_page(&loaded, lang, &form, &built.errors, None),
        );
    }
    let bytes = serde_json::to_vec(&built.record).unwrap_or_default();
    let input = Input {
        name: t(lang, "skjema", "form").to_string(),
        bytes: Arc::from(bytes),
        format: Some(InputFormat::Json),
    };
    let cancel = Cancel::default();
    let _guard = cancel.on_drop();
    let job = {
        let loaded = loaded.clone();
        let cancel = cancel.clone();
        state.blocking(move || {
            let opts = loaded.run_options(lang);
            engine::check_findings(&loaded.policies.plan, &input, &opts, &cancel)
        })
    };
    match job.await {
        Ok(Ok(findings)) => html_response(
            StatusCode::OK,
            render_page(&loaded, lang, &form, &Errors::default(), Some(&findings)),
        ),
        Ok(Err(e)) => error_page(&loaded, lang, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(e) => error_page(&loaded, lang, StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// `POST /check-upload`: a procurement plan (XLSX, CSV, eForms, OCDS or
/// canonical JSON) in field `file` → the HTML report (or the text report in
/// the page when there is no HTML renderer).
pub async fn check_upload(State(state): State<Shared>, req: Request) -> Response {
    let query = query_pairs(req.uri().query());
    let loaded = state.current();
    let upload = match read_upload(&state, req).await {
        Ok(u) => u,
        Err(p) => {
            let lang = page_lang(&query);
            let mut message = p.detail.clone();
            if let Some(e) = p.errors.first() {
                message = e.message.clone();
            }
            let mut errors = Errors::default();
            errors.add("file", message);
            let status = StatusCode::from_u16(p.status).unwrap_or(StatusCode::BAD_REQUEST);
            return html_response(
                status,
                render_page(&loaded, lang, &FormValues::default(), &errors, None),
            );
        }
    };
    let mut pairs = upload.fields.clone();
    pairs.extend(query);
    let lang = page_lang(&pairs);
    let format = ReportFormat::Html;
    let cancel = Cancel::default();
    let _guard = cancel.on_drop();
    let job = {
        let loaded = loaded.clone();
        let cancel = cancel.clone();
        let input = upload.input.clone();
        state.blocking(move || {
            let opts = loaded.run_options(lang);
            engine::check_report(&loaded.policies.plan, &input, format, &opts, &cancel)
        })
    };
    let report = match job.await {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return error_page(&loaded, lang, StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        Err(e) => return error_page(&loaded, lang, StatusCode::INTERNAL_SERVER_ERROR, &e),
    };
    let mut r = (StatusCode::OK, report.body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    r
}

fn page_lang(pairs: &[(String, String)]) -> Lang {
    pairs
        .iter()
        .rev()
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| super::api::parse_lang(v))
        .unwrap_or(Lang::Nb)
}

fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

fn error_page(loaded: &Loaded, lang: Lang, status: StatusCode, detail: &str) -> Response {
    let mut body = head(lang, t(lang, "Feil", "Error"));
    body.push_str(&header_html(lang, "/"));
    let _ = write!(
        body,
        "<main id=\"main\"><h2>{} {}</h2><p>{}</p><p><a href=\"/?lang={}\">{}</a></p>",
        status.as_u16(),
        esc(status.canonical_reason().unwrap_or("")),
        esc(detail),
        lang.code(),
        t(lang, "Tilbake til skjemaet", "Back to the form"),
    );
    body.push_str(&policies_html(&loaded.policies.plan, lang));
    body.push_str("</main></body></html>\n");
    html_response(status, body)
}

// ---------------------------------------------------------------------------
// The form's values and errors

/// The form as sent: field name → value (the last one wins).
#[derive(Debug, Clone, Default)]
pub struct FormValues(BTreeMap<String, String>);

impl FormValues {
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> FormValues {
        FormValues(pairs.into_iter().collect())
    }

    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|s| s.trim()).unwrap_or("")
    }
}

/// Errors by field id, in the order found.
#[derive(Debug, Clone, Default)]
pub struct Errors(Vec<(String, String)>);

impl Errors {
    fn add(&mut self, field: &str, message: String) {
        if self.get(field).is_none() {
            self.0.push((field.to_string(), message));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(f, m)| (f.as_str(), m.as_str()))
    }
}

/// The record the form describes, or what is wrong with the form.
pub struct Built {
    pub record: Value,
    pub errors: Errors,
}

/// Turn the form into a canonical record (stage `planned`). Fields left
/// empty are left out of the record (unknown), never guessed.
pub fn build_record(form: &FormValues, lang: Lang) -> Built {
    let mut errors = Errors::default();
    let mut rec = Map::new();
    for (name, value) in &form.0 {
        if value.chars().count() > MAX_FIELD {
            errors.add(
                name,
                format!(
                    "{} {MAX_FIELD} {}",
                    t(lang, "Teksten er for lang; høyst", "The text is too long; at most"),
                    t(lang, "tegn.", "characters.")
                ),
            );
        }
    }
    let id = form.get("id");
    rec.insert(
        "id".into(),
        json!(if id.is_empty() {
            t(lang, "planlagt-anskaffelse", "planned-tender")
        } else {
            id
        }),
    );
    rec.insert("stage".into(), json!("planned"));
    text_field(form, "title", &mut rec, "title");
    let mut buyer = Map::new();
    if !form.get("buyer_name").is_empty() {
        buyer.insert("name".into(), json!(form.get("buyer_name")));
    }
    let org = form.get("buyer_id");
    if !org.is_empty() {
        match parse_org_number(org) {
            Some(n) => {
                buyer.insert("id".into(), json!(n));
            }
            None => errors.add(
                "buyer_id",
                format!(
                    "«{org}» {}",
                    t(
                        lang,
                        "er ikke et organisasjonsnummer. Det har 9 sifre, for eksempel 921 693 230.",
                        "is not an organisation number. It has 9 digits, for example 921 693 230."
                    )
                ),
            ),
        }
    }
    code_field(
        form,
        "buyer_kind",
        OPTIONS_BUYER_KIND,
        lang,
        &mut errors,
        &mut buyer,
        "kind",
    );
    if !buyer.is_empty() {
        rec.insert("buyer".into(), Value::Object(buyer));
    }
    let date = form.get("date");
    if !date.is_empty() {
        match parse_date(date) {
            Some(d) => {
                rec.insert("date".into(), json!(d.to_string()));
            }
            None => errors.add(
                "date",
                format!(
                    "«{date}» {}",
                    t(
                        lang,
                        "er ikke en dato. Skriv den som 2023-03-01 eller 01.03.2023.",
                        "is not a date. Write it as 2023-03-01 or 01.03.2023."
                    )
                ),
            ),
        }
    }
    code_field(
        form,
        "category",
        OPTIONS_CATEGORY,
        lang,
        &mut errors,
        &mut rec,
        "category",
    );
    let cpv = form.get("cpv");
    if !cpv.is_empty() {
        match parse_cpv(cpv) {
            Ok(codes) => {
                rec.insert("cpv".into(), json!(codes));
            }
            Err(bad) => errors.add(
                "cpv",
                format!(
                    "«{bad}» {}",
                    t(
                        lang,
                        "er ikke en CPV-kode. En CPV-kode har 8 sifre, for eksempel 34136000; skill flere koder med komma.",
                        "is not a CPV code. A CPV code has 8 digits, for example 34136000; separate codes with commas."
                    )
                ),
            ),
        }
    }
    let value = form.get("estimated_value");
    if !value.is_empty() {
        match parse_nok(value) {
            Some(amount) => {
                rec.insert("estimated_value".into(), json!({"amount": amount, "currency": "NOK"}));
            }
            None => errors.add(
                "estimated_value",
                format!(
                    "«{value}» {}",
                    t(
                        lang,
                        "kan ikke leses som et beløp. Skriv beløpet i kroner med sifre, uten mva., for eksempel 1 300 000.",
                        "cannot be read as an amount. Write the amount in kroner with digits, excluding VAT, for example 1 300 000."
                    )
                ),
            ),
        }
    }
    code_field(
        form,
        "procedure",
        OPTIONS_PROCEDURE,
        lang,
        &mut errors,
        &mut rec,
        "procedure",
    );
    tri_field(form, "framework", lang, &mut errors, &mut rec, "framework");
    // Lots: titles (one per line) or a number.
    let titles: Vec<&str> = form
        .get("lots_titles")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let count = form.get("lots_count");
    if !titles.is_empty() {
        let lots: Vec<Value> = titles
            .iter()
            .enumerate()
            .map(|(i, title)| json!({"id": (i + 1).to_string(), "title": title}))
            .collect();
        rec.insert("lots".into(), Value::Array(lots));
        if let Some(n) = parse_count(count, 1000)
            && n != titles.len() as u64
        {
            errors.add(
                "lots_count",
                t(
                    lang,
                    "Antallet stemmer ikke med titlene under. Fyll inn bare titlene, eller rett antallet.",
                    "The number does not match the titles below. Give only the titles, or correct the number.",
                )
                .to_string(),
            );
        }
    } else if !count.is_empty() {
        match parse_count(count, 1000) {
            Some(n) => {
                let lots: Vec<Value> = (1..=n).map(|i| json!({"id": i.to_string()})).collect();
                rec.insert("lots".into(), Value::Array(lots));
            }
            None => errors.add(
                "lots_count",
                format!(
                    "«{count}» {}",
                    t(
                        lang,
                        "er ikke et antall. Skriv 0 hvis anskaffelsen ikke er delt opp.",
                        "is not a number. Write 0 if the procurement is not divided into lots."
                    )
                ),
            ),
        }
    }
    text_field(form, "lots_justification", &mut rec, "lots_justification");
    // Award criteria.
    let mut criteria = Vec::new();
    let mut total = rust_decimal::Decimal::ZERO;
    for i in 1..=CRITERIA_ROWS {
        let (name, kind, weight) = (
            form.get(&format!("crit_name_{i}")),
            form.get(&format!("crit_type_{i}")),
            form.get(&format!("crit_weight_{i}")),
        );
        if name.is_empty() && kind.is_empty() && weight.is_empty() {
            continue;
        }
        let mut c = Map::new();
        if !name.is_empty() {
            c.insert("name".into(), json!(name));
        }
        let type_id = format!("crit_type_{i}");
        if kind.is_empty() {
            errors.add(
                &type_id,
                t(
                    lang,
                    "Velg hva slags kriterium det er.",
                    "Choose what kind of criterion it is.",
                )
                .to_string(),
            );
        }
        code_field(form, &type_id, OPTIONS_CRITERION, lang, &mut errors, &mut c, "type");
        let weight_id = format!("crit_weight_{i}");
        match parse_percent(weight) {
            Some(w) => {
                total += w;
                c.insert("weight".into(), json!(w.normalize().to_string()));
            }
            None if weight.is_empty() => errors.add(
                &weight_id,
                t(lang, "Fyll inn vekten i prosent.", "Fill in the weight in per cent.").to_string(),
            ),
            None => errors.add(
                &weight_id,
                format!(
                    "«{weight}» {}",
                    t(
                        lang,
                        "er ikke en vekt. Skriv et tall fra 0 til 100, for eksempel 30.",
                        "is not a weight. Write a number from 0 to 100, for example 30."
                    )
                ),
            ),
        }
        criteria.push(Value::Object(c));
    }
    if total > rust_decimal::Decimal::ONE_HUNDRED {
        errors.add(
            "crit_weight_1",
            format!(
                "{} {} %.",
                t(
                    lang,
                    "Vektene er til sammen mer enn 100 %:",
                    "The weights add up to more than 100 %:"
                ),
                total.normalize()
            ),
        );
    }
    if !criteria.is_empty() {
        rec.insert("award_criteria".into(), Value::Array(criteria));
    }
    tri_object(
        form,
        "spec_requirements",
        lang,
        &mut errors,
        &mut rec,
        "environment",
        "spec_requirements",
    );
    // Vehicles.
    let mut vehicles = Vec::new();
    for i in 1..=VEHICLE_ROWS {
        let (class, count, fuel) = (
            form.get(&format!("veh_class_{i}")),
            form.get(&format!("veh_count_{i}")),
            form.get(&format!("veh_fuel_{i}")),
        );
        if class.is_empty() && count.is_empty() && fuel.is_empty() {
            continue;
        }
        let mut v = Map::new();
        if !class.is_empty() {
            v.insert("class".into(), json!(class));
        }
        let count_id = format!("veh_count_{i}");
        if !count.is_empty() {
            match parse_count(count, 100_000) {
                Some(n) if n > 0 => {
                    v.insert("count".into(), json!(n));
                }
                _ => errors.add(
                    &count_id,
                    format!(
                        "«{count}» {}",
                        t(
                            lang,
                            "er ikke et antall kjøretøy. Skriv et helt tall, for eksempel 4.",
                            "is not a number of vehicles. Write a whole number, for example 4."
                        )
                    ),
                ),
            }
        }
        let fuel_id = format!("veh_fuel_{i}");
        if fuel.is_empty() {
            errors.add(
                &fuel_id,
                t(
                    lang,
                    "Velg drivstoff for kjøretøyet.",
                    "Choose the fuel of the vehicle.",
                )
                .to_string(),
            );
        }
        code_field(form, &fuel_id, OPTIONS_FUEL, lang, &mut errors, &mut v, "fuel");
        vehicles.push(Value::Object(v));
    }
    if !vehicles.is_empty() {
        rec.insert("vehicles".into(), Value::Array(vehicles));
    }
    tri_object(
        form,
        "fossil_free_site",
        lang,
        &mut errors,
        &mut rec,
        "construction",
        "fossil_free_site",
    );
    // Labour terms.
    let levels = form.get("labour_levels");
    if !levels.is_empty() {
        match parse_count(levels, 100) {
            Some(n) => {
                object(&mut rec, "labour").insert("max_subcontractor_levels".into(), json!(n));
            }
            None => errors.add(
                "labour_levels",
                format!(
                    "«{levels}» {}",
                    t(
                        lang,
                        "er ikke et antall ledd. Skriv et helt tall, for eksempel 2.",
                        "is not a number of levels. Write a whole number, for example 2."
                    )
                ),
            ),
        }
    }
    tri_object(
        form,
        "labour_apprentices",
        lang,
        &mut errors,
        &mut rec,
        "labour",
        "apprentices",
    );
    tri_object(
        form,
        "labour_wages_bank",
        lang,
        &mut errors,
        &mut rec,
        "labour",
        "wages_via_bank",
    );
    tri_object(
        form,
        "ecommerce_ordering",
        lang,
        &mut errors,
        &mut rec,
        "ecommerce",
        "ordering",
    );
    tri_object(
        form,
        "ecommerce_einvoice",
        lang,
        &mut errors,
        &mut rec,
        "ecommerce",
        "einvoice",
    );
    tri_object(form, "lcc_assessed", lang, &mut errors, &mut rec, "lcc", "assessed");
    text_field(form, "rationale", &mut rec, "rationale");
    Built {
        record: Value::Object(rec),
        errors,
    }
}

fn object<'m>(rec: &'m mut Map<String, Value>, key: &str) -> &'m mut Map<String, Value> {
    let slot = rec.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => m,
        // INVARIANT: made an object just above.
        _ => unreachable!("an object was just put here"),
    }
}

fn text_field(form: &FormValues, name: &str, rec: &mut Map<String, Value>, key: &str) {
    let v = form.get(name);
    if !v.is_empty() {
        rec.insert(key.into(), json!(v));
    }
}

fn code_field(
    form: &FormValues,
    name: &str,
    options: &[Choice],
    lang: Lang,
    errors: &mut Errors,
    into: &mut Map<String, Value>,
    key: &str,
) {
    let v = form.get(name);
    if v.is_empty() {
        return;
    }
    if options.iter().any(|c| c.code == v) {
        into.insert(key.into(), json!(v));
    } else {
        errors.add(
            name,
            t(
                lang,
                "Velg en av verdiene i lista.",
                "Choose one of the values in the list.",
            )
            .to_string(),
        );
    }
}

fn parse_tri(v: &str) -> Option<Option<bool>> {
    match v.to_ascii_lowercase().as_str() {
        "" => Some(None),
        "yes" | "ja" | "true" => Some(Some(true)),
        "no" | "nei" | "false" => Some(Some(false)),
        _ => None,
    }
}

fn tri_field(form: &FormValues, name: &str, lang: Lang, errors: &mut Errors, rec: &mut Map<String, Value>, key: &str) {
    match parse_tri(form.get(name)) {
        Some(Some(b)) => {
            rec.insert(key.into(), json!(b));
        }
        Some(None) => {}
        None => errors.add(
            name,
            t(
                lang,
                "Velg ja, nei eller ikke oppgitt.",
                "Choose yes, no or not stated.",
            )
            .to_string(),
        ),
    }
}

fn tri_object(
    form: &FormValues,
    name: &str,
    lang: Lang,
    errors: &mut Errors,
    rec: &mut Map<String, Value>,
    object_key: &str,
    key: &str,
) {
    match parse_tri(form.get(name)) {
        Some(Some(b)) => {
            object(rec, object_key).insert(key.into(), json!(b));
        }
        Some(None) => {}
        None => errors.add(
            name,
            t(
                lang,
                "Velg ja, nei eller ikke oppgitt.",
                "Choose yes, no or not stated.",
            )
            .to_string(),
        ),
    }
}

/// An amount in kroner as a plain decimal: `1 300 000`, `1300000,50`,
/// `1.300.000`, `kr 450 000,-`. Anything else (`1,3 mill`) is refused.
pub fn parse_nok(text: &str) -> Option<String> {
    let mut s: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}' && *c != '\'')
        .collect::<String>()
        .to_ascii_lowercase();
    for suffix in [",-", ".-", "nok", "kr", "kroner"] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest.to_string();
        }
    }
    for prefix in ["nok", "kr"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b',') {
        return None;
    }
    let groups: Vec<&str> = s.split('.').collect();
    // Dots between groups of three digits are thousands separators.
    if groups.len() > 1
        && !s.contains(',')
        && groups[0].len() <= 3
        && groups[1..]
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
        && groups.len() > 2
    {
        s = groups.concat();
    }
    let s = s.replace(',', ".");
    let (whole, frac) = s.split_once('.').unwrap_or((&s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 15
    {
        return None;
    }
    let d: rust_decimal::Decimal = s.parse().ok()?;
    Some(d.normalize().to_string())
}

/// A weight in per cent: `30`, `30 %`, `12,5`.
fn parse_percent(text: &str) -> Option<rust_decimal::Decimal> {
    let s: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let s = s.strip_suffix('%').unwrap_or(&s).replace(',', ".");
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let d: rust_decimal::Decimal = s.parse().ok()?;
    (d <= rust_decimal::Decimal::ONE_HUNDRED).then_some(d)
}

fn parse_count(text: &str, max: u64) -> Option<u64> {
    let s = text.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 9 {
        return None;
    }
    s.parse().ok().filter(|n| *n <= max)
}

/// An organisation number in any common form (`921693230`, `921 693 230`,
/// `NO 921 693 230 MVA`): its 9 digits.
pub fn parse_org_number(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let s = upper.trim().trim_start_matches("NO").trim_end_matches("MVA");
    if !s
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_whitespace() || c == '.' || c == '-')
    {
        return None;
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 9).then_some(digits)
}

/// `2023-03-01` (what a date field sends) or `01.03.2023`.
pub fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let s = text.trim();
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
}

/// CPV codes separated by commas, semicolons or spaces; a check digit
/// (`34136000-9`) is dropped. `Err` holds the first code that is not one.
pub fn parse_cpv(text: &str) -> Result<Vec<String>, String> {
    let mut codes = Vec::new();
    for part in text
        .split([',', ';', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let code = part.split_once('-').map(|(c, _)| c).unwrap_or(part);
        if code.len() != 8 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(part.to_string());
        }
        codes.push(code.to_string());
    }
    Ok(codes)
}

// ---------------------------------------------------------------------------
// Choices

/// A value of a select, with its labels.
pub struct Choice {
    pub code: &'static str,
    pub nb: &'static str,
    pub en: &'static str,
}

const fn c(code: &'static str, nb: &'static str, en: &'static str) -> Choice {
    Choice { code, nb, en }
}

pub const OPTIONS_BUYER_KIND: &[Choice] = &[
    c("county", "Fylkeskommune", "County"),
    c("municipal", "Kommune", "Municipality"),
    c("state", "Statlig virksomhet", "State body"),
    c(
        "public_body",
        "Annet offentligrettslig organ",
        "Other body governed by public law",
    ),
    c("utility", "Forsyningsvirksomhet", "Utility"),
];

pub const OPTIONS_CATEGORY: &[Choice] = &[
    c("goods", "Varer", "Goods"),
    c("services", "Tjenester", "Services"),
    c("works", "Bygge- og anleggsarbeid", "Works"),
];

pub const OPTIONS_PROCEDURE: &[Choice] = &[
    c("open", "Åpen anbudskonkurranse", "Open procedure"),
    c("restricted", "Begrenset anbudskonkurranse", "Restricted procedure"),
    c(
        "negotiated",
        "Konkurranse med forhandling",
        "Competitive procedure with negotiation",
    ),
    c(
        "negotiated_without_notice",
        "Forhandlet prosedyre uten forutgående kunngjøring",
        "Negotiated procedure without prior publication",
    ),
    c(
        "competitive_dialogue",
        "Konkurransepreget dialog",
        "Competitive dialogue",
    ),
    c(
        "innovation_partnership",
        "Innovasjonspartnerskap",
        "Innovation partnership",
    ),
    c("direct", "Direkteanskaffelse", "Direct award"),
    c(
        "below_threshold",
        "Konkurranse under EØS-terskelverdi (del I/II)",
        "Competition below the EEA threshold",
    ),
    c(
        "framework_call_off",
        "Avrop på rammeavtale",
        "Call-off under a framework agreement",
    ),
];

pub const OPTIONS_CRITERION: &[Choice] = &[
    c("price", "Pris", "Price"),
    c("cost", "Kostnad (livssykluskostnad)", "Cost (life-cycle cost)"),
    c("quality", "Kvalitet", "Quality"),
    c("environment", "Klima og miljø", "Climate and environment"),
    c("social", "Sosiale hensyn", "Social"),
    c("innovation", "Innovasjon", "Innovation"),
];

pub const OPTIONS_FUEL: &[Choice] = &[
    c("electric", "Elektrisitet", "Electricity"),
    c("hydrogen", "Hydrogen", "Hydrogen"),
    c("biogas", "Biogass", "Biogas"),
    c("hvo100", "HVO100", "HVO100"),
    c("ed95", "ED95", "ED95"),
    c("biodiesel", "Biodiesel (innblanding)", "Biodiesel (blend)"),
    c("diesel", "Diesel", "Diesel"),
    c("petrol", "Bensin", "Petrol"),
    c("natural_gas", "Naturgass", "Natural gas"),
    c("hybrid", "Hybrid", "Hybrid"),
    c("plugin_hybrid", "Ladbar hybrid", "Plug-in hybrid"),
];

const OPTIONS_TRI: &[Choice] = &[c("yes", "Ja", "Yes"), c("no", "Nei", "No")];

/// The label of a form field, for the list of errors.
fn field_label(id: &str, lang: Lang) -> String {
    let rows: [(&str, &str, &str, &str); 6] = [
        ("crit_name_", "Kriterium", "Criterion", "name"),
        ("crit_type_", "Kriterium", "Criterion", "type"),
        ("crit_weight_", "Kriterium", "Criterion", "weight"),
        ("veh_class_", "Kjøretøy", "Vehicle", "class"),
        ("veh_count_", "Kjøretøy", "Vehicle", "count"),
        ("veh_fuel_", "Kjøretøy", "Vehicle", "fuel"),
    ];
    for (prefix, nb, en, what) in rows {
        if let Some(n) = id.strip_prefix(prefix) {
            let what = match (what, lang) {
                ("name", Lang::Nb) => "navn",
                ("weight", Lang::Nb) => "vekt",
                ("class", Lang::Nb) => "klasse",
                ("count", Lang::Nb) => "antall",
                ("fuel", Lang::Nb) => "drivstoff",
                (w, _) => w,
            };
            return format!("{} {n}: {what}", t(lang, nb, en));
        }
    }
    let simple = match id {
        "id" => ("Saksnummer", "Reference"),
        "lots_count" => ("Antall delkontrakter", "Number of lots"),
        "lots_titles" => ("Titler på delkontrakter", "Titles of the lots"),
        "labour_levels" => ("Ledd underleverandører", "Subcontractor levels"),
        "file" => ("Fil", "File"),
        _ => {
            let path = match id {
                "buyer_name" => "buyer.name",
                "buyer_id" => "buyer.id",
                "buyer_kind" => "buyer.kind",
                "spec_requirements" => "environment.spec_requirements",
                "fossil_free_site" => "construction.fossil_free_site",
                "ecommerce_ordering" => "ecommerce.ordering",
                "ecommerce_einvoice" => "ecommerce.einvoice",
                "lcc_assessed" => "lcc.assessed",
                "labour_apprentices" => "labour.apprentices",
                "labour_wages_bank" => "labour.wages_via_bank",
                other => other,
            };
            return match field_input(path) {
                Some((_, nb, en)) => t(lang, nb, en).to_string(),
                None => id.to_string(),
            };
        }
    };
    t(lang, simple.0, simple.1).to_string()
}

/// Where each record field is filled in on the form, to link "fill in"
/// hints to it.
fn field_input(path: &str) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match path {
        "title" => ("title", "Tittel", "Title"),
        "buyer.name" => ("buyer_name", "Oppdragsgiver", "Buyer"),
        "buyer.id" => ("buyer_id", "Organisasjonsnummer", "Organisation number"),
        "buyer.kind" => ("buyer_kind", "Type oppdragsgiver", "Kind of buyer"),
        "date" => ("date", "Dato", "Date"),
        "category" => ("category", "Kategori", "Category"),
        "cpv" => ("cpv", "CPV-koder", "CPV codes"),
        "estimated_value" | "value" => ("estimated_value", "Anslått verdi", "Estimated value"),
        "procedure" => ("procedure", "Prosedyre", "Procedure"),
        "framework" => ("framework", "Rammeavtale", "Framework agreement"),
        "lots" => ("lots_count", "Delkontrakter", "Lots"),
        "lots_justification" => (
            "lots_justification",
            "Begrunnelse for ikke å dele opp",
            "Reason not to divide",
        ),
        "award_criteria" | "award_criteria[].type" | "award_criteria[].weight" | "award_criteria[].name" => {
            ("crit_name_1", "Tildelingskriterier", "Award criteria")
        }
        "environment.spec_requirements" => (
            "spec_requirements",
            "Klima- og miljøkrav i kravspesifikasjonen",
            "Climate requirements in the specification",
        ),
        "vehicles" | "vehicles[].fuel" | "vehicles[].class" | "vehicles[].count" => {
            ("veh_class_1", "Kjøretøy", "Vehicles")
        }
        "construction.fossil_free_site" => ("fossil_free_site", "Fossilfri byggeplass", "Fossil-free site"),
        "ecommerce.ordering" => (
            "ecommerce_ordering",
            "Bestilling via e-handel",
            "Ordering through e-commerce",
        ),
        "ecommerce.einvoice" => ("ecommerce_einvoice", "EHF-faktura", "EHF e-invoices"),
        "lcc.assessed" => ("lcc_assessed", "Livssykluskostnad vurdert", "Life-cycle cost assessed"),
        "labour.max_subcontractor_levels" => (
            "labour_levels",
            "Høyst antall ledd underleverandører",
            "Most subcontractor levels",
        ),
        "labour.apprentices" => ("labour_apprentices", "Krav om lærlinger", "Apprentices required"),
        "labour.wages_via_bank" => ("labour_wages_bank", "Lønn via bank", "Wages paid through a bank"),
        "rationale" => ("rationale", "Rettslig grunnlag", "Legal basis"),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------
// Rendering

const STYLE: &str = r#"
:root { --ink: #1b1b1b; --muted: #555; --line: #b8b8b8; --fail: #a4000f; --warn: #7a4d00; --ok: #0b6b2c; --focus: #ffbf47; --link: #1a4f9c; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; background: #fafafa; }
header, main { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid var(--ink); padding-top: 1rem; }
header h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
header p { margin: 0 0 .5rem; color: var(--muted); }
a { color: var(--link); }
a:focus, input:focus, select:focus, textarea:focus, button:focus, summary:focus { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .25rem .5rem; }
fieldset { border: 1px solid var(--line); margin: 1rem 0; padding: .5rem 1rem 1rem; background: #fff; }
legend { font-weight: 700; padding: 0 .25rem; }
.field { margin: .75rem 0; }
.field label, .rowlabel { display: block; font-weight: 600; }
.hint { display: block; color: var(--muted); font-size: .9rem; }
input[type=text], input[type=date], input[type=file], select, textarea { font: inherit; padding: .35rem .5rem; border: 2px solid #6f6f6f; border-radius: 0; background: #fff; max-width: 100%; }
input[type=text], textarea { width: 100%; }
input.short { width: 14rem; }
input.tiny { width: 6rem; }
textarea { min-height: 4rem; }
.row { display: flex; flex-wrap: wrap; gap: .75rem; align-items: flex-start; margin: .5rem 0; padding: .5rem 0; border-top: 1px dashed #ddd; }
.row .field { margin: 0; flex: 1 1 12rem; }
.row .field.narrow { flex: 0 1 8rem; }
.error-text { color: var(--fail); font-weight: 600; margin: .25rem 0; }
.invalid input, .invalid select, .invalid textarea { border-color: var(--fail); border-width: 3px; }
.invalid { border-left: 4px solid var(--fail); padding-left: .75rem; }
.summary-box { border: 4px solid var(--fail); background: #fff; padding: .5rem 1rem; margin: 1rem 0; }
button { font: inherit; font-weight: 700; padding: .5rem 1.25rem; background: #0b5394; color: #fff; border: 2px solid #0b5394; cursor: pointer; }
button:hover { background: #073763; }
.status { font-size: 1.25rem; font-weight: 700; padding: .5rem 1rem; border-left: 8px solid; background: #fff; }
.status.non_compliant { border-color: var(--fail); }
.status.incomplete { border-color: var(--warn); }
.status.compliant { border-color: var(--ok); }
.findings { list-style: none; padding: 0; }
.finding { background: #fff; border: 1px solid var(--line); border-left: 6px solid var(--line); padding: .5rem 1rem; margin: .5rem 0; }
.finding.fail { border-left-color: var(--fail); }
.finding.should { border-left-color: var(--warn); }
.finding.unknown { border-left-color: var(--warn); }
.finding.pass { border-left-color: var(--ok); }
.finding h4 { margin: .25rem 0; font-size: 1rem; }
.tag { display: inline-block; font-size: .8rem; font-weight: 700; padding: 0 .4rem; border: 1px solid currentColor; margin-right: .25rem; text-transform: uppercase; }
.advice { background: #f1f6fc; padding: .4rem .6rem; border-left: 3px solid var(--link); }
.muted { color: var(--muted); font-size: .9rem; }
pre { background: #fff; border: 1px solid var(--line); padding: 1rem; overflow-x: auto; white-space: pre-wrap; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
"#;

fn head(lang: Lang, title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{} – anskaff</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">{}</a>\n",
        lang.code(),
        esc(title),
        t(lang, "Hopp til hovedinnholdet", "Skip to main content"),
    )
}

fn header_html(lang: Lang, path: &str) -> String {
    let (other, other_name, other_code) = match lang {
        Lang::Nb => (Lang::En, "English", "en"),
        Lang::En => (Lang::Nb, "Norsk bokmål", "nb"),
    };
    format!(
        "<header><div><h1><a href=\"/?lang={}\" style=\"color:inherit;text-decoration:none\">anskaff</a></h1><p>{}</p></div>\
         <nav aria-label=\"{}\"><a href=\"{}?lang={}\" lang=\"{other_code}\" hreflang=\"{other_code}\">{other_name}</a></nav></header>\n",
        lang.code(),
        t(
            lang,
            "Sjekk en planlagt anskaffelse mot innkjøpsstrategien og regelverket",
            "Check a planned tender against the procurement strategy and the law"
        ),
        t(lang, "Språk", "Language"),
        esc(path),
        other.code(),
    )
}

/// The whole page: the result (if any), the form with the user's values and
/// errors, the upload form, and the loaded policies.
pub fn render_page(
    loaded: &Loaded,
    lang: Lang,
    form: &FormValues,
    errors: &Errors,
    result: Option<&Findings>,
) -> String {
    let plan = &loaded.policies.plan;
    let title = match (result, errors.is_empty()) {
        (_, false) => t(lang, "Feil i skjemaet", "Errors in the form"),
        (Some(_), _) => t(lang, "Resultat", "Result"),
        _ => t(lang, "Sjekk en planlagt anskaffelse", "Check a planned tender"),
    };
    let mut out = head(lang, title);
    out.push_str(&header_html(lang, "/"));
    out.push_str("<main id=\"main\">\n");
    if let Some(found) = result {
        out.push_str(&result_html(plan, lang, found));
    }
    let form_errors: Vec<(&str, &str)> = errors.iter().filter(|(f, _)| *f != "file").collect();
    if !form_errors.is_empty() {
        let _ = write!(
            out,
            "<div class=\"summary-box\" role=\"alert\" aria-labelledby=\"error-summary\"><h2 id=\"error-summary\">{}</h2><ul>",
            t(
                lang,
                "Skjemaet har feil – rett dem og send på nytt",
                "The form has errors – correct them and send it again"
            )
        );
        for (field, message) in &form_errors {
            let _ = write!(
                out,
                "<li><a href=\"#{}\">{}: {}</a></li>",
                esc(field),
                esc(&field_label(field, lang)),
                esc(message)
            );
        }
        out.push_str("</ul></div>\n");
    }
    out.push_str(&form_html(lang, form, errors, result.is_some()));
    out.push_str(&upload_html(lang, errors));
    out.push_str(&policies_html(plan, lang));
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

fn result_html(plan: &Plan, lang: Lang, found: &Findings) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"result\"><h2 id=\"result\">{}</h2>",
        t(lang, "Resultat", "Result")
    );
    for e in &found.errors {
        let _ = write!(out, "<p class=\"error-text\">{}</p>", esc(&e.message));
    }
    for r in &found.records {
        out.push_str(&record_html(plan, lang, r));
    }
    out.push_str("</section>\n");
    out
}

fn record_html(plan: &Plan, lang: Lang, r: &Evaluated) -> String {
    let mut out = String::new();
    let rule_of = |f: &Finding| plan.rules.get(f.rule as usize);
    let is = |f: &Finding, o: Outcome, s: Option<Severity>| {
        f.outcome == o && s.is_none_or(|s| rule_of(f).is_some_and(|r| r.severity == s))
    };
    let must_fail: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| is(f, Outcome::Fail, Some(Severity::Must)))
        .collect();
    let should_fail: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| is(f, Outcome::Fail, Some(Severity::Should)))
        .collect();
    let unknown: Vec<&Finding> = r.findings.iter().filter(|f| is(f, Outcome::Unknown, None)).collect();
    let waived: Vec<&Finding> = r.findings.iter().filter(|f| is(f, Outcome::Waived, None)).collect();
    let passed: Vec<&Finding> = r.findings.iter().filter(|f| is(f, Outcome::Pass, None)).collect();
    let not_applicable: Vec<&Finding> = r
        .findings
        .iter()
        .filter(|f| is(f, Outcome::NotApplicable, None))
        .collect();
    let (mark, summary) = match r.status {
        Status::NonCompliant => (
            "✗",
            t(
                lang,
                "Anskaffelsen bryter skal-krav. Se hva som må rettes under.",
                "The tender breaks must rules. See what to fix below.",
            ),
        ),
        Status::Incomplete => (
            "?",
            t(
                lang,
                "Noen skal-krav kan ikke vurderes før flere felt er fylt inn.",
                "Some must rules cannot be checked until more fields are filled in.",
            ),
        ),
        Status::Compliant => (
            "✓",
            t(
                lang,
                "Anskaffelsen oppfyller alle skal-krav som gjelder.",
                "The tender meets every must rule that applies.",
            ),
        ),
    };
    let applies = r.findings.len() - not_applicable.len();
    let count = match lang {
        Lang::Nb => format!(
            "{applies} av de {} lastede reglene gjelder denne anskaffelsen.",
            r.findings.len()
        ),
        Lang::En => format!(
            "{applies} of the {} loaded rules apply to this tender.",
            r.findings.len()
        ),
    };
    let name = match &r.title {
        Some(title) => format!("{} <span class=\"muted\">({})</span>", esc(title), esc(&r.id)),
        None => esc(&r.id),
    };
    let _ = writeln!(
        out,
        "<p class=\"status {}\"><span aria-hidden=\"true\">{mark}</span> {name}: {}</p>\n<p>{summary} {count}</p>",
        r.status.as_str(),
        esc(status_word(r.status, lang)),
    );
    let groups: [(&str, &str, &[&Finding], &str); 5] = [
        (
            "fail",
            t(
                lang,
                "Brudd på skal-krav – dette må rettes",
                "Must rules broken – fix these",
            ),
            &must_fail,
            "fail",
        ),
        (
            "should",
            t(lang, "Bør-krav som ikke er oppfylt", "Should rules not met"),
            &should_fail,
            "should",
        ),
        (
            "unknown",
            t(
                lang,
                "Kan ikke vurderes – fyll inn mer",
                "Cannot be checked – fill in more",
            ),
            &unknown,
            "unknown",
        ),
        ("waived", t(lang, "Unntak", "Waived"), &waived, "waived"),
        ("pass", t(lang, "Oppfylt", "Met"), &passed, "pass"),
    ];
    for (id, heading, list, class) in groups {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<h3 id=\"{id}\">{heading} ({})</h3>\n<ul class=\"findings\">",
            list.len()
        );
        for f in list {
            out.push_str(&finding_html(plan, lang, f, class));
        }
        out.push_str("</ul>\n");
    }
    if !not_applicable.is_empty() {
        let _ = write!(
            out,
            "<details><summary>{} ({})</summary><ul>",
            t(
                lang,
                "Regler som ikke gjelder denne anskaffelsen",
                "Rules that do not apply to this tender"
            ),
            not_applicable.len()
        );
        for f in &not_applicable {
            if let Some(rule) = rule_of(f) {
                let _ = write!(
                    out,
                    "<li><strong>{}</strong> {}</li>",
                    esc(&rule.id),
                    esc(rule.title.get(lang).unwrap_or(""))
                );
            }
        }
        out.push_str("</ul></details>\n");
    }
    if !r.warnings.is_empty() {
        let _ = write!(out, "<h3>{}</h3><ul>", t(lang, "Dataproblemer", "Data problems"));
        for w in &r.warnings {
            let _ = write!(out, "<li><code>{}</code>: {}</li>", esc(&w.field), esc_code(&w.message));
        }
        out.push_str("</ul>\n");
    }
    out
}

fn finding_html(plan: &Plan, lang: Lang, f: &Finding, class: &str) -> String {
    let Some(rule) = plan.rules.get(f.rule as usize) else {
        return String::new();
    };
    let area = plan
        .areas
        .get(rule.area as usize)
        .and_then(|a| a.title.get(lang).map(str::to_string).or(Some(a.id.clone())))
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<li class=\"finding {class}\" id=\"finding-{}\"><h4><span class=\"tag\">{}</span> {} <span class=\"muted\">[{}]</span> {}</h4>",
        esc(&rule.id),
        esc(crate::report::outcome_word(f.outcome, lang)),
        esc(&rule.id),
        esc(severity_word(rule.severity, lang)),
        esc(rule.title.get(lang).unwrap_or("")),
    );
    // A passed rule's message often only repeats its title.
    let repeats_title = f.outcome == Outcome::Pass && rule.title.get(lang).is_some_and(|t| f.message.ends_with(t));
    if !f.message.is_empty() && !repeats_title {
        let _ = writeln!(out, "<p>{}</p>", esc_code(&f.message));
    }
    for p in &f.problems {
        let _ = writeln!(out, "<p>{}</p>", esc_code(p));
    }
    if !f.missing.is_empty() {
        let links: Vec<String> = f
            .missing
            .iter()
            .map(|m| match field_input(m) {
                Some((id, nb, en)) => format!("<a href=\"#{id}\">{}</a>", t(lang, nb, en)),
                None => format!("<code>{}</code>", esc(m)),
            })
            .collect();
        let _ = writeln!(
            out,
            "<p><strong>{}</strong> {}</p>",
            t(lang, "Fyll inn:", "Fill in:"),
            links.join(", ")
        );
    }
    if let Some(w) = &f.waiver {
        let _ = write!(
            out,
            "<p>{} {} ({} {})</p>",
            t(lang, "Unntak:", "Waived:"),
            esc(w.reason.as_deref().unwrap_or("")),
            t(lang, "godkjent av", "approved by"),
            esc(w.approved_by.as_deref().unwrap_or("?")),
        );
    }
    for n in &f.notes {
        let _ = writeln!(out, "<p>{}</p>", esc_code(n));
    }
    if matches!(f.outcome, Outcome::Fail | Outcome::Unknown)
        && let Some(advice) = rule.advice.get(lang)
    {
        let _ = writeln!(
            out,
            "<p class=\"advice\"><strong>{}</strong> {}</p>",
            t(lang, "Slik retter du det:", "How to fix it:"),
            esc_code(advice)
        );
    }
    let mut facts = vec![format!("{} {}", t(lang, "Område:", "Area:"), esc(&area))];
    if let Some(basis) = &rule.basis {
        facts.push(format!("{} {}", t(lang, "Grunnlag:", "Basis:"), esc(basis)));
    }
    let _ = writeln!(out, "<p class=\"muted\">{}</p></li>", facts.join(" · "));
    out
}

/// A label, hint and error for a field; `control` is the input itself.
fn field(id: &str, label: &str, hint: &str, errors: &Errors, control: &str, class: &str) -> String {
    let error = errors.get(id);
    let mut described = Vec::new();
    if !hint.is_empty() {
        described.push(format!("{id}-hint"));
    }
    if error.is_some() {
        described.push(format!("{id}-error"));
    }
    let aria = if described.is_empty() {
        String::new()
    } else {
        format!(" aria-describedby=\"{}\"", described.join(" "))
    };
    let invalid = if error.is_some() { " aria-invalid=\"true\"" } else { "" };
    let control = control.replacen("{aria}", &format!("{aria}{invalid}"), 1);
    let mut out = format!(
        "<div class=\"field{}{}\"><label for=\"{id}\">{}</label>",
        if class.is_empty() { "" } else { " " },
        class,
        esc(label)
    );
    if error.is_some() {
        out = out.replacen("class=\"field", "class=\"field invalid", 1);
    }
    if !hint.is_empty() {
        let _ = write!(out, "<span class=\"hint\" id=\"{id}-hint\">{}</span>", esc(hint));
    }
    if let Some(e) = error {
        let _ = write!(
            out,
            "<p class=\"error-text\" id=\"{id}-error\"><span class=\"tag\">!</span> {}</p>",
            esc(e)
        );
    }
    out.push_str(&control);
    out.push_str("</div>\n");
    out
}

fn text_input(form: &FormValues, id: &str, class: &str, extra: &str) -> String {
    format!(
        "<input type=\"text\" id=\"{id}\" name=\"{id}\" value=\"{}\"{}{extra}{{aria}}>",
        esc(form.get(id)),
        if class.is_empty() {
            String::new()
        } else {
            format!(" class=\"{class}\"")
        }
    )
}

fn select(form: &FormValues, id: &str, options: &[Choice], lang: Lang, none: &str) -> String {
    let current = form.get(id);
    let mut out = format!(
        "<select id=\"{id}\" name=\"{id}\"{{aria}}><option value=\"\">{}</option>",
        esc(none)
    );
    for o in options {
        let _ = write!(
            out,
            "<option value=\"{}\"{}>{}</option>",
            o.code,
            if o.code == current { " selected" } else { "" },
            esc(t(lang, o.nb, o.en))
        );
    }
    out.push_str("</select>");
    out
}

fn tri(form: &FormValues, id: &str, lang: Lang) -> String {
    select(form, id, OPTIONS_TRI, lang, t(lang, "Ikke oppgitt", "Not stated"))
}

fn textarea(form: &FormValues, id: &str) -> String {
    format!(
        "<textarea id=\"{id}\" name=\"{id}\" rows=\"3\"{{aria}}>{}</textarea>",
        esc(form.get(id))
    )
}

fn form_html(lang: Lang, form: &FormValues, errors: &Errors, after_result: bool) -> String {
    let l = |nb, en| t(lang, nb, en);
    let choose = l("Velg …", "Choose …");
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"form-title\"><h2 id=\"form-title\">{}</h2>\n<p>{}</p>",
        if after_result {
            l("Endre og sjekk på nytt", "Change and check again")
        } else {
            l("Planlagt anskaffelse", "Planned tender")
        },
        l(
            "Fyll inn det du vet. Felt du lar stå tomme, regnes som ukjente: regler som trenger dem, vises som «kan ikke vurderes».",
            "Fill in what you know. Fields left empty count as unknown: rules that need them are shown as “cannot be checked”."
        ),
    );
    let _ = writeln!(
        out,
        "<form id=\"tender\" method=\"post\" action=\"/check-form?lang={}\" novalidate>\n<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        lang.code(),
        lang.code()
    );
    // The procurement.
    let _ = writeln!(
        out,
        "<fieldset><legend>{}</legend>",
        l("Anskaffelsen", "The procurement")
    );
    out.push_str(&field(
        "id",
        l("Saksnummer eller referanse", "Case number or reference"),
        l("Valgfritt.", "Optional."),
        errors,
        &text_input(form, "id", "short", ""),
        "",
    ));
    out.push_str(&field(
        "title",
        l("Tittel", "Title"),
        "",
        errors,
        &text_input(form, "title", "", ""),
        "",
    ));
    out.push_str(&field(
        "date",
        l("Dato", "Date"),
        l(
            "Datoen avgjør hvilke regler og terskelverdier som gjelder. ÅÅÅÅ-MM-DD.",
            "The date decides which rules and thresholds apply. YYYY-MM-DD.",
        ),
        errors,
        &format!(
            "<input type=\"date\" id=\"date\" name=\"date\" value=\"{}\"{{aria}}>",
            esc(form.get("date"))
        ),
        "",
    ));
    out.push_str(&field(
        "category",
        l("Kategori", "Category"),
        "",
        errors,
        &select(form, "category", OPTIONS_CATEGORY, lang, choose),
        "",
    ));
    out.push_str(&field(
        "cpv",
        l("CPV-koder", "CPV codes"),
        l(
            "Hovedkoden først, skilt med komma, f.eks. 34136000, 34144900.",
            "The main code first, separated by commas, e.g. 34136000, 34144900.",
        ),
        errors,
        &text_input(form, "cpv", "", " inputmode=\"numeric\""),
        "",
    ));
    out.push_str(&field(
        "estimated_value",
        l("Anslått verdi (NOK, uten mva.)", "Estimated value (NOK, excluding VAT)"),
        l("Med sifre, f.eks. 1 300 000.", "In digits, e.g. 1 300 000."),
        errors,
        &text_input(
            form,
            "estimated_value",
            "short",
            " inputmode=\"decimal\" autocomplete=\"off\"",
        ),
        "",
    ));
    out.push_str(&field(
        "procedure",
        l("Prosedyre", "Procedure"),
        "",
        errors,
        &select(form, "procedure", OPTIONS_PROCEDURE, lang, choose),
        "",
    ));
    out.push_str(&field(
        "framework",
        l("Rammeavtale", "Framework agreement"),
        "",
        errors,
        &tri(form, "framework", lang),
        "",
    ));
    out.push_str("</fieldset>\n");
    // The buyer.
    let _ = writeln!(out, "<fieldset><legend>{}</legend>", l("Oppdragsgiver", "Buyer"));
    out.push_str(&field(
        "buyer_name",
        l("Navn", "Name"),
        "",
        errors,
        &text_input(form, "buyer_name", "", " autocomplete=\"organization\""),
        "",
    ));
    out.push_str(&field(
        "buyer_id",
        l("Organisasjonsnummer", "Organisation number"),
        l("9 sifre, f.eks. 921 693 230.", "9 digits, e.g. 921 693 230."),
        errors,
        &text_input(form, "buyer_id", "short", " inputmode=\"numeric\""),
        "",
    ));
    out.push_str(&field(
        "buyer_kind",
        l("Type oppdragsgiver", "Kind of buyer"),
        "",
        errors,
        &select(form, "buyer_kind", OPTIONS_BUYER_KIND, lang, choose),
        "",
    ));
    out.push_str("</fieldset>\n");
    // Lots.
    let _ = writeln!(out, "<fieldset><legend>{}</legend>", l("Delkontrakter", "Lots"));
    out.push_str(&field(
        "lots_count",
        l("Antall delkontrakter", "Number of lots"),
        l(
            "0 hvis anskaffelsen ikke deles opp. Tomt hvis ikke avgjort.",
            "0 if it is not divided. Empty if not decided.",
        ),
        errors,
        &text_input(form, "lots_count", "tiny", " inputmode=\"numeric\""),
        "",
    ));
    out.push_str(&field(
        "lots_titles",
        l("Eller: titlene på delkontraktene", "Or: the titles of the lots"),
        l("Én per linje.", "One per line."),
        errors,
        &textarea(form, "lots_titles"),
        "",
    ));
    out.push_str(&field(
        "lots_justification",
        l("Begrunnelse for ikke å dele opp", "Reason for not dividing into lots"),
        "",
        errors,
        &textarea(form, "lots_justification"),
        "",
    ));
    out.push_str("</fieldset>\n");
    // Award criteria.
    let _ = writeln!(
        out,
        "<fieldset><legend>{}</legend><p class=\"hint\">{}</p>",
        l("Tildelingskriterier", "Award criteria"),
        l(
            "Ett kriterium per rad; vekten i prosent. La radene stå tomme hvis kriteriene ikke er bestemt.",
            "One criterion per row; the weight in per cent. Leave the rows empty if the criteria are not decided.",
        )
    );
    for i in 1..=CRITERIA_ROWS {
        let _ = write!(
            out,
            "<div class=\"row\" role=\"group\" aria-label=\"{} {i}\">",
            l("Kriterium", "Criterion")
        );
        out.push_str(&field(
            &format!("crit_name_{i}"),
            &format!("{} {i}: {}", l("Kriterium", "Criterion"), l("navn", "name")),
            "",
            errors,
            &text_input(form, &format!("crit_name_{i}"), "", ""),
            "",
        ));
        out.push_str(&field(
            &format!("crit_type_{i}"),
            &format!("{} {i}: {}", l("Kriterium", "Criterion"), l("type", "kind")),
            "",
            errors,
            &select(form, &format!("crit_type_{i}"), OPTIONS_CRITERION, lang, choose),
            "",
        ));
        out.push_str(&field(
            &format!("crit_weight_{i}"),
            &format!("{} {i}: {}", l("Kriterium", "Criterion"), l("vekt (%)", "weight (%)")),
            "",
            errors,
            &text_input(form, &format!("crit_weight_{i}"), "tiny", " inputmode=\"decimal\""),
            "narrow",
        ));
        out.push_str("</div>\n");
    }
    out.push_str(&field(
        "spec_requirements",
        l(
            "Klima- og miljøkrav i kravspesifikasjonen i stedet for vektet kriterium",
            "Climate and environmental requirements in the specification instead of a weighted criterion",
        ),
        "",
        errors,
        &tri(form, "spec_requirements", lang),
        "",
    ));
    out.push_str("</fieldset>\n");
    // Vehicles.
    let _ = writeln!(
        out,
        "<fieldset><legend>{}</legend><p class=\"hint\">{}</p>",
        l("Kjøretøy", "Vehicles"),
        l(
            "Kjøretøy som kjøpes, leies eller brukes i oppdraget. Én type per rad.",
            "Vehicles bought, leased or used for the contract. One kind per row.",
        )
    );
    for i in 1..=VEHICLE_ROWS {
        let _ = write!(
            out,
            "<div class=\"row\" role=\"group\" aria-label=\"{} {i}\">",
            l("Kjøretøy", "Vehicle")
        );
        out.push_str(&field(
            &format!("veh_class_{i}"),
            &format!("{} {i}: {}", l("Kjøretøy", "Vehicle"), l("klasse", "class")),
            l("F.eks. N1 (varebil), M1, M3.", "E.g. N1 (van), M1, M3."),
            errors,
            &text_input(form, &format!("veh_class_{i}"), "", ""),
            "",
        ));
        out.push_str(&field(
            &format!("veh_count_{i}"),
            &format!("{} {i}: {}", l("Kjøretøy", "Vehicle"), l("antall", "count")),
            "",
            errors,
            &text_input(form, &format!("veh_count_{i}"), "tiny", " inputmode=\"numeric\""),
            "narrow",
        ));
        out.push_str(&field(
            &format!("veh_fuel_{i}"),
            &format!("{} {i}: {}", l("Kjøretøy", "Vehicle"), l("drivstoff", "fuel")),
            "",
            errors,
            &select(form, &format!("veh_fuel_{i}"), OPTIONS_FUEL, lang, choose),
            "",
        ));
        out.push_str("</div>\n");
    }
    out.push_str("</fieldset>\n");
    // Contract terms.
    let _ = writeln!(
        out,
        "<fieldset><legend>{}</legend>",
        l("Kontraktsvilkår", "Contract terms")
    );
    out.push_str(&field(
        "labour_levels",
        l(
            "Høyst antall ledd underleverandører",
            "Most subcontractor levels allowed",
        ),
        "",
        errors,
        &text_input(form, "labour_levels", "tiny", " inputmode=\"numeric\""),
        "",
    ));
    out.push_str(&field(
        "labour_apprentices",
        l("Krav om lærlinger", "Apprentices required"),
        "",
        errors,
        &tri(form, "labour_apprentices", lang),
        "",
    ));
    out.push_str(&field(
        "labour_wages_bank",
        l("Lønn utbetales via bank", "Wages paid through a bank"),
        "",
        errors,
        &tri(form, "labour_wages_bank", lang),
        "",
    ));
    out.push_str(&field(
        "ecommerce_ordering",
        l("Bestilling via e-handel", "Ordering through e-commerce"),
        "",
        errors,
        &tri(form, "ecommerce_ordering", lang),
        "",
    ));
    out.push_str(&field(
        "ecommerce_einvoice",
        l("Faktura som EHF", "EHF e-invoices"),
        "",
        errors,
        &tri(form, "ecommerce_einvoice", lang),
        "",
    ));
    out.push_str(&field(
        "lcc_assessed",
        l("Livssykluskostnad (LCC) vurdert", "Life-cycle cost (LCC) assessed"),
        "",
        errors,
        &tri(form, "lcc_assessed", lang),
        "",
    ));
    out.push_str(&field(
        "fossil_free_site",
        l("Fossilfri bygge- og anleggsplass", "Fossil-free building site"),
        l("Bare for bygge- og anleggsarbeid.", "For works only."),
        errors,
        &tri(form, "fossil_free_site", lang),
        "",
    ));
    out.push_str(&field(
        "rationale",
        l(
            "Rettslig grunnlag (ved direkteanskaffelse eller uten kunngjøring)",
            "Legal basis (for a direct award or an award without a notice)",
        ),
        l("F.eks. FOA § 13-3 e: …", "E.g. FOA § 13-3 e: …"),
        errors,
        &textarea(form, "rationale"),
        "",
    ));
    out.push_str("</fieldset>\n");
    let _ = writeln!(
        out,
        "<p><button type=\"submit\">{}</button></p>\n</form></section>",
        l("Sjekk anskaffelsen", "Check the tender")
    );
    out
}

fn upload_html(lang: Lang, errors: &Errors) -> String {
    let l = |nb, en| t(lang, nb, en);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"upload-title\"><h2 id=\"upload-title\">{}</h2><p>{}</p>",
        l("Last opp en anskaffelsesplan", "Upload a procurement plan"),
        l(
            "Et regneark (XLSX eller CSV) med én anskaffelse per rad, eForms-kunngjøringer (XML), OCDS eller poster i JSON. Filen lagres ikke.",
            "A spreadsheet (XLSX or CSV) with one procurement per row, eForms notices (XML), OCDS or records in JSON. The file is not stored.",
        )
    );
    let _ = writeln!(
        out,
        "<form id=\"upload\" method=\"post\" action=\"/check-upload?lang={}\" enctype=\"multipart/form-data\">\n<input type=\"hidden\" name=\"lang\" value=\"{}\">",
        lang.code(),
        lang.code()
    );
    out.push_str(&field(
        "file",
        l("Fil", "File"),
        l(
            ".xlsx, .csv, .xml, .json eller .jsonl",
            ".xlsx, .csv, .xml, .json or .jsonl",
        ),
        errors,
        "<input type=\"file\" id=\"file\" name=\"file\" accept=\".xlsx,.xlsm,.csv,.tsv,.xml,.json,.jsonl,.ndjson\"{aria}>",
        "",
    ));
    let _ = writeln!(
        out,
        "<p><button type=\"submit\">{}</button></p>\n</form></section>",
        l("Sjekk planen", "Check the plan")
    );
    out
}

fn policies_html(plan: &Plan, lang: Lang) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "<section aria-labelledby=\"policies-title\"><h2 id=\"policies-title\">{}</h2><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t(lang, "Lastede policyer", "Loaded policies"),
        t(lang, "Policy", "Policy"),
        t(lang, "Tittel", "Title"),
        t(lang, "Gjelder", "In force"),
        t(lang, "Regler", "Rules"),
    );
    for (i, p) in plan.policies.iter().enumerate() {
        let rules = plan.rules.iter().filter(|r| r.policy as usize == i).count();
        let _ = writeln!(
            out,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{rules}</td></tr>",
            esc(&p.id),
            p.version.as_deref().map(|v| format!(" {}", esc(v))).unwrap_or_default(),
            esc(p.title.get(lang).unwrap_or("")),
            esc(&p.in_force.display()),
        );
    }
    let _ = writeln!(
        out,
        "</tbody></table><p class=\"muted\">{} <a href=\"/v1/openapi.json\">/v1/openapi.json</a></p></section>",
        t(
            lang,
            "Det samme kan sjekkes maskinelt gjennom API-et:",
            "The same checks are available to programs through the API:"
        ),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_nok("1 300 000").as_deref(), Some("1300000"));
        assert_eq!(parse_nok("1\u{a0}300\u{a0}000 kr").as_deref(), Some("1300000"));
        assert_eq!(parse_nok("kr 450 000,-").as_deref(), Some("450000"));
        assert_eq!(parse_nok("1300000,50").as_deref(), Some("1300000.5"));
        assert_eq!(parse_nok("1.300.000").as_deref(), Some("1300000"));
        assert_eq!(parse_nok("1,3 mill"), None);
        assert_eq!(parse_nok("1,3"), Some("1.3".into()));
        assert_eq!(parse_nok("to millioner"), None);
        assert_eq!(parse_nok("-5"), None);
    }

    #[test]
    fn org_numbers_dates_cpv() {
        assert_eq!(parse_org_number("NO 921 693 230 MVA").as_deref(), Some("921693230"));
        assert_eq!(parse_org_number("92169323"), None);
        assert_eq!(
            parse_date("01.03.2023").map(|d| d.to_string()).as_deref(),
            Some("2023-03-01")
        );
        assert_eq!(parse_date("2023-02-30"), None);
        assert_eq!(
            parse_cpv("34136000-9, 34144900"),
            Ok(vec!["34136000".to_string(), "34144900".to_string()])
        );
        assert_eq!(parse_cpv("3413"), Err("3413".to_string()));
    }

    #[test]
    fn form_to_record() {
        let form = FormValues::from_pairs(
            [
                ("buyer_id", "921 693 230"),
                ("date", "2022-06-01"),
                ("category", "goods"),
                ("estimated_value", "3 200 000"),
                ("veh_class_1", "N1"),
                ("veh_count_1", "4"),
                ("veh_fuel_1", "diesel"),
                ("lots_count", "0"),
                ("labour_apprentices", "yes"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let built = build_record(&form, Lang::Nb);
        assert!(built.errors.is_empty(), "{:?}", built.errors);
        let r = &built.record;
        assert_eq!(r["buyer"]["id"], "921693230");
        assert_eq!(r["estimated_value"]["amount"], "3200000");
        assert_eq!(r["vehicles"][0]["fuel"], "diesel");
        assert_eq!(r["vehicles"][0]["count"], 4);
        assert_eq!(r["lots"], json!([]));
        assert_eq!(r["labour"]["apprentices"], true);
        assert_eq!(r["stage"], "planned");
        assert!(r.get("rationale").is_none());
    }

    #[test]
    fn form_errors_name_their_fields() {
        let form = FormValues::from_pairs(
            [
                ("estimated_value", "1,3 mill"),
                ("veh_class_1", "N1"),
                ("crit_weight_1", "70 %"),
                ("category", "<script>"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let built = build_record(&form, Lang::En);
        assert!(
            built
                .errors
                .get("estimated_value")
                .is_some_and(|m| m.contains("1,3 mill"))
        );
        assert!(built.errors.get("veh_fuel_1").is_some());
        assert!(built.errors.get("crit_type_1").is_some());
        assert!(built.errors.get("crit_weight_1").is_none());
        assert!(built.errors.get("category").is_some());
    }
}
