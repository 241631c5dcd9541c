//! Conditions that can never hold or always hold, found by reasoning over
//! comparisons of one value with constants: `value >= 2 MNOK and value < 1
//! MNOK` holds for no value, `procedure != "open" or procedure != "direct"`
//! for every procedure.
//!
//! The comparisons of one value (a field, a `let`, any expression, told
//! apart by how it is written) with constants split its possible values
//! into a few regions on which each comparison is all true or all false:
//! for `value` compared with 1 MNOK and 2 MNOK, the regions are below 1
//! MNOK, 1 MNOK, between, 2 MNOK and above. A condition on that value is
//! then the set of regions where it holds, `and`, `or` and `not` are
//! intersection, union and complement, and a condition holds nowhere when
//! its set is empty. Several values joined by `and` and `or` are reasoned
//! about one at a time, which is enough to find the contradictions people
//! write by mistake, not every one there is.

use crate::plan::{CmpOp, Node, NodeId, ParamValue, Plan};
use crate::schema::{self, Domain, FieldType};
use crate::value::Const;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What a condition does whatever the record says (its fields given).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Never,
    Always,
}

/// A condition (or part of one) that never or always holds, and the value
/// whose comparisons decide it, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constant {
    pub node: NodeId,
    pub verdict: Verdict,
    pub subject: Option<String>,
}

/// The largest parts of the condition at `root` that never or always hold.
pub fn constant_parts(plan: &Plan, root: NodeId) -> Vec<Constant> {
    let mut atoms = Vec::new();
    collect(plan, root, &mut atoms);
    let mut regions: BTreeMap<SubjectKey, Regions> = BTreeMap::new();
    for atom in &atoms {
        regions
            .entry(atom.subject.clone())
            .or_insert_with(|| Regions::new(&atom.subject))
            .add(&atom.constants);
    }
    let cx = Cx { plan, atoms, regions };
    let mut out = Vec::new();
    cx.report(root, &mut out);
    out
}

/// A value compared with constants: how it is written, and the kind of
/// its values (amounts in different currencies are different values).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct SubjectKey {
    text: String,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// Numbers, percentages, amounts in one currency, dates: ordered.
    Ordered(String),
    /// Codes of a domain, true/false: a fixed set of values.
    Finite(Vec<String>),
    /// Texts: any value.
    Open,
}

/// A point on an ordered scale, or a text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Point {
    Num(Decimal),
    Word(String),
}

/// One comparison of a value with constants.
#[derive(Debug, Clone)]
struct Atom {
    node: NodeId,
    subject: SubjectKey,
    test: Test,
    constants: Vec<Point>,
}

#[derive(Debug, Clone, Copy)]
enum Test {
    Cmp(CmpOp),
    In {
        negate: bool,
    },
    /// A true/false field used as a condition.
    IsTrue,
}

/// The regions of one value's possible values.
struct Regions {
    points: Vec<Point>,
    ordered: bool,
    /// For texts: one region for every value not named.
    open: bool,
}

impl Regions {
    fn new(subject: &SubjectKey) -> Self {
        match &subject.kind {
            Kind::Ordered(_) => Regions {
                points: Vec::new(),
                ordered: true,
                open: false,
            },
            Kind::Finite(values) => Regions {
                points: values.iter().cloned().map(Point::Word).collect(),
                ordered: false,
                open: false,
            },
            Kind::Open => Regions {
                points: Vec::new(),
                ordered: false,
                open: true,
            },
        }
    }

    fn add(&mut self, constants: &[Point]) {
        if !self.ordered && !self.open {
            return;
        }
        for c in constants {
            if !self.points.contains(c) {
                self.points.push(c.clone());
            }
        }
        self.points.sort();
    }

    fn len(&self) -> usize {
        if self.ordered {
            2 * self.points.len() + 1
        } else {
            self.points.len() + usize::from(self.open)
        }
    }

    /// The regions where `v <op> c` holds.
    fn compare(&self, op: CmpOp, c: &Point) -> Vec<bool> {
        (0..self.len()).map(|r| self.region_compare(r, op, c)).collect()
    }

