//! The `anskaff` binary end to end: exit codes, inputs, outputs.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn anskaff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(args)
        .output()
        .expect("anskaff runs")
}

fn anskaff_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("anskaff starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    child.wait_with_output().expect("anskaff ends")
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

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

const BASELINE: &str = "policies/no/anskaffelsesforskriften.policy";

const COMPLIANT: &str = r#"{"id": "ok", "buyer": {"id": "1", "kind": "municipal"}, "date": "2024-05-01", "category": "goods", "cpv": ["39130000"], "procedure": "below_threshold", "estimated_value": {"amount": "500000", "currency": "NOK"}}"#;
const FAILING: &str = r#"{"id": "bad", "buyer": {"id": "1", "kind": "municipal"}, "date": "2024-05-01", "category": "services", "cpv": ["79000000"], "procedure": "direct", "estimated_value": {"amount": "1300000", "currency": "NOK"}, "rationale": "", "award_criteria": [{"name": "Miljø", "type": "environment", "weight": 30}]}"#;

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

#[test]
fn exit_0_when_nothing_fails() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{COMPLIANT}\n"));
    let o = anskaff(&["check", "--policy", BASELINE, &f]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("✓ ok"), "{}", stdout(&o));
}

#[test]
fn exit_1_when_a_must_rule_fails_and_fail_on_changes_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{FAILING}\n"));
    assert_eq!(code(&anskaff(&["check", "--policy", BASELINE, &f])), 1);
    assert_eq!(
        code(&anskaff(&["check", "--policy", BASELINE, "--fail-on", "never", &f])),
        0
    );
    assert_eq!(
        code(&anskaff(&["check", "--policy", BASELINE, "--fail-on", "should", &f])),
        1
    );
}

#[test]
fn fail_on_should_counts_should_rules() {
    let dir = tempfile::tempdir().unwrap();
    let purchase = |id: &str, date: &str| {
        format!(
            r#"{{"id": "{id}", "buyer": {{"id": "1", "kind": "municipal"}}, "date": "{date}", "category": "goods", "cpv": ["39130000"], "procedure": "direct", "awarded_value": {{"amount": "700000", "currency": "NOK"}}}}"#
        )
    };
    let f = write(
        dir.path(),
        "r.jsonl",
        &format!("{}\n{}\n", purchase("a", "2024-01-01"), purchase("b", "2024-02-01")),
    );
    assert_eq!(code(&anskaff(&["check", "--policy", BASELINE, &f])), 0);
    assert_eq!(
        code(&anskaff(&["check", "--policy", BASELINE, "--fail-on", "should", &f])),
        1
    );
}

#[test]
fn exit_2_when_a_policy_does_not_load() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "p.policy",
        "policy p { title en \"p\" }\nrule X {\n  require vale > 1\n}\n",
    );
    let f = write(dir.path(), "r.jsonl", &format!("{COMPLIANT}\n"));
    let o = anskaff(&["check", "--policy", &p, &f]);
    assert_eq!(code(&o), 2);
    assert!(stdout(&o).is_empty(), "nothing is evaluated: {}", stdout(&o));
    assert!(stderr(&o).contains("p.policy:3:11"), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing was checked"), "{}", stderr(&o));
}

