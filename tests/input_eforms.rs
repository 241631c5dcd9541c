//! The eForms reader (`anskaff::input::eforms`) on the Doffin notices in
//! `../shared/data/doffin/` (67 real notices, 3 real national notices and
//! DFØ's 8 test notices), on hand-made notices for the cases the real data
//! lacks, and on broken input.
//!
//! The tests that need the shared data skip, with a message, when the folder
//! is not there.

use anskaff::Policies;
use anskaff::engine::Engine;
use anskaff::finding::{Finding, Outcome, Source};
use anskaff::input::{Payload, Raw, eforms};
use anskaff::record::{Record, canonical_json};
use anskaff::schema::Domain;
use anskaff::syntax::ast::Lang;
use anskaff::value::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

// ------------------------------------------------------------------ helpers

const DATA: &str = "../shared/data/doffin";

/// The folder `../shared/data/doffin/<sub>`, or `None` (with a message) when
/// the shared data is not there.
fn data_dir(sub: &str) -> Option<PathBuf> {
    let dir = Path::new(DATA).join(sub);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipped: {} is not there (the shared Doffin data is needed for this test)",
            dir.display()
        );
        None
    }
}

/// The `.xml` files of a folder, in name order.
fn xml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the data folder can be listed")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "xml"))
        .collect();
    files.sort();
    files
}

fn read_bytes(name: &str, bytes: &[u8]) -> Vec<Raw> {
    let file: Arc<str> = Arc::from(name);
    eforms::read(&file, bytes)
}

/// The one record of a notice file.
fn record_of(path: &Path) -> (Source, Record) {
    let bytes = std::fs::read(path).expect("the notice can be read");
    let mut raws = read_bytes(&path.display().to_string(), &bytes);
    assert_eq!(raws.len(), 1, "{}: one record", path.display());
    let raw = raws.remove(0);
    match raw.payload {
        Payload::Record(r) => (raw.source, *r),
        Payload::Error(e) => panic!("{}: {e}", path.display()),
        Payload::Json(_) => panic!("{}: unexpected JSON payload", path.display()),
    }
}

/// The record of `<sub>/<file>`, or `None` when the data is not there.
fn notice(sub: &str, file: &str) -> Option<Record> {
    let dir = data_dir(sub)?;
    Some(record_of(&dir.join(file)).1)
}

fn record_from_text(xml: &str) -> Record {
    let mut raws = read_bytes("test.xml", xml.as_bytes());
    assert_eq!(raws.len(), 1);
    match raws.remove(0).payload {
        Payload::Record(r) => *r,
        Payload::Error(e) => panic!("{e}"),
        Payload::Json(_) => panic!("unexpected JSON payload"),
    }
}

fn error_of(bytes: &[u8]) -> String {
    let mut raws = read_bytes("test.xml", bytes);
    assert_eq!(raws.len(), 1);
    let raw = raws.remove(0);
    assert_eq!(raw.source.locator, None);
    match raw.payload {
        Payload::Error(e) => e,
        Payload::Record(r) => panic!("expected an input error, got the record {:?}", r.id),
        Payload::Json(_) => panic!("unexpected JSON payload"),
    }
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("a decimal")
}

fn nok(amount: &str) -> Option<Money> {
    Some(Money::new(dec(amount), Currency::NOK))
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn texts(items: &[&str]) -> Option<Vec<String>> {
    Some(items.iter().map(|s| s.to_string()).collect())
}

/// (type, weight) of each award criterion.
fn criteria(r: &Record) -> Vec<(&'static str, Option<Decimal>)> {
    r.award_criteria
        .iter()
        .flatten()
        .map(|c| (code(Domain::CriterionType, c.kind).unwrap_or("-"), c.weight))
        .collect()
}

/// The text of a code in `domain`.
fn code(domain: Domain, value: Option<u8>) -> Option<&'static str> {
    value.map(|v| domain.value(v))
}

fn warnings(r: &Record) -> Vec<String> {
    r.warnings
        .iter()
        .map(|w| format!("{}: {}", w.field, w.message))
        .collect()
}

fn has_warning(r: &Record, field: &str, part: &str) -> bool {
    r.warnings.iter().any(|w| w.field == field && w.message.contains(part))
}

// ------------------------------------------------------------------ 1. every notice imports

/// The data-quality warnings each notice gives, by field. Every one is
/// explained by the notice itself:
///
/// * `date` — DFØ's test notices leave the issue date as the template
///   placeholder `${ISSUEDATE}`.
/// * `buyer.kind` — the buyer legal type is `ra` (regional authority =
///   county) but the buyer is a municipality ("Moss kommune", "Narvik
///   kommune", …): read as municipal.
/// * `buyer` — a joint procurement with several buyers; the record keeps one.
/// * `buyer.id` — Elvia's notice has its name ("Elvia AS") as organisation number.
/// * `procedure` — `oth-single`/`oth-mult` (no canonical procedure) and the
///   code "UNKNOWN" (a TED conversion placeholder).
/// * `estimated_value` — a value of 0 NOK (Drangsvann's notice) and DFØ's
///   "deviant sum of parts" notice (parts add up to 100 000 of 200 000 NOK).
/// * `lots[0].estimated_value` — the same 0 NOK on the lot.
/// * `supplier` — several winners (framework agreements with several
///   suppliers), so the record's single supplier is left missing.
/// * `supplier.id` — PST's canteen award names PST itself as the winner.
/// * `award_criteria` — the Vennesla notice ranks its criteria in order of
///   importance instead of weighting them.
const EXPECTED_WARNINGS: &[(&str, &[&str])] = &[
    ("2024-113575.xml", &["buyer"]),
    ("ContractAwardNotice_can-social_2022-927623.xml", &["supplier"]),
    ("ContractAwardNotice_can-social_2022-943732.xml", &["supplier.id"]),
    (
        "ContractAwardNotice_can-social_2023-653024.xml",
        &["buyer.kind", "supplier"],
    ),
    (
        "ContractAwardNotice_can-social_2024-103933.xml",
        &["buyer.kind", "procedure", "supplier"],
    ),
    ("ContractNotice_cn-desg_2023-665410.xml", &["buyer.kind"]),
    ("ContractNotice_cn-desg_2023-696688.xml", &["buyer.kind"]),
    ("ContractNotice_cn-social_2024-106969.xml", &["procedure"]),
    ("ContractNotice_pin-cfc-social_2024-101498.xml", &["buyer.kind"]),
    ("ContractNotice_pin-cfc-social_2024-101732.xml", &["buyer"]),
    (
        "ContractNotice_pin-cfc-standard_2023-100868.xml",
        &["buyer", "estimated_value", "lots[0].estimated_value"],
    ),
    ("PriorInformationNotice_pin-buyer_2024-102005.xml", &["buyer.kind"]),
    (
        "PriorInformationNotice_pin-cfc-social_2022-394467.xml",
        &["buyer.id", "procedure"],
    ),
    ("PriorInformationNotice_pin-cfc-social_2023-624725.xml", &["buyer.kind"]),
    (
        "PriorInformationNotice_pin-cfc-standard_2022-366668.xml",
        &["buyer.kind"],
    ),
    (
        "PriorInformationNotice_pin-cfc-standard_2023-600143.xml",
        &["buyer.kind"],
    ),
    (
        "PriorInformationNotice_pin-rtl_2023-674343.xml",
        &["buyer", "buyer.kind"],
    ),
    ("2023-100270-mobler.xml", &["buyer.kind"]),
    ("2023-100523-avlastningshjem.xml", &["award_criteria", "buyer"]),
    (
        "INVALID-national-e2-with-deviant-sum-of-parts-value.xml",
        &["date", "estimated_value"],
    ),
    (
        "INVALID-national-e3-cga-procurement-value-exceeds-foa-part-2-threshold-value.xml",
        &["date"],
    ),
    (
        "INVALID-national-e3-health-social-services-procurement-value-exceeds-foa-part-1-threshold-value.xml",
        &["date"],
    ),
    (
        "INVALID-national-e3-non-cga-procurement-value-exceeds-foa-part-2-threshold-value.xml",
        &["date"],
    ),
    (
        "INVALID-national-e3-with-two-award-criteria-and-no-climate-considerations.xml",
        &["date"],
    ),
    (
        "INVALID-national-e3-works-procurement-value-exceeds-foa-part-1-threshold-value.xml",
        &["date"],
    ),
    ("VALID-national-e3-minimum.xml", &["date"]),
    ("VALID-national-e3-nor-env.xml", &["date"]),
];

