//! The policy language's three-valued (Kleene) logic, presence tests,
//! `otherwise`, membership, quantifiers, exact money and dates, checked
//! through small in-memory policies; and policies that must not load.

use anskaff::Policies;
use anskaff::finding::{Finding, Outcome};
use anskaff::syntax::ast::Lang;
use serde_json::{Value, json};

use Outcome::{Fail, NotApplicable, Pass, Unknown};

// ------------------------------------------------------------------ helpers

const HEADER: &str = "policy t { title en \"t\" }\narea a { title en \"a\" }\n";

fn load(rules: &str) -> Policies {
    let text = format!("{HEADER}{rules}");
    match Policies::from_text("t.policy", &text, &[]) {
        Ok(p) => p,
        Err(e) => panic!("the policy does not load:\n{text}\n{e}"),
    }
}

fn rule_text(when: Option<&str>, require: &str) -> String {
    let when = when.map(|w| format!("  when {w}\n")).unwrap_or_default();
    format!("rule R {{\n  title en \"r\"\n  area a\n  severity must\n{when}  require {require}\n}}\n")
}

/// The finding of rule `R` (`when` optional, `require` given) on `record`
/// (an object; its `id` is filled in). The record must read without warnings.
fn finding_of(when: Option<&str>, require: &str, mut record: Value) -> Finding {
    let p = load(&rule_text(when, require));
    record["id"] = json!("r");
    let checked = p
        .check_jsonl(&serde_json::to_string(&record).expect("json"), Lang::En)
        .expect("the check runs");
    assert!(checked.errors.is_empty(), "input errors: {:?}", checked.errors);
    let r = checked.record("r").expect("the record");
    assert!(r.warnings.is_empty(), "data warnings: {:?}", r.warnings);
    p.finding(&checked, "r", "R").expect("a finding").clone()
}

fn outcome(require: &str, record: Value) -> Outcome {
    finding_of(None, require, record).outcome
}

/// The truth of `require` on `record`: pass is true, fail false, unknown none.
fn truth(require: &str, record: Value) -> Option<bool> {
    match outcome(require, record) {
        Pass => Some(true),
        Fail => Some(false),
        Unknown => None,
        other => panic!("`{require}` gave {other:?}"),
    }
}

const T: Option<bool> = Some(true);
const F: Option<bool> = Some(false);
const U: Option<bool> = None;

/// A record with `framework` = a and `lcc.assessed` = b (None: absent).
fn two(a: Option<bool>, b: Option<bool>) -> Value {
    let mut r = json!({});
    if let Some(a) = a {
        r["framework"] = json!(a);
    }
    if let Some(b) = b {
        r["lcc"] = json!({"assessed": b});
    }
    r
}

fn vehicles(v: Value) -> Value {
    json!({ "vehicles": v })
}

fn criteria(c: Value) -> Value {
    json!({ "award_criteria": c })
}

fn lots(l: Value) -> Value {
    json!({ "lots": l })
}

fn nok(amount: &str) -> Value {
    json!({"amount": amount, "currency": "NOK"})
}

// ------------------------------------------------------------------ and / or / not

#[test]
fn and_truth_table() {
    let table = [
        (T, T, T),
        (T, F, F),
        (T, U, U),
        (F, T, F),
        (F, F, F),
        (F, U, F),
        (U, T, U),
        (U, F, F),
        (U, U, U),
    ];
    for (a, b, expected) in table {
        assert_eq!(
            truth("framework and lcc.assessed", two(a, b)),
            expected,
            "{a:?} and {b:?}"
        );
    }
}

#[test]
fn or_truth_table() {
    let table = [
        (T, T, T),
        (T, F, T),
        (T, U, T),
        (F, T, T),
        (F, F, F),
        (F, U, U),
        (U, T, T),
        (U, F, U),
        (U, U, U),
    ];
    for (a, b, expected) in table {
        assert_eq!(
            truth("framework or lcc.assessed", two(a, b)),
            expected,
            "{a:?} or {b:?}"
        );
    }
}

#[test]
fn not_truth_table() {
    for (a, expected) in [(T, F), (F, T), (U, U)] {
        assert_eq!(truth("not framework", two(a, None)), expected, "not {a:?}");
    }
}

