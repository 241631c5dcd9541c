//! Fields a policy declares for the buyer's own data (`field own.code :
//! text`): read from canonical JSON and tables, typed like canonical fields,
//! missing when absent, and rejected with a hint when declared wrongly.

use anskaff::Policies;
use anskaff::finding::Outcome;
use anskaff::input::InputSpec;
use anskaff::syntax::ast::Lang;
use std::io::Write;

const POLICY: &str = r#"policy own.strategy {
  title en "A municipality's own strategy" nb "Kommunens egen strategi"
}
area climate { title en "Climate" }

field own.climate_budget : money {
  title en "Climate budget line" nb "Klimabudsjettpost"
}
field own.project.code : text
field own.reviewed : bool
field own.reviewed_on : date
field own.recycled_share : percent
field own.tags : list of text

rule OWN-1 {
  title en "Large purchases have a climate budget line" nb "Store kjøp har en klimabudsjettpost"
  area climate
  severity must
  when estimated_value >= 1 MNOK
  require own.climate_budget > 0 NOK and own.reviewed
  message fail en "no climate budget line for {own.project.code}"
}

rule OWN-2 {
  title en "Recycled share" nb "Gjenvunnet andel"
  area climate
  severity should
  require own.recycled_share >= 20 % or "exempt" in own.tags
}

rule OWN-3 {
  title en "Reviewed in time" nb "Gjennomgått i tide"
  area climate
  severity should
  require own.reviewed_on <= date
}
"#;

fn policies() -> Policies {
    match Policies::from_text("own.policy", POLICY, &[]) {
        Ok(p) => p,
        Err(e) => panic!("the policy does not load:\n{e}"),
    }
}

fn outcome(p: &Policies, checked: &anskaff::api::Checked, record: &str, rule: &str) -> Outcome {
    p.finding(checked, record, rule)
        .unwrap_or_else(|| panic!("no finding of {rule} on {record}"))
        .outcome
}

const RECORDS: &str = r#"{"id":"a","date":"2025-03-01","estimated_value":{"amount":"2000000","currency":"NOK"},"own":{"climate_budget":{"amount":"150000","currency":"NOK"},"reviewed":true,"reviewed_on":"2025-02-01","recycled_share":25,"project":{"code":"P-1"}}}
{"id":"b","date":"2025-03-01","estimated_value":{"amount":"2000000","currency":"NOK"},"own":{"climate_budget":{"amount":"0","currency":"NOK"},"reviewed":true,"recycled_share":5,"tags":["exempt"],"project":{"code":"P-2"}}}
{"id":"c","date":"2025-03-01","estimated_value":{"amount":"2000000","currency":"NOK"}}
{"id":"d","date":"2025-03-01","estimated_value":{"amount":"2000000","currency":"NOK"},"own":{"climate_budget":"a lot","reviewed":"yes please","reviewed_on":"2025-04-01"}}
"#;

#[test]
fn declared_fields_are_read_from_canonical_json() {
    let p = policies();
    let checked = p.check_jsonl(RECORDS, Lang::En).expect("the check runs");
    assert!(checked.errors.is_empty(), "{:?}", checked.errors);
    assert_eq!(outcome(&p, &checked, "a", "OWN-1"), Outcome::Pass);
    assert_eq!(outcome(&p, &checked, "a", "OWN-2"), Outcome::Pass);
    assert_eq!(outcome(&p, &checked, "a", "OWN-3"), Outcome::Pass);

    let fail = p.finding(&checked, "b", "OWN-1").expect("a finding");
    assert_eq!(fail.outcome, Outcome::Fail);
    assert_eq!(fail.message, "no climate budget line for P-2");
    assert_eq!(outcome(&p, &checked, "b", "OWN-2"), Outcome::Pass, "the tag exempts it");

    // Absent: unknown, and the report names the declared field to fill in.
    let unknown = p.finding(&checked, "c", "OWN-1").expect("a finding");
    assert_eq!(unknown.outcome, Outcome::Unknown);
    assert!(unknown.missing.contains(&"own.climate_budget"), "{:?}", unknown.missing);
    let unknown = p.finding(&checked, "c", "OWN-3").expect("a finding");
    assert_eq!(unknown.missing, vec!["own.reviewed_on"]);

    // Of the wrong type: a data warning naming the field, and missing.
    let d = checked.record("d").expect("record d");
    let warned: Vec<&str> = d.warnings.iter().map(|w| w.field.as_str()).collect();
    assert!(warned.contains(&"own.climate_budget"), "{warned:?}");
    assert!(warned.contains(&"own.reviewed"), "{warned:?}");
    assert_eq!(outcome(&p, &checked, "d", "OWN-1"), Outcome::Unknown);
    assert_eq!(
        outcome(&p, &checked, "d", "OWN-3"),
        Outcome::Fail,
        "reviewed after the date"
    );
}

