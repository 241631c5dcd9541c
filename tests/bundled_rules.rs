//! The bundled policies (`policies/no`, `policies/viken`) rule by rule: for
//! each rule a pass, a fail, an unknown and the ways it does not apply, the
//! thresholds and their dates, parameter overrides, currencies, exemptions
//! and the record's status. The cross-record split rules are tested elsewhere.

use anskaff::Policies;
use anskaff::api::Checked;
use anskaff::finding::{Finding, Outcome, Status};
use anskaff::syntax::ast::Lang;
use serde_json::{Map, Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

use Outcome::{Fail, NotApplicable, Pass, Unknown, Waived};

// ------------------------------------------------------------------ helpers

fn policy_dir(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies").join(name)
}

/// The national baseline alone.
fn baseline() -> &'static Policies {
    static P: OnceLock<Policies> = OnceLock::new();
    P.get_or_init(|| Policies::load(&[policy_dir("no")], &[]).expect("the baseline loads"))
}

/// Viken's strategy, which imports the baseline.
fn viken_policies() -> &'static Policies {
    static P: OnceLock<Policies> = OnceLock::new();
    P.get_or_init(|| Policies::load(&[policy_dir("viken")], &[]).expect("the Viken policy loads"))
}

fn viken_with(overrides: &[(&str, &str)]) -> Policies {
    let overrides: Vec<(String, String)> = overrides.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Policies::load(&[policy_dir("viken")], &overrides).expect("the Viken policy loads with overrides")
}

fn nok(amount: &str) -> Value {
    json!({"amount": amount, "currency": "NOK"})
}

fn money(amount: &str, currency: &str) -> Value {
    json!({"amount": amount, "currency": currency})
}

/// A record under construction: a JSON object with dotted-path setters.
#[derive(Clone)]
struct Rec(Value);

impl Rec {
    /// Set `path` (`a.b.c`), creating objects on the way.
    fn set(mut self, path: &str, value: Value) -> Self {
        let mut parts: Vec<&str> = path.split('.').collect();
        let last = parts.pop().expect("a path");
        let mut obj = self.0.as_object_mut().expect("a record is an object");
        for p in parts {
            obj = obj
                .entry(p)
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("an object on the path");
        }
        obj.insert(last.to_string(), value);
        self
    }

    /// Remove `path` altogether (the field is then absent, not null).
    fn del(mut self, path: &str) -> Self {
        let mut parts: Vec<&str> = path.split('.').collect();
        let last = parts.pop().expect("a path");
        let mut obj = self.0.as_object_mut().expect("a record is an object");
        for p in parts {
            match obj.get_mut(p).and_then(Value::as_object_mut) {
                Some(o) => obj = o,
                None => return self,
            }
        }
        obj.remove(last);
        self
    }

    fn value(self, amount: &str) -> Self {
        self.set("estimated_value", nok(amount))
    }

    fn date(self, date: &str) -> Self {
        self.set("date", json!(date))
    }

    fn id(&self) -> String {
        self.0["id"].as_str().expect("the record has an id").to_string()
    }
}

/// A record that every baseline rule passes or finds not applicable: a
/// municipality buying services for 3 MNOK in 2024, openly, in two lots,
/// with 30 % environment weight.
fn base() -> Rec {
    Rec(json!({
        "id": "r",
        "stage": "notice",
        "title": "Testanskaffelse",
        "buyer": {"id": "999888777", "name": "Testkommune", "kind": "municipal"},
        "date": "2024-06-01",
        "category": "services",
        "cpv": ["79400000"],
        "procedure": "open",
        "estimated_value": nok("3000000"),
        "framework": false,
        "lots": [{"id": "1", "title": "Øst"}, {"id": "2", "title": "Vest"}],
        "award_criteria": [
            {"name": "Pris", "type": "price", "weight": 70},
            {"name": "Miljø", "type": "environment", "weight": 30}
        ],
        "labour": {"max_subcontractor_levels": 2, "apprentices": true, "wages_via_bank": true}
    }))
}

/// The same record bought by Viken fylkeskommune in 2022, while its strategy
/// was in force; it meets every Viken rule too.
fn viken() -> Rec {
    base()
        .set(
            "buyer",
            json!({"id": "921693230", "name": "Viken fylkeskommune", "kind": "county"}),
        )
        .date("2022-06-01")
}

/// A Viken goods purchase of vehicles.
fn viken_vehicles(fuels: &[&str]) -> Rec {
    let vehicles: Vec<Value> = fuels
        .iter()
        .map(|f| json!({"class": "N1", "count": 1, "fuel": f}))
        .collect();
    viken()
        .set("category", json!("goods"))
        .set("cpv", json!(["34136000"]))
        .set("vehicles", Value::Array(vehicles))
        .set("lcc.assessed", json!(true))
}

/// A works contract below the EEA threshold for works.
fn works() -> Rec {
    base()
        .set("category", json!("works"))
        .set("cpv", json!(["45214200"]))
        .value("5000000")
}

/// Check one record; the run must have no input errors and the record no
/// data warnings (so that a typo in a test's field names cannot hide).
fn run(p: &Policies, rec: &Rec) -> Checked {
    let line = serde_json::to_string(&rec.0).expect("json");
    let checked = p.check_jsonl(&line, Lang::En).expect("the check runs");
    assert!(checked.errors.is_empty(), "input errors: {:?}", checked.errors);
    let r = checked.record(&rec.id()).expect("the record is reported");
    assert!(r.warnings.is_empty(), "data warnings: {:?}", r.warnings);
    checked
}

fn finding(p: &Policies, rec: &Rec, rule: &str) -> Finding {
    let checked = run(p, rec);
    p.finding(&checked, &rec.id(), rule)
        .unwrap_or_else(|| panic!("no finding for {rule}"))
        .clone()
}

fn outcome(p: &Policies, rec: &Rec, rule: &str) -> Outcome {
    finding(p, rec, rule).outcome
}

fn status(p: &Policies, rec: &Rec) -> Status {
    let checked = run(p, rec);
    checked.record(&rec.id()).expect("the record").status
}

fn base_outcome(rec: Rec, rule: &str) -> Outcome {
    outcome(baseline(), &rec, rule)
}

fn viken_outcome(rec: Rec, rule: &str) -> Outcome {
    outcome(viken_policies(), &rec, rule)
}

const BASELINE_RULES: [&str; 5] = [
    "FOA-5-3-NOTICE",
    "FOA-EEA-PROCEDURE",
    "FOA-7-9-CLIMATE",
    "FOA-19-4-LOTS",
    "FOA-8-13-SUBCONTRACTORS",
];

