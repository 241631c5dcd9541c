//! The policy authors' commands end to end: `anskaff fmt`, `validate`,
//! `test` and `diff`, their exit codes and what they print (snapshots).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Run anskaff in `dir`, so that paths in the output are short and stable.
fn anskaff_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("anskaff runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("directory");
    }
    std::fs::write(path, text).expect("written");
}

const DEMO: &str = r#"policy demo.p {
  title en "Demo"
}

area procedure {
  title en "Procedure"
}

param limit = 1 000 000 NOK

rule DEMO-NOTICE {
  title en "Large purchases must be announced"
  area procedure
  severity must
  basis "§ 1"
  when estimated_value >= limit
  require procedure != "direct" or rationale != ""
}
"#;

// ------------------------------------------------------------------ fmt

#[test]
fn fmt_check_shows_the_diff_and_fmt_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "p/demo.policy",
        "# Demo\npolicy demo.p{title en \"Demo\"}\narea procedure {title en \"Procedure\"}\nrule DEMO-1 { severity must  title en \"R\" area procedure\n  # why\n  require procedure!=\"direct\" }\n",
    );
    let o = anskaff_in(dir.path(), &["fmt", "--check", "p"]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    insta::assert_snapshot!("fmt_check", stdout(&o));
    let o = anskaff_in(dir.path(), &["fmt", "p"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "formatted p/demo.policy\n");
    let o = anskaff_in(dir.path(), &["fmt", "--check", "p"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "");
}

#[test]
fn fmt_refuses_a_policy_that_does_not_parse() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.policy",
        "policy p {\n  title en \"P\"\n}\nrule R-1 {\n  severty must\n}\n",
    );
    let o = anskaff_in(dir.path(), &["fmt", "bad.policy"]);
    assert_eq!(code(&o), 2);
    insta::assert_snapshot!("fmt_syntax_error", stderr(&o));
    assert!(
        std::fs::read_to_string(dir.path().join("bad.policy"))
            .unwrap()
            .contains("severty")
    );
}

#[test]
fn fmt_formats_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["fmt", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("anskaff starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"policy p { title en \"P\" }")
        .expect("written");
    let o = child.wait_with_output().expect("anskaff ends");
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o), "policy p {\n  title en \"P\"\n}\n");
}