#[test]
fn every_notice_imports_as_one_record_without_input_errors() {
    let expected: BTreeMap<&str, Vec<&str>> = EXPECTED_WARNINGS.iter().map(|(f, w)| (*f, w.to_vec())).collect();
    for (sub, count) in [("eforms", 67), ("national", 3), ("dfo-synthetic", 8)] {
        let Some(dir) = data_dir(sub) else { return };
        let files = xml_files(&dir);
        assert_eq!(files.len(), count, "{sub}: the number of notices");
        for path in files {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
            let bytes = std::fs::read(&path).expect("readable");
            let raws = read_bytes(&path.display().to_string(), &bytes);
            assert!(!raws.is_empty(), "{name}: at least one record");
            for raw in raws {
                assert_eq!(raw.source.line, None);
                let record = match raw.payload {
                    Payload::Record(r) => r,
                    Payload::Error(e) => panic!("{name}: input error: {e}"),
                    Payload::Json(_) => panic!("{name}: JSON payload"),
                };
                let id = record
                    .id
                    .clone()
                    .unwrap_or_else(|| panic!("{name}: the record has an id"));
                assert_eq!(
                    raw.source.locator.as_deref(),
                    Some(id.as_str()),
                    "{name}: the locator is the id"
                );
                assert!(
                    record.notice_id.as_ref().is_some_and(|n| id.starts_with(n.as_str())),
                    "{name}"
                );
                assert!(record.stage.is_some(), "{name}: a stage");
                let mut fields: Vec<&str> = record.warnings.iter().map(|w| w.field.as_str()).collect();
                fields.sort();
                fields.dedup();
                let want = expected.get(name.as_str()).cloned().unwrap_or_default();
                assert_eq!(fields, want, "{name}: warnings {:#?}", warnings(&record));
            }
        }
    }
}

// ------------------------------------------------------------------ 2. values checked by hand

/// NAV's follow-up measure, 8 lots. Read by hand: `cac:ProcurementProject`
/// (`cbc:Name` NOR, `cbc:ProcurementTypeCode` services,
/// `cbc:EstimatedOverallContractAmount` 259380000.00 NOK, CPV 85312300 main
/// and 85312310, 85312320 additional), `cbc:ProcedureCode` neg-w-call, and
/// each `cac:ProcurementProjectLot` (`cbc:ID`, `cbc:Name`, lot amount,
/// `cbc:DurationMeasure` 24 MONTH). Lot 8 ("Tilbudsinnlevering") has no
/// amount; the other seven add up to the total. No buyer legal type.
#[test]
fn nav_contract_notice_with_eight_lots() {
    let Some(r) = notice("eforms", "ContractNotice_cn-social_2024-102327.xml") else {
        return;
    };
    assert_eq!(r.id.as_deref(), Some("aa382761-89ef-4162-9dc5-74f12a6f2a21-01"));
    assert_eq!(r.notice_id.as_deref(), Some("aa382761-89ef-4162-9dc5-74f12a6f2a21"));
    assert_eq!(code(Domain::Stage, r.stage), Some("notice"));
    assert_eq!(
        r.title.as_deref(),
        Some("Anskaffelse av tiltaket oppfølging for NAV Vest-Viken")
    );
    assert_eq!(r.buyer.id.as_deref(), Some("889640782"));
    assert_eq!(r.buyer.kind, None);
    assert_eq!(r.date, date(2024, 2, 15));
    assert_eq!(code(Domain::Category, r.category), Some("services"));
    assert_eq!(code(Domain::Procedure, r.procedure), Some("negotiated"));
    assert_eq!(r.cpv, texts(&["85312300", "85312310", "85312320"]));
    assert_eq!(r.estimated_value, nok("259380000"));
    assert_eq!(r.duration_months, Some(dec("24")));
    assert_eq!(r.framework, None, "no lot says whether it is a framework agreement");
    let lots = r.lots.as_ref().expect("lots");
    assert_eq!(lots.len(), 8);
    let values: Vec<Option<Money>> = lots.iter().map(|l| l.estimated_value).collect();
    assert_eq!(
        values,
        vec![
            nok("117000000"),
            nok("39000000"),
            nok("25200000"),
            nok("21000000"),
            nok("20280000"),
            nok("18900000"),
            nok("18000000"),
            None
        ]
    );
    assert_eq!(lots[0].id.as_deref(), Some("LOT-0001"));
    assert_eq!(lots[0].title.as_deref(), Some("Oppfølging Tjenesteområde C - Drammen"));
    assert_eq!(lots[7].title.as_deref(), Some("Tilbudsinnlevering"));
    assert_eq!(r.award_criteria, None, "the lots give no award criteria");
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
}

/// DSB's cell-broadcast award. Read by hand: `cbc:ProcedureCode`
/// neg-wo-call; `cac:ProcessJustification` with `cbc:ProcessReasonCode`
/// below-thres and `cbc:ProcessReason`; `efac:NoticeResult/cbc:TotalAmount`
/// 42000000.00 NOK; the settled contract's tender TEN-0001 by TPA-0001 =
/// ORG-0002 Everbridge Norway AS (`cbc:CompanyID` 980 400 255); the lot's
/// `cac:SubordinateAwardingCriterion`s: quality "Kvalitet" `per-exa` 60,
/// price `per-exa` 40; buyer legal type cga; CPV 32571000; supplies.
#[test]
fn dsb_award_with_weighted_criteria() {
    let Some(r) = notice("eforms", "ContractAwardNotice_can-standard_2022-960991.xml") else {
        return;
    };
    assert_eq!(r.id.as_deref(), Some("2022-960991-01"));
    assert_eq!(code(Domain::Stage, r.stage), Some("award"));
    assert_eq!(r.buyer.id.as_deref(), Some("974760983"));
    assert_eq!(code(Domain::BuyerKind, r.buyer.kind), Some("state"));
    assert_eq!(code(Domain::Category, r.category), Some("goods"));
    assert_eq!(code(Domain::Procedure, r.procedure), Some("negotiated_without_notice"));
    assert_eq!(r.cpv, texts(&["32571000"]));
    assert_eq!(r.awarded_value, nok("42000000"));
    assert_eq!(r.estimated_value, None);
    assert_eq!(r.supplier.id.as_deref(), Some("980400255"));
    assert_eq!(r.supplier.name.as_deref(), Some("Everbridge Norway AS"));
    assert_eq!(r.framework, Some(false));
    assert_eq!(
        criteria(&r),
        vec![("quality", Some(dec("60"))), ("price", Some(dec("40")))]
    );
    assert_eq!(
        r.award_criteria.as_ref().and_then(|c| c[0].name.as_deref()),
        Some("Kvalitet")
    );
    assert_eq!(r.environment.spec_requirements, Some(false));
    assert!(
        r.rationale
            .as_deref()
            .is_some_and(|t| t.starts_with("below-thres: Anskaffelsen er omfattet"))
    );
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
}

