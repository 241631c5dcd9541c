//! `anskaff check`: records against policies → a report and an exit code.

use super::{LangArg, exit, load_plan, parse_set};
use crate::finding::Outcome;
use crate::input::InputSpec;
use crate::report::groups::{GroupBy, MemberView};
use crate::report::{self, Meta, RenderOptions, ReportFormat};
use crate::run::{self, RunOptions};
use crate::syntax::ast::Severity;
use clap::{Args, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Policy files or directories (every `.policy` file below)
    #[arg(long, short, required = true, value_name = "FILE|DIR")]
    policy: Vec<PathBuf>,
    /// Record files or directories (`.jsonl`, `.json`); `-` reads JSONL from stdin
    #[arg(required = true, value_name = "RECORDS")]
    records: Vec<String>,
    /// Report format
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Exit with 1 when a rule of this severity or above fails
    #[arg(long, value_enum, default_value_t = FailOn::Must)]
    fail_on: FailOn,
    /// Override a policy parameter, e.g. --set lcc_threshold="5 000 000 NOK"
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    sets: Vec<(String, String)>,
    /// Language of messages and labels (default: nb for html, en otherwise)
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// Only the summary: no per-record entries
    #[arg(long)]
    summary: bool,
    /// Worker threads (default: all cores; at most 1024)
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=1024))]
    threads: usize,
    /// Records read and evaluated together (for tuning; 1 to 1 000 000)
    #[arg(long, default_value_t = RunOptions::default().batch, hide = true,
          value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    batch: usize,
    /// Text report: also show rules that passed or did not apply
    #[arg(long, short)]
    verbose: bool,
    /// When to colour the text report
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// CSV report: start with a UTF-8 byte-order mark (for Excel)
    #[arg(long)]
    bom: bool,
    /// Compare with an earlier JSON report: what is new, fixed, still failing
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Exit with 1 only for NEW failures (at or above --fail-on) since --baseline
    #[arg(long, requires = "baseline")]
    fail_on_new: bool,
    /// Report per buyer, or per cooperation and member (through the organisation register)
    #[arg(long, value_enum, value_name = "BY")]
    group_by: Option<GroupByArg>,
    /// The report for one member's council: its records and its rules only
    /// (a register id, an organisation number or a name)
    #[arg(long, value_name = "ORG")]
    member: Option<String>,
    #[command(flatten)]
    input: super::InputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
    Html,
    Markdown,
    Junit,
    Csv,
}

impl From<Format> for ReportFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Text => ReportFormat::Text,
            Format::Json => ReportFormat::Json,
            Format::Html => ReportFormat::Html,
            Format::Markdown => ReportFormat::Markdown,
            Format::Junit => ReportFormat::Junit,
            Format::Csv => ReportFormat::Csv,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GroupByArg {
    /// one group per buyer (and participant of a joint procurement)
    Buyer,
    /// one group per cooperation, with its members
    Cooperation,
}

