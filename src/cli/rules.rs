//! `anskaff rules`: the strategy as encoded — areas, rules and parameters.

use super::{LangArg, exit, load_plan, parse_set};
use crate::report::{ReportFormat, strategy};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Policy files or directories
    #[arg(long, short, required = true, value_name = "FILE|DIR")]
    policy: Vec<PathBuf>,
    /// Output format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Language of titles and labels (default: nb for html, en otherwise)
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// Override a policy parameter
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    sets: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Markdown,
    Html,
    Json,
}

pub fn rules(args: RulesArgs) -> u8 {
    let Some(plan) = load_plan(&args.policy, &args.sets) else {
        return exit::USAGE;
    };
    let format = match args.format {
        Format::Text => ReportFormat::Text,
        Format::Markdown => ReportFormat::Markdown,
        Format::Html => ReportFormat::Html,
        Format::Json => ReportFormat::Json,
    };
    let lang = args.lang.map(Into::into).unwrap_or(format.default_lang());
    let Some(text) = strategy::render(&plan, format, lang, env!("CARGO_PKG_VERSION")) else {
        eprintln!("error: no strategy listing in this format");
        return exit::USAGE;
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
