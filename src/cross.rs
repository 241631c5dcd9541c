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

/// One part of a group key.
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
    pub key: Vec<KeyPart>,
    /// The values of the plan's member expressions; `None` only for values
    /// that messages show and the condition does not need.
    pub values: Vec<Option<Owned>>,
    /// The record's exemptions from this rule.
    pub exemptions: Vec<Exemption>,
    /// The record's value, for the summary.
    pub value: Option<Money>,
}

/// A cross-record rule's finding on one record.
pub struct CrossFinding {
    pub record: u64,
    pub value: Option<Money>,
    pub finding: Finding,
}

struct Stored {
    record: u64,
    value: Option<Money>,
    id: Box<str>,
    date: NaiveDate,
    group: u32,
    values: Box<[Option<Owned>]>,
    exemptions: Box<[Exemption]>,
}

/// Collects the members of one cross-record rule during a run.
pub struct Collector {
    rule: RuleId,
    groups: HashMap<Vec<KeyPart>, u32>,
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
        self.members.push(Stored {
            record: m.record,
            value: m.value,
            id: m.id,
            date: m.date,
            group,
            values: m.values.into_boxed_slice(),
            exemptions: m.exemptions.into_boxed_slice(),
        });
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Decide every member: one finding per member record.
    pub fn finish(mut self, plan: &Plan, lang: Lang, messages: bool) -> Vec<CrossFinding> {
        let rule = &plan.rules[self.rule as usize];
        let RuleKind::Cross(cross) = &rule.kind else {
            return Vec::new();
        };
        self.members.sort_unstable_by_key(|m| (m.group, m.date, m.record));
        let ctx = Ctx {
            scratch: std::cell::RefCell::new(Cx::new(plan, None)),
            rule,
            rid: self.rule,
            cross,
            lang,
            messages,
        };
        let mut out = Vec::with_capacity(self.members.len());
        let mut start = 0;
        while start < self.members.len() {
            let group = self.members[start].group;
            let end = start + self.members[start..].iter().take_while(|m| m.group == group).count();
            ctx.group(&self.members[start..end], &mut out);
            start = end;
        }
        out.sort_unstable_by_key(|f| f.record);
        out
    }
}

/// A decided window.
struct Window {
    /// One past its last member.
    end: usize,
    verdict: Verdict,
    /// Its aggregates, kept when a message may need them.
    values: Option<Vec<Option<Owned>>>,
    /// The date of its last member: the date its thresholds are taken at.
    date: NaiveDate,
    /// Why it could not be decided, when it could not.
    problems: Vec<String>,
}

struct Ctx<'p> {
    /// One evaluation state for every window, to spare an allocation each.
    scratch: std::cell::RefCell<Cx<'p>>,
    rule: &'p RulePlan,
    rid: RuleId,
    cross: &'p CrossPlan,
    lang: Lang,
    messages: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Clear,
    Unknown,
    Flagged,
}

impl<'p> Ctx<'p> {
    fn nb(&self) -> bool {
        self.lang == Lang::Nb
    }

    fn group(&self, all: &[Stored], out: &mut Vec<CrossFinding>) {
        // Amounts in one group must share a currency: the most common one
        // is summed, members in another currency are reported, not summed.
        let currency_of = |m: &Stored| {
            m.values.iter().flatten().find_map(|v| match v {
                Owned::Money(money) => Some(money.currency),
                _ => None,
            })
        };
        let mut counts: Vec<(Currency, usize)> = Vec::new();
        for m in all {
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
        let mixed = |m: &Stored| {
            m.values
                .iter()
                .flatten()
                .any(|v| matches!(v, Owned::Money(x) if Some(x.currency) != main))
        };
        let members: Vec<&Stored> = if counts.len() > 1 {
            for m in all.iter().filter(|m| mixed(m)) {
                let main = main.map(|c| c.to_string()).unwrap_or_default();
                let own = currency_of(m).map(|c| c.to_string()).unwrap_or_default();
                let mut f = Finding::new(self.rid, Outcome::Unknown, String::new());
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
                let finding = apply_exemptions(f, &self.rule.id, &m.exemptions, Some(m.date), self.lang, self.messages);
                out.push(CrossFinding {
                    record: m.record,
                    value: m.value,
                    finding,
                });
            }
            all.iter().filter(|m| !mixed(m)).collect()
        } else {
            all.iter().collect()
        };
        match self.cross.window {
            WindowPlan::All => self.fixed_windows(&members, |_| 0, out),
            WindowPlan::Calendar(unit) => self.fixed_windows(&members, |d| period_index(d, unit), out),
            WindowPlan::Rolling(duration) => self.rolling(&members, duration, out),
        }
    }

    /// Disjoint windows: runs of members with the same period.
    fn fixed_windows(&self, members: &[&Stored], period: impl Fn(NaiveDate) -> i64, out: &mut Vec<CrossFinding>) {
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
            let window = Window {
                end,
                verdict,
                values: Some(values),
                date,
                problems,
            };
            for j in start..end {
                out.push(self.decide(members, j, start, &window));
            }
            start = end;
        }
    }