#[test]
fn de_morgan_holds_with_unknown() {
    for a in [T, F, U] {
        for b in [T, F, U] {
            assert_eq!(
                truth("not (framework and lcc.assessed)", two(a, b)),
                truth("not framework or not lcc.assessed", two(a, b)),
                "{a:?}, {b:?}"
            );
        }
    }
}

#[test]
fn an_unknown_names_only_the_fields_that_left_it_open() {
    let f = finding_of(None, "framework or lcc.assessed", two(U, F));
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["framework"]);
    let f = finding_of(None, "framework and lcc.assessed", two(U, U));
    assert_eq!(f.missing, vec!["framework", "lcc.assessed"]);
}

#[test]
fn a_decided_result_lists_nothing_missing() {
    let f = finding_of(None, "framework or lcc.assessed", two(U, T));
    assert_eq!(f.outcome, Pass);
    assert!(f.missing.is_empty(), "{:?}", f.missing);
}

#[test]
fn comparisons_with_a_missing_field_are_unknown() {
    assert_eq!(truth("framework == true", two(U, U)), U);
    assert_eq!(truth("framework != true", two(U, U)), U);
    assert_eq!(truth("labour.max_subcontractor_levels <= 2", json!({})), U);
    assert_eq!(truth("rationale != \"\"", json!({})), U);
    assert_eq!(truth("rationale != \"\"", json!({"rationale": ""})), F);
}

#[test]
fn null_is_missing() {
    assert_eq!(truth("framework", json!({"framework": null})), U);
    assert_eq!(truth("rationale is missing", json!({"rationale": null})), T);
}

// ------------------------------------------------------------------ presence tests

#[test]
fn is_present_and_is_missing_are_definite() {
    assert_eq!(truth("rationale is present", json!({})), F);
    assert_eq!(truth("rationale is present", json!({"rationale": ""})), T);
    assert_eq!(truth("rationale is missing", json!({})), T);
    assert_eq!(truth("rationale is missing", json!({"rationale": "x"})), F);
    assert_eq!(truth("lcc.assessed is present", json!({"lcc": {"assessed": false}})), T);
}

#[test]
fn exists_is_is_present() {
    assert_eq!(truth("exists rationale", json!({})), F);
    assert_eq!(truth("exists rationale", json!({"rationale": ""})), T);
    assert_eq!(truth("exists vehicles", vehicles(json!([]))), T);
    assert_eq!(truth("not exists vehicles", json!({})), T);
}

#[test]
fn is_empty_and_is_not_empty_are_definite_on_texts() {
    assert_eq!(truth("rationale is empty", json!({})), T);
    assert_eq!(truth("rationale is empty", json!({"rationale": ""})), T);
    assert_eq!(truth("rationale is empty", json!({"rationale": "x"})), F);
    assert_eq!(truth("rationale is not empty", json!({})), F);
    assert_eq!(truth("rationale is not empty", json!({"rationale": ""})), F);
    assert_eq!(truth("rationale is not empty", json!({"rationale": "x"})), T);
}

#[test]
fn is_empty_and_is_not_empty_are_definite_on_lists() {
    assert_eq!(truth("vehicles is not empty", json!({})), F);
    assert_eq!(truth("vehicles is not empty", vehicles(json!([]))), F);
    assert_eq!(
        truth("vehicles is not empty", vehicles(json!([{"fuel": "electric"}]))),
        T
    );
    assert_eq!(truth("lots is empty", json!({})), T);
    assert_eq!(truth("lots is empty", lots(json!([]))), T);
    assert_eq!(truth("lots is empty", lots(json!([{"id": "1"}]))), F);
}

#[test]
fn a_presence_test_does_not_count_its_field_as_missing() {
    let f = finding_of(None, "rationale is present or lcc.assessed", json!({}));
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["lcc.assessed"]);
}

// ------------------------------------------------------------------ otherwise

#[test]
fn otherwise_replaces_only_a_missing_value() {
    let r = "(rationale otherwise \"none\") == \"none\"";
    assert_eq!(truth(r, json!({})), T);
    assert_eq!(truth(r, json!({"rationale": "x"})), F);
    assert_eq!(truth(r, json!({"rationale": ""})), F);
}