#[test]
fn declared_fields_are_read_from_table_columns() {
    let p = policies();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("plan.csv");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(
        f,
        "id;dato;anslått verdi;own.climate_budget;own.reviewed;own.tags;own.recycled_share"
    )
    .expect("write");
    writeln!(f, "p1;2025-03-01;2 000 000;150 000;ja;exempt, other;10 %").expect("write");
    writeln!(f, "p2;2025-03-01;2 000 000;;nei;;30").expect("write");
    drop(f);
    let checked = p.check(&[InputSpec::Path(path)], Lang::En).expect("the check runs");
    assert!(checked.errors.is_empty(), "{:?}", checked.errors);
    for r in &checked.records {
        assert!(r.warnings.is_empty(), "{}: {:?}", r.id, r.warnings);
    }
    assert_eq!(outcome(&p, &checked, "p1", "OWN-1"), Outcome::Pass);
    assert_eq!(outcome(&p, &checked, "p1", "OWN-2"), Outcome::Pass, "tagged exempt");
    assert_eq!(
        outcome(&p, &checked, "p2", "OWN-1"),
        Outcome::Fail,
        "not reviewed decides it"
    );
    assert_eq!(outcome(&p, &checked, "p2", "OWN-2"), Outcome::Pass);
}

#[test]
fn a_mapping_can_name_a_declared_field() {
    let p = policies();
    let read = p.read_options();
    let mapping = anskaff::input::table::Mapping::default()
        .with_extras(&read.extras)
        .with("Klimabudsjett", "own.climate_budget")
        .expect("a declared field is a mapping target");
    let read = anskaff::input::ReadOptions {
        mapping: std::sync::Arc::new(mapping),
        ..read
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("plan.csv");
    std::fs::write(
        &path,
        "id,date,estimated value,Klimabudsjett,own.reviewed\nq1,2025-03-01,2000000,50000,yes\n",
    )
    .expect("write");
    let checked = p
        .check_with(&[InputSpec::Path(path)], Lang::En, read)
        .expect("the check runs");
    assert_eq!(outcome(&p, &checked, "q1", "OWN-1"), Outcome::Pass);

    let unknown = anskaff::input::table::Mapping::default().with("Klimabudsjett", "own.climate_budget");
    assert!(unknown.is_err(), "without the policy's fields the target is unknown");
}

#[test]
fn canonical_json_writes_declared_fields_back() {
    let p = policies();
    let read = p.read_options();
    let want = anskaff::schema::Want {
        fields: anskaff::schema::FieldSet::ALL,
        extras: read.extras.clone(),
    };
    let first = RECORDS.lines().next().expect("a line");
    let record = anskaff::input::canonical::parse_record_with(first.as_bytes(), &want).expect("parses");
    assert_eq!(record.extras.len(), 5);
    let json = anskaff::record::canonical_json::to_json(&record);
    let again = anskaff::input::canonical::parse_record_with(json.as_bytes(), &want).expect("parses again");
    let mut a = record.extras.clone();
    let mut b = again.extras.clone();
    a.sort_by_key(|e| e.slot);
    b.sort_by_key(|e| e.slot);
    assert_eq!(a, b, "{json}");
    assert!(json.contains(r#""own":{"#), "{json}");
}

/// The rendered errors of a policy that must not load.
fn errors(body: &str) -> String {
    let text = format!("policy t {{ title en \"t\" }}\narea a {{ title en \"a\" }}\n{body}");
    match Policies::from_text("t.policy", &text, &[]) {
        Ok(_) => panic!("expected the policy to be rejected:\n{body}"),
        Err(e) => e.0,
    }
}

#[test]
fn declarations_that_do_not_hold() {
    insta::assert_snapshot!(
        "field_under_a_canonical_object",
        errors("field buyer.cost_centre : text\n")
    );
    insta::assert_snapshot!("field_type_typo", errors("field own.code : txt\n"));
    insta::assert_snapshot!("list_of_money", errors("field own.costs : list of money\n"));
    insta::assert_snapshot!(
        "field_declared_twice_with_two_types",
        errors("field own.code : text\nfield own.code : number\n")
    );
    insta::assert_snapshot!(
        "field_and_object_at_once",
        errors("field own.project : text\nfield own.project.code : text\n")
    );
    insta::assert_snapshot!(
        "declared_field_typo_gets_a_suggestion",
        errors(
            "field own.climate_budget : money\nrule R {\n  title en \"r\"\n  area a\n  severity must\n  \
             require own.climate_budgt > 0 NOK\n}\n"
        )
    );
    insta::assert_snapshot!(
        "declared_field_compared_with_the_wrong_type",
        errors(
            "field own.reviewed_on : date\nrule R {\n  title en \"r\"\n  area a\n  severity must\n  \
             require own.reviewed_on >= 1 MNOK\n}\n"
        )
    );
}

#[test]
fn a_field_is_seen_by_the_policies_that_declare_or_import_it() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let base = "policy base { title en \"b\" }\nfield own.code : text\n";
    let user = "policy user { title en \"u\" }\nimport \"base.policy\"\narea a { title en \"a\" }\n\
                rule U { title en \"u\" area a severity must require own.code != \"\" }\n";
    let stranger = "policy stranger { title en \"s\" }\narea b { title en \"b\" }\n\
                    rule S { title en \"s\" area b severity must require own.code != \"\" }\n";
    std::fs::write(dir.path().join("base.policy"), base).expect("write");
    std::fs::write(dir.path().join("user.policy"), user).expect("write");
    assert!(Policies::load(&[dir.path().join("user.policy")], &[]).is_ok());
    std::fs::write(dir.path().join("stranger.policy"), stranger).expect("write");
    let err = match Policies::load(&[dir.path().to_path_buf()], &[]) {
        Ok(_) => panic!("`stranger` uses a field it cannot see"),
        Err(e) => e.0,
    };
    assert!(err.contains("declared in a policy this one does not import"), "{err}");
}
