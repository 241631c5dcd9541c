//! Comparison with an earlier JSON report (`--baseline previous.json`):
//! which findings are NEW (failing or unknown now, not before), FIXED
//! (failing or unknown before, not now) and STILL failing.
//!
//! A finding "fails" here when its outcome is `fail` or `unknown`: both
//! need someone's attention. Findings are matched by record id and rule id.
//! A record that is no longer in the input counts its findings as fixed.

use super::{Meta, Renderer, Summary};
use crate::finding::{Evaluated, InputError, Outcome};
use crate::plan::Plan;
use crate::syntax::ast::Severity;
use serde::Deserialize;
use std::collections::HashMap;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// The failing findings of an earlier report.
#[derive(Debug, Clone, Default)]
pub struct Baseline {
    /// The file as given.
    pub file: String,
    /// `(record, rule)` of every `fail` or `unknown` finding, in the
    /// report's order, without repeats.
    pairs: Vec<(String, String)>,
    /// Record id → its failing rules, with their index in `pairs`.
    index: HashMap<String, Vec<(String, usize)>>,
}

#[derive(Deserialize)]
struct ReportIn {
    report_version: Option<serde_json::Value>,
    records: Option<Vec<RecordIn>>,
}

#[derive(Deserialize)]
struct RecordIn {
    id: String,
    #[serde(default)]
    findings: Vec<FindingIn>,
}

#[derive(Deserialize)]
struct FindingIn {
    rule: String,
    outcome: String,
}

impl Baseline {
    /// Read a JSON report (version 1) made with `--format json` (not
    /// `--summary`). The error says, in words, why the file cannot serve.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let shown = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| format!("cannot read the baseline `{shown}`: {e}"))?;
        Self::read(&shown, io::BufReader::new(file))
    }

    /// [`load`](Self::load) from a reader; `name` is shown in messages.
    pub fn read(name: &str, reader: impl io::Read) -> Result<Baseline, String> {
        let not_report = |why: String| {
            format!(
                "the baseline `{name}` is not an anskaff JSON report ({why}); \
                 make one with `anskaff check --format json --output FILE …`"
            )
        };
        let report: ReportIn = serde_json::from_reader(reader).map_err(|e| not_report(e.to_string()))?;
        match report.report_version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(u64::from(super::json::REPORT_VERSION)) => {}
            Some(v) => {
                return Err(format!(
                    "the baseline `{name}` has report_version {v}; this anskaff reads version {}",
                    super::json::REPORT_VERSION
                ));
            }
            None => return Err(not_report("no `report_version`".into())),
        }
        let Some(records) = report.records else {
            return Err(format!(
                "the baseline `{name}` has no per-record entries (it was made with --summary); \
                 a baseline needs the full JSON report"
            ));
        };
        Ok(Self::from_findings(
            name,
            records.into_iter().flat_map(|r| {
                let id = r.id;
                r.findings
                    .into_iter()
                    .filter(|f| matches!(f.outcome.as_str(), "fail" | "unknown"))
                    .map(move |f| (id.clone(), f.rule))
            }),
        ))
    }

    /// A baseline of the given failing `(record, rule)` pairs.
    pub fn from_findings(name: &str, failing: impl IntoIterator<Item = (String, String)>) -> Baseline {
        let mut b = Baseline {
            file: name.to_string(),
            ..Default::default()
        };
        for (record, rule) in failing {
            let rules = b.index.entry(record.clone()).or_default();
            if rules.iter().any(|(r, _)| *r == rule) {
                continue;
            }
            rules.push((rule.clone(), b.pairs.len()));
            b.pairs.push((record, rule));
        }
        b
    }

    /// How many findings were failing.
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    fn find(&self, record: &str, rule: &str) -> Option<usize> {
        self.index.get(record)?.iter().find(|(r, _)| r == rule).map(|(_, i)| *i)
    }
}

/// A finding in the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub record: String,
    pub rule: String,
    /// The outcome now (`fail` or `unknown`); `None` for a fixed finding.
    pub outcome: Option<Outcome>,
    /// The rule's severity, when the loaded policies have the rule.
    pub severity: Option<Severity>,
}

