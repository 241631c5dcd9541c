//! Cross-record rules: group the records that take part, slide a time
//! window over each group, and flag the members of windows whose aggregates
//! meet the rule's condition (e.g. purchases that are each below a threshold
//! but together reach it: FOA § 5-4).
//!
//! Each taking-part record leaves a [`Member`] (key, date, the few values the
//! aggregates need); nothing else of the record is kept. Groups are sorted
//! once and every window is visited with two pointers and incremental
//! aggregates, so a run costs O(n log n) whatever the window holds.

use crate::engine::apply_exemptions;
use crate::eval::{self, Cx};
use crate::finding::{Finding, Outcome};
use crate::plan::*;
use crate::record::Exemption;
use crate::schema::Domain;
use crate::syntax::ast::{CalendarUnit, Lang};
use crate::value::{Currency, Money, Val};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};

/// A group's key: its parts hashed to 128 bits. Two different keys get the
/// same hash with a probability of about n²/2¹²⁹ for n groups — nil for any
/// input there is — and a run keeps 16 bytes per group instead of its texts
/// (a rule grouping by supplier may have a group for every other record).
pub type GroupKey = u128;

/// Hashes the parts of a group key, in order.
pub struct KeyHasher {
    low: std::collections::hash_map::DefaultHasher,
    high: std::collections::hash_map::DefaultHasher,
}

impl Default for KeyHasher {
    fn default() -> Self {
        use std::hash::Hasher;
        let mut high = std::collections::hash_map::DefaultHasher::new();
        // A second, independent hash of the same parts.
        high.write_u64(0x9E37_79B9_7F4A_7C15);
        KeyHasher {
            low: std::collections::hash_map::DefaultHasher::new(),
            high,
        }
    }
}

impl KeyHasher {
    /// Add a part; `false` if it is missing (the key is incomplete). Parts
    /// are the values [`KeyPart`] takes, hashed without copying texts.
    pub fn add(&mut self, v: &Val<'_>) -> bool {
        use std::hash::Hasher;
        let mut write = |tag: u8, bytes: &[u8]| {
            for h in [&mut self.low, &mut self.high] {
                h.write_u8(tag);
                h.write_usize(bytes.len());
                h.write(bytes);
            }
        };
        match v {
            Val::Text(s) => write(0, s.as_bytes()),
            Val::Code(d, c) => write(1, &[*d as u8, *c]),
            Val::Num(n) => write(2, &n.normalize().serialize()),
            Val::Date(d) => write(3, &d.num_days_from_ce().to_le_bytes()),
            Val::Bool(b) => write(4, &[u8::from(*b)]),
            _ => return false,
        }
        true
    }

    pub fn finish(self) -> GroupKey {
        use std::hash::Hasher;
        u128::from(self.high.finish()) << 64 | u128::from(self.low.finish())
    }
}

/// One part of a group key, or of a value counted by `distinct`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyPart {
    Text(Box<str>),
    Code(Domain, u8),
    Num(Decimal),
    Date(NaiveDate),
    Bool(bool),
}

impl KeyPart {
    pub fn from_val(v: &Val<'_>) -> Option<KeyPart> {
        Some(match v {
            Val::Text(s) => KeyPart::Text(s.as_ref().into()),
            Val::Code(d, c) => KeyPart::Code(*d, *c),
            Val::Num(n) => KeyPart::Num(n.normalize()),
            Val::Date(d) => KeyPart::Date(*d),
            Val::Bool(b) => KeyPart::Bool(*b),
            _ => return None,
        })
    }
}

/// A member's value of an aggregated expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Owned {
    Bool(bool),
    Num(Decimal),
    Pct(Decimal),
    Money(Money),
    Date(NaiveDate),
    Text(Box<str>),
    Code(Domain, u8),
}

impl Owned {
    pub fn from_val(v: &Val<'_>) -> Option<Owned> {
        Some(match v {
            Val::Bool(b) => Owned::Bool(*b),
            Val::Num(n) => Owned::Num(*n),
            Val::Pct(n) => Owned::Pct(*n),
            Val::Money(m) => Owned::Money(*m),
            Val::Date(d) => Owned::Date(*d),
            Val::Text(s) => Owned::Text(s.as_ref().into()),
            Val::Code(d, c) => Owned::Code(*d, *c),
            _ => return None,
        })
    }

