//! Evaluate compiled expressions on one record, by Kleene's three-valued
//! logic: missing data is `Unknown`, which `and`, `or` and `not` propagate
//! unless the other side decides (`unknown or true` is true, `unknown and
//! false` is false).
//!
//! Evaluation never fails: a problem with the data (amounts in different
//! currencies, an overflow) makes the value `Unknown` and is recorded in
//! [`Cx::problems`] so that the finding can say why.

use crate::plan::*;
use crate::record::Record;
use crate::schema::{Domain, FieldSet};
use crate::syntax::ast::{Lang, Quantifier};
use crate::value::{Const, Currency, ListVal, Money, Val, quarter_label};
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::borrow::Cow;
use std::cmp::Ordering;

/// A reason a value could not be computed although the data was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Currencies(Currency, Currency),
    NoParamValue(ParamId, Option<NaiveDate>),
    Overflow,
    DivisionByZero,
}

impl Problem {
    pub fn describe(&self, plan: &Plan, lang: Lang) -> String {
        match (self, lang) {
            (Problem::Currencies(a, b), Lang::Nb) => format!("beløp i {a} og {b} kan ikke sammenlignes uten omregning"),
            (Problem::Currencies(a, b), Lang::En) => {
                format!("amounts in {a} and {b} cannot be compared without a conversion")
            }
            (Problem::NoParamValue(p, date), _) => {
                let name = plan.params.get(*p as usize).map(|p| p.name.as_str()).unwrap_or("?");
                match (date, lang) {
                    (Some(d), Lang::Nb) => format!("parameteren `{name}` har ingen verdi som gjaldt {d}"),
                    (Some(d), Lang::En) => format!("parameter `{name}` has no value in force on {d}"),
                    (None, Lang::Nb) => format!("parameteren `{name}` avhenger av datoen, og posten har ingen dato"),
                    (None, Lang::En) => format!("parameter `{name}` depends on the date, and the record has none"),
                }
            }
            (Problem::Overflow, Lang::Nb) => "et beløp ble for stort til å regne med".to_string(),
            (Problem::Overflow, Lang::En) => "an amount became too large to compute with".to_string(),
            (Problem::DivisionByZero, Lang::Nb) => "deling på null".to_string(),
            (Problem::DivisionByZero, Lang::En) => "division by zero".to_string(),
        }
    }
}

/// The state of one evaluation.
pub struct Cx<'a> {
    pub plan: &'a Plan,
    pub record: Option<&'a Record>,
    /// The date that selects date-dependent parameter values.
    pub date: Option<NaiveDate>,
    vars: Vec<Val<'a>>,
    /// Each `let`'s value on this record, with what left it unknown.
    lets: Vec<Option<(Val<'a>, FieldSet, Vec<Problem>)>>,
    /// Fields whose absence made something unknown.
    pub missing: FieldSet,
    pub problems: Vec<Problem>,
    /// Aggregates of a cross-record window, for `flag when`.
    pub aggregates: Vec<Val<'a>>,
    /// When set, every node evaluated, in order, with its value: the trace
    /// `anskaff explain` shows and `anskaff test --coverage` counts.
    pub trace: Option<Vec<(NodeId, Traced)>>,
}

/// A value as a trace keeps it: shown text, and its truth for conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traced {
    pub shown: String,
    /// `Some(Some(b))` for a condition that was `b`; `Some(None)` for an
    /// unknown condition; `None` for other values.
    pub truth: Option<Option<bool>>,
}

impl<'a> Cx<'a> {
    pub fn new(plan: &'a Plan, record: Option<&'a Record>) -> Self {
        Cx {
            plan,
            record,
            date: record.and_then(|r| r.date),
            vars: vec![Val::Unknown; plan.slots],
            lets: vec![None; plan.lets.len()],
            trace: None,
            missing: FieldSet::default(),
            problems: Vec::new(),
            aggregates: Vec::new(),
        }
    }

    /// Forget what the last rule saw (the cache of `let`s is kept: it
    /// depends only on the record).
    pub fn start_rule(&mut self) {
        self.missing = FieldSet::default();
        self.problems.clear();
    }

    fn problem(&mut self, p: Problem) -> Val<'a> {
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
        Val::Unknown
    }
}

/// Evaluate a condition: `Some(true)`, `Some(false)` or `None` (unknown).
pub fn truth<'a>(cx: &mut Cx<'a>, id: NodeId) -> Option<bool> {
    match eval(cx, id) {
        Val::Bool(b) => Some(b),
        _ => None,
    }
}