const VIKEN_RULES: [&str; 7] = [
    "VIKEN-KLIMA-1",
    "VIKEN-KLIMA-2",
    "VIKEN-KLIMA-3",
    "VIKEN-KLIMA-4",
    "VIKEN-OKONOMI-1",
    "VIKEN-OKONOMI-2",
    "VIKEN-REGION-1",
];

// ------------------------------------------------------------------ base records

#[test]
fn base_record_is_compliant_with_the_baseline() {
    let p = baseline();
    for rule in BASELINE_RULES {
        let o = outcome(p, &base(), rule);
        assert!(matches!(o, Pass | NotApplicable), "{rule}: {o:?}");
    }
    assert_eq!(status(p, &base()), Status::Compliant);
}

#[test]
fn viken_base_record_passes_every_viken_rule_that_applies() {
    let p = viken_policies();
    assert_eq!(outcome(p, &viken(), "VIKEN-KLIMA-3"), Pass);
    assert_eq!(outcome(p, &viken(), "VIKEN-KLIMA-4"), Pass);
    assert_eq!(outcome(p, &viken(), "VIKEN-REGION-1"), Pass);
    for rule in VIKEN_RULES.iter().chain(BASELINE_RULES.iter()) {
        let o = outcome(p, &viken(), rule);
        assert!(matches!(o, Pass | NotApplicable), "{rule}: {o:?}");
    }
    assert_eq!(status(p, &viken()), Status::Compliant);
}

// ------------------------------------------------------------------ FOA-5-3-NOTICE

const NOTICE: &str = "FOA-5-3-NOTICE";

fn direct(value: &str) -> Rec {
    base().set("procedure", json!("direct")).value(value)
}

#[test]
fn notice_passes_for_an_open_procedure() {
    assert_eq!(base_outcome(base(), NOTICE), Pass);
}

#[test]
fn notice_passes_for_a_direct_award_with_a_rationale() {
    let rec = direct("1500000").set("rationale", json!("FOA § 13-3 e: bare én leverandør"));
    assert_eq!(base_outcome(rec, NOTICE), Pass);
}

#[test]
fn notice_fails_for_a_direct_award_at_the_threshold_with_an_empty_rationale() {
    let rec = direct("1300000").set("rationale", json!(""));
    assert_eq!(base_outcome(rec, NOTICE), Fail);
}

#[test]
fn notice_fails_for_below_threshold_procedure_above_the_threshold() {
    let rec = base()
        .set("procedure", json!("below_threshold"))
        .set("rationale", json!(""));
    assert_eq!(base_outcome(rec, NOTICE), Fail);
}

#[test]
fn notice_is_unknown_without_a_rationale_field_and_names_it() {
    let f = finding(baseline(), &direct("1300000"), NOTICE);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["rationale"]);
}

#[test]
fn notice_treats_null_rationale_as_missing() {
    let rec = direct("1300000").set("rationale", Value::Null);
    assert_eq!(base_outcome(rec, NOTICE), Unknown);
}

#[test]
fn notice_is_unknown_without_a_procedure() {
    let f = finding(baseline(), &base().del("procedure").set("rationale", json!("")), NOTICE);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"procedure"), "{:?}", f.missing);
}

#[test]
fn notice_does_not_apply_just_below_the_threshold() {
    let rec = direct("1299999.99").set("rationale", json!(""));
    assert_eq!(base_outcome(rec, NOTICE), NotApplicable);
}

#[test]
fn notice_uses_the_awarded_value_when_there_is_no_estimate() {
    let rec = direct("1")
        .del("estimated_value")
        .set("awarded_value", nok("1400000"))
        .set("rationale", json!(""));
    assert_eq!(base_outcome(rec, NOTICE), Fail);
}

#[test]
fn notice_prefers_the_estimated_value_to_the_awarded_value() {
    let rec = direct("1000000")
        .set("awarded_value", nok("1400000"))
        .set("rationale", json!(""));
    assert_eq!(base_outcome(rec, NOTICE), NotApplicable);
}

#[test]
fn notice_is_unknown_without_any_value_and_names_both_value_fields() {
    let rec = base()
        .set("procedure", json!("direct"))
        .set("rationale", json!(""))
        .del("estimated_value");
    let f = finding(baseline(), &rec, NOTICE);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"estimated_value"), "{:?}", f.missing);
    assert!(f.missing.contains(&"awarded_value"), "{:?}", f.missing);
}

#[test]
fn notice_uses_the_older_national_threshold_before_2018_04_06() {
    let rec = direct("1200000").set("rationale", json!("")).date("2018-04-05");
    assert_eq!(base_outcome(rec.clone(), NOTICE), Fail);
    assert_eq!(base_outcome(rec.date("2018-04-06"), NOTICE), NotApplicable);
}

// ------------------------------------------------------------------ FOA-EEA-PROCEDURE

const EEA: &str = "FOA-EEA-PROCEDURE";

/// A direct award with a rationale (so it is a notice-rule pass) by a buyer
/// of `kind`, in `category`, for `value` on `date`.
fn eea(kind: &str, category: &str, value: &str, date: &str) -> Rec {
    base()
        .set("buyer.kind", json!(kind))
        .set("category", json!(category))
        .set("procedure", json!("direct"))
        .set("rationale", json!("FOA § 13-3"))
        .value(value)
        .date(date)
}

#[test]
fn eea_passes_for_an_open_procedure() {
    assert_eq!(base_outcome(base(), EEA), Pass);
}

#[test]
fn eea_passes_for_negotiation_without_notice_with_a_rationale() {
    let rec = base()
        .set("procedure", json!("negotiated_without_notice"))
        .set("rationale", json!("FOA § 13-3 d"));
    assert_eq!(base_outcome(rec, EEA), Pass);
}

#[test]
fn eea_fails_for_a_direct_award_even_with_a_rationale() {
    assert_eq!(
        base_outcome(eea("municipal", "services", "3000000", "2024-06-01"), EEA),
        Fail
    );
}

#[test]
fn eea_fails_for_negotiation_without_notice_with_an_empty_rationale() {
    let rec = base()
        .set("procedure", json!("negotiated_without_notice"))
        .set("rationale", json!(""));
    assert_eq!(base_outcome(rec, EEA), Fail);
}

