//! The abstract syntax tree of a policy file, with the source span of every
//! node so that later stages can point at the spot in their diagnostics.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A byte range in one policy file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A value with the span it was written at. Equality ignores the span, so
/// that two parses of differently laid out text compare equal.
#[derive(Debug, Clone)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Nb,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::En => "en",
        }
    }
}

/// Text in one or more languages (`nb "…" en "…"`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Translations {
    pub texts: Vec<(Lang, Spanned<String>)>,
}

impl Translations {
    /// The text in `lang`, falling back to the other language.
    pub fn get(&self, lang: Lang) -> Option<&str> {
        self.texts
            .iter()
            .find(|(l, _)| *l == lang)
            .or_else(|| self.texts.first())
            .map(|(_, s)| s.node.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct InForce {
    pub from: Option<Spanned<NaiveDate>>,
    pub to: Option<Spanned<NaiveDate>>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyFile {
    pub header: Header,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub id: Spanned<String>,
    pub version: Option<Spanned<String>>,
    pub title: Translations,
    pub description: Translations,
    pub authority: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub in_force: Option<InForce>,
    /// Whose procurements the policy is for (`for members of "…"`), through
    /// the organisation register; everyone's if absent.
    pub scope: Option<Scope>,
    /// The records the policy is for (`when buyer.id == "…"`); all if absent.
    pub applies: Option<Expr>,
}

/// `for members of "innherred-innkjop", authority "steinkjer"`: whose
/// procurements a policy or rule is for. A record is in scope when its
/// buyer (or a participant) is any of the targets on the record's date.
#[derive(Debug, Clone)]
pub struct Scope {
    pub targets: Vec<ScopeTarget>,
    pub span: Span,
}

impl PartialEq for Scope {
    fn eq(&self, other: &Self) -> bool {
        self.targets == other.targets
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScopeTarget {
    pub kind: ScopeKind,
    /// The register id (or buyer kind) as written.
    pub name: Spanned<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScopeKind {
    /// `members of "<cooperation id>"`
    Members,
    /// `authority "<authority id>"`
    Authority,
    /// `kind "<buyer kind>"`
    Kind,
}

impl ScopeKind {
    /// The words that introduce a target.
    pub fn keyword(self) -> &'static str {
        match self {
            ScopeKind::Members => "members of",
            ScopeKind::Authority => "authority",
            ScopeKind::Kind => "kind",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Import(Spanned<String>),
    Param(Param),
    Area(Area),
    Field(FieldDecl),
    Let(LetDef),
    Rule(Box<Rule>),
}

/// `field project.code : text`: a record field of the buyer's own data.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDecl {
    /// The dotted path, as in the records: `project.code`.
    pub path: Spanned<String>,
    /// The type's name as written (`text`, `money`, …).
    pub ty: Spanned<String>,
    /// `list of …`.
    pub list: bool,
    pub title: Translations,
    pub description: Translations,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Spanned<String>,
    pub value: ParamValue,
    pub title: Translations,
    pub description: Translations,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    Fixed(Expr),
    /// Values that change over time: each applies from its date until the next.
    ByDate(Vec<(Spanned<NaiveDate>, Expr)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    pub id: Spanned<String>,
    pub title: Translations,
    pub description: Translations,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LetDef {
    pub name: Spanned<String>,
    pub value: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Should,
    Must,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Must => "must",
            Severity::Should => "should",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Fail,
    Pass,
    Unknown,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub kind: MessageKind,
    pub text: Translations,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Spanned<String>,
    pub title: Translations,
    pub area: Option<Spanned<String>>,
    pub severity: Option<Spanned<Severity>>,
    pub basis: Option<Spanned<String>>,
    pub in_force: Option<InForce>,
    pub scope: Option<Scope>,
    pub applies: Option<Expr>,
    pub require: Option<Expr>,
    pub across: Option<Across>,
    pub messages: Vec<Message>,
    pub advice: Translations,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    Year,
    Quarter,
    Month,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    Rolling(Expr),
    Calendar(Spanned<CalendarUnit>),
}

#[derive(Debug, Clone)]
pub struct Across {
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub window: Option<Window>,
    pub flag_when: Expr,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Lit(Literal),
    Path(Path),
    List(Vec<Expr>),
    Paren(Box<Expr>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Comprehension(Box<Comprehension>),
    Call(Spanned<String>, Vec<Expr>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comprehension {
    pub quantifier: Quantifier,
    pub var: Spanned<String>,
    pub list: Expr,
    pub filter: Option<Expr>,
    pub body: Option<Expr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quantifier {
    All,
    Any,
    None,
    Count,
    Sum,
    Min,
    Max,
}

impl Quantifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Quantifier::All => "all",
            Quantifier::Any => "any",
            Quantifier::None => "none",
            Quantifier::Count => "count",
            Quantifier::Sum => "sum",
            Quantifier::Min => "min",
            Quantifier::Max => "max",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    Not,
    Neg,
    Exists,
    IsEmpty,
    IsNotEmpty,
    IsMissing,
    IsPresent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    StartsWith,
    Otherwise,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::NotIn => "not in",
            BinaryOp::StartsWith => "starts with",
            BinaryOp::Otherwise => "otherwise",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub steps: Vec<PathStep>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathStep {
    /// `name` or `.name`
    Field(String),
    /// `[].name`: the field of every element of a list
    Each(String),
    /// `[n]`
    Index(usize),
}

impl Path {
    /// The path as written, e.g. `vehicles[].fuel`.
    pub fn display(&self) -> String {
        let mut out = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Field(name) => {
                    if i > 0 {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                PathStep::Each(name) => {
                    out.push_str("[].");
                    out.push_str(name);
                }
                PathStep::Index(n) => {
                    out.push_str(&format!("[{n}]"));
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// Money exactly as written: the amount already scaled (`1.3 MNOK` is
    /// 1 300 000 NOK), the ISO currency code, and the multiplier prefix used.
    Money {
        amount: Decimal,
        currency: String,
        written: String,
    },
    Percent(Decimal),
    Number(Decimal),
    Date(NaiveDate),
    Duration(u32, DurationUnit),
    Text(String),
    Bool(bool),
}

// Equality of syntax trees ignores where things were written, so that a
// reformatted policy compares equal to the original.

impl PartialEq for InForce {
    fn eq(&self, other: &Self) -> bool {
        self.from == other.from && self.to == other.to
    }
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
            && self.title == other.title
            && self.area == other.area
            && self.severity == other.severity
            && self.basis == other.basis
            && self.in_force == other.in_force
            && self.scope == other.scope
            && self.applies == other.applies
            && self.require == other.require
            && self.across == other.across
            && self.messages == other.messages
            && self.advice == other.advice
    }
}

impl PartialEq for Across {
    fn eq(&self, other: &Self) -> bool {
        self.filter == other.filter
            && self.group_by == other.group_by
            && self.window == other.window
            && self.flag_when == other.flag_when
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}
