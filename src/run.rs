//! One check run: read records in batches, evaluate each batch on all cores,
//! hand results to the renderer in input order, then decide cross-record
//! rules and finish the report.
//!
//! Per-record rules stream: memory does not grow with the number of records.
//! Cross-record rules keep a few words per taking-part record; when their
//! findings must appear in per-record output (or can change a record's
//! status), records are held back until the input ends.

use crate::cross::{Collector, CrossFinding};
use crate::engine::{Engine, status_of};
use crate::finding::{Evaluated, InputError};
use crate::input::{InputSpec, Reader};
use crate::plan::{Plan, RuleKind};
use crate::report::{Facts, Meta, Renderer, Standing, Summary};
use crate::syntax::ast::Lang;
use rayon::prelude::*;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::io;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub lang: Lang,
    /// Worker threads; 0 for all cores.
    pub threads: usize,
    /// Records read and evaluated together.
    pub batch: usize,
    /// Render messages (not needed for a summary-only report).
    pub messages: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            lang: Lang::En,
            threads: 0,
            batch: 4096,
            messages: true,
        }
    }
}

/// What a run leaves besides the rendered report.
pub struct RunResult {
    pub summary: Summary,
    pub errors: Vec<InputError>,
}

/// Check `inputs` against `plan`, writing the report through `renderer`.
pub fn run(
    plan: &Plan,
    inputs: &[InputSpec],
    opts: &RunOptions,
    meta: &Meta,
    renderer: &mut dyn Renderer,
) -> io::Result<RunResult> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(io::Error::other)?;
    let mut engine = Engine::new(plan, opts.lang);
    engine.messages = opts.messages;
    let mut collectors: Vec<Collector> = plan
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.kind, RuleKind::Cross(_)))
        .map(|(i, _)| Collector::new(i as u16))
        .collect();
    // Records whose cross-record findings must appear in per-record output
    // are held back whole; for a summary, only what the summary needs.
    let hold_back = !collectors.is_empty() && renderer.wants_records();
    let mut held: Vec<Evaluated> = Vec::new();
    let mut deferred: Vec<(u64, Facts, Standing)> = Vec::new();
    let mut summary = Summary::new(plan);
    let mut errors = Vec::new();
    let mut seen_ids: HashSet<u64> = HashSet::new();
    let mut reader = Reader::new(inputs, opts.batch);
    let mut next_index = 0u64;
    renderer.begin(plan, meta)?;
    loop {
        let batch = reader.next_batch();
        if batch.is_empty() {
            break;
        }
        let base = next_index;
        next_index += batch.len() as u64;
        let results: Vec<_> = pool.install(|| {
            batch
                .into_par_iter()
                .enumerate()
                .map(|(i, raw)| {
                    let index = base + i as u64;
                    let (source, record) = raw.into_record();
                    match record {
                        Ok(r) => engine.evaluate(r, source, index),
                        Err(message) => Err(InputError { index, source, message }),
                    }
                })
                .collect()
        });
        for result in results {
            match result {
                Ok(out) => {
                    let mut out = out;
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    out.evaluated.id.hash(&mut h);
                    if !seen_ids.insert(h.finish()) {
                        out.evaluated.warnings.push(crate::record::DataWarning {
                            field: "id".into(),
                            message: format!("another record in the input has the id `{}`", out.evaluated.id),
                        });
                    }
                    let takes_part = !out.members.is_empty();
                    for (rule, member) in out.members {
                        if let Some(c) = collectors.iter_mut().find(|c| c.rule() == rule) {
                            c.add(member);
                        }
                    }
                    if hold_back {
                        held.push(out.evaluated);
                    } else if takes_part {
                        let r = &out.evaluated;
                        summary.add_findings(&r.findings, r.value);
                        deferred.push((r.index, Facts::of(r), Standing::of(plan, &r.findings)));
                        renderer.record(plan, r)?;
                    } else {
                        summary.add_record(plan, &out.evaluated);
                        renderer.record(plan, &out.evaluated)?;
                    }
                }
                Err(e) => {
                    summary.input_errors += 1;
                    errors.push(e);
                }
            }
        }
    }
    let mut cross: Vec<CrossFinding> = pool.install(|| {
        collectors
            .into_par_iter()
            .flat_map_iter(|c| c.finish(plan, opts.lang, opts.messages))
            .collect()
    });
    cross.sort_by_key(|f| (f.record, f.finding.rule));
    if hold_back {
        let mut pending = cross.into_iter().peekable();
        for mut r in held {
            let mut added = false;
            while let Some(f) = pending.next_if(|f| f.record == r.index) {
                r.findings.push(f.finding);
                added = true;
            }
            if added {
                r.findings.sort_by_key(|f| f.rule);
                r.status = status_of(plan, &r.findings);
            }
            summary.add_record(plan, &r);
            renderer.record(plan, &r)?;
        }
    } else {
        let mut pending = cross.into_iter().peekable();
        for (index, facts, mut standing) in deferred {
            while let Some(f) = pending.next_if(|f| f.record == index) {
                summary.add_findings(std::slice::from_ref(&f.finding), f.value);
                standing.add(plan, &f.finding);
            }
            summary.add_standing(&facts, &standing);
        }
    }
    renderer.finish(plan, meta, &summary, &errors)?;
    Ok(RunResult { summary, errors })
}
