//! What the fuzz targets share: reading bytes as each input format, loading
//! policies from several files, and checking the run's invariants.

use anskaff::finding::{Evaluated, InputError};
use anskaff::input::{InputFormat, InputSpec, Memory, ReadOptions};
use anskaff::plan::Plan;
use anskaff::report::{self, Meta, RenderOptions, ReportFormat};
use anskaff::run::{self, RunOptions};
use anskaff::syntax::ast::Lang;
use std::sync::Arc;

pub mod generate;

/// Read `bytes` as `format` and parse every item: the number of items.
/// Panics (a finding) only if the reader does.
pub fn read_all(format: InputFormat, name: &str, bytes: &[u8]) -> usize {
    let input = InputSpec::Memory(Memory {
        name: Arc::from(name),
        bytes: Arc::from(bytes),
        format: Some(format),
    });
    let options = ReadOptions {
        format: Some(format),
        ..ReadOptions::default()
    };
    let mut count = 0;
    for (source, record) in anskaff::input::records(&[input], options) {
        assert!(!source.file.is_empty());
        if let Ok(record) = record {
            // What reports print must be renderable.
            let _ = anskaff::record::canonical_json::to_json(&record);
        }
        count += 1;
    }
    count
}

/// Policy files separated by this line: the first is loaded, the others can
/// be imported as `b.policy`, `c.policy`, `d.policy`, and the fifth as the
/// organisation register `org.toml`.
pub const FILE_SEPARATOR: &str = "\n%%%%\n";

/// Write the policy files held in `text` into `dir` and load the first;
/// the plan if it loads.
pub fn load_policies(dir: &std::path::Path, text: &str) -> Option<Plan> {
    let names = ["a.policy", "b.policy", "c.policy", "d.policy", "org.toml"];
    for name in names {
        let _ = std::fs::remove_file(dir.join(name));
    }
    for (part, name) in text.split(FILE_SEPARATOR).zip(names) {
        std::fs::write(dir.join(name), part).ok()?;
    }
    let loaded = anskaff::load::load(&[dir.join("a.policy")]).ok()?;
    anskaff::check::compile(loaded, &[]).ok().map(|(plan, _)| plan)
}

/// Records and input errors of a run, in input order, and its report.
pub struct Outcome {
    pub records: Vec<Evaluated>,
    pub errors: Vec<InputError>,
    pub summary_records: u64,
    pub json: Vec<u8>,
}

/// Check canonical JSON Lines `records` against `plan` on `threads` worker
/// threads, in batches of `batch`, rendering the JSON report.
pub fn check(plan: &Plan, records: &[u8], threads: usize, batch: usize) -> Outcome {
    let input = InputSpec::Memory(Memory {
        name: Arc::from("records.jsonl"),
        bytes: Arc::from(records),
        format: Some(InputFormat::Jsonl),
    });
    let meta = Meta {
        version: "fuzz",
        lang: Lang::En,
        inputs: vec!["records.jsonl".into()],
    };
    let opts = RunOptions {
        threads,
        batch,
        read: ReadOptions {
            format: Some(InputFormat::Jsonl),
            ..ReadOptions::default()
        },
        ..RunOptions::default()
    };
    let mut json = Vec::new();
    let (records, result) = {
        let inner = report::renderer(ReportFormat::Json, Box::new(&mut json), &RenderOptions::default());
        let mut keep = report::Keep::new(inner);
        let result = run::run(plan, &[input], &opts, &meta, &mut keep).expect("writing to memory cannot fail");
        (keep.records, result)
    };
    Outcome {
        records,
        summary_records: result.summary.overall.records,
        errors: result.errors,
        json,
    }
}

/// The non-blank lines of JSON Lines text, as the reader counts them.
pub fn lines_holding_something(text: &[u8]) -> usize {
    let mut count = 0;
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = if i == 0 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        if !line.iter().all(u8::is_ascii_whitespace) {
            count += 1;
        }
    }
    count
}

/// The invariants of a run of `plan` over `records`:
/// every line is a record or an input error; every record has exactly one
/// finding per rule, in rule order; one thread and several agree byte for
/// byte, whatever the batch size.
pub fn check_invariants(plan: &Plan, records: &[u8]) {
    let one = check(plan, records, 1, 4096);
    let expected = lines_holding_something(records);
    assert_eq!(
        one.records.len() + one.errors.len(),
        expected,
        "records in ≠ records out"
    );
    assert_eq!(one.summary_records as usize, one.records.len());
    for r in &one.records {
        assert_eq!(
            r.findings.len(),
            plan.rules.len(),
            "record {}: one finding per rule",
            r.id
        );
        for (i, f) in r.findings.iter().enumerate() {
            assert_eq!(f.rule as usize, i, "record {}: findings in rule order", r.id);
        }
    }
    let mut indices: Vec<u64> = one
        .records
        .iter()
        .map(|r| r.index)
        .chain(one.errors.iter().map(|e| e.index))
        .collect();
    indices.sort_unstable();
    assert!(
        indices.iter().enumerate().all(|(i, &x)| i as u64 == x),
        "every input item once"
    );
    let many = check(plan, records, 3, 2);
    assert!(one.json == many.json, "1 thread and 3 threads disagree");
}
