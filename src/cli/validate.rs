//! `anskaff validate`: every check of the policies that needs no records.

use super::{exit, parse_set};
use crate::authoring::validate::validate;
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ValidateArgs {
    /// Policy files or directories (every `.policy` file below)
    #[arg(value_name = "PATH", default_value = "policies")]
    paths: Vec<PathBuf>,
    /// Check a parameter override as `check --set` would take it
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    sets: Vec<(String, String)>,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Exit with 1 on warnings too
    #[arg(long)]
    deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

pub fn run(args: ValidateArgs) -> u8 {
    let v = validate(&args.paths, &args.sets);
    let text = match args.format {
        Format::Text => v.render_text(),
        Format::Json => serde_json::to_string_pretty(&v.to_json()).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if v.errors() > 0 || (args.deny_warnings && v.warnings() > 0) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
