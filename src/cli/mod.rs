//! The command line: a thin shell over the library. One file per command.

mod check;

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