    /// The value, owning its text, so that it can outlive this member.
    pub fn to_val(&self) -> Val<'static> {
        match self {
            Owned::Text(s) => Val::Text(Cow::Owned(s.to_string())),
            other => other.as_val().into_static(),
        }
    }

    pub fn as_val(&self) -> Val<'_> {
        match self {
            Owned::Bool(b) => Val::Bool(*b),
            Owned::Num(n) => Val::Num(*n),
            Owned::Pct(n) => Val::Pct(*n),
            Owned::Money(m) => Val::Money(*m),
            Owned::Date(d) => Val::Date(*d),
            Owned::Text(s) => Val::Text(Cow::Borrowed(s)),
            Owned::Code(d, c) => Val::Code(*d, *c),
        }
    }

    fn key(&self) -> KeyPart {
        match self {
            Owned::Bool(b) => KeyPart::Bool(*b),
            Owned::Num(n) | Owned::Pct(n) => KeyPart::Num(n.normalize()),
            Owned::Money(m) => KeyPart::Text(format!("{} {}", m.amount.normalize(), m.currency).into()),
            Owned::Date(d) => KeyPart::Date(*d),
            Owned::Text(s) => KeyPart::Text(s.clone()),
            Owned::Code(d, c) => KeyPart::Code(*d, *c),
        }
    }

    /// A number to sum: the amount and what kind of amount it is.
    fn summand(&self) -> Option<(Decimal, SumKind)> {
        match self {
            Owned::Num(n) => Some((*n, SumKind::Num)),
            Owned::Pct(n) => Some((*n, SumKind::Pct)),
            Owned::Money(m) => Some((m.amount, SumKind::Money(m.currency))),
            _ => None,
        }
    }

    fn cmp_value(&self, other: &Owned) -> std::cmp::Ordering {
        match (self, other) {
            (Owned::Num(a), Owned::Num(b)) | (Owned::Pct(a), Owned::Pct(b)) => a.cmp(b),
            (Owned::Money(a), Owned::Money(b)) => a.amount.cmp(&b.amount),
            (Owned::Date(a), Owned::Date(b)) => a.cmp(b),
            _ => std::cmp::Ordering::Equal,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SumKind {
    Num,
    Pct,
    Money(Currency),
}

/// What a taking-part record leaves for a cross-record rule.
#[derive(Debug, Clone)]
pub struct Member {
    pub record: u64,
    pub id: Box<str>,
    pub date: NaiveDate,
    pub key: GroupKey,
    /// The values of the plan's member expressions; `None` only for values
    /// that messages show and the condition does not need.
    pub values: Vec<Option<Owned>>,
    /// The record's exemptions from this rule.
    pub exemptions: Vec<Exemption>,
}

/// A cross-record rule's finding on one record.
pub struct CrossFinding {
    pub record: u64,
    pub finding: Finding,
}

struct Stored {
    record: u64,
    date: NaiveDate,
    group: u32,
    values: Values,
    /// Only when messages name the members or the record has exemptions
    /// from the rule: most members of a summary-only run have neither.
    extra: Option<Box<StoredExtra>>,
}

struct StoredExtra {
    /// Empty when no message names the members.
    id: Box<str>,
    exemptions: Box<[Exemption]>,
}

impl Stored {
    fn id(&self) -> &str {
        self.extra.as_ref().map(|e| &*e.id).unwrap_or("")
    }

    fn exemptions(&self) -> &[Exemption] {
        self.extra.as_ref().map(|e| &*e.exemptions).unwrap_or(&[])
    }
}

/// A member's values: nearly always one (the amount the rule sums), kept
/// inline, since a run may hold hundreds of thousands of members.
enum Values {
    One(Option<Owned>),
    Many(Box<[Option<Owned>]>),
}

impl From<Vec<Option<Owned>>> for Values {
    fn from(mut values: Vec<Option<Owned>>) -> Self {
        match values.len() {
            1 => Values::One(values.pop().flatten()),
            _ => Values::Many(values.into_boxed_slice()),
        }
    }
}

impl std::ops::Deref for Values {
    type Target = [Option<Owned>];
    fn deref(&self) -> &[Option<Owned>] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(v) => v,
        }
    }
}

/// Collects the members of one cross-record rule during a run.
pub struct Collector {
    rule: RuleId,
    groups: HashMap<GroupKey, u32>,
    members: Vec<Stored>,
}

impl Collector {
    pub fn new(rule: RuleId) -> Self {
        Collector {
            rule,
            groups: HashMap::new(),
            members: Vec::new(),
        }
    }

