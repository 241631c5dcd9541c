//! The compiled form of a set of policies: what the evaluator runs.
//!
//! Names are resolved, types checked, parameters bound and field paths turned
//! into accessors before the first record is read; expressions live in one
//! arena of [`Node`]s addressed by [`NodeId`], so evaluating a rule does no
//! name lookup and no string comparison of field names.

use crate::diag::{FileId, SourceMap};
use crate::schema::{FieldIndex, ItemField, ListField, Scalar};
use crate::syntax::ast::{CalendarUnit, Lang, Quantifier, Severity, Span, Translations};
use crate::value::{Const, Duration};
use chrono::NaiveDate;

pub type NodeId = u32;
pub type ParamId = u16;
pub type LetId = u16;
pub type Slot = u16;
pub type RuleId = u16;
pub type AreaId = u16;
pub type PolicyId = u16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestOp {
    Present,
    Missing,
    NonEmpty,
    Empty,
}

/// Functions a policy can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Count,
    Sum,
    Min,
    Max,
    Lower,
    Upper,
    Trim,
    Prefix,
    Digits,
    NormalizeId,
    NormalizeName,
    Year,
    Quarter,
    Month,
}

/// Aggregates over the members of a cross-record window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Sum,
    Count,
    Min,
    Max,
    Distinct,
    All,
    Any,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Const(Const),
    Param(ParamId),
    Let(LetId),
    Field(Scalar, FieldIndex),
    /// A declared field, by its slot: `project.code`.
    Extra(u8, FieldIndex),
    List(ListField, FieldIndex),
    /// One field of every element of a list: `vehicles[].fuel`.
    Project(ListField, ItemField, FieldIndex, FieldIndex),
    Var(Slot),
    VarField(Slot, ItemField, FieldIndex),
    Index(NodeId, usize),
    Not(NodeId),
    And(Box<[NodeId]>),
    Or(Box<[NodeId]>),
    Cmp(CmpOp, NodeId, NodeId),
    Arith(ArithOp, NodeId, NodeId),
    Neg(NodeId),
    In {
        value: NodeId,
        list: NodeId,
        negate: bool,
    },
    StartsWith(NodeId, NodeId),
    Test(TestOp, NodeId),
    Otherwise(NodeId, NodeId),
    If(NodeId, NodeId, NodeId),
    Quant {
        quantifier: Quantifier,
        slot: Slot,
        list: NodeId,
        filter: Option<NodeId>,
        body: Option<NodeId>,
    },
    Call(Builtin, Box<[NodeId]>),
    /// The value of the i-th aggregate of a cross-record rule's window.
    Aggregate(u16),
}

impl Node {
    /// Call `f` with each node this one evaluates directly (a `let`'s body
    /// is reached through [`Plan::lets`], not here).
    pub fn each_child(&self, mut f: impl FnMut(NodeId)) {
        match self {
            Node::Index(a, _) | Node::Not(a) | Node::Neg(a) | Node::Test(_, a) => f(*a),
            Node::And(c) | Node::Or(c) | Node::Call(_, c) => c.iter().copied().for_each(f),
            Node::Cmp(_, a, b) | Node::Arith(_, a, b) | Node::StartsWith(a, b) | Node::Otherwise(a, b) => {
                f(*a);
                f(*b);
            }
            Node::In { value, list, .. } => {
                f(*value);
                f(*list);
            }
            Node::If(a, b, c) => {
                f(*a);
                f(*b);
                f(*c);
            }
            Node::Quant { list, filter, body, .. } => {
                f(*list);
                filter.iter().copied().for_each(&mut f);
                body.iter().copied().for_each(f);
            }
            Node::Const(_)
            | Node::Param(_)
            | Node::Let(_)
            | Node::Field(..)
            | Node::Extra(..)
            | Node::List(..)
            | Node::Project(..)
            | Node::Var(_)
            | Node::VarField(..)
            | Node::Aggregate(_) => {}
        }
    }
}