pub fn eval<'a>(cx: &mut Cx<'a>, id: NodeId) -> Val<'a> {
    if cx.trace.is_none() {
        return eval_node(cx, id);
    }
    let v = eval_node(cx, id);
    let traced = Traced {
        shown: show(&v, Lang::En),
        truth: match &v {
            Val::Bool(b) => Some(Some(*b)),
            Val::Unknown => Some(None),
            _ => None,
        },
    };
    if let Some(trace) = &mut cx.trace {
        trace.push((id, traced));
    }
    v
}

fn eval_node<'a>(cx: &mut Cx<'a>, id: NodeId) -> Val<'a> {
    let plan = cx.plan;
    match plan.node(id) {
        Node::Const(c) => c.as_val(),
        Node::Param(p) => {
            let info = &plan.params[*p as usize];
            match info.value.at(cx.date) {
                Some(c) => c.as_val(),
                None => {
                    if cx.date.is_none() {
                        cx.missing.insert(DATE_FIELD);
                    }
                    let date = cx.date;
                    cx.problem(Problem::NoParamValue(*p, date))
                }
            }
        }
        Node::Let(l) => {
            if let Some((v, missing, problems)) = &cx.lets[*l as usize] {
                cx.missing.union(*missing);
                for p in problems {
                    if !cx.problems.contains(p) {
                        cx.problems.push(p.clone());
                    }
                }
                return v.clone();
            }
            let saved = std::mem::take(&mut cx.missing);
            let known = cx.problems.len();
            let v = eval(cx, plan.lets[*l as usize]);
            let own = cx.missing;
            cx.missing.union(saved);
            let problems = cx.problems[known..].to_vec();
            cx.lets[*l as usize] = Some((v.clone(), own, problems));
            v
        }
        Node::Field(scalar, idx) => {
            let v = cx.record.map(|r| r.scalar(*scalar)).unwrap_or(Val::Unknown);
            if v.is_unknown() {
                cx.missing.insert(*idx);
            }
            v
        }
        Node::Extra(slot, idx) => {
            let v = cx.record.map(|r| r.extra(*slot)).unwrap_or(Val::Unknown);
            if v.is_unknown() {
                cx.missing.insert(*idx);
            }
            v
        }
        Node::List(list, idx) => match cx.record.and_then(|r| r.list(*list)) {
            Some(l) => Val::List(l),
            None => {
                cx.missing.insert(*idx);
                Val::Unknown
            }
        },
        Node::Project(list, field, list_idx, _) => match cx.record.and_then(|r| r.list(*list)) {
            Some(ListVal::Items(items)) => Val::List(ListVal::Project(items, *field)),
            _ => {
                cx.missing.insert(*list_idx);
                Val::Unknown
            }
        },
        Node::Var(slot) => cx.vars[*slot as usize].clone(),
        Node::VarField(slot, field, idx) => {
            let v = match &cx.vars[*slot as usize] {
                Val::Item(item) => item.field(*field),
                _ => Val::Unknown,
            };
            if v.is_unknown() {
                cx.missing.insert(*idx);
            }
            v
        }
        Node::Index(list, i) => match eval(cx, *list) {
            Val::List(l) if *i < l.len() => {
                let v = l.get(*i);
                if v.is_unknown() {
                    mark_list(cx, *list);
                }
                v
            }
            Val::List(_) => {
                mark_list(cx, *list);
                Val::Unknown
            }
            _ => Val::Unknown,
        },
        Node::Not(inner) => match eval(cx, *inner) {
            Val::Bool(b) => Val::Bool(!b),
            _ => Val::Unknown,
        },
        Node::And(children) => {
            let before = cx.missing;
            let mut unknown = false;
            for &c in children.iter() {
                match truth(cx, c) {
                    Some(false) => {
                        cx.missing = before;
                        return Val::Bool(false);
                    }
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown { Val::Unknown } else { Val::Bool(true) }
        }
        Node::Or(children) => {
            let before = cx.missing;
            let mut unknown = false;
            for &c in children.iter() {
                match truth(cx, c) {
                    Some(true) => {
                        cx.missing = before;
                        return Val::Bool(true);
                    }
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown { Val::Unknown } else { Val::Bool(false) }
        }
        Node::Cmp(op, a, b) => {
            let (a, b) = (eval(cx, *a), eval(cx, *b));
            compare(cx, *op, &a, &b)
        }
        Node::Arith(op, a, b) => {
            let (a, b) = (eval(cx, *a), eval(cx, *b));
            arith(cx, *op, a, b)
        }
        Node::Neg(inner) => match eval(cx, *inner) {
            Val::Num(n) => Val::Num(-n),
            Val::Pct(n) => Val::Pct(-n),
            Val::Money(m) => Val::Money(Money::new(-m.amount, m.currency)),
            _ => Val::Unknown,
        },
        Node::In { value, list, negate } => {
            let v = eval(cx, *value);
            let l = eval(cx, *list);
            let found = member(cx, &v, &l);
            match (found, negate) {
                (Some(f), false) => Val::Bool(f),
                (Some(f), true) => Val::Bool(!f),
                (None, _) => Val::Unknown,
            }
        }
        Node::StartsWith(a, b) => {
            let (a, b) = (eval(cx, *a), eval(cx, *b));
            starts_with(&a, &b).map(Val::Bool).unwrap_or(Val::Unknown)
        }
        Node::Test(op, inner) => {
            // A presence test is itself definite: what it looks at being
            // missing is its answer, not a reason for `unknown`.
            let before = cx.missing;
            let v = eval(cx, *inner);
            cx.missing = before;
            let present = !v.is_unknown();
            let non_empty = match &v {
                Val::Unknown => false,
                Val::Text(s) => !s.is_empty(),
                Val::List(l) => !l.is_empty(),
                _ => true,
            };
            Val::Bool(match op {
                TestOp::Present => present,
                TestOp::Missing => !present,
                TestOp::NonEmpty => non_empty,
                TestOp::Empty => !non_empty,
            })
        }
        Node::Otherwise(a, b) => {
            let before = cx.missing;
            let v = eval(cx, *a);
            if !v.is_unknown() {
                return v;
            }
            let after_a = cx.missing;
            cx.missing = before;
            let w = eval(cx, *b);
            if w.is_unknown() {
                cx.missing.union(after_a);
            }
            w
        }
        Node::If(c, a, b) => match truth(cx, *c) {
            Some(true) => eval(cx, *a),
            Some(false) => eval(cx, *b),
            None => Val::Unknown,
        },
        Node::Quant {
            quantifier,
            slot,
            list,
            filter,
            body,
        } => {
            let l = match eval(cx, *list) {
                Val::List(l) => l,
                _ => return Val::Unknown,
            };
            quantify(cx, *quantifier, *slot, &l, *filter, *body)
        }
        Node::Call(builtin, args) => call(cx, *builtin, args),
        Node::Aggregate(i) => cx.aggregates.get(*i as usize).cloned().unwrap_or(Val::Unknown),
    }
}

/// The bit of `date` in a [`FieldSet`] (checked by a test in `schema`).
pub const DATE_FIELD: crate::schema::FieldIndex = crate::schema::idx("date");

fn mark_list(cx: &mut Cx<'_>, list: NodeId) {
    if let Node::List(_, idx) | Node::Project(_, _, idx, _) = cx.plan.node(list) {
        cx.missing.insert(*idx);
    }
}

/// Order two values; `None` if either is unknown or they cannot be compared.
pub fn order<'a>(cx: &mut Cx<'a>, a: &Val<'a>, b: &Val<'a>) -> Option<Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) | (Val::Pct(x), Val::Pct(y)) => Some(x.cmp(y)),
        (Val::Money(x), Val::Money(y)) => {
            if x.currency == y.currency {
                Some(x.amount.cmp(&y.amount))
            } else {
                cx.problem(Problem::Currencies(x.currency, y.currency));
                None
            }
        }
        // The sum of an empty list is a zero without a unit: it compares
        // with amounts and percentages alike.
        (Val::Money(Money { amount: x, .. }) | Val::Pct(x), Val::Num(z)) if z.is_zero() => Some(x.cmp(z)),
        (Val::Num(z), Val::Money(Money { amount: y, .. }) | Val::Pct(y)) if z.is_zero() => Some(z.cmp(y)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Dur(x), Val::Dur(y)) => x.partial_cmp(y),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Code(d, x), Val::Code(e, y)) if d == e => Some(x.cmp(y)),
        (a, b) => match (a.as_text(), b.as_text()) {
            (Some(x), Some(y)) => Some(x.cmp(y)),
            _ => None,
        },
    }
}

