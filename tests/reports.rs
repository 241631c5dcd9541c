//! The report formats for people and tools: HTML, Markdown, JUnit, CSV,
//! the comparison with a baseline, the strategy listing (`anskaff rules`)
//! and the guidance for planned tenders.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

fn anskaff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(args)
        .output()
        .expect("anskaff runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("written");
    path.display().to_string()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The example run of the README in `format` and `lang`.
fn example(format: &str, lang: &str) -> Output {
    let o = anskaff(&[
        "check", "--policy", "policies", "--format", format, "--lang", lang, "examples",
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    o
}

const BASELINE_POLICY: &str = "policies/no/anskaffelsesforskriften.policy";

fn record(id: &str, procedure: &str, amount: &str) -> String {
    format!(
        r#"{{"id": "{id}", "buyer": {{"id": "1", "kind": "municipal"}}, "date": "2024-05-01", "category": "services", "cpv": ["79000000"], "procedure": "{procedure}", "estimated_value": {{"amount": "{amount}", "currency": "NOK"}}, "rationale": "", "award_criteria": [{{"name": "Miljø", "type": "environment", "weight": 30}}]}}"#
    )
}

/// A non-compliant record whose texts try to break out of every format.
const HOSTILE: &str = r#"{"id": "=cmd|' /C calc'!A0", "title": "<script>alert(\"x\")</script> & 'quoted' | *bold* Ærlig", "buyer": {"id": "1", "name": "Kommune \"<b>\" & 'co'", "kind": "municipal"}, "date": "2024-05-01", "category": "services", "cpv": ["79000000"], "procedure": "direct", "estimated_value": {"amount": "1300000", "currency": "NOK"}, "rationale": "", "award_criteria": [{"name": "Miljø", "type": "environment", "weight": 30}]}"#;

#[test]
fn every_format_of_the_example_run_matches_its_snapshot_in_both_languages() {
    for format in ["html", "markdown", "junit", "csv"] {
        for lang in ["en", "nb"] {
            let o = example(format, lang);
            insta::assert_snapshot!(format!("examples_{format}_{lang}"), stdout(&o));
        }
    }
}

#[test]
fn reports_are_deterministic_whatever_the_thread_count() {
    for format in ["html", "markdown", "junit", "csv"] {
        let args = ["check", "--policy", "policies", "--format", format, "examples"];
        let first = anskaff(&args);
        let second = anskaff(&args);
        let mut one = args.to_vec();
        one.extend(["--threads", "1"]);
        let single = anskaff(&one);
        assert_eq!(first.stdout, second.stdout, "{format}: same input, same bytes");
        assert_eq!(first.stdout, single.stdout, "{format}: thread count changes nothing");
    }
}

#[test]
fn html_is_norwegian_by_default_and_english_when_asked() {
    let nb = stdout(&anskaff(&[
        "check", "--policy", "policies", "--format", "html", "examples",
    ]));
    assert!(nb.contains("<html lang=\"nb\">"));
    assert!(nb.contains("Hovedtall"));
    assert!(
        nb.contains("Alle kjøretøy skal gå på fossilfritt drivstoff"),
        "rule titles in nb"
    );
    let en = stdout(&example("html", "en"));
    assert!(en.contains("<html lang=\"en\">"));
    assert!(en.contains("All vehicles must run on fossil-free fuel"));
    // Other formats stay English by default.
    let md = stdout(&anskaff(&[
        "check", "--policy", "policies", "--format", "markdown", "examples",
    ]));
    assert!(md.contains("## Key figures"));
    let text = stdout(&anskaff(&["check", "--policy", "policies", "examples"]));
    assert!(text.contains("Summary"));
}

#[test]
fn html_is_self_contained_accessible_and_printable() {
    let html = stdout(&example("html", "nb"));
    for forbidden in [
        "<script",
        "<link rel=\"stylesheet\"",
        "<img",
        "@import",
        "url(http",
        "<iframe",
    ] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    for attr in ["src=\"", "href=\""] {
        for (i, _) in html.match_indices(attr) {
            let value = &html[i + attr.len()..];
            assert!(
                value.starts_with('#') || value.starts_with("data:"),
                "{attr}{}",
                &value[..value.len().min(40)]
            );
        }
    }
    assert!(html.contains("@media print") && html.contains("break-inside: avoid") && html.contains("size: A4"));
    assert!(html.contains("<h1>") && html.contains("<h2 ") && html.contains("<h3>"));
    // Every chart is an image with a name and a description, followed by
    // its numbers.
    let charts = html.matches("<svg class=\"chart\" role=\"img\"").count();
    assert!(charts >= 10, "{charts} charts");
    assert_eq!(charts, html.matches("aria-labelledby=\"fig").count());
    assert_eq!(charts, html.matches("<desc id=\"fig").count());
    // One chart per strategy area.
    let report = json(&example("json", "nb"));
    for area in report["summary"]["areas"].as_array().expect("areas") {
        let id = area["id"].as_str().expect("area id");
        assert_eq!(html.matches(&format!("data-area=\"{id}\"")).count(), 1, "{id}");
    }
    assert!(html.contains("ingen kodede regler"), "the innovation area has no rules");
    // Headline figures.
    assert!(html.contains("66,3 %") && html.contains("57 av 86"), "share of records");
    assert!(
        html.contains("60,1 %") && html.contains("541 360 001 NOK"),
        "share of spend in NOK"
    );
    assert!(html.contains("17,4 %"), "incomplete");
}

#[test]
fn values_from_records_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "r.jsonl", &format!("{HOSTILE}\n"));
    let run = |format: &str| anskaff(&["check", "--policy", BASELINE_POLICY, "--format", format, &f]);
    let html = stdout(&run("html"));
    assert!(!html.contains("<script>"), "{html}");
    assert!(!html.contains("<b>"));
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39; | *bold* Ærlig"));
    assert!(html.contains("Kommune &quot;&lt;b&gt;&quot; &amp; &#39;co&#39;"));
    assert!(html.contains("=cmd|&#39; /C calc&#39;!A0"));
    let md = stdout(&run("markdown"));
    assert!(!md.contains("<script>") && !md.contains("<b>"));
    assert!(md.contains("\\<script\\>alert(\"x\")\\</script\\> \\& 'quoted' \\| \\*bold\\* Ærlig"));
    let xml = stdout(&run("junit"));
    assert!(xml.contains("name=\"=cmd|&apos; /C calc&apos;!A0 · FOA-5-3-NOTICE\""));
    junit_structure(&xml);
    // The library's escape function itself.
    assert_eq!(
        anskaff::report::html::escape("<script>\"'&"),
        "&lt;script&gt;&quot;&#39;&amp;"
    );
}

/// Parse a JUnit report; check its structure and that the counts in the
/// attributes are the elements under them. Returns (tests, failures,
/// skipped) and the suites' names.
fn junit_structure(xml: &str) -> ((u64, u64, u64), Vec<String>) {
    use quick_xml::events::{BytesStart, Event};
    fn attrs(e: &BytesStart) -> HashMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.expect("attribute");
                (
                    a.key.as_ref().to_string(),
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .expect("value")
                        .into_owned(),
                )
            })
            .collect()
    }
    let count = |a: &HashMap<String, String>, k: &str| -> u64 {
        a.get(k)
            .unwrap_or_else(|| panic!("attribute {k}"))
            .parse()
            .expect("a count")
    };
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut root = None;
    let mut suites = Vec::new();
    // Per suite: declared (tests, failures, skipped) and found.
    let mut declared = (0, 0, 0);
    let mut found = (0, 0, 0);
    let mut totals = (0, 0, 0);
    let mut names = Vec::new();
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (e, empty) = match &event {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::End(_) => {
                if stack.pop().as_deref() == Some("testsuite") {
                    assert_eq!(declared, found, "suite counts");
                    suites.push(found);
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        let name = e.name().as_ref().to_string();
        let parent = stack.last().cloned();
        let a = attrs(&e);
        match name.as_str() {
            "testsuites" => {
                assert!(parent.is_none(), "testsuites is the root");
                assert_eq!(count(&a, "errors"), 0);
                root = Some((count(&a, "tests"), count(&a, "failures"), count(&a, "skipped")));
            }
            "testsuite" => {
                assert_eq!(parent.as_deref(), Some("testsuites"));
                assert_eq!(count(&a, "errors"), 0);
                names.push(a["name"].clone());
                declared = (count(&a, "tests"), count(&a, "failures"), count(&a, "skipped"));
                found = (0, 0, 0);
            }
            "testcase" => {
                assert_eq!(parent.as_deref(), Some("testsuite"));
                assert!(a.contains_key("name") && a.contains_key("classname"));
                assert_eq!(&a["classname"], names.last().expect("a suite"));
                assert!(a["name"].contains(" · "), "{}", a["name"]);
                found.0 += 1;
                totals.0 += 1;
            }
            "failure" => {
                assert_eq!(parent.as_deref(), Some("testcase"));
                assert!(a.contains_key("message"));
                assert!(matches!(a["type"].as_str(), "must" | "should"), "{:?}", a);
                found.1 += 1;
                totals.1 += 1;
            }
            "skipped" => {
                assert_eq!(parent.as_deref(), Some("testcase"));
                assert!(!a["message"].is_empty());
                found.2 += 1;
                totals.2 += 1;
            }
            other => panic!("unexpected element <{other}>"),
        }
        if !empty {
            stack.push(name);
        }
    }
    assert!(stack.is_empty());
    assert_eq!(root, Some(totals), "the root's counts are the sums");
    (totals, names)
}

#[test]
fn junit_has_a_suite_per_policy_and_a_case_per_applicable_finding() {
    let xml = stdout(&example("junit", "en"));
    let ((tests, failures, skipped), suites) = junit_structure(&xml);
    let report = json(&example("json", "en"));
    let policies: Vec<&str> = report["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .map(|p| p["id"].as_str().expect("id"))
        .collect();
    assert_eq!(suites, policies);
    let sum = |outcome: &str| -> u64 {
        report["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["counts"][outcome].as_u64().expect("count"))
            .sum()
    };
    assert_eq!(tests, sum("pass") + sum("fail") + sum("unknown") + sum("waived"));
    assert_eq!(failures, sum("fail"));
    assert_eq!(skipped, sum("unknown") + sum("waived"));
    assert!(xml.contains("<skipped message=\"Waived: "), "a waiver says why");
}

#[test]
fn csv_round_trips_with_a_row_per_record_and_rule() {
    let o = example("csv", "nb");
    let report = json(&example("json", "nb"));
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_string).collect();
    assert_eq!(
        header,
        [
            "record", "source", "rule", "severity", "outcome", "value", "currency", "message", "rule_for"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let records = report["records"].as_array().expect("records");
    let findings: Vec<(&serde_json::Value, &serde_json::Value)> = records
        .iter()
        .flat_map(|r| r["findings"].as_array().expect("findings").iter().map(move |f| (r, f)))
        .collect();
    assert_eq!(rows.len(), findings.len());
    for (row, (r, f)) in rows.iter().zip(&findings) {
        assert_eq!(&row[0], r["id"].as_str().unwrap());
        assert_eq!(&row[2], f["rule"].as_str().unwrap());
        assert_eq!(&row[3], f["severity"].as_str().unwrap());
        assert_eq!(&row[4], f["outcome"].as_str().unwrap());
        assert_eq!(&row[5], r["value"]["amount"].as_str().unwrap_or(""));
        assert_eq!(&row[6], r["value"]["currency"].as_str().unwrap_or(""));
        assert_eq!(&row[7], f["message"].as_str().unwrap(), "Norwegian text survives");
        // Whose rule it is, where the JSON report has the parties' keys.
        assert_eq!(row[8].is_empty(), f.get("for").is_none(), "{row:?}");
    }
    assert!(rows.iter().any(|r| r[7].contains('ø')));
    assert!(rows.iter().any(|r| &r[8] == "Steinkjer kommune"));
}

#[test]
fn csv_neutralises_formulas_but_keeps_amounts_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let negative = record("-minus", "below_threshold", "-400000");
    let f = write(dir.path(), "r.jsonl", &format!("{HOSTILE}\n{negative}\n"));
    let o = anskaff(&["check", "--policy", BASELINE_POLICY, "--format", "csv", "--bom", &f]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(o.stdout.starts_with("\u{FEFF}record,".as_bytes()), "byte-order mark");
    let body = &o.stdout["\u{FEFF}".len()..];
    let mut reader = csv::Reader::from_reader(body);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if i == 5 {
                continue;
            }
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "column {i} starts a formula: {cell}"
            );
        }
    }
    let hostile: Vec<_> = rows.iter().filter(|r| r[0].starts_with("'=cmd")).collect();
    assert_eq!(hostile.len(), 7, "one row per rule");
    assert_eq!(&hostile[0][0], "'=cmd|' /C calc'!A0");
    let minus: Vec<_> = rows.iter().filter(|r| &r[0] == "'-minus").collect();
    assert_eq!(minus.len(), 7);
    for row in minus {
        // A negative amount is refused when the record is read (a warning,
        // the value missing), so no `-` number reaches the report.
        assert_eq!(&row[5], "", "a negative amount is not a value");
    }
    // --bom is for CSV only; --summary does not apply to per-record formats.
    let o = anskaff(&["check", "--policy", BASELINE_POLICY, "--format", "json", "--bom", &f]);
    assert_eq!(code(&o), 2);
    let o = anskaff(&["check", "--policy", BASELINE_POLICY, "--format", "csv", "--summary", &f]);
    assert_eq!(code(&o), 2);
}

/// Records plus input errors in the CSV report are all the input held: a
/// broken line is a row, not a silent gap.
#[test]
fn csv_lists_input_errors_after_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let good = record("ok-1", "open", "400000");
    let f = write(dir.path(), "r.jsonl", &format!("{good}\n{{broken\n\"=a string\"\n"));
    for grouped in [false, true] {
        let mut args = vec!["check", "--policy", BASELINE_POLICY, "--format", "csv"];
        if grouped {
            args.extend(["--group-by", "buyer"]);
        }
        args.push(&f);
        let o = anskaff(&args);
        assert_eq!(code(&o), 3, "{}", stderr(&o));
        let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
        let header = reader.headers().expect("a header").clone();
        let outcome = header.iter().position(|h| h == "outcome").expect("outcome");
        let source = header.iter().position(|h| h == "source").expect("source");
        let message = header.iter().position(|h| h == "message").expect("message");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        let errors: Vec<_> = rows.iter().filter(|r| &r[outcome] == "input_error").collect();
        assert_eq!(errors.len(), 2, "{rows:?}");
        assert!(errors[0][source].ends_with("r.jsonl:2"), "{:?}", errors[0]);
        assert!(errors[1][source].ends_with("r.jsonl:3"), "{:?}", errors[1]);
        assert!(!errors[0][message].is_empty());
        assert!(errors.iter().all(|r| r.len() == header.len()));
        // After every record's rows.
        let first_error = rows.iter().position(|r| &r[outcome] == "input_error").unwrap_or(0);
        assert!(rows[first_error..].iter().all(|r| &r[outcome] == "input_error"));
    }
}