#[derive(Debug, Clone)]
pub struct PolicyInfo {
    pub id: String,
    pub version: Option<String>,
    pub title: Translations,
    pub authority: Option<String>,
    pub source: Option<String>,
    pub file: String,
    pub in_force: Period,
    /// Whose procurements the policy is for (`for …`); everyone's if `None`.
    pub scope: Option<ScopePlan>,
    /// Which records the policy is for; all if `None`.
    pub applies: Option<NodeId>,
    pub applies_text: Option<String>,
}

/// Whose procurements a policy or rule is for (`for members of "…",
/// authority "…", kind "…"`): a record's party that is any of the targets,
/// on the record's date, through the organisation register.
#[derive(Debug, Clone, PartialEq)]
pub struct ScopePlan {
    pub targets: Vec<ScopeTarget>,
    /// As written (`for members of "innherred-innkjop"`), for messages.
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeTarget {
    /// The members of a cooperation on the record's date.
    Members(crate::register::CoopId),
    Authority(crate::register::AuthId),
    /// A kind of buyer, by its code in `Domain::BuyerKind`.
    Kind(u8),
}

/// A closed period of days; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Period {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl Period {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from.is_none_or(|f| date >= f) && self.to.is_none_or(|t| date <= t)
    }

    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    pub fn display(&self) -> String {
        match (self.from, self.to) {
            (Some(f), Some(t)) => format!("{f} – {t}"),
            (Some(f), None) => format!("{f} –"),
            (None, Some(t)) => format!("– {t}"),
            (None, None) => "–".to_string(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct AreaInfo {
    pub id: String,
    pub title: Translations,
    pub description: Translations,
    pub policy: PolicyId,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Fixed(Const),
    /// Sorted by date; each value applies from its date until the next.
    ByDate(Vec<(NaiveDate, Const)>),
}

impl ParamValue {
    pub fn at(&self, date: Option<NaiveDate>) -> Option<&Const> {
        match self {
            ParamValue::Fixed(c) => Some(c),
            ParamValue::ByDate(entries) => {
                let date = date?;
                entries.iter().rev().find(|(from, _)| *from <= date).map(|(_, c)| c)
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct ParamInfo {
    pub name: String,
    pub value: ParamValue,
    pub overridden: bool,
    pub policy: PolicyId,
    pub title: Translations,
}

/// A piece of a message template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Value(NodeId),
    /// The other members of a flagged cross-record window.
    Members,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Template {
    pub nb: Vec<Piece>,
    pub en: Vec<Piece>,
}

impl Template {
    pub fn pieces(&self, lang: Lang) -> &[Piece] {
        match lang {
            Lang::Nb if !self.nb.is_empty() => &self.nb,
            Lang::En if !self.en.is_empty() => &self.en,
            _ if self.nb.is_empty() => &self.en,
            _ => &self.nb,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.nb.is_empty() && self.en.is_empty()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowPlan {
    /// Members whose dates lie less than this far apart.
    Rolling(Duration),
    Calendar(CalendarUnit),
    /// No window: the whole group.
    All,
}

#[derive(Debug, Clone)]
pub struct AggregatePlan {
    pub kind: AggKind,
    /// Index into [`CrossPlan::member_values`]; `None` for `count()`.
    pub arg: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct CrossPlan {
    pub filter: Option<NodeId>,
    pub keys: Vec<NodeId>,
    pub window: WindowPlan,
    /// Expressions evaluated on each member record and kept for the window.
    pub member_values: Vec<NodeId>,
    /// The first `flag_values` member values are aggregated by the flag
    /// condition: a record without them cannot take part. The others only
    /// feed messages.
    pub flag_values: usize,
    pub aggregates: Vec<AggregatePlan>,
    pub flag: NodeId,
}

#[derive(Debug, Clone)]
pub enum RuleKind {
    PerRecord { require: NodeId },
    Cross(CrossPlan),
}

#[derive(Debug, Clone)]
pub struct RulePlan {
    pub id: String,
    pub title: Translations,
    pub area: AreaId,
    pub severity: Severity,
    pub basis: Option<String>,
    pub policy: PolicyId,
    pub in_force: Period,
    /// Whose procurements the rule is for, within its policy's scope.
    pub scope: Option<ScopePlan>,
    pub applies: Option<NodeId>,
    /// The applicability condition as written, to explain `not_applicable`.
    pub applies_text: Option<String>,
    pub requirement_text: String,
    pub kind: RuleKind,
    pub fail: Template,
    pub pass: Template,
    pub unknown: Template,
    pub advice: Translations,
    pub file: FileId,
    pub span: Span,
}

impl RulePlan {
    pub fn is_cross(&self) -> bool {
        matches!(self.kind, RuleKind::Cross(_))
    }
}

/// A field a policy declares, with its documentation.
#[derive(Debug, Clone)]
pub struct DeclaredField {
    pub field: crate::schema::ExtraField,
    pub title: Translations,
    pub description: Translations,
    /// The (first) policy that declares it.
    pub policy: PolicyId,
}

/// Everything the evaluator needs, compiled once.
pub struct Plan {
    /// The declared fields, by slot, as the readers need them.
    pub extras: crate::schema::Extras,
    pub declared_fields: Vec<DeclaredField>,
    pub policies: Vec<PolicyInfo>,
    pub areas: Vec<AreaInfo>,
    pub params: Vec<ParamInfo>,
    pub lets: Vec<NodeId>,
    pub rules: Vec<RulePlan>,
    pub nodes: Vec<Node>,
    /// Where each node was written.
    pub spans: Vec<(FileId, Span)>,
    /// Number of variable slots a record evaluation needs.
    pub slots: usize,
    pub sources: SourceMap,
    /// The organisation register the policies' scopes are resolved in.
    pub register: crate::register::Register,
}

impl Plan {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    pub fn rule_index(&self, id: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.id == id)
            .and_then(|i| RuleId::try_from(i).ok())
    }

    /// The source text a node was compiled from.
    pub fn source_text(&self, id: NodeId) -> &str {
        let (file, span) = self.spans[id as usize];
        self.sources.text(file).get(span.start..span.end).unwrap_or("")
    }

    /// Whether some policy or rule has a `for` scope: records then have
    /// parties to resolve in the register.
    pub fn has_scopes(&self) -> bool {
        self.policies.iter().any(|p| p.scope.is_some()) || self.rules.iter().any(|r| r.scope.is_some())
    }

    /// The record fields `for` scopes read: who the buyer and the
    /// participants are, and the date that decides membership.
    pub fn scope_fields(&self) -> crate::schema::FieldSet {
        use crate::schema::idx;
        let mut set = crate::schema::FieldSet::default();
        if self.has_scopes() || !self.register.is_empty() {
            for f in [
                idx("buyer.id"),
                idx("buyer.name"),
                idx("buyer.kind"),
                idx("participants"),
                idx("participants[].id"),
                idx("participants[].name"),
                idx("date"),
            ] {
                set.insert(f);
            }
        }
        set
    }

    /// The record fields some expression (or scope) of the plan reads.
    pub fn fields_used(&self) -> crate::schema::FieldSet {
        let mut set = self.scope_fields();
        for node in &self.nodes {
            match node {
                Node::Field(_, i) | Node::Extra(_, i) | Node::List(_, i) | Node::VarField(_, _, i) => set.insert(*i),
                Node::Project(_, _, list, item) => {
                    set.insert(*list);
                    set.insert(*item);
                }
                _ => {}
            }
        }
        set
    }

    /// The paths of the fields in `set`, canonical and declared.
    pub fn paths(&self, set: crate::schema::FieldSet) -> Vec<&'static str> {
        set.paths(&self.extras)
    }

    /// What a reader must read for this plan: the fields in `fields`, and the
    /// declared ones.
    pub fn want(&self, fields: crate::schema::FieldSet) -> crate::schema::Want {
        crate::schema::Want {
            fields,
            extras: self.extras.clone(),
        }
    }

    pub fn has_cross_rules(&self) -> bool {
        self.rules.iter().any(RulePlan::is_cross)
    }
}