fn compare<'a>(cx: &mut Cx<'a>, op: CmpOp, a: &Val<'a>, b: &Val<'a>) -> Val<'a> {
    let Some(ord) = order(cx, a, b) else {
        return Val::Unknown;
    };
    Val::Bool(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    })
}

/// Whether `v` is in `list`: `None` when that depends on missing data.
fn member<'a>(cx: &mut Cx<'a>, v: &Val<'a>, list: &Val<'a>) -> Option<bool> {
    if v.is_unknown() {
        return None;
    }
    let Val::List(l) = list else { return None };
    let mut unknown = false;
    for item in l.iter() {
        if item.is_unknown() {
            unknown = true;
            continue;
        }
        if order(cx, v, &item) == Some(Ordering::Equal) {
            return Some(true);
        }
    }
    if unknown { None } else { Some(false) }
}

fn starts_with(a: &Val<'_>, b: &Val<'_>) -> Option<bool> {
    let prefixes: Vec<Cow<'_, str>> = match b {
        Val::List(l) => l
            .iter()
            .filter_map(|v| v.as_text().map(|s| Cow::Owned(s.to_string())))
            .collect(),
        other => vec![Cow::Borrowed(other.as_text()?)],
    };
    let test = |s: &str| prefixes.iter().any(|p| s.starts_with(p.as_ref()));
    match a {
        Val::List(l) => {
            let mut unknown = false;
            for item in l.iter() {
                match item.as_text() {
                    Some(s) if test(s) => return Some(true),
                    Some(_) => {}
                    None => unknown = true,
                }
            }
            if unknown { None } else { Some(false) }
        }
        other => Some(test(other.as_text()?)),
    }
}

