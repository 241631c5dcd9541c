//! What a policy author sees when a policy does not load: the spot, what
//! was expected, and a hint. Each case is a snapshot under tests/snapshots.

use anskaff::Policies;
use std::path::PathBuf;

const HEAD: &str = "policy t {\n  title en \"Test\"\n}\narea climate { title en \"Climate\" }\n";

/// The rendered diagnostics for `body` placed after a valid header.
fn errors(body: &str) -> String {
    errors_with(body, &[])
}

fn errors_with(body: &str, sets: &[(&str, &str)]) -> String {
    let sets: Vec<(String, String)> = sets.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    match Policies::from_text("t.policy", &format!("{HEAD}{body}"), &sets) {
        Ok(_) => panic!("expected the policy to be rejected:\n{body}"),
        Err(e) => e.0,
    }
}

fn rule(fragment: &str) -> String {
    format!("rule R-1 {{\n  title en \"R\"\n  area climate\n  severity must\n{fragment}\n}}\n")
}

#[test]
fn syntax_error_names_what_was_expected() {
    insta::assert_snapshot!(errors(&rule("  require value >= ")));
}

#[test]
fn keyword_typo_gets_a_suggestion() {
    insta::assert_snapshot!(errors("rule R-1 {\n  title en \"R\"\n  severty must\n}\n"));
}

#[test]
fn decimal_comma_in_money() {
    insta::assert_snapshot!(errors(&rule("  require estimated_value >= 2,3 MNOK")));
}

#[test]
fn unknown_field_with_suggestion() {
    insta::assert_snapshot!(errors(&rule("  require all(v in vehicles: v.fule == \"electric\")")));
}

#[test]
fn path_without_brackets_suggests_the_list_path() {
    insta::assert_snapshot!(errors(&rule("  require vehicles.fuel == \"diesel\"")));
}

#[test]
fn object_instead_of_field() {
    insta::assert_snapshot!(errors(&rule("  require buyer == \"Viken\"")));
}

#[test]
fn impossible_procedure_value() {
    insta::assert_snapshot!(errors(&rule("  require procedure == \"dirct\"")));
}

#[test]
fn money_in_different_currencies() {
    insta::assert_snapshot!(errors(&rule("  require 1 000 EUR < 1 300 000 NOK")));
}

#[test]
fn percentage_compared_with_a_number() {
    insta::assert_snapshot!(errors(&rule(
        "  require sum(c in award_criteria where c.type == \"environment\": c.weight) >= 30"
    )));
}

#[test]
fn condition_that_is_not_a_condition() {
    insta::assert_snapshot!(errors(&rule("  require estimated_value")));
}

#[test]
fn unknown_area_and_missing_severity() {
    insta::assert_snapshot!(errors(
        "rule R-1 {\n  title en \"R\"\n  area climat\n  require true\n}\n"
    ));
}

#[test]
fn duplicate_rule_ids() {
    let r = rule("  require true");
    insta::assert_snapshot!(errors(&format!("{r}{r}")));
}

#[test]
fn unknown_function() {
    insta::assert_snapshot!(errors(&rule("  require lowercase(title) == \"x\"")));
}

#[test]
fn period_that_ends_before_it_starts() {
    insta::assert_snapshot!(errors(&rule(
        "  in force from 2024-01-01 to 2023-01-01\n  require true"
    )));
}

#[test]
fn unknown_name_in_a_message_placeholder() {
    insta::assert_snapshot!(errors(&rule(
        "  require true\n  message en \"value {estimated_valeu}\""
    )));
}

#[test]
fn record_field_outside_an_aggregate_in_a_cross_record_rule() {
    insta::assert_snapshot!(errors(
        "rule S-1 {\n  title en \"S\"\n  area climate\n  severity should\n  across records group by buyer.id\n  flag when estimated_value >= 1 NOK\n}\n"
    ));
}

#[test]
fn override_of_an_unknown_parameter() {
    insta::assert_snapshot!(errors_with(
        "param lcc_threshold = 2 300 000 NOK\n",
        &[("lcc_treshold", "5 000 000 NOK")]
    ));
}

#[test]
fn override_of_the_wrong_type() {
    insta::assert_snapshot!(errors_with(
        "param lcc_threshold = 2 300 000 NOK\n",
        &[("lcc_threshold", "30 %")]
    ));
}

#[test]
fn numbers_that_cannot_be_held_exactly_are_errors_not_rounded() {
    // `from_str` rounded these to 0 NOK and 1 NOK without a word.
    for (value, column) in [
        ("0.00000000000000000000000000001 NOK", 23),
        ("1.00000000000000000000000000001 NOK", 23),
    ] {
        let e = errors(&format!("param lcc_threshold = {value}\n"));
        assert!(e.contains("is not a number anskaff can hold exactly"), "{e}");
        assert!(e.contains(&format!("t.policy:5:{column}")), "{e}");
        assert!(e.contains("^^^"), "{e}");
        let e = errors_with("param lcc_threshold = 2 300 000 NOK\n", &[("lcc_threshold", value)]);
        assert!(e.contains("is not a number anskaff can hold exactly"), "{e}");
        assert!(e.contains("--set lcc_threshold:1:1"), "{e}");
    }
    let e = errors(&rule(
        "  require estimated_value >= 1.00000000000000000000000000001 MNOK",
    ));
    assert!(e.contains("t.policy:9:30"), "{e}");
    let e = errors(&rule("  require duration_months > 0.00000000000000000000000000001"));
    assert!(e.contains("is not a number anskaff can hold exactly"), "{e}");
    // Zeros after the last digit change nothing and are accepted.
    let sets = [(
        "lcc_threshold".to_string(),
        "1.500000000000000000000000000000 NOK".to_string(),
    )];
    let text = format!("{HEAD}param lcc_threshold = 0.100000000000000000000000000000000 NOK\n");
    assert!(Policies::from_text("t.policy", &text, &sets).is_ok());
}

#[test]
fn import_cycle() {
    let e = Policies::load(&[PathBuf::from("tests/fixtures/policies/cycle_a.policy")], &[])
        .err()
        .expect("rejected");
    insta::assert_snapshot!(e.0);
}

#[test]
fn missing_import() {
    let e = Policies::load(&[PathBuf::from("tests/fixtures/policies/missing_import.policy")], &[])
        .err()
        .expect("rejected");
    insta::assert_snapshot!(e.0);
}
