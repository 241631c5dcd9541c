//! Resolve and type-check policies, and compile them into a [`Plan`].
//!
//! Every name is resolved here (parameters, `let`s, areas, record fields,
//! functions), every expression gets a type, and errors are reported with
//! the spot and the closest correct name. Nothing that passes this stage can
//! fail at run time for a reason the policy author could have seen.

use crate::diag::{Diagnostic, FileId, did_you_mean};
use crate::load::Loaded;
use crate::plan::*;
use crate::schema::{self, Access, Domain, FieldType, ItemKind};
use crate::syntax::ast::{self, BinaryOp, Expr, ExprKind, Literal, PathStep, Quantifier, Span, Spanned, UnaryOp};
use crate::value::{Const, Currency, Duration, Money};
use std::collections::{HashMap, HashSet};

/// The type of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Bool,
    Number,
    /// Money, with its currency when the policy fixes it.
    Money(Option<Currency>),
    Percent,
    Date,
    Duration,
    Text,
    Code(Domain),
    Item(ItemKind),
    List(Box<Type>),
    /// `[]`: a list of anything.
    EmptyList,
}

impl Type {
    pub fn describe(&self) -> String {
        match self {
            Type::Bool => "a condition (true/false)".into(),
            Type::Number => "a number".into(),
            Type::Money(Some(c)) => format!("an amount in {c}"),
            Type::Money(None) => "an amount of money".into(),
            Type::Percent => "a percentage".into(),
            Type::Date => "a date".into(),
            Type::Duration => "a duration".into(),
            Type::Text => "a text".into(),
            Type::Code(d) => format!("{} (text)", crate::diag::indefinite(d.name())),
            Type::Item(k) => crate::diag::indefinite(k.name()),
            Type::List(t) => format!("a list of {}", plural(t)),
            Type::EmptyList => "an empty list".into(),
        }
    }

    fn from_field(ty: FieldType) -> Type {
        match ty {
            FieldType::Bool => Type::Bool,
            FieldType::Number => Type::Number,
            FieldType::Money => Type::Money(None),
            FieldType::Percent => Type::Percent,
            FieldType::Date => Type::Date,
            FieldType::Text => Type::Text,
            FieldType::Code(d) => Type::Code(d),
            FieldType::TextList => Type::List(Box::new(Type::Text)),
            FieldType::Items(k) => Type::List(Box::new(Type::Item(k))),
        }
    }

    fn of_const(c: &Const) -> Type {
        match c {
            Const::Bool(_) => Type::Bool,
            Const::Num(_) => Type::Number,
            Const::Pct(_) => Type::Percent,
            Const::Money(m) => Type::Money(Some(m.currency)),
            Const::Date(_) => Type::Date,
            Const::Dur(_) => Type::Duration,
            Const::Text(_) => Type::Text,
            Const::Code(d, _) => Type::Code(*d),
            Const::List(items) => match items.first() {
                Some(first) => Type::List(Box::new(Type::of_const(first))),
                None => Type::EmptyList,
            },
        }
    }

    /// Text-like: texts and codes compare with each other.
    fn is_textual(&self) -> bool {
        matches!(self, Type::Text | Type::Code(_))
    }

    fn is_numeric(&self) -> bool {
        matches!(self, Type::Number | Type::Money(_) | Type::Percent)
    }

    fn is_ordered(&self) -> bool {
        self.is_numeric() || matches!(self, Type::Date | Type::Duration)
    }

    /// Whether values of the two types can be compared with `==`.
    fn compatible(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Money(_), Type::Money(_)) => true,
            (a, b) if a.is_textual() && b.is_textual() => match (a, b) {
                (Type::Code(x), Type::Code(y)) => x == y,
                _ => true,
            },
            (Type::List(a), Type::List(b)) => a.compatible(b),
            (Type::List(_), Type::EmptyList) | (Type::EmptyList, Type::List(_)) => true,
            (a, b) => a == b,
        }
    }

    fn element(&self) -> Option<Type> {
        match self {
            Type::List(t) => Some((**t).clone()),
            Type::EmptyList => Some(Type::Text),
            _ => None,
        }
    }
}

fn plural(t: &Type) -> String {
    match t {
        Type::Bool => "conditions".into(),
        Type::Number => "numbers".into(),
        Type::Money(_) => "amounts".into(),
        Type::Percent => "percentages".into(),
        Type::Date => "dates".into(),
        Type::Duration => "durations".into(),
        Type::Text => "texts".into(),
        Type::Code(d) => format!("{} values", d.name()),
        Type::Item(k) => format!("{}s", k.name()),
        Type::List(_) | Type::EmptyList => "lists".into(),
    }
}

/// Compile the loaded policies, with parameter overrides `name=value` from
/// the command line. On success, the plan and any warnings.
/// On failure, the diagnostics and the sources they point into.
pub fn compile(
    loaded: Loaded,
    overrides: &[(String, String)],
) -> Result<(Plan, Vec<Diagnostic>), (Vec<Diagnostic>, crate::diag::SourceMap)> {
    let Loaded {
        mut sources,
        files,
        registers,
    } = loaded;
    let override_files: Vec<(String, FileId)> = overrides
        .iter()
        .map(|(name, value)| (name.clone(), sources.add(format!("--set {name}"), value.clone())))
        .collect();
    let (register, register_diags) = crate::register::build(&registers, &sources);
    let check = || {
        let mut c = Checker::new(&files, &sources, &register);
        c.diags = register_diags.clone();
        c.run(&override_files);
        c
    };
    // Checking recurses once per level of an expression and of the `let`s
    // it compiles on the way (at most MAX_DEPTH).
    let c = crate::stack::on_large_stack(check);
    let Checker {
        diags,
        nodes,
        spans,
        params,
        lets,
        rules,
        areas,
        policies,
        max_slots,
        declared,
        ..
    } = c;
    if diags.iter().any(Diagnostic::is_error) {
        return Err((diags, sources));
    }
    let lets = lets.into_iter().map(|l| l.node.unwrap_or(0)).collect();
    let extras: schema::Extras = declared.iter().map(|d| d.field.clone()).collect();
    let declared_fields = declared
        .into_iter()
        .map(|d| DeclaredField {
            field: d.field,
            title: d.title,
            description: d.description,
            policy: d.file as PolicyId,
        })
        .collect();
    let plan = Plan {
        extras,
        declared_fields,
        policies,
        areas,
        params,
        lets,
        rules,
        nodes,
        spans,
        slots: max_slots,
        sources,
        register,
    };
    Ok((plan, diags))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefKind {
    Param(ParamId),
    Let(LetId),
    Area(AreaId),
}

#[derive(Debug, Clone, Copy)]
struct Def {
    file: usize,
    kind: DefKind,
    span: Span,
}

struct LetSlot {
    file: usize,
    state: LetState,
    node: Option<NodeId>,
    ty: Option<Type>,
    uses_record: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum LetState {
    Pending,
    InProgress,
    Done,
    Failed,
}

/// Where an expression is evaluated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// On one record.
    Record,
    /// On the members of a cross-record window (`flag when`).
    Window,
}

struct WindowState {
    member_values: Vec<(Expr, NodeId, Type)>,
    aggregates: Vec<AggregatePlan>,
}

const BUILTINS: &[&str] = &[
    "count",
    "sum",
    "min",
    "max",
    "lower",
    "upper",
    "trim",
    "prefix",
    "digits",
    "normalize_id",
    "normalize_name",
    "year",
    "quarter",
    "month",
];
const AGGREGATES: &[&str] = &["sum", "count", "min", "max", "distinct", "all", "any", "none"];

struct Checker<'a> {
    files: &'a [crate::load::LoadedFile],
    sources: &'a crate::diag::SourceMap,
    register: &'a crate::register::Register,
    visible: Vec<HashSet<usize>>,
    names: HashMap<String, Vec<Def>>,
    diags: Vec<Diagnostic>,
    nodes: Vec<Node>,
    spans: Vec<(FileId, Span)>,
    policies: Vec<PolicyInfo>,
    params: Vec<ParamInfo>,
    param_types: Vec<Type>,
    /// `param a = b`: (a, b, file, span), resolved after overrides.
    aliases: Vec<(ParamId, ParamId, usize, Span)>,
    lets: Vec<LetSlot>,
    let_defs: Vec<&'a ast::LetDef>,
    areas: Vec<AreaInfo>,
    rules: Vec<RulePlan>,
    vars: Vec<(String, Type)>,
    max_slots: usize,
    context: Context,
    window: Option<WindowState>,
    /// Set when an expression reads the record (directly or through a `let`).
    uses_record: bool,
    /// The fields the policies declare, by slot.
    declared: Vec<Declared>,
    /// How deep `expr` has recursed, through the `let`s it compiled on the way.
    depth: usize,
    /// Per node, the depth of the tree below it, counting the `let`s it
    /// uses: evaluation recurses that deep.
    node_depth: Vec<usize>,
    too_deep: bool,
}

/// A declared field and where it was (first) declared.
struct Declared {
    field: schema::ExtraField,
    title: ast::Translations,
    description: ast::Translations,
    /// Every file that declares it.
    files: Vec<usize>,
    file: usize,
    span: Span,
}

type Typed = Option<(NodeId, Type)>;

/// How deep a compiled expression may be, counting the `let`s it uses
/// (each at most [`crate::syntax::MAX_NESTING`] deep itself). Checking and
/// evaluation recurse once per level; 400 levels fit in a worker thread's
/// stack many times over.
pub const MAX_DEPTH: usize = 2 * crate::syntax::MAX_NESTING;

impl<'a> Checker<'a> {
    fn new(
        files: &'a [crate::load::LoadedFile],
        sources: &'a crate::diag::SourceMap,
        register: &'a crate::register::Register,
    ) -> Self {
        Checker {
            depth: 0,
            node_depth: Vec::new(),
            too_deep: false,
            files,
            sources,
            register,
            visible: Vec::new(),
            names: HashMap::new(),
            diags: Vec::new(),
            nodes: Vec::new(),
            spans: Vec::new(),
            policies: Vec::new(),
            params: Vec::new(),
            param_types: Vec::new(),
            aliases: Vec::new(),
            lets: Vec::new(),
            let_defs: Vec::new(),
            areas: Vec::new(),
            rules: Vec::new(),
            vars: Vec::new(),
            max_slots: 0,
            context: Context::Record,
            window: None,
            uses_record: false,
            declared: Vec::new(),
        }
    }

    fn fid(&self, file: usize) -> FileId {
        self.files[file].file
    }

