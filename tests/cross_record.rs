//! Cross-record rules: the bundled splitting rules, window edges, missing
//! data, currencies, and the window algorithm against a brute-force check.

use anskaff::Policies;
use anskaff::finding::Outcome;
use anskaff::syntax::ast::Lang;
use serde_json::{Value, json};
use std::path::PathBuf;

fn baseline() -> Policies {
    Policies::load(&[PathBuf::from("policies/no/anskaffelsesforskriften.policy")], &[]).expect("baseline loads")
}

fn purchase(id: &str, date: &str, amount: &str) -> Value {
    json!({
        "id": id, "stage": "award", "buyer": {"id": "820710592", "name": "Lillestrøm kommune", "kind": "municipal"},
        "date": date, "category": "goods", "cpv": ["39130000"], "procedure": "direct",
        "awarded_value": {"amount": amount, "currency": "NOK"}, "supplier": {"name": "Kontormøbler Øst AS"}
    })
}

fn lines(records: &[Value]) -> String {
    records.iter().map(|r| r.to_string() + "\n").collect()
}

fn split_outcomes(p: &Policies, records: &[Value], rule: &str) -> Vec<(String, Outcome)> {
    let checked = p.check_jsonl(&lines(records), Lang::En).expect("check runs");
    assert!(checked.errors.is_empty(), "{:?}", checked.errors);
    records
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap_or_default().to_string();
            let outcome = p
                .outcome(&checked, &id, rule)
                .unwrap_or_else(|| panic!("no finding for {id}"));
            (id, outcome)
        })
        .collect()
}

fn all(outcome: Outcome, ids: &[&str]) -> Vec<(String, Outcome)> {
    ids.iter().map(|id| (id.to_string(), outcome)).collect()
}

#[test]
fn four_direct_purchases_in_five_months_are_flagged() {
    let p = baseline();
    let records = [
        purchase("a", "2024-01-15", "400000"),
        purchase("b", "2024-02-20", "400000"),
        purchase("c", "2024-04-10", "400000"),
        purchase("d", "2024-06-05", "400000"),
    ];
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        all(Outcome::Fail, &["a", "b", "c", "d"])
    );
    let checked = p.check_jsonl(&lines(&records), Lang::En).unwrap();
    let f = p.finding(&checked, "a", "FOA-5-4-SPLIT").unwrap();
    assert!(f.message.contains("1 600 000 NOK"), "{}", f.message);
    assert!(f.message.contains("d (2024-06-05, 400 000 NOK)"), "{}", f.message);
    assert_eq!(f.related, ["b", "c", "d"]);
}

#[test]
fn the_same_purchases_spread_over_more_than_a_year_pass() {
    let p = baseline();
    let records = [
        purchase("a", "2022-01-10", "400000"),
        purchase("b", "2022-06-15", "400000"),
        purchase("c", "2023-01-20", "400000"),
        purchase("d", "2023-07-25", "400000"),
    ];
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        all(Outcome::Pass, &["a", "b", "c", "d"])
    );
}

#[test]
fn purchases_exactly_twelve_months_apart_share_no_window() {
    let p = baseline();
    let apart = [
        purchase("a", "2024-01-15", "900000"),
        purchase("b", "2025-01-15", "400000"),
    ];
    assert_eq!(
        split_outcomes(&p, &apart, "FOA-5-4-SPLIT"),
        all(Outcome::Pass, &["a", "b"])
    );
    let within = [
        purchase("a", "2024-01-15", "900000"),
        purchase("b", "2025-01-14", "400000"),
    ];
    assert_eq!(
        split_outcomes(&p, &within, "FOA-5-4-SPLIT"),
        all(Outcome::Fail, &["a", "b"])
    );
}

#[test]
fn reaching_the_threshold_exactly_is_met_and_just_below_is_not() {
    let p = baseline();
    let same_day = [
        purchase("a", "2024-03-01", "650000"),
        purchase("b", "2024-03-01", "650000"),
    ];
    assert_eq!(
        split_outcomes(&p, &same_day, "FOA-5-4-SPLIT"),
        all(Outcome::Fail, &["a", "b"])
    );
    let below = [
        purchase("a", "2024-03-01", "650000"),
        purchase("b", "2024-03-01", "649999.99"),
    ];
    assert_eq!(
        split_outcomes(&p, &below, "FOA-5-4-SPLIT"),
        all(Outcome::Pass, &["a", "b"])
    );
}

#[test]
fn a_purchase_at_the_threshold_does_not_take_part() {
    let p = baseline();
    let records = [
        purchase("big", "2024-03-01", "1300000"),
        purchase("small", "2024-03-02", "100000"),
    ];
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        [
            ("big".to_string(), Outcome::NotApplicable),
            ("small".to_string(), Outcome::Pass)
        ]
    );
}