#[test]
fn otherwise_falls_back_from_field_to_field() {
    let r = "(estimated_value otherwise awarded_value) >= 1 000 NOK";
    assert_eq!(truth(r, json!({"awarded_value": nok("2000")})), T);
    assert_eq!(
        truth(r, json!({"estimated_value": nok("500"), "awarded_value": nok("2000")})),
        F
    );
    let f = finding_of(None, r, json!({}));
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["estimated_value", "awarded_value"]);
}

#[test]
fn otherwise_on_a_flag_gives_a_default() {
    assert_eq!(truth("framework otherwise false", json!({})), F);
    assert_eq!(truth("framework otherwise false", json!({"framework": true})), T);
}

// ------------------------------------------------------------------ in / not in

#[test]
fn in_with_a_missing_value_is_unknown() {
    let r = "procedure in [\"open\", \"restricted\"]";
    assert_eq!(truth(r, json!({"procedure": "open"})), T);
    assert_eq!(truth(r, json!({"procedure": "direct"})), F);
    assert_eq!(truth(r, json!({})), U);
}

#[test]
fn not_in_with_a_missing_value_is_unknown() {
    let r = "procedure not in [\"open\", \"restricted\"]";
    assert_eq!(truth(r, json!({"procedure": "open"})), F);
    assert_eq!(truth(r, json!({"procedure": "direct"})), T);
    assert_eq!(truth(r, json!({})), U);
}

#[test]
fn in_a_list_with_a_missing_element_is_unknown_unless_found() {
    let r = "\"diesel\" in vehicles[].fuel";
    assert_eq!(truth(r, vehicles(json!([{"fuel": "electric"}, {"class": "N1"}]))), U);
    assert_eq!(truth(r, vehicles(json!([{"fuel": "diesel"}, {"class": "N1"}]))), T);
    assert_eq!(truth(r, vehicles(json!([{"fuel": "electric"}]))), F);
    assert_eq!(truth(r, vehicles(json!([]))), F);
    assert_eq!(truth(r, json!({})), U);
    let r = "\"diesel\" not in vehicles[].fuel";
    assert_eq!(truth(r, vehicles(json!([{"fuel": "electric"}, {"class": "N1"}]))), U);
    assert_eq!(truth(r, vehicles(json!([{"fuel": "diesel"}, {"class": "N1"}]))), F);
}

#[test]
fn in_compares_codes_leniently() {
    assert_eq!(truth("procedure in [\"open\"]", json!({"procedure": " Open "})), T);
}

#[test]
fn starts_with_on_a_list_is_any_element() {
    let r = "cpv starts with [\"341\", \"09\"]";
    assert_eq!(truth(r, json!({"cpv": ["79400000", "34136000"]})), T);
    assert_eq!(truth(r, json!({"cpv": ["79400000"]})), F);
    assert_eq!(truth(r, json!({"cpv": []})), F);
    assert_eq!(truth(r, json!({})), U);
}

// ------------------------------------------------------------------ quantifiers

const ALL_ELECTRIC: &str = "all(v in vehicles: v.fuel == \"electric\")";
const ANY_ELECTRIC: &str = "any(v in vehicles: v.fuel == \"electric\")";
const NO_DIESEL: &str = "none(v in vehicles: v.fuel == \"diesel\")";

fn fleet(fuels: &[Option<&str>]) -> Value {
    let list: Vec<Value> = fuels
        .iter()
        .map(|f| match f {
            Some(f) => json!({"class": "N1", "fuel": f}),
            None => json!({"class": "N1"}),
        })
        .collect();
    vehicles(Value::Array(list))
}

#[test]
fn all_over_present_empty_and_missing_lists() {
    assert_eq!(truth(ALL_ELECTRIC, fleet(&[Some("electric"), Some("electric")])), T);
    assert_eq!(truth(ALL_ELECTRIC, fleet(&[Some("electric"), Some("diesel")])), F);
    assert_eq!(truth(ALL_ELECTRIC, fleet(&[])), T);
    assert_eq!(truth(ALL_ELECTRIC, json!({})), U);
}