#[test]
fn eea_is_unknown_for_negotiation_without_notice_without_a_rationale() {
    let rec = base().set("procedure", json!("negotiated_without_notice"));
    let f = finding(baseline(), &rec, EEA);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["rationale"]);
}

#[test]
fn eea_is_unknown_without_a_procedure() {
    let f = finding(baseline(), &base().del("procedure"), EEA);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"procedure"), "{:?}", f.missing);
}

#[test]
fn eea_is_unknown_when_the_buyer_kind_decides_the_threshold_and_is_missing() {
    // 2 MNOK is above the state threshold but below the others.
    let rec = eea("state", "services", "2000000", "2024-06-01").del("buyer.kind");
    assert_eq!(base_outcome(rec, EEA), Unknown);
}

#[test]
fn eea_works_threshold_needs_no_buyer_kind() {
    let rec = eea("state", "works", "57800000", "2024-06-01").del("buyer.kind");
    assert_eq!(base_outcome(rec, EEA), Fail);
}

#[test]
fn eea_uses_the_2017_values_before_2018_04_06() {
    assert_eq!(
        base_outcome(eea("municipal", "services", "1749999", "2018-01-01"), EEA),
        NotApplicable
    );
    assert_eq!(
        base_outcome(eea("municipal", "services", "1750000", "2018-01-01"), EEA),
        Fail
    );
    assert_eq!(base_outcome(eea("state", "goods", "1100000", "2017-06-01"), EEA), Fail);
}

#[test]
fn the_baseline_is_not_in_force_before_2017() {
    assert_eq!(
        base_outcome(eea("municipal", "services", "3000000", "2016-12-31"), EEA),
        NotApplicable
    );
}

#[test]
fn eea_does_not_apply_below_the_threshold() {
    assert_eq!(
        base_outcome(eea("municipal", "services", "1500000", "2024-06-01"), EEA),
        NotApplicable
    );
}

#[test]
fn eea_state_threshold_from_2024_03_14() {
    assert_eq!(
        base_outcome(eea("state", "goods", "1489999", "2024-03-14"), EEA),
        NotApplicable
    );
    assert_eq!(base_outcome(eea("state", "goods", "1490000", "2024-03-14"), EEA), Fail);
    assert_eq!(
        base_outcome(eea("state", "services", "1490000", "2025-01-01"), EEA),
        Fail
    );
}

#[test]
fn eea_other_buyers_threshold_from_2024_03_14() {
    assert_eq!(
        base_outcome(eea("municipal", "services", "2299999", "2024-03-14"), EEA),
        NotApplicable
    );
    assert_eq!(
        base_outcome(eea("municipal", "services", "2300000", "2024-03-14"), EEA),
        Fail
    );
    assert_eq!(base_outcome(eea("county", "goods", "2300000", "2024-06-01"), EEA), Fail);
}

#[test]
fn eea_works_threshold_from_2024_03_14_also_for_state_buyers() {
    assert_eq!(
        base_outcome(eea("municipal", "works", "57799999", "2024-03-14"), EEA),
        NotApplicable
    );
    assert_eq!(
        base_outcome(eea("municipal", "works", "57800000", "2024-03-14"), EEA),
        Fail
    );
    assert_eq!(
        base_outcome(eea("state", "works", "57799999", "2024-06-01"), EEA),
        NotApplicable
    );
}

#[test]
fn eea_uses_the_2022_03_23_values_in_2023() {
    assert_eq!(
        base_outcome(eea("municipal", "services", "2199999", "2023-06-01"), EEA),
        NotApplicable
    );
    assert_eq!(
        base_outcome(eea("municipal", "services", "2200000", "2023-06-01"), EEA),
        Fail
    );
    assert_eq!(base_outcome(eea("state", "goods", "1400000", "2023-06-01"), EEA), Fail);
    assert_eq!(
        base_outcome(eea("state", "goods", "1399999", "2023-06-01"), EEA),
        NotApplicable
    );
    assert_eq!(
        base_outcome(eea("municipal", "works", "56000000", "2023-06-01"), EEA),
        Fail
    );
}

#[test]
fn eea_2022_values_still_apply_the_day_before_2024_03_14() {
    let rec = eea("municipal", "services", "2250000", "2024-03-13");
    assert_eq!(base_outcome(rec.clone(), EEA), Fail);
    assert_eq!(base_outcome(rec.date("2024-03-14"), EEA), NotApplicable);
}

// ------------------------------------------------------------------ FOA-7-9-CLIMATE

const CLIMATE: &str = "FOA-7-9-CLIMATE";

fn criteria(price: u32, environment: u32) -> Value {
    json!([
        {"name": "Pris", "type": "price", "weight": price},
        {"name": "Miljø", "type": "environment", "weight": environment}
    ])
}

/// 20 % environment weight and no specification requirements or exemption.
fn weak_climate() -> Rec {
    base()
        .set("award_criteria", criteria(80, 20))
        .set("environment", json!({"spec_requirements": false}))
}

#[test]
fn climate_passes_with_30_percent_environment_weight() {
    assert_eq!(base_outcome(base(), CLIMATE), Pass);
}

#[test]
fn climate_adds_up_several_environment_criteria() {
    let rec = base().set(
        "award_criteria",
        json!([
            {"name": "Pris", "type": "price", "weight": 70},
            {"name": "Klima", "type": "environment", "weight": 15},
            {"name": "Miljø", "type": "environment", "weight": 15}
        ]),
    );
    assert_eq!(base_outcome(rec, CLIMATE), Pass);
}

#[test]
fn climate_passes_with_justified_specification_requirements() {
    let rec = weak_climate().set(
        "environment",
        json!({"spec_requirements": true, "justification": "Krav til fossilfri byggeplass gir større effekt"}),
    );
    assert_eq!(base_outcome(rec, CLIMATE), Pass);
}

#[test]
fn climate_passes_with_a_justified_exemption() {
    let rec = weak_climate().set(
        "environment",
        json!({"exemption": "insignificant", "justification": "Ubetydelig klimafotavtrykk"}),
    );
    assert_eq!(base_outcome(rec, CLIMATE), Pass);
}

#[test]
fn climate_fails_with_20_percent_and_nothing_else() {
    assert_eq!(base_outcome(weak_climate(), CLIMATE), Fail);
}

#[test]
fn climate_fails_at_exactly_the_national_threshold() {
    assert_eq!(base_outcome(weak_climate().value("1300000"), CLIMATE), Fail);
}

