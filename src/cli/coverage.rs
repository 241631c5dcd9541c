//! `anskaff coverage`: how many records have each canonical field, so that
//! nobody mistakes missing data for compliance.

use super::{InputArgs, exit};
use crate::coverage::Coverage;
use crate::input::{InputSpec, records};
use crate::schema::FIELDS;
use clap::{Args, ValueEnum};
use std::io::{self, Write};

#[derive(Args, Debug)]
pub struct CoverageArgs {
    /// Input files or directories; `-` reads JSONL from stdin
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    input: InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn coverage(args: CoverageArgs) -> u8 {
    let read = match args.input.options() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let inputs: Vec<InputSpec> = args.inputs.iter().map(|i| InputSpec::parse(i)).collect();
    let mut coverage = Coverage::new();
    let mut errors = Vec::new();
    for (source, record) in records(&inputs, read) {
        match record {
            Ok(r) => coverage.add(&r),
            Err(e) => errors.push(format!("{}: {e}", source.display())),
        }
    }
    let text = match args.format {
        Format::Text => text(&coverage, &errors),
        Format::Json => json(&coverage, &errors),
    };
    match io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    }
    if errors.is_empty() { exit::OK } else { exit::INPUT }
}

fn text(c: &Coverage, errors: &[String]) -> String {
    let mut out = format!("{} records, {} input errors\n\n", c.records, errors.len());
    let width = FIELDS.iter().map(|f| f.path.len()).max().unwrap_or(0);
    out.push_str(&format!(
        "{:width$}  {:>8}  {:>6}  {:>8}\n",
        "field", "records", "share", "warnings"
    ));
    for (i, f) in FIELDS.iter().enumerate() {
        let warnings = c.warnings.get(f.path).copied().unwrap_or(0);
        out.push_str(&format!(
            "{:width$}  {:>8}  {:>5.1}%  {:>8}\n",
            f.path,
            c.present[i],
            c.share(i),
            warnings
        ));
    }
    let other: Vec<_> = c
        .warnings
        .iter()
        .filter(|(k, _)| !FIELDS.iter().any(|f| f.path == k.as_str()))
        .collect();
    if !other.is_empty() {
        out.push_str("\nother warnings:\n");
        for (k, n) in other {
            out.push_str(&format!("  {k}: {n}\n"));
        }
    }
    for e in errors {
        out.push_str(&format!("input error: {e}\n"));
    }
    out
}

fn json(c: &Coverage, errors: &[String]) -> String {
    let fields: Vec<serde_json::Value> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, f)| {
            serde_json::json!({
                "field": f.path,
                "records": c.present[i],
                "warnings": c.warnings.get(f.path).copied().unwrap_or(0),
            })
        })
        .collect();
    let value = serde_json::json!({
        "records": c.records,
        "input_errors": errors,
        "fields": fields,
        "warnings": c.warnings,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
}