    pub fn rule(&self) -> RuleId {
        self.rule
    }

    pub fn add(&mut self, m: Member) {
        let next = self.groups.len() as u32;
        let group = *self.groups.entry(m.key).or_insert(next);
        let extra = (!m.id.is_empty() || !m.exemptions.is_empty()).then(|| {
            Box::new(StoredExtra {
                id: m.id,
                exemptions: m.exemptions.into_boxed_slice(),
            })
        });
        self.members.push(Stored {
            record: m.record,
            date: m.date,
            group,
            values: m.values.into(),
            extra,
        });
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Decide every window. The findings are rendered from the decisions on
    /// demand, record by record ([`Decided::take`]), so that a run keeps the
    /// members and their windows, not one message per record.
    pub fn finish(mut self, plan: &Plan, lang: Lang, messages: bool) -> Decided {
        self.members.sort_unstable_by_key(|m| (m.group, m.date, m.record));
        let mut decided = Decided {
            rule: self.rule,
            members: self.members,
            order: Vec::new(),
            windows: Vec::new(),
            decisions: Vec::new(),
            lang,
            messages,
            cursor: 0,
        };
        let rule = &plan.rules[self.rule as usize];
        let RuleKind::Cross(cross) = &rule.kind else {
            return decided;
        };
        let decider = Decider {
            scratch: std::cell::RefCell::new(Cx::new(plan, None)),
            rule,
            cross,
            lang,
            messages,
        };
        let mut start = 0;
        while start < decided.members.len() {
            let group = decided.members[start].group;
            let end = start + decided.members[start..].iter().take_while(|m| m.group == group).count();
            decider.group(&mut decided, start, end);
            start = end;
        }
        decided.decisions.sort_unstable_by_key(|d| d.record);
        decided
    }
}

/// The decided windows of one cross-record rule, and per member record the
/// window that decides its finding.
pub struct Decided {
    rule: RuleId,
    /// Sorted by group, date and record.
    members: Vec<Stored>,
    /// Each group's members that share its currency, as positions in
    /// `members`, one group after another.
    order: Vec<u32>,
    windows: Vec<Window>,
    /// Sorted by record.
    decisions: Vec<Decision>,
    lang: Lang,
    messages: bool,
    cursor: usize,
}

/// How one member record's finding is decided.
struct Decision {
    record: u64,
    /// Position in `Decided::members`.
    member: u32,
    kind: DecisionKind,
}

enum DecisionKind {
    /// By `window`, whose members start at `start` (relative to the
    /// window's `base`); `at` is this member's place among them.
    Window { window: u32, start: u32, at: u32 },
    /// Left out: its value is in another currency than the group's.
    Currency { main: Currency },
}

/// A decided window.
struct Window {
    /// Where the group's member list starts in `Decided::order`.
    base: u32,
    /// One past its last member, relative to `base`.
    end: u32,
    verdict: Verdict,
    /// The date of its last member: the date its thresholds are taken at.
    date: NaiveDate,
    /// Its aggregates, kept when a message may need them.
    values: Option<Box<[Option<Owned>]>>,
    /// Why it could not be decided, when it could not.
    problems: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Clear,
    Unknown,
    Flagged,
}

impl Decided {
    pub fn rule(&self) -> RuleId {
        self.rule
    }

    /// The finding of the record with input position `record`, if it takes
    /// part. Call with increasing positions.
    pub fn take(&mut self, plan: &Plan, record: u64) -> Option<CrossFinding> {
        while self.decisions.get(self.cursor).is_some_and(|d| d.record < record) {
            self.cursor += 1;
        }
        let d = self.decisions.get(self.cursor).filter(|d| d.record == record)?;
        self.cursor += 1;
        Some(self.render(plan, d))
    }

    /// The finding of the record with input position `record`, if it takes
    /// part; in any order, from any thread.
    pub fn find(&self, plan: &Plan, record: u64) -> Option<CrossFinding> {
        let at = self.decisions.binary_search_by_key(&record, |d| d.record).ok()?;
        Some(self.render(plan, &self.decisions[at]))
    }

    /// Every finding, in record order.
    pub fn into_findings(self, plan: &Plan) -> Vec<CrossFinding> {
        self.decisions.iter().map(|d| self.render(plan, d)).collect()
    }

    fn nb(&self) -> bool {
        self.lang == Lang::Nb
    }

