//! The report model: what one run found, summed up for every audience.
//! Renderers ([`json`], [`text`], [`html`], [`markdown`], [`junit`],
//! [`csv`]) only format it; none recomputes results.

pub mod baseline;
pub mod csv;
pub mod groups;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod overview;
pub mod page;
pub mod strategy;
pub mod text;

use crate::finding::{Evaluated, Finding, InputError, Outcome, Status};
use crate::plan::{Plan, RuleId};
use crate::syntax::ast::{Lang, Severity};
use crate::value::{Currency, Money};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::io;

/// The report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Text,
    Json,
    /// One self-contained page for people: charts, no records.
    Html,
    /// The content of the HTML report as Markdown tables.
    Markdown,
    /// JUnit XML: one test case per record and applicable rule.
    Junit,
    /// One row per record and rule.
    Csv,
}

impl ReportFormat {
    /// The language a report is in when none is asked for: Norwegian for
    /// the page politicians read, English otherwise.
    pub fn default_lang(self) -> Lang {
        match self {
            ReportFormat::Html => Lang::Nb,
            _ => Lang::En,
        }
    }

    /// The media type of the report.
    pub fn media_type(self) -> &'static str {
        match self {
            ReportFormat::Text => "text/plain; charset=utf-8",
            ReportFormat::Json => "application/json",
            ReportFormat::Html => "text/html; charset=utf-8",
            ReportFormat::Markdown => "text/markdown; charset=utf-8",
            ReportFormat::Junit => "application/xml",
            ReportFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    /// The usual file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ReportFormat::Text => "txt",
            ReportFormat::Json => "json",
            ReportFormat::Html => "html",
            ReportFormat::Markdown => "md",
            ReportFormat::Junit => "xml",
            ReportFormat::Csv => "csv",
        }
    }

    /// Whether the format is made of per-record entries only (it has no
    /// summary-only form).
    pub fn per_record(self) -> bool {
        matches!(self, ReportFormat::Junit | ReportFormat::Csv)
    }
}

/// How a report is rendered, whatever its format.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Leave out per-record entries.
    pub summary_only: bool,
    /// Text: also list rules that passed or did not apply.
    pub verbose: bool,
    /// Text: colour for a terminal.
    pub color: bool,
    /// CSV: start with a UTF-8 byte-order mark (for Excel).
    pub bom: bool,
    /// Compare with an earlier JSON report: what is new, fixed, still failing.
    pub baseline: Option<std::sync::Arc<baseline::Baseline>>,
    /// Records per buyer or per cooperation and member (`--group-by`).
    pub group_by: Option<groups::GroupBy>,
    /// The member whose council the report is for (`--member`).
    pub member: Option<groups::MemberView>,
}

/// The renderer for `format`, writing to `out`. Every front end (the CLI,
/// the service) picks renderers here.
pub fn renderer<'w>(
    format: ReportFormat,
    out: Box<dyn io::Write + 'w>,
    options: &RenderOptions,
) -> Box<dyn Renderer + 'w> {
    let inner: Box<dyn Renderer + 'w> = match format {
        ReportFormat::Text => Box::new(
            text::TextRenderer::new(out, options.color, options.verbose, options.summary_only)
                .grouped(options.group_by)
                .member(options.member.clone()),
        ),
        ReportFormat::Json => Box::new(json::JsonRenderer::new(out, options.summary_only)),
        ReportFormat::Html => Box::new(page::PageRenderer::new(out, html::render)),
        ReportFormat::Markdown => Box::new(page::PageRenderer::new(out, |page, _| markdown::render(page))),
        ReportFormat::Junit => Box::new(junit::JunitRenderer::new(out).grouped(options.group_by)),
        ReportFormat::Csv => Box::new(self::csv::CsvRenderer::new(out, options.bom).grouped(options.group_by)),
    };
    match &options.baseline {
        Some(b) => Box::new(baseline::Compare::new(inner, b.clone())),
        None => inner,
    }
}

