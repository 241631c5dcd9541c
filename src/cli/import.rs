//! `anskaff import`: read records in any input format and write canonical
//! JSON Lines, so that converted data can be inspected, kept and checked.

use super::{InputArgs, exit};
use crate::input::{InputSpec, records};
use clap::Args;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Input files or directories (eForms XML, OCDS, CSV, XLSX, canonical JSON); `-` reads JSONL from stdin
    #[arg(required = true, value_name = "INPUT")]
    inputs: Vec<String>,
    /// Write the records here instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also carry over the fields these policies declare (`field … : …`)
    #[arg(long, value_name = "PATH")]
    policy: Vec<PathBuf>,
    #[command(flatten)]
    input: InputArgs,
}

pub fn import(args: ImportArgs) -> u8 {
    let extras = if args.policy.is_empty() {
        crate::schema::Extras::from([])
    } else {
        match super::load_plan(&args.policy, &[]) {
            Some(plan) => plan.extras.clone(),
            None => return exit::USAGE,
        }
    };
    let read = match args.input.options_for(&extras) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let inputs: Vec<InputSpec> = args.inputs.iter().map(|i| InputSpec::parse(i)).collect();
    let target = match super::check::Target::open(args.output.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "error: cannot write `{}`: {e}",
                args.output.as_deref().unwrap_or(std::path::Path::new("-")).display()
            );
            return exit::USAGE;
        }
    };
    let mut out = BufWriter::new(target);
    let (mut written, mut failed, mut warned) = (0u64, 0u64, 0u64);
    let write = || -> io::Result<()> {
        for (source, record) in records(&inputs, read) {
            match record {
                Ok(r) => {
                    for w in &r.warnings {
                        eprintln!("warning: {}: {}: {}", source.display(), w.field, w.message);
                        warned += 1;
                    }
                    out.write_all(crate::record::canonical_json::to_json(&r).as_bytes())?;
                    out.write_all(b"\n")?;
                    written += 1;
                }
                Err(e) => {
                    eprintln!("error: {}: {e}", source.display());
                    failed += 1;
                }
            }
        }
        out.flush()
    };
    match write() {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return exit::OK,
        Err(e) => {
            eprintln!("error: cannot write the records: {e}");
            return exit::USAGE;
        }
    }
    if let Err(e) = out
        .into_inner()
        .map_err(|e| e.into_error())
        .and_then(super::check::Target::commit)
    {
        eprintln!("error: cannot write the records: {e}");
        return exit::USAGE;
    }
    eprintln!("{written} records written, {warned} data warnings, {failed} input errors");
    if failed > 0 { exit::INPUT } else { exit::OK }
}