fn arith<'a>(cx: &mut Cx<'a>, op: ArithOp, a: Val<'a>, b: Val<'a>) -> Val<'a> {
    let hundred = Decimal::ONE_HUNDRED;
    let num = |r: Option<Decimal>| r;
    let result: Option<Val<'a>> = match (op, &a, &b) {
        (_, Val::Unknown, _) | (_, _, Val::Unknown) => return Val::Unknown,
        (ArithOp::Div, _, Val::Num(z) | Val::Pct(z)) if z.is_zero() => return cx.problem(Problem::DivisionByZero),
        (ArithOp::Div, _, Val::Money(z)) if z.amount.is_zero() => return cx.problem(Problem::DivisionByZero),
        (ArithOp::Add, Val::Num(x), Val::Num(y)) => num(x.checked_add(*y)).map(Val::Num),
        (ArithOp::Sub, Val::Num(x), Val::Num(y)) => num(x.checked_sub(*y)).map(Val::Num),
        (ArithOp::Mul, Val::Num(x), Val::Num(y)) => num(x.checked_mul(*y)).map(Val::Num),
        (ArithOp::Div, Val::Num(x), Val::Num(y)) => num(x.checked_div(*y)).map(Val::Num),
        (ArithOp::Add, Val::Pct(x), Val::Pct(y)) => x.checked_add(*y).map(Val::Pct),
        // A sum of no elements is a bare zero (see `quantify`).
        (ArithOp::Add, Val::Num(z), Val::Pct(p)) | (ArithOp::Add, Val::Pct(p), Val::Num(z)) if z.is_zero() => {
            Some(Val::Pct(*p))
        }
        (ArithOp::Sub, Val::Pct(x), Val::Pct(y)) => x.checked_sub(*y).map(Val::Pct),
        (ArithOp::Mul, Val::Pct(x), Val::Num(y)) | (ArithOp::Mul, Val::Num(y), Val::Pct(x)) => {
            x.checked_mul(*y).map(Val::Pct)
        }
        (ArithOp::Div, Val::Pct(x), Val::Num(y)) => x.checked_div(*y).map(Val::Pct),
        (ArithOp::Add | ArithOp::Sub, Val::Money(x), Val::Money(y)) => {
            if x.currency != y.currency {
                return cx.problem(Problem::Currencies(x.currency, y.currency));
            }
            let r = if op == ArithOp::Add {
                x.amount.checked_add(y.amount)
            } else {
                x.amount.checked_sub(y.amount)
            };
            r.map(|amount| Val::Money(Money::new(amount, x.currency)))
        }
        (ArithOp::Mul, Val::Money(m), Val::Num(n)) | (ArithOp::Mul, Val::Num(n), Val::Money(m)) => m
            .amount
            .checked_mul(*n)
            .map(|amount| Val::Money(Money::new(amount, m.currency))),
        (ArithOp::Mul, Val::Money(m), Val::Pct(p)) | (ArithOp::Mul, Val::Pct(p), Val::Money(m)) => m
            .amount
            .checked_mul(*p)
            .and_then(|x| x.checked_div(hundred))
            .map(|amount| Val::Money(Money::new(amount, m.currency))),
        (ArithOp::Div, Val::Money(m), Val::Num(n)) => m
            .amount
            .checked_div(*n)
            .map(|amount| Val::Money(Money::new(amount, m.currency))),
        (ArithOp::Div, Val::Money(x), Val::Money(y)) => {
            if x.currency != y.currency {
                return cx.problem(Problem::Currencies(x.currency, y.currency));
            }
            x.amount.checked_div(y.amount).map(Val::Num)
        }
        (ArithOp::Add, Val::Date(d), Val::Dur(du)) => du.after(*d).map(Val::Date),
        (ArithOp::Sub, Val::Date(d), Val::Dur(du)) => du.before(*d).map(Val::Date),
        _ => return Val::Unknown,
    };
    match result {
        Some(v) => v,
        None => cx.problem(Problem::Overflow),
    }
}