/// Facts about a run that every renderer shows.
#[derive(Debug, Clone)]
pub struct Meta {
    pub version: &'static str,
    pub lang: Lang,
    pub inputs: Vec<String>,
}

/// Receives a run's results in input order. `record` may be called with
/// records while others are still being read; `finish` comes last.
pub trait Renderer {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()>;
    fn record(&mut self, plan: &Plan, record: &Evaluated) -> io::Result<()>;
    fn finish(&mut self, plan: &Plan, meta: &Meta, summary: &Summary, errors: &[InputError]) -> io::Result<()>;
    /// Whether the renderer shows records one by one (a summary-only report
    /// does not, which lets a run keep less in memory).
    fn wants_records(&self) -> bool {
        true
    }
    /// A formatter of records that can run on the worker threads, for a
    /// renderer whose records are independent of each other; the run then
    /// hands each record with its formatted bytes to [`Renderer::formatted`].
    fn formatter(&self) -> Option<std::sync::Arc<dyn RecordFormatter>> {
        None
    }
    /// A record and the bytes the renderer's [`Renderer::formatter`] made
    /// of it, in input order.
    fn formatted(&mut self, plan: &Plan, record: &Evaluated, _bytes: &[u8]) -> io::Result<()> {
        self.record(plan, record)
    }
    /// The comparison with a baseline report, given just before `finish`
    /// to renderers that show it.
    fn compared(&mut self, _comparison: &baseline::Comparison) {}
    /// The comparison with a baseline report, once the run is finished (a
    /// renderer made with [`RenderOptions::baseline`] has one).
    fn comparison(&self) -> Option<&baseline::Comparison> {
        None
    }
}

/// A renderer that passes everything on to `inner` and keeps each record:
/// for tests and tools that want both the report and the records.
pub struct Keep<'w> {
    pub inner: Box<dyn Renderer + 'w>,
    pub records: Vec<Evaluated>,
}

impl<'w> Keep<'w> {
    pub fn new(inner: Box<dyn Renderer + 'w>) -> Self {
        Keep {
            inner,
            records: Vec::new(),
        }
    }
}

impl Renderer for Keep<'_> {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()> {
        self.inner.begin(plan, meta)
    }
    fn record(&mut self, plan: &Plan, record: &Evaluated) -> io::Result<()> {
        self.records.push(record.clone());
        self.inner.record(plan, record)
    }
    fn finish(&mut self, plan: &Plan, meta: &Meta, summary: &Summary, errors: &[InputError]) -> io::Result<()> {
        self.inner.finish(plan, meta, summary, errors)
    }
}

/// Formats one record the way a renderer writes it, on any thread: a run
/// formats records where they are evaluated, on all cores, and the renderer
/// only writes the bytes in order.
pub trait RecordFormatter: Send + Sync {
    fn format(&self, plan: &Plan, record: &Evaluated, out: &mut Vec<u8>);
}

/// Value of records by status, in one currency.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spend {
    pub total: Decimal,
    pub compliant: Decimal,
    pub non_compliant: Decimal,
    pub incomplete: Decimal,
}

impl Spend {
    fn merge(&mut self, other: &Spend) {
        for (slot, more) in [
            (&mut self.total, other.total),
            (&mut self.compliant, other.compliant),
            (&mut self.non_compliant, other.non_compliant),
            (&mut self.incomplete, other.incomplete),
        ] {
            *slot = slot.checked_add(more).unwrap_or(Decimal::MAX);
        }
    }

    fn add(&mut self, status: Status, amount: Decimal) {
        let add = |slot: &mut Decimal| *slot = slot.checked_add(amount).unwrap_or(Decimal::MAX);
        add(&mut self.total);
        match status {
            Status::Compliant => add(&mut self.compliant),
            Status::NonCompliant => add(&mut self.non_compliant),
            Status::Incomplete => add(&mut self.incomplete),
        }
    }

