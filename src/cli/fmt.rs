//! `anskaff fmt`: write policy files in the canonical layout.

use super::exit;
use crate::authoring::{find_files, fmt};
use clap::Args;
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Policy files or directories (every `.policy` file below); `-` formats
    /// standard input to standard output
    #[arg(value_name = "PATH", default_value = ".")]
    paths: Vec<PathBuf>,
    /// Change nothing; show what formatting would change and exit with 1 if
    /// anything would
    #[arg(long)]
    check: bool,
}

pub fn run(args: FmtArgs) -> u8 {
    if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        return stdin();
    }
    let (files, problems) = find_files(&args.paths, ".policy");
    let mut trouble = !problems.is_empty();
    for p in &problems {
        eprintln!("error: {p}");
    }
    let mut out = std::io::stdout().lock();
    let mut changed = 0;
    for path in &files {
        let f = match fmt::format_file(path) {
            Ok(f) => f,
            Err(rendered) => {
                eprint!("{rendered}");
                trouble = true;
                continue;
            }
        };
        if !f.changed() {
            continue;
        }
        changed += 1;
        if args.check {
            let _ = write!(out, "{}", f.diff());
        } else if let Err(e) = std::fs::write(path, &f.formatted) {
            eprintln!("error: cannot write `{}`: {e}", path.display());
            trouble = true;
        } else {
            let _ = writeln!(out, "formatted {}", path.display());
        }
    }
    if args.check && changed > 0 {
        let _ = writeln!(
            out,
            "{changed} of {} policy file{} not formatted; run `anskaff fmt` to format",
            files.len(),
            if files.len() == 1 { " is" } else { "s are" }
        );
    }
    if trouble {
        exit::USAGE
    } else if args.check && changed > 0 {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

fn stdin() -> u8 {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        eprintln!("error: cannot read standard input: {e}");
        return exit::USAGE;
    }
    let mut sources = crate::diag::SourceMap::new();
    let file = sources.add("-", text.clone());
    match fmt::format_policy(&text, file) {
        Ok(formatted) => {
            let _ = std::io::stdout().lock().write_all(formatted.as_bytes());
            exit::OK
        }
        Err(d) => {
            eprint!("{}", d.render(&sources));
            exit::USAGE
        }
    }
}