#[test]
fn all_with_an_element_missing_its_field() {
    assert_eq!(truth(ALL_ELECTRIC, fleet(&[Some("electric"), None])), U);
    // A counterexample decides, whatever else is missing.
    assert_eq!(truth(ALL_ELECTRIC, fleet(&[None, Some("diesel")])), F);
    let f = finding_of(None, ALL_ELECTRIC, fleet(&[Some("electric"), None]));
    assert_eq!(f.missing, vec!["vehicles[].fuel"]);
    let f = finding_of(None, ALL_ELECTRIC, fleet(&[None, Some("diesel")]));
    assert!(f.missing.is_empty(), "{:?}", f.missing);
}

#[test]
fn any_over_present_empty_and_missing_lists() {
    assert_eq!(truth(ANY_ELECTRIC, fleet(&[Some("diesel"), Some("electric")])), T);
    assert_eq!(truth(ANY_ELECTRIC, fleet(&[Some("diesel")])), F);
    assert_eq!(truth(ANY_ELECTRIC, fleet(&[])), F);
    assert_eq!(truth(ANY_ELECTRIC, json!({})), U);
}

#[test]
fn any_with_an_element_missing_its_field() {
    assert_eq!(truth(ANY_ELECTRIC, fleet(&[Some("diesel"), None])), U);
    assert_eq!(truth(ANY_ELECTRIC, fleet(&[None, Some("electric")])), T);
}

#[test]
fn none_over_present_empty_and_missing_lists() {
    assert_eq!(truth(NO_DIESEL, fleet(&[Some("electric")])), T);
    assert_eq!(truth(NO_DIESEL, fleet(&[Some("electric"), Some("diesel")])), F);
    assert_eq!(truth(NO_DIESEL, fleet(&[])), T);
    assert_eq!(truth(NO_DIESEL, json!({})), U);
}

#[test]
fn none_with_an_element_missing_its_field() {
    assert_eq!(truth(NO_DIESEL, fleet(&[Some("electric"), None])), U);
    assert_eq!(truth(NO_DIESEL, fleet(&[None, Some("diesel")])), F);
}

#[test]
fn where_leaves_out_elements_before_the_condition() {
    let r = "all(v in vehicles where v.class == \"N1\": v.fuel == \"electric\")";
    let v = vehicles(json!([{"class": "N1", "fuel": "electric"}, {"class": "M3"}]));
    assert_eq!(truth(r, v), T);
    // An element whose `where` is unknown may or may not count.
    let v = vehicles(json!([{"class": "N1", "fuel": "electric"}, {"fuel": "diesel"}]));
    assert_eq!(truth(r, v), U);
}

#[test]
fn count_over_present_empty_and_missing_lists() {
    let r = "count(v in vehicles where v.fuel == \"diesel\") == 1";
    assert_eq!(truth(r, fleet(&[Some("diesel"), Some("electric")])), T);
    assert_eq!(truth(r, fleet(&[Some("diesel"), Some("diesel")])), F);
    assert_eq!(truth(r, fleet(&[])), F);
    assert_eq!(
        truth("count(v in vehicles where v.fuel == \"diesel\") == 0", fleet(&[])),
        T
    );
    assert_eq!(truth(r, json!({})), U);
}

#[test]
fn count_with_an_element_missing_its_field_is_unknown() {
    let r = "count(v in vehicles where v.fuel == \"diesel\") == 1";
    assert_eq!(truth(r, fleet(&[Some("diesel"), None])), U);
}

#[test]
fn count_of_a_list() {
    assert_eq!(truth("count(lots) >= 2", lots(json!([{"id": "1"}, {"id": "2"}]))), T);
    assert_eq!(truth("count(lots) >= 2", lots(json!([]))), F);
    assert_eq!(truth("count(lots) == 0", lots(json!([]))), T);
    assert_eq!(truth("count(lots) >= 2", json!({})), U);
}