    /// Share of the total value that is compliant, in percent.
    pub fn compliant_share(&self) -> Option<Decimal> {
        share(self.compliant, self.total)
    }
}

pub fn share(part: Decimal, total: Decimal) -> Option<Decimal> {
    if total.is_zero() {
        return None;
    }
    part.checked_mul(Decimal::ONE_HUNDRED)?
        .checked_div(total)
        .map(|d| d.round_dp(1))
}

/// Records and their value by status.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Breakdown {
    pub records: u64,
    pub compliant: u64,
    pub non_compliant: u64,
    pub incomplete: u64,
    /// Records where a `should` rule failed (whatever their status).
    pub flagged: u64,
    pub spend: BTreeMap<Currency, Spend>,
}

impl Breakdown {
    /// Add the counts of `other`, a breakdown of later records.
    pub fn merge(&mut self, other: &Breakdown) {
        self.records += other.records;
        self.compliant += other.compliant;
        self.non_compliant += other.non_compliant;
        self.incomplete += other.incomplete;
        self.flagged += other.flagged;
        for (currency, spend) in &other.spend {
            self.spend.entry(*currency).or_default().merge(spend);
        }
    }

    pub fn add(&mut self, status: Status, flagged: bool, value: Option<Money>) {
        self.records += 1;
        if flagged {
            self.flagged += 1;
        }
        match status {
            Status::Compliant => self.compliant += 1,
            Status::NonCompliant => self.non_compliant += 1,
            Status::Incomplete => self.incomplete += 1,
        }
        if let Some(m) = value {
            self.spend.entry(m.currency).or_default().add(status, m.amount);
        }
    }
}

/// Outcomes of one rule over all records, with the value concerned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleTally {
    pub counts: [u64; 5],
    /// Value per currency (sorted by currency) and outcome. A short list:
    /// a run rarely sees more than a few currencies.
    pub value: Vec<(Currency, [Decimal; 5])>,
}

impl RuleTally {
    pub fn add(&mut self, outcome: Outcome, value: Option<Money>) {
        let i = outcome_index(outcome);
        self.counts[i] += 1;
        if let Some(m) = value {
            let slot = &mut self.in_currency(m.currency)[i];
            *slot = slot.checked_add(m.amount).unwrap_or(Decimal::MAX);
        }
    }

    fn in_currency(&mut self, currency: Currency) -> &mut [Decimal; 5] {
        let at = match self.value.iter().position(|(c, _)| *c == currency) {
            Some(at) => at,
            None => {
                let at = self.value.partition_point(|(c, _)| *c < currency);
                self.value.insert(at, (currency, Default::default()));
                at
            }
        };
        &mut self.value[at].1
    }

    /// Add the tally of `other`, of later records.
    pub fn merge(&mut self, other: &RuleTally) {
        for (n, more) in self.counts.iter_mut().zip(other.counts) {
            *n += more;
        }
        for (currency, values) in &other.value {
            for (slot, more) in self.in_currency(*currency).iter_mut().zip(values) {
                *slot = slot.checked_add(*more).unwrap_or(Decimal::MAX);
            }
        }
    }

    pub fn count(&self, outcome: Outcome) -> u64 {
        self.counts[outcome_index(outcome)]
    }
}

pub fn outcome_index(o: Outcome) -> usize {
    match o {
        Outcome::Pass => 0,
        Outcome::Fail => 1,
        Outcome::Unknown => 2,
        Outcome::Waived => 3,
        Outcome::NotApplicable => 4,
    }
}

