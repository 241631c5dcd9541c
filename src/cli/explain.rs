//! `anskaff explain`: the trace of one rule on one record.

use super::{InputArgs, LangArg, exit, load_plan, parse_set};
use crate::explain::{explain, render_text};
use crate::input::{InputSpec, records};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Policy files or directories
    #[arg(long, short, required = true, value_name = "FILE|DIR")]
    policy: Vec<PathBuf>,
    /// The rule to explain
    #[arg(long, value_name = "ID")]
    rule: String,
    /// The record to explain (default: the only record in the input)
    #[arg(long, value_name = "ID")]
    record: Option<String>,
    /// The file holding the record (and, for a cross-record rule, the others)
    #[arg(value_name = "RECORDS")]
    input: String,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Language of messages and labels
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
    /// Override a policy parameter
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    sets: Vec<(String, String)>,
    #[command(flatten)]
    read: InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: ExplainArgs) -> u8 {
    let Some(plan) = load_plan(&args.policy, &args.sets) else {
        return exit::USAGE;
    };
    let Some(rid) = plan.rule_index(&args.rule) else {
        let hint = crate::diag::did_you_mean(&args.rule, plan.rules.iter().map(|r| r.id.as_str()))
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        eprintln!("error: no rule `{}` in the loaded policies{hint}", args.rule);
        return exit::USAGE;
    };
    let read = match args.read.options_for(&plan.extras) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let inputs = vec![InputSpec::parse(&args.input)];
    let mut found = None;
    let mut count = 0;
    for (source, record) in records(&inputs, read.clone()) {
        let Ok(record) = record else { continue };
        count += 1;
        let wanted = match &args.record {
            Some(id) => record.id.as_deref() == Some(id.as_str()),
            None => true,
        };
        if wanted && found.is_none() {
            found = Some((source, record));
        }
    }
    let Some((_, record)) = found else {
        match &args.record {
            Some(id) => eprintln!("error: no record `{id}` in `{}`", args.input),
            None => eprintln!("error: no record in `{}`", args.input),
        }
        return exit::INPUT;
    };
    if args.record.is_none() && count > 1 {
        eprintln!(
            "error: `{}` holds {count} records; name one with --record ID",
            args.input
        );
        return exit::USAGE;
    }
    let lang = args.lang.into();
    // A cross-record rule is decided over all the records of the input.
    let decided = if plan.rules[rid as usize].is_cross() {
        let policies = crate::Policies {
            plan,
            warnings: String::new(),
        };
        let checked = match policies.check_with(&inputs, lang, read) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return exit::INPUT;
            }
        };
        let id = record.id.clone().unwrap_or_default();
        let finding = checked.record(&id).and_then(|r| r.finding(rid)).cloned();
        let explanation = explain(&policies.plan, &record, rid, lang, finding.as_ref());
        return print(&explanation, args.format, lang);
    } else {
        None
    };
    let explanation = explain(&plan, &record, rid, lang, decided.as_ref());
    print(&explanation, args.format, lang)
}

fn print(e: &crate::explain::Explanation, format: Format, lang: crate::syntax::ast::Lang) -> u8 {
    let text = match format {
        Format::Text => render_text(e, lang),
        Format::Json => serde_json::to_string_pretty(e).unwrap_or_default() + "\n",
    };
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => exit::OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}
