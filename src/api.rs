//! The library's front door: load policies once, check records, get the
//! findings and the summary. The CLI and the tests use this.

use crate::check;
use crate::diag::render_all;
use crate::finding::{Evaluated, InputError};
use crate::input::InputSpec;
use crate::plan::Plan;
use crate::report::{Meta, Renderer, Summary};
use crate::run::{self, RunOptions};
use crate::syntax::ast::Lang;
use std::io;
use std::path::PathBuf;

/// Compiled policies, ready to check records.
pub struct Policies {
    pub plan: Plan,
    /// Warnings from loading, rendered.
    pub warnings: String,
}

/// A policy that did not load, with its diagnostics rendered as text.
#[derive(Debug)]
pub struct LoadError(pub String);

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Policies {
    /// Load policy files or directories, with `name=value` overrides.
    pub fn load(paths: &[PathBuf], overrides: &[(String, String)]) -> Result<Policies, LoadError> {
        let loaded = crate::load::load(paths).map_err(|(d, sources)| LoadError(render_all(&d, &sources)))?;
        Self::compile(loaded, overrides)
    }

    /// Load one policy from text; `name` is shown in diagnostics and its
    /// directory is where imports are looked up.
    pub fn from_text(name: &str, text: &str, overrides: &[(String, String)]) -> Result<Policies, LoadError> {
        let loaded = crate::load::load_text(name, text).map_err(|(d, sources)| LoadError(render_all(&d, &sources)))?;
        Self::compile(loaded, overrides)
    }

    fn compile(loaded: crate::load::Loaded, overrides: &[(String, String)]) -> Result<Policies, LoadError> {
        match check::compile(loaded, overrides) {
            Ok((plan, warnings)) => {
                let warnings = render_all(&warnings, &plan.sources);
                Ok(Policies { plan, warnings })
            }
            Err((diags, sources)) => Err(LoadError(render_all(&diags, &sources))),
        }
    }

    /// Check the records in `inputs`; every record and input error, in
    /// input order, and the summary.
    pub fn check(&self, inputs: &[InputSpec], lang: Lang) -> io::Result<Checked> {
        self.check_with(inputs, lang, self.read_options())
    }

    /// How inputs are read for these policies by default: by file name,
    /// with the built-in column names, and the declared fields.
    pub fn read_options(&self) -> crate::input::ReadOptions {
        crate::input::ReadOptions {
            format: None,
            mapping: std::sync::Arc::new(crate::input::table::Mapping::default().with_extras(&self.plan.extras)),
            extras: self.plan.extras.clone(),
        }
    }

    /// [`check`](Self::check), reading the inputs as `read` says.
    pub fn check_with(&self, inputs: &[InputSpec], lang: Lang, read: crate::input::ReadOptions) -> io::Result<Checked> {
        let mut collect = Collect::default();
        let meta = Meta {
            version: env!("CARGO_PKG_VERSION"),
            lang,
            inputs: inputs.iter().map(InputSpec::display).collect(),
        };
        let opts = RunOptions {
            lang,
            read,
            ..RunOptions::default()
        };
        let result = run::run(&self.plan, inputs, &opts, &meta, &mut collect)?;
        Ok(Checked {
            records: collect.records,
            errors: result.errors,
            summary: result.summary,
        })
    }

    /// Check records held in memory (cross-record rules included), without
    /// reading files: the records in the order given.
    pub fn check_records(&self, records: Vec<(crate::finding::Source, crate::record::Record)>, lang: Lang) -> Checked {
        let (records, errors) = run::evaluate_records(&self.plan, records, lang);
        let mut summary = Summary::new(&self.plan);
        for r in &records {
            summary.add_record(&self.plan, r);
        }
        summary.input_errors = errors.len() as u64;
        Checked {
            records,
            errors,
            summary,
        }
    }

    /// The outcome of rule `rule` (by id) on record `record` (by id).
    pub fn outcome(&self, checked: &Checked, record: &str, rule: &str) -> Option<crate::finding::Outcome> {
        let rid = self.plan.rule_index(rule)?;
        checked.record(record)?.finding(rid).map(|f| f.outcome)
    }

    /// The finding of rule `rule` on record `record`, by ids.
    pub fn finding<'c>(&self, checked: &'c Checked, record: &str, rule: &str) -> Option<&'c crate::finding::Finding> {
        let rid = self.plan.rule_index(rule)?;
        checked.record(record)?.finding(rid)
    }

    /// Check records given as JSON Lines text.
    pub fn check_jsonl(&self, text: &str, lang: Lang) -> io::Result<Checked> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("records.jsonl");
        std::fs::write(&path, text)?;
        self.check(&[InputSpec::Path(path)], lang)
    }
}

/// The result of a check.
pub struct Checked {
    pub records: Vec<Evaluated>,
    pub errors: Vec<InputError>,
    pub summary: Summary,
}

impl Checked {
    /// The record with `id`.
    pub fn record(&self, id: &str) -> Option<&Evaluated> {
        self.records.iter().find(|r| r.id == id)
    }
}

/// A renderer that keeps every record.
#[derive(Default)]
struct Collect {
    records: Vec<Evaluated>,
}

impl Renderer for Collect {
    fn begin(&mut self, _: &Plan, _: &Meta) -> io::Result<()> {
        Ok(())
    }
    fn record(&mut self, _: &Plan, r: &Evaluated) -> io::Result<()> {
        self.records.push(r.clone());
        Ok(())
    }
    fn finish(&mut self, _: &Plan, _: &Meta, _: &Summary, _: &[InputError]) -> io::Result<()> {
        Ok(())
    }
}