/// Viken's e-book system award. Read by hand: `cbc:ID` 2023-336496 version
/// 01, `cbc:IssueDate` 2023-08-18+02:00, ORG-0001 Viken fylkeskommune
/// `921 693 230` (no buyer legal type), supplies, CPV 48000000, no
/// procedure code, `cbc:TotalAmount` 2400000 NOK, winner ORG-0002
/// Biblioteksentralen SA `910 568 183`, framework-agreement `none`, no
/// award criteria (empty `cac:AwardingTerms`).
#[test]
fn viken_award_notice() {
    let Some(r) = notice("eforms", "ContractAwardNotice_can-standard_2023-336496.xml") else {
        return;
    };
    assert_eq!(r.id.as_deref(), Some("2023-336496-01"));
    assert_eq!(r.notice_id.as_deref(), Some("2023-336496"));
    assert_eq!(r.date, date(2023, 8, 18));
    assert_eq!(r.buyer.id.as_deref(), Some("921693230"));
    assert_eq!(r.buyer.name.as_deref(), Some("Viken fylkeskommune"));
    assert_eq!(r.buyer.kind, None);
    assert_eq!(code(Domain::Category, r.category), Some("goods"));
    assert_eq!(r.cpv, texts(&["48000000"]));
    assert_eq!(r.procedure, None);
    assert_eq!(r.awarded_value, nok("2400000"));
    assert_eq!(r.supplier.id.as_deref(), Some("910568183"));
    assert_eq!(r.supplier.name.as_deref(), Some("Biblioteksentralen SA"));
    assert_eq!(r.framework, Some(false));
    assert_eq!(r.award_criteria, None);
    assert_eq!(r.environment.spec_requirements, None);
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
}

/// Vestland's vocational-school PIN used as a call for competition. Read
/// by hand: NoticeTypeCode pin-cfc-social, buyer legal type `ra` for
/// "Vestland fylkeskommune" (`821 311 632`), total 2350000 NOK, lots
/// LOT-0001 1250000 and LOT-0002 1100000 NOK (they add up), CPV 80000000
/// main and 80500000 additional, no procedure code.
#[test]
fn vestland_pin_with_two_lots_that_add_up() {
    let Some(r) = notice("eforms", "PriorInformationNotice_pin-cfc-social_2022-967371.xml") else {
        return;
    };
    assert_eq!(code(Domain::Stage, r.stage), Some("notice"));
    assert_eq!(r.buyer.id.as_deref(), Some("821311632"));
    assert_eq!(code(Domain::BuyerKind, r.buyer.kind), Some("county"));
    assert_eq!(r.estimated_value, nok("2350000"));
    let lots: Vec<(Option<&str>, Option<Money>)> = r
        .lots
        .iter()
        .flatten()
        .map(|l| (l.id.as_deref(), l.estimated_value))
        .collect();
    assert_eq!(
        lots,
        vec![(Some("LOT-0001"), nok("1250000")), (Some("LOT-0002"), nok("1100000"))]
    );
    assert_eq!(r.cpv, texts(&["80000000", "80500000"]));
    assert_eq!(r.procedure, None);
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
}

/// Vennesla's respite home (national notice). Read by hand: ProcedureCode
/// comp-dial; works; 25000000 NOK on the procedure and the lot; duration
/// 12 MONTH; the criteria are price (`ord-imp` 1) and quality (`ord-imp`
/// 2) with the text "Pris 70, kvalitet 30 (underkriterier i prioritert
/// rekkefølge)"; two contracting parties, OFA and Vennesla kommune, both `la`.
#[test]
fn vennesla_ranked_criteria_have_no_weights() {
    let Some(r) = notice("national", "2023-100523-avlastningshjem.xml") else {
        return;
    };
    assert_eq!(code(Domain::Procedure, r.procedure), Some("competitive_dialogue"));
    assert_eq!(code(Domain::Category, r.category), Some("works"));
    assert_eq!(r.estimated_value, nok("25000000"));
    assert_eq!(r.duration_months, Some(dec("12")));
    assert_eq!(r.buyer.id.as_deref(), Some("921707134"));
    assert_eq!(code(Domain::BuyerKind, r.buyer.kind), Some("municipal"));
    assert_eq!(criteria(&r), vec![("price", None), ("quality", None)]);
    assert!(has_warning(&r, "award_criteria", "ord-imp"));
    assert!(has_warning(&r, "award_criteria", "Pris 70, kvalitet 30"));
    assert!(has_warning(&r, "buyer", "joint procurement"));
}

/// The police's security framework agreement. Read by hand:
/// framework-agreement `fa-wo-rc` on both lots; two settled contracts, to
/// TEN-0001 (Avarn Security AS, 138000000.00) and TEN-0002 (Securitas AS,
/// 3000000.00); `efbc:OverallMaximumFrameworkContractsAmount` 141000000.00
/// NOK and no `cbc:TotalAmount`.
#[test]
fn police_framework_with_two_winners() {
    let Some(r) = notice("eforms", "ContractAwardNotice_can-social_2022-927623.xml") else {
        return;
    };
    assert_eq!(r.framework, Some(true));
    assert_eq!(r.awarded_value, nok("141000000"));
    assert_eq!(r.supplier.id, None);
    assert_eq!(r.supplier.name, None);
    assert!(has_warning(
        &r,
        "supplier",
        "2 winners (Avarn Security AS, Securitas AS)"
    ));
    assert_eq!(r.lots.as_ref().map(Vec::len), Some(2));
}

/// DFØ's climate test notices. Read by hand: the first lot's
/// `cbc:AwardingCriterionTypeCode` quality (`per-exa` 30, "Kvalitet") and
/// price (`per-exa` 70, "Pris"); the second's price 50 and
/// `quality-nor-env-criteria` 50; org-sub-cga, supplies, CPV 16000000 main
/// with 15000000 and 14000000, 2323 NOK, 24 months.
#[test]
fn dfo_climate_notices() {
    let Some(two) = notice(
        "dfo-synthetic",
        "INVALID-national-e3-with-two-award-criteria-and-no-climate-considerations.xml",
    ) else {
        return;
    };
    assert_eq!(
        criteria(&two),
        vec![("quality", Some(dec("30"))), ("price", Some(dec("70")))]
    );
    let names: Vec<Option<&str>> = two.award_criteria.iter().flatten().map(|c| c.name.as_deref()).collect();
    assert_eq!(names, vec![Some("Kvalitet"), Some("Pris")]);
    assert_eq!(two.environment.spec_requirements, Some(false));
    assert_eq!(two.environment.exemption, None);
    assert_eq!(two.estimated_value, None);
    assert_eq!(two.date, None);

    let Some(env) = notice("dfo-synthetic", "VALID-national-e3-nor-env.xml") else {
        return;
    };
    assert_eq!(
        criteria(&env),
        vec![("price", Some(dec("50"))), ("environment", Some(dec("50")))]
    );
    assert_eq!(env.environment.spec_requirements, Some(false));
    assert_eq!(env.buyer.id.as_deref(), Some("911937491"));
    assert_eq!(code(Domain::BuyerKind, env.buyer.kind), Some("state"));
    assert_eq!(code(Domain::Category, env.category), Some("goods"));
    assert_eq!(env.cpv, texts(&["16000000", "15000000", "14000000"]));
    assert_eq!(env.estimated_value, nok("2323"));
    assert_eq!(env.duration_months, Some(dec("24")));
    assert_eq!(env.framework, Some(false));
}