    /// Rolling windows: for each member, the members dated less than
    /// `duration` after it. A member is flagged if any window holding it is.
    fn rolling(&self, members: &[&Stored], duration: crate::value::Duration, out: &mut Vec<CrossFinding>) {
        let n = members.len();
        let mut agg = Aggregates::new(&self.cross.aggregates, members);
        let mut end = 0;
        let mut windows: Vec<Window> = Vec::with_capacity(n);
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
            windows.push(Window {
                end,
                verdict,
                values: keep.then_some(values),
                date,
                problems,
            });
            agg.pop(start);
        }
        // Each member takes the latest flagged (else unknown) window that
        // starts at or before it and still holds it. Window ends only grow
        // with their starts, so the latest such start is the one to test.
        let mut last_flagged: Option<usize> = None;
        let mut last_unknown: Option<usize> = None;
        for j in 0..n {
            match windows[j].verdict {
                Verdict::Flagged => last_flagged = Some(j),
                Verdict::Unknown => last_unknown = Some(j),
                Verdict::Clear => {}
            }
            let holds = |s: Option<usize>| s.filter(|&s| windows[s].end > j);
            let start = holds(last_flagged).or_else(|| holds(last_unknown)).unwrap_or(j);
            out.push(self.decide(members, j, start, &windows[start]));
        }
    }

    /// Put a window's aggregates where `flag when` and messages read them.
    fn load(&self, values: &[Option<Owned>], date: NaiveDate) -> std::cell::RefMut<'_, Cx<'p>> {
        let mut cx = self.scratch.borrow_mut();
        cx.date = Some(date);
        cx.start_rule();
        cx.aggregates.clear();
        cx.aggregates.extend(
            values
                .iter()
                .map(|v| v.as_ref().map(Owned::to_val).unwrap_or(Val::Unknown)),
        );
        cx
    }

    /// Whether the window is flagged; why not, when that cannot be told.
    fn verdict(&self, values: &[Option<Owned>], date: NaiveDate) -> (Verdict, Vec<String>) {
        let mut cx = self.load(values, date);
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

    /// The finding for member `j`, described by `window`, which starts at
    /// member `start`.
    fn decide(&self, members: &[&Stored], j: usize, start: usize, window: &Window) -> CrossFinding {
        let me = members[j];
        let holds = window.end > j && start <= j;
        let verdict = if holds { window.verdict } else { Verdict::Clear };
        let outcome = match verdict {
            Verdict::Flagged => Outcome::Fail,
            Verdict::Unknown => Outcome::Unknown,
            Verdict::Clear => Outcome::Pass,
        };
        let mut f = Finding::new(self.rid, outcome, String::new());
        if outcome == Outcome::Unknown {
            f.problems = window.problems.clone();
        }
        let others = || (start..window.end).filter(move |&k| k != j).map(|k| members[k]);
        if self.messages {
            if outcome != Outcome::Pass {
                f.related = others().take(RELATED).map(|m| m.id.to_string()).collect();
            }
            let none = Vec::new();
            let values = window.values.as_ref().unwrap_or(&none);
            f.message = self.message(outcome, values, others, window.end - start - 1, window.date);
            if outcome == Outcome::Unknown && !window.problems.is_empty() && self.rule.unknown.is_empty() {
                f.message = format!("{}: {}", f.message, window.problems.join("; "));
            }
        }
        let finding = apply_exemptions(
            f,
            &self.rule.id,
            &me.exemptions,
            Some(me.date),
            self.lang,
            self.messages,
        );
        CrossFinding {
            record: me.record,
            value: me.value,
            finding,
        }
    }

    fn message<'m, I: Iterator<Item = &'m Stored>>(
        &self,
        outcome: Outcome,
        values: &[Option<Owned>],
        others: impl Fn() -> I,
        count: usize,
        date: NaiveDate,
    ) -> String {
        let template = match outcome {
            Outcome::Fail => &self.rule.fail,
            Outcome::Pass => &self.rule.pass,
            _ => &self.rule.unknown,
        };
        if template.is_empty() {
            let title = self.rule.title.get(self.lang).unwrap_or("");
            return match (outcome, self.nb()) {
                (Outcome::Fail, true) => format!("Flagget: {} – sammen med {}", title, self.members(others(), count)),
                (Outcome::Fail, false) => {
                    format!("Flagged: {} – together with {}", title, self.members(others(), count))
                }
                (Outcome::Pass, true) => format!("Ikke flagget: {title}"),
                (Outcome::Pass, false) => format!("Not flagged: {title}"),
                (_, true) => format!("Kan ikke avgjøres: {title}"),
                (_, false) => format!("Cannot be decided: {title}"),
            };
        }
        let mut out = String::new();
        for piece in template.pieces(self.lang) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(node) => {
                    let mut cx = self.load(values, date);
                    out.push_str(&eval::show(&eval::eval(&mut cx, *node), self.lang));
                }
                Piece::Members => out.push_str(&self.members(others(), count)),
            }
        }
        out
    }

    /// `A-1 (2024-01-15, 400 000 NOK), A-2 (…)`, at most ten.
    fn members<'m>(&self, others: impl Iterator<Item = &'m Stored>, count: usize) -> String {
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
                Some(v) => format!("{} ({}, {})", m.id, m.date, eval::show(&v.as_val(), self.lang)),
                None => format!("{} ({})", m.id, m.date),
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