#[test]
fn sum_of_amounts_over_present_empty_and_missing_lists() {
    let r = "sum(l in lots: l.estimated_value) == 1 000 NOK";
    let two_lots = lots(json!([{"estimated_value": nok("600")}, {"estimated_value": nok("400")}]));
    assert_eq!(truth(r, two_lots), T);
    assert_eq!(truth(r, lots(json!([{"estimated_value": nok("600")}]))), F);
    assert_eq!(truth(r, lots(json!([]))), F);
    assert_eq!(truth("sum(l in lots: l.estimated_value) == 0 NOK", lots(json!([]))), T);
    assert_eq!(truth(r, json!({})), U);
}

#[test]
fn sum_with_an_element_missing_its_field_is_unknown() {
    let r = "sum(l in lots: l.estimated_value) >= 500 NOK";
    let f = finding_of(None, r, lots(json!([{"estimated_value": nok("600")}, {"id": "2"}])));
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["lots[].estimated_value"]);
}

#[test]
fn sum_of_percentages() {
    let r = "sum(c in award_criteria: c.weight) == 100 %";
    let c = criteria(json!([{"type": "price", "weight": 60}, {"type": "quality", "weight": 40}]));
    assert_eq!(truth(r, c), T);
    let c = criteria(json!([{"type": "price", "weight": 60}, {"type": "quality", "weight": 30}]));
    assert_eq!(truth(r, c), F);
    assert_eq!(
        truth(
            r,
            criteria(json!([{"type": "price", "weight": 60}, {"type": "quality"}]))
        ),
        U
    );
    assert_eq!(truth(r, json!({})), U);
}

#[test]
fn sum_with_where_over_criteria() {
    let r = "sum(c in award_criteria where c.type == \"environment\": c.weight) >= 30 %";
    let c = criteria(json!([{"type": "price", "weight": 70}, {"type": "environment", "weight": 30}]));
    assert_eq!(truth(r, c), T);
    let c = criteria(json!([{"type": "price", "weight": 70}, {"weight": 30}]));
    assert_eq!(truth(r, c), U);
}

#[test]
fn sum_of_percentages_over_an_empty_list_is_zero() {
    assert_eq!(
        truth("sum(c in award_criteria: c.weight) >= 30 %", criteria(json!([]))),
        F
    );
    assert_eq!(
        truth("sum(c in award_criteria: c.weight) == 0 %", criteria(json!([]))),
        T
    );
}

#[test]
fn sum_of_percentages_with_nothing_matching_is_zero() {
    let r = "sum(c in award_criteria where c.type == \"environment\": c.weight) >= 30 %";
    assert_eq!(truth(r, criteria(json!([{"type": "price", "weight": 100}]))), F);
}

// ------------------------------------------------------------------ money

#[test]
fn money_arithmetic_is_exact() {
    assert_eq!(truth("0.1 NOK + 0.2 NOK == 0.3 NOK", json!({})), T);
    assert_eq!(truth("0.3 NOK - 0.1 NOK == 0.2 NOK", json!({})), T);
    assert_eq!(truth("0.1 NOK * 3 == 0.3 NOK", json!({})), T);
    assert_eq!(
        truth(
            "estimated_value + 0.2 NOK == 0.3 NOK",
            json!({"estimated_value": nok("0.1")})
        ),
        T
    );
}

#[test]
fn money_literals_scale() {
    assert_eq!(truth("1.3 MNOK == 1 300 000 NOK", json!({})), T);
    assert_eq!(truth("1 300 kNOK == 1.3 MNOK", json!({})), T);
    assert_eq!(truth("1 300 000 NOK == 1300000 NOK", json!({})), T);
    assert_eq!(
        truth(
            "estimated_value == 1.3 MNOK",
            json!({"estimated_value": nok("1300000.00")})
        ),
        T
    );
    assert_eq!(
        truth(
            "estimated_value >= 1.3 MNOK",
            json!({"estimated_value": nok("1299999.99")})
        ),
        F
    );
}

#[test]
fn money_times_a_percentage() {
    assert_eq!(
        truth(
            "estimated_value * 25 % == 250 NOK",
            json!({"estimated_value": nok("1000")})
        ),
        T
    );
}