/// The stage follows the notice type (BT-02), which the file names carry:
/// planning notices are `planned`, calls for competition `notice`, results
/// and VEAT `award`, contract modifications `contract`.
#[test]
fn stage_follows_the_notice_type() {
    let Some(dir) = data_dir("eforms") else { return };
    let mut seen = 0;
    for path in xml_files(&dir) {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let Some(kind) = name.split('_').nth(1) else { continue };
        let want = match kind {
            "pin-only" | "pin-buyer" | "pin-rtl" => "planned",
            "pin-cfc-standard" | "pin-cfc-social" | "cn-standard" | "cn-social" | "cn-desg" | "qu-sy" => "notice",
            "can-standard" | "can-social" | "can-desg" | "veat" => "award",
            "can-modif" => "contract",
            other => panic!("{name}: unexpected notice type {other}"),
        };
        let (_, r) = record_of(&path);
        assert_eq!(code(Domain::Stage, r.stage), Some(want), "{name}");
        seen += 1;
    }
    assert_eq!(seen, 65, "the notices whose file name gives the notice type");
}

/// A notice whose text was stored double-encoded ("SYKEHUSINNKJÃ˜P HF"
/// in the file) reads as it was meant ("SYKEHUSINNKJØP HF").
#[test]
fn double_encoded_text_is_repaired() {
    let Some(r) = notice("eforms", "ContractNotice_pin-cfc-standard_2023-100718.xml") else {
        return;
    };
    assert_eq!(r.buyer.name.as_deref(), Some("SYKEHUSINNKJØP HF"));
    assert!(
        r.title
            .as_deref()
            .is_some_and(|t| t.starts_with("Forhåndskunngjøring: Angio"))
    );
}

// ------------------------------------------------------------------ 3. snapshots