#[test]
fn the_bundled_policies_are_formatted() {
    let o = anskaff_in(&root(), &["fmt", "--check", "policies"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
}

// ------------------------------------------------------------------ validate

#[test]
fn validate_passes_the_bundled_policies() {
    let o = anskaff_in(&root(), &["validate", "--deny-warnings", "policies"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "no errors, no warnings\n");
}

const DOUBTFUL: &str = r#"policy demo.doubtful {
  title en "Demo"
}

area procedure {
  title en "Procedure"
}

param unused_limit = 5 MNOK
param limit = 1 MNOK

let value = estimated_value otherwise awarded_value

rule DEMO-1 {
  title en "Impossible"
  area procedure
  severity must
  in force from 2024-01-01
  when value >= 2 MNOK and value < limit
  require procedure != "direct" or procedure != "open"
  message en "Bought from {supplier.name} as {procedure}"
}
"#;

#[test]
fn validate_warns_about_likely_mistakes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "doubtful.policy", DOUBTFUL);
    let o = anskaff_in(dir.path(), &["validate", "doubtful.policy"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("validate_warnings", stdout(&o));
    let o = anskaff_in(dir.path(), &["validate", "--deny-warnings", "doubtful.policy"]);
    assert_eq!(code(&o), 1);
}

#[test]
fn validate_reports_errors_with_spans_and_json_for_editors() {
    let dir = tempfile::tempdir().unwrap();
    let broken = DOUBTFUL
        .replace("in force from 2024-01-01", "in force from 2024-01-01 to 2023-01-01")
        .replace("procedure != \"open\"", "procedure != \"opne\"");
    write(dir.path(), "broken.policy", &broken);
    let o = anskaff_in(dir.path(), &["validate", "broken.policy", "--set", "limit=5"]);
    assert_eq!(code(&o), 1);
    insta::assert_snapshot!("validate_errors", stdout(&o));
    let o = anskaff_in(dir.path(), &["validate", "--format", "json", "broken.policy"]);
    assert_eq!(code(&o), 1);
    insta::assert_snapshot!("validate_json", stdout(&o));
}

// ------------------------------------------------------------------ test

#[test]
fn test_runs_the_bundled_policy_tests() {
    let o = anskaff_in(&root(), &["test", "policies"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let last = stdout(&o).lines().last().unwrap_or("").to_string();
    assert_eq!(last, "107 passed, 0 failed");
    let o = anskaff_in(&root(), &["test", "policies", "--run", "split by supplier", "-v"]);
    assert_eq!(code(&o), 0);
    insta::assert_snapshot!("test_run_filter_verbose", stdout(&o));
    let o = anskaff_in(&root(), &["test", "policies", "--coverage", "--min-coverage", "100"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    insta::assert_snapshot!("test_coverage_bundled", stdout(&o));
}

const DEMO_TESTS: &str = r#"policy = "demo.policy"

[record]
id = "r"
date = 2024-06-01
procedure = "open"
estimated_value = "2 MNOK"

[[test]]
name = "an open procedure passes"
expect.DEMO-NOTICE = "pass"

[[test]]
name = "a direct award without a basis fails"
record = { procedure = "direct", rationale = "" }
expect.DEMO-NOTICE = "fail"

[[test]]
name = "this expectation is wrong"
record = { procedure = "direct", rationale = "" }
expect.DEMO-NOTICE = { outcome = "unknown", missing = ["procedure"] }
"#;

#[test]
fn a_failing_test_shows_the_actual_outcome_and_the_trace() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "demo.policy", DEMO);
    write(dir.path(), "demo.test.toml", DEMO_TESTS);
    let o = anskaff_in(dir.path(), &["test", "--coverage", "."]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    insta::assert_snapshot!("test_failure", stdout(&o));
    let o = anskaff_in(dir.path(), &["test", "--min-coverage", "100", "--run", "open", "."]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stderr(&o).contains("below the minimum of 100 %"), "{}", stderr(&o));
    assert!(stdout(&o).ends_with("1 passed, 0 failed\n"), "{}", stdout(&o));
}

#[test]
fn a_test_file_that_does_not_load_exits_with_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "demo.policy", DEMO);
    write(
        dir.path(),
        "typo.test.toml",
        "policy = \"demo.policy\"\n\n[[test]]\nname = \"typo\"\nexpect.DEMO-NOTISE = \"fail\"\n",
    );
    write(
        dir.path(),
        "syntax.test.toml",
        "policy = \"demo.policy\"\n\n[[test]]\nname = \"bad\"\nexpct.DEMO-NOTICE = \"fail\"\n",
    );
    let o = anskaff_in(dir.path(), &["test", "."]);
    assert_eq!(code(&o), 2, "{}", stdout(&o));
    insta::assert_snapshot!("test_load_errors", stdout(&o));
}

// ------------------------------------------------------------------ diff

#[test]
fn diff_shows_changed_rules_parameters_and_records() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "old/demo.policy", DEMO);
    let new = DEMO
        .replace("param limit = 1 000 000 NOK", "param limit = 1 300 000 NOK")
        .replace("policy demo.p {", "policy demo.p {\n  in force from 2025-01-01")
        .replace("or rationale != \"\"", "or rationale is not empty")
        .replace("rule DEMO-NOTICE {", "rule DEMO-LOTS {\n  title en \"Lots\"\n  area procedure\n  severity should\n  require count(lots) >= 2\n}\n\nrule DEMO-NOTICE {");
    write(dir.path(), "new/demo.policy", &new);
    write(
        dir.path(),
        "records.jsonl",
        concat!(
            r#"{"id": "a", "date": "2025-02-01", "procedure": "direct", "rationale": "", "estimated_value": {"amount": "1200000", "currency": "NOK"}}"#,
            "\n",
            r#"{"id": "b", "date": "2025-02-01", "procedure": "open", "estimated_value": {"amount": "5000000", "currency": "NOK"}, "lots": []}"#,
            "\n",
            r#"{"id": "c", "date": "2024-02-01", "procedure": "direct", "rationale": "", "estimated_value": {"amount": "5000000", "currency": "NOK"}}"#,
            "\n"
        ),
    );
    let o = anskaff_in(
        dir.path(),
        &[
            "diff",
            "old/demo.policy",
            "new/demo.policy",
            "--records",
            "records.jsonl",
        ],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    insta::assert_snapshot!("diff_text", stdout(&o));
    let o = anskaff_in(
        dir.path(),
        &["diff", "--format", "json", "old/demo.policy", "new/demo.policy"],
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    insta::assert_snapshot!("diff_json", stdout(&o));
}

#[test]
fn diff_of_a_reformatted_policy_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.policy", DEMO);
    write(
        dir.path(),
        "b.policy",
        &DEMO.replace("\n  ", "\n      ").replace(" or ", "\n   or "),
    );
    let o = anskaff_in(dir.path(), &["diff", "a.policy", "b.policy"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert_eq!(stdout(&o), "no changes\n");
    write(dir.path(), "c.policy", "policy demo.p {\n");
    let o = anskaff_in(dir.path(), &["diff", "a.policy", "c.policy"]);
    assert_eq!(code(&o), 2);
}

// ------------------------------------------------------------------ declared fields

const OWN: &str = r#"policy demo.own {
  title en "Own fields"
}

area climate {
  title en "Climate"
}

field own.reviewed : bool

field own.budget : money {
  title en "Climate budget line"
}

field own.unused : text

rule OWN-1 {
  title en "Large purchases are reviewed by the climate office"
  area climate
  severity must
  basis "Strategy, section 2"
  when own.budget >= 1 MNOK
  require own.reviewed
}
"#;

#[test]
fn the_tools_know_declared_fields() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "own.policy", OWN);
    write(
        dir.path(),
        "own.test.toml",
        r#"policy = "own.policy"

[record]
own = { budget = "2 MNOK", reviewed = true }

[[test]]
name = "reviewed"
expect.OWN-1 = "pass"

[[test]]
name = "not reviewed"
record.own.reviewed = false
expect.OWN-1 = "fail"

[[test]]
name = "not known"
unset = ["own.reviewed"]
expect.OWN-1 = { outcome = "unknown", missing = ["own.reviewed"] }

[[test]]
name = "small"
record.own.budget = { amount = "5000", currency = "NOK" }
expect.OWN-1 = "not_applicable"
"#,
    );
    let o = anskaff_in(dir.path(), &["test", "."]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).ends_with("4 passed, 0 failed\n"), "{}", stdout(&o));
    let o = anskaff_in(dir.path(), &["fmt", "--check", "own.policy"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = anskaff_in(dir.path(), &["validate", "own.policy"]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(
        stdout(&o).contains("declared field `own.unused` is not used"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).ends_with("0 errors, 1 warning\n"), "{}", stdout(&o));
    write(
        dir.path(),
        "new.policy",
        &OWN.replace("field own.unused : text\n", "field own.unused : number\n"),
    );
    let o = anskaff_in(dir.path(), &["diff", "own.policy", "new.policy"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert_eq!(stdout(&o), "Fields\n  ~ own.unused (demo.own): text → number\n\n");
}
