//! Policy text → AST. The grammar is `grammar/policy.pest`; this module turns
//! pest's parse tree into [`ast`] nodes and pest's errors into diagnostics
//! that a policy author can act on.

pub mod ast;

use crate::diag::{Diagnostic, FileId};
use ast::*;
use chrono::NaiveDate;
use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use rust_decimal::Decimal;
use std::sync::OnceLock;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/policy.pest"]
struct PolicyParser;

type Result<T> = std::result::Result<T, Diagnostic>;

/// Parse a whole policy file.
pub fn parse_policy(text: &str, file: FileId) -> Result<PolicyFile> {
    // Parsing recurses once per level of nesting (at most MAX_NESTING).
    crate::stack::on_large_stack(|| {
        let mut pairs = PolicyParser::parse(Rule::policy_file, text).map_err(|e| syntax_error(e, text, file))?;
        let root = pairs.next().ok_or_else(|| Diagnostic::error("empty parse"))?;
        Builder::new(file).policy_file(root)
    })
}

/// Parse a value given on the command line, such as `5 000 000 NOK`.
pub fn parse_value(text: &str, file: FileId) -> Result<Expr> {
    let mut pairs = PolicyParser::parse(Rule::override_value, text).map_err(|e| syntax_error(e, text, file))?;
    let root = pairs.next().ok_or_else(|| Diagnostic::error("empty value"))?;
    let b = Builder::new(file);
    let expr = significant(root.into_inner())
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| Diagnostic::error("empty value"))?;
    b.expr(expr)
}

/// Tokens that carry no information once the parse succeeded.
fn is_token(r: Rule) -> bool {
    let name = format!("{r:?}");
    name.starts_with("kw_") || r == Rule::EOI
}

fn significant(pairs: Pairs<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pairs.filter(|p| !is_token(p.as_rule()))
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn pratt() -> &'static PrattParser<Rule> {
    static PRATT: OnceLock<PrattParser<Rule>> = OnceLock::new();
    PRATT.get_or_init(|| {
        PrattParser::new()
            .op(Op::infix(Rule::op_or, Assoc::Left))
            .op(Op::infix(Rule::op_and, Assoc::Left))
            .op(Op::prefix(Rule::op_not))
            .op(Op::infix(Rule::op_eq, Assoc::Left)
                | Op::infix(Rule::op_ne, Assoc::Left)
                | Op::infix(Rule::op_lt, Assoc::Left)
                | Op::infix(Rule::op_le, Assoc::Left)
                | Op::infix(Rule::op_gt, Assoc::Left)
                | Op::infix(Rule::op_ge, Assoc::Left)
                | Op::infix(Rule::op_in, Assoc::Left)
                | Op::infix(Rule::op_not_in, Assoc::Left)
                | Op::infix(Rule::op_starts_with, Assoc::Left))
            .op(Op::postfix(Rule::op_is_empty)
                | Op::postfix(Rule::op_is_not_empty)
                | Op::postfix(Rule::op_is_missing)
                | Op::postfix(Rule::op_is_present)
                | Op::prefix(Rule::op_exists))
            .op(Op::infix(Rule::op_otherwise, Assoc::Left))
            .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
            .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
            .op(Op::prefix(Rule::op_neg))
    })
}

/// How deeply expressions may nest: every operator, bracket, call and
/// comprehension is a level. Parsing, checking and evaluation recurse once
/// per level, so the bound keeps them within any thread's stack (the
/// bundled policies nest at most 12 levels); a longer chain belongs in
/// named parts (`let`).
pub const MAX_NESTING: usize = 200;

struct Builder {
    file: FileId,
    /// The nesting of the expression being built, counted as [`MAX_NESTING`] says.
    depth: std::cell::Cell<usize>,
}

fn is_operator(r: Rule) -> bool {
    matches!(
        r,
        Rule::op_or
            | Rule::op_and
            | Rule::op_eq
            | Rule::op_ne
            | Rule::op_le
            | Rule::op_ge
            | Rule::op_lt
            | Rule::op_gt
            | Rule::op_in
            | Rule::op_not_in
            | Rule::op_starts_with
            | Rule::op_otherwise
            | Rule::op_add
            | Rule::op_sub
            | Rule::op_mul
            | Rule::op_div
            | Rule::op_not
            | Rule::op_neg
            | Rule::op_exists
            | Rule::op_is_not_empty
            | Rule::op_is_empty
            | Rule::op_is_missing
            | Rule::op_is_present
    )
}

fn too_deep(file: FileId, span: Span) -> Diagnostic {
    Diagnostic::error(format!("this expression nests more than {MAX_NESTING} levels deep"))
        .at(file, span, "too deep")
        .help("split it into named parts with `let`, or use a list: `procedure in [\"direct\", \"below_threshold\"]`")
}

impl Builder {
    fn new(file: FileId) -> Builder {
        Builder {
            file,
            depth: std::cell::Cell::new(0),
        }
    }