    fn error(&mut self, file: usize, span: Span, message: impl Into<String>, label: impl Into<String>) -> Diagnostic {
        Diagnostic::error(message).at(self.fid(file), span, label)
    }

    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn add(&mut self, node: Node, file: usize, span: Span) -> NodeId {
        let mut below = 0;
        node.each_child(|child| {
            below = below.max(self.node_depth.get(child as usize).copied().unwrap_or(0));
        });
        if let Node::Let(l) = node
            && let Some(body) = self.lets.get(l as usize).and_then(|slot| slot.node)
        {
            below = below.max(self.node_depth.get(body as usize).copied().unwrap_or(0));
        }
        if below + 1 > MAX_DEPTH {
            self.report_too_deep(file, span);
        }
        self.node_depth.push(below + 1);
        self.nodes.push(node);
        self.spans.push((self.fid(file), span));
        NodeId::try_from(self.nodes.len() - 1).unwrap_or(NodeId::MAX)
    }

    fn run(&mut self, overrides: &[(String, FileId)]) {
        if !self.within_limits() {
            return;
        }
        self.compute_visibility();
        self.register();
        self.declare_fields();
        for (i, f) in self.files.iter().enumerate() {
            let h = &f.ast.header;
            let in_force = self.period(i, h.in_force.as_ref());
            let scope = h.scope.as_ref().and_then(|sc| self.scope(i, sc));
            self.policies.push(PolicyInfo {
                id: h.id.node.clone(),
                version: h.version.as_ref().map(|v| v.node.clone()),
                title: h.title.clone(),
                authority: h.authority.as_ref().map(|v| v.node.clone()),
                source: h.source.as_ref().map(|v| v.node.clone()),
                file: f.display.clone(),
                in_force,
                scope,
                applies: None,
                applies_text: h.applies.as_ref().map(|e| self.text_of(i, e.span)),
            });
            if h.title.texts.is_empty() {
                let d = self
                    .error(i, h.id.span, format!("policy `{}` has no title", h.id.node), "here")
                    .help("add `title nb \"…\" en \"…\"` to the header");
                self.push(d);
            }
        }
        self.compile_params();
        // An alias has its target's type before overrides are checked,
        // and its target's value after they are applied.
        self.resolve_aliases(false);
        self.apply_overrides(overrides);
        self.resolve_aliases(true);
        for i in 0..self.lets.len() {
            self.compile_let(i as LetId);
        }
        for (fi, f) in self.files.iter().enumerate() {
            if let Some(e) = &f.ast.header.applies {
                self.context = Context::Record;
                self.policies[fi].applies = self.condition(fi, e, "the policy's `when`");
            }
        }
        for (fi, f) in self.files.iter().enumerate() {
            for item in &f.ast.items {
                if let ast::Item::Rule(rule) = item {
                    self.compile_rule(fi, rule);
                }
            }
        }
    }

    /// The plan numbers policies, parameters, `let`s, areas and rules with
    /// 16 bits; more than that many is refused rather than numbered wrong.
    fn within_limits(&mut self) -> bool {
        let limit = usize::from(u16::MAX);
        let mut counts = [0usize; 4];
        for f in self.files {
            for item in &f.ast.items {
                match item {
                    ast::Item::Param(_) => counts[0] += 1,
                    ast::Item::Let(_) => counts[1] += 1,
                    ast::Item::Area(_) => counts[2] += 1,
                    ast::Item::Rule(_) => counts[3] += 1,
                    _ => {}
                }
            }
        }
        let kinds = ["parameters", "`let`s", "areas", "rules"];
        let mut fine = self.files.len() <= limit;
        if !fine {
            self.push(Diagnostic::error(format!(
                "{} policy files are loaded; anskaff holds at most {limit}",
                self.files.len()
            )));
        }
        for (count, kind) in counts.into_iter().zip(kinds) {
            if count > limit {
                self.push(Diagnostic::error(format!(
                    "the policies define {count} {kind}; anskaff holds at most {limit}"
                )));
                fine = false;
            }
        }
        fine
    }

    fn compute_visibility(&mut self) {
        let n = self.files.len();
        self.visible = (0..n)
            .map(|i| {
                let mut seen = HashSet::new();
                let mut stack = vec![i];
                while let Some(f) = stack.pop() {
                    if seen.insert(f) {
                        stack.extend(self.files[f].imports.iter().copied());
                    }
                }
                seen
            })
            .collect();
    }

    fn register(&mut self) {
        for (fi, f) in self.files.iter().enumerate() {
            for item in &f.ast.items {
                let (name, kind) = match item {
                    ast::Item::Param(p) => {
                        let id = self.params.len() as ParamId;
                        self.params.push(ParamInfo {
                            name: p.name.node.clone(),
                            value: ParamValue::Fixed(Const::Bool(false)),
                            overridden: false,
                            policy: fi as PolicyId,
                            title: p.title.clone(),
                        });
                        self.param_types.push(Type::Bool);
                        (&p.name, DefKind::Param(id))
                    }
                    ast::Item::Let(l) => {
                        let id = self.lets.len() as LetId;
                        self.lets.push(LetSlot {
                            file: fi,
                            state: LetState::Pending,
                            node: None,
                            ty: None,
                            uses_record: false,
                        });
                        self.let_defs.push(l);
                        (&l.name, DefKind::Let(id))
                    }
                    ast::Item::Area(a) => {
                        let id = self.areas.len() as AreaId;
                        self.areas.push(AreaInfo {
                            id: a.id.node.clone(),
                            title: a.title.clone(),
                            description: a.description.clone(),
                            policy: fi as PolicyId,
                        });
                        (&a.id, DefKind::Area(id))
                    }
                    _ => continue,
                };
                if schema::field_by_path(&name.node).is_some() && !matches!(kind, DefKind::Area(_)) {
                    let d = self
                        .error(fi, name.span, format!("`{}` is a record field", name.node), "this name")
                        .help("choose another name, so that the record field stays reachable");
                    self.push(d);
                }
                self.names.entry(name.node.clone()).or_default().push(Def {
                    file: fi,
                    kind,
                    span: name.span,
                });
            }
        }
        // A name may be defined once among the files that can see each other.
        // Each later definition is reported against the first it clashes
        // with, which is found at once when a name is repeated in one file.
        for (name, defs) in &self.names {
            for (j, b) in defs.iter().enumerate() {
                for a in &defs[..j] {
                    let same_space = matches!(a.kind, DefKind::Area(_)) == matches!(b.kind, DefKind::Area(_));
                    let clash = same_space
                        && (a.file == b.file
                            || self.visible.iter().any(|v| v.contains(&a.file) && v.contains(&b.file)));
                    if clash {
                        self.diags.push(
                            Diagnostic::error(format!("`{name}` is defined twice"))
                                .at(self.files[b.file].file, b.span, "second definition")
                                .also(self.files[a.file].file, a.span, "first definition")
                                .help(
                                    "rename one of them; an importing policy sees the names of the policies it imports",
                                ),
                        );
                        break;
                    }
                }
            }
        }
    }

    /// Register the `field` declarations: each path gets a slot, shared by
    /// every policy that declares it with the same type.
    fn declare_fields(&mut self) {
        const TYPES: &[&str] = &["text", "number", "money", "percent", "date", "bool"];
        let roots: HashSet<&str> = schema::FIELDS
            .iter()
            .map(|f| f.path.split(['.', '[']).next().unwrap_or(f.path))
            .collect();
        for (fi, f) in self.files.iter().enumerate() {
            for item in &f.ast.items {
                let ast::Item::Field(decl) = item else { continue };
                let path = &decl.path;
                let root = path.node.split('.').next().unwrap_or(&path.node);
                if roots.contains(root) {
                    let what = if schema::field_by_path(&path.node).is_some() {
                        format!("`{}` is a field of the canonical record", path.node)
                    } else {
                        format!(
                            "`{}` cannot be declared: `{root}` is part of the canonical record",
                            path.node
                        )
                    };
                    let d = self.error(fi, path.span, what, "declared here").help(format!(
                        "declare the buyer's own fields under a name of their own, e.g. `own.{}`",
                        path.node.rsplit('.').next().unwrap_or(&path.node)
                    ));
                    self.push(d);
                    continue;
                }
                if let Some(def) = self.names.get(root).and_then(|defs| defs.first()).copied()
                    && !matches!(def.kind, DefKind::Area(_))
                {
                    let d = self
                        .error(
                            fi,
                            path.span,
                            format!("`{root}` is a parameter or `let` name"),
                            "declared here",
                        )
                        .also(self.fid(def.file), def.span, "defined here")
                        .help("a declared field must not start with a name the policies define; rename one of them");
                    self.push(d);
                    continue;
                }
                let base = match TYPES.iter().position(|t| *t == decl.ty.node) {
                    Some(0) => FieldType::Text,
                    Some(1) => FieldType::Number,
                    Some(2) => FieldType::Money,
                    Some(3) => FieldType::Percent,
                    Some(4) => FieldType::Date,
                    Some(5) => FieldType::Bool,
                    _ => {
                        let help = did_you_mean(&decl.ty.node, TYPES.iter().copied())
                            .unwrap_or_else(|| format!("the types are {} and `list of text`", TYPES.join(", ")));
                        let d = self
                            .error(
                                fi,
                                decl.ty.span,
                                format!("unknown type `{}`", decl.ty.node),
                                "not a type",
                            )
                            .help(help);
                        self.push(d);
                        continue;
                    }
                };
                let ty = match (decl.list, base) {
                    (false, t) => t,
                    (true, FieldType::Text) => FieldType::TextList,
                    (true, _) => {
                        let d = self
                            .error(fi, decl.ty.span, "only lists of text can be declared", "not supported")
                            .help("declare `list of text`, or one field per value");
                        self.push(d);
                        continue;
                    }
                };
                if let Some(known) = self.declared.iter_mut().find(|d| d.field.path == path.node) {
                    if known.field.ty != ty {
                        let (kf, ks) = (known.file, known.span);
                        let d = self
                            .error(
                                fi,
                                decl.ty.span,
                                format!("`{}` is declared with another type", path.node),
                                "this type",
                            )
                            .also(self.fid(kf), ks, "first declared here")
                            .help("a field has one type in every policy; use the same type, or another name");
                        self.push(d);
                    } else if !known.files.contains(&fi) {
                        known.files.push(fi);
                    }
                    continue;
                }
                let clash = self.declared.iter().find(|d| {
                    let (a, b) = (d.field.path, path.node.as_str());
                    a.strip_prefix(b).is_some_and(|r| r.starts_with('.'))
                        || b.strip_prefix(a).is_some_and(|r| r.starts_with('.'))
                });
                if let Some(other) = clash {
                    let (of, os, op) = (other.file, other.span, other.field.path);
                    let d = self
                        .error(
                            fi,
                            path.span,
                            format!("`{}` and `{op}` cannot both be fields", path.node),
                            "here",
                        )
                        .also(self.fid(of), os, "declared here")
                        .help("a field holds one value; one of the two would have to be an object");
                    self.push(d);
                    continue;
                }
                if self.declared.len() >= schema::MAX_EXTRAS {
                    let d = self.error(
                        fi,
                        path.span,
                        format!("too many declared fields (at most {})", schema::MAX_EXTRAS),
                        "one too many",
                    );
                    self.push(d);
                    continue;
                }
                self.declared.push(Declared {
                    field: schema::ExtraField {
                        path: schema::intern(&path.node),
                        ty,
                    },
                    title: decl.title.clone(),
                    description: decl.description.clone(),
                    files: vec![fi],
                    file: fi,
                    span: path.span,
                });
            }
        }
    }