/// Everything a run adds up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub overall: Breakdown,
    pub input_errors: u64,
    pub with_warnings: u64,
    pub without_value: u64,
    pub rules: Vec<RuleTally>,
    /// Per strategy area (indexed by area), the records it concerns: those
    /// with at least one rule of the area that applied.
    pub areas: Vec<Breakdown>,
    /// Per buyer id (or name), with the buyer's name.
    pub buyers: BTreeMap<String, (String, Breakdown)>,
    /// Per quarter of the record date (`None`: no date).
    pub quarters: BTreeMap<Option<Quarter>, Breakdown>,
    /// How often each missing field made a finding `unknown`.
    pub missing: BTreeMap<&'static str, u64>,
    /// Findings waived by an exemption, and exemptions found expired.
    pub waived: u64,
    pub expired_exemptions: u64,
    /// Per field (in `schema::FIELDS` order): records that have it. Only
    /// the fields in `coverage_fields` are counted (those the policies use,
    /// and the record's identity, date and value).
    pub fields_present: Vec<u64>,
    pub coverage_fields: crate::schema::FieldSet,
    /// The largest non-compliant records by value (at most
    /// [`HIGHLIGHTS`]), largest first.
    pub largest_non_compliant: Vec<Highlight>,
    /// Every exemption that waived a finding or was found expired (at most
    /// [`EXEMPTIONS_KEPT`]; `exemptions_omitted` counts the rest).
    pub exemptions: Vec<ExemptionUse>,
    pub exemptions_omitted: u64,
    /// Per buyer or per cooperation and member (`--group-by`).
    pub groups: Option<groups::Groups>,
    /// The member whose council the report is for (`--member`).
    pub member: Option<groups::MemberView>,
}

/// The fields whose coverage a summary counts: those the policies use, and
/// the record's identity, date and value (every run reads these).
pub fn coverage_fields(plan: &Plan) -> crate::schema::FieldSet {
    use crate::schema::idx;
    let mut set = plan.fields_used();
    for f in [
        idx("id"),
        idx("date"),
        idx("estimated_value"),
        idx("awarded_value"),
        idx("buyer.id"),
        idx("buyer.name"),
    ] {
        set.insert(f);
    }
    set
}

/// The order of the largest non-compliant records: NOK first, then by
/// amount, largest first.
fn highlight_key(value: &Money) -> (bool, std::cmp::Reverse<Decimal>) {
    (value.currency != Currency::NOK, std::cmp::Reverse(value.amount))
}

/// How many of the largest non-compliant records a summary keeps.
pub const HIGHLIGHTS: usize = 10;
/// How many exemption uses a summary lists.
pub const EXEMPTIONS_KEPT: usize = 1000;

/// A non-compliant record, for the list of the largest.
#[derive(Debug, Clone, PartialEq)]
pub struct Highlight {
    pub id: String,
    pub title: Option<String>,
    pub buyer: Option<String>,
    pub date: Option<chrono::NaiveDate>,
    pub value: Money,
    pub source: crate::finding::Source,
    /// The `must` rules that failed, with their messages.
    pub reasons: Vec<Reason>,
}

/// A `must` rule that failed, for the list of the largest non-compliant
/// records.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    pub rule: RuleId,
    pub message: String,
    /// Whose rule it is when it is not every party's ([`whose_rule`]).
    pub whose: Option<String>,
}

/// An exemption that waived a finding, or that had expired.
#[derive(Debug, Clone, PartialEq)]
pub struct ExemptionUse {
    pub record: String,
    pub rule: RuleId,
    pub reason: Option<String>,
    pub approved_by: Option<String>,
    pub expires: Option<chrono::NaiveDate>,
    /// `true`: it waived the finding; `false`: it had expired.
    pub applied: bool,
}

impl Summary {
    pub fn new(plan: &Plan) -> Self {
        Summary {
            rules: vec![RuleTally::default(); plan.rules.len()],
            areas: vec![Breakdown::default(); plan.areas.len()],
            fields_present: vec![0; crate::schema::FIELDS.len()],
            coverage_fields: coverage_fields(plan),
            ..Default::default()
        }
    }