    fn region_compare(&self, r: usize, op: CmpOp, c: &Point) -> bool {
        use std::cmp::Ordering::*;
        let ord = if self.ordered {
            if r % 2 == 1 {
                self.points[r / 2].cmp(c)
            } else {
                // Between two points: every value is above `c` if `c` is at
                // or below the lower point, else below it.
                let lower = r.checked_sub(1).map(|i| &self.points[i / 2]);
                if lower.is_some_and(|l| l >= c) { Greater } else { Less }
            }
        } else if r < self.points.len() {
            if &self.points[r] == c { Equal } else { Less }
        } else {
            Less
        };
        match op {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
        }
    }
}

/// What is known of a condition.
#[derive(Debug, Clone)]
enum Abstract {
    /// A condition on one value: the regions where it holds.
    One(SubjectKey, Vec<bool>),
    Never(Option<SubjectKey>),
    Always(Option<SubjectKey>),
    Other,
}

struct Cx<'p> {
    plan: &'p Plan,
    atoms: Vec<Atom>,
    regions: BTreeMap<SubjectKey, Regions>,
}

impl Cx<'_> {
    fn eval(&self, node: NodeId) -> Abstract {
        if let Some(atom) = self.atoms.iter().find(|a| a.node == node) {
            let Some(regions) = self.regions.get(&atom.subject) else {
                return Abstract::Other;
            };
            let set = match atom.test {
                Test::Cmp(op) => match atom.constants.first() {
                    Some(c) => regions.compare(op, c),
                    None => return Abstract::Other,
                },
                Test::In { negate } => {
                    let mut set = vec![false; regions.len()];
                    for c in &atom.constants {
                        for (s, hit) in set.iter_mut().zip(regions.compare(CmpOp::Eq, c)) {
                            *s |= hit;
                        }
                    }
                    if negate {
                        set.iter_mut().for_each(|s| *s = !*s);
                    }
                    set
                }
                Test::IsTrue => regions.compare(CmpOp::Eq, &Point::Word("true".into())),
            };
            return settle(atom.subject.clone(), set);
        }
        match self.plan.node(node) {
            Node::And(children) => self.combine(children, true),
            Node::Or(children) => self.combine(children, false),
            Node::Not(inner) => match self.eval(*inner) {
                Abstract::One(s, set) => settle(s, set.into_iter().map(|b| !b).collect()),
                Abstract::Never(s) => Abstract::Always(s),
                Abstract::Always(s) => Abstract::Never(s),
                Abstract::Other => Abstract::Other,
            },
            Node::Let(l) => self.eval(self.plan.lets[*l as usize]),
            _ => Abstract::Other,
        }
    }

    /// `and` (`all`) or `or` of the children.
    fn combine(&self, children: &[NodeId], all: bool) -> Abstract {
        let mut by_subject: BTreeMap<SubjectKey, Vec<bool>> = BTreeMap::new();
        let mut other = false;
        for &c in children {
            match self.eval(c) {
                Abstract::Never(s) if all => return Abstract::Never(s),
                Abstract::Always(s) if !all => return Abstract::Always(s),
                // `and` with what always holds, `or` with what never does:
                // no change.
                Abstract::Never(_) | Abstract::Always(_) => {}
                Abstract::One(s, set) => {
                    let entry = by_subject.entry(s).or_insert_with(|| vec![all; set.len()]);
                    for (e, b) in entry.iter_mut().zip(set) {
                        *e = if all { *e && b } else { *e || b };
                    }
                }
                Abstract::Other => other = true,
            }
        }
        let mut result: Option<Abstract> = None;
        for (s, set) in by_subject {
            match settle(s, set) {
                Abstract::Never(s) if all => return Abstract::Never(s),
                Abstract::Always(s) if !all => return Abstract::Always(s),
                Abstract::Never(_) | Abstract::Always(_) => {}
                one => {
                    if result.is_some() {
                        other = true;
                    }
                    result = Some(one);
                }
            }
        }
        match (result, other) {
            (Some(one), false) => one,
            (None, false) if all => Abstract::Always(None),
            (None, false) => Abstract::Never(None),
            _ => Abstract::Other,
        }
    }

    /// Report the largest parts of `node` that never or always hold.
    fn report(&self, node: NodeId, out: &mut Vec<Constant>) {
        let verdict = match self.eval(node) {
            Abstract::Never(s) => Some((Verdict::Never, s)),
            Abstract::Always(s) => Some((Verdict::Always, s)),
            _ => None,
        };
        if let Some((verdict, subject)) = verdict {
            out.push(Constant {
                node,
                verdict,
                subject: subject.map(|s| s.text),
            });
            return;
        }
        match self.plan.node(node) {
            Node::And(children) | Node::Or(children) => {
                for &c in children.iter() {
                    self.report(c, out);
                }
            }
            Node::Not(inner) => self.report(*inner, out),
            _ => {}
        }
    }
}