/// Add two values of a sum; `None` on a problem (recorded).
fn add<'a>(cx: &mut Cx<'a>, acc: Val<'a>, v: Val<'a>) -> Option<Val<'a>> {
    match (acc, v) {
        (Val::Num(z), v @ (Val::Money(_) | Val::Pct(_))) if z.is_zero() => Some(v),
        (acc, v) => match arith(cx, ArithOp::Add, acc, v) {
            Val::Unknown => None,
            r => Some(r),
        },
    }
}

fn quantify<'a>(
    cx: &mut Cx<'a>,
    q: Quantifier,
    slot: Slot,
    list: &ListVal<'a>,
    filter: Option<NodeId>,
    body: Option<NodeId>,
) -> Val<'a> {
    let before = cx.missing;
    let mut unknown = false;
    let mut count = 0u64;
    let mut acc: Option<Val<'a>> = None;
    for item in list.iter() {
        cx.vars[slot as usize] = item.clone();
        let included = match filter {
            Some(f) => truth(cx, f),
            None => Some(true),
        };
        if included == Some(false) {
            continue;
        }
        match q {
            Quantifier::All | Quantifier::Any | Quantifier::None => {
                let holds = body.and_then(|b| truth(cx, b));
                let decisive = if q == Quantifier::All { Some(false) } else { Some(true) };
                if holds == decisive && included == Some(true) {
                    cx.missing = before;
                    return Val::Bool(match q {
                        Quantifier::All => false,
                        Quantifier::Any => true,
                        _ => false,
                    });
                }
                if holds.is_none() || (included.is_none() && holds == decisive) {
                    unknown = true;
                }
            }
            Quantifier::Count => {
                if included.is_none() {
                    unknown = true;
                }
                count += 1;
            }
            Quantifier::Sum | Quantifier::Min | Quantifier::Max => {
                if included.is_none() {
                    unknown = true;
                    continue;
                }
                let v = match body {
                    Some(b) => eval(cx, b),
                    None => item,
                };
                if v.is_unknown() {
                    unknown = true;
                    continue;
                }
                acc = match (q, acc) {
                    (_, None) => Some(v),
                    (Quantifier::Sum, Some(a)) => match add(cx, a, v) {
                        Some(s) => Some(s),
                        None => return Val::Unknown,
                    },
                    (_, Some(a)) => match order(cx, &v, &a) {
                        Some(Ordering::Less) if q == Quantifier::Min => Some(v),
                        Some(Ordering::Greater) if q == Quantifier::Max => Some(v),
                        Some(_) => Some(a),
                        None => return Val::Unknown,
                    },
                };
            }
        }
    }
    if unknown {
        return Val::Unknown;
    }
    cx.missing = before;
    match q {
        Quantifier::All => Val::Bool(true),
        Quantifier::Any => Val::Bool(false),
        Quantifier::None => Val::Bool(true),
        Quantifier::Count => Val::Num(Decimal::from(count)),
        Quantifier::Sum => acc.unwrap_or(Val::Num(Decimal::ZERO)),
        Quantifier::Min | Quantifier::Max => acc.unwrap_or(Val::Unknown),
    }
}

