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
use crate::report::{Facts, Meta, RecordFormatter, Renderer, Standing, Summary};
use crate::schema::{FieldSet, Want, idx};
use crate::syntax::ast::Lang;
use crate::value::Money;
use chrono::NaiveDate;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
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
            batch: 1024,
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
    // Groups and a member's view are counted record by record, on the
    // full path.
    if !renderer.wants_records() && opts.group_by.is_none() && opts.member.is_none() {
        return run_summary(plan, &engine, inputs, opts, meta, renderer, pool);
    }
    let two_pass = plan.has_cross_rules();
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
    let mut pass = Pass::new(plan, opts.lang, Vec::new(), decided);
    pass.summary.groups = opts
        .group_by
        .map(|by| crate::report::groups::Groups::new(by, opts.lang));
    pass.summary.member = opts.member.clone();
    renderer.begin(plan, meta)?;
    let formatter = renderer.formatter();
    let want = plan.want(fields_wanted(plan));
    for (base, batch) in batches(&inputs, opts) {
        let results = pool.install(|| {
            evaluate_batch(
                &engine,
                batch,
                base,
                &want,
                pass.decided.as_deref(),
                formatter.as_deref(),
            )
        });
        for result in results {
            match result {
                Ok((evaluated, bytes)) => pass.record(evaluated, bytes, renderer, formatter.as_deref())?,
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

/// A run whose renderer shows only the summary: one pass, the summary of
/// each batch counted on the worker threads while its records are fresh in
/// the cache, merged in input order. Records taking part in cross-record
/// rules wait, in a compact form, for the rules' decisions.
fn run_summary(
    plan: &Plan,
    engine: &Engine<'_>,
    inputs: &[InputSpec],
    opts: &RunOptions,
    meta: &Meta,
    renderer: &mut dyn Renderer,
    pool: &rayon::ThreadPool,
) -> io::Result<RunResult> {
    let mut pass = Pass::new(plan, opts.lang, collectors(plan), None);
    renderer.begin(plan, meta)?;
    let want = plan.want(fields_wanted(plan));
    for (base, batch) in batches(inputs, opts) {
        let part = pool.install(|| {
            batch
                .into_par_iter()
                .enumerate()
                .fold(
                    || Part::new(plan),
                    |mut part, (i, raw)| {
                        part.add(engine, raw, base + i as u64, &want);
                        part
                    },
                )
                .reduce(|| Part::new(plan), Part::merge)
        });
        pass.absorb(part);
    }
    pass.count_duplicate_ids();
    pass.finish_cross(opts, pool);
    renderer.finish(plan, meta, &pass.summary, &pass.errors)?;
    Ok(RunResult {
        summary: pass.summary,
        errors: pass.errors,
    })
}

/// What a worker makes of a run of consecutive records for a summary.
struct Part<'p> {
    plan: &'p Plan,
    summary: Summary,
    errors: Vec<InputError>,
    /// Each record's id hash, odd if the record had warnings, in order:
    /// duplicates are counted at the end.
    ids: Vec<u64>,
    members: Vec<(crate::plan::RuleId, crate::cross::Member)>,
    deferred: Vec<Deferred>,
}

/// What the summary needs of a record taking part in cross-record rules
/// until their findings are decided, as a worker leaves it.
struct Deferred {
    index: u64,
    /// Kept only when the record has exemptions a cross-record finding may
    /// use, for the list of exemptions used.
    id: Option<Box<str>>,
    value: Option<Money>,
    date: Option<NaiveDate>,
    buyer: Buyer,
    standing: Standing,
}

/// A buyer's id and name, as the summary counts buyers.
type Buyer = (Option<Box<str>>, Option<Box<str>>);

/// [`Deferred`] as the run keeps it: a few words, since a run may hold
/// hundreds of thousands.
struct Waiting {
    index: u64,
    value: Option<Money>,
    date: Option<NaiveDate>,
    /// In [`Pass::buyers`].
    buyer: u32,
    /// In [`Pass::waiting_ids`], or `NONE`.
    id: u32,
    standing: Packed,
}

const NONE: u32 = u32::MAX;

/// A [`Standing`] in one word where the plan's areas allow it.
enum Packed {
    Word(u64),
    Full(Box<Standing>),
}

impl Packed {
    fn new(standing: Standing) -> Self {
        match standing.pack() {
            Some(word) => Packed::Word(word),
            None => Packed::Full(Box::new(standing)),
        }
    }

    fn unpack(self, areas: usize) -> Standing {
        match self {
            Packed::Word(word) => Standing::unpack(word, areas),
            Packed::Full(s) => *s,
        }
    }
}

impl<'p> Part<'p> {
    fn new(plan: &'p Plan) -> Self {
        Part {
            plan,
            summary: Summary::new(plan),
            errors: Vec::new(),
            ids: Vec::new(),
            members: Vec::new(),
            deferred: Vec::new(),
        }
    }

    fn add(&mut self, engine: &Engine<'_>, raw: Raw, index: u64, want: &Want) {
        let (source, record) = raw.into_record(want);
        let out = match record {
            Ok(r) => engine.evaluate(r, source, index),
            Err(message) => Err(InputError { index, source, message }),
        };
        let crate::engine::RecordOutput { evaluated, members } = match out {
            Ok(out) => out,
            Err(e) => {
                self.summary.input_errors += 1;
                self.errors.push(e);
                return;
            }
        };
        // The low bit says whether the record had warnings already.
        self.ids
            .push(id_hash(&evaluated.id) & !1 | u64::from(!evaluated.warnings.is_empty()));
        if members.is_empty() {
            self.summary.add_record(self.plan, &evaluated);
            return;
        }
        let exemptions = members.iter().any(|(_, m)| !m.exemptions.is_empty());
        self.members.extend(members);
        self.deferred
            .push(defer(self.plan, &mut self.summary, &evaluated, exemptions));
    }

    /// `other` holds the records right after this part's.
    fn merge(mut self, other: Part<'p>) -> Self {
        self.summary.merge(other.summary);
        self.errors.extend(other.errors);
        self.ids.extend(other.ids);
        self.members.extend(other.members);
        self.deferred.extend(other.deferred);
        self
    }
}

/// Count what is known of a record taking part in cross-record rules, and
/// keep what the summary needs once their findings are decided.
fn defer(plan: &Plan, summary: &mut Summary, evaluated: &Evaluated, exemptions: bool) -> Deferred {
    summary.add_findings(&evaluated.findings, evaluated.value);
    summary.note_exemptions(&evaluated.id, &evaluated.findings);
    summary.add_facts(&Facts::borrow(evaluated));
    let standing = Standing::of(plan, &evaluated.findings);
    if standing.status == crate::finding::Status::NonCompliant {
        // Cross-record findings cannot make it less so.
        summary.highlight(plan, evaluated);
    }
    Deferred {
        index: evaluated.index,
        id: exemptions.then(|| evaluated.id.as_str().into()),
        value: evaluated.value,
        date: evaluated.date,
        buyer: (
            evaluated.buyer_id.as_deref().map(Into::into),
            evaluated.buyer_name.as_deref().map(Into::into),
        ),
        standing,
    }
}

fn id_hash(id: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

fn duplicate_id(id: &str) -> crate::record::DataWarning {
    crate::record::DataWarning {
        field: "id".into(),
        message: format!("another record in the input has the id `{id}`"),
    }
}

/// A set of id hashes. The keys are hashes already: hashing them again
/// would only cost time.
type IdSet = HashSet<u64, std::hash::BuildHasherDefault<IdentityHasher>>;

#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Evaluate a batch on the worker threads: each record with its
/// cross-record findings (decided in the first pass) and, when the renderer
/// has a formatter, formatted.
fn evaluate_batch(
    engine: &Engine<'_>,
    batch: Vec<Raw>,
    base: u64,
    want: &Want,
    decided: Option<&[Decided]>,
    formatter: Option<&dyn RecordFormatter>,
) -> Vec<Result<(Evaluated, Vec<u8>), InputError>> {
    let plan = engine.plan;
    batch
        .into_par_iter()
        .enumerate()
        .map(|(i, raw)| {
            let index = base + i as u64;
            let (source, record) = raw.into_record(want);
            let mut evaluated = match record {
                Ok(r) => engine.evaluate(r, source, index)?.evaluated,
                Err(message) => return Err(InputError { index, source, message }),
            };
            if let Some(decided) = decided {
                add_decided(plan, decided, &mut evaluated);
            }
            let mut bytes = Vec::new();
            if let Some(f) = formatter {
                f.format(plan, &evaluated, &mut bytes);
            }
            Ok((evaluated, bytes))
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
    seen_ids: IdSet,
    /// Single pass: cross-record members collected as records go by.
    collectors: Vec<Collector>,
    /// Two passes: the cross-record decisions of the first.
    decided: Option<Vec<Decided>>,
    /// Single pass: what the summary needs of taking-part records until
    /// their cross-record findings are known.
    waiting: Vec<Waiting>,
    waiting_ids: Vec<Box<str>>,
    /// The buyers of waiting records, each once.
    buyers: Vec<Buyer>,
    buyer_slots: HashMap<Buyer, u32>,
    /// Summary only: each record's id hash (odd if the record had warnings),
    /// in input order, for duplicates to be counted at the end.
    id_hashes: Vec<u64>,
}

impl<'p> Pass<'p> {
    fn new(plan: &'p Plan, lang: Lang, collectors: Vec<Collector>, decided: Option<Vec<Decided>>) -> Self {
        Pass {
            plan,
            lang,
            summary: Summary::new(plan),
            errors: Vec::new(),
            seen_ids: IdSet::default(),
            collectors,
            decided,
            waiting: Vec::new(),
            waiting_ids: Vec::new(),
            buyers: Vec::new(),
            buyer_slots: HashMap::new(),
            id_hashes: Vec::new(),
        }
    }

    /// Count and render one record, in input order; `bytes` are what the
    /// renderer's `formatter` made of it.
    fn record(
        &mut self,
        mut evaluated: Evaluated,
        mut bytes: Vec<u8>,
        renderer: &mut dyn Renderer,
        formatter: Option<&dyn RecordFormatter>,
    ) -> io::Result<()> {
        let mut changed = false;
        if !self.seen_ids.insert(id_hash(&evaluated.id)) {
            evaluated.warnings.push(duplicate_id(&evaluated.id));
            changed = true;
        }
        if let Some(member) = &self.summary.member {
            if !member.narrow(self.plan, &mut evaluated, self.lang) {
                // Not this member's procurement: its report leaves it out.
                return Ok(());
            }
            changed = true;
        }
        if changed && let Some(f) = formatter {
            bytes.clear();
            f.format(self.plan, &evaluated, &mut bytes);
        }
        self.summary.add_record(self.plan, &evaluated);
        match formatter {
            Some(_) => renderer.formatted(self.plan, &evaluated, &bytes),
            None => renderer.record(self.plan, &evaluated),
        }
    }

    /// Take in a worker's part of a summary-only run, in input order.
    fn absorb(&mut self, part: Part<'_>) {
        self.summary.merge(part.summary);
        self.errors.extend(part.errors);
        for d in part.deferred {
            // One copy of each buyer's id and name, however many records wait.
            let buyer = match self.buyer_slots.get(&d.buyer) {
                Some(&slot) => slot,
                None => {
                    let slot = u32::try_from(self.buyers.len()).unwrap_or(NONE);
                    self.buyers.push(d.buyer.clone());
                    self.buyer_slots.insert(d.buyer, slot);
                    slot
                }
            };
            let id = match d.id {
                Some(id) => {
                    self.waiting_ids.push(id);
                    u32::try_from(self.waiting_ids.len() - 1).unwrap_or(NONE)
                }
                None => NONE,
            };
            self.waiting.push(Waiting {
                index: d.index,
                value: d.value,
                date: d.date,
                buyer,
                id,
                standing: Packed::new(d.standing),
            });
        }
        self.id_hashes.extend(part.ids);
        for (rule, member) in part.members {
            if let Some(c) = self.collectors.iter_mut().find(|c| c.rule() == rule) {
                c.add(member);
            }
        }
    }

    /// Single pass: decide the cross-record rules and count the deferred
    /// records.
    fn finish_cross(&mut self, opts: &RunOptions, pool: &rayon::ThreadPool) {
        if self.collectors.is_empty() {
            return;
        }
        let plan = self.plan;
        let collectors = std::mem::take(&mut self.collectors);
        // Findings are made record by record from the decisions, never all
        // at once.
        let mut decided: Vec<Decided> = pool.install(|| {
            collectors
                .into_par_iter()
                .map(|c| c.finish(plan, opts.lang, opts.messages))
                .collect()
        });
        for w in std::mem::take(&mut self.waiting) {
            let mut standing = w.standing.unpack(plan.areas.len());
            for rule in decided.iter_mut() {
                let Some(f) = rule.take(plan, w.index) else { continue };
                let one = std::slice::from_ref(&f.finding);
                self.summary.add_findings(one, w.value);
                if let Some(id) = self.waiting_ids.get(w.id as usize) {
                    self.summary.note_exemptions(id, one);
                }
                standing.add(plan, &f.finding);
            }
            let (id, name) = self.buyers.get(w.buyer as usize).cloned().unwrap_or_default();
            self.summary
                .add_breakdowns(w.value, w.date, (id.as_deref(), name.as_deref()), &standing);
        }
    }

    /// Summary only: count the records whose id an earlier record has (a
    /// duplicate id is a data-quality warning on the later record).
    fn count_duplicate_ids(&mut self) {
        let mut hashes = std::mem::take(&mut self.id_hashes);
        // Stable: of equal ids, the first in the input stays first.
        hashes.sort_by_key(|h| h >> 1);
        for pair in hashes.windows(2) {
            let (earlier, later) = (pair[0], pair[1]);
            if earlier >> 1 == later >> 1 && later & 1 == 0 {
                self.summary.with_warnings += 1;
            }
        }
    }
}

/// Merge the record's cross-record findings (second pass) into its own.
fn add_decided(plan: &Plan, decided: &[Decided], r: &mut Evaluated) {
    let mut added = false;
    for d in decided {
        if let Some(f) = d.find(plan, r.index) {
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
    for (base, batch) in batches(inputs, opts) {
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

/// The input in batches, each with the input position of its first record.
fn batches(inputs: &[InputSpec], opts: &RunOptions) -> impl Iterator<Item = (u64, Vec<Raw>)> {
    let mut reader = Reader::new(inputs, opts.batch, opts.read.clone());
    let mut next = 0u64;
    std::iter::from_fn(move || {
        let batch = reader.next_batch();
        if batch.is_empty() {
            return None;
        }
        let base = next;
        next += batch.len() as u64;
        Some((base, batch))
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
pub fn fields_wanted(plan: &Plan) -> FieldSet {
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