    /// Count a record with its final findings.
    /// Add `other`, the summary of records that come after this one's in
    /// the input: the result is what one summary of both would be.
    pub fn merge(&mut self, other: Summary) {
        self.overall.merge(&other.overall);
        self.input_errors += other.input_errors;
        self.with_warnings += other.with_warnings;
        self.without_value += other.without_value;
        for (t, o) in self.rules.iter_mut().zip(&other.rules) {
            t.merge(o);
        }
        for (a, o) in self.areas.iter_mut().zip(&other.areas) {
            a.merge(o);
        }
        for (key, (name, b)) in other.buyers {
            // The name seen first stays.
            self.buyers
                .entry(key)
                .or_insert_with(|| (name, Breakdown::default()))
                .1
                .merge(&b);
        }
        for (quarter, b) in other.quarters {
            self.quarters.entry(quarter).or_default().merge(&b);
        }
        for (field, n) in other.missing {
            *self.missing.entry(field).or_insert(0) += n;
        }
        self.waived += other.waived;
        self.expired_exemptions += other.expired_exemptions;
        for (n, more) in self.fields_present.iter_mut().zip(other.fields_present) {
            *n += more;
        }
        // Largest first; of equal ones, the earlier record first.
        self.largest_non_compliant.extend(other.largest_non_compliant);
        self.largest_non_compliant.sort_by_key(|h| highlight_key(&h.value));
        self.largest_non_compliant.truncate(HIGHLIGHTS);
        let room = EXEMPTIONS_KEPT.saturating_sub(self.exemptions.len());
        let more = other.exemptions.len();
        self.exemptions.extend(other.exemptions.into_iter().take(room));
        self.exemptions_omitted += other.exemptions_omitted + more.saturating_sub(room) as u64;
    }

    pub fn add_record(&mut self, plan: &Plan, r: &Evaluated) {
        self.add_findings(&r.findings, r.value);
        self.note_exemptions(&r.id, &r.findings);
        let standing = Standing::of(plan, &r.findings);
        self.add_standing(&Facts::borrow(r), &standing);
        if standing.status == Status::NonCompliant {
            self.highlight(plan, r);
        }
        if let Some(g) = &mut self.groups {
            g.add(plan, r);
        }
    }

    /// Keep the exemptions a record's findings used or found expired.
    pub fn note_exemptions(&mut self, record: &str, findings: &[Finding]) {
        for f in findings {
            let used = match (&f.waiver, f.exemption_expired) {
                (Some(w), _) => ExemptionUse {
                    record: record.to_string(),
                    rule: f.rule,
                    reason: w.reason.clone(),
                    approved_by: w.approved_by.clone(),
                    expires: w.expires,
                    applied: true,
                },
                (None, true) => ExemptionUse {
                    record: record.to_string(),
                    rule: f.rule,
                    reason: None,
                    approved_by: None,
                    expires: None,
                    applied: false,
                },
                _ => continue,
            };
            if self.exemptions.len() < EXEMPTIONS_KEPT {
                self.exemptions.push(used);
            } else {
                self.exemptions_omitted += 1;
            }
        }
    }

    /// Keep a non-compliant record if it is among the largest by value.
    pub fn highlight(&mut self, plan: &Plan, r: &Evaluated) {
        let Some(value) = r.value else { return };
        let key = |h: &Highlight| highlight_key(&h.value);
        let candidate_key = highlight_key(&value);
        if self.largest_non_compliant.len() >= HIGHLIGHTS
            && self
                .largest_non_compliant
                .last()
                .is_some_and(|last| key(last) <= candidate_key)
        {
            return;
        }
        let reasons = r
            .findings
            .iter()
            .filter(|f| f.outcome == Outcome::Fail && plan.rules[f.rule as usize].severity == Severity::Must)
            .map(|f| Reason {
                rule: f.rule,
                message: f.message.clone(),
                whose: whose_rule(plan, r, f.rule),
            })
            .collect();
        let h = Highlight {
            id: r.id.clone(),
            title: r.title.clone(),
            buyer: r.buyer_name.clone().or_else(|| r.buyer_id.clone()),
            date: r.date,
            value,
            source: r.source.clone(),
            reasons,
        };
        // Ties keep input order: a later record goes after equal ones.
        let at = self.largest_non_compliant.partition_point(|x| key(x) <= candidate_key);
        self.largest_non_compliant.insert(at, h);
        self.largest_non_compliant.truncate(HIGHLIGHTS);
    }