    fn err(&self, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message).at(self.file, span, label)
    }

    fn policy_file(&self, pair: Pair<'_, Rule>) -> Result<PolicyFile> {
        let mut header = None;
        let mut items = Vec::new();
        for p in significant(pair.into_inner()) {
            match p.as_rule() {
                Rule::header => header = Some(self.header(p)?),
                Rule::import => {
                    let s = self.first_string(p)?;
                    items.push(Item::Import(s));
                }
                Rule::param => items.push(Item::Param(self.param(p)?)),
                Rule::area => items.push(Item::Area(self.area(p)?)),
                Rule::field_decl => items.push(Item::Field(self.field_decl(p)?)),
                Rule::let_def => {
                    let mut inner = significant(p.into_inner());
                    let name = self.ident(next(&mut inner)?);
                    let value = self.expr(next(&mut inner)?)?;
                    items.push(Item::Let(LetDef { name, value }));
                }
                Rule::rule => items.push(Item::Rule(Box::new(self.rule(p)?))),
                _ => {}
            }
        }
        let header = header.ok_or_else(|| Diagnostic::error("a policy file must start with `policy <id> { … }`"))?;
        Ok(PolicyFile { header, items })
    }

    fn header(&self, pair: Pair<'_, Rule>) -> Result<Header> {
        let mut inner = significant(pair.into_inner());
        let id_pair = next(&mut inner)?;
        let mut header = Header {
            id: Spanned::new(id_pair.as_str().to_string(), span_of(&id_pair)),
            version: None,
            title: Translations::default(),
            description: Translations::default(),
            authority: None,
            source: None,
            in_force: None,
            scope: None,
            applies: None,
        };
        for p in inner {
            match p.as_rule() {
                Rule::version => header.version = Some(self.first_string(p)?),
                Rule::title => self.translations_into(p, &mut header.title)?,
                Rule::description => self.translations_into(p, &mut header.description)?,
                Rule::authority => header.authority = Some(self.first_string(p)?),
                Rule::source_doc => header.source = Some(self.first_string(p)?),
                Rule::in_force => header.in_force = Some(self.in_force(p)?),
                Rule::scope => {
                    if let Some(first) = &header.scope {
                        return Err(self
                            .err(span_of(&p), "the header already has `for`", "written a second time here")
                            .also(self.file, first.span, "first `for`")
                            .help("list every target in one `for`, separated by commas: `for members of \"a\", authority \"b\"`"));
                    }
                    header.scope = Some(self.scope(p)?);
                }
                Rule::applies => header.applies = Some(self.expr(next(&mut significant(p.into_inner()))?)?),
                _ => {}
            }
        }
        Ok(header)
    }

    fn in_force(&self, pair: Pair<'_, Rule>) -> Result<InForce> {
        let span = span_of(&pair);
        let mut from = None;
        let mut to = None;
        let mut saw_to = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_to => saw_to = true,
                Rule::date => {
                    let d = Spanned::new(self.date(&p)?, span_of(&p));
                    if saw_to { to = Some(d) } else { from = Some(d) }
                }
                _ => {}
            }
        }
        Ok(InForce { from, to, span })
    }

    fn scope(&self, pair: Pair<'_, Rule>) -> Result<Scope> {
        let span = span_of(&pair);
        let mut targets = Vec::new();
        for target in significant(pair.into_inner()).filter(|p| p.as_rule() == Rule::scope_target) {
            let inner = next(&mut significant(target.into_inner()))?;
            let kind = match inner.as_rule() {
                Rule::scope_members => ScopeKind::Members,
                Rule::scope_authority => ScopeKind::Authority,
                _ => ScopeKind::Kind,
            };
            let name = self.first_string(inner)?;
            targets.push(ScopeTarget { kind, name });
        }
        Ok(Scope { targets, span })
    }

    fn param(&self, pair: Pair<'_, Rule>) -> Result<Param> {
        let mut inner = significant(pair.into_inner());
        let name = self.ident(next(&mut inner)?);
        let value_pair = next(&mut inner)?;
        let value = if value_pair.as_rule() == Rule::schedule {
            let mut entries = Vec::new();
            for entry in significant(value_pair.into_inner()) {
                let mut e = significant(entry.into_inner());
                let d = next(&mut e)?;
                let date = Spanned::new(self.date(&d)?, span_of(&d));
                let value = self.expr(next(&mut e)?)?;
                entries.push((date, value));
            }
            ParamValue::ByDate(entries)
        } else {
            ParamValue::Fixed(self.expr(value_pair)?)
        };
        let mut title = Translations::default();
        let mut description = Translations::default();
        for doc in inner {
            for p in significant(doc.into_inner()) {
                match p.as_rule() {
                    Rule::title => self.translations_into(p, &mut title)?,
                    Rule::description => self.translations_into(p, &mut description)?,
                    _ => {}
                }
            }
        }
        Ok(Param {
            name,
            value,
            title,
            description,
        })
    }

    fn field_decl(&self, pair: Pair<'_, Rule>) -> Result<FieldDecl> {
        let mut inner = significant(pair.into_inner());
        let path = self.ident(next(&mut inner)?);
        let ty_pair = next(&mut inner)?;
        let list = ty_pair.as_str().starts_with("list");
        let ty_span = span_of(&ty_pair);
        let ty = match significant(ty_pair.into_inner()).find(|p| p.as_rule() == Rule::ident) {
            Some(name) => self.ident(name),
            None => return Err(self.err(ty_span, "a field needs a type", "here")),
        };
        let mut decl = FieldDecl {
            path,
            ty,
            list,
            title: Translations::default(),
            description: Translations::default(),
        };
        for doc in inner {
            for p in significant(doc.into_inner()) {
                match p.as_rule() {
                    Rule::title => self.translations_into(p, &mut decl.title)?,
                    Rule::description => self.translations_into(p, &mut decl.description)?,
                    _ => {}
                }
            }
        }
        Ok(decl)
    }

    fn area(&self, pair: Pair<'_, Rule>) -> Result<Area> {
        let mut inner = significant(pair.into_inner());
        let id = self.ident(next(&mut inner)?);
        let mut area = Area {
            id,
            title: Translations::default(),
            description: Translations::default(),
        };
        for p in inner {
            match p.as_rule() {
                Rule::title => self.translations_into(p, &mut area.title)?,
                Rule::description => self.translations_into(p, &mut area.description)?,
                _ => {}
            }
        }
        Ok(area)
    }

    fn rule(&self, pair: Pair<'_, Rule>) -> Result<Rule_> {
        let span = span_of(&pair);
        let mut inner = significant(pair.into_inner());
        let id_pair = next(&mut inner)?;
        if id_pair.as_str().chars().any(|c| c.is_ascii_lowercase()) {
            let upper = id_pair.as_str().to_ascii_uppercase();
            return Err(self
                .err(
                    span_of(&id_pair),
                    format!("rule ids are written in capitals: `{}`", id_pair.as_str()),
                    "lower case",
                )
                .help(format!(
                    "write `rule {upper} {{ … }}`; reports, exemptions and scripts refer to rules by this id"
                )));
        }
        let mut rule = Rule_ {
            id: Spanned::new(id_pair.as_str().to_string(), span_of(&id_pair)),
            title: Translations::default(),
            area: None,
            severity: None,
            basis: None,
            in_force: None,
            scope: None,
            applies: None,
            require: None,
            across: None,
            messages: Vec::new(),
            advice: Translations::default(),
            span,
        };
        for p in inner {
            let pspan = span_of(&p);
            match p.as_rule() {
                Rule::title => self.translations_into(p, &mut rule.title)?,
                Rule::rule_area => {
                    let id = self.ident(next(&mut significant(p.into_inner()))?);
                    self.once(&rule.area, pspan, "area")?;
                    rule.area = Some(id);
                }
                Rule::severity => {
                    let level = next(&mut significant(p.into_inner()))?;
                    let sev = match level.as_str() {
                        "must" | "skal" => Severity::Must,
                        _ => Severity::Should,
                    };
                    self.once(&rule.severity, pspan, "severity")?;
                    rule.severity = Some(Spanned::new(sev, span_of(&level)));
                }
                Rule::basis => {
                    self.once(&rule.basis, pspan, "basis")?;
                    rule.basis = Some(self.first_string(p)?);
                }
                Rule::in_force => {
                    self.once(&rule.in_force, pspan, "in force")?;
                    rule.in_force = Some(self.in_force(p)?);
                }
                Rule::scope => {
                    self.once(&rule.scope, pspan, "for")?;
                    rule.scope = Some(self.scope(p)?);
                }
                Rule::applies => {
                    self.once(&rule.applies, pspan, "when")?;
                    rule.applies = Some(self.expr(next(&mut significant(p.into_inner()))?)?);
                }
                Rule::require => {
                    self.once(&rule.require, pspan, "require")?;
                    rule.require = Some(self.expr(next(&mut significant(p.into_inner()))?)?);
                }
                Rule::across => {
                    self.once(&rule.across, pspan, "across records")?;
                    rule.across = Some(self.across(p)?);
                }
                Rule::message => {
                    let mut kind = MessageKind::Fail;
                    let mut text = Translations::default();
                    for m in significant(p.into_inner()) {
                        match m.as_rule() {
                            Rule::message_kind => {
                                kind = match m.as_str() {
                                    "pass" => MessageKind::Pass,
                                    "unknown" => MessageKind::Unknown,
                                    _ => MessageKind::Fail,
                                }
                            }
                            Rule::translation => self.translation_into(m, &mut text)?,
                            _ => {}
                        }
                    }
                    if rule.messages.iter().any(|m| m.kind == kind) {
                        return Err(self.err(
                            pspan,
                            "this rule already has a message for this outcome",
                            "second message",
                        ));
                    }
                    rule.messages.push(Message { kind, text });
                }
                Rule::advice => self.translations_into(p, &mut rule.advice)?,
                _ => {}
            }
        }
        Ok(rule)
    }

    fn once<T>(&self, existing: &Option<T>, span: Span, what: &str) -> Result<()> {
        if existing.is_some() {
            Err(self
                .err(
                    span,
                    format!("this rule already has `{what}`"),
                    "written a second time here",
                )
                .help(format!(
                    "a rule has at most one `{what}`; combine the conditions with `and` or `or`"
                )))
        } else {
            Ok(())
        }
    }

    fn across(&self, pair: Pair<'_, Rule>) -> Result<Across> {
        let span = span_of(&pair);
        let mut filter = None;
        let mut group_by = Vec::new();
        let mut window = None;
        let mut flag_when = None;
        for p in significant(pair.into_inner()) {
            match p.as_rule() {
                Rule::across_where => filter = Some(self.expr(next(&mut significant(p.into_inner()))?)?),
                Rule::group_by => {
                    for e in significant(p.into_inner()) {
                        group_by.push(self.expr(e)?);
                    }
                }
                Rule::window => {
                    let w = next(&mut significant(p.into_inner()))?;
                    window = Some(match w.as_rule() {
                        Rule::rolling_window => Window::Rolling(self.expr(next(&mut significant(w.into_inner()))?)?),
                        _ => {
                            let unit = next(&mut significant(w.into_inner()))?;
                            let u = match unit.as_str() {
                                "year" => CalendarUnit::Year,
                                "quarter" => CalendarUnit::Quarter,
                                _ => CalendarUnit::Month,
                            };
                            Window::Calendar(Spanned::new(u, span_of(&unit)))
                        }
                    });
                }
                Rule::flag_when => flag_when = Some(self.expr(next(&mut significant(p.into_inner()))?)?),
                _ => {}
            }
        }
        let flag_when = flag_when.ok_or_else(|| self.err(span, "cross-record rule without `flag when`", "here"))?;
        Ok(Across {
            filter,
            group_by,
            window,
            flag_when,
            span,
        })
    }

    fn translations_into(&self, pair: Pair<'_, Rule>, into: &mut Translations) -> Result<()> {
        for t in significant(pair.into_inner()) {
            if t.as_rule() == Rule::translation {
                self.translation_into(t, into)?;
            }
        }
        Ok(())
    }

    fn translation_into(&self, pair: Pair<'_, Rule>, into: &mut Translations) -> Result<()> {
        let span = span_of(&pair);
        let mut inner = significant(pair.into_inner());
        let lang_pair = next(&mut inner)?;
        let lang = if lang_pair.as_str() == "nb" { Lang::Nb } else { Lang::En };
        let text = self.string(next(&mut inner)?)?;
        if into.texts.iter().any(|(l, _)| *l == lang) {
            return Err(self
                .err(span, format!("text in `{}` given twice", lang.code()), "second text")
                .help("give each language once: `nb \"…\" en \"…\"`"));
        }
        into.texts.push((lang, text));
        Ok(())
    }

    fn first_string(&self, pair: Pair<'_, Rule>) -> Result<Spanned<String>> {
        let p = significant(pair.into_inner())
            .find(|p| p.as_rule() == Rule::string)
            .ok_or_else(|| Diagnostic::error("expected a quoted text"))?;
        self.string(p)
    }

    fn string(&self, pair: Pair<'_, Rule>) -> Result<Spanned<String>> {
        let span = span_of(&pair);
        let body = pair.into_inner().next().map(|p| p.as_str()).unwrap_or("");
        let mut out = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    return Err(self
                        .err(span, format!("unknown escape `\\{other}` in text"), "in this text")
                        .help("the escapes are `\\\"`, `\\\\`, `\\n` and `\\t`"));
                }
                None => out.push('\\'),
            }
        }
        Ok(Spanned::new(out, span))
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Spanned<String> {
        Spanned::new(pair.as_str().to_string(), span_of(&pair))
    }

    fn date(&self, pair: &Pair<'_, Rule>) -> Result<NaiveDate> {
        NaiveDate::parse_from_str(pair.as_str(), "%Y-%m-%d").map_err(|_| {
            self.err(
                span_of(pair),
                format!("`{}` is not a calendar date", pair.as_str()),
                "no such date",
            )
            .help("dates are written YYYY-MM-DD, e.g. `2024-01-01`")
        })
    }

    fn expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        // Each operator of the chain is a level of the tree it becomes (and
        // the Pratt parser recurses once per prefix operator): count them
        // before building anything.
        let levels = 1 + pair.clone().into_inner().filter(|p| is_operator(p.as_rule())).count();
        let outer = self.depth.get();
        if outer + levels > MAX_NESTING {
            return Err(too_deep(self.file, span_of(&pair)));
        }
        self.depth.set(outer + levels);
        let built = self.pratt_expr(pair);
        self.depth.set(outer);
        built
    }

    fn pratt_expr(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        pratt()
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                let span = Span::new(op.as_span().start(), rhs.span.end);
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    Rule::op_neg => UnaryOp::Neg,
                    _ => UnaryOp::Exists,
                };
                Ok(Expr::new(ExprKind::Unary(op, Box::new(rhs)), span))
            })
            .map_postfix(|lhs, op| {
                let lhs = lhs?;
                let span = Span::new(lhs.span.start, op.as_span().end());
                let op = match op.as_rule() {
                    Rule::op_is_empty => UnaryOp::IsEmpty,
                    Rule::op_is_not_empty => UnaryOp::IsNotEmpty,
                    Rule::op_is_missing => UnaryOp::IsMissing,
                    _ => UnaryOp::IsPresent,
                };
                Ok(Expr::new(ExprKind::Unary(op, Box::new(lhs)), span))
            })
            .map_infix(|lhs, op, rhs| {
                let (lhs, rhs) = (lhs?, rhs?);
                let span = Span::new(lhs.span.start, rhs.span.end);
                let op = match op.as_rule() {
                    Rule::op_or => BinaryOp::Or,
                    Rule::op_and => BinaryOp::And,
                    Rule::op_eq => BinaryOp::Eq,
                    Rule::op_ne => BinaryOp::Ne,
                    Rule::op_lt => BinaryOp::Lt,
                    Rule::op_le => BinaryOp::Le,
                    Rule::op_gt => BinaryOp::Gt,
                    Rule::op_ge => BinaryOp::Ge,
                    Rule::op_in => BinaryOp::In,
                    Rule::op_not_in => BinaryOp::NotIn,
                    Rule::op_starts_with => BinaryOp::StartsWith,
                    Rule::op_otherwise => BinaryOp::Otherwise,
                    Rule::op_add => BinaryOp::Add,
                    Rule::op_sub => BinaryOp::Sub,
                    Rule::op_mul => BinaryOp::Mul,
                    _ => BinaryOp::Div,
                };
                Ok(Expr::new(ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)), span))
            })
            .parse(pair.into_inner())
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Result<Expr> {
        let span = span_of(&pair);
        let kind = match pair.as_rule() {
            Rule::paren => ExprKind::Paren(Box::new(self.expr(next(&mut significant(pair.into_inner()))?)?)),
            Rule::if_expr => {
                let mut inner = significant(pair.into_inner());
                let c = self.expr(next(&mut inner)?)?;
                let a = self.expr(next(&mut inner)?)?;
                let b = self.expr(next(&mut inner)?)?;
                // The pair's span takes in the white space and comments
                // after the `else` branch: end it where the branch ends.
                let span = Span::new(span.start, b.span.end);
                return Ok(Expr::new(ExprKind::If(Box::new(c), Box::new(a), Box::new(b)), span));
            }
            Rule::comprehension => ExprKind::Comprehension(Box::new(self.comprehension(pair)?)),
            Rule::call => {
                let mut inner = significant(pair.into_inner());
                let name = self.ident(next(&mut inner)?);
                let args = inner.map(|e| self.expr(e)).collect::<Result<Vec<_>>>()?;
                ExprKind::Call(name, args)
            }
            Rule::list => ExprKind::List(
                significant(pair.into_inner())
                    .map(|e| self.expr(e))
                    .collect::<Result<_>>()?,
            ),
            Rule::path => ExprKind::Path(self.path(pair)?),
            _ => ExprKind::Lit(self.literal(pair)?),
        };
        Ok(Expr::new(kind, span))
    }

    fn comprehension(&self, pair: Pair<'_, Rule>) -> Result<Comprehension> {
        let mut quantifier = Quantifier::All;
        let mut var = None;
        let mut list = None;
        let mut filter = None;
        let mut body = None;
        let mut after_where = false;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::quantifier => {
                    quantifier = match p.as_str() {
                        "all" => Quantifier::All,
                        "any" => Quantifier::Any,
                        "none" => Quantifier::None,
                        "count" => Quantifier::Count,
                        "sum" => Quantifier::Sum,
                        "min" => Quantifier::Min,
                        _ => Quantifier::Max,
                    }
                }
                Rule::ident => var = Some(self.ident(p)),
                Rule::kw_where => after_where = true,
                Rule::expr => {
                    let e = self.expr(p)?;
                    if list.is_none() {
                        list = Some(e);
                    } else if after_where && filter.is_none() {
                        filter = Some(e);
                    } else {
                        body = Some(e);
                    }
                }
                _ => {}
            }
        }
        let (var, list) = var
            .zip(list)
            .ok_or_else(|| Diagnostic::error("incomplete comprehension"))?;
        Ok(Comprehension {
            quantifier,
            var,
            list,
            filter,
            body,
        })
    }

    fn path(&self, pair: Pair<'_, Rule>) -> Result<Path> {
        let mut steps = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::ident => steps.push(PathStep::Field(p.as_str().to_string())),
                Rule::dot_field => steps.push(PathStep::Field(inner_str(p))),
                Rule::each_field => steps.push(PathStep::Each(inner_str(p))),
                Rule::index => {
                    let span = span_of(&p);
                    let n = inner_str(p)
                        .parse::<usize>()
                        .map_err(|_| self.err(span, "index too large", "here"))?;
                    steps.push(PathStep::Index(n));
                }
                _ => {}
            }
        }
        Ok(Path { steps })
    }

    fn literal(&self, pair: Pair<'_, Rule>) -> Result<Literal> {
        let span = span_of(&pair);
        Ok(match pair.as_rule() {
            Rule::date => Literal::Date(self.date(&pair)?),
            Rule::bad_decimal => {
                let written = pair.as_str();
                let fixed = written.replacen(',', ".", 1);
                let grouping = if written.ends_with('%') {
                    ""
                } else {
                    "; group thousands with spaces: `2 300 000 NOK`"
                };
                return Err(self
                    .err(span, format!("`{written}` uses a decimal comma"), "decimal comma")
                    .help(format!("write the decimal point as `.`: `{fixed}`{grouping}")));
            }
            Rule::money => {
                let mut inner = pair.into_inner();
                let amount_pair = next(&mut inner)?;
                let amount = self.amount(&amount_pair)?;
                let cur = next(&mut inner)?.as_str().to_string();
                let (scale, code) = match cur.len() {
                    4 if cur.starts_with('M') => (Decimal::from(1_000_000), cur[1..].to_string()),
                    4 if cur.starts_with('k') => (Decimal::from(1_000), cur[1..].to_string()),
                    _ => (Decimal::ONE, cur.clone()),
                };
                let scaled = amount
                    .checked_mul(scale)
                    .ok_or_else(|| self.err(span, "amount too large", "here"))?;
                let written = format!("{} {}", normalise_amount_text(amount_pair.as_str()), cur);
                Literal::Money {
                    amount: scaled,
                    currency: code,
                    written,
                }
            }
            Rule::percent => Literal::Percent(self.amount(&next(&mut pair.into_inner())?)?),
            Rule::duration => {
                let mut inner = pair.into_inner();
                let n_pair = next(&mut inner)?;
                let n = n_pair
                    .as_str()
                    .parse::<u32>()
                    .map_err(|_| self.err(span, "duration too long", "here"))?;
                let unit = match next(&mut inner)?.as_str().trim_end_matches('s') {
                    "day" => DurationUnit::Day,
                    "week" => DurationUnit::Week,
                    "month" => DurationUnit::Month,
                    "quarter" => DurationUnit::Quarter,
                    _ => DurationUnit::Year,
                };
                Literal::Duration(n, unit)
            }
            Rule::number => Literal::Number(self.amount(&next(&mut pair.into_inner())?)?),
            Rule::string => Literal::Text(self.string(pair)?.node),
            Rule::boolean => Literal::Bool(pair.as_str() == "true"),
            other => return Err(self.err(span, format!("unexpected {other:?}"), "here")),
        })
    }

    fn amount(&self, pair: &Pair<'_, Rule>) -> Result<Decimal> {
        let digits: String = pair
            .as_str()
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        // Exact or refused: `from_str` would round digits it cannot hold
        // (`0.00000000000000000000000000001` to 0). Zeros at the end of the
        // decimals change nothing and may go.
        let exact = |d: &str| Decimal::from_str_exact(d).ok();
        let trimmed = match digits.split_once('.') {
            Some((whole, frac)) => format!("{whole}.{}", frac.trim_end_matches('0')),
            None => digits.clone(),
        };
        exact(&digits).or_else(|| exact(trimmed.trim_end_matches('.'))).ok_or_else(|| {
            self.err(
                span_of(pair),
                format!("`{}` is not a number anskaff can hold exactly", pair.as_str()),
                "here",
            )
            .note("numbers and amounts hold at most 28 significant digits and 28 digits after the point; more would be rounded")
        })
    }
}

