//! The command line: a thin shell over the library. One file per command.

mod check;
mod coverage;
mod diff;
mod explain;
mod fmt;
mod import;
mod rules;
mod serve;
mod test;
mod validate;

use clap::{Parser, Subcommand, ValueEnum};
use std::process::ExitCode;

/// anskaff checks procurement records against procurement strategy policies.
#[derive(Parser, Debug)]
#[command(name = "anskaff", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check records against policies and report what complies
    Check(check::CheckArgs),
    /// Convert records from eForms, OCDS, CSV or Excel to canonical JSON Lines
    Import(import::ImportArgs),
    /// Count how many records have each field
    Coverage(coverage::CoverageArgs),
    /// Show why one rule came out as it did on one record
    Explain(explain::ExplainArgs),
    /// Write policy files in the canonical layout
    Fmt(fmt::FmtArgs),
    /// Run policy tests (`*.test.toml`) and show what failed and why
    Test(test::TestArgs),
    /// Check policies without records: errors, and warnings about what is probably a mistake
    Validate(validate::ValidateArgs),
    /// Compare two versions of a policy, and their outcomes on records
    Diff(diff::DiffArgs),
    /// List the strategy as encoded: areas, rules and parameters
    Rules(rules::RulesArgs),
    /// Serve checks over HTTP: a JSON API under /v1 and a web page for officers
    Serve(serve::ServeArgs),
}

/// How input files are read: shared by every command that reads records.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct InputArgs {
    /// Read every input as this format instead of going by file names
    #[arg(long, value_enum, value_name = "FORMAT")]
    input_format: Option<InputFormatArg>,
    /// Map a table column to a record field, e.g. --map "Anslått verdi=estimated_value" (repeatable)
    #[arg(long = "map", value_name = "HEADER=FIELD", value_parser = parse_set)]
    maps: Vec<(String, String)>,
    /// A column mapping file for CSV and Excel inputs (see docs/inputs.md)
    #[arg(long, value_name = "FILE")]
    mapping: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InputFormatArg {
    /// canonical records, one JSON object per line
    Jsonl,
    /// canonical records in JSON
    Json,
    /// eForms notices (Doffin, TED)
    Eforms,
    /// Open Contracting Data Standard releases or records
    Ocds,
    /// a table with a header row
    Csv,
    /// an Excel workbook
    Xlsx,
}

impl InputArgs {
    /// How to read the inputs, with no declared fields.
    pub fn options(&self) -> Result<crate::input::ReadOptions, String> {
        self.options_for(&crate::schema::Extras::from([]))
    }

    /// How to read the inputs for policies that declare `extras`: tables
    /// then have columns for them.
    pub fn options_for(&self, extras: &crate::schema::Extras) -> Result<crate::input::ReadOptions, String> {
        use crate::input::{InputFormat, table::Mapping};
        let base = Mapping::default().with_extras(extras);
        let mut mapping = match &self.mapping {
            Some(path) => base.and_file(path)?,
            None => base,
        };
        for (header, field) in &self.maps {
            mapping = mapping.with(header, field)?;
        }
        let format = self.input_format.map(|f| match f {
            InputFormatArg::Jsonl => InputFormat::Jsonl,
            InputFormatArg::Json => InputFormat::Json,
            InputFormatArg::Eforms => InputFormat::Eforms,
            InputFormatArg::Ocds => InputFormat::Ocds,
            InputFormatArg::Csv => InputFormat::Csv,
            InputFormatArg::Xlsx => InputFormat::Xlsx,
        });
        Ok(crate::input::ReadOptions {
            format,
            mapping: std::sync::Arc::new(mapping),
            extras: extras.clone(),
        })
    }
}

/// Report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LangArg {
    Nb,
    En,
}

impl From<LangArg> for crate::syntax::ast::Lang {
    fn from(l: LangArg) -> Self {
        match l {
            LangArg::Nb => crate::syntax::ast::Lang::Nb,
            LangArg::En => crate::syntax::ast::Lang::En,
        }
    }
}

/// Exit codes, as documented in the README.
pub mod exit {
    /// Nothing at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// Findings at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage error, or a policy that does not load: nothing was evaluated.
    pub const USAGE: u8 = 2;
    /// Some input could not be read; the rest was evaluated and reported.
    pub const INPUT: u8 = 3;
}

/// Run the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::check(args),
        Command::Import(args) => import::import(args),
        Command::Coverage(args) => coverage::coverage(args),
        Command::Explain(args) => explain::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Test(args) => test::run(args),
        Command::Validate(args) => validate::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Rules(args) => rules::rules(args),
        Command::Serve(args) => serve::serve(args),
    };
    ExitCode::from(code)
}

/// Load and compile policies, printing diagnostics; `None` if they do not
/// load.
pub(crate) fn load_plan(paths: &[std::path::PathBuf], sets: &[(String, String)]) -> Option<crate::plan::Plan> {
    let loaded = match crate::load::load(paths) {
        Ok(l) => l,
        Err((diags, sources)) => {
            eprint!("{}", crate::diag::render_all(&diags, &sources));
            let errors = diags.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "{errors} error{} in the policies; nothing was checked",
                if errors == 1 { "" } else { "s" }
            );
            return None;
        }
    };
    match crate::check::compile(loaded, sets) {
        Ok((plan, warnings)) => {
            eprint!("{}", crate::diag::render_all(&warnings, &plan.sources));
            Some(plan)
        }
        Err((diags, sources)) => {
            eprint!("{}", crate::diag::render_all(&diags, &sources));
            let errors = diags.iter().filter(|d| d.is_error()).count();
            eprintln!(
                "{errors} error{} in the policies; nothing was checked",
                if errors == 1 { "" } else { "s" }
            );
            None
        }
    }
}

/// Parse `NAME=VALUE`.
pub(crate) fn parse_set(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => Ok((name.trim().to_string(), value.to_string())),
        _ => Err(format!(
            "expected NAME=VALUE, e.g. lcc_threshold=\"5 000 000 NOK\"; got `{s}`"
        )),
    }
}
