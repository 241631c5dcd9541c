//! The same records give the same report whatever the number of threads,
//! and the summary-only run (one pass, cross-record findings deferred)
//! counts exactly what the full report (two passes) counts.

use anskaff::input::InputSpec;
use anskaff::report::{Meta, RenderOptions, ReportFormat, renderer};
use anskaff::run::{RunOptions, run};
use anskaff::syntax::ast::Lang;
use serde_json::Value;
use std::path::PathBuf;

fn generated(count: u64) -> tempfile::NamedTempFile {
    let mut file = tempfile::Builder::new()
        .suffix(".jsonl")
        .tempfile()
        .expect("a temporary file");
    let mut text = Vec::new();
    anskaff::generate::write_records(count, 7, &mut text).expect("write the records");
    // Some ids twice (a data-quality warning on the later record), one of
    // them with a warning of its own already.
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').filter(|l| !l.is_empty()).collect();
    let mut again: Vec<u8> = lines
        .iter()
        .step_by(97)
        .flat_map(|l| [l, &b"\n"[..]].concat())
        .collect();
    again.extend_from_slice(br#"{"id": "G-00000003", "framework": "maybe"}"#);
    again.push(b'\n');
    use std::io::Write;
    file.write_all(&text).expect("write");
    file.write_all(&again).expect("write");
    file
}

/// The JSON report of the Viken policy (with the baseline's splitting rules)
/// over `input`.
fn report(input: &std::path::Path, threads: usize, summary_only: bool) -> Value {
    let policies = anskaff::Policies::load(&[PathBuf::from("policies/viken")], &[]).expect("the policy loads");
    let mut out = Vec::new();
    {
        let options = RenderOptions {
            summary_only,
            ..RenderOptions::default()
        };
        let mut r = renderer(ReportFormat::Json, Box::new(&mut out), &options);
        let opts = RunOptions {
            threads,
            batch: 1000,
            messages: !summary_only,
            read: policies.read_options(),
            ..RunOptions::default()
        };
        let meta = Meta {
            version: "test",
            lang: Lang::En,
            inputs: vec!["generated".into()],
        };
        run(
            &policies.plan,
            &[InputSpec::Path(input.to_path_buf())],
            &opts,
            &meta,
            r.as_mut(),
        )
        .expect("the run");
    }
    serde_json::from_slice(&out).expect("a JSON report")
}

#[test]
fn thread_counts_and_the_summary_only_run_agree() {
    let input = generated(6_000);
    let one = report(input.path(), 1, true);
    let four = report(input.path(), 4, true);
    assert_eq!(one, four, "1 thread and 4 threads");
    let full = report(input.path(), 3, false);
    assert!(full["summary"].is_object(), "no summary");
    for part in ["summary", "rules"] {
        assert_eq!(
            one[part], full[part],
            "`{part}` of the summary-only and the full report"
        );
    }
    let records = full["records"].as_array().expect("records");
    assert_eq!(
        records.len(),
        6_000 + 6_000usize.div_ceil(97) + 1,
        "every record is in the full report"
    );
    assert!(full["summary"]["records_with_warnings"].as_u64().unwrap_or(0) > 60);
    // The generated records exercise every outcome, cross-record ones too.
    let rules = full["rules"].as_array().expect("rules");
    for outcome in ["pass", "fail", "unknown", "waived", "not_applicable"] {
        assert!(
            rules.iter().any(|r| r["counts"][outcome].as_u64().unwrap_or(0) > 0),
            "no rule had `{outcome}`"
        );
    }
    let split = rules
        .iter()
        .find(|r| r["id"] == "FOA-5-4-SPLIT")
        .expect("the splitting rule");
    assert!(split["counts"]["fail"].as_u64().unwrap_or(0) > 0, "{split}");
}