type Rule_ = ast::Rule;

fn next<'a>(it: &mut impl Iterator<Item = Pair<'a, Rule>>) -> Result<Pair<'a, Rule>> {
    it.next()
        .ok_or_else(|| Diagnostic::error("internal error: the parse tree is shorter than the grammar promises"))
}

fn inner_str(pair: Pair<'_, Rule>) -> String {
    pair.into_inner()
        .find(|p| matches!(p.as_rule(), Rule::ident | Rule::int))
        .map(|p| p.as_str().to_string())
        .unwrap_or_default()
}

/// `1 300 000` with any mix of group separators → `1 300 000` with plain spaces.
fn normalise_amount_text(text: &str) -> String {
    text.chars().map(|c| if c.is_whitespace() { ' ' } else { c }).collect()
}

/// Turn a pest error into a diagnostic that says, in words, what was expected.
fn syntax_error(error: pest::error::Error<Rule>, text: &str, file: FileId) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    if let ErrorVariant::CustomError { message } = &error.variant
        && message.contains("limit reached")
    {
        // pest's guard against running out of stack: only brackets or `if`s
        // nested thousands deep get there.
        let at = Span::new(pos, (pos + 1).min(text.len()).max(pos));
        return too_deep(file, at);
    }
    let found = word_at(text, pos);
    let (expected, keywords) = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => describe_expected(positives),
        ErrorVariant::CustomError { message } => (vec![message.clone()], Vec::new()),
    };
    let end = (pos + found.len().max(1)).min(text.len()).max(pos);
    let found_text = if found.is_empty() {
        if pos >= text.len() {
            "the end of the file".to_string()
        } else {
            "this".to_string()
        }
    } else {
        format!("`{found}`")
    };
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {}, found {found_text}", join_or(&expected))
    };
    let mut diag = Diagnostic::error(message).at(file, Span::new(pos, end), "unexpected here");
    let after_number = text[..pos.min(text.len())]
        .trim_end()
        .ends_with(|c: char| c.is_ascii_digit());
    if found.len() == 3 && found.chars().all(|c| c.is_ascii_lowercase()) && after_number {
        diag = diag.help(format!(
            "currency codes are written in capitals: `{}`",
            found.to_ascii_uppercase()
        ));
    } else if !found.is_empty()
        && let Some(hint) = crate::diag::did_you_mean(found, keywords.iter().map(|s| s.as_str()))
    {
        diag = diag.help(hint);
    } else if found == "=" {
        diag = diag.help("to compare, write `==`");
    } else if found.starts_with('\'') {
        diag = diag.help("texts are written in double quotes: \"…\"");
    }
    diag
}

