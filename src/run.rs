//! One check run: read records in batches, evaluate each batch on all cores,
//! and hand results to the renderer in input order.
//!
//! Per-record rules stream: memory does not grow with the number of records.
//! Cross-record rules keep a few words per taking-part record. When their
//! findings must appear in per-record output, the input is read twice: a
//! first pass reads only the fields cross-record rules need and decides
//! their windows; the second evaluates everything and renders each record
//! with its cross-record findings, still streaming. A summary-only run reads
//! once and keeps, per taking-part record, only what the summary needs.

use crate::cross::{Collector, Decided};
use crate::engine::{Engine, status_of};
use crate::finding::{Evaluated, InputError, Source};
use crate::input::{InputSpec, Raw, Reader};
use crate::plan::{Node, NodeId, Plan, RuleKind};
use crate::record::Record;
use crate::report::{Facts, Meta, Renderer, Standing, Summary};
use crate::schema::{FieldSet, Want, idx};
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
    /// How inputs are read.
    pub read: crate::input::ReadOptions,
    /// Run on this thread pool instead of one built for the run (`threads`
    /// is then ignored): for a service that runs many small checks.
    pub pool: Option<std::sync::Arc<rayon::ThreadPool>>,
    /// Add up the records per buyer or per cooperation (`--group-by`).
    pub group_by: Option<crate::report::groups::GroupBy>,
    /// Only one member's records and findings (`--member`).
    pub member: Option<crate::report::groups::MemberView>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            lang: Lang::En,
            threads: 0,
            batch: 4096,
            messages: true,
            read: Default::default(),
            pool: None,
            group_by: None,
            member: None,
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
    let built;
    let pool: &rayon::ThreadPool = match &opts.pool {
        Some(pool) => pool,
        None => {
            built = rayon::ThreadPoolBuilder::new()
                .num_threads(opts.threads)
                .build()
                .map_err(io::Error::other)?;
            &built
        }
    };
    let mut engine = Engine::new(plan, opts.lang);
    engine.messages = opts.messages;
    // Groups and a member's view need each record's cross-record findings
    // with the record: decide those first.
    let two_pass =
        plan.has_cross_rules() && (renderer.wants_records() || opts.group_by.is_some() || opts.member.is_some());
    // Standard input can be read once: keep it for the second pass.
    let (inputs, _kept) = if two_pass {
        keep_stdin(inputs)?
    } else {
        (inputs.to_vec(), None)
    };
    let decided = if two_pass {
        Some(decide_cross(plan, &engine, &inputs, opts, pool))
    } else {
        None
    };
    let mut summary = Summary::new(plan);
    summary.groups = opts
        .group_by
        .map(|by| crate::report::groups::Groups::new(by, opts.lang));
    summary.member = opts.member.clone();
    let mut pass = Pass {
        plan,
        lang: opts.lang,
        summary,
        errors: Vec::new(),
        seen_ids: HashSet::new(),
        collectors: if two_pass { Vec::new() } else { collectors(plan) },
        decided,
        deferred: Vec::new(),
    };
    renderer.begin(plan, meta)?;
    let want = plan.want(fields_wanted(plan));
    let mut reader = Reader::new(&inputs, opts.batch, opts.read.clone());
    let mut next_index = 0u64;
    loop {
        let batch = reader.next_batch();
        if batch.is_empty() {
            break;
        }
        let base = next_index;
        next_index += batch.len() as u64;
        let results = pool.install(|| evaluate_batch(&engine, batch, base, &want));
        for result in results {
            match result {
                Ok(out) => pass.record(out, renderer)?,
                Err(e) => {
                    pass.summary.input_errors += 1;
                    pass.errors.push(e);
                }
            }
        }
    }
    pass.finish_cross(opts, pool);
    renderer.finish(plan, meta, &pass.summary, &pass.errors)?;
    Ok(RunResult {
        summary: pass.summary,
        errors: pass.errors,
    })
}

/// Evaluate records held in memory, cross-record rules included, on this
/// thread: each record with its findings, in the order given, and the
/// records that could not be evaluated (no id). For small sets of records
/// such as a policy's tests; [`run`] is for inputs of any size.
pub fn evaluate_records(plan: &Plan, records: Vec<(Source, Record)>, lang: Lang) -> (Vec<Evaluated>, Vec<InputError>) {
    let engine = Engine::new(plan, lang);
    let mut collectors = collectors(plan);
    let mut evaluated = Vec::with_capacity(records.len());
    let mut errors = Vec::new();
    for (index, (source, record)) in records.into_iter().enumerate() {
        match engine.evaluate(record, source, index as u64) {
            Ok(out) => {
                for (rule, member) in out.members {
                    if let Some(c) = collectors.iter_mut().find(|c| c.rule() == rule) {
                        c.add(member);
                    }
                }
                evaluated.push(out.evaluated);
            }
            Err(e) => errors.push(e),
        }
    }
    for collector in collectors {
        for f in collector.finish(plan, lang, true).into_findings(plan) {
            if let Some(r) = evaluated.iter_mut().find(|r| r.index == f.record) {
                r.findings.push(f.finding);
            }
        }
    }
    for r in &mut evaluated {
        r.findings.sort_by_key(|f| f.rule);
        r.status = status_of(plan, &r.findings);
    }
    (evaluated, errors)
}