    /// Count findings in the rule tallies and data-coverage counts.
    pub fn add_findings(&mut self, findings: &[Finding], value: Option<Money>) {
        for f in findings {
            self.add_finding(f.rule, f.outcome, value);
            for m in &f.missing {
                *self.missing.entry(m).or_insert(0) += 1;
            }
            if f.waiver.is_some() {
                self.waived += 1;
            }
            if f.exemption_expired {
                self.expired_exemptions += 1;
            }
        }
    }

    /// Count a record's standing: overall, per area, per buyer, per quarter.
    pub fn add_standing(&mut self, facts: &Facts<'_>, standing: &Standing) {
        self.add_facts(facts);
        let buyer = (facts.buyer_id.as_deref(), facts.buyer_name.as_deref());
        self.add_breakdowns(facts.value, facts.date, buyer, standing);
    }

    /// Count what does not depend on the record's standing: data coverage
    /// and quality.
    pub fn add_facts(&mut self, facts: &Facts<'_>) {
        for i in facts.present.intersection(self.coverage_fields).iter() {
            if let Some(n) = self.fields_present.get_mut(usize::from(i)) {
                *n += 1;
            }
        }
        if facts.warnings {
            self.with_warnings += 1;
        }
        if facts.value.is_none() {
            self.without_value += 1;
        }
    }

    /// Count a record's standing: overall, per area, per buyer (id, name)
    /// and per quarter.
    pub fn add_breakdowns(
        &mut self,
        value: Option<Money>,
        date: Option<chrono::NaiveDate>,
        (buyer_id, buyer_name): (Option<&str>, Option<&str>),
        standing: &Standing,
    ) {
        self.overall.add(standing.status, standing.flagged, value);
        for (area, a) in self.areas.iter_mut().zip(&standing.areas) {
            if let Some(a) = a {
                area.add(a.status, a.flagged, value);
            }
        }
        // One buyer, however its organisation number is written.
        let normalised = buyer_id.map(crate::eval::normalized_id);
        let key = normalised.as_deref().or(buyer_name).unwrap_or("-");
        let buyer = match self.buyers.get_mut(key) {
            Some(b) => b,
            None => {
                let name = buyer_name.or(buyer_id).unwrap_or("-");
                self.buyers
                    .entry(key.to_string())
                    .or_insert_with(|| (name.to_string(), Breakdown::default()))
            }
        };
        buyer.1.add(standing.status, standing.flagged, value);
        self.quarters
            .entry(date.map(Quarter::of))
            .or_default()
            .add(standing.status, standing.flagged, value);
    }

    /// Count a finding decided after its record was counted.
    pub fn add_finding(&mut self, rule: RuleId, outcome: Outcome, value: Option<Money>) {
        if let Some(t) = self.rules.get_mut(rule as usize) {
            t.add(outcome, value);
        }
    }
}

/// What the summary needs of a record besides its findings: borrowed from
/// the record, or owned while the record waits for cross-record findings.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    pub value: Option<Money>,
    pub warnings: bool,
    pub buyer_id: Option<std::borrow::Cow<'a, str>>,
    pub buyer_name: Option<std::borrow::Cow<'a, str>>,
    pub date: Option<chrono::NaiveDate>,
    /// The fields the record has.
    pub present: crate::schema::FieldSet,
}

