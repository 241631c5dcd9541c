//! Checks over records held in memory: what the service's handlers call.
//! Nothing here knows about HTTP; nothing writes the records anywhere but
//! into the report it returns.

use crate::finding::{Evaluated, InputError};
use crate::input::{InputFormat, InputSpec, Memory, ReadOptions};
use crate::plan::Plan;
use crate::report::{self, Meta, RenderOptions, Renderer, ReportFormat, Summary};
use crate::run::{self, RunOptions};
use crate::syntax::ast::Lang;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Records to check: bytes in one of the input formats.
#[derive(Debug, Clone)]
pub struct Input {
    /// Shown as the input's file in the report (`-` for a request body, the
    /// file name for an upload).
    pub name: String,
    pub bytes: Arc<[u8]>,
    /// `None`: go by the name's extension, as the CLI does for files.
    pub format: Option<InputFormat>,
}

impl Input {
    fn spec(&self) -> InputSpec {
        InputSpec::Memory(Memory {
            name: Arc::from(self.name.as_str()),
            bytes: self.bytes.clone(),
            format: self.format,
        })
    }

    /// Whether the bytes hold nothing but white space.
    pub fn is_blank(&self) -> bool {
        let b: &[u8] = &self.bytes;
        let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
        b.iter().all(u8::is_ascii_whitespace)
    }
}

/// A rendered report and what the run found.
pub struct Report {
    pub body: Vec<u8>,
    pub records: u64,
    pub errors: Vec<InputError>,
    pub summary: Summary,
}

/// Set when the request that asked for a check is gone (timed out, or the
/// client left): the check stops at the next record.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A guard that cancels when dropped (e.g. with the request's future).
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// Check `input` against `plan` and render the report in `format`: the same
/// bytes `anskaff check --format FORMAT` writes for the same records.
pub fn check_report(
    plan: &Plan,
    input: &Input,
    format: ReportFormat,
    opts: &RunOptions,
    cancel: &Cancel,
) -> io::Result<Report> {
    let spec = [input.spec()];
    let meta = meta(&spec, opts.lang);
    let mut body = Vec::new();
    let result = {
        let out: Box<dyn io::Write + '_> = Box::new(&mut body);
        let inner: Box<dyn Renderer + '_> = match format {
            // The JUnit renderer spills large reports to temporary files;
            // here records must not reach the disk.
            ReportFormat::Junit => Box::new(report::junit::JunitRenderer::new(out).in_memory(true)),
            _ => report::renderer(format, out, &RenderOptions::default()),
        };
        let mut renderer = Guarded {
            inner,
            cancel,
            records: 0,
        };
        let result = run::run(plan, &spec, opts, &meta, &mut renderer)?;
        // A summary-only renderer is not handed records one by one.
        let records = result.summary.overall.records.max(renderer.records);
        (result, records)
    };
    let (result, records) = result;
    Ok(Report {
        body,
        records,
        errors: result.errors,
        summary: result.summary,
    })
}

/// The records of a check with their findings, for a page to show.
pub struct Findings {
    pub records: Vec<Evaluated>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
}

/// Check `input` against `plan`; every record with its findings.
pub fn check_findings(plan: &Plan, input: &Input, opts: &RunOptions, cancel: &Cancel) -> io::Result<Findings> {
    let spec = [input.spec()];
    let meta = meta(&spec, opts.lang);
    let mut collect = Collect {
        records: Vec::new(),
        cancel,
    };
    let result = run::run(plan, &spec, opts, &meta, &mut collect)?;
    Ok(Findings {
        records: collect.records,
        errors: result.errors,
        summary: result.summary,
    })
}

fn meta(spec: &[InputSpec], lang: Lang) -> Meta {
    Meta {
        version: env!("CARGO_PKG_VERSION"),
        lang,
        inputs: spec.iter().map(InputSpec::display).collect(),
    }
}