#[test]
fn climate_fails_with_specification_requirements_but_an_empty_justification() {
    let rec = weak_climate().set("environment", json!({"spec_requirements": true, "justification": ""}));
    assert_eq!(base_outcome(rec, CLIMATE), Fail);
}

#[test]
fn climate_fails_when_no_criterion_is_an_environment_criterion() {
    let rec = weak_climate().set(
        "award_criteria",
        json!([{"name": "Pris", "type": "price", "weight": 100}]),
    );
    assert_eq!(base_outcome(rec, CLIMATE), Fail);
}

#[test]
fn climate_is_unknown_without_environment_data_when_the_weight_is_too_low() {
    let f = finding(baseline(), &weak_climate().del("environment"), CLIMATE);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"environment.spec_requirements"), "{:?}", f.missing);
}

#[test]
fn climate_is_unknown_without_award_criteria_or_environment_data() {
    let f = finding(baseline(), &base().del("award_criteria"), CLIMATE);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"award_criteria"), "{:?}", f.missing);
}

#[test]
fn climate_is_unknown_when_an_environment_weight_is_missing() {
    let rec = weak_climate().set(
        "award_criteria",
        json!([{"name": "Pris", "type": "price", "weight": 70}, {"name": "Miljø", "type": "environment"}]),
    );
    assert_eq!(base_outcome(rec, CLIMATE), Unknown);
}

#[test]
fn climate_is_not_in_force_before_2024() {
    assert_eq!(base_outcome(weak_climate().date("2023-12-31"), CLIMATE), NotApplicable);
    assert_eq!(base_outcome(weak_climate().date("2024-01-01"), CLIMATE), Fail);
}

#[test]
fn climate_does_not_apply_below_the_national_threshold() {
    assert_eq!(base_outcome(weak_climate().value("1299999"), CLIMATE), NotApplicable);
}

// ------------------------------------------------------------------ FOA-19-4-LOTS

const LOTS: &str = "FOA-19-4-LOTS";

#[test]
fn lots_passes_with_two_lots() {
    assert_eq!(base_outcome(base(), LOTS), Pass);
}

#[test]
fn lots_passes_with_a_justification_instead() {
    let rec = base()
        .set("lots", json!([]))
        .set("lots_justification", json!("Én integrert tjeneste"));
    assert_eq!(base_outcome(rec, LOTS), Pass);
}

#[test]
fn lots_fails_without_lots_and_with_an_empty_justification() {
    let rec = base().set("lots", json!([])).set("lots_justification", json!(""));
    assert_eq!(base_outcome(rec, LOTS), Fail);
}

#[test]
fn lots_fails_with_a_single_lot_and_an_empty_justification() {
    let rec = base()
        .set("lots", json!([{"id": "1"}]))
        .set("lots_justification", json!(""));
    assert_eq!(base_outcome(rec, LOTS), Fail);
}

#[test]
fn lots_is_unknown_with_one_lot_and_no_justification_field() {
    let f = finding(baseline(), &base().set("lots", json!([{"id": "1"}])), LOTS);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["lots_justification"]);
}

#[test]
fn lots_is_unknown_without_lots_or_justification() {
    let f = finding(baseline(), &base().del("lots"), LOTS);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"lots"), "{:?}", f.missing);
}

#[test]
fn lots_does_not_apply_below_the_eea_threshold() {
    let rec = base()
        .set("lots", json!([]))
        .set("lots_justification", json!(""))
        .value("2299999");
    assert_eq!(base_outcome(rec.clone(), LOTS), NotApplicable);
    assert_eq!(base_outcome(rec.value("2300000"), LOTS), Fail);
}

// ------------------------------------------------------------------ FOA-8-13-SUBCONTRACTORS

const SUBCONTRACTORS: &str = "FOA-8-13-SUBCONTRACTORS";

#[test]
fn subcontractors_passes_for_works_with_two_levels() {
    assert_eq!(base_outcome(works(), SUBCONTRACTORS), Pass);
}

#[test]
fn subcontractors_fails_for_works_with_three_levels() {
    let rec = works().set("labour.max_subcontractor_levels", json!(3));
    assert_eq!(base_outcome(rec, SUBCONTRACTORS), Fail);
}

#[test]
fn subcontractors_applies_to_cleaning_services_by_cpv() {
    let cleaning = base().set("cpv", json!(["90910000"])).value("1800000");
    assert_eq!(
        base_outcome(
            cleaning.clone().set("labour.max_subcontractor_levels", json!(1)),
            SUBCONTRACTORS
        ),
        Pass
    );
    assert_eq!(
        base_outcome(
            cleaning.set("labour.max_subcontractor_levels", json!(3)),
            SUBCONTRACTORS
        ),
        Fail
    );
}

#[test]
fn subcontractors_looks_at_every_cpv_code() {
    let rec = base()
        .set("cpv", json!(["79400000", "90910000"]))
        .set("labour.max_subcontractor_levels", json!(3));
    assert_eq!(base_outcome(rec, SUBCONTRACTORS), Fail);
}

#[test]
fn subcontractors_is_unknown_without_the_labour_data() {
    let f = finding(baseline(), &works().del("labour"), SUBCONTRACTORS);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["labour.max_subcontractor_levels"]);
}

#[test]
fn subcontractors_does_not_apply_to_other_services() {
    let rec = base().set("labour.max_subcontractor_levels", json!(5));
    assert_eq!(base_outcome(rec, SUBCONTRACTORS), NotApplicable);
}

#[test]
fn subcontractors_threshold_is_met_at_1_300_000() {
    let rec = works().set("labour.max_subcontractor_levels", json!(3));
    assert_eq!(
        base_outcome(rec.clone().value("1299999"), SUBCONTRACTORS),
        NotApplicable
    );
    assert_eq!(base_outcome(rec.value("1300000"), SUBCONTRACTORS), Fail);
}

// ------------------------------------------------------------------ Viken: scope and period

#[test]
fn viken_rules_do_not_apply_to_other_buyers() {
    let rec = viken_vehicles(&["diesel"])
        .set(
            "buyer",
            json!({"id": "817920632", "name": "Akershus fylkeskommune", "kind": "county"}),
        )
        .set("award_criteria", criteria(90, 10));
    for rule in VIKEN_RULES {
        assert_eq!(viken_outcome(rec.clone(), rule), NotApplicable, "{rule}");
    }
}

#[test]
fn viken_rules_do_not_exclude_baseline_rules_for_other_buyers() {
    let rec = base().set("lots", json!([])).set("lots_justification", json!(""));
    assert_eq!(viken_outcome(rec, LOTS), Fail);
}