#[test]
fn announced_procedures_do_not_take_part() {
    let p = baseline();
    let mut open = purchase("open", "2024-03-01", "700000");
    open["procedure"] = json!("open");
    let records = [open, purchase("direct", "2024-03-02", "700000")];
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        [
            ("open".to_string(), Outcome::NotApplicable),
            ("direct".to_string(), Outcome::Pass)
        ]
    );
}

#[test]
fn missing_date_value_cpv_or_buyer_is_unknown_and_takes_no_part() {
    let p = baseline();
    let mut no_date = purchase("no-date", "2024-03-01", "700000");
    no_date.as_object_mut().unwrap().remove("date");
    let mut no_value = purchase("no-value", "2024-03-01", "700000");
    no_value.as_object_mut().unwrap().remove("awarded_value");
    let mut no_cpv = purchase("no-cpv", "2024-03-01", "700000");
    no_cpv["cpv"] = Value::Null;
    let mut empty_cpv = purchase("empty-cpv", "2024-03-01", "700000");
    empty_cpv["cpv"] = json!([]);
    let mut no_buyer = purchase("no-buyer", "2024-03-01", "700000");
    no_buyer["buyer"] = json!({"name": "?"});
    let records = [
        no_date,
        no_value,
        no_cpv,
        empty_cpv,
        no_buyer,
        purchase("ok", "2024-03-01", "700000"),
    ];
    let out = split_outcomes(&p, &records, "FOA-5-4-SPLIT");
    let unknown: Vec<&str> = out
        .iter()
        .filter(|(_, o)| *o == Outcome::Unknown)
        .map(|(i, _)| i.as_str())
        .collect();
    assert_eq!(unknown, ["no-date", "no-value", "no-cpv", "empty-cpv", "no-buyer"]);
    // The complete record is alone in its window: 700 000 NOK is not enough.
    assert_eq!(out.last().map(|(_, o)| *o), Some(Outcome::Pass));
    let checked = p.check_jsonl(&lines(&records), Lang::En).unwrap();
    assert_eq!(p.finding(&checked, "no-cpv", "FOA-5-4-SPLIT").unwrap().missing, ["cpv"]);
    assert_eq!(
        p.finding(&checked, "no-date", "FOA-5-4-SPLIT").unwrap().missing,
        ["date"]
    );
}

#[test]
fn amounts_in_another_currency_are_reported_not_summed() {
    let p = baseline();
    let mut eur = purchase("eur", "2024-03-03", "100000");
    eur["awarded_value"]["currency"] = json!("EUR");
    let records = [
        purchase("a", "2024-03-01", "600000"),
        purchase("b", "2024-03-02", "600000"),
        eur,
    ];
    let checked = p.check_jsonl(&lines(&records), Lang::En).unwrap();
    assert_eq!(p.outcome(&checked, "a", "FOA-5-4-SPLIT"), Some(Outcome::Pass));
    assert_eq!(p.outcome(&checked, "b", "FOA-5-4-SPLIT"), Some(Outcome::Pass));
    let f = p.finding(&checked, "eur", "FOA-5-4-SPLIT").unwrap();
    assert_eq!(f.outcome, Outcome::Unknown);
    assert!(f.message.contains("EUR") && f.message.contains("NOK"), "{}", f.message);
}

#[test]
fn an_exemption_waives_a_flagged_member() {
    let p = baseline();
    let mut waived = purchase("w", "2024-03-02", "700000");
    waived["exemptions"] = json!([{"rule": "FOA-5-4-SPLIT", "reason": "separate needs", "approved_by": "CFO"}]);
    let records = [purchase("a", "2024-03-01", "700000"), waived];
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        [("a".to_string(), Outcome::Fail), ("w".to_string(), Outcome::Waived)]
    );
}

#[test]
fn the_supplier_rule_groups_spelling_variants_across_cpv_groups() {
    let p = baseline();
    let mut a = purchase("a", "2024-09-02", "450000");
    a["cpv"] = json!(["30192000"]);
    a["supplier"] = json!({"name": "Kontorkompaniet AS"});
    let mut b = purchase("b", "2024-10-14", "500000");
    b["supplier"] = json!({"name": "KONTORKOMPANIET  A/S"});
    let mut c = purchase("c", "2024-11-25", "420000");
    c["cpv"] = json!(["22800000"]);
    c["supplier"] = json!({"name": "kontorkompaniet"});
    let records = [a, b, c];
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT-SUPPLIER"),
        all(Outcome::Fail, &["a", "b", "c"])
    );
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        all(Outcome::Pass, &["a", "b", "c"])
    );
}