impl Facts<'_> {
    pub fn borrow(r: &Evaluated) -> Facts<'_> {
        Facts {
            value: r.value,
            warnings: !r.warnings.is_empty(),
            buyer_id: r.buyer_id.as_deref().map(std::borrow::Cow::Borrowed),
            buyer_name: r.buyer_name.as_deref().map(std::borrow::Cow::Borrowed),
            date: r.date,
            present: r.present,
        }
    }

    pub fn owned(r: &Evaluated) -> Facts<'static> {
        Facts {
            value: r.value,
            warnings: !r.warnings.is_empty(),
            buyer_id: r.buyer_id.clone().map(std::borrow::Cow::Owned),
            buyer_name: r.buyer_name.clone().map(std::borrow::Cow::Owned),
            date: r.date,
            present: r.present,
        }
    }
}

/// A calendar quarter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub quarter: u8,
}

impl Quarter {
    pub fn of(date: chrono::NaiveDate) -> Quarter {
        use chrono::Datelike;
        Quarter {
            year: date.year(),
            quarter: (date.month0() / 3 + 1) as u8,
        }
    }

    /// `2024-Q1`; `-` for no date.
    pub fn label(q: Option<Quarter>) -> String {
        match q {
            Some(q) => format!("{}-Q{}", q.year, q.quarter),
            None => "-".to_string(),
        }
    }
}

/// A record's status (from its `must` rules) and whether a `should` rule
/// failed, overall and per strategy area.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AreaStanding {
    pub status: Status,
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub status: Status,
    pub flagged: bool,
    /// Per area; `None` where no rule of the area applied to the record.
    pub areas: Vec<Option<AreaStanding>>,
}

impl Standing {
    /// The most areas [`Standing::pack`] can hold.
    pub const PACKED_AREAS: usize = 15;

    /// The standing in one word (2 bits of status and 1 flag bit, overall
    /// and per area, with a bit for whether a rule of the area applied),
    /// for plans with at most [`Standing::PACKED_AREAS`] areas.
    pub fn pack(&self) -> Option<u64> {
        if self.areas.len() > Self::PACKED_AREAS {
            return None;
        }
        let bits = |status: Status, flagged: bool| status as u64 | u64::from(flagged) << 2;
        let mut word = bits(self.status, self.flagged);
        for (i, a) in self.areas.iter().enumerate() {
            if let Some(a) = a {
                word |= (1 | bits(a.status, a.flagged) << 1) << (3 + 4 * i);
            }
        }
        Some(word)
    }

    /// The standing [`Standing::pack`] made of a plan with `areas` areas.
    pub fn unpack(word: u64, areas: usize) -> Standing {
        let status = |bits: u64| match bits & 3 {
            0 => Status::Compliant,
            1 => Status::NonCompliant,
            _ => Status::Incomplete,
        };
        Standing {
            status: status(word),
            flagged: word & 4 != 0,
            areas: (0..areas.min(Self::PACKED_AREAS))
                .map(|i| {
                    let a = word >> (3 + 4 * i);
                    (a & 1 != 0).then(|| AreaStanding {
                        status: status(a >> 1),
                        flagged: a & 8 != 0,
                    })
                })
                .collect(),
        }
    }

    pub fn of(plan: &Plan, findings: &[Finding]) -> Standing {
        let mut s = Standing {
            status: Status::Compliant,
            flagged: false,
            areas: vec![None; plan.areas.len()],
        };
        for f in findings {
            s.add(plan, f);
        }
        s
    }

    /// Take one more finding into account.
    pub fn add(&mut self, plan: &Plan, f: &Finding) {
        let rule = &plan.rules[f.rule as usize];
        let must = rule.severity == Severity::Must;
        let apply = |status: &mut Status, flagged: &mut bool| match (f.outcome, must) {
            (Outcome::Fail, true) => *status = Status::NonCompliant,
            (Outcome::Unknown, true) if *status == Status::Compliant => *status = Status::Incomplete,
            (Outcome::Fail, false) => *flagged = true,
            _ => {}
        };
        apply(&mut self.status, &mut self.flagged);
        if f.outcome != Outcome::NotApplicable
            && let Some(area) = self.areas.get_mut(rule.area as usize)
        {
            let a = area.get_or_insert_with(AreaStanding::default);
            apply(&mut a.status, &mut a.flagged);
        }
    }
}