    fn render(&self, plan: &Plan, d: &Decision) -> CrossFinding {
        let rule = &plan.rules[self.rule as usize];
        let me = &self.members[d.member as usize];
        let f = match d.kind {
            DecisionKind::Currency { main } => {
                let own = me
                    .values
                    .iter()
                    .flatten()
                    .find_map(|v| match v {
                        Owned::Money(m) => Some(m.currency.to_string()),
                        _ => None,
                    })
                    .unwrap_or_default();
                let mut f = Finding::new(self.rule, Outcome::Unknown, String::new());
                let text = if self.nb() {
                    format!(
                        "Verdien er i {own}, de andre kjøpene i gruppen i {main}: beløp i ulike valutaer legges ikke sammen"
                    )
                } else {
                    format!(
                        "The value is in {own}, the other purchases in this group in {main}: amounts in different currencies are not added up"
                    )
                };
                f.problems.push(text.clone());
                if self.messages {
                    f.message = text;
                }
                f
            }
            DecisionKind::Window { window, start, at } => {
                let w = &self.windows[window as usize];
                let outcome = match w.verdict {
                    Verdict::Flagged => Outcome::Fail,
                    Verdict::Unknown => Outcome::Unknown,
                    Verdict::Clear => Outcome::Pass,
                };
                let mut f = Finding::new(self.rule, outcome, String::new());
                if outcome == Outcome::Unknown {
                    f.problems = w.problems.clone();
                }
                if self.messages {
                    let list = &self.order[w.base as usize..];
                    let others = || {
                        (start..w.end)
                            .filter(move |&k| k != at)
                            .map(|k| &self.members[list[k as usize] as usize])
                    };
                    if outcome != Outcome::Pass {
                        f.related = others().take(RELATED).map(|m| m.id().to_string()).collect();
                    }
                    let values = w.values.as_deref().unwrap_or(&[]);
                    let count = (w.end - start) as usize - 1;
                    f.message = self.message(plan, rule, outcome, values, others, count, w.date);
                    if outcome == Outcome::Unknown && !w.problems.is_empty() && rule.unknown.is_empty() {
                        f.message = format!("{}: {}", f.message, w.problems.join("; "));
                    }
                }
                f
            }
        };
        let finding = apply_exemptions(f, &rule.id, me.exemptions(), Some(me.date), self.lang, self.messages);
        CrossFinding {
            record: me.record,
            finding,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn message<'m, I: Iterator<Item = &'m Stored>>(
        &self,
        plan: &Plan,
        rule: &RulePlan,
        outcome: Outcome,
        values: &[Option<Owned>],
        others: impl Fn() -> I,
        count: usize,
        date: NaiveDate,
    ) -> String {
        let template = match outcome {
            Outcome::Fail => &rule.fail,
            Outcome::Pass => &rule.pass,
            _ => &rule.unknown,
        };
        if template.is_empty() {
            let title = rule.title.get(self.lang).unwrap_or("");
            return match (outcome, self.nb()) {
                (Outcome::Fail, true) => {
                    format!("Flagget: {} – sammen med {}", title, self.members_text(others(), count))
                }
                (Outcome::Fail, false) => format!(
                    "Flagged: {} – together with {}",
                    title,
                    self.members_text(others(), count)
                ),
                (Outcome::Pass, true) => format!("Ikke flagget: {title}"),
                (Outcome::Pass, false) => format!("Not flagged: {title}"),
                (_, true) => format!("Kan ikke avgjøres: {title}"),
                (_, false) => format!("Cannot be decided: {title}"),
            };
        }
        let mut cx = Cx::new(plan, None);
        cx.date = Some(date);
        cx.aggregates = values
            .iter()
            .map(|v| v.as_ref().map(Owned::as_val).unwrap_or(Val::Unknown))
            .collect();
        let mut out = String::new();
        for piece in template.pieces(self.lang) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(node) => out.push_str(&eval::show(&eval::eval(&mut cx, *node), self.lang)),
                Piece::Members => out.push_str(&self.members_text(others(), count)),
            }
        }
        out
    }