fn call<'a>(cx: &mut Cx<'a>, builtin: Builtin, args: &[NodeId]) -> Val<'a> {
    // Built-ins take one or two arguments (the checker sees to it): keep
    // them on the stack.
    let mut values: [Val<'a>; 2] = [Val::Unknown, Val::Unknown];
    let Some(values) = values.get_mut(..args.len()) else {
        return Val::Unknown;
    };
    for (slot, &a) in values.iter_mut().zip(args) {
        *slot = eval(cx, a);
        if slot.is_unknown() {
            return Val::Unknown;
        }
    }
    let text = |v: &Val<'a>| v.as_text().map(str::to_string);
    match (builtin, &*values) {
        (Builtin::Count, [Val::List(l)]) => Val::Num(Decimal::from(l.len() as u64)),
        (Builtin::Sum | Builtin::Min | Builtin::Max, [Val::List(l)]) => {
            let q = match builtin {
                Builtin::Sum => Quantifier::Sum,
                Builtin::Min => Quantifier::Min,
                _ => Quantifier::Max,
            };
            let list = l.clone();
            fold(cx, q, &list)
        }
        (Builtin::Lower, [v]) => text(v)
            .map(|s| Val::Text(Cow::Owned(s.to_lowercase())))
            .unwrap_or(Val::Unknown),
        (Builtin::Upper, [v]) => text(v)
            .map(|s| Val::Text(Cow::Owned(s.to_uppercase())))
            .unwrap_or(Val::Unknown),
        (Builtin::Trim, [v]) => text(v)
            .map(|s| Val::Text(Cow::Owned(s.trim().to_string())))
            .unwrap_or(Val::Unknown),
        (Builtin::Digits, [v]) => text(v)
            .map(|s| Val::Text(Cow::Owned(s.chars().filter(char::is_ascii_digit).collect())))
            .unwrap_or(Val::Unknown),
        (Builtin::NormalizeId, [v]) => match v {
            Val::Text(Cow::Borrowed(b)) => Val::Text(normalized_id(b)),
            other => other
                .as_text()
                .map(|s| Val::Text(Cow::Owned(normalize_id(s))))
                .unwrap_or(Val::Unknown),
        },
        (Builtin::NormalizeName, [v]) => text(v)
            .map(|s| Val::Text(Cow::Owned(normalize_name(&s))))
            .unwrap_or(Val::Unknown),
        (Builtin::Prefix, [v, Val::Num(n)]) => {
            let n = n.trunc().to_usize().unwrap_or(0);
            match v {
                Val::Text(Cow::Borrowed(s)) => Val::Text(Cow::Borrowed(char_prefix(s, n))),
                other => text(other)
                    .map(|s| Val::Text(Cow::Owned(char_prefix(&s, n).to_string())))
                    .unwrap_or(Val::Unknown),
            }
        }
        (Builtin::Year, [Val::Date(d)]) => Val::Num(Decimal::from(d.year())),
        (Builtin::Quarter, [Val::Date(d)]) => Val::Text(Cow::Owned(quarter_label(*d))),
        (Builtin::Month, [Val::Date(d)]) => Val::Text(Cow::Owned(d.format("%Y-%m").to_string())),
        _ => Val::Unknown,
    }
}

fn fold<'a>(cx: &mut Cx<'a>, q: Quantifier, list: &ListVal<'a>) -> Val<'a> {
    let mut acc: Option<Val<'a>> = None;
    for v in list.iter() {
        if v.is_unknown() {
            return Val::Unknown;
        }
        acc = match acc {
            None => Some(v),
            Some(a) if q == Quantifier::Sum => match add(cx, a, v) {
                Some(s) => Some(s),
                None => return Val::Unknown,
            },
            Some(a) => match order(cx, &v, &a) {
                Some(Ordering::Less) if q == Quantifier::Min => Some(v),
                Some(Ordering::Greater) if q == Quantifier::Max => Some(v),
                Some(_) => Some(a),
                None => return Val::Unknown,
            },
        };
    }
    match (q, acc) {
        (_, Some(v)) => v,
        (Quantifier::Sum, None) => Val::Num(Decimal::ZERO),
        _ => Val::Unknown,
    }
}

fn char_prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// An organisation id reduced to compare equal however it is written: an
/// id that is a number (`NO 926 723 073 MVA`, `926723073`) becomes its
/// digits; any other id is trimmed and lower-cased.
pub fn normalize_id(id: &str) -> String {
    normalized_id(id).into_owned()
}