#[test]
fn the_threshold_can_be_set_in_another_currency() {
    let p = Policies::load(
        &[PathBuf::from("policies/no")],
        &[("split_threshold".into(), "1 000 000 MXN".into())],
    )
    .unwrap();
    let mut records = vec![
        purchase("a", "2024-03-01", "550000"),
        purchase("b", "2024-03-05", "550000"),
    ];
    for r in &mut records {
        r["awarded_value"]["currency"] = json!("MXN");
    }
    assert_eq!(
        split_outcomes(&p, &records, "FOA-5-4-SPLIT"),
        all(Outcome::Fail, &["a", "b"])
    );
}

const AREA: &str = "policy t { title en \"t\" }\narea a { title en \"a\" }\n";

fn custom(rule: &str) -> Policies {
    Policies::from_text("t.policy", &format!("{AREA}{rule}"), &[]).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn calendar_windows_do_not_cross_their_boundary() {
    let p = custom(
        "rule Q { title en \"q\" area a severity should
           across records group by buyer.id within calendar quarter
           flag when sum(awarded_value otherwise estimated_value) >= 1 000 000 NOK }",
    );
    let records = [
        purchase("q1", "2024-03-31", "600000"),
        purchase("q2", "2024-04-01", "600000"),
        purchase("q2b", "2024-06-30", "400000"),
    ];
    assert_eq!(
        split_outcomes(&p, &records, "Q"),
        [
            ("q1".to_string(), Outcome::Pass),
            ("q2".to_string(), Outcome::Fail),
            ("q2b".to_string(), Outcome::Fail)
        ]
    );
}

#[test]
fn aggregates_count_min_max_and_distinct() {
    let p = custom(
        "rule D { title en \"d\" area a severity should
           across records group by buyer.id within rolling 30 days
           flag when count() >= 3 and distinct(supplier.name) >= 2 and min(awarded_value) < 200 000 NOK
                     and max(awarded_value) > 500 000 NOK
           message en \"{count()} purchases, {distinct(supplier.name)} suppliers, from {min(awarded_value)} to {max(awarded_value)}\" }",
    );
    let mut c = purchase("c", "2024-01-20", "600000");
    c["supplier"] = json!({"name": "Other AS"});
    let records = [
        purchase("a", "2024-01-01", "100000"),
        purchase("b", "2024-01-10", "300000"),
        c,
    ];
    assert_eq!(split_outcomes(&p, &records, "D"), all(Outcome::Fail, &["a", "b", "c"]));
    let checked = p.check_jsonl(&lines(&records), Lang::En).unwrap();
    let f = p.finding(&checked, "b", "D").unwrap();
    assert_eq!(f.message, "3 purchases, 2 suppliers, from 100 000 NOK to 600 000 NOK");
    // 31 days later the first purchase has left the window.
    let late = [
        purchase("a", "2024-01-01", "100000"),
        purchase("b", "2024-01-31", "300000"),
        purchase("x", "2024-02-01", "600000"),
    ];
    assert!(split_outcomes(&p, &late, "D").iter().all(|(_, o)| *o == Outcome::Pass));
}

/// A small deterministic generator, so that the brute-force comparison
/// covers many shapes without a random-number crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn rolling_windows_agree_with_a_brute_force_check() {
    let p = custom(
        "rule R { title en \"r\" area a severity should
           across records group by buyer.id within rolling 60 days
           flag when sum(awarded_value) >= 1 000 000 NOK }",
    );
    let mut rng = Lcg(7);
    for round in 0..40 {
        let n = 1 + rng.next(30) as usize;
        let base = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        let records: Vec<(String, chrono::NaiveDate, u64, u64)> = (0..n)
            .map(|i| {
                let day = base + chrono::Days::new(rng.next(200));
                (format!("r{round}-{i}"), day, 50_000 * (1 + rng.next(10)), rng.next(2))
            })
            .collect();
        let json: Vec<Value> = records
            .iter()
            .map(|(id, d, amount, buyer)| {
                let mut r = purchase(id, &d.to_string(), &amount.to_string());
                r["buyer"]["id"] = json!(format!("b{buyer}"));
                r
            })
            .collect();
        let got = split_outcomes(&p, &json, "R");
        for (i, (id, day, _, buyer)) in records.iter().enumerate() {
            // Flagged if some window starting at a member of the same group
            // on or before this one, and holding it, sums to the threshold.
            let flagged = records.iter().any(|(_, start, _, b)| {
                b == buyer && start <= day && *day < *start + chrono::Days::new(60) && {
                    let sum: u64 = records
                        .iter()
                        .filter(|(_, d, _, bb)| bb == buyer && d >= start && *d < *start + chrono::Days::new(60))
                        .map(|(_, _, a, _)| a)
                        .sum();
                    sum >= 1_000_000
                }
            });
            let want = if flagged { Outcome::Fail } else { Outcome::Pass };
            assert_eq!(got[i], (id.clone(), want), "round {round}: {records:?}");
        }
    }
}