    /// `A-1 (2024-01-15, 400 000 NOK), A-2 (…)`, at most ten.
    fn members_text<'m>(&self, others: impl Iterator<Item = &'m Stored>, count: usize) -> String {
        const SHOWN: usize = 10;
        if count == 0 {
            return if self.nb() {
                "ingen andre".into()
            } else {
                "no others".into()
            };
        }
        let mut parts: Vec<String> = others
            .take(SHOWN)
            .map(|m| match m.values.first().and_then(Option::as_ref) {
                Some(v) => format!("{} ({}, {})", m.id(), m.date, eval::show(&v.as_val(), self.lang)),
                None => format!("{} ({})", m.id(), m.date),
            })
            .collect();
        if count > SHOWN {
            let more = count - SHOWN;
            parts.push(if self.nb() {
                format!("og {more} til")
            } else {
                format!("and {more} more")
            });
        }
        parts.join(", ")
    }
}

/// Decides the windows of one rule.
struct Decider<'p> {
    /// One evaluation state for every window, to spare an allocation each.
    scratch: std::cell::RefCell<Cx<'p>>,
    rule: &'p RulePlan,
    cross: &'p CrossPlan,
    lang: Lang,
    messages: bool,
}

impl<'p> Decider<'p> {
    /// Decide the group of members `start..end` of `d.members`.
    fn group(&self, d: &mut Decided, start: usize, end: usize) {
        // Amounts in one group must share a currency: the most common one
        // is summed, members in another currency are reported, not summed.
        let currency_of = |m: &Stored| {
            m.values.iter().flatten().find_map(|v| match v {
                Owned::Money(money) => Some(money.currency),
                _ => None,
            })
        };
        let mut counts: Vec<(Currency, usize)> = Vec::new();
        for m in &d.members[start..end] {
            if let Some(c) = currency_of(m) {
                match counts.iter_mut().find(|(x, _)| *x == c) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((c, 1)),
                }
            }
        }
        // The most common currency; on a tie NOK, then the first code.
        counts.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then((b.0 == Currency::NOK).cmp(&(a.0 == Currency::NOK)))
                .then(a.0.cmp(&b.0))
        });
        let main = counts.first().map(|(c, _)| *c);
        let base = d.order.len();
        for i in start..end {
            let m = &d.members[i];
            let other = m
                .values
                .iter()
                .flatten()
                .any(|v| matches!(v, Owned::Money(x) if Some(x.currency) != main));
            match (other, main) {
                (true, Some(main)) => d.decisions.push(Decision {
                    record: m.record,
                    member: i as u32,
                    kind: DecisionKind::Currency { main },
                }),
                _ => d.order.push(i as u32),
            }
        }
        let list: Vec<&Stored> = d.order[base..].iter().map(|&i| &d.members[i as usize]).collect();
        let mut windows = Vec::new();
        let mut decisions = Vec::new();
        match self.cross.window {
            WindowPlan::All => self.fixed(&list, base, |_| 0, &mut windows, &mut decisions),
            WindowPlan::Calendar(unit) => {
                self.fixed(&list, base, |d| period_index(d, unit), &mut windows, &mut decisions)
            }
            WindowPlan::Rolling(duration) => self.rolling(&list, base, duration, &mut windows, &mut decisions),
        }
        let first = d.windows.len() as u32;
        d.windows.extend(windows);
        for (at, window, start) in decisions {
            let member = d.order[base + at];
            d.decisions.push(Decision {
                record: d.members[member as usize].record,
                member,
                kind: DecisionKind::Window {
                    window: first + window,
                    start,
                    at: at as u32,
                },
            });
        }
    }

    /// Disjoint windows: runs of members with the same period. Pushes the
    /// windows, and per member (its place, its window, the window's start).
    fn fixed(
        &self,
        members: &[&Stored],
        base: usize,
        period: impl Fn(NaiveDate) -> i64,
        windows: &mut Vec<Window>,
        decisions: &mut Vec<(usize, u32, u32)>,
    ) {
        let mut start = 0;
        while start < members.len() {
            let p = period(members[start].date);
            let end = start + members[start..].iter().take_while(|m| period(m.date) == p).count();
            let mut agg = Aggregates::new(&self.cross.aggregates, members);
            for j in start..end {
                agg.push(j);
            }
            let values = agg.values();
            let date = members[end - 1].date;
            let (verdict, problems) = self.verdict(&values, date);
            let index = windows.len() as u32;
            let values = self.messages.then(|| values.into_boxed_slice());
            windows.push(Window {
                base: base as u32,
                end: end as u32,
                verdict,
                date,
                values,
                problems,
            });
            decisions.extend((start..end).map(|j| (j, index, start as u32)));
            start = end;
        }
    }

    /// Rolling windows: for each member, the members dated less than
    /// `duration` after it. A member is decided by the latest flagged (else
    /// unknown) window that holds it; window ends only grow with their
    /// starts, so the latest such start is the one to test.
    fn rolling(
        &self,
        members: &[&Stored],
        base: usize,
        duration: crate::value::Duration,
        windows: &mut Vec<Window>,
        decisions: &mut Vec<(usize, u32, u32)>,
    ) {
        let n = members.len();
        let first = windows.len();
        let mut agg = Aggregates::new(&self.cross.aggregates, members);
        let mut end = 0;
        let keep_all = self.messages && !self.rule.pass.is_empty();
        for start in 0..n {
            let limit = duration.after(members[start].date);
            while end < n && limit.is_none_or(|l| members[end].date < l) {
                agg.push(end);
                end += 1;
            }
            let values = agg.values();
            let date = members[end - 1].date;
            let (verdict, problems) = self.verdict(&values, date);
            let keep = self.messages && (verdict != Verdict::Clear || keep_all);
            let values = keep.then(|| values.into_boxed_slice());
            windows.push(Window {
                base: base as u32,
                end: end as u32,
                verdict,
                date,
                values,
                problems,
            });
            agg.pop(start);
        }
        let mut last_flagged: Option<usize> = None;
        let mut last_unknown: Option<usize> = None;
        for j in 0..n {
            match windows[first + j].verdict {
                Verdict::Flagged => last_flagged = Some(j),
                Verdict::Unknown => last_unknown = Some(j),
                Verdict::Clear => {}
            }
            let holds = |s: Option<usize>| s.filter(|&s| windows[first + s].end as usize > j);
            let start = holds(last_flagged).or_else(|| holds(last_unknown)).unwrap_or(j);
            decisions.push((j, (first + start) as u32 - first as u32, start as u32));
        }
    }

    /// Whether the window is flagged; why not, when that cannot be told.
    fn verdict(&self, values: &[Option<Owned>], date: NaiveDate) -> (Verdict, Vec<String>) {
        let mut cx = self.scratch.borrow_mut();
        cx.date = Some(date);
        cx.start_rule();
        cx.aggregates.clear();
        cx.aggregates.extend(
            values
                .iter()
                .map(|v| v.as_ref().map(Owned::to_val).unwrap_or(Val::Unknown)),
        );
        match eval::truth(&mut cx, self.cross.flag) {
            Some(true) => (Verdict::Flagged, Vec::new()),
            Some(false) => (Verdict::Clear, Vec::new()),
            None => {
                let plan = cx.plan;
                (
                    Verdict::Unknown,
                    cx.problems.iter().map(|p| p.describe(plan, self.lang)).collect(),
                )
            }
        }
    }
}

