//! `anskaff diff`: what changes between two versions of a policy, and which
//! records come out differently.

use super::{LangArg, exit};
use crate::authoring::diff::{diff, render_text};
use crate::input::InputSpec;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The policy as it was (a file or a directory)
    #[arg(value_name = "OLD")]
    old: PathBuf,
    /// The policy as it is to be
    #[arg(value_name = "NEW")]
    new: PathBuf,
    /// Records to check against both versions (repeatable); records whose
    /// outcome changes are listed
    #[arg(long, value_name = "FILE")]
    records: Vec<String>,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Language of the records' findings
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: DiffArgs) -> u8 {
    let inputs: Vec<InputSpec> = args.records.iter().map(|r| InputSpec::parse(r)).collect();
    let d = match diff(&[args.old], &[args.new], &inputs, args.lang.into()) {
        Ok(d) => d,
        Err(rendered) => {
            eprint!("{rendered}");
            return exit::USAGE;
        }
    };
    let text = match args.format {
        Format::Text => render_text(&d),
        Format::Json => serde_json::to_string_pretty(&d).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if d.is_empty() { exit::OK } else { exit::FINDINGS }
}