#[test]
fn amounts_in_another_currency_are_unknown_with_a_reason() {
    let f = finding_of(
        None,
        "estimated_value >= 1 NOK",
        json!({"estimated_value": {"amount": "5", "currency": "EUR"}}),
    );
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.is_empty(), "{:?}", f.missing);
    assert!(f.problems.iter().any(|p| p.contains("EUR")), "{:?}", f.problems);
    let r = "estimated_value - awarded_value == 0 NOK";
    let rec = json!({"estimated_value": nok("5"), "awarded_value": {"amount": "5", "currency": "SEK"}});
    assert_eq!(truth(r, rec), U);
}

#[test]
fn currency_codes_in_records_are_case_insensitive() {
    let rec = json!({"estimated_value": {"amount": "1300000", "currency": "nok"}});
    assert_eq!(truth("estimated_value >= 1.3 MNOK", rec), T);
}

// ------------------------------------------------------------------ dates

#[test]
fn date_comparisons() {
    let r = "date >= 2024-01-01";
    assert_eq!(truth(r, json!({"date": "2024-01-01"})), T);
    assert_eq!(truth(r, json!({"date": "2023-12-31"})), F);
    assert_eq!(truth(r, json!({})), U);
    assert_eq!(truth("date < 2024-03-14", json!({"date": "2024-03-13"})), T);
    assert_eq!(truth("date == 2024-03-14", json!({"date": "2024-03-14T09:30:00Z"})), T);
}

#[test]
fn date_arithmetic_uses_calendar_months() {
    assert_eq!(truth("2024-01-31 + 1 month == 2024-02-29", json!({})), T);
    assert_eq!(
        truth("date + 12 months == 2025-01-31", json!({"date": "2024-01-31"})),
        T
    );
    assert_eq!(truth("date - 30 days == 2024-01-01", json!({"date": "2024-01-31"})), T);
}

#[test]
fn a_rule_in_force_from_a_date() {
    let rules =
        "rule R {\n  title en \"r\"\n  area a\n  severity must\n  in force from 2024-01-01\n  require framework\n}\n";
    let p = load(rules);
    let text = [
        json!({"id": "before", "date": "2023-12-31", "framework": false}),
        json!({"id": "on", "date": "2024-01-01", "framework": false}),
        json!({"id": "undated", "framework": false}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let checked = p.check_jsonl(&text, Lang::En).expect("the check runs");
    assert_eq!(p.outcome(&checked, "before", "R"), Some(NotApplicable));
    assert_eq!(p.outcome(&checked, "on", "R"), Some(Fail));
    let undated = p.finding(&checked, "undated", "R").expect("a finding");
    assert_eq!(undated.outcome, Unknown);
    assert_eq!(undated.missing, vec!["date"]);
}

// ------------------------------------------------------------------ when

#[test]
fn unknown_when_and_holding_requirement_is_a_pass() {
    let f = finding_of(
        Some("framework"),
        "lcc.assessed == true",
        json!({"lcc": {"assessed": true}}),
    );
    assert_eq!(f.outcome, Pass);
}

#[test]
fn unknown_when_and_failing_requirement_is_unknown() {
    let f = finding_of(
        Some("framework"),
        "lcc.assessed == true",
        json!({"lcc": {"assessed": false}}),
    );
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["framework"]);
}

#[test]
fn false_when_is_not_applicable_whatever_the_requirement() {
    assert_eq!(
        finding_of(Some("framework"), "lcc.assessed", json!({"framework": false})).outcome,
        NotApplicable
    );
}

#[test]
fn true_when_and_failing_requirement_is_a_fail() {
    let rec = json!({"framework": true, "lcc": {"assessed": false}});
    assert_eq!(finding_of(Some("framework"), "lcc.assessed", rec).outcome, Fail);
}

#[test]
fn true_when_and_unknown_requirement_is_unknown() {
    let f = finding_of(Some("framework"), "lcc.assessed", json!({"framework": true}));
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, vec!["lcc.assessed"]);
}

// ------------------------------------------------------------------ lets and params