#[test]
fn exit_2_on_usage_errors() {
    assert_eq!(code(&anskaff(&["check", "examples"])), 2, "no --policy");
    assert_eq!(
        code(&anskaff(&[
            "check", "--policy", BASELINE, "--format", "pdf", "examples"
        ])),
        2
    );
    let o = anskaff(&[
        "check",
        "--policy",
        BASELINE,
        "--set",
        "national_treshold=1 NOK",
        "examples",
    ]);
    assert_eq!(code(&o), 2);
    assert!(
        stderr(&o).contains("did you mean `national_threshold`?"),
        "{}",
        stderr(&o)
    );
    let o = anskaff(&["check", "--policy", "policies/nowhere", "examples"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("no such file"), "{}", stderr(&o));
}

#[test]
fn exit_3_when_input_is_unreadable_and_neighbours_are_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{COMPLIANT}\n{{\"id\": \"broken\", \n{FAILING}\n\n{{\"title\": \"no id\"}}\n");
    let f = write(dir.path(), "r.jsonl", &text);
    let o = anskaff(&["check", "--policy", BASELINE, "--format", "json", &f]);
    assert_eq!(code(&o), 3, "input errors win over failures: {}", stderr(&o));
    let report = json(&o);
    let ids: Vec<&str> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ok", "bad"]);
    let errors = report["input_errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["source"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [2, 5], "blank line 4 is skipped, not an error");
    assert_eq!(report["summary"]["records"], 2);
    assert_eq!(report["summary"]["input_errors"], 2);
    assert_eq!(report["records"][1]["source"]["line"], 3);
}

#[test]
fn an_empty_jsonl_file_has_no_records() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", "");
    let o = anskaff(&["check", "--policy", BASELINE, "--format", "json", &f]);
    assert_eq!(code(&o), 0);
    assert_eq!(json(&o)["summary"]["records"], 0);
}

#[test]
fn an_empty_json_file_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.json", "\n");
    let o = anskaff(&["check", "--policy", BASELINE, "--format", "json", &f]);
    assert_eq!(code(&o), 3);
    assert_eq!(json(&o)["input_errors"][0]["message"], "the file holds no records");
}

#[test]
fn reads_jsonl_from_stdin() {
    let o = anskaff_stdin(
        &["check", "--policy", BASELINE, "--format", "json", "-"],
        &format!("{COMPLIANT}\n{FAILING}\n"),
    );
    assert_eq!(code(&o), 1);
    let report = json(&o);
    assert_eq!(report["records"][1]["source"]["file"], "-");
    assert_eq!(report["records"][1]["source"]["line"], 2);
    assert_eq!(report["records"][1]["status"], "non_compliant");
}

#[test]
fn json_formats_an_array_and_a_records_object() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.json", &format!("[\n{COMPLIANT},\n{FAILING}\n]\n"));
    let b = write(dir.path(), "b.json", &format!("{{\"records\": [{COMPLIANT}]}}"));
    let o = anskaff(&["check", "--policy", BASELINE, "--format", "json", &a, &b]);
    let report = json(&o);
    let sources: Vec<(String, u64)> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["source"]["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                r["source"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        sources,
        [("a.json".into(), 2), ("a.json".into(), 3), ("b.json".into(), 1)]
    );
}

#[test]
fn output_file_is_written_whole() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{FAILING}\n"));
    let out = dir.path().join("report.json");
    let o = anskaff(&[
        "check",
        "--policy",
        BASELINE,
        "--format",
        "json",
        "--output",
        out.to_str().unwrap(),
        &f,
    ]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).is_empty());
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(report["report_version"], 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".anskaff"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file is left behind");
}

#[test]
fn set_overrides_a_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{FAILING}\n"));
    let o = anskaff(&[
        "check",
        "--policy",
        BASELINE,
        "--format",
        "json",
        "--set",
        "national_threshold=2 000 000 NOK",
        &f,
    ]);
    let report = json(&o);
    let notice = report["records"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "FOA-5-3-NOTICE")
        .unwrap()
        .clone();
    assert_eq!(notice["outcome"], "not_applicable");
    let param = report["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "national_threshold")
        .unwrap()
        .clone();
    assert_eq!(param["value"], "2 000 000 NOK");
    assert_eq!(param["overridden"], true);
}

#[test]
fn norwegian_text_report() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{FAILING}\n"));
    let o = anskaff(&["check", "--policy", BASELINE, "--lang", "nb", &f]);
    let text = stdout(&o);
    assert!(text.contains("ikke i samsvar"), "{text}");
    assert!(text.contains("Slik retter du"), "{text}");
    assert!(text.contains("Sammendrag"), "{text}");
}

