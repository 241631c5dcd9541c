//! `anskaff test`: run the policy tests (`*.test.toml`) below the paths.

use super::{LangArg, exit};
use crate::authoring::test::{Options, run as run_tests};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test files or directories (every `*.test.toml` file below)
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Run only the tests whose name (or file) contains PATTERN
    #[arg(long, value_name = "PATTERN")]
    run: Option<String>,
    /// Name the tests that pass too
    #[arg(long, short)]
    verbose: bool,
    /// Show which rules, and which ways each of their conditions went, the
    /// tests exercised
    #[arg(long)]
    coverage: bool,
    /// Fail (exit 1) when fewer than N per cent of the branches of the
    /// rules under test are covered
    #[arg(long, value_name = "N")]
    min_coverage: Option<f64>,
    /// Language of the explanations of failures
    #[arg(long, value_enum, default_value_t = LangArg::En)]
    lang: LangArg,
}

pub fn run(args: TestArgs) -> u8 {
    let opts = Options {
        pattern: args.run.clone(),
        lang: args.lang.into(),
        coverage: args.coverage || args.min_coverage.is_some(),
    };
    let mut result = run_tests(&args.paths, &opts);
    let below = match (&result.coverage, args.min_coverage) {
        (Some(c), Some(min)) if c.percent() < min => Some((c.percent(), min)),
        _ => None,
    };
    if !args.coverage
        && let Some(c) = &result.coverage
    {
        // Asked only for a minimum: say the number, not the whole table.
        let (covered, total) = c.branches();
        eprintln!("coverage: {covered} of {total} branches ({:.1} %)", c.percent());
        result.coverage = None;
    }
    let text = result.render_text(args.verbose);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    if let Some((got, min)) = below {
        eprintln!("error: branch coverage {got:.1} % is below the minimum of {min} %");
    }
    if !result.problems.is_empty() {
        exit::USAGE
    } else if result.failed() > 0 || below.is_some() {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