/// How the service runs checks, in `lang`, reading inputs as `read` says.
/// Building the options (their column mapping) takes a while: build them
/// once per loaded policy set and clone them per request.
pub fn run_options(lang: Lang, read: ReadOptions) -> RunOptions {
    RunOptions {
        lang,
        // One request is small; the service runs many at once on all cores.
        threads: 1,
        read,
        ..RunOptions::default()
    }
}

fn cancelled() -> io::Error {
    io::Error::new(io::ErrorKind::Interrupted, "the request was cancelled")
}

/// A renderer that counts records and stops the run once cancelled.
struct Guarded<'a, 'w> {
    inner: Box<dyn Renderer + 'w>,
    cancel: &'a Cancel,
    records: u64,
}

impl Renderer for Guarded<'_, '_> {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()> {
        self.inner.begin(plan, meta)
    }

    fn record(&mut self, plan: &Plan, record: &Evaluated) -> io::Result<()> {
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        self.records += 1;
        self.inner.record(plan, record)
    }

    fn formatter(&self) -> Option<std::sync::Arc<dyn report::RecordFormatter>> {
        self.inner.formatter()
    }

    fn formatted(&mut self, plan: &Plan, record: &Evaluated, bytes: &[u8]) -> io::Result<()> {
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        self.records += 1;
        self.inner.formatted(plan, record, bytes)
    }

    fn finish(&mut self, plan: &Plan, meta: &Meta, summary: &Summary, errors: &[InputError]) -> io::Result<()> {
        self.inner.finish(plan, meta, summary, errors)
    }

    fn wants_records(&self) -> bool {
        self.inner.wants_records()
    }
}

struct Collect<'a> {
    records: Vec<Evaluated>,
    cancel: &'a Cancel,
}

impl Renderer for Collect<'_> {
    fn begin(&mut self, _: &Plan, _: &Meta) -> io::Result<()> {
        Ok(())
    }

    fn record(&mut self, _: &Plan, r: &Evaluated) -> io::Result<()> {
        if self.cancel.is_cancelled() {
            return Err(cancelled());
        }
        self.records.push(r.clone());
        Ok(())
    }

    fn finish(&mut self, _: &Plan, _: &Meta, _: &Summary, _: &[InputError]) -> io::Result<()> {
        Ok(())
    }
}

/// The input format of an upload, from its file name and, failing that, its
/// first bytes (as the CLI goes by file names).
pub fn sniff_format(name: &str, bytes: &[u8]) -> Option<InputFormat> {
    let ext = std::path::Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("jsonl" | "ndjson") => return Some(InputFormat::Jsonl),
        Some("json") => return Some(InputFormat::Json),
        Some("xml") => return Some(InputFormat::Eforms),
        Some("csv" | "tsv" | "txt") => return Some(InputFormat::Csv),
        Some("xlsx" | "xlsm") => return Some(InputFormat::Xlsx),
        _ => {}
    }
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if b.starts_with(b"PK\x03\x04") {
        return Some(InputFormat::Xlsx);
    }
    let first = b.iter().copied().find(|c| !c.is_ascii_whitespace())?;
    match first {
        b'<' => Some(InputFormat::Eforms),
        b'{' | b'[' => Some(InputFormat::Json),
        _ if b.contains(&b'\n') && (b.contains(&b',') || b.contains(&b';') || b.contains(&b'\t')) => {
            Some(InputFormat::Csv)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_name_then_content() {
        assert_eq!(sniff_format("plan.XLSX", b""), Some(InputFormat::Xlsx));
        assert_eq!(sniff_format("plan", b"PK\x03\x04rest"), Some(InputFormat::Xlsx));
        assert_eq!(sniff_format("n", b"  <?xml version"), Some(InputFormat::Eforms));
        assert_eq!(sniff_format("n", b"[{}]"), Some(InputFormat::Json));
        assert_eq!(sniff_format("n", b"a;b\n1;2\n"), Some(InputFormat::Csv));
        assert_eq!(sniff_format("n", b"hello"), None);
    }
}