/// The record's standing within one strategy area; `None` if no rule of the
/// area applied to it.
pub fn area_standing(plan: &Plan, r: &Evaluated, area: u16) -> Option<AreaStanding> {
    Standing::of(plan, &r.findings)
        .areas
        .get(area as usize)
        .copied()
        .flatten()
}

/// Whose rule a finding is, when the record has several parties and the
/// rule is not every party's: the names of the parties it is for
/// (`Steinkjer kommune`); `None` for a rule of every party.
pub fn whose_rule(plan: &Plan, r: &Evaluated, rule: RuleId) -> Option<String> {
    let scope = r.scope.as_deref()?;
    let set = scope.parties_of(plan, rule);
    if scope.parties.len() < 2 || set == scope.all() {
        return None;
    }
    Some(scope.names(&plan.register, set).join(", "))
}

/// The words before [`whose_rule`] in every report: `Rule for:`.
pub fn rule_for_word(lang: Lang) -> &'static str {
    match lang {
        Lang::Nb => "Regel for:",
        Lang::En => "Rule for:",
    }
}

/// Words for the fixed labels of reports.
pub fn outcome_word(o: Outcome, lang: Lang) -> &'static str {
    match (o, lang) {
        (Outcome::Pass, Lang::En) => "pass",
        (Outcome::Fail, Lang::En) => "fail",
        (Outcome::Unknown, Lang::En) => "unknown",
        (Outcome::Waived, Lang::En) => "waived",
        (Outcome::NotApplicable, Lang::En) => "not applicable",
        (Outcome::Pass, Lang::Nb) => "oppfylt",
        (Outcome::Fail, Lang::Nb) => "brudd",
        (Outcome::Unknown, Lang::Nb) => "ukjent",
        (Outcome::Waived, Lang::Nb) => "unntak",
        (Outcome::NotApplicable, Lang::Nb) => "gjelder ikke",
    }
}

pub fn status_word(s: Status, lang: Lang) -> &'static str {
    match (s, lang) {
        (Status::Compliant, Lang::En) => "compliant",
        (Status::NonCompliant, Lang::En) => "non-compliant",
        (Status::Incomplete, Lang::En) => "incomplete",
        (Status::Compliant, Lang::Nb) => "i samsvar",
        (Status::NonCompliant, Lang::Nb) => "ikke i samsvar",
        (Status::Incomplete, Lang::Nb) => "ufullstendig",
    }
}

pub fn severity_word(s: Severity, lang: Lang) -> &'static str {
    match (s, lang) {
        (Severity::Must, Lang::En) => "must",
        (Severity::Should, Lang::En) => "should",
        (Severity::Must, Lang::Nb) => "skal",
        (Severity::Should, Lang::Nb) => "bør",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standings_pack_into_a_word() {
        let statuses = [Status::Compliant, Status::NonCompliant, Status::Incomplete];
        for (i, &status) in statuses.iter().enumerate() {
            let areas = (0..Standing::PACKED_AREAS)
                .map(|a| {
                    (a % 4 != i).then_some(AreaStanding {
                        status: statuses[(a + i) % 3],
                        flagged: a % 2 == 0,
                    })
                })
                .collect();
            let s = Standing {
                status,
                flagged: i == 1,
                areas,
            };
            let word = s.pack().expect("fits");
            assert_eq!(Standing::unpack(word, Standing::PACKED_AREAS), s);
        }
        let wide = Standing {
            status: Status::Compliant,
            flagged: false,
            areas: vec![None; Standing::PACKED_AREAS + 1],
        };
        assert_eq!(wide.pack(), None);
    }
}