#[test]
fn a_baseline_shows_what_is_new_fixed_and_still_failing() {
    let dir = tempfile::tempdir().unwrap();
    let policy = BASELINE_POLICY;
    // Before: `a` fails (direct award above the threshold), `b` complies,
    // `c` fails.
    let before = write(
        dir.path(),
        "before.jsonl",
        &[
            record("a", "direct", "1300000"),
            record("b", "open", "1300000"),
            record("c", "direct", "1300000"),
        ]
        .join("\n"),
    );
    let o = anskaff(&[
        "check",
        "--policy",
        policy,
        "--format",
        "json",
        "--output",
        &dir.path().join("before.json").display().to_string(),
        &before,
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let baseline = dir.path().join("before.json").display().to_string();
    // After: `a` is fixed, `b` now fails, `c` still fails, `d` is new and fails.
    let after = write(
        dir.path(),
        "after.jsonl",
        &[
            record("a", "open", "1300000"),
            record("b", "direct", "1300000"),
            record("c", "direct", "1300000"),
            record("d", "direct", "1300000"),
        ]
        .join("\n"),
    );
    let o = anskaff(&[
        "check",
        "--policy",
        policy,
        "--format",
        "json",
        "--baseline",
        &baseline,
        &after,
    ]);
    assert_eq!(code(&o), 1);
    let report = json(&o);
    let pairs = |key: &str| -> Vec<(String, String)> {
        report["baseline"][key]
            .as_array()
            .unwrap_or_else(|| panic!("{key}"))
            .iter()
            .map(|c| {
                (
                    c["record"].as_str().unwrap().to_string(),
                    c["rule"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let notice = "FOA-5-3-NOTICE".to_string();
    assert_eq!(report["baseline"]["file"], baseline.as_str());
    assert_eq!(
        pairs("new"),
        [("b".to_string(), notice.clone()), ("d".to_string(), notice.clone())]
    );
    assert_eq!(pairs("fixed"), [("a".to_string(), notice.clone())]);
    assert_eq!(pairs("still"), [("c".to_string(), notice.clone())]);
    assert_eq!(report["report_version"], 1);
    // The text report prints the three sections.
    let o = anskaff(&["check", "--policy", policy, "--baseline", &baseline, &after]);
    let text = stdout(&o);
    assert!(
        text.contains(&format!("Compared with {baseline}: 2 new, 1 fixed, 1 still failing")),
        "{text}"
    );
    assert!(
        text.contains("  New (2)\n    b  FOA-5-3-NOTICE  fail\n    d  FOA-5-3-NOTICE  fail\n"),
        "{text}"
    );
    assert!(text.contains("  Fixed (1)\n    a  FOA-5-3-NOTICE\n"), "{text}");
    assert!(
        text.contains("  Still failing (1)\n    c  FOA-5-3-NOTICE  fail\n"),
        "{text}"
    );
    // --fail-on-new: only new failures count.
    let o = anskaff(&[
        "check",
        "--policy",
        policy,
        "--baseline",
        &baseline,
        "--fail-on-new",
        &after,
    ]);
    assert_eq!(code(&o), 1);
    let only_still = write(dir.path(), "still.jsonl", &record("c", "direct", "1300000"));
    let o = anskaff(&[
        "check",
        "--policy",
        policy,
        "--baseline",
        &baseline,
        "--fail-on-new",
        &only_still,
    ]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    let o = anskaff(&["check", "--policy", policy, "--baseline", &baseline, &only_still]);
    assert_eq!(code(&o), 1, "without --fail-on-new every failure counts");
    // The HTML and Markdown reports show the changes too.
    let md = stdout(&anskaff(&[
        "check",
        "--policy",
        policy,
        "--format",
        "markdown",
        "--baseline",
        &baseline,
        &after,
    ]));
    assert!(md.contains("## Changes since the earlier report"), "{md}");
    // --fail-on-new needs a baseline.
    assert_eq!(
        code(&anskaff(&["check", "--policy", policy, "--fail-on-new", &after])),
        2
    );
}

#[test]
fn a_baseline_that_is_not_a_json_report_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let records = write(dir.path(), "r.jsonl", &record("a", "direct", "1300000"));
    let cases = [
        ("text.txt", "✗ a  non-compliant\n", "is not an anskaff JSON report"),
        ("other.json", r#"{"hello": "world"}"#, "no `report_version`"),
        ("v2.json", r#"{"report_version": 2, "records": []}"#, "report_version 2"),
        ("summary.json", r#"{"report_version": 1, "summary": {}}"#, "--summary"),
    ];
    for (name, text, why) in cases {
        let file = write(dir.path(), name, text);
        let o = anskaff(&["check", "--policy", BASELINE_POLICY, "--baseline", &file, &records]);
        assert_eq!(code(&o), 2, "{name}");
        assert!(stderr(&o).contains(why), "{name}: {}", stderr(&o));
        assert!(o.stdout.is_empty(), "nothing was checked");
    }
    let o = anskaff(&[
        "check",
        "--policy",
        BASELINE_POLICY,
        "--baseline",
        "no/such/file.json",
        &records,
    ]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("cannot read the baseline"));
}

#[test]
fn a_planned_tender_gets_what_to_do_for_every_rule_that_applies() {
    let o = anskaff(&["check", "--policy", "policies", "examples/tenders.jsonl"]);
    let text = stdout(&o);
    let block: String = text
        .split("\n\n")
        .find(|b| b.contains("VFK-2023-013"))
        .expect("the planned canteen tender")
        .to_string();
    assert!(
        block.contains("Planned tender: what the rules that apply require"),
        "{block}"
    );
    assert!(block.contains("→ Fill in: `procedure`, `rationale`"), "{block}");
    assert!(
        block.contains("Rule: procedure not in unannounced or rationale != \"\""),
        "{block}"
    );
    // A rule that passes is listed with its requirement.
    let block: String = text
        .split("\n\n")
        .find(|b| b.contains("VFK-2023-006"))
        .expect("the planned cleaning tender")
        .to_string();
    assert!(block.contains("→ Requirement:"), "{block}");
    assert!(
        !block.contains("not applicable"),
        "rules that do not apply are left out"
    );
    // A record that is not planned lists only what needs attention.
    let block: String = text
        .split("\n\n")
        .find(|b| b.contains("VFK-2022-002"))
        .expect("an awarded tender")
        .to_string();
    assert!(!block.contains("Planned tender") && !block.contains("→ Requirement:"));
}

#[test]
fn rules_lists_the_strategy_with_areas_that_have_no_rules() {
    let o = anskaff(&["rules", "--policy", "policies"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("innovation"));
    assert!(text.contains("rules: no encoded rules"), "{text}");
    insta::assert_snapshot!("rules_text_en", text);
    let o = anskaff(&["rules", "--policy", "policies", "--format", "markdown", "--lang", "nb"]);
    assert_eq!(code(&o), 0);
    insta::assert_snapshot!("rules_markdown_nb", stdout(&o));
    let o = anskaff(&["rules", "--policy", "policies", "--format", "html"]);
    let html = stdout(&o);
    assert!(html.contains("<html lang=\"nb\">") && html.contains("ingen kodede regler"));
    let o = anskaff(&["rules", "--policy", "policies", "--format", "json"]);
    let doc = json(&o);
    let areas = doc["areas"].as_array().expect("areas");
    let innovation = areas.iter().find(|a| a["id"] == "innovation").expect("innovation");
    assert_eq!(innovation["rules"].as_array().map(Vec::len), Some(0));
    assert_eq!(doc["rules"].as_array().map(Vec::len), Some(19));
    let rule = &doc["rules"][0];
    for key in ["id", "title", "area", "severity", "basis", "in_force", "policy"] {
        assert!(rule.get(key).is_some(), "{key}");
    }
    assert!(doc["parameters"][0]["title"]["nb"].is_string());
    // A parameter set on the command line shows its value and that it was set.
    let o = anskaff(&["rules", "--policy", "policies", "--set", "lcc_threshold=5 000 000 NOK"]);
    assert!(stdout(&o).contains("5 000 000 NOK (set with --set)"), "{}", stdout(&o));
}

/// Texts a policy author writes (titles, basis, messages, advice, area
/// names) and record values a message quotes are escaped in HTML like
/// record fields; in CSV every text cell that starts a formula is
/// neutralised, the file name in `source` included.
#[test]
fn policy_texts_and_quoted_record_values_are_escaped_and_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let policy = write(
        dir.path(),
        "hostile.policy",
        r#"policy hostile { title en "<script>alert('policy')</script>" authority "\"><img src=x onerror=alert(1)>" }
area klima { title en "Klima \" onmouseover=\"alert(2)" description en "<iframe>" }
rule XSS-1 {
  title en "<script>alert('rule')</script> \"quoted\""
  area klima
  severity must
  basis "<a href=\"javascript:alert(3)\">§</a>"
  require procedure == "open"
  message en "{title} from {supplier.name} <b>\"bold\"</b>"
  advice en "=HYPERLINK(\"http://evil\") & <style>"
}
"#,
    );
    // Ids are trimmed; titles are not, and the message starts with one.
    let records = [
        r#"{"id": "+ID", "title": "\t=1+1 <script>alert(\"t\")</script>", "supplier": {"name": "Evil \"' onload=\"x"}, "procedure": "direct", "estimated_value": {"amount": "5", "currency": "NOK"}}"#,
        r#"{"id": "-ID", "title": "\r+cmd", "supplier": {"name": "-2+3"}, "procedure": "direct"}"#,
        r#"{"id": "@ID", "title": "=1+1", "supplier": {"name": "@x"}, "procedure": "direct"}"#,
    ];
    write(dir.path(), "=evil.jsonl", &(records.join("\n") + "\n"));
    // Named relative to where anskaff runs, so that `source` starts with `=`.
    let run = |format: &str| {
        Command::new(env!("CARGO_BIN_EXE_anskaff"))
            .args([
                "check",
                "--policy",
                &policy,
                "--format",
                format,
                "--lang",
                "en",
                "=evil.jsonl",
            ])
            .current_dir(dir.path())
            .output()
            .expect("anskaff runs")
    };

    let html = stdout(&run("html"));
    for raw in [
        "<script",
        "<img",
        "<iframe",
        "href=\"javascript",
        "<b>",
        "onmouseover=\"",
        "onload=\"",
    ] {
        assert!(!html.contains(raw), "unescaped {raw}");
    }
    assert_eq!(html.matches("<style").count(), 1, "only the page's own style sheet");
    assert!(html.contains("&lt;script&gt;alert(&#39;rule&#39;)&lt;/script&gt; &quot;quoted&quot;"));
    assert!(html.contains("Klima &quot; onmouseover=&quot;alert(2)"));
    let md = stdout(&run("markdown"));
    // Markdown's own line breaks aside, every `<` is escaped, so no tag is.
    let md = md.replace("<br>", "");
    assert!(md.match_indices('<').all(|(i, _)| md[..i].ends_with('\\')), "{md}");

    let o = run("csv");
    let mut reader = csv::Reader::from_reader(o.stdout.as_slice());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if i != 5 {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                    "column {i}: {cell:?}"
                );
            }
        }
        assert!(row[1].starts_with("'="), "the source names the file: {:?}", &row[1]);
    }
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, ["'+ID", "'-ID", "'@ID"]);
    let messages: Vec<&str> = rows.iter().map(|r| &r[7]).collect();
    assert!(messages[0].starts_with("'\t=1+1 <script>"), "{messages:?}");
    assert!(messages[1].starts_with("'\r+cmd from -2+3"), "{messages:?}");
    assert!(messages[2].starts_with("'=1+1 from @x"), "{messages:?}");
}