#[test]
fn viken_buyer_id_is_normalised() {
    for id in ["921 693 230", "NO 921 693 230 MVA", "921693230"] {
        let rec = viken_vehicles(&["diesel"]).set("buyer.id", json!(id));
        assert_eq!(viken_outcome(rec, "VIKEN-KLIMA-1"), Fail, "{id}");
    }
}

#[test]
fn viken_rules_are_unknown_without_a_buyer_id_when_they_would_fail() {
    // Without the organisation number the register still knows Viken by
    // its name; without either it cannot tell whose procurement it is.
    let f = finding(
        viken_policies(),
        &viken_vehicles(&["diesel"]).del("buyer.id").del("buyer.name"),
        "VIKEN-KLIMA-1",
    );
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"buyer.id"), "{:?}", f.missing);
    assert!(f.missing.contains(&"buyer.name"), "{:?}", f.missing);
    let by_name = finding(
        viken_policies(),
        &viken_vehicles(&["diesel"]).del("buyer.id"),
        "VIKEN-KLIMA-1",
    );
    assert_eq!(by_name.outcome, Fail);
}

#[test]
fn viken_strategy_is_in_force_from_2021_03_17() {
    let rec = viken_vehicles(&["diesel"]);
    assert_eq!(
        viken_outcome(rec.clone().date("2021-03-16"), "VIKEN-KLIMA-1"),
        NotApplicable
    );
    assert_eq!(viken_outcome(rec.date("2021-03-17"), "VIKEN-KLIMA-1"), Fail);
}

#[test]
fn viken_strategy_ends_with_2023() {
    let rec = viken_vehicles(&["diesel"]);
    assert_eq!(viken_outcome(rec.clone().date("2023-12-31"), "VIKEN-KLIMA-1"), Fail);
    let after = rec.date("2024-01-01");
    for rule in VIKEN_RULES {
        assert_eq!(viken_outcome(after.clone(), rule), NotApplicable, "{rule}");
    }
}

#[test]
fn viken_rules_are_unknown_without_a_date() {
    let f = finding(
        viken_policies(),
        &viken_vehicles(&["diesel"]).del("date"),
        "VIKEN-KLIMA-1",
    );
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["date"]);
}

// ------------------------------------------------------------------ VIKEN-KLIMA-1

const KLIMA1: &str = "VIKEN-KLIMA-1";

#[test]
fn klima1_passes_when_every_vehicle_is_fossil_free() {
    let rec = viken_vehicles(&["electric", "hydrogen", "biogas", "hvo100", "ed95"]);
    assert_eq!(viken_outcome(rec, KLIMA1), Pass);
}

#[test]
fn klima1_fails_when_one_vehicle_runs_on_diesel() {
    assert_eq!(viken_outcome(viken_vehicles(&["electric", "diesel"]), KLIMA1), Fail);
}

#[test]
fn klima1_counts_biodiesel_and_hybrids_as_fossil() {
    for fuel in ["biodiesel", "hybrid", "plugin_hybrid", "petrol", "natural_gas"] {
        assert_eq!(viken_outcome(viken_vehicles(&[fuel]), KLIMA1), Fail, "{fuel}");
    }
}

#[test]
fn klima1_applies_to_vehicles_bought_under_any_cpv() {
    let rec = viken_vehicles(&["diesel"]).set("cpv", json!(["16700000"]));
    assert_eq!(viken_outcome(rec, KLIMA1), Fail);
}

#[test]
fn klima1_is_unknown_for_a_vehicle_cpv_without_vehicle_data() {
    let f = finding(viken_policies(), &viken_vehicles(&[]).del("vehicles"), KLIMA1);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["vehicles"]);
}

#[test]
fn klima1_is_unknown_when_a_vehicle_has_no_fuel() {
    let rec = viken_vehicles(&["electric"]).set(
        "vehicles",
        json!([{"class": "N1", "count": 1, "fuel": "electric"}, {"class": "N1", "count": 1}]),
    );
    let f = finding(viken_policies(), &rec, KLIMA1);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["vehicles[].fuel"]);
}

#[test]
fn klima1_passes_for_a_vehicle_cpv_with_an_explicitly_empty_vehicle_list() {
    // `[]` is data, not a gap: no vehicle runs on fossil fuel.
    assert_eq!(viken_outcome(viken_vehicles(&[]), KLIMA1), Pass);
}

#[test]
fn klima1_does_not_apply_without_vehicles() {
    assert_eq!(viken_outcome(viken(), KLIMA1), NotApplicable);
}