/// The identifier-like word (or single character) at `pos`.
fn word_at(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    let len: usize = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-' || *c == '.')
        .map(char::len_utf8)
        .sum();
    if len > 0 {
        &rest[..len]
    } else {
        rest.chars().next().map(|c| &rest[..c.len_utf8()]).unwrap_or("")
    }
}

fn join_or(items: &[String]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} or {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// Words for the grammar rules pest expected, and the keywords among them
/// (for did-you-mean hints).
fn describe_expected(rules: &[Rule]) -> (Vec<String>, Vec<String>) {
    let mut keywords: Vec<String> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    let push = |list: &mut Vec<String>, w: String| {
        if !list.contains(&w) {
            list.push(w);
        }
    };
    // In a block, `in` starts `in force`.
    let in_block = rules
        .iter()
        .any(|r| matches!(r, Rule::kw_title | Rule::kw_severity | Rule::kw_version));
    for &r in rules {
        let name = format!("{r:?}");
        if let Some(kw) = name.strip_prefix("kw_") {
            let shown = if kw == "in" && in_block { "in force" } else { kw };
            push(&mut keywords, format!("`{shown}`"));
            continue;
        }
        let w = match r {
            Rule::op_not
            | Rule::op_neg
            | Rule::op_exists
            | Rule::quantifier
            | Rule::expr
            | Rule::paren
            | Rule::if_expr
            | Rule::comprehension
            | Rule::call
            | Rule::list
            | Rule::path
            | Rule::ident
            | Rule::date
            | Rule::money
            | Rule::bad_decimal
            | Rule::percent
            | Rule::duration
            | Rule::number
            | Rule::string
            | Rule::boolean => "a value, a field or an expression",
            _ if name.starts_with("op_") => "an operator such as `and`, `or`, `==` or `>=`",
            Rule::EOI => "the end of the file",
            Rule::amount | Rule::int => "a number",
            Rule::policy_id => "a policy id such as `no.foa`",
            Rule::rule_id => "a rule id in capitals, such as `FOA-5-3-NOTICE`",
            Rule::translation | Rule::lang => "a language code (`nb` or `en`) and a text",
            Rule::severity_level => "`must` or `should`",
            Rule::message_kind => "`pass`, `fail` or `unknown`",
            Rule::calendar_unit => "`year`, `quarter` or `month`",
            Rule::duration_unit => "`days`, `weeks`, `months`, `quarters` or `years`",
            Rule::currency => "a currency code such as `NOK`",
            Rule::header => "`policy <id> { … }`",
            Rule::schedule => "`by date { from YYYY-MM-DD: value … }`",
            Rule::schedule_entry => "`from YYYY-MM-DD: value`",
            Rule::across_where | Rule::group_by => "`where …` or `group by …`",
            Rule::window => "`within …`",
            Rule::flag_when => "`flag when …`",
            Rule::param_doc => "`{ title … }`",
            Rule::field_type => "a type such as `text`, `money` or `list of text`",
            Rule::scope_target | Rule::scope_members | Rule::scope_authority | Rule::scope_kind => {
                "`members of \"…\"`, `authority \"…\"` or `kind \"…\"`"
            }
            _ => {
                push(&mut others, format!("`{}`", name.replace('_', " ")));
                continue;
            }
        };
        push(&mut others, w.to_string());
    }
    // `if` and bare numbers start expressions too: say "expression" once.
    if others.iter().any(|o| o.starts_with("a value")) {
        keywords.retain(|k| k != "`if`");
        others.retain(|o| o != "a number");
    }
    let plain: Vec<String> = keywords.iter().map(|k| k.trim_matches('`').to_string()).collect();
    keywords.extend(others);
    (keywords, plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(text: &str) -> Expr {
        parse_value(text, 0).unwrap_or_else(|d| panic!("{text}: {}", d.message))
    }

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Lit(l) => format!("{l:?}"),
            ExprKind::Path(p) => p.display(),
            ExprKind::List(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(", ")),
            ExprKind::Paren(e) => format!("({})", show(e)),
            ExprKind::Unary(op, e) => format!("{op:?}({})", show(e)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", show(a), op.as_str(), show(b)),
            ExprKind::If(c, a, b) => format!("if {} then {} else {}", show(c), show(a), show(b)),
            ExprKind::Comprehension(c) => format!(
                "{}({} in {} where {:?} : {:?})",
                c.quantifier.as_str(),
                c.var.node,
                show(&c.list),
                c.filter.as_ref().map(show),
                c.body.as_ref().map(show)
            ),
            ExprKind::Call(name, args) => {
                format!(
                    "{}({})",
                    name.node,
                    args.iter().map(show).collect::<Vec<_>>().join(", ")
                )
            }
        }
    }

    #[test]
    fn money_literals_are_exact_and_scaled() {
        let lit = |t: &str| match expr(t).kind {
            ExprKind::Lit(Literal::Money { amount, currency, .. }) => (amount.to_string(), currency),
            other => panic!("{other:?}"),
        };
        assert_eq!(lit("1 300 000 NOK"), ("1300000".into(), "NOK".into()));
        assert_eq!(lit("1.3 MNOK"), ("1300000.0".into(), "NOK".into()));
        assert_eq!(lit("500 kNOK"), ("500000".into(), "NOK".into()));
        assert_eq!(lit("1000000 MXN"), ("1000000".into(), "MXN".into()));
        assert_eq!(lit("0.1 EUR"), ("0.1".into(), "EUR".into()));
    }

    #[test]
    fn decimal_comma_is_an_error_with_a_hint() {
        let d = parse_value("2,3 MNOK", 0).unwrap_err();
        assert!(d.message.contains("decimal comma"), "{}", d.message);
        assert!(d.help.as_deref().unwrap_or("").contains("2.3 MNOK"));
    }

    #[test]
    fn precedence_follows_the_reference() {
        assert_eq!(
            show(&expr("a or b and not c == 1")),
            "(a or (b and Not((c == Number(1)))))"
        );
        assert_eq!(
            show(&expr("estimated_value otherwise awarded_value >= 1 MNOK")),
            "((estimated_value otherwise awarded_value) >= Money { amount: 1000000, currency: \"NOK\", written: \"1 MNOK\" })"
        );
        assert_eq!(show(&expr("a + b * c - d")), "((a + (b * c)) - d)");
        assert_eq!(
            show(&expr("x is not empty and y is missing")),
            "(IsNotEmpty(x) and IsMissing(y))"
        );
        assert_eq!(
            show(&expr("procedure not in [\"direct\"]")),
            "(procedure not in [Text(\"direct\")])"
        );
        assert_eq!(
            show(&expr("cpv starts with \"341\"")),
            "(cpv starts with Text(\"341\"))"
        );
        assert_eq!(
            show(&expr("exists environment.exemption and b")),
            "(Exists(environment.exemption) and b)"
        );
    }

    #[test]
    fn paths_comprehensions_and_calls() {
        assert_eq!(show(&expr("vehicles[].fuel")), "vehicles[].fuel");
        assert_eq!(show(&expr("cpv[0]")), "cpv[0]");
        assert_eq!(
            show(&expr(
                "sum(c in award_criteria where c.type == \"environment\": c.weight)"
            )),
            "sum(c in award_criteria where Some(\"(c.type == Text(\\\"environment\\\"))\") : Some(\"c.weight\"))"
        );
        assert_eq!(show(&expr("count(lots)")), "count(lots)");
        assert_eq!(show(&expr("prefix(cpv[0], 3)")), "prefix(cpv[0], Number(3))");
        assert_eq!(
            show(&expr("all(v in vehicles: v.fuel in fuels)")),
            "all(v in vehicles where None : Some(\"(v.fuel in fuels)\"))"
        );
    }

    #[test]
    fn other_literals() {
        assert_eq!(show(&expr("30 %")), "Percent(30)");
        assert_eq!(show(&expr("2024-01-01")), "Date(2024-01-01)");
        assert_eq!(show(&expr("12 months")), "Duration(12, Month)");
        assert_eq!(show(&expr("true")), "Bool(true)");
        assert_eq!(show(&expr("\"a \\\"b\\\"\"")), "Text(\"a \\\"b\\\"\")");
        assert!(
            parse_value("2024-02-30", 0)
                .unwrap_err()
                .message
                .contains("not a calendar date")
        );
    }

    #[test]
    fn keyword_typos_get_a_hint() {
        let src = "policy p {\n}\nrule X {\n  severty must\n}\n";
        let d = parse_policy(src, 0).unwrap_err();
        assert_eq!(d.help.as_deref(), Some("did you mean `severity`?"), "{d:?}");
    }

    #[test]
    fn in_force_after_when_is_not_swallowed() {
        let src = "policy p {}\nrule X {\n  when a >= b\n  in force from 2024-01-01\n  require c\n}\n";
        let file = parse_policy(src, 0).unwrap();
        let Item::Rule(rule) = &file.items[0] else { panic!() };
        assert!(rule.in_force.is_some());
        assert!(rule.require.is_some());
    }
}