fn settle(subject: SubjectKey, set: Vec<bool>) -> Abstract {
    if set.iter().all(|b| !b) {
        Abstract::Never(Some(subject))
    } else if set.iter().all(|b| *b) {
        Abstract::Always(Some(subject))
    } else {
        Abstract::One(subject, set)
    }
}

// ------------------------------------------------------------------ atoms

/// Find the comparisons with constants in the boolean structure at `node`.
fn collect(plan: &Plan, node: NodeId, out: &mut Vec<Atom>) {
    match plan.node(node) {
        Node::And(children) | Node::Or(children) => {
            for &c in children.iter() {
                collect(plan, c, out);
            }
        }
        Node::Not(inner) => collect(plan, *inner, out),
        Node::Let(l) => collect(plan, plan.lets[*l as usize], out),
        Node::Cmp(op, a, b) => {
            let (subject, op, constant) = match (constant(plan, *a), constant(plan, *b)) {
                (None, Some(c)) => (*a, *op, c),
                (Some(c), None) => (*b, flip(*op), c),
                _ => return,
            };
            if let Some((key, points)) = subject_key(plan, subject, std::slice::from_ref(&constant)) {
                out.push(Atom {
                    node,
                    subject: key,
                    test: Test::Cmp(op),
                    constants: points,
                });
            }
        }
        Node::In { value, list, negate } => {
            if constant(plan, *value).is_some() {
                return;
            }
            let Some(Const::List(items)) = constant(plan, *list) else {
                return;
            };
            if let Some((key, points)) = subject_key(plan, *value, &items) {
                out.push(Atom {
                    node,
                    subject: key,
                    test: Test::In { negate: *negate },
                    constants: points,
                });
            }
        }
        Node::Field(_, idx) if field_type(*idx) == Some(FieldType::Bool) => {
            if let Some((key, points)) = subject_key(plan, node, &[Const::Bool(true)]) {
                out.push(Atom {
                    node,
                    subject: key,
                    test: Test::IsTrue,
                    constants: points,
                });
            }
        }
        _ => {}
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

/// The constant a node stands for: a literal, a parameter with one value,
/// or a `let` of one.
fn constant(plan: &Plan, node: NodeId) -> Option<Const> {
    match plan.node(node) {
        Node::Const(c) => Some(c.clone()),
        Node::Param(p) => match &plan.params.get(*p as usize)?.value {
            ParamValue::Fixed(c) => Some(c.clone()),
            ParamValue::ByDate(_) => None,
        },
        Node::Let(l) => constant(plan, *plan.lets.get(*l as usize)?),
        _ => None,
    }
}

fn field_type(idx: schema::FieldIndex) -> Option<FieldType> {
    schema::FIELDS.get(usize::from(idx)).map(|f| f.ty)
}

/// The domain of a field the node reads, if it is a code field.
fn domain_of(plan: &Plan, node: NodeId) -> Option<Domain> {
    let idx = match plan.node(node) {
        Node::Field(_, idx) | Node::VarField(_, _, idx) => *idx,
        _ => return None,
    };
    match field_type(idx)? {
        FieldType::Code(d) => Some(d),
        _ => None,
    }
}

/// The subject of comparisons of `node` with `constants`, and the
/// constants as points; `None` for values this reasoning leaves alone
/// (durations, lists, mixed kinds).
fn subject_key(plan: &Plan, node: NodeId, constants: &[Const]) -> Option<(SubjectKey, Vec<Point>)> {
    let text = plan.source_text(node).split_whitespace().collect::<Vec<_>>().join(" ");
    let mut kind: Option<Kind> = None;
    let mut points = Vec::new();
    let domain = domain_of(plan, node);
    for c in constants {
        let (k, p) = match c {
            Const::Num(n) => (Kind::Ordered("number".into()), Point::Num(*n)),
            Const::Pct(n) => (Kind::Ordered("percent".into()), Point::Num(*n)),
            Const::Money(m) => (Kind::Ordered(format!("money {}", m.currency)), Point::Num(m.amount)),
            Const::Date(d) => (
                Kind::Ordered("date".into()),
                Point::Num(Decimal::from(
                    d.signed_duration_since(chrono::NaiveDate::MIN).num_days(),
                )),
            ),
            Const::Bool(b) => (
                Kind::Finite(vec!["false".into(), "true".into()]),
                Point::Word(b.to_string()),
            ),
            Const::Code(d, code) => (finite(*d), Point::Word(d.value(*code).to_string())),
            Const::Text(t) => match domain {
                Some(d) => (finite(d), Point::Word(d.value(d.code(t)?).to_string())),
                None => (Kind::Open, Point::Word(t.clone())),
            },
            Const::Dur(_) | Const::List(_) => return None,
        };
        match &kind {
            Some(existing) if *existing != k => return None,
            _ => kind = Some(k),
        }
        points.push(p);
    }
    Some((SubjectKey { text, kind: kind? }, points))
}

fn finite(d: Domain) -> Kind {
    Kind::Finite(d.values().iter().map(|v| v.to_string()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Policies;

    fn verdicts(require: &str) -> Vec<(Verdict, String)> {
        let text = format!(
            "policy t {{ title en \"T\" }}\narea a {{ title en \"A\" }}\nlet value = estimated_value otherwise awarded_value\nparam limit = 1 MNOK\nrule R-1 {{ title en \"R\" area a severity must require {require} }}\n"
        );
        let p = Policies::from_text("t.policy", &text, &[]).unwrap_or_else(|e| panic!("{e}"));
        let crate::plan::RuleKind::PerRecord { require } = p.plan.rules[0].kind else {
            panic!("a per-record rule")
        };
        constant_parts(&p.plan, require)
            .into_iter()
            .map(|c| (c.verdict, p.plan.source_text(c.node).to_string()))
            .collect()
    }

    #[test]
    fn contradictions_on_one_value_never_hold() {
        let v = verdicts("value >= 2 MNOK and value < limit");
        assert_eq!(v.first().map(|x| x.0), Some(Verdict::Never), "{v:?}");
        assert_eq!(verdicts("value >= 2 MNOK and value < 3 MNOK"), vec![]);
        let v = verdicts("procedure == \"open\" and procedure == \"direct\"");
        assert_eq!(v.first().map(|x| x.0), Some(Verdict::Never), "{v:?}");
        let v = verdicts("date > 2024-01-01 and date < 2023-01-01 or framework");
        assert_eq!(
            v,
            vec![(Verdict::Never, "date > 2024-01-01 and date < 2023-01-01".to_string())]
        );
    }

    #[test]
    fn conditions_true_for_every_value_always_hold() {
        let v = verdicts("value >= 1 MNOK or value < 2 MNOK");
        assert_eq!(v.first().map(|x| x.0), Some(Verdict::Always), "{v:?}");
        let v = verdicts("procedure != \"open\" or procedure != \"direct\"");
        assert_eq!(v.first().map(|x| x.0), Some(Verdict::Always), "{v:?}");
        let v = verdicts("framework or not framework");
        assert_eq!(v.first().map(|x| x.0), Some(Verdict::Always), "{v:?}");
        assert_eq!(verdicts("value >= 1 MNOK or value < 1 EUR"), vec![]);
        assert_eq!(verdicts("title == \"a\" or title != \"b\""), vec![]);
    }
}
