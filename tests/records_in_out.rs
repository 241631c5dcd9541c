//! Records in = records out (docs/reliability.md): for every file under
//! `examples/` and `../shared/data/`, the records read plus the input
//! errors are what the file holds, counted here independently of the
//! readers; and a check run evaluates every one of them.

use anskaff::Policies;
use anskaff::input::{InputSpec, ReadOptions};
use anskaff::syntax::ast::Lang;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const SHARED: &str = "../shared/data";

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("a folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if matches!(
            p.extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("json" | "jsonl" | "xml" | "csv" | "xlsx")
        ) {
            out.push(p);
        }
    }
}

/// The JSON documents in `bytes`, back to back, read as UTF-8 or else
/// Latin-1; `None` if they are not JSON.
fn documents(bytes: &[u8]) -> Option<Vec<Value>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    };
    serde_json::Deserializer::from_str(&text)
        .into_iter::<Value>()
        .collect::<Result<Vec<_>, _>>()
        .ok()
}

/// The contracting processes (ocids) in OCDS documents: releases and
/// records, in packages, arrays, or bare.
fn ocids(doc: &Value, out: &mut BTreeSet<String>) {
    match doc {
        Value::Array(items) => items.iter().for_each(|d| ocids(d, out)),
        Value::Object(o) => {
            for list in ["releases", "records"] {
                if let Some(Value::Array(items)) = o.get(list) {
                    for item in items {
                        if let Some(ocid) = item.get("ocid").and_then(Value::as_str) {
                            out.insert(ocid.to_string());
                        }
                    }
                }
            }
            if let Some(ocid) = o.get("ocid").and_then(Value::as_str) {
                out.insert(ocid.to_string());
            }
        }
        _ => {}
    }
}

/// What a file holds, counted without anskaff's readers: notices, OCDS
/// processes, canonical records or lines. `None` where only anskaff's
/// readers can tell (tables).
fn held(path: &Path) -> Option<usize> {
    let bytes = std::fs::read(path).expect("readable");
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    if ext == "xml" {
        return Some(1);
    }
    if ext == "jsonl" {
        let lines: Vec<&[u8]> = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
            .collect();
        let mut processes = BTreeSet::new();
        for line in &lines {
            if let Ok(v) = serde_json::from_slice::<Value>(line) {
                ocids(&v, &mut processes);
            }
        }
        return Some(if processes.is_empty() {
            lines.len()
        } else {
            processes.len()
        });
    }
    if ext != "json" {
        return None;
    }
    let docs = documents(&bytes)?;
    let mut processes = BTreeSet::new();
    docs.iter().for_each(|d| ocids(d, &mut processes));
    if !processes.is_empty() {
        return Some(processes.len());
    }
    Some(
        docs.iter()
            .map(|d| match d {
                Value::Array(items) => items.len(),
                Value::Object(o) => match o.get("records") {
                    Some(Value::Array(items)) => items.len(),
                    _ => 1,
                },
                _ => 1,
            })
            .sum(),
    )
}

fn read_items(input: InputSpec) -> usize {
    anskaff::input::records(&[input], ReadOptions::default()).count()
}

fn roots() -> Vec<PathBuf> {
    let mut roots = vec![PathBuf::from("examples")];
    if Path::new(SHARED).is_dir() {
        roots.push(PathBuf::from(SHARED));
    } else {
        eprintln!("note: {SHARED} is absent; only examples/ is counted");
    }
    roots
}

#[test]
fn every_file_gives_a_record_or_an_input_error_for_each_thing_it_holds() {
    let mut paths = Vec::new();
    for root in roots() {
        files(&root, &mut paths);
    }
    assert!(paths.len() > 3);
    let mut differ = Vec::new();
    for path in &paths {
        let items = read_items(InputSpec::Path(path.clone()));
        match held(path) {
            Some(expected) if expected != items => {
                differ.push(format!("{}: holds {expected}, read {items}", path.display()))
            }
            // Tables, and JSON that is not JSON: at least the input error.
            None => assert!(items >= 1, "{}: nothing read", path.display()),
            _ => {}
        }
    }
    assert!(differ.is_empty(), "{} files:\n{}", differ.len(), differ.join("\n"));
}

/// A check run over whole folders evaluates every item the readers give:
/// records evaluated + input errors = items read.
#[test]
fn a_check_run_evaluates_every_item_it_reads() {
    let p = Policies::load(&["policies".into()], &[]).expect("the bundled policies load");
    for root in roots() {
        let items = read_items(InputSpec::Path(root.clone()));
        let checked = p.check(&[InputSpec::Path(root.clone())], Lang::En).expect("runs");
        assert_eq!(
            checked.records.len() + checked.errors.len(),
            items,
            "{}",
            root.display()
        );
        assert_eq!(checked.summary.overall.records as usize, checked.records.len());
        assert_eq!(checked.summary.input_errors as usize, checked.errors.len());
        for r in &checked.records {
            assert_eq!(r.findings.len(), p.plan.rules.len(), "{}: one finding per rule", r.id);
        }
    }
}