/// What changed since the baseline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comparison {
    /// The baseline file as given.
    pub file: String,
    /// Failing now, not before; in input order.
    pub new: Vec<Change>,
    /// Failing before, not now; in the baseline's order.
    pub fixed: Vec<Change>,
    /// Failing before and now; in input order.
    pub still: Vec<Change>,
}

impl Comparison {
    /// Whether a NEW finding is a `fail` of a rule at or above `threshold`
    /// (what `--fail-on-new` exits with 1 for).
    pub fn new_failures(&self, threshold: Severity) -> bool {
        self.new
            .iter()
            .any(|c| c.outcome == Some(Outcome::Fail) && c.severity.is_some_and(|s| s >= threshold))
    }
}

/// Compares records with a baseline as they go by.
#[derive(Debug)]
pub struct Tracker {
    baseline: Arc<Baseline>,
    /// Per baseline pair: failing now too.
    seen: Vec<bool>,
    comparison: Comparison,
}

impl Tracker {
    pub fn new(baseline: Arc<Baseline>) -> Self {
        Tracker {
            seen: vec![false; baseline.len()],
            comparison: Comparison {
                file: baseline.file.clone(),
                ..Default::default()
            },
            baseline,
        }
    }

    pub fn record(&mut self, plan: &Plan, r: &Evaluated) {
        for f in &r.findings {
            if !matches!(f.outcome, Outcome::Fail | Outcome::Unknown) {
                continue;
            }
            let Some(rule) = plan.rules.get(f.rule as usize) else {
                continue;
            };
            let change = Change {
                record: r.id.clone(),
                rule: rule.id.clone(),
                outcome: Some(f.outcome),
                severity: Some(rule.severity),
            };
            match self.baseline.find(&r.id, &rule.id) {
                Some(i) => {
                    // A repeated record id counts once.
                    if !std::mem::replace(&mut self.seen[i], true) {
                        self.comparison.still.push(change);
                    }
                }
                None => self.comparison.new.push(change),
            }
        }
    }

    /// The comparison, once every record has been seen.
    pub fn finish(&mut self, plan: &Plan) -> &Comparison {
        self.comparison.fixed = self
            .baseline
            .pairs
            .iter()
            .zip(&self.seen)
            .filter(|(_, seen)| !**seen)
            .map(|((record, rule), _)| Change {
                record: record.clone(),
                rule: rule.clone(),
                outcome: None,
                severity: plan.rule_index(rule).map(|i| plan.rules[i as usize].severity),
            })
            .collect();
        &self.comparison
    }

    pub fn comparison(&self) -> &Comparison {
        &self.comparison
    }
}

/// A renderer that compares records with a baseline and hands the
/// comparison to the renderer it wraps before that one finishes.
pub struct Compare<'w> {
    inner: Box<dyn Renderer + 'w>,
    tracker: Tracker,
}

impl<'w> Compare<'w> {
    pub fn new(inner: Box<dyn Renderer + 'w>, baseline: Arc<Baseline>) -> Self {
        Compare {
            inner,
            tracker: Tracker::new(baseline),
        }
    }
}

impl Renderer for Compare<'_> {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()> {
        self.inner.begin(plan, meta)
    }

    fn record(&mut self, plan: &Plan, record: &Evaluated) -> io::Result<()> {
        self.tracker.record(plan, record);
        self.inner.record(plan, record)
    }

    fn finish(&mut self, plan: &Plan, meta: &Meta, summary: &Summary, errors: &[InputError]) -> io::Result<()> {
        let comparison = self.tracker.finish(plan);
        self.inner.compared(comparison);
        self.inner.finish(plan, meta, summary, errors)
    }

    /// The comparison needs every record with its cross-record findings.
    fn wants_records(&self) -> bool {
        true
    }

    fn compared(&mut self, comparison: &Comparison) {
        self.inner.compared(comparison)
    }

    fn comparison(&self) -> Option<&Comparison> {
        Some(self.tracker.comparison())
    }
}