fn evaluate_batch(
    engine: &Engine<'_>,
    batch: Vec<Raw>,
    base: u64,
    want: &Want,
) -> Vec<Result<crate::engine::RecordOutput, InputError>> {
    batch
        .into_par_iter()
        .enumerate()
        .map(|(i, raw)| {
            let index = base + i as u64;
            let (source, record) = raw.into_record(want);
            match record {
                Ok(r) => engine.evaluate(r, source, index),
                Err(message) => Err(InputError { index, source, message }),
            }
        })
        .collect()
}

/// The state of the (main) pass over the records.
struct Pass<'p> {
    plan: &'p Plan,
    lang: Lang,
    summary: Summary,
    errors: Vec<InputError>,
    /// Hashes of the ids seen, to warn about duplicates.
    seen_ids: HashSet<u64>,
    /// Single pass: cross-record members collected as records go by.
    collectors: Vec<Collector>,
    /// Two passes: the cross-record decisions of the first.
    decided: Option<Vec<Decided>>,
    /// Single pass: what the summary needs of taking-part records until
    /// their cross-record findings are known.
    deferred: Vec<(u64, String, Facts<'static>, Standing)>,
}

impl Pass<'_> {
    fn record(&mut self, out: crate::engine::RecordOutput, renderer: &mut dyn Renderer) -> io::Result<()> {
        let crate::engine::RecordOutput { mut evaluated, members } = out;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        evaluated.id.hash(&mut h);
        if !self.seen_ids.insert(h.finish()) {
            evaluated.warnings.push(crate::record::DataWarning {
                field: "id".into(),
                message: format!("another record in the input has the id `{}`", evaluated.id),
            });
        }
        if let Some(decided) = &mut self.decided {
            add_decided(self.plan, decided, &mut evaluated);
        }
        if let Some(member) = &self.summary.member
            && !member.narrow(self.plan, &mut evaluated, self.lang)
        {
            return Ok(());
        }
        if self.decided.is_some() {
            self.summary.add_record(self.plan, &evaluated);
            return renderer.record(self.plan, &evaluated);
        }
        if members.is_empty() {
            self.summary.add_record(self.plan, &evaluated);
            return renderer.record(self.plan, &evaluated);
        }
        for (rule, member) in members {
            if let Some(c) = self.collectors.iter_mut().find(|c| c.rule() == rule) {
                c.add(member);
            }
        }
        // The summary counts this record once its cross-record findings are
        // decided; a renderer that shows records one by one never gets here.
        self.summary.add_findings(&evaluated.findings, evaluated.value);
        self.summary.note_exemptions(&evaluated.id, &evaluated.findings);
        let standing = Standing::of(self.plan, &evaluated.findings);
        if standing.status == crate::finding::Status::NonCompliant {
            // Cross-record findings cannot make it less so.
            self.summary.highlight(self.plan, &evaluated);
        }
        self.deferred.push((
            evaluated.index,
            evaluated.id.clone(),
            Facts::owned(&evaluated),
            standing,
        ));
        renderer.record(self.plan, &evaluated)
    }

    /// Single pass: decide the cross-record rules and count the deferred
    /// records.
    fn finish_cross(&mut self, opts: &RunOptions, pool: &rayon::ThreadPool) {
        if self.collectors.is_empty() {
            return;
        }
        let plan = self.plan;
        let collectors = std::mem::take(&mut self.collectors);
        let mut cross: Vec<_> = pool.install(|| {
            collectors
                .into_par_iter()
                .flat_map_iter(|c| c.finish(plan, opts.lang, opts.messages).into_findings(plan))
                .collect()
        });
        cross.sort_by_key(|f: &crate::cross::CrossFinding| (f.record, f.finding.rule));
        let mut pending = cross.into_iter().peekable();
        for (index, id, facts, mut standing) in std::mem::take(&mut self.deferred) {
            while let Some(f) = pending.next_if(|f| f.record == index) {
                let one = std::slice::from_ref(&f.finding);
                self.summary.add_findings(one, f.value);
                self.summary.note_exemptions(&id, one);
                standing.add(plan, &f.finding);
            }
            self.summary.add_standing(&facts, &standing);
        }
    }
}

/// Merge the record's cross-record findings (second pass) into its own.
fn add_decided(plan: &Plan, decided: &mut [Decided], r: &mut Evaluated) {
    let mut added = false;
    for d in decided.iter_mut() {
        if let Some(f) = d.take(plan, r.index) {
            r.findings.push(f.finding);
            added = true;
        }
    }
    if added {
        r.findings.sort_by_key(|f| f.rule);
        r.status = status_of(plan, &r.findings);
    }
}