/// How many other members a finding names in `related`.
const RELATED: usize = 100;

fn period_index(date: NaiveDate, unit: CalendarUnit) -> i64 {
    let y = i64::from(date.year());
    match unit {
        CalendarUnit::Year => y,
        CalendarUnit::Quarter => y * 4 + i64::from(date.month0() / 3),
        CalendarUnit::Month => y * 12 + i64::from(date.month0()),
    }
}

/// Aggregates over a window of members that grows at the back and shrinks
/// at the front.
struct Aggregates<'m> {
    plans: &'m [AggregatePlan],
    members: &'m [&'m Stored],
    states: Vec<State>,
    len: usize,
}

enum State {
    Count,
    /// `poisoned` after an overflow: the sum is unknown from then on.
    Sum {
        total: Decimal,
        kind: Option<SumKind>,
        poisoned: bool,
    },
    /// Indices of members, their values monotone: the front is the extreme.
    Extreme {
        deque: VecDeque<usize>,
        max: bool,
    },
    Distinct(HashMap<KeyPart, u32>),
    Truth {
        yes: u32,
        no: u32,
    },
}

impl<'m> Aggregates<'m> {
    fn new(plans: &'m [AggregatePlan], members: &'m [&'m Stored]) -> Self {
        let states = plans
            .iter()
            .map(|p| match p.kind {
                AggKind::Count => State::Count,
                AggKind::Sum => State::Sum {
                    total: Decimal::ZERO,
                    kind: None,
                    poisoned: false,
                },
                AggKind::Min => State::Extreme {
                    deque: VecDeque::new(),
                    max: false,
                },
                AggKind::Max => State::Extreme {
                    deque: VecDeque::new(),
                    max: true,
                },
                AggKind::Distinct => State::Distinct(HashMap::new()),
                AggKind::All | AggKind::Any | AggKind::None => State::Truth { yes: 0, no: 0 },
            })
            .collect();
        Aggregates {
            plans,
            members,
            states,
            len: 0,
        }
    }

    fn value(&self, plan: usize, member: usize) -> Option<&'m Owned> {
        self.plans[plan]
            .arg
            .and_then(|a| self.members[member].values.get(a))
            .and_then(Option::as_ref)
    }