#[test]
fn lets_and_params_carry_unknown() {
    let rules = format!(
        "param limit = 1 000 NOK\nlet v = estimated_value otherwise awarded_value\n{}",
        rule_text(None, "v >= limit")
    );
    let p = load(&rules);
    let text = [
        json!({"id": "hi", "awarded_value": nok("1000")}),
        json!({"id": "lo", "estimated_value": nok("999")}),
        json!({"id": "none"}),
    ]
    .iter()
    .map(|v| v.to_string())
    .collect::<Vec<_>>()
    .join("\n");
    let checked = p.check_jsonl(&text, Lang::En).expect("the check runs");
    assert_eq!(p.outcome(&checked, "hi", "R"), Some(Pass));
    assert_eq!(p.outcome(&checked, "lo", "R"), Some(Fail));
    let none = p.finding(&checked, "none", "R").expect("a finding");
    assert_eq!(none.outcome, Unknown);
    assert_eq!(none.missing, vec!["estimated_value", "awarded_value"]);
}

#[test]
fn a_problem_inside_a_let_is_reported_by_every_rule_using_it() {
    let rule =
        |id: &str| format!("rule {id} {{\n  title en \"r\"\n  area a\n  severity must\n  require total >= 1 NOK\n}}\n");
    let p = load(&format!(
        "let total = estimated_value + awarded_value\n{}{}",
        rule("R1"),
        rule("R2")
    ));
    let rec = json!({"id": "x", "estimated_value": nok("1"), "awarded_value": {"amount": "1", "currency": "EUR"}});
    let checked = p.check_jsonl(&rec.to_string(), Lang::En).expect("the check runs");
    for id in ["R1", "R2"] {
        let f = p.finding(&checked, "x", id).expect("a finding");
        assert_eq!(f.outcome, Unknown, "{id}");
        assert!(f.problems.iter().any(|p| p.contains("EUR")), "{id}: {:?}", f.problems);
    }
}

// ------------------------------------------------------------------ load failures

/// Load a policy whose rule `R` has the given `require` on line 7, column 11.
fn load_error(require: &str) -> String {
    let text = format!("{HEADER}{}", rule_text(None, require));
    assert_eq!(text.lines().nth(6).map(|l| l.find(require)), Some(Some(10)));
    match Policies::from_text("t.policy", &text, &[]) {
        Ok(_) => panic!("`{require}` should not load"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn comparing_nok_with_eur_does_not_load() {
    let e = load_error("1 000 NOK < 1 000 EUR");
    assert!(e.contains("t.policy:7:11"), "{e}");
    assert!(e.contains("NOK") && e.contains("EUR"), "{e}");
}

#[test]
fn adding_nok_to_eur_does_not_load() {
    let e = load_error("estimated_value >= 1 NOK + 1 EUR");
    assert!(e.contains("t.policy:7:"), "{e}");
    assert!(e.contains("EUR"), "{e}");
}

#[test]
fn an_unknown_field_does_not_load_and_gets_a_suggestion() {
    let e = load_error("lcc.asessed == true");
    assert!(e.contains("t.policy:7:11"), "{e}");
    assert!(e.contains("unknown field `lcc.asessed`"), "{e}");
    assert!(e.contains("did you mean `lcc.assessed`?"), "{e}");
}

#[test]
fn an_unknown_procedure_does_not_load_and_gets_a_suggestion() {
    let e = load_error("procedure == \"dirct\"");
    assert!(e.contains("t.policy:7:24"), "{e}");
    assert!(e.contains("`dirct` is not a procedure"), "{e}");
    assert!(e.contains("did you mean `direct`?"), "{e}");
}

#[test]
fn an_unknown_procedure_in_a_list_does_not_load() {
    let e = load_error("procedure in [\"open\", \"restrcted\"]");
    assert!(e.contains("t.policy:7:"), "{e}");
    assert!(e.contains("did you mean `restricted`?"), "{e}");
}

#[test]
fn an_unknown_field_of_an_element_does_not_load() {
    let e = load_error("all(v in vehicles: v.fule == \"electric\")");
    assert!(e.contains("t.policy:7:"), "{e}");
    assert!(e.contains("did you mean `fuel`?"), "{e}");
}

#[test]
fn a_decimal_comma_does_not_load_and_says_how_to_write_it() {
    let e = load_error("estimated_value >= 2,3 MNOK");
    assert!(e.contains("t.policy:7:"), "{e}");
    assert!(e.contains("2.3 MNOK"), "{e}");
}