fn collectors(plan: &Plan) -> Vec<Collector> {
    plan.rules
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.kind, RuleKind::Cross(_)))
        .map(|(i, _)| Collector::new(i as u16))
        .collect()
}

/// First pass: read the fields cross-record rules need and decide them.
fn decide_cross(
    plan: &Plan,
    engine: &Engine<'_>,
    inputs: &[InputSpec],
    opts: &RunOptions,
    pool: &rayon::ThreadPool,
) -> Vec<Decided> {
    let want = plan.want(cross_fields(plan));
    let mut collectors = collectors(plan);
    let mut reader = Reader::new(inputs, opts.batch, opts.read.clone());
    let mut next_index = 0u64;
    loop {
        let batch = reader.next_batch();
        if batch.is_empty() {
            break;
        }
        let base = next_index;
        next_index += batch.len() as u64;
        let members: Vec<_> = pool.install(|| {
            batch
                .into_par_iter()
                .enumerate()
                .map(|(i, raw)| {
                    let (_, record) = raw.into_record(&want);
                    record
                        .map(|r| engine.cross_members(r, base + i as u64))
                        .unwrap_or_default()
                })
                .collect()
        });
        for (rule, member) in members.into_iter().flatten() {
            if let Some(c) = collectors.iter_mut().find(|c| c.rule() == rule) {
                c.add(member);
            }
        }
    }
    pool.install(|| {
        collectors
            .into_par_iter()
            .map(|c| c.finish(plan, opts.lang, opts.messages))
            .collect()
    })
}

/// Copy standard input to a temporary file that both passes read.
fn keep_stdin(inputs: &[InputSpec]) -> io::Result<(Vec<InputSpec>, Option<tempfile::TempPath>)> {
    if !inputs.iter().any(|i| matches!(i, InputSpec::Stdin)) {
        return Ok((inputs.to_vec(), None));
    }
    let mut file = tempfile::NamedTempFile::new()?;
    io::copy(&mut io::stdin().lock(), &mut file)?;
    let path = file.into_temp_path();
    let inputs = inputs
        .iter()
        .map(|i| match i {
            InputSpec::Stdin => InputSpec::Kept(path.to_path_buf()),
            other => other.clone(),
        })
        .collect();
    Ok((inputs, Some(path)))
}

/// The record fields a run reads: those the rules use, and those reports
/// show. Everything else in the input is skipped unread.
fn fields_wanted(plan: &Plan) -> FieldSet {
    let mut want = crate::report::coverage_fields(plan);
    want.insert(idx("title"));
    want.insert(idx("stage"));
    want
}

/// The fields the first pass reads: those of the policies' scopes and of the
/// cross-record rules' conditions, keys and values, and the date.
fn cross_fields(plan: &Plan) -> FieldSet {
    let mut roots: Vec<NodeId> = plan.policies.iter().filter_map(|p| p.applies).collect();
    for rule in &plan.rules {
        if let RuleKind::Cross(c) = &rule.kind {
            roots.extend(rule.applies);
            roots.extend(c.filter);
            roots.extend(c.keys.iter().copied());
            roots.extend(c.member_values.iter().copied());
        }
    }
    let mut want = fields_below(plan, &roots);
    want.union(plan.scope_fields());
    want.insert(idx("id"));
    want.insert(idx("date"));
    want
}

/// The record fields the expressions at `roots` read.
pub(crate) fn fields_below(plan: &Plan, roots: &[NodeId]) -> FieldSet {
    let mut want = FieldSet::default();
    let mut stack = roots.to_vec();
    let mut seen = HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        match plan.node(id) {
            Node::Field(_, i) | Node::Extra(_, i) | Node::List(_, i) => want.insert(*i),
            Node::VarField(_, _, i) => want.insert(*i),
            Node::Project(_, _, list, item) => {
                want.insert(*list);
                want.insert(*item);
            }
            Node::Let(l) => stack.push(plan.lets[*l as usize]),
            Node::Index(a, _) | Node::Not(a) | Node::Neg(a) | Node::Test(_, a) => stack.push(*a),
            Node::And(c) | Node::Or(c) | Node::Call(_, c) => stack.extend(c.iter().copied()),
            Node::Cmp(_, a, b) | Node::Arith(_, a, b) | Node::StartsWith(a, b) | Node::Otherwise(a, b) => {
                stack.extend([*a, *b])
            }
            Node::In { value, list, .. } => stack.extend([*value, *list]),
            Node::If(a, b, c) => stack.extend([*a, *b, *c]),
            Node::Quant { list, filter, body, .. } => {
                stack.push(*list);
                stack.extend(*filter);
                stack.extend(*body);
            }
            Node::Const(_) | Node::Param(_) | Node::Var(_) | Node::Aggregate(_) => {}
        }
    }
    want
}