    fn push(&mut self, j: usize) {
        self.len += 1;
        for i in 0..self.states.len() {
            let v = self.value(i, j);
            let members = self.members;
            let arg = self.plans[i].arg;
            match &mut self.states[i] {
                State::Count => {}
                State::Sum { total, kind, poisoned } => match v.and_then(Owned::summand) {
                    Some((x, k)) if kind.is_none_or(|kk| kk == k) => match total.checked_add(x) {
                        Some(t) => {
                            *total = t;
                            *kind = Some(k);
                        }
                        None => *poisoned = true,
                    },
                    _ => *poisoned = true,
                },
                State::Extreme { deque, max } => {
                    let Some(v) = v else { continue };
                    while let Some(&back) = deque.back() {
                        let Some(b) = arg.and_then(|a| members[back].values.get(a)).and_then(Option::as_ref) else {
                            break;
                        };
                        let ord = v.cmp_value(b);
                        let replace = if *max { ord.is_ge() } else { ord.is_le() };
                        if replace {
                            deque.pop_back();
                        } else {
                            break;
                        }
                    }
                    deque.push_back(j);
                }
                State::Distinct(counts) => {
                    if let Some(v) = v {
                        *counts.entry(v.key()).or_insert(0) += 1;
                    }
                }
                State::Truth { yes, no } => match v {
                    Some(Owned::Bool(true)) => *yes += 1,
                    Some(Owned::Bool(false)) => *no += 1,
                    _ => {}
                },
            }
        }
    }

    fn pop(&mut self, j: usize) {
        self.len = self.len.saturating_sub(1);
        for i in 0..self.states.len() {
            let v = self.value(i, j);
            match &mut self.states[i] {
                State::Count => {}
                State::Sum { total, kind, poisoned } => match v.and_then(Owned::summand) {
                    Some((x, k)) if *kind == Some(k) => match total.checked_sub(x) {
                        Some(t) => *total = t,
                        None => *poisoned = true,
                    },
                    _ => *poisoned = true,
                },
                State::Extreme { deque, .. } => {
                    if deque.front() == Some(&j) {
                        deque.pop_front();
                    }
                }
                State::Distinct(counts) => {
                    if let Some(v) = v {
                        let k = v.key();
                        if let Some(c) = counts.get_mut(&k) {
                            *c -= 1;
                            if *c == 0 {
                                counts.remove(&k);
                            }
                        }
                    }
                }
                State::Truth { yes, no } => match v {
                    Some(Owned::Bool(true)) => *yes = yes.saturating_sub(1),
                    Some(Owned::Bool(false)) => *no = no.saturating_sub(1),
                    _ => {}
                },
            }
        }
    }

    /// The current value of every aggregate; `None` for a sum that
    /// overflowed.
    fn values(&self) -> Vec<Option<Owned>> {
        self.plans
            .iter()
            .zip(&self.states)
            .map(|(p, s)| match s {
                State::Count => Some(Owned::Num(Decimal::from(self.len as u64))),
                State::Sum { poisoned: true, .. } => None,
                State::Sum { total, kind, .. } => Some(match kind {
                    Some(SumKind::Money(c)) => Owned::Money(Money::new(*total, *c)),
                    Some(SumKind::Pct) => Owned::Pct(*total),
                    _ => Owned::Num(*total),
                }),
                State::Extreme { deque, .. } => deque
                    .front()
                    .and_then(|&k| {
                        p.arg
                            .and_then(|a| self.members[k].values.get(a))
                            .and_then(Option::as_ref)
                    })
                    .cloned(),
                State::Distinct(counts) => Some(Owned::Num(Decimal::from(counts.len() as u64))),
                State::Truth { yes, no } => Some(Owned::Bool(match p.kind {
                    AggKind::All => *no == 0,
                    AggKind::Any => *yes > 0,
                    _ => *yes == 0,
                })),
            })
            .collect()
    }
}
