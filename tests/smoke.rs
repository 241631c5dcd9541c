use anskaff::Policies;
use anskaff::finding::Outcome;
use anskaff::syntax::ast::Lang;
use std::path::PathBuf;

#[test]
fn viken_policy_flags_a_diesel_van() {
    let policies = Policies::load(&[PathBuf::from("policies/viken")], &[]).expect("bundled policies load");
    let checked = policies
        .check_jsonl(
            r#"{"id": "a", "buyer": {"id": "921693230", "kind": "county"}, "date": "2022-05-01", "category": "goods", "cpv": ["34136000"], "vehicles": [{"class": "N1", "count": 1, "fuel": "diesel"}]}"#,
            Lang::En,
        )
        .expect("check runs");
    assert_eq!(policies.outcome(&checked, "a", "VIKEN-KLIMA-1"), Some(Outcome::Fail));
}