#[test]
fn klima1_fuel_list_can_be_overridden() {
    let p = viken_with(&[("fossil_free_fuels", r#"["electric"]"#)]);
    assert_eq!(outcome(&p, &viken_vehicles(&["hvo100"]), KLIMA1), Fail);
    assert_eq!(outcome(&p, &viken_vehicles(&["electric"]), KLIMA1), Pass);
}

// ------------------------------------------------------------------ VIKEN-KLIMA-2

const KLIMA2: &str = "VIKEN-KLIMA-2";

fn viken_works() -> Rec {
    viken()
        .set("category", json!("works"))
        .set("cpv", json!(["45214200"]))
        .value("5000000")
}

#[test]
fn klima2_passes_for_a_fossil_free_site() {
    let rec = viken_works().set("construction.fossil_free_site", json!(true));
    assert_eq!(viken_outcome(rec, KLIMA2), Pass);
}

#[test]
fn klima2_fails_for_a_site_that_is_not_fossil_free() {
    let rec = viken_works().set("construction.fossil_free_site", json!(false));
    assert_eq!(viken_outcome(rec, KLIMA2), Fail);
}

#[test]
fn klima2_is_unknown_without_site_data() {
    let f = finding(viken_policies(), &viken_works(), KLIMA2);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["construction.fossil_free_site"]);
}

#[test]
fn klima2_does_not_apply_to_services() {
    let rec = viken().set("construction.fossil_free_site", json!(false));
    assert_eq!(viken_outcome(rec, KLIMA2), NotApplicable);
}

// ------------------------------------------------------------------ VIKEN-KLIMA-3

const KLIMA3: &str = "VIKEN-KLIMA-3";

#[test]
fn klima3_passes_with_the_whole_viken_model() {
    assert_eq!(viken_outcome(viken().value("1300000"), KLIMA3), Pass);
    assert_eq!(viken_outcome(viken_works(), KLIMA3), Pass);
}

#[test]
fn klima3_fails_with_three_subcontractor_levels() {
    let rec = viken().set("labour.max_subcontractor_levels", json!(3));
    assert_eq!(viken_outcome(rec, KLIMA3), Fail);
}

#[test]
fn klima3_fails_without_apprentices() {
    let rec = viken().set("labour.apprentices", json!(false));
    assert_eq!(viken_outcome(rec, KLIMA3), Fail);
}

#[test]
fn klima3_fails_without_wages_via_bank_even_if_other_data_is_missing() {
    let rec = viken()
        .set("labour", json!({"wages_via_bank": false}))
        .set("category", json!("works"));
    assert_eq!(viken_outcome(rec, KLIMA3), Fail);
}

#[test]
fn klima3_is_unknown_when_wages_via_bank_is_missing() {
    let f = finding(viken_policies(), &viken().del("labour.wages_via_bank"), KLIMA3);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["labour.wages_via_bank"]);
}

#[test]
fn klima3_does_not_apply_to_goods_or_below_the_threshold() {
    let rec = viken().set("labour.apprentices", json!(false));
    assert_eq!(
        viken_outcome(rec.clone().set("category", json!("goods")), KLIMA3),
        NotApplicable
    );
    assert_eq!(viken_outcome(rec.value("1299999"), KLIMA3), NotApplicable);
}

// ------------------------------------------------------------------ VIKEN-KLIMA-4 (should)

const KLIMA4: &str = "VIKEN-KLIMA-4";

#[test]
fn klima4_passes_with_30_percent() {
    assert_eq!(viken_outcome(viken(), KLIMA4), Pass);
}

#[test]
fn klima4_fails_with_20_percent() {
    assert_eq!(
        viken_outcome(viken().set("award_criteria", criteria(80, 20)), KLIMA4),
        Fail
    );
}

#[test]
fn klima4_fails_when_price_is_the_only_criterion() {
    let rec = viken().set(
        "award_criteria",
        json!([{"name": "Pris", "type": "price", "weight": 100}]),
    );
    assert_eq!(viken_outcome(rec, KLIMA4), Fail);
}

#[test]
fn klima4_is_unknown_when_a_criterion_has_no_type() {
    let rec = viken().set(
        "award_criteria",
        json!([{"name": "Pris", "type": "price", "weight": 80}, {"name": "Annet", "weight": 20}]),
    );
    let f = finding(viken_policies(), &rec, KLIMA4);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["award_criteria[].type"]);
}

#[test]
fn klima4_does_not_apply_without_award_criteria() {
    assert_eq!(
        viken_outcome(viken().set("award_criteria", json!([])), KLIMA4),
        NotApplicable
    );
    assert_eq!(viken_outcome(viken().del("award_criteria"), KLIMA4), NotApplicable);
}

// ------------------------------------------------------------------ VIKEN-OKONOMI-1

const OKONOMI1: &str = "VIKEN-OKONOMI-1";

fn viken_goods_framework() -> Rec {
    viken()
        .set("category", json!("goods"))
        .set("cpv", json!(["30192000"]))
        .set("framework", json!(true))
        .set("stage", json!("notice"))
}

#[test]
fn okonomi1_passes_with_e_commerce_ordering() {
    let rec = viken_goods_framework().set("ecommerce.ordering", json!(true));
    assert_eq!(viken_outcome(rec, OKONOMI1), Pass);
}

#[test]
fn okonomi1_fails_without_e_commerce_ordering() {
    let rec = viken_goods_framework().set("ecommerce.ordering", json!(false));
    assert_eq!(viken_outcome(rec, OKONOMI1), Fail);
}

#[test]
fn okonomi1_applies_to_a_goods_contract_that_is_not_a_framework() {
    let rec = viken_goods_framework()
        .set("framework", json!(false))
        .set("stage", json!("contract"))
        .set("ecommerce.ordering", json!(false));
    assert_eq!(viken_outcome(rec, OKONOMI1), Fail);
}

#[test]
fn okonomi1_is_unknown_without_e_commerce_data() {
    let f = finding(viken_policies(), &viken_goods_framework(), OKONOMI1);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["ecommerce.ordering"]);
}

#[test]
fn okonomi1_with_an_unknown_framework_flag_passes_or_is_unknown() {
    let rec = viken_goods_framework().del("framework");
    assert_eq!(
        viken_outcome(rec.clone().set("ecommerce.ordering", json!(true)), OKONOMI1),
        Pass
    );
    let f = finding(viken_policies(), &rec.set("ecommerce.ordering", json!(false)), OKONOMI1);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["framework"]);
}

#[test]
fn okonomi1_does_not_apply_to_services_or_single_goods_notices() {
    let rec = viken_goods_framework().set("ecommerce.ordering", json!(false));
    assert_eq!(
        viken_outcome(rec.clone().set("category", json!("services")), OKONOMI1),
        NotApplicable
    );
    assert_eq!(
        viken_outcome(rec.set("framework", json!(false)), OKONOMI1),
        NotApplicable
    );
}

// ------------------------------------------------------------------ VIKEN-OKONOMI-2

const OKONOMI2: &str = "VIKEN-OKONOMI-2";

/// Viken buys computers for `value` with no cost criterion and `lcc` as given.
fn viken_computers(value: &str) -> Rec {
    viken()
        .set("category", json!("goods"))
        .set("cpv", json!(["30213100"]))
        .set("award_criteria", criteria(70, 30))
        .value(value)
}

#[test]
fn okonomi2_passes_when_lcc_is_assessed() {
    let rec = viken_computers("2300000").set("lcc.assessed", json!(true));
    assert_eq!(viken_outcome(rec, OKONOMI2), Pass);
}

#[test]
fn okonomi2_passes_with_a_cost_criterion() {
    let rec = viken_computers("3000000").set("lcc.assessed", json!(false)).set(
        "award_criteria",
        json!([{"name": "LCC", "type": "cost", "weight": 70}, {"name": "Miljø", "type": "environment", "weight": 30}]),
    );
    assert_eq!(viken_outcome(rec, OKONOMI2), Pass);
}

#[test]
fn okonomi2_fails_at_the_threshold_without_lcc() {
    let rec = viken_computers("2300000").set("lcc.assessed", json!(false));
    assert_eq!(viken_outcome(rec, OKONOMI2), Fail);
}

#[test]
fn okonomi2_is_unknown_without_lcc_data() {
    let f = finding(viken_policies(), &viken_computers("3000000"), OKONOMI2);
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["lcc.assessed"]);
}