/// JSON text with one member or element a line, in the order written (the
/// canonical field order; `serde_json::Value` would sort the keys).
fn pretty(json: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = json.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    if let Some(close) = chars.next() {
                        out.push(close);
                    }
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// The canonical JSON, one field a line, and the warnings.
fn snapshot_text(r: &Record) -> String {
    let mut out = pretty(&canonical_json::to_json(r));
    for w in &r.warnings {
        out.push_str(&format!("\nwarning {}: {}", w.field, w.message));
    }
    out
}

#[test]
fn snapshot_viken_award() {
    let Some(r) = notice("eforms", "ContractAwardNotice_can-standard_2023-336496.xml") else {
        return;
    };
    insta::assert_snapshot!("viken_award_2023_336496", snapshot_text(&r));
}

#[test]
fn snapshot_nav_lots() {
    let Some(r) = notice("eforms", "ContractNotice_cn-social_2024-102327.xml") else {
        return;
    };
    insta::assert_snapshot!("nav_lots_2024_102327", snapshot_text(&r));
}

#[test]
fn snapshot_veat_with_rationale() {
    let Some(r) = notice("eforms", "ContractAwardNotice_veat_2022-674620.xml") else {
        return;
    };
    insta::assert_snapshot!("veat_2022_674620", snapshot_text(&r));
}

#[test]
fn snapshot_national_heating_plant() {
    let Some(r) = notice("national", "2023-100298-varmeanlegg.xml") else {
        return;
    };
    insta::assert_snapshot!("national_varmeanlegg_2023_100298", snapshot_text(&r));
}

// ------------------------------------------------------------------ 4. DFØ's notices and the baseline

fn baseline(overrides: &[(&str, &str)]) -> Policies {
    let overrides: Vec<(String, String)> = overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Policies::load(
        &[PathBuf::from("policies/no/anskaffelsesforskriften.policy")],
        &overrides,
    )
    .expect("the national baseline loads")
}

fn finding(policies: &Policies, record: &Record, rule: &str) -> Finding {
    let engine = Engine::new(&policies.plan, Lang::En);
    let source = Source {
        file: Arc::from("test.xml"),
        line: None,
        locator: record.id.clone(),
    };
    let out = match engine.evaluate(record.clone(), source, 0) {
        Ok(out) => out,
        Err(e) => panic!("not evaluated: {}", e.message),
    };
    let rid = policies.plan.rule_index(rule).expect("the rule exists");
    out.evaluated.finding(rid).cloned().expect("a finding")
}

/// DFØ's templates leave the issue date as `${ISSUEDATE}`; the notices are
/// for the rules of 2026 (`urn:fdc:anskaffelser.no:2026:eforms:national-e`),
/// so the tests fill in a date in 2026, when the 2024 thresholds apply.
fn with_template_date(mut r: Record) -> Record {
    assert_eq!(r.date, None, "the template has no date");
    r.date = date(2026, 6, 1);
    r
}

/// "INVALID … two award criteria and no climate considerations": quality
/// 30 % and price 70 %, no climate criterion and no `quality-nor-env-*`
/// code. As imported, the rule cannot be decided (no date, no value) and is
/// `unknown`, never a pass. The notice gives no value; with the template
/// date and a value at the national threshold (the lowest value the rule
/// applies to) it fails: the environment weight is 0 %, spec requirements
/// are `false` and there is no exemption.
#[test]
fn dfo_two_criteria_without_climate_fails_the_climate_rule() {
    let Some(r) = notice(
        "dfo-synthetic",
        "INVALID-national-e3-with-two-award-criteria-and-no-climate-considerations.xml",
    ) else {
        return;
    };
    let policies = baseline(&[]);
    let as_imported = finding(&policies, &r, "FOA-7-9-CLIMATE");
    assert_eq!(as_imported.outcome, Outcome::Unknown);
    assert!(as_imported.missing.contains(&"date"));

    let mut r = with_template_date(r);
    r.estimated_value = nok("1300000");
    let f = finding(&policies, &r, "FOA-7-9-CLIMATE");
    assert_eq!(f.outcome, Outcome::Fail, "{}", f.message);
    assert!(f.message.contains("0 %"), "{}", f.message);
}

/// "VALID … nor-env": price 50 % and `quality-nor-env-criteria` 50 %. The
/// notice's value is 2 323 NOK, far below the national threshold from which
/// the baseline applies § 7-9, so with the template date the rule does not
/// apply. DFØ checks the climate criteria of every notice; with the
/// baseline's `national_threshold` set to 0 NOK (a parameter override, as a
/// user checking small procurements would do) the rule applies and passes.
#[test]
fn dfo_nor_env_passes_the_climate_rule() {
    let Some(r) = notice("dfo-synthetic", "VALID-national-e3-nor-env.xml") else {
        return;
    };
    let r = with_template_date(r);
    let f = finding(&baseline(&[]), &r, "FOA-7-9-CLIMATE");
    assert_eq!(f.outcome, Outcome::NotApplicable, "{}", f.message);
    let f = finding(&baseline(&[("national_threshold", "0 NOK")]), &r, "FOA-7-9-CLIMATE");
    assert_eq!(f.outcome, Outcome::Pass, "{}", f.message);
}

/// The "value exceeds … threshold" notices are 1 NOK above a threshold:
///
/// * cga (buyer legal type body-pl-cga, read as `state`): 1 490 001 NOK, the
///   EEA threshold for state buyers (1 490 000) + 1;
/// * non-cga (body-pl-la, `public_body`): 2 300 001, the EEA threshold for
///   other buyers + 1;
/// * works: 57 800 001, the EEA threshold for works + 1;
/// * health and social services: 7 800 001, the threshold for those
///   services (BRIEF §1.1) + 1.
///
/// DFØ calls them INVALID because the notice cites FOA Part I (and II)
/// (`cac:ProcurementLegislationDocumentReference`) while the value calls
/// for a Part III procedure. No canonical field carries the cited part, so
/// the baseline cannot see that point: what it can say is that the value is
/// at or above the EEA threshold, so FOA-EEA-PROCEDURE applies, and that the
/// procedure (`open`) is a Part III procedure, so it passes. The baseline
/// has no threshold for health and social services; for that notice (a
/// state buyer, services) the state EEA threshold applies, and is met too.
#[test]
fn dfo_threshold_notices_are_at_or_above_their_thresholds() {
    let cases = [
        (
            "INVALID-national-e3-cga-procurement-value-exceeds-foa-part-2-threshold-value.xml",
            "1490000",
            "state",
        ),
        (
            "INVALID-national-e3-non-cga-procurement-value-exceeds-foa-part-2-threshold-value.xml",
            "2300000",
            "public_body",
        ),
        (
            "INVALID-national-e3-works-procurement-value-exceeds-foa-part-1-threshold-value.xml",
            "57800000",
            "state",
        ),
        (
            "INVALID-national-e3-health-social-services-procurement-value-exceeds-foa-part-1-threshold-value.xml",
            "7800000",
            "state",
        ),
    ];
    let policies = baseline(&[]);
    for (file, threshold, kind) in cases {
        let Some(r) = notice("dfo-synthetic", file) else { return };
        let value = r.estimated_value.expect("a value");
        assert_eq!(value.currency, Currency::NOK);
        assert_eq!(value.amount, dec(threshold) + Decimal::ONE, "{file}");
        assert_eq!(code(Domain::BuyerKind, r.buyer.kind), Some(kind), "{file}");
        let r = with_template_date(r);
        let eea = finding(&policies, &r, "FOA-EEA-PROCEDURE");
        assert_eq!(eea.outcome, Outcome::Pass, "{file}: {}", eea.message);
        assert!(
            eea.message.is_empty() || !eea.message.contains("Does not apply"),
            "{file}"
        );
        // The value is also at or above the national threshold: the notice
        // rule applies and passes (the procedure is announced).
        let notice_rule = finding(&policies, &r, "FOA-5-3-NOTICE");
        assert_eq!(notice_rule.outcome, Outcome::Pass, "{file}: {}", notice_rule.message);
        // Above the EEA threshold with a single lot and no justification
        // for not dividing it: unknown (eForms has no such justification).
        let lots = finding(&policies, &r, "FOA-19-4-LOTS");
        assert_eq!(lots.outcome, Outcome::Unknown, "{file}: {}", lots.message);
        assert_eq!(lots.missing, vec!["lots_justification"], "{file}");
    }
}

/// The state EEA threshold in force on the template date is 1 490 000 NOK:
/// one NOK less than the cga notice's value would not be at the threshold.
#[test]
fn dfo_cga_threshold_is_met_by_one_nok() {
    let Some(r) = notice(
        "dfo-synthetic",
        "INVALID-national-e3-cga-procurement-value-exceeds-foa-part-2-threshold-value.xml",
    ) else {
        return;
    };
    let mut r = with_template_date(r);
    r.estimated_value = nok("1489999");
    let f = finding(&baseline(&[]), &r, "FOA-EEA-PROCEDURE");
    assert_eq!(f.outcome, Outcome::NotApplicable, "{}", f.message);
}

/// "deviant sum of parts": the notice's total is 200 000 NOK and its one
/// part 100 000 NOK. The record keeps the notice's total and warns.
#[test]
fn dfo_deviant_sum_of_parts_is_a_warning() {
    let Some(r) = notice(
        "dfo-synthetic",
        "INVALID-national-e2-with-deviant-sum-of-parts-value.xml",
    ) else {
        return;
    };
    assert_eq!(r.estimated_value, nok("200000"));
    assert_eq!(r.lots.as_ref().and_then(|l| l[0].estimated_value), nok("100000"));
    assert!(
        has_warning(
            &r,
            "estimated_value",
            "the lot values add up to 100000 NOK, but the notice's estimated total (BT-27) is 200000 NOK"
        ),
        "{:?}",
        warnings(&r)
    );
    assert_eq!(code(Domain::Stage, r.stage), Some("planned"));
}

// ------------------------------------------------------------------ hand-made notices

/// A minimal contract notice around `lots` (the `cac:ProcurementProjectLot`
/// elements), with `procedure` as BT-105 and `total` as BT-27.
fn contract_notice(procedure: &str, total: &str, lots: &str) -> String {
    let total = if total.is_empty() {
        String::new()
    } else {
        format!(
            r#"<cac:RequestedTenderTotal><cbc:EstimatedOverallContractAmount currencyID="NOK">{total}</cbc:EstimatedOverallContractAmount></cac:RequestedTenderTotal>"#
        )
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ContractNotice xmlns="urn:oasis:names:specification:ubl:schema:xsd:ContractNotice-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
  xmlns:efac="http://data.europa.eu/p27/eforms-ubl-extension-aggregate-components/1"
  xmlns:efbc="http://data.europa.eu/p27/eforms-ubl-extension-basic-components/1"
  xmlns:efext="http://data.europa.eu/p27/eforms-ubl-extensions/1"
  xmlns:ext="urn:oasis:names:specification:ubl:schema:xsd:CommonExtensionComponents-2">
  <ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><efext:EformsExtension>
    <efac:Organizations><efac:Organization><efac:Company>
      <cac:PartyIdentification><cbc:ID schemeName="organization">ORG-0001</cbc:ID></cac:PartyIdentification>
      <cac:PartyName><cbc:Name languageID="ENG">Example County</cbc:Name><cbc:Name languageID="NOR">Eksempel fylkeskommune</cbc:Name></cac:PartyName>
      <cac:PartyLegalEntity><cbc:CompanyID>NO 921 693 230 MVA</cbc:CompanyID></cac:PartyLegalEntity>
    </efac:Company></efac:Organization></efac:Organizations>
  </efext:EformsExtension></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>
  <cbc:ID schemeName="notice-id">test-notice</cbc:ID>
  <cbc:ContractFolderID>folder</cbc:ContractFolderID>
  <cbc:IssueDate>2025-02-03+01:00</cbc:IssueDate>
  <cbc:VersionID>02</cbc:VersionID>
  <cbc:NoticeTypeCode listName="competition">cn-standard</cbc:NoticeTypeCode>
  <cac:ContractingParty>
    <cac:ContractingPartyType><cbc:PartyTypeCode listName="buyer-legal-type">ra</cbc:PartyTypeCode></cac:ContractingPartyType>
    <cac:Party><cac:PartyIdentification><cbc:ID schemeName="organization">ORG-0001</cbc:ID></cac:PartyIdentification></cac:Party>
  </cac:ContractingParty>
  <cac:TenderingProcess><cbc:ProcedureCode listName="procurement-procedure-type">{procedure}</cbc:ProcedureCode></cac:TenderingProcess>
  <cac:ProcurementProject>
    <cbc:Name languageID="ENG">Test &amp; check</cbc:Name>
    <cbc:ProcurementTypeCode listName="contract-nature">services</cbc:ProcurementTypeCode>
    {total}
    <cac:MainCommodityClassification><cbc:ItemClassificationCode listName="cpv">90910000</cbc:ItemClassificationCode></cac:MainCommodityClassification>
  </cac:ProcurementProject>
  {lots}
</ContractNotice>"#
    )
}

/// One award criterion: type, weight unit (BT-5421), weight (BT-541), name,
/// description.
fn criterion(kind: &str, unit: &str, weight: &str, name: &str, description: &str) -> String {
    let param = if unit.is_empty() {
        String::new()
    } else {
        format!(
            r#"<ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><efext:EformsExtension>
              <efac:AwardCriterionParameter><efbc:ParameterCode listName="number-weight">{unit}</efbc:ParameterCode><efbc:ParameterNumeric>{weight}</efbc:ParameterNumeric></efac:AwardCriterionParameter>
            </efext:EformsExtension></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>"#
        )
    };
    let name = if name.is_empty() {
        String::new()
    } else {
        format!(r#"<cbc:Name languageID="NOR">{name}</cbc:Name>"#)
    };
    let description = if description.is_empty() {
        String::new()
    } else {
        format!(r#"<cbc:Description languageID="NOR">{description}</cbc:Description>"#)
    };
    format!(
        r#"<cac:SubordinateAwardingCriterion>{param}<cbc:AwardingCriterionTypeCode listName="award-criterion-type">{kind}</cbc:AwardingCriterionTypeCode>{name}{description}</cac:SubordinateAwardingCriterion>"#
    )
}

fn lot(id: &str, value: &str, framework: &str, criteria: &[String]) -> String {
    let value = if value.is_empty() {
        String::new()
    } else {
        format!(
            r#"<cac:RequestedTenderTotal><cbc:EstimatedOverallContractAmount currencyID="NOK">{value}</cbc:EstimatedOverallContractAmount></cac:RequestedTenderTotal>"#
        )
    };
    let awarding = if criteria.is_empty() {
        String::new()
    } else {
        format!(
            "<cac:AwardingTerms><cac:AwardingCriterion>{}</cac:AwardingCriterion></cac:AwardingTerms>",
            criteria.concat()
        )
    };
    format!(
        r#"<cac:ProcurementProjectLot>
    <cbc:ID schemeName="Lot">{id}</cbc:ID>
    <cac:TenderingTerms>{awarding}</cac:TenderingTerms>
    <cac:TenderingProcess><cac:ContractingSystem><cbc:ContractingSystemTypeCode listName="framework-agreement">{framework}</cbc:ContractingSystemTypeCode></cac:ContractingSystem></cac:TenderingProcess>
    <cac:ProcurementProject><cbc:Name languageID="NOR">Lot {id}</cbc:Name>{value}
      <cac:PlannedPeriod><cbc:DurationMeasure unitCode="YEAR">2</cbc:DurationMeasure></cac:PlannedPeriod>
    </cac:ProcurementProject>
  </cac:ProcurementProjectLot>"#
    )
}

#[test]
fn hand_made_notice_basic_fields() {
    let xml = contract_notice(
        "open",
        "",
        &lot(
            "LOT-0001",
            "1000000",
            "none",
            &[criterion("price", "per-exa", "100", "Pris", "")],
        ),
    );
    let r = record_from_text(&xml);
    assert_eq!(r.id.as_deref(), Some("test-notice-02"));
    assert_eq!(r.notice_id.as_deref(), Some("test-notice"));
    assert_eq!(r.date, date(2025, 2, 3));
    assert_eq!(r.title.as_deref(), Some("Test & check"));
    assert_eq!(
        r.buyer.name.as_deref(),
        Some("Eksempel fylkeskommune"),
        "the Norwegian name is preferred"
    );
    assert_eq!(r.buyer.id.as_deref(), Some("921693230"));
    assert_eq!(code(Domain::BuyerKind, r.buyer.kind), Some("county"));
    assert_eq!(
        r.estimated_value,
        nok("1000000"),
        "the sum of the lots when the notice gives no total"
    );
    assert_eq!(r.framework, Some(false));
    assert_eq!(r.duration_months, Some(dec("24")));
    assert_eq!(criteria(&r), vec![("price", Some(dec("100")))]);
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
}

/// Lots with different criteria: the record takes the lot with the lowest
/// environment weight, and says so.
#[test]
fn lots_with_different_criteria_give_the_binding_lot() {
    let xml = contract_notice(
        "open",
        "3000000",
        &[
            lot(
                "LOT-0001",
                "1000000",
                "none",
                &[
                    criterion("price", "per-exa", "60", "Pris", ""),
                    criterion("quality-nor-env-criteria", "per-exa", "40", "Klima", ""),
                ],
            ),
            lot(
                "LOT-0002",
                "1000000",
                "fa-wo-rc",
                &[
                    criterion("price", "per-exa", "80", "Pris", ""),
                    criterion("quality-nor-env-criteria", "per-exa", "20", "Klima", ""),
                ],
            ),
            lot(
                "LOT-0003",
                "1000000",
                "none",
                &[
                    criterion("price", "per-exa", "70", "Pris", ""),
                    criterion("quality-nor-env-criteria", "per-exa", "30", "Klima", ""),
                ],
            ),
        ]
        .concat(),
    );
    let r = record_from_text(&xml);
    assert_eq!(
        criteria(&r),
        vec![("price", Some(dec("80"))), ("environment", Some(dec("20")))]
    );
    assert!(has_warning(
        &r,
        "award_criteria",
        "those of lot LOT-0002, the lot with the lowest environment weight (20 %)"
    ));
    assert_eq!(r.framework, Some(true), "one lot is a framework agreement");
    assert_eq!(r.warnings.len(), 1, "{:?}", warnings(&r));

    // The lowest lot fails the climate rule, so the record does.
    let f = finding(&baseline(&[]), &r, "FOA-7-9-CLIMATE");
    assert_eq!(f.outcome, Outcome::Fail, "{}", f.message);
}

/// The same criteria in every lot are taken once, without a warning.
#[test]
fn lots_with_the_same_criteria() {
    let crit = [
        criterion("price", "per-exa", "70", "Pris", ""),
        criterion("quality-nor-env-criteria", "per-exa", "30", "Klima", ""),
    ];
    let xml = contract_notice(
        "open",
        "2000000",
        &[
            lot("LOT-0001", "1000000", "none", &crit),
            lot("LOT-0002", "1000000", "none", &crit),
        ]
        .concat(),
    );
    let r = record_from_text(&xml);
    assert_eq!(
        criteria(&r),
        vec![("price", Some(dec("70"))), ("environment", Some(dec("30")))]
    );
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
    let f = finding(&baseline(&[]), &r, "FOA-7-9-CLIMATE");
    assert_eq!(f.outcome, Outcome::Pass, "{}", f.message);
}

/// `quality-nor-env-spec`: specification requirements with the
/// justification in the criterion's description; it passes the rule.
/// `quality-nor-env-none`: an exemption, likewise.
#[test]
fn climate_codes_for_spec_requirements_and_exemptions() {
    let spec = contract_notice(
        "open",
        "2000000",
        &lot(
            "LOT-0001",
            "",
            "none",
            &[
                criterion("price", "per-exa", "100", "Pris", ""),
                criterion(
                    "quality-nor-env-spec",
                    "",
                    "",
                    "",
                    "Krav til nullutslipp i kravspesifikasjonen gir større effekt.",
                ),
            ],
        ),
    );
    let r = record_from_text(&spec);
    assert_eq!(
        criteria(&r),
        vec![("price", Some(dec("100")))],
        "the climate code is not a criterion"
    );
    assert_eq!(r.environment.spec_requirements, Some(true));
    assert_eq!(
        r.environment.justification.as_deref(),
        Some("Krav til nullutslipp i kravspesifikasjonen gir større effekt.")
    );
    assert_eq!(r.environment.exemption, None);
    assert_eq!(finding(&baseline(&[]), &r, "FOA-7-9-CLIMATE").outcome, Outcome::Pass);

    let none = contract_notice(
        "open",
        "2000000",
        &lot(
            "LOT-0001",
            "",
            "none",
            &[
                criterion("price", "per-exa", "100", "Pris", ""),
                criterion(
                    "quality-nor-env-none",
                    "",
                    "",
                    "",
                    "Kjøp av juridiske tjenester har et uvesentlig klimaavtrykk.",
                ),
            ],
        ),
    );
    let r = record_from_text(&none);
    assert_eq!(r.environment.exemption.as_deref(), Some("quality-nor-env-none"));
    assert_eq!(r.environment.spec_requirements, Some(false));
    assert!(
        r.environment
            .justification
            .as_deref()
            .is_some_and(|j| j.contains("uvesentlig"))
    );
    assert_eq!(finding(&baseline(&[]), &r, "FOA-7-9-CLIMATE").outcome, Outcome::Pass);

    // An exemption code without a justification: the rule cannot pass.
    let bare = contract_notice(
        "open",
        "2000000",
        &lot(
            "LOT-0001",
            "",
            "none",
            &[
                criterion("price", "per-exa", "100", "Pris", ""),
                criterion("quality-nor-env-exempt-critical-interest", "", "", "", ""),
            ],
        ),
    );
    let r = record_from_text(&bare);
    assert_eq!(
        r.environment.exemption.as_deref(),
        Some("quality-nor-env-exempt-critical-interest")
    );
    assert_eq!(r.environment.justification, None);
    assert_ne!(finding(&baseline(&[]), &r, "FOA-7-9-CLIMATE").outcome, Outcome::Pass);
}

/// Points are converted to per cent of their total; a mix of units leaves
/// the weights missing.
#[test]
fn weights_in_points() {
    let xml = contract_notice(
        "open",
        "",
        &lot(
            "LOT-0001",
            "",
            "none",
            &[
                criterion("price", "poi-exa", "6", "Pris", ""),
                criterion("quality", "poi-exa", "3", "Kvalitet", ""),
                criterion("quality-nor-env-criteria", "poi-exa", "3", "Miljø", ""),
            ],
        ),
    );
    let r = record_from_text(&xml);
    assert_eq!(
        criteria(&r),
        vec![
            ("price", Some(dec("50"))),
            ("quality", Some(dec("25"))),
            ("environment", Some(dec("25")))
        ]
    );
    assert!(has_warning(&r, "award_criteria", "given as points (total 12)"));

    let mixed = contract_notice(
        "open",
        "",
        &lot(
            "LOT-0001",
            "",
            "none",
            &[
                criterion("price", "poi-exa", "6", "Pris", ""),
                criterion("quality", "per-exa", "40", "Kvalitet", ""),
            ],
        ),
    );
    let r = record_from_text(&mixed);
    assert_eq!(criteria(&r), vec![("price", None), ("quality", None)]);
    assert!(has_warning(&r, "award_criteria", "different units"));
}

/// Unknown codes are warnings and leave the field missing.
#[test]
fn unknown_codes_are_warnings() {
    let xml = contract_notice(
        "auction",
        "",
        &lot(
            "LOT-0001",
            "",
            "maybe",
            &[criterion("beauty", "per-exa", "100", "", "")],
        ),
    );
    let r = record_from_text(&xml);
    assert_eq!(r.procedure, None);
    assert!(has_warning(
        &r,
        "procedure",
        "unknown procedure type (BT-105) \"auction\""
    ));
    assert_eq!(r.framework, None);
    assert!(has_warning(&r, "framework", "\"maybe\""));
    assert_eq!(criteria(&r), vec![("-", Some(dec("100")))]);
    assert!(has_warning(
        &r,
        "award_criteria",
        "unknown award criterion type (BT-539) \"beauty\""
    ));
}

/// A criterion without a type code (TED's "all criteria are stated only in
/// the procurement documents") gives no criteria.
#[test]
fn criteria_only_in_the_documents() {
    let untyped = r#"<cac:SubordinateAwardingCriterion><cbc:Description>Price is not the only award criterion and all criteria are stated only in the procurement documents</cbc:Description></cac:SubordinateAwardingCriterion>"#;
    let xml = contract_notice(
        "open",
        "",
        &lot("LOT-0001", "", "none", &[]).replace(
            "<cac:TenderingTerms></cac:TenderingTerms>",
            &format!("<cac:TenderingTerms><cac:AwardingTerms><cac:AwardingCriterion>{untyped}</cac:AwardingCriterion></cac:AwardingTerms></cac:TenderingTerms>"),
        ),
    );
    let r = record_from_text(&xml);
    assert_eq!(r.award_criteria, None);
    assert_eq!(r.environment.spec_requirements, None);
}

/// An award notice with one winner and a tender value but no notice value.
#[test]
fn award_notice_winner_and_tender_value() {
    let xml = r#"<ContractAwardNotice xmlns:cac="c" xmlns:cbc="b" xmlns:efac="a" xmlns:efbc="e" xmlns:efext="x" xmlns:ext="u">
  <ext:UBLExtensions><ext:UBLExtension><ext:ExtensionContent><efext:EformsExtension>
    <efac:NoticeResult>
      <efac:LotResult><cbc:ID>RES-0001</cbc:ID><cbc:TenderResultCode listName="winner-selection-status">selec-w</cbc:TenderResultCode>
        <efac:LotTender><cbc:ID>TEN-0001</cbc:ID></efac:LotTender><efac:LotTender><cbc:ID>TEN-0002</cbc:ID></efac:LotTender></efac:LotResult>
      <efac:LotTender><cbc:ID>TEN-0001</cbc:ID><cac:LegalMonetaryTotal><cbc:PayableAmount currencyID="EUR">125000.50</cbc:PayableAmount></cac:LegalMonetaryTotal>
        <efac:TenderingParty><cbc:ID>TPA-0001</cbc:ID></efac:TenderingParty></efac:LotTender>
      <efac:LotTender><cbc:ID>TEN-0002</cbc:ID><efac:TenderingParty><cbc:ID>TPA-0002</cbc:ID></efac:TenderingParty></efac:LotTender>
      <efac:SettledContract><cbc:ID>CON-0001</cbc:ID><efac:LotTender><cbc:ID>TEN-0001</cbc:ID></efac:LotTender></efac:SettledContract>
      <efac:TenderingParty><cbc:ID>TPA-0001</cbc:ID>
        <efac:Tenderer><cbc:ID>ORG-0002</cbc:ID><efbc:GroupLeadIndicator>true</efbc:GroupLeadIndicator></efac:Tenderer>
        <efac:Tenderer><cbc:ID>ORG-0003</cbc:ID></efac:Tenderer></efac:TenderingParty>
      <efac:TenderingParty><cbc:ID>TPA-0002</cbc:ID><efac:Tenderer><cbc:ID>ORG-0003</cbc:ID></efac:Tenderer></efac:TenderingParty>
    </efac:NoticeResult>
    <efac:Organizations>
      <efac:Organization><efac:Company><cac:PartyIdentification><cbc:ID>ORG-0001</cbc:ID></cac:PartyIdentification><cac:PartyName><cbc:Name>Buyer</cbc:Name></cac:PartyName></efac:Company></efac:Organization>
      <efac:Organization><efac:Company><cac:PartyIdentification><cbc:ID>ORG-0002</cbc:ID></cac:PartyIdentification><cac:PartyName><cbc:Name>Leader AB</cbc:Name></cac:PartyName>
        <cac:PostalAddress><cac:Country><cbc:IdentificationCode listName="country">SWE</cbc:IdentificationCode></cac:Country></cac:PostalAddress>
        <cac:PartyLegalEntity><cbc:CompanyID>556677-8899</cbc:CompanyID></cac:PartyLegalEntity></efac:Company></efac:Organization>
      <efac:Organization><efac:Company><cac:PartyIdentification><cbc:ID>ORG-0003</cbc:ID></cac:PartyIdentification><cac:PartyName><cbc:Name>Partner AS</cbc:Name></cac:PartyName></efac:Company></efac:Organization>
    </efac:Organizations>
  </efext:EformsExtension></ext:ExtensionContent></ext:UBLExtension></ext:UBLExtensions>
  <cbc:ID>award-1</cbc:ID>
  <cbc:IssueDate>2024-05-06Z</cbc:IssueDate>
  <cbc:NoticeTypeCode listName="dir-awa-pre">veat</cbc:NoticeTypeCode>
  <cac:ContractingParty><cac:Party><cac:PartyIdentification><cbc:ID>ORG-0001</cbc:ID></cac:PartyIdentification></cac:Party></cac:ContractingParty>
  <cac:TenderingProcess><cbc:ProcedureCode>neg-wo-call</cbc:ProcedureCode>
    <cac:ProcessJustification><cbc:ProcessReasonCode listName="direct-award-justification">exclusive</cbc:ProcessReasonCode></cac:ProcessJustification>
  </cac:TenderingProcess>
</ContractAwardNotice>"#;
    let r = record_from_text(xml);
    assert_eq!(r.id.as_deref(), Some("award-1"), "no version: the notice id alone");
    assert_eq!(code(Domain::Stage, r.stage), Some("award"));
    assert_eq!(
        r.supplier.name.as_deref(),
        Some("Leader AB"),
        "the group leader of the winning tenderers"
    );
    assert_eq!(
        r.supplier.id.as_deref(),
        Some("556677-8899"),
        "a foreign id is kept as written"
    );
    assert_eq!(
        r.awarded_value,
        Some(Money::new(dec("125000.50"), Currency::parse("EUR").expect("EUR")))
    );
    assert_eq!(r.rationale.as_deref(), Some("exclusive"));
    assert!(r.warnings.is_empty(), "{:?}", warnings(&r));
}

// ------------------------------------------------------------------ broken input

#[test]
fn broken_xml_is_an_input_error() {
    let e = error_of(b"<ContractNotice><cbc:ID>1</cbc:Name></ContractNotice>");
    assert!(e.starts_with("not well-formed XML (line 1, column"), "{e}");
    let e = error_of(b"<ContractNotice>\n  <cbc:ID>1</cbc:ID>\n");
    assert_eq!(e, "the XML ends too early: <ContractNotice> is not closed");
    let e = error_of(b"");
    assert_eq!(e, "not an eForms notice: the file is empty");
    let e = error_of(b"{\"id\": \"not xml\"}");
    assert_eq!(
        e,
        "not an eForms notice: the file is not XML (it begins with \"{\"id\": \"not xml\"}\")"
    );
    let e = error_of(b"<ContractNotice/>\n<ContractNotice/>");
    assert!(e.contains("a second root element <ContractNotice>"), "{e}");
    let e = error_of(b"<ContractNotice a='1' a='2'/>");
    assert!(e.contains("duplicated attribute"), "{e}");
    let e = error_of(b"<?xml version=\"1.0\"?>\n<a>\xff\xfe</a>");
    assert!(e.contains("not UTF-8"), "{e}");
}

#[test]
fn other_xml_is_not_an_eforms_notice() {
    let e = error_of(b"<!DOCTYPE html><html><body><p>Doffin</p></body></html>");
    assert!(e.starts_with("not an eForms notice: the root element is <html>"), "{e}");
    let e = error_of(b"<?xml version=\"1.0\"?><TED_EXPORT xmlns=\"http://publications.europa.eu/resource/schema/ted/R2.0.9/publication\"/>");
    assert!(e.contains("<TED_EXPORT>") && e.contains("pre-eForms"), "{e}");
}

/// A notice in ISO-8859-1, as its declaration says, reads correctly.
#[test]
fn declared_latin1_encoding() {
    let xml = contract_notice("open", "", "")
        .replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"")
        .replace("Test &amp; check", "Møbler");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&xml);
    let mut raws = read_bytes("latin1.xml", &bytes);
    match raws.remove(0).payload {
        Payload::Record(r) => assert_eq!(r.title.as_deref(), Some("Møbler")),
        Payload::Error(e) => panic!("{e}"),
        Payload::Json(_) => panic!("JSON"),
    }
}

/// Truncated anywhere, a real notice gives an input error, never a panic.
#[test]
fn truncated_notices_never_panic() {
    let Some(dir) = data_dir("eforms") else { return };
    for file in [
        "ContractAwardNotice_can-social_2023-653024.xml",
        "ContractNotice_cn-social_2024-102327.xml",
    ] {
        let bytes = std::fs::read(dir.join(file)).expect("readable");
        let end = bytes.iter().rposition(|&b| b == b'>').expect("a closing tag");
        let mut cuts: Vec<usize> = (1..60).map(|i| bytes.len() * i / 60).collect();
        cuts.extend([1, 2, 10, 38, 39, 40, end, end - 1]);
        for cut in cuts {
            let raws = read_bytes(file, &bytes[..cut]);
            assert_eq!(raws.len(), 1, "{file} cut at {cut}");
            match &raws[0].payload {
                Payload::Error(e) => assert!(!e.is_empty()),
                Payload::Record(_) => panic!("{file} cut at {cut}: a record from a truncated notice"),
                Payload::Json(_) => panic!("JSON"),
            }
        }
        // Cut inside a multi-byte character: still an error, no panic.
        if let Some(i) = bytes.iter().position(|&b| b >= 0xC0) {
            let raws = read_bytes(file, &bytes[..i + 1]);
            assert!(matches!(raws[0].payload, Payload::Error(_)));
        }
    }
}

/// Nothing read from any notice is lost in the canonical JSON round trip.
#[test]
fn records_survive_the_canonical_json_round_trip() {
    for sub in ["eforms", "national", "dfo-synthetic"] {
        let Some(dir) = data_dir(sub) else { return };
        for path in xml_files(&dir) {
            let (_, mut r) = record_of(&path);
            r.warnings.clear();
            let json = canonical_json::to_json(&r);
            let back = anskaff::input::canonical::parse_record(json.as_bytes()).expect("canonical JSON parses");
            assert!(back.warnings.is_empty(), "{}: {:?}", path.display(), back.warnings);
            assert_eq!(back, r, "{}", path.display());
        }
    }
}

/// Notices with bytes changed here and there (tags, quotes, entities,
/// invalid UTF-8) give a record or an input error, never a panic.
#[test]
fn mangled_notices_never_panic() {
    let Some(dir) = data_dir("dfo-synthetic") else { return };
    let bytes = std::fs::read(dir.join("VALID-national-e3-nor-env.xml")).expect("readable");
    let replacements = [b'<', b'>', b'&', b'"', b'\'', b'/', b'=', b':', b' ', 0xC3, 0xFF, b'0'];
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut records, mut errors) = (0, 0);
    for _ in 0..400 {
        let mut mangled = bytes.clone();
        for _ in 0..(1 + next() % 3) {
            let at = (next() % mangled.len() as u64) as usize;
            mangled[at] = replacements[(next() % replacements.len() as u64) as usize];
        }
        for raw in read_bytes("mangled.xml", &mangled) {
            match raw.payload {
                Payload::Record(_) => records += 1,
                Payload::Error(e) => {
                    assert!(!e.is_empty());
                    errors += 1;
                }
                Payload::Json(_) => panic!("JSON"),
            }
        }
    }
    assert_eq!(records + errors, 400);
    assert!(errors > 0 && records > 0, "{records} records, {errors} errors");
}