    /// The declared field `path` as seen from `file`: its slot, or the file
    /// that declares it when `file` cannot see it.
    fn declared_field(&self, path: &str, file: usize) -> Option<Result<usize, usize>> {
        let slot = self.declared.iter().position(|d| d.field.path == path)?;
        let d = &self.declared[slot];
        Some(match d.files.iter().any(|f| self.visible[file].contains(f)) {
            true => Ok(slot),
            false => Err(d.file),
        })
    }

    /// The declared fields `file` can see.
    fn visible_declared(&self, file: usize) -> Vec<&'static str> {
        self.declared
            .iter()
            .filter(|d| d.files.iter().any(|f| self.visible[file].contains(f)))
            .map(|d| d.field.path)
            .collect()
    }

    /// The definition of `name` visible from `file`, of one of `kinds`.
    fn lookup(&self, name: &str, file: usize, areas: bool) -> Option<Def> {
        self.names
            .get(name)?
            .iter()
            .copied()
            .find(|d| self.visible[file].contains(&d.file) && matches!(d.kind, DefKind::Area(_)) == areas)
    }

    fn visible_names(&self, file: usize, areas: bool) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .names
            .iter()
            .filter(|(_, defs)| {
                defs.iter()
                    .any(|d| self.visible[file].contains(&d.file) && matches!(d.kind, DefKind::Area(_)) == areas)
            })
            .map(|(n, _)| n.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    fn period(&mut self, file: usize, in_force: Option<&ast::InForce>) -> Period {
        let Some(f) = in_force else { return Period::default() };
        let p = Period {
            from: f.from.as_ref().map(|d| d.node),
            to: f.to.as_ref().map(|d| d.node),
        };
        if let (Some(a), Some(b)) = (p.from, p.to)
            && b < a
        {
            let d = self
                .error(
                    file,
                    f.span,
                    format!("the period ends ({b}) before it starts ({a})"),
                    "empty period",
                )
                .help("swap the dates, or correct the year");
            self.push(d);
        }
        p
    }

    // ------------------------------------------------------------ parameters

    fn compile_params(&mut self) {
        let mut id = 0usize;
        for (fi, f) in self.files.iter().enumerate() {
            for item in &f.ast.items {
                let ast::Item::Param(p) = item else { continue };
                if let ast::ParamValue::Fixed(Expr {
                    kind: ExprKind::Path(path),
                    span,
                }) = &p.value
                    && let [PathStep::Field(name)] = path.steps.as_slice()
                    && let Some(Def {
                        kind: DefKind::Param(target),
                        ..
                    }) = self.lookup(name, fi, false)
                {
                    self.aliases.push((id as ParamId, target, fi, *span));
                    id += 1;
                    continue;
                }
                let value = match &p.value {
                    ast::ParamValue::Fixed(e) => self.constant(fi, e).map(ParamValue::Fixed),
                    ast::ParamValue::ByDate(entries) => {
                        let mut out: Vec<(chrono::NaiveDate, Const)> = Vec::new();
                        let mut ok = true;
                        let mut first_type: Option<Type> = None;
                        for (date, e) in entries {
                            let Some(c) = self.constant(fi, e) else {
                                ok = false;
                                continue;
                            };
                            let t = Type::of_const(&c);
                            if let Some(ft) = &first_type
                                && !ft.compatible(&t)
                            {
                                let d = self
                                    .error(
                                        fi,
                                        e.span,
                                        "values of one parameter must have one type",
                                        format!("this is {}", t.describe()),
                                    )
                                    .note(format!("the first value is {}", ft.describe()));
                                self.push(d);
                                ok = false;
                            }
                            first_type.get_or_insert(t);
                            if out.iter().any(|(d, _)| *d == date.node) {
                                let d = self.error(
                                    fi,
                                    date.span,
                                    format!("two values from {}", date.node),
                                    "second value from this date",
                                );
                                self.push(d);
                                ok = false;
                            }
                            out.push((date.node, c));
                        }
                        out.sort_by_key(|(d, _)| *d);
                        ok.then_some(ParamValue::ByDate(out))
                    }
                };
                if let Some(v) = value {
                    let ty = match &v {
                        ParamValue::Fixed(c) => Type::of_const(c),
                        ParamValue::ByDate(e) => e.first().map(|(_, c)| Type::of_const(c)).unwrap_or(Type::Bool),
                    };
                    self.param_types[id] = ty;
                    self.params[id].value = v;
                }
                id += 1;
            }
        }
    }

    /// Evaluate a constant expression (a literal, a list of literals, or a
    /// negated number) written in `file`.
    fn constant(&mut self, file: usize, e: &Expr) -> Option<Const> {
        self.constant_in(self.fid(file), e)
    }

    fn constant_in(&mut self, fid: FileId, e: &Expr) -> Option<Const> {
        match &e.kind {
            ExprKind::Lit(l) => self.literal_const(fid, l, e.span),
            ExprKind::Paren(inner) => self.constant_in(fid, inner),
            ExprKind::Unary(UnaryOp::Neg, inner) => match self.constant_in(fid, inner)? {
                Const::Num(n) => Some(Const::Num(-n)),
                Const::Pct(n) => Some(Const::Pct(-n)),
                Const::Money(m) => Some(Const::Money(Money::new(-m.amount, m.currency))),
                _ => {
                    self.push(
                        Diagnostic::error("only numbers, amounts and percentages can be negative")
                            .at(fid, e.span, "here"),
                    );
                    None
                }
            },
            ExprKind::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                let mut first: Option<Type> = None;
                for item in items {
                    let c = self.constant_in(fid, item)?;
                    let t = Type::of_const(&c);
                    if let Some(f) = &first
                        && !f.compatible(&t)
                    {
                        self.push(
                            Diagnostic::error("the values of a list must have one type")
                                .at(fid, item.span, format!("this is {}", t.describe()))
                                .note(format!("the first value is {}", f.describe())),
                        );
                        return None;
                    }
                    first.get_or_insert(t);
                    out.push(c);
                }
                Some(Const::List(out))
            }
            _ => {
                self.push(
                    Diagnostic::error("expected a constant value")
                        .at(fid, e.span, "not a constant")
                        .help("parameter values and lists hold constants such as `1 300 000 NOK`, `30 %`, `2024-01-01` or `\"open\"`; to test the elements of a list field, write `any(x in list: …)`"),
                );
                None
            }
        }
    }

    fn literal_const(&mut self, fid: FileId, l: &Literal, span: Span) -> Option<Const> {
        Some(match l {
            Literal::Money { amount, currency, .. } => match Currency::parse(currency) {
                Some(c) if !c.is_iso() => {
                    let help = c.closest_iso().map(|h| format!("did you mean `{h}`?"));
                    self.push(
                        Diagnostic::error(format!("`{currency}` is not an ISO 4217 currency code"))
                            .at(fid, span, "unknown currency")
                            .with_help(help),
                    );
                    return None;
                }
                Some(c) => Const::Money(Money::new(*amount, c)),
                None => {
                    self.push(Diagnostic::error(format!("`{currency}` is not a currency code")).at(fid, span, "here"));
                    return None;
                }
            },
            Literal::Percent(p) => Const::Pct(*p),
            Literal::Number(n) => Const::Num(*n),
            Literal::Date(d) => Const::Date(*d),
            Literal::Duration(n, unit) => Const::Dur(duration(*n, *unit)),
            Literal::Text(t) => Const::Text(t.clone()),
            Literal::Bool(b) => Const::Bool(*b),
        })
    }

    /// `param a = b`: `a` takes `b`'s value, after overrides, unless `a`
    /// itself was overridden.
    fn resolve_aliases(&mut self, last: bool) {
        let aliases = if last {
            std::mem::take(&mut self.aliases)
        } else {
            self.aliases.clone()
        };
        // Where each chain of aliases ends (`None`: in a circle), found in
        // one walk per chain, so that long chains stay linear.
        let next: HashMap<ParamId, ParamId> = aliases.iter().map(|&(p, n, ..)| (p, n)).collect();
        let mut end: HashMap<ParamId, Option<ParamId>> = HashMap::new();
        for &(param, ..) in &aliases {
            let mut path = Vec::new();
            let mut on_path = HashSet::new();
            let mut at = param;
            let found = loop {
                if let Some(known) = end.get(&at) {
                    break *known;
                }
                match next.get(&at) {
                    None => break Some(at),
                    Some(_) if !on_path.insert(at) => break None,
                    Some(&n) => {
                        path.push(at);
                        at = n;
                    }
                }
            };
            for p in path {
                end.insert(p, found);
            }
        }
        for &(param, _, file, span) in &aliases {
            if self.params[param as usize].overridden {
                continue;
            }
            match end.get(&param).copied().flatten() {
                Some(target) => {
                    self.params[param as usize].value = self.params[target as usize].value.clone();
                    self.param_types[param as usize] = self.param_types[target as usize].clone();
                }
                None if last => {
                    let name = self.params[param as usize].name.clone();
                    let d = self.error(
                        file,
                        span,
                        format!("parameter `{name}` is defined in terms of itself"),
                        "here",
                    );
                    self.push(d);
                }
                None => {}
            }
        }
    }

    fn apply_overrides(&mut self, overrides: &[(String, FileId)]) {
        for (name, fid) in overrides {
            let targets: Vec<ParamId> = self
                .names
                .get(name)
                .map(|defs| {
                    defs.iter()
                        .filter_map(|d| match d.kind {
                            DefKind::Param(p) => Some(p),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            if targets.is_empty() {
                let known: Vec<&str> = self.params.iter().map(|p| p.name.as_str()).collect();
                let help = did_you_mean(name, known.iter().copied())
                    .unwrap_or_else(|| format!("the parameters are: {}", known.join(", ")));
                self.push(
                    Diagnostic::error(format!("`--set {name}`: no parameter `{name}` in the loaded policies"))
                        .help(help),
                );
                continue;
            }
            let text = self.sources.text(*fid).to_string();
            let expr = match crate::syntax::parse_value(&text, *fid) {
                Ok(e) => e,
                Err(d) => {
                    let word = text.trim();
                    let bare = !word.is_empty() && word.chars().all(|c| c.is_alphanumeric() || c == '_');
                    self.push(if bare {
                        d.help(format!("texts are written in double quotes: --set {name}='\"{word}\"'"))
                    } else {
                        d
                    });
                    continue;
                }
            };
            let Some(value) = self.constant_in(*fid, &expr) else {
                continue;
            };
            let new_ty = Type::of_const(&value);
            for p in targets {
                let old = self.param_types[p as usize].clone();
                if !old.compatible(&new_ty) {
                    self.push(
                        Diagnostic::error(format!(
                            "`--set {name}`: the parameter is {}, the value is {}",
                            old.describe(),
                            new_ty.describe()
                        ))
                        .at(*fid, expr.span, "this value")
                        .help(example_of(&old)),
                    );
                    continue;
                }
                self.param_types[p as usize] = new_ty.clone();
                self.params[p as usize].value = ParamValue::Fixed(value.clone());
                self.params[p as usize].overridden = true;
            }
        }
    }

    // ------------------------------------------------------------ lets

    fn compile_let(&mut self, id: LetId) -> Option<(Type, bool)> {
        let slot = &self.lets[id as usize];
        match slot.state {
            LetState::Done => return slot.ty.clone().map(|t| (t, slot.uses_record)),
            LetState::Failed => return None,
            LetState::InProgress => {
                let def = self.let_defs[id as usize];
                let file = slot.file;
                let d = self
                    .error(
                        file,
                        def.name.span,
                        format!("`{}` is defined in terms of itself", def.name.node),
                        "this definition",
                    )
                    .help("a `let` may use other `let`s, but not in a circle");
                self.push(d);
                self.lets[id as usize].state = LetState::Failed;
                return None;
            }
            LetState::Pending => {}
        }
        self.lets[id as usize].state = LetState::InProgress;
        let def = self.let_defs[id as usize];
        let file = self.lets[id as usize].file;
        // A `let` is evaluated on a record, whatever context uses it.
        let saved = (
            std::mem::take(&mut self.vars),
            self.context,
            self.window.take(),
            self.uses_record,
        );
        self.context = Context::Record;
        self.uses_record = false;
        let result = self.expr(file, &def.value);
        let uses_record = self.uses_record;
        (self.vars, self.context, self.window, self.uses_record) = saved;
        let slot = &mut self.lets[id as usize];
        match result {
            Some((node, ty)) => {
                slot.node = Some(node);
                slot.ty = Some(ty.clone());
                slot.state = LetState::Done;
                slot.uses_record = uses_record;
                Some((ty, uses_record))
            }
            None => {
                slot.state = LetState::Failed;
                None
            }
        }
    }

    // ------------------------------------------------------------ rules

    fn compile_rule(&mut self, file: usize, rule: &ast::Rule) {
        let id = &rule.id.node;
        if let Some(first) = self.rules.iter().find(|r| &r.id == id) {
            let d = Diagnostic::error(format!("two rules have the id `{id}`"))
                .at(self.fid(file), rule.id.span, "second rule with this id")
                .also(first.file, first.span, "first rule with this id")
                .help("rule ids are what reports, exemptions and scripts refer to: give each rule its own");
            self.push(d);
            return;
        }
        let mut ok = true;
        if rule.title.texts.is_empty() {
            let d = self
                .error(file, rule.id.span, format!("rule `{id}` has no title"), "here")
                .help("add `title nb \"…\" en \"…\"`");
            self.push(d);
            ok = false;
        }
        let area = match &rule.area {
            Some(a) => match self.lookup(&a.node, file, true) {
                Some(Def {
                    kind: DefKind::Area(area),
                    ..
                }) => area,
                _ => {
                    let known = self.visible_names(file, true);
                    let help = did_you_mean(&a.node, known.iter().copied())
                        .unwrap_or_else(|| format!("the areas are: {}", known.join(", ")));
                    let d = self
                        .error(file, a.span, format!("unknown area `{}`", a.node), "not an area")
                        .help(help);
                    self.push(d);
                    ok = false;
                    0
                }
            },
            None => {
                let d = self
                    .error(file, rule.id.span, format!("rule `{id}` has no area"), "here")
                    .help("add `area <id>` naming one of the policy's strategy areas");
                self.push(d);
                ok = false;
                0
            }
        };
        let severity = match &rule.severity {
            Some(s) => s.node,
            None => {
                let d = self
                    .error(file, rule.id.span, format!("rule `{id}` has no severity"), "here")
                    .help("add `severity must` (skal) or `severity should` (bør)");
                self.push(d);
                ok = false;
                ast::Severity::Should
            }
        };
        let in_force = self.period(file, rule.in_force.as_ref());
        let scope = rule.scope.as_ref().and_then(|sc| self.scope(file, sc));
        if rule.scope.is_some() && scope.is_none() {
            ok = false;
        }
        self.context = Context::Record;
        let applies = match &rule.applies {
            Some(e) => self.condition(file, e, "`when`"),
            None => None,
        };
        if rule.applies.is_some() && applies.is_none() {
            ok = false;
        }
        let (kind, requirement_text) = match (&rule.require, &rule.across) {
            (Some(_), Some(a)) => {
                let d = self
                    .error(
                        file,
                        a.span,
                        "a rule has either `require` or `across records`, not both",
                        "cross-record part",
                    )
                    .help("write the cross-record check as its own rule");
                self.push(d);
                return;
            }
            (Some(req), None) => match self.condition(file, req, "`require`") {
                Some(n) => (RuleKind::PerRecord { require: n }, self.text_of(file, req.span)),
                None => return,
            },
            (None, Some(across)) => match self.across(file, across) {
                Some(plan) => (RuleKind::Cross(plan), self.text_of(file, across.flag_when.span)),
                None => return,
            },
            (None, None) => {
                let d = self
                    .error(file, rule.id.span, format!("rule `{id}` has no requirement"), "here")
                    .help("add `require <condition>` (or `across records … flag when …` for a cross-record rule)");
                self.push(d);
                return;
            }
        };
        let cross = matches!(kind, RuleKind::Cross(_));
        let mut templates = [Template::default(), Template::default(), Template::default()];
        for m in &rule.messages {
            let slot = match m.kind {
                ast::MessageKind::Fail => 0,
                ast::MessageKind::Pass => 1,
                ast::MessageKind::Unknown => 2,
            };
            match self.template(file, &m.text, cross) {
                Some(t) => templates[slot] = t,
                None => ok = false,
            }
        }
        self.context = Context::Record;
        let mut kind = kind;
        if let (RuleKind::Cross(plan), Some(state)) = (&mut kind, self.window.take()) {
            plan.member_values = state.member_values.iter().map(|(_, n, _)| *n).collect();
            plan.aggregates = state.aggregates;
        }
        if !ok {
            return;
        }
        let [fail, pass, unknown] = templates;
        self.rules.push(RulePlan {
            id: id.clone(),
            title: rule.title.clone(),
            area,
            severity,
            basis: rule.basis.as_ref().map(|b| b.node.clone()),
            policy: file as PolicyId,
            in_force,
            scope,
            applies,
            applies_text: rule.applies.as_ref().map(|e| self.text_of(file, e.span)),
            requirement_text,
            kind,
            fail,
            pass,
            unknown,
            advice: rule.advice.clone(),
            file: self.fid(file),
            span: rule.id.span,
        });
    }

    // ------------------------------------------------------------ scopes

    /// A `for` entry resolved in the organisation register: every target
    /// known, or an error with the closest id.
    fn scope(&mut self, file: usize, scope: &ast::Scope) -> Option<ScopePlan> {
        let register = self.register;
        let mut targets = Vec::new();
        let mut ok = true;
        for t in &scope.targets {
            let name = t.name.node.as_str();
            let target = match t.kind {
                ast::ScopeKind::Members => register.cooperation_by_id(name).map(ScopeTarget::Members),
                ast::ScopeKind::Authority => register.authority_by_id(name).map(ScopeTarget::Authority),
                ast::ScopeKind::Kind => Domain::BuyerKind.code(name).map(ScopeTarget::Kind),
            };
            if let Some(target) = target {
                targets.push(target);
                continue;
            }
            ok = false;
            let (what, known): (&str, Vec<&str>) = match t.kind {
                ast::ScopeKind::Members => (
                    "cooperation",
                    register.cooperations.iter().map(|c| c.id.as_str()).collect(),
                ),
                ast::ScopeKind::Authority => (
                    "authority",
                    register.authorities.iter().map(|a| a.id.as_str()).collect(),
                ),
                ast::ScopeKind::Kind => ("buyer kind", Domain::BuyerKind.values().to_vec()),
            };
            let by_name = |n: &str| crate::eval::normalize_name(n) == crate::eval::normalize_name(name);
            let help = if t.kind != ast::ScopeKind::Kind && register.is_empty() {
                "no organisation register is loaded: import one, e.g. `import \"../org/innherred.toml\"`".to_string()
            } else if let Some(c) = register
                .cooperations
                .iter()
                .find(|c| t.kind == ast::ScopeKind::Authority && (c.id == name || by_name(&c.name)))
            {
                format!("`{}` is a cooperation: write `members of \"{}\"`", c.name, c.id)
            } else if let Some(a) = register
                .authorities
                .iter()
                .find(|a| t.kind == ast::ScopeKind::Members && (a.id == name || by_name(&a.name)))
            {
                format!("`{}` is an authority: write `authority \"{}\"`", a.name, a.id)
            } else if let Some(a) = register
                .authorities
                .iter()
                .find(|a| t.kind == ast::ScopeKind::Authority && by_name(&a.name))
            {
                format!("the register's id for {} is `{}`", a.name, a.id)
            } else if let Some(c) = register
                .cooperations
                .iter()
                .find(|c| t.kind == ast::ScopeKind::Members && by_name(&c.name))
            {
                format!("the register's id for {} is `{}`", c.name, c.id)
            } else {
                did_you_mean(name, known.iter().copied()).unwrap_or_else(|| match t.kind {
                    ast::ScopeKind::Kind => format!("the buyer kinds are: {}", known.join(", ")),
                    _ => format!("add it to a register file ({})", register.files.join(", ")),
                })
            };
            let d = self
                .error(
                    file,
                    t.name.span,
                    format!("unknown {what} `{name}`"),
                    format!("not {} of the register", crate::diag::indefinite(what)),
                )
                .help(help);
            self.push(d);
        }
        ok.then(|| ScopePlan {
            targets,
            text: self.text_of(file, scope.span),
        })
    }

    fn text_of(&self, file: usize, span: Span) -> String {
        let text = self
            .sources
            .text(self.fid(file))
            .get(span.start..span.end)
            .unwrap_or("");
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    fn condition(&mut self, file: usize, e: &Expr, what: &str) -> Option<NodeId> {
        let (node, ty) = self.expr(file, e)?;
        if ty != Type::Bool {
            let d = self
                .error(
                    file,
                    e.span,
                    format!("{what} needs a condition, but this is {}", ty.describe()),
                    "not a condition",
                )
                .help("compare it with something, e.g. `value >= 1 300 000 NOK`, or test it with `is present`");
            self.push(d);
            return None;
        }
        Some(node)
    }

    fn across(&mut self, file: usize, a: &ast::Across) -> Option<CrossPlan> {
        self.context = Context::Record;
        let filter = match &a.filter {
            Some(f) => Some(self.condition(file, f, "`where`")?),
            None => None,
        };
        let mut keys = Vec::new();
        for k in &a.group_by {
            let (node, ty) = self.expr(file, k)?;
            if !matches!(ty, Type::Text | Type::Code(_) | Type::Number | Type::Date | Type::Bool) {
                let d = self
                    .error(
                        file,
                        k.span,
                        format!("records are grouped by single values, but this is {}", ty.describe()),
                        "group key",
                    )
                    .help("group by a field such as `buyer.id`, or a derived text such as `prefix(cpv[0], 3)`");
                self.push(d);
                return None;
            }
            keys.push(node);
        }
        let window = match &a.window {
            None => WindowPlan::All,
            Some(ast::Window::Calendar(u)) => WindowPlan::Calendar(u.node),
            Some(ast::Window::Rolling(e)) => {
                let dur = match &e.kind {
                    ExprKind::Path(p) if p.steps.len() == 1 => {
                        let PathStep::Field(name) = &p.steps[0] else {
                            return None;
                        };
                        match self.lookup(name, file, false) {
                            Some(Def {
                                kind: DefKind::Param(pid),
                                ..
                            }) => match &self.params[pid as usize].value {
                                ParamValue::Fixed(Const::Dur(d)) => Some(*d),
                                _ => None,
                            },
                            _ => None,
                        }
                    }
                    _ => match self.constant(file, e) {
                        Some(Const::Dur(d)) => Some(d),
                        _ => None,
                    },
                };
                match dur {
                    Some(d) => WindowPlan::Rolling(d),
                    None => {
                        let d = self
                            .error(file, e.span, "a rolling window needs a duration", "not a duration")
                            .help("write e.g. `within rolling 12 months`, or name a duration parameter");
                        self.push(d);
                        return None;
                    }
                }
            }
        };
        self.context = Context::Window;
        self.window = Some(WindowState {
            member_values: Vec::new(),
            aggregates: Vec::new(),
        });
        let flag = self.condition(file, &a.flag_when, "`flag when`");
        self.context = Context::Record;
        let flag = flag?;
        // The window's aggregates are completed by the message templates,
        // compiled next, and then copied into the plan.
        let flag_values = self.window.as_ref().map_or(0, |w| w.member_values.len());
        Some(CrossPlan {
            filter,
            keys,
            window,
            member_values: Vec::new(),
            flag_values,
            aggregates: Vec::new(),
            flag,
        })
    }

    /// A message with `{placeholders}`.
    fn template(&mut self, file: usize, text: &ast::Translations, cross: bool) -> Option<Template> {
        if cross {
            self.context = Context::Window;
        }
        let mut out = Template::default();
        let mut ok = true;
        for (lang, s) in &text.texts {
            match self.pieces(file, s, cross) {
                Some(p) => match lang {
                    ast::Lang::Nb => out.nb = p,
                    ast::Lang::En => out.en = p,
                },
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn pieces(&mut self, file: usize, s: &Spanned<String>, cross: bool) -> Option<Vec<Piece>> {
        let text = &s.node;
        // Where each byte of the text was written, escapes counted.
        let raw = self
            .sources
            .text(self.fid(file))
            .get(s.span.start..s.span.end)
            .unwrap_or("");
        let offsets = source_offsets(raw);
        let source_at = |p: usize| s.span.start + offsets.get(p).copied().unwrap_or(p + 1);
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text.as_str();
        let mut offset = 0usize;
        let mut ok = true;
        while let Some(pos) = rest.find(['{', '}']) {
            literal.push_str(&rest[..pos]);
            let ch = rest.as_bytes()[pos];
            let after = &rest[pos + 1..];
            if after.as_bytes().first() == Some(&ch) {
                literal.push(ch as char);
                offset += pos + 2;
                rest = &after[1..];
                continue;
            }
            if ch == b'}' {
                let at = source_at(offset + pos);
                let d = self
                    .error(file, Span::new(at, at + 1), "unmatched `}` in message", "here")
                    .help("write `}}` for a literal brace");
                self.push(d);
                return None;
            }
            let Some(end) = after.find('}') else {
                let at = source_at(offset + pos);
                let d = self
                    .error(file, Span::new(at, at + 1), "unclosed `{` in message", "opened here")
                    .help("close the placeholder with `}`, or write `{{` for a literal brace");
                self.push(d);
                return None;
            };
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            let inner = &after[..end];
            let inner_start = source_at(offset + pos + 1);
            if cross && inner.trim() == "members" {
                pieces.push(Piece::Members);
            } else {
                match self.placeholder(file, inner, inner_start) {
                    Some(n) => pieces.push(Piece::Value(n)),
                    None => ok = false,
                }
            }
            offset += pos + 1 + end + 1;
            rest = &after[end + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        ok.then_some(pieces)
    }

    fn placeholder(&mut self, file: usize, inner: &str, start: usize) -> Option<NodeId> {
        let fid = self.fid(file);
        // Parse the placeholder on its own, then move its spans to where it
        // sits in the policy file.
        let mut expr = match crate::syntax::parse_value(inner, fid) {
            Ok(e) => e,
            Err(mut d) => {
                if let Some(p) = &mut d.primary {
                    p.span = Span::new(p.span.start + start, p.span.end + start);
                }
                d.message = format!("in a message placeholder: {}", d.message);
                self.push(d);
                return None;
            }
        };
        shift(&mut expr, start);
        self.expr(file, &expr).map(|(n, _)| n)
    }

    // ------------------------------------------------------------ expressions

    fn expr(&mut self, file: usize, e: &Expr) -> Typed {
        if self.depth >= MAX_DEPTH {
            self.report_too_deep(file, e.span);
            return None;
        }
        self.depth += 1;
        let typed = self.expr_within(file, e);
        self.depth -= 1;
        typed
    }

    fn report_too_deep(&mut self, file: usize, span: Span) {
        if !std::mem::replace(&mut self.too_deep, true) {
            let d = self
                .error(
                    file,
                    span,
                    format!("this expression, with the `let`s it uses, nests more than {MAX_DEPTH} levels deep"),
                    "too deep",
                )
                .help("a chain of `let`s each built on the next adds up; write the condition more directly");
            self.push(d);
        }
    }

    fn expr_within(&mut self, file: usize, e: &Expr) -> Typed {
        match &e.kind {
            ExprKind::Lit(l) => {
                let c = self.literal_const(self.fid(file), l, e.span)?;
                let ty = Type::of_const(&c);
                Some((self.add(Node::Const(c), file, e.span), ty))
            }
            ExprKind::List(_) => {
                let c = self.constant(file, e)?;
                let ty = Type::of_const(&c);
                Some((self.add(Node::Const(c), file, e.span), ty))
            }
            ExprKind::Paren(inner) => self.expr(file, inner),
            ExprKind::Path(p) => self.path(file, p, e.span),
            ExprKind::Unary(op, inner) => self.unary(file, *op, inner, e.span),
            ExprKind::Binary(op, a, b) => self.binary(file, *op, a, b, e.span),
            ExprKind::If(c, a, b) => {
                let cond = self.condition(file, c, "`if`")?;
                let (na, ta) = self.expr(file, a)?;
                let (nb, tb) = self.expr(file, b)?;
                if !ta.compatible(&tb) {
                    let d = self
                        .error(
                            file,
                            b.span,
                            format!("`then` gives {} but `else` gives {}", ta.describe(), tb.describe()),
                            "here",
                        )
                        .help("both branches of `if` must give the same kind of value");
                    self.push(d);
                    return None;
                }
                Some((self.add(Node::If(cond, na, nb), file, e.span), unify(ta, tb)))
            }
            ExprKind::Comprehension(c) => self.comprehension(file, c, e.span),
            ExprKind::Call(name, args) => self.call(file, name, args, e.span),
        }
    }

    fn path(&mut self, file: usize, path: &ast::Path, span: Span) -> Typed {
        let PathStep::Field(first) = &path.steps[0] else {
            return None;
        };
        // 1. a bound variable
        if let Some(pos) = self.vars.iter().rposition(|(n, _)| n == first) {
            let (_, ty) = self.vars[pos].clone();
            let slot = pos as Slot;
            return match (&path.steps[1..], &ty) {
                ([], _) => Some((self.add(Node::Var(slot), file, span), ty)),
                ([PathStep::Field(f)], Type::Item(kind)) => match schema::item_field(*kind, f) {
                    Some((idx, def)) => {
                        let ast_field = match def.access {
                            Access::Item(_, field) => field,
                            _ => return None,
                        };
                        Some((
                            self.add(Node::VarField(slot, ast_field, idx), file, span),
                            Type::from_field(def.ty),
                        ))
                    }
                    None => {
                        let names = schema::item_field_names(*kind);
                        let help = did_you_mean(f, names.iter().copied()).unwrap_or_else(|| {
                            format!(
                                "the fields of {} are: {}",
                                crate::diag::indefinite(kind.name()),
                                names.join(", ")
                            )
                        });
                        let d = self
                            .error(
                                file,
                                span,
                                format!("{} has no field `{f}`", crate::diag::indefinite(kind.name())),
                                "unknown field",
                            )
                            .help(help);
                        self.push(d);
                        None
                    }
                },
                _ => {
                    let d = self.error(
                        file,
                        span,
                        format!("`{first}` is {}; it has no such field", ty.describe()),
                        "here",
                    );
                    self.push(d);
                    None
                }
            };
        }
        // 2. a parameter or `let`
        if let Some(def) = self.lookup(first, file, false) {
            let (mut node, mut ty) = match def.kind {
                DefKind::Param(p) => {
                    let ty = self.param_types[p as usize].clone();
                    (self.add(Node::Param(p), file, span), ty)
                }
                DefKind::Let(l) => {
                    let (ty, uses_record) = self.compile_let(l)?;
                    if uses_record {
                        self.uses_record = true;
                        if self.context == Context::Window {
                            return self.record_in_window(file, span, first);
                        }
                    }
                    (self.add(Node::Let(l), file, span), ty)
                }
                DefKind::Area(_) => return None,
            };
            for step in &path.steps[1..] {
                match (step, ty.element()) {
                    (PathStep::Index(i), Some(elem)) => {
                        node = self.add(Node::Index(node, *i), file, span);
                        ty = elem;
                    }
                    _ => {
                        let d = self.error(
                            file,
                            span,
                            format!("`{first}` is {}; it has no fields", ty.describe()),
                            "here",
                        );
                        self.push(d);
                        return None;
                    }
                }
            }
            return Some((node, ty));
        }
        // 3. a record field
        let mut key = String::new();
        let mut indices = Vec::new();
        for step in &path.steps {
            match step {
                PathStep::Field(f) if indices.is_empty() => {
                    if !key.is_empty() {
                        key.push('.');
                    }
                    key.push_str(f);
                }
                PathStep::Each(f) if indices.is_empty() => {
                    key.push_str("[].");
                    key.push_str(f);
                }
                PathStep::Index(i) => indices.push(*i),
                _ => {
                    let d = self.error(file, span, "an index `[n]` can only come last in a path", "here");
                    self.push(d);
                    return None;
                }
            }
        }
        let Some((idx, def)) = schema::field_by_path(&key) else {
            return self.declared_path(file, &key, span, &indices);
        };
        if self.context == Context::Window {
            return self.record_in_window(file, span, &key);
        }
        self.uses_record = true;
        let (node, ty) = match def.access {
            Access::Scalar(s) => (self.add(Node::Field(s, idx), file, span), Type::from_field(def.ty)),
            Access::List(l) => (self.add(Node::List(l, idx), file, span), Type::from_field(def.ty)),
            Access::Item(kind, field) => {
                let (list, list_idx) = schema::FIELDS
                    .iter()
                    .enumerate()
                    .find_map(|(i, f)| match (f.access, f.ty) {
                        (Access::List(l), FieldType::Items(k)) if k == kind => Some((l, i as schema::FieldIndex)),
                        _ => None,
                    })?;
                (
                    self.add(Node::Project(list, field, list_idx, idx), file, span),
                    Type::List(Box::new(Type::from_field(def.ty))),
                )
            }
        };
        self.indexed(file, span, &key, (node, ty), &indices)
    }

    /// `node` indexed by `[i]` for each of `indices` (`cpv[0]`).
    fn indexed(
        &mut self,
        file: usize,
        span: Span,
        key: &str,
        (mut node, mut ty): (NodeId, Type),
        indices: &[usize],
    ) -> Typed {
        for &i in indices {
            let Some(elem) = ty.element() else {
                let d = self.error(
                    file,
                    span,
                    format!("`{key}` is {}, not a list", ty.describe()),
                    "cannot index",
                );
                self.push(d);
                return None;
            };
            node = self.add(Node::Index(node, i), file, span);
            ty = elem;
        }
        Some((node, ty))
    }

    /// A path that is not a canonical field: a declared one, or an error.
    fn declared_path(&mut self, file: usize, key: &str, span: Span, indices: &[usize]) -> Typed {
        let slot = match self.declared_field(key, file) {
            None => return self.unknown_name(file, span, key),
            Some(Err(declaring)) => {
                let d = self
                    .error(
                        file,
                        span,
                        format!("`{key}` is declared in a policy this one does not import"),
                        "here",
                    )
                    .help(format!(
                        "import \"{}\", or declare the field in this policy too",
                        self.files[declaring].display
                    ));
                self.push(d);
                return None;
            }
            Some(Ok(slot)) => slot,
        };
        if self.context == Context::Window {
            return self.record_in_window(file, span, key);
        }
        self.uses_record = true;
        let field = &self.declared[slot].field;
        let ty = Type::from_field(field.ty);
        let (Ok(slot_id), Some(idx)) = (u8::try_from(slot), schema::ExtraField::index(slot)) else {
            return None;
        };
        let node = self.add(Node::Extra(slot_id, idx), file, span);
        self.indexed(file, span, key, (node, ty), indices)
    }

    fn record_in_window(&mut self, file: usize, span: Span, name: &str) -> Typed {
        let d = self
            .error(
                file,
                span,
                format!("`{name}` is a value of one record; here it needs an aggregate"),
                "a value per record",
            )
            .help(format!(
                "in `flag when` and in a cross-record message, use e.g. `sum({name})`, `max({name})` or `count()`"
            ));
        self.push(d);
        None
    }

    fn unknown_name(&mut self, file: usize, span: Span, key: &str) -> Typed {
        // `buyer` alone: an object, not a field.
        let declared = self.visible_declared(file);
        let children: Vec<&str> = schema::FIELDS
            .iter()
            .map(|f| f.path)
            .chain(declared.iter().copied())
            .filter(|p| p.strip_prefix(key).is_some_and(|rest| rest.starts_with('.')))
            .collect();
        if !children.is_empty() {
            let d = self
                .error(
                    file,
                    span,
                    format!("`{key}` is an object, not a value"),
                    "name one of its fields",
                )
                .help(format!("its fields are: {}", children.join(", ")));
            self.push(d);
            return None;
        }
        let fields = schema::FIELDS.iter().map(|f| f.path);
        let names = self.visible_names(file, false);
        let vars: Vec<String> = self.vars.iter().map(|(n, _)| n.clone()).collect();
        let candidates: Vec<&str> = fields
            .chain(declared.iter().copied())
            .chain(names.iter().copied())
            .chain(vars.iter().map(String::as_str))
            .collect();
        let help = did_you_mean(key, candidates.iter().copied());
        let d = self
            .error(
                file,
                span,
                format!("unknown field `{key}`"),
                "not a record field, parameter or `let`",
            )
            .with_help(help.or_else(|| Some("the record fields are listed in docs/records.md".to_string())));
        self.push(d);
        None
    }

    fn unary(&mut self, file: usize, op: UnaryOp, inner: &Expr, span: Span) -> Typed {
        let (n, ty) = self.expr(file, inner)?;
        match op {
            UnaryOp::Not => {
                if ty != Type::Bool {
                    let d = self.error(
                        file,
                        inner.span,
                        format!("`not` needs a condition, but this is {}", ty.describe()),
                        "here",
                    );
                    self.push(d);
                    return None;
                }
                Some((self.add(Node::Not(n), file, span), Type::Bool))
            }
            UnaryOp::Neg => {
                if !ty.is_numeric() {
                    let d = self.error(file, inner.span, format!("cannot negate {}", ty.describe()), "here");
                    self.push(d);
                    return None;
                }
                Some((self.add(Node::Neg(n), file, span), ty))
            }
            UnaryOp::Exists | UnaryOp::IsPresent => {
                Some((self.add(Node::Test(TestOp::Present, n), file, span), Type::Bool))
            }
            UnaryOp::IsMissing => Some((self.add(Node::Test(TestOp::Missing, n), file, span), Type::Bool)),
            UnaryOp::IsEmpty | UnaryOp::IsNotEmpty => {
                if !(ty == Type::Text || ty.element().is_some()) {
                    let what = match &ty {
                        Type::Code(d) => format!(
                            "{} is one of a fixed set of values and cannot be empty",
                            crate::diag::indefinite(d.name())
                        ),
                        other => format!("only texts and lists can be empty; this is {}", other.describe()),
                    };
                    let d = self
                        .error(file, inner.span, what, "here")
                        .help("to test that a value is given, write `is present` (or `is missing`)");
                    self.push(d);
                    return None;
                }
                let t = if op == UnaryOp::IsEmpty {
                    TestOp::Empty
                } else {
                    TestOp::NonEmpty
                };
                Some((self.add(Node::Test(t, n), file, span), Type::Bool))
            }
        }
    }

    fn binary(&mut self, file: usize, op: BinaryOp, a: &Expr, b: &Expr, span: Span) -> Typed {
        let left = self.expr(file, a);
        let right = self.expr(file, b);
        let ((na, ta), (nb, tb)) = (left?, right?);
        let mismatch = |c: &mut Self, what: &str| {
            let d = c
                .error(
                    file,
                    span,
                    format!("cannot {what} {} and {}", ta.describe(), tb.describe()),
                    "here",
                )
                .with_help(mismatch_hint(&ta, &tb));
            c.push(d);
            None
        };
        match op {
            BinaryOp::And | BinaryOp::Or => {
                for (t, e) in [(&ta, a), (&tb, b)] {
                    if *t != Type::Bool {
                        let d = self.error(
                            file,
                            e.span,
                            format!(
                                "`{}` needs conditions on both sides, but this is {}",
                                op.as_str(),
                                t.describe()
                            ),
                            "not a condition",
                        );
                        self.push(d);
                        return None;
                    }
                }
                let mut children = Vec::new();
                for n in [na, nb] {
                    match (self.node_ref(n), op) {
                        (Node::And(c), BinaryOp::And) | (Node::Or(c), BinaryOp::Or) => {
                            children.extend(c.iter().copied())
                        }
                        _ => children.push(n),
                    }
                }
                let node = if op == BinaryOp::And {
                    Node::And(children.into())
                } else {
                    Node::Or(children.into())
                };
                Some((self.add(node, file, span), Type::Bool))
            }
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ordering = !matches!(op, BinaryOp::Eq | BinaryOp::Ne);
                if ta.element().is_some() || tb.element().is_some() {
                    let d = self
                        .error(file, span, format!("`{}` compares single values, not lists", op.as_str()), "a list here")
                        .help("to test a list's elements, write e.g. `any(c in cpv: c == \"…\")`, `x in list` or `list starts with \"…\"`");
                    self.push(d);
                    return None;
                }
                if ta.compatible(&tb) && ordering && !ta.is_ordered() {
                    let d = self
                        .error(
                            file,
                            span,
                            format!("{} cannot be ordered with `{}`", plural(&ta), op.as_str()),
                            "here",
                        )
                        .help("compare them with `==`, `!=`, `in` or `starts with`");
                    self.push(d);
                    return None;
                }
                if !ta.compatible(&tb) {
                    return mismatch(self, "compare");
                }
                if !self.same_currency(file, &ta, &tb, span) {
                    return None;
                }
                let (na, nb) = (self.code_side(na, &ta, &tb)?, self.code_side(nb, &tb, &ta)?);
                let cmp = match op {
                    BinaryOp::Eq => CmpOp::Eq,
                    BinaryOp::Ne => CmpOp::Ne,
                    BinaryOp::Lt => CmpOp::Lt,
                    BinaryOp::Le => CmpOp::Le,
                    BinaryOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                Some((self.add(Node::Cmp(cmp, na, nb), file, span), Type::Bool))
            }
            BinaryOp::In | BinaryOp::NotIn => {
                if ta.element().is_some() {
                    let d = self
                        .error(file, a.span, format!("the left side of `{}` is {}", op.as_str(), ta.describe()), "a list")
                        .help("to test the elements of a list, write `any(x in list: x in [...])`; for codes, `starts with`");
                    self.push(d);
                    return None;
                }
                let Some(elem) = tb.element() else {
                    let d = self
                        .error(
                            file,
                            b.span,
                            format!(
                                "`{}` needs a list on the right, but this is {}",
                                op.as_str(),
                                tb.describe()
                            ),
                            "not a list",
                        )
                        .help("write the values as a list: `[\"a\", \"b\"]`");
                    self.push(d);
                    return None;
                };
                if !ta.compatible(&elem) {
                    return mismatch(self, "look for");
                }
                if !self.same_currency(file, &ta, &elem, span) {
                    return None;
                }
                let nb = self.code_side(nb, &tb, &ta)?;
                let node = Node::In {
                    value: na,
                    list: nb,
                    negate: op == BinaryOp::NotIn,
                };
                Some((self.add(node, file, span), Type::Bool))
            }
            BinaryOp::StartsWith => {
                let text_like = |t: &Type| t.is_textual() || t.element().is_some_and(|e| e.is_textual());
                if !text_like(&ta) || !text_like(&tb) {
                    return mismatch(self, "test the start of");
                }
                Some((self.add(Node::StartsWith(na, nb), file, span), Type::Bool))
            }
            BinaryOp::Otherwise => {
                if !ta.compatible(&tb) {
                    return mismatch(self, "choose between");
                }
                Some((self.add(Node::Otherwise(na, nb), file, span), unify(ta, tb)))
            }
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div => {
                let result = arith_type(op, &ta, &tb);
                let Some(ty) = result else {
                    let verb = match op {
                        BinaryOp::Add => "add",
                        BinaryOp::Sub => "subtract",
                        BinaryOp::Mul => "multiply",
                        _ => "divide",
                    };
                    return mismatch(self, verb);
                };
                if matches!(op, BinaryOp::Add | BinaryOp::Sub) && !self.same_currency(file, &ta, &tb, span) {
                    return None;
                }
                let aop = match op {
                    BinaryOp::Add => ArithOp::Add,
                    BinaryOp::Sub => ArithOp::Sub,
                    BinaryOp::Mul => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                Some((self.add(Node::Arith(aop, na, nb), file, span), ty))
            }
        }
    }

    fn node_ref(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Amounts whose currencies the policy fixes must agree.
    fn same_currency(&mut self, file: usize, a: &Type, b: &Type, span: Span) -> bool {
        if let (Type::Money(Some(x)), Type::Money(Some(y))) = (a, b)
            && x != y
        {
            let d = self
                .error(
                    file,
                    span,
                    format!("amounts in {x} and {y} cannot be compared or added"),
                    "different currencies",
                )
                .help("anskaff does not convert currencies; write both amounts in the same currency");
            self.push(d);
            return false;
        }
        true
    }

    /// When `this` is a text constant compared with a code (`procedure ==
    /// "direct"`), check the text is a value of the code's domain and turn
    /// it into the code, so that a typo is caught here and the comparison is
    /// cheap at run time.
    fn code_side(&mut self, this: NodeId, this_ty: &Type, other_ty: &Type) -> Option<NodeId> {
        let domain = match other_ty {
            Type::Code(d) => *d,
            Type::List(t) => match **t {
                Type::Code(d) => d,
                _ => return Some(this),
            },
            _ => return Some(this),
        };
        if !matches!(this_ty, Type::Text) && this_ty.element() != Some(Type::Text) {
            return Some(this);
        }
        let (fid, span) = self.spans[this as usize];
        let use_site = this;
        let mut node = self.nodes[this as usize].clone();
        let mut this = this;
        // A `let` naming a constant list is checked (and converted) where it
        // is defined: every use compares it with the same field.
        while let Node::Let(l) = node {
            let Some(target) = self.lets.get(l as usize).and_then(|slot| slot.node) else {
                break;
            };
            this = target;
            node = self.nodes[target as usize].clone();
        }
        let check = |c: &mut Self, text: &str| -> Option<u8> {
            match domain.code(text) {
                Some(code) => Some(code),
                None => {
                    let help = did_you_mean(text, domain.values().iter().copied())
                        .unwrap_or_else(|| format!("the values are: {}", domain.values().join(", ")));
                    c.push(
                        Diagnostic::error(format!("`{text}` is not {}", crate::diag::indefinite(domain.name())))
                            .at(fid, span, format!("not {}", crate::diag::indefinite(domain.name())))
                            .help(help),
                    );
                    None
                }
            }
        };
        match node {
            Node::Const(Const::Text(t)) => {
                let code = check(self, &t)?;
                self.nodes[this as usize] = Node::Const(Const::Code(domain, code));
                Some(use_site)
            }
            Node::Const(Const::List(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for item in &items {
                    match item {
                        Const::Text(t) => out.push(Const::Code(domain, check(self, t)?)),
                        other => out.push(other.clone()),
                    }
                }
                self.nodes[this as usize] = Node::Const(Const::List(out));
                Some(use_site)
            }
            Node::Param(p) => {
                // Parameters keep their texts (they are shown as written) but
                // must name real values.
                let values: Vec<Const> = match &self.params[p as usize].value {
                    ParamValue::Fixed(c) => vec![c.clone()],
                    ParamValue::ByDate(e) => e.iter().map(|(_, c)| c.clone()).collect(),
                };
                let mut texts = Vec::new();
                for v in &values {
                    match v {
                        Const::Text(t) => texts.push(t.clone()),
                        Const::List(items) => texts.extend(items.iter().filter_map(|i| match i {
                            Const::Text(t) => Some(t.clone()),
                            _ => None,
                        })),
                        _ => {}
                    }
                }
                for t in texts {
                    if domain.code(&t).is_none() {
                        let name = self.params[p as usize].name.clone();
                        let help = did_you_mean(&t, domain.values().iter().copied())
                            .unwrap_or_else(|| format!("the values are: {}", domain.values().join(", ")));
                        self.push(
                            Diagnostic::error(format!(
                                "parameter `{name}` holds `{t}`, which is not {}",
                                crate::diag::indefinite(domain.name())
                            ))
                            .at(fid, span, "compared here")
                            .help(help),
                        );
                        return None;
                    }
                }
                Some(use_site)
            }
            _ => Some(use_site),
        }
    }

    fn comprehension(&mut self, file: usize, c: &ast::Comprehension, span: Span) -> Typed {
        let (list, list_ty) = self.expr(file, &c.list)?;
        let Some(elem) = list_ty.element() else {
            let d = self.error(
                file,
                c.list.span,
                format!(
                    "`{}` needs a list, but this is {}",
                    c.quantifier.as_str(),
                    list_ty.describe()
                ),
                "not a list",
            );
            self.push(d);
            return None;
        };
        let slot = self.vars.len() as Slot;
        self.vars.push((c.var.node.clone(), elem.clone()));
        self.max_slots = self.max_slots.max(self.vars.len());
        let result = self.comprehension_body(file, c, elem);
        self.vars.pop();
        let (filter, body, ty) = result?;
        let node = Node::Quant {
            quantifier: c.quantifier,
            slot,
            list,
            filter,
            body,
        };
        let node = self.add(node, file, span);
        Some((
            self.typed_sum(c.quantifier == Quantifier::Sum, node, &ty, file, span),
            ty,
        ))
    }

    /// The sum of no percentages is `0 %`, not a bare zero: add `0 %` to a
    /// sum of percentages so that it is shown and compared as one.
    fn typed_sum(&mut self, is_sum: bool, node: NodeId, ty: &Type, file: usize, span: Span) -> NodeId {
        if !is_sum || *ty != Type::Percent {
            return node;
        }
        let zero = self.add(Node::Const(Const::Pct(rust_decimal::Decimal::ZERO)), file, span);
        self.add(Node::Arith(ArithOp::Add, node, zero), file, span)
    }

    fn comprehension_body(
        &mut self,
        file: usize,
        c: &ast::Comprehension,
        elem: Type,
    ) -> Option<(Option<NodeId>, Option<NodeId>, Type)> {
        let filter = match &c.filter {
            Some(f) => Some(self.condition(file, f, "`where`")?),
            None => None,
        };
        let q = c.quantifier;
        let (body, ty) = match (q, &c.body) {
            (Quantifier::All | Quantifier::Any | Quantifier::None, Some(b)) => {
                (Some(self.condition(file, b, "the condition after `:`")?), Type::Bool)
            }
            (Quantifier::All | Quantifier::Any | Quantifier::None, None) => {
                let d = self
                    .error(
                        file,
                        c.var.span,
                        format!("`{}` needs a condition after `:`", q.as_str()),
                        "here",
                    )
                    .help(format!(
                        "e.g. `{}({} in list: {}.field == \"x\")`",
                        q.as_str(),
                        c.var.node,
                        c.var.node
                    ));
                self.push(d);
                return None;
            }
            (Quantifier::Count, None) => (None, Type::Number),
            (Quantifier::Count, Some(b)) => {
                let d = self
                    .error(
                        file,
                        b.span,
                        "`count` counts the elements that pass `where`; it takes no `:` part",
                        "here",
                    )
                    .help(format!("write `count({} in list where <condition>)`", c.var.node));
                self.push(d);
                return None;
            }
            (Quantifier::Sum | Quantifier::Min | Quantifier::Max, body) => {
                let (node, ty) = match body {
                    Some(b) => {
                        let (n, t) = self.expr(file, b)?;
                        (Some(n), t)
                    }
                    None => (None, elem),
                };
                let fits = if q == Quantifier::Sum {
                    ty.is_numeric()
                } else {
                    ty.is_ordered()
                };
                if !fits {
                    let d = self.error(
                        file,
                        c.var.span,
                        format!("cannot take the {} of {}", q.as_str(), plural(&ty)),
                        "here",
                    );
                    self.push(d);
                    return None;
                }
                (node, ty)
            }
        };
        Some((filter, body, ty))
    }

    fn call(&mut self, file: usize, name: &Spanned<String>, args: &[Expr], span: Span) -> Typed {
        if self.context == Context::Window && AGGREGATES.contains(&name.node.as_str()) {
            return self.aggregate(file, name, args, span);
        }
        let builtin = match name.node.as_str() {
            "count" => Builtin::Count,
            "sum" => Builtin::Sum,
            "min" => Builtin::Min,
            "max" => Builtin::Max,
            "lower" => Builtin::Lower,
            "upper" => Builtin::Upper,
            "trim" => Builtin::Trim,
            "prefix" => Builtin::Prefix,
            "digits" => Builtin::Digits,
            "normalize_id" => Builtin::NormalizeId,
            "normalize_name" => Builtin::NormalizeName,
            "year" => Builtin::Year,
            "quarter" => Builtin::Quarter,
            "month" => Builtin::Month,
            other => {
                let help = did_you_mean(other, BUILTINS.iter().copied())
                    .unwrap_or_else(|| format!("the functions are: {}", BUILTINS.join(", ")));
                let d = self
                    .error(file, name.span, format!("unknown function `{other}`"), "not a function")
                    .help(help);
                self.push(d);
                return None;
            }
        };
        let mut typed = Vec::with_capacity(args.len());
        for a in args {
            typed.push(self.expr(file, a)?);
        }
        let types: Vec<&Type> = typed.iter().map(|(_, t)| t).collect();
        let result = match (builtin, types.as_slice()) {
            (Builtin::Count, [t]) if t.element().is_some() => Some(Type::Number),
            (Builtin::Sum, [t]) => t.element().filter(Type::is_numeric),
            (Builtin::Min | Builtin::Max, [t]) => t.element().filter(Type::is_ordered),
            (
                Builtin::Lower
                | Builtin::Upper
                | Builtin::Trim
                | Builtin::Digits
                | Builtin::NormalizeId
                | Builtin::NormalizeName,
                [t],
            ) if t.is_textual() => Some(Type::Text),
            (Builtin::Prefix, [t, Type::Number]) if t.is_textual() => Some(Type::Text),
            (Builtin::Year, [Type::Date]) => Some(Type::Number),
            (Builtin::Quarter | Builtin::Month, [Type::Date]) => Some(Type::Text),
            _ => None,
        };
        let Some(ty) = result else {
            let signature = match builtin {
                Builtin::Count => "count(list)",
                Builtin::Sum => "sum(list of numbers, amounts or percentages)",
                Builtin::Min | Builtin::Max => "min(list) / max(list) of numbers, amounts, percentages or dates",
                Builtin::Prefix => "prefix(text, number of characters)",
                Builtin::Year | Builtin::Quarter | Builtin::Month => "year(date), quarter(date), month(date)",
                _ => "lower(text), upper(text), trim(text), digits(text), normalize_id(text), normalize_name(text)",
            };
            let got: Vec<String> = types.iter().map(|t| t.describe()).collect();
            let d = self
                .error(
                    file,
                    span,
                    format!(
                        "`{}` cannot take {}",
                        name.node,
                        if got.is_empty() {
                            "no arguments".into()
                        } else {
                            got.join(", ")
                        }
                    ),
                    "here",
                )
                .help(format!("it is used as {signature}"));
            self.push(d);
            return None;
        };
        let nodes: Box<[NodeId]> = typed.iter().map(|(n, _)| *n).collect();
        let node = self.add(Node::Call(builtin, nodes), file, span);
        Some((self.typed_sum(builtin == Builtin::Sum, node, &ty, file, span), ty))
    }

    fn aggregate(&mut self, file: usize, name: &Spanned<String>, args: &[Expr], span: Span) -> Typed {
        let kind = match name.node.as_str() {
            "sum" => AggKind::Sum,
            "count" => AggKind::Count,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "distinct" => AggKind::Distinct,
            "all" => AggKind::All,
            "any" => AggKind::Any,
            _ => AggKind::None,
        };
        let (arg, ty) = match (kind, args) {
            (AggKind::Count, []) => (None, Type::Number),
            (AggKind::Count, _) => {
                let d = self
                    .error(
                        file,
                        span,
                        "`count()` counts the members of the window and takes no argument",
                        "here",
                    )
                    .help("to count members with a property, narrow them with `where` after `across records`");
                self.push(d);
                return None;
            }
            (_, [e]) => {
                self.context = Context::Record;
                let member = self.expr(file, e);
                self.context = Context::Window;
                let (node, ety) = member?;
                let ty = match kind {
                    AggKind::Sum if ety.is_numeric() => ety.clone(),
                    AggKind::Min | AggKind::Max if ety.is_ordered() => ety.clone(),
                    AggKind::Distinct if matches!(ety, Type::Text | Type::Code(_) | Type::Number | Type::Date) => {
                        Type::Number
                    }
                    AggKind::All | AggKind::Any | AggKind::None if ety == Type::Bool => Type::Bool,
                    _ => {
                        let d = self.error(
                            file,
                            e.span,
                            format!("cannot take `{}` of {}", name.node, plural(&ety)),
                            "here",
                        );
                        self.push(d);
                        return None;
                    }
                };
                let state = self.window.as_mut()?;
                let index = match state.member_values.iter().position(|(x, _, _)| x == e) {
                    Some(i) => i,
                    None => {
                        state.member_values.push((e.clone(), node, ety));
                        state.member_values.len() - 1
                    }
                };
                (Some(index), ty)
            }
            _ => {
                let d = self.error(file, span, format!("`{}` takes one argument", name.node), "here");
                self.push(d);
                return None;
            }
        };
        let state = self.window.as_mut()?;
        state.aggregates.push(AggregatePlan { kind, arg });
        let index = (state.aggregates.len() - 1) as u16;
        Some((self.add(Node::Aggregate(index), file, span), ty))
    }
}

fn unify(a: Type, b: Type) -> Type {
    match (a, b) {
        (Type::Money(x), Type::Money(y)) if x == y => Type::Money(x),
        (Type::Money(_), Type::Money(_)) => Type::Money(None),
        (Type::Code(d), Type::Text) | (Type::Text, Type::Code(d)) => {
            let _ = d;
            Type::Text
        }
        (Type::EmptyList, t) | (t, Type::EmptyList) => t,
        (a, _) => a,
    }
}

fn arith_type(op: BinaryOp, a: &Type, b: &Type) -> Option<Type> {
    use Type::*;
    match (op, a, b) {
        (BinaryOp::Add | BinaryOp::Sub, Number, Number) => Some(Number),
        (BinaryOp::Add | BinaryOp::Sub, Money(x), Money(y)) => Some(Money(if x == y { *x } else { None })),
        (BinaryOp::Add | BinaryOp::Sub, Percent, Percent) => Some(Percent),
        (BinaryOp::Add | BinaryOp::Sub, Date, Duration) => Some(Date),
        (BinaryOp::Mul, Number, Number) => Some(Number),
        (BinaryOp::Mul, Money(c), Number | Percent) | (BinaryOp::Mul, Number | Percent, Money(c)) => Some(Money(*c)),
        (BinaryOp::Mul, Percent, Number) | (BinaryOp::Mul, Number, Percent) => Some(Percent),
        (BinaryOp::Div, Number, Number) => Some(Number),
        (BinaryOp::Div, Money(c), Number) => Some(Money(*c)),
        (BinaryOp::Div, Money(_), Money(_)) => Some(Number),
        (BinaryOp::Div, Percent, Number) => Some(Percent),
        _ => None,
    }
}

fn mismatch_hint(a: &Type, b: &Type) -> Option<String> {
    match (a, b) {
        (Type::Percent, Type::Number) | (Type::Number, Type::Percent) => {
            Some("weights are percentages: write the number with `%`, e.g. `30 %`".into())
        }
        (Type::Money(_), Type::Number) | (Type::Number, Type::Money(_)) => {
            Some("write the amount with its currency, e.g. `1 300 000 NOK`".into())
        }
        (Type::Date, Type::Text) | (Type::Text, Type::Date) => {
            Some("dates are written without quotes: `2024-01-01`".into())
        }
        (Type::Bool, Type::Text) | (Type::Text, Type::Bool) => {
            Some("`true` and `false` are written without quotes".into())
        }
        _ => None,
    }
}

fn example_of(t: &Type) -> String {
    let e = match t {
        Type::Money(Some(c)) => format!("\"5 000 000 {c}\""),
        Type::Money(None) => "\"5 000 000 NOK\"".into(),
        Type::Percent => "\"30 %\"".into(),
        Type::Date => "2024-01-01".into(),
        Type::Duration => "\"12 months\"".into(),
        Type::Number => "3".into(),
        Type::Bool => "true".into(),
        Type::Text | Type::Code(_) => "'\"text\"' (with the quotes)".into(),
        Type::List(_) | Type::EmptyList => "'[\"a\", \"b\"]'".into(),
        Type::Item(_) => "…".into(),
    };
    format!("give {}, e.g. --set name={e}", t.describe())
}

fn duration(n: u32, unit: ast::DurationUnit) -> Duration {
    match unit {
        ast::DurationUnit::Day => Duration::Days(n),
        ast::DurationUnit::Week => Duration::Days(n.saturating_mul(7)),
        ast::DurationUnit::Month => Duration::Months(n),
        ast::DurationUnit::Quarter => Duration::Months(n.saturating_mul(3)),
        ast::DurationUnit::Year => Duration::Months(n.saturating_mul(12)),
    }
}

/// For each byte of a text literal's value, its offset in the literal as
/// written (`raw`, quotes included): escapes make the two differ.
fn source_offsets(raw: &str) -> Vec<usize> {
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' && chars.peek().is_none() {
            break;
        }
        if c == '\\' {
            chars.next();
            out.push(i);
            continue;
        }
        out.extend(std::iter::repeat_n(i, c.len_utf8()));
    }
    out
}

/// Move every span in `e` by `by` bytes.
fn shift(e: &mut Expr, by: usize) {
    e.span = Span::new(e.span.start + by, e.span.end + by);
    match &mut e.kind {
        ExprKind::Lit(_) | ExprKind::Path(_) => {}
        ExprKind::List(items) => items.iter_mut().for_each(|i| shift(i, by)),
        ExprKind::Paren(i) | ExprKind::Unary(_, i) => shift(i, by),
        ExprKind::Binary(_, a, b) => {
            shift(a, by);
            shift(b, by);
        }
        ExprKind::If(c, a, b) => {
            shift(c, by);
            shift(a, by);
            shift(b, by);
        }
        ExprKind::Comprehension(c) => {
            c.var.span = Span::new(c.var.span.start + by, c.var.span.end + by);
            shift(&mut c.list, by);
            if let Some(f) = &mut c.filter {
                shift(f, by);
            }
            if let Some(b) = &mut c.body {
                shift(b, by);
            }
        }
        ExprKind::Call(name, args) => {
            name.span = Span::new(name.span.start + by, name.span.end + by);
            args.iter_mut().for_each(|a| shift(a, by));
        }
    }
}