#[test]
fn okonomi2_applies_to_works_under_any_cpv() {
    let rec = viken_works()
        .set("cpv", json!(["71000000"]))
        .set("lcc.assessed", json!(false));
    assert_eq!(viken_outcome(rec, OKONOMI2), Fail);
}

#[test]
fn okonomi2_does_not_apply_below_the_threshold_or_to_other_cpv_codes() {
    let rec = viken_computers("2299999").set("lcc.assessed", json!(false));
    assert_eq!(viken_outcome(rec, OKONOMI2), NotApplicable);
    let services = viken().set("lcc.assessed", json!(false)).value("9000000");
    assert_eq!(viken_outcome(services, OKONOMI2), NotApplicable);
}

#[test]
fn okonomi2_threshold_can_be_overridden() {
    let p = viken_with(&[("lcc_threshold", "5 000 000 NOK")]);
    let rec = viken_computers("3000000").set("lcc.assessed", json!(false));
    assert_eq!(outcome(viken_policies(), &rec, OKONOMI2), Fail);
    assert_eq!(outcome(&p, &rec, OKONOMI2), NotApplicable);
    assert_eq!(outcome(&p, &rec.value("5000000"), OKONOMI2), Fail);
}

#[test]
fn okonomi2_threshold_override_in_millions() {
    let p = viken_with(&[("lcc_threshold", "5 MNOK")]);
    let rec = viken_computers("4999999").set("lcc.assessed", json!(false));
    assert_eq!(outcome(&p, &rec, OKONOMI2), NotApplicable);
}

#[test]
fn a_threshold_overridden_in_another_currency_leaves_nok_values_unknown() {
    let p = viken_with(&[("lcc_threshold", "500 000 EUR")]);
    let rec = viken_computers("3000000").set("lcc.assessed", json!(false));
    assert_eq!(outcome(&p, &rec, OKONOMI2), Unknown);
}

#[test]
fn overriding_a_threshold_with_a_percentage_is_an_error() {
    let overrides = vec![("lcc_threshold".to_string(), "30 %".to_string())];
    let err = Policies::load(&[policy_dir("viken")], &overrides)
        .err()
        .expect("a percentage is not an amount");
    assert!(err.0.contains("lcc_threshold"), "{}", err.0);
}

#[test]
fn overriding_an_unknown_parameter_is_an_error_with_a_suggestion() {
    let overrides = vec![("lcc_treshold".to_string(), "5 000 000 NOK".to_string())];
    let err = Policies::load(&[policy_dir("viken")], &overrides)
        .err()
        .expect("an unknown parameter is refused");
    assert!(err.0.contains("did you mean `lcc_threshold`?"), "{}", err.0);
}

// ------------------------------------------------------------------ VIKEN-REGION-1 (should)

const REGION1: &str = "VIKEN-REGION-1";

#[test]
fn region1_passes_with_two_lots_or_a_justification() {
    assert_eq!(viken_outcome(viken(), REGION1), Pass);
    let justified = viken()
        .set("lots", json!([]))
        .set("lots_justification", json!("Ett bygg"));
    assert_eq!(viken_outcome(justified, REGION1), Pass);
}

#[test]
fn region1_fails_without_lots_or_justification() {
    let rec = viken()
        .set("lots", json!([]))
        .set("lots_justification", json!(""))
        .value("2300000");
    assert_eq!(viken_outcome(rec, REGION1), Fail);
}

#[test]
fn region1_is_unknown_without_lot_data() {
    let f = finding(viken_policies(), &viken().del("lots"), REGION1);
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"lots"), "{:?}", f.missing);
}

#[test]
fn region1_does_not_apply_below_a_large_procurement() {
    let rec = viken()
        .set("lots", json!([]))
        .set("lots_justification", json!(""))
        .value("2299999");
    assert_eq!(viken_outcome(rec, REGION1), NotApplicable);
}

#[test]
fn region1_threshold_can_be_overridden() {
    let p = viken_with(&[("large_procurement", "10 000 000 NOK")]);
    let rec = viken().set("lots", json!([])).set("lots_justification", json!(""));
    assert_eq!(outcome(&p, &rec, REGION1), NotApplicable);
}

// ------------------------------------------------------------------ currencies

#[test]
fn a_value_in_euro_is_unknown_against_the_national_threshold() {
    let rec = direct("1")
        .set("estimated_value", money("200000", "EUR"))
        .set("rationale", json!(""));
    let f = finding(baseline(), &rec, NOTICE);
    assert_eq!(f.outcome, Unknown);
    assert!(
        f.problems.iter().any(|p| p.contains("EUR") && p.contains("NOK")),
        "{:?}",
        f.problems
    );
}

#[test]
fn a_value_in_euro_is_unknown_against_the_eea_threshold() {
    let rec = eea("municipal", "services", "1", "2024-06-01").set("estimated_value", money("5000000", "EUR"));
    assert_eq!(base_outcome(rec, EEA), Unknown);
}

#[test]
fn a_small_value_in_euro_is_not_below_the_threshold_either() {
    let rec = weak_climate().set("estimated_value", money("1", "EUR"));
    assert_eq!(base_outcome(rec, CLIMATE), Unknown);
}

#[test]
fn a_value_in_euro_is_unknown_against_a_viken_threshold() {
    let rec = viken_computers("1")
        .set("estimated_value", money("3000000", "EUR"))
        .set("lcc.assessed", json!(false));
    assert_eq!(viken_outcome(rec, OKONOMI2), Unknown);
}

#[test]
fn a_value_in_euro_makes_the_record_incomplete() {
    let rec = direct("1")
        .set("estimated_value", money("200000", "EUR"))
        .set("rationale", json!(""));
    assert_eq!(status(baseline(), &rec), Status::Incomplete);
}

// ------------------------------------------------------------------ exemptions

fn exemption(rule: &str, expires: Option<&str>) -> Value {
    let mut e = json!({
        "rule": rule,
        "reason": "Ingen fossilfrie alternativer i markedet",
        "approved_by": "Fylkesdirektør for samferdsel"
    });
    if let Some(d) = expires {
        e["expires"] = json!(d);
    }
    e
}

fn exempted_diesel(rule: &str, expires: Option<&str>) -> Rec {
    viken_vehicles(&["diesel"]).set("exemptions", json!([exemption(rule, expires)]))
}