/// [`normalize_id`], borrowing `id` when it is normalised already (the
/// common case: an organisation number of digits only).
pub fn normalized_id(id: &str) -> Cow<'_, str> {
    if id.len() >= 6 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Cow::Borrowed(id);
    }
    Cow::Owned(normalize_id_slow(id))
}

fn normalize_id_slow(id: &str) -> String {
    let digits: String = id.chars().filter(char::is_ascii_digit).collect();
    let letters: String = id
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    let only_decoration = letters.is_empty() || matches!(letters.as_str(), "no" | "mva" | "nomva" | "orgnr");
    if digits.len() >= 6 && only_decoration {
        digits
    } else {
        id.trim().to_lowercase()
    }
}

/// Suffixes of company names that say only what legal form a company has.
const LEGAL_FORMS: &[&str] = &[
    "as", "asa", "ans", "da", "ba", "sa", "ks", "iks", "kf", "ab", "oy", "oyj", "aps", "ltd", "limited", "plc", "gmbh",
    "ag", "bv", "nv", "inc", "llc", "corp", "sas", "sl", "srl", "spa", "sc", "cv", "decv", "sadecv", "sderl",
    "sderlcv", "sapi", "sapidecv",
];

/// A company name reduced to what identifies it: lower case, no accents or
/// punctuation, single spaces, no legal-form suffix (`AS`, `A/S`, `S.A. de
/// C.V.`). "Especialistas  Ambientales, S.A. de C.V." and "ESPECIALISTAS
/// AMBIENTALES SA DE CV" both become "especialistas ambientales".
pub fn normalize_name(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut folded = String::with_capacity(name.len());
    if name.is_ascii() {
        // Most names: no accents to take off, no Unicode case rules.
        folded.extend(name.chars().map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                ' '
            }
        }));
    } else {
        for c in name.to_lowercase().nfd() {
            match c {
                'æ' => folded.push_str("ae"),
                'ø' => folded.push('o'),
                'ß' => folded.push_str("ss"),
                c if unicode_normalization::char::is_combining_mark(c) => {}
                c if c.is_alphanumeric() => folded.push(c),
                _ => folded.push(' '),
            }
        }
    }
    let mut words: Vec<&str> = folded
        .split_whitespace()
        .filter(|w| !matches!(*w, "og" | "and" | "y"))
        .collect();
    loop {
        let n = words.len();
        let strip = (1..=5.min(n.saturating_sub(1)))
            .rev()
            .find(|&k| LEGAL_FORMS.iter().any(|form| concatenation_is(&words[n - k..], form)));
        match strip {
            Some(k) => words.truncate(n - k),
            None => break,
        }
    }
    words.join(" ")
}

/// Whether `parts` written one after another are `whole`.
fn concatenation_is(parts: &[&str], whole: &str) -> bool {
    let mut rest = whole;
    for part in parts {
        match rest.strip_prefix(part) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Show a value in a message.
pub fn show(v: &Val<'_>, lang: Lang) -> String {
    match v {
        Val::Code(d, c) if *d == Domain::Fuel => d.value(*c).to_string(),
        other => other.display(lang),
    }
}

/// The first value of a constant, for explanations.
pub fn const_text(c: &Const, lang: Lang) -> String {
    c.display(lang)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_names_normalise() {
        let a = normalize_name("Especialistas  Ambientales, S.A. de C.V.");
        assert_eq!(a, "especialistas ambientales");
        assert_eq!(normalize_name("ESPECIALISTAS AMBIENTALES SA DE CV"), a);
        assert_eq!(normalize_name("Bygg & Anlegg A/S"), "bygg anlegg");
        assert_eq!(normalize_name("Bygg og anlegg AS"), "bygg anlegg");
        assert_eq!(normalize_name("Møbelhuset Ålesund ASA"), "mobelhuset alesund");
        // A name that is only a legal form keeps it.
        assert_eq!(normalize_name("AS"), "as");
    }

    #[test]
    fn organisation_ids_normalise() {
        assert_eq!(normalize_id("NO 926 723 073 MVA"), "926723073");
        assert_eq!(normalize_id("926723073"), "926723073");
        assert_eq!(normalize_id(" MX-RFC-ABC123 "), "mx-rfc-abc123");
    }
}