#[test]
fn no_colour_when_not_a_terminal_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{FAILING}\n"));
    assert!(!stdout(&anskaff(&["check", "--policy", BASELINE, &f])).contains('\u{1b}'));
    assert!(stdout(&anskaff(&["check", "--policy", BASELINE, "--color", "always", &f])).contains('\u{1b}'));
}

#[test]
fn missing_input_file_is_an_input_error() {
    let o = anskaff(&["check", "--policy", BASELINE, "--format", "json", "examples/none.jsonl"]);
    assert_eq!(code(&o), 3);
    assert_eq!(json(&o)["input_errors"][0]["message"], "cannot open: no such file");
}

#[test]
fn the_example_run_is_deterministic_and_matches_its_snapshot() {
    let args = ["check", "--policy", "policies", "--format", "json", "examples"];
    let first = anskaff(&args);
    let second = anskaff(&args);
    assert_eq!(code(&first), 1);
    assert_eq!(first.stdout, second.stdout, "same input, same bytes");
    let one_thread = anskaff(&[
        "check",
        "--policy",
        "policies",
        "--format",
        "json",
        "--threads",
        "1",
        "examples",
    ]);
    assert_eq!(
        first.stdout, one_thread.stdout,
        "thread count does not change the report"
    );
    insta::assert_snapshot!("examples_json", stdout(&first));
}

#[test]
fn the_example_text_report_matches_its_snapshot() {
    insta::assert_snapshot!(
        "examples_text",
        stdout(&anskaff(&["check", "--policy", "policies", "examples"]))
    );
    insta::assert_snapshot!(
        "examples_text_nb",
        stdout(&anskaff(&["check", "--policy", "policies", "--lang", "nb", "examples"]))
    );
}

#[test]
fn summary_only_json_has_no_records_and_the_same_counts() {
    let full = json(&anskaff(&[
        "check", "--policy", "policies", "--format", "json", "examples",
    ]));
    let summary = json(&anskaff(&[
        "check",
        "--policy",
        "policies",
        "--format",
        "json",
        "--summary",
        "examples",
    ]));
    assert!(summary.get("records").is_none());
    assert_eq!(full["rules"], summary["rules"]);
    assert_eq!(full["summary"], summary["summary"]);
}

#[test]
fn explain_traces_one_rule_on_one_record() {
    let o = anskaff(&["check", "--policy", "policies"]);
    assert_eq!(code(&o), 2);
    let o = anskaff(&[
        "explain",
        "--policy",
        "policies",
        "--rule",
        "VIKEN-KLIMA-1",
        "--record",
        "VFK-2022-002",
        "examples/tenders.jsonl",
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    insta::assert_snapshot!("explain_text", stdout(&o));
    let o = anskaff(&[
        "explain",
        "--policy",
        "policies",
        "--rule",
        "FOA-5-3-NOTICE",
        "--record",
        "TBG-2025-008",
        "--format",
        "json",
        "examples/tenders.jsonl",
    ]);
    let e = json(&o);
    assert_eq!(e["outcome"], "unknown");
    assert_eq!(e["missing"][0], "rationale");
    assert_eq!(e["requirement"]["truth"], "unknown");
    assert_eq!(e["parameters"][0]["name"], "national_threshold");
    let o = anskaff(&[
        "explain",
        "--policy",
        "policies",
        "--rule",
        "FOA-5-4-SPLIT",
        "--record",
        "LIL-D-103",
        "--lang",
        "nb",
        "examples/direct-purchases.jsonl",
    ]);
    assert!(stdout(&o).contains("flagges sammen"), "{}", stdout(&o));
    let o = anskaff(&[
        "explain",
        "--policy",
        "policies",
        "--rule",
        "VIKEN-KLIMA",
        "examples/tenders.jsonl",
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
}