#[test]
fn a_valid_exemption_waives_a_fail_and_names_the_approver() {
    let f = finding(viken_policies(), &exempted_diesel(KLIMA1, Some("2022-12-31")), KLIMA1);
    assert_eq!(f.outcome, Waived);
    let w = f.waiver.expect("a waiver");
    assert_eq!(w.approved_by.as_deref(), Some("Fylkesdirektør for samferdsel"));
    assert_eq!(w.waived, Fail);
    assert_eq!(w.expires, chrono::NaiveDate::from_ymd_opt(2022, 12, 31));
}

#[test]
fn an_exemption_is_valid_on_its_last_day() {
    let rec = exempted_diesel(KLIMA1, Some("2022-06-01"));
    assert_eq!(viken_outcome(rec, KLIMA1), Waived);
}

#[test]
fn an_exemption_without_expiry_is_valid() {
    assert_eq!(viken_outcome(exempted_diesel(KLIMA1, None), KLIMA1), Waived);
}

#[test]
fn an_expired_exemption_leaves_the_fail_with_a_note() {
    let f = finding(viken_policies(), &exempted_diesel(KLIMA1, Some("2022-05-31")), KLIMA1);
    assert_eq!(f.outcome, Fail);
    assert!(f.waiver.is_none());
    assert!(
        f.notes
            .iter()
            .any(|n| n.contains("expired") && n.contains("2022-05-31")),
        "{:?}",
        f.notes
    );
}

#[test]
fn an_exemption_for_another_rule_does_nothing() {
    let f = finding(viken_policies(), &exempted_diesel(KLIMA2, Some("2022-12-31")), KLIMA1);
    assert_eq!(f.outcome, Fail);
    assert!(f.waiver.is_none());
    assert!(f.notes.is_empty(), "{:?}", f.notes);
}

#[test]
fn an_exemption_waives_an_unknown() {
    let rec = direct("1300000").set("exemptions", json!([exemption(NOTICE, Some("2024-12-31"))]));
    let f = finding(baseline(), &rec, NOTICE);
    assert_eq!(f.outcome, Waived);
    assert_eq!(f.waiver.expect("a waiver").waived, Unknown);
}

#[test]
fn an_exemption_does_not_touch_a_pass() {
    let rec = base().set("exemptions", json!([exemption(NOTICE, None)]));
    let f = finding(baseline(), &rec, NOTICE);
    assert_eq!(f.outcome, Pass);
    assert!(f.waiver.is_none());
}

#[test]
fn an_expired_exemption_keeps_the_record_non_compliant() {
    let p = viken_policies();
    assert_eq!(
        status(p, &exempted_diesel(KLIMA1, Some("2022-05-31"))),
        Status::NonCompliant
    );
    assert_eq!(
        status(p, &exempted_diesel(KLIMA1, Some("2022-06-30"))),
        Status::Compliant
    );
}

#[test]
fn an_exemption_naming_no_loaded_rule_is_a_data_warning() {
    let rec = exempted_diesel("VIKEN-KLIMA1", None);
    let line = serde_json::to_string(&rec.0).expect("json");
    let p = viken_policies();
    let checked = p.check_jsonl(&line, Lang::En).expect("the check runs");
    let r = checked.record("r").expect("the record");
    assert!(
        r.warnings
            .iter()
            .any(|w| w.message.contains("did you mean `VIKEN-KLIMA-1`?")),
        "{:?}",
        r.warnings
    );
    assert_eq!(p.outcome(&checked, "r", KLIMA1), Some(Fail));
}

// ------------------------------------------------------------------ record status

#[test]
fn a_failed_must_rule_makes_the_record_non_compliant() {
    let rec = base().set("lots", json!([])).set("lots_justification", json!(""));
    assert_eq!(status(baseline(), &rec), Status::NonCompliant);
}

#[test]
fn an_unknown_must_rule_makes_the_record_incomplete() {
    assert_eq!(status(baseline(), &direct("1300000")), Status::Incomplete);
}

#[test]
fn a_fail_outweighs_an_unknown() {
    let rec = direct("3000000")
        .set("lots", json!([]))
        .set("lots_justification", json!(""));
    assert_eq!(base_outcome(rec.clone(), NOTICE), Unknown);
    assert_eq!(status(baseline(), &rec), Status::NonCompliant);
}

#[test]
fn a_failed_should_rule_leaves_the_record_compliant() {
    let rec = viken().set("award_criteria", criteria(80, 20));
    assert_eq!(viken_outcome(rec.clone(), KLIMA4), Fail);
    assert_eq!(status(viken_policies(), &rec), Status::Compliant);
}

#[test]
fn an_unknown_should_rule_leaves_the_record_compliant() {
    let rec = viken().set("award_criteria", json!([{"name": "Miljø", "type": "environment"}]));
    assert_eq!(viken_outcome(rec.clone(), KLIMA4), Unknown);
    assert_eq!(status(viken_policies(), &rec), Status::Compliant);
}

#[test]
fn a_record_no_rule_applies_to_is_compliant() {
    let rec = base().value("100000");
    for rule in BASELINE_RULES {
        assert_eq!(base_outcome(rec.clone(), rule), NotApplicable, "{rule}");
    }
    assert_eq!(status(baseline(), &rec), Status::Compliant);
}

#[test]
fn a_waived_must_rule_leaves_the_record_compliant() {
    assert_eq!(
        status(viken_policies(), &exempted_diesel(KLIMA1, None)),
        Status::Compliant
    );
}

// ------------------------------------------------------------------ the example file

#[test]
fn example_tenders_show_a_valid_and_an_expired_exemption() {
    let p = viken_policies();
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/tenders.jsonl"))
        .expect("the example file");
    let checked = p.check_jsonl(&text, Lang::En).expect("the check runs");
    assert_eq!(p.outcome(&checked, "VFK-2023-011", KLIMA1), Some(Waived));
    assert_eq!(p.outcome(&checked, "VFK-2023-012", KLIMA1), Some(Fail));
    assert_eq!(p.outcome(&checked, "VFK-2022-002", KLIMA1), Some(Fail));
    assert_eq!(p.outcome(&checked, "VFK-2023-010", NOTICE), Some(Fail));
    assert_eq!(p.outcome(&checked, "VFK-2023-009", NOTICE), Some(Pass));
    assert_eq!(p.outcome(&checked, "AFK-2024-001", KLIMA1), Some(NotApplicable));
    // 1.2 MEUR cannot be compared with the threshold, but an open procedure
    // meets the requirement whatever the value.
    assert_eq!(p.outcome(&checked, "KRS-2025-007", EEA), Some(Pass));
}