impl From<GroupByArg> for GroupBy {
    fn from(g: GroupByArg) -> Self {
        match g {
            GroupByArg::Buyer => GroupBy::Buyer,
            GroupByArg::Cooperation => GroupBy::Cooperation,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Must,
    Should,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

pub fn check(args: CheckArgs) -> u8 {
    let Some(plan) = load_plan(&args.policy, &args.sets) else {
        return exit::USAGE;
    };
    let format = ReportFormat::from(args.format);
    if args.bom && format != ReportFormat::Csv {
        eprintln!("error: --bom is for --format csv");
        return exit::USAGE;
    }
    if args.summary && format.per_record() {
        eprintln!("error: --summary does not apply to the junit and csv formats: they hold only per-record entries");
        return exit::USAGE;
    }
    let baseline = match &args.baseline {
        Some(path) => match report::baseline::Baseline::load(path) {
            Ok(b) => Some(std::sync::Arc::new(b)),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        },
        None => None,
    };
    let member = match args.member.as_deref().map(|m| MemberView::find(&plan, m)).transpose() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("error: --member: {e}");
            return exit::USAGE;
        }
    };
    let group_by = args.group_by.map(GroupBy::from);
    let lang = args.lang.map(Into::into).unwrap_or(format.default_lang());
    let inputs: Vec<InputSpec> = args.records.iter().map(|r| InputSpec::parse(r)).collect();
    let meta = Meta {
        version: env!("CARGO_PKG_VERSION"),
        lang,
        inputs: args.records.clone(),
    };
    let read = match args.input.options_for(&plan.extras) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let opts = RunOptions {
        lang,
        threads: args.threads,
        batch: args.batch.max(1),
        messages: !args.summary,
        read,
        group_by,
        member,
        ..RunOptions::default()
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => args.output.is_none() && io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let target = match Target::open(args.output.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot write the report: {e}");
            return exit::USAGE;
        }
    };
    let mut writer = io::BufWriter::with_capacity(1 << 16, target);
    let threshold = match args.fail_on {
        FailOn::Must => Some(Severity::Must),
        FailOn::Should => Some(Severity::Should),
        FailOn::Never => None,
    };
    let (result, new_failures) = {
        let options = RenderOptions {
            summary_only: args.summary,
            verbose: args.verbose,
            color,
            bom: args.bom,
            baseline,
            group_by,
            member: opts.member.clone(),
        };
        let mut renderer = report::renderer(format, Box::new(&mut writer), &options);
        let result = run::run(&plan, &inputs, &opts, &meta, renderer.as_mut());
        let new_failures = renderer
            .comparison()
            .is_some_and(|c| threshold.is_some_and(|t| c.new_failures(t)));
        (result, new_failures)
    };
    let result = result.and_then(|r| {
        writer.flush()?;
        Ok(r)
    });
    let result = match result {
        Ok(r) => r,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return exit::OK,
        Err(e) => {
            eprintln!("error: cannot write the report: {e}");
            return exit::USAGE;
        }
    };
    match writer.into_inner().map_err(|e| e.into_error()).and_then(Target::commit) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return exit::OK,
        Err(e) => {
            eprintln!("error: cannot write the report: {e}");
            return exit::USAGE;
        }
    }
    if let Some(member) = &args.member
        && result.summary.overall.records == 0
    {
        // Say so: an empty report for a council could be read as "all well".
        eprintln!("warning: --member: no record has `{member}` as its buyer or as a participant");
    }
    if !result.errors.is_empty() {
        return exit::INPUT;
    }
    if args.fail_on_new {
        return if new_failures { exit::FINDINGS } else { exit::OK };
    }
    let failed = threshold.is_some_and(|t| {
        plan.rules
            .iter()
            .zip(&result.summary.rules)
            .any(|(rule, tally)| rule.severity >= t && tally.count(Outcome::Fail) > 0)
    });
    if failed { exit::FINDINGS } else { exit::OK }
}

/// Standard output, or a temporary file renamed over `--output` once the
/// report is complete, so that an interrupted run never leaves half a
/// report in place of a good one.
pub(crate) enum Target {
    Stdout(io::Stdout),
    File(tempfile::NamedTempFile, PathBuf),
    /// A path that is not a regular file (`/dev/stdout`, a named pipe,
    /// `/dev/full`): written in place, since renaming a file over a device
    /// would replace the device.
    Device(std::fs::File),
}

impl Target {
    pub(crate) fn open(path: Option<&std::path::Path>) -> io::Result<Target> {
        match path {
            None => Ok(Target::Stdout(io::stdout())),
            Some(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file()) => {
                if std::fs::metadata(p).is_ok_and(|m| m.is_dir()) {
                    return Err(io::Error::other(format!("`{}` is a directory", p.display())));
                }
                Ok(Target::Device(std::fs::OpenOptions::new().write(true).open(p)?))
            }
            Some(p) => {
                // Through a symbolic link, the file it points to is replaced.
                let p = &std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
                let dir = p
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                let existing = std::fs::metadata(p).ok().map(|m| m.permissions());
                let mut builder = tempfile::Builder::new();
                builder.prefix(".anskaff-");
                // A report is no secret: created as any new file would be
                // (tempfile's own 0600 is for secrets), the user's umask
                // deciding who may read it.
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    builder.permissions(std::fs::Permissions::from_mode(0o666));
                }
                let tmp = builder.tempfile_in(dir)?;
                // A report written over an earlier one keeps its mode.
                if let Some(perms) = existing {
                    tmp.as_file().set_permissions(perms)?;
                }
                Ok(Target::File(tmp, p.to_path_buf()))
            }
        }
    }

    pub(crate) fn commit(self) -> io::Result<()> {
        match self {
            Target::Stdout(mut s) => s.flush(),
            Target::Device(mut f) => f.flush(),
            Target::File(tmp, path) => {
                tmp.as_file().sync_all()?;
                tmp.persist(&path).map(|_| ()).map_err(|e| e.error)
            }
        }
    }
}

impl Write for Target {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Target::Stdout(s) => s.write(buf),
            Target::File(f, _) => f.write(buf),
            Target::Device(f) => f.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Target::Stdout(s) => s.flush(),
            Target::File(f, _) => f.flush(),
            Target::Device(f) => f.flush(),
        }
    }
}
