//! `anskaff validate`: every check that needs no records.
//!
//! The errors are those that keep a policy from loading (syntax, imports,
//! names, types, the record schema, enumerated values, duplicate ids, empty
//! in-force periods, `--set` values of the wrong kind), found by the loader
//! and the checker as for any command. The warnings are for policies that
//! load but are probably not what their author meant: parameters and
//! `let`s nothing uses, conditions that can never hold or always hold, a
//! message that shows a field the rule does not read, a `must` rule without
//! its basis.

use super::interval::{self, Verdict};
use crate::diag::{Diagnostic, FileId, Level, SourceMap};
use crate::load::LoadedFile;
use crate::plan::{NodeId, Piece, Plan, RuleKind, Template};
use crate::syntax::ast::{self, Expr, ExprKind, Item, PathStep, Severity};
use serde::Serialize;
use std::collections::HashSet;
use std::path::PathBuf;

/// The diagnostics of a validation, and the sources they point into.
pub struct Validation {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: SourceMap,
}

/// Validate the policies at `paths` (and what they import), with parameter
/// overrides `name=value`.
pub fn validate(paths: &[PathBuf], overrides: &[(String, String)]) -> Validation {
    let loaded = match crate::load::load(paths) {
        Ok(l) => l,
        Err((diagnostics, sources)) => return Validation { diagnostics, sources },
    };
    let mut lints = Vec::new();
    unused_names(&loaded.files, &mut lints);
    must_without_basis(&loaded.files, &mut lints);
    let (mut diagnostics, sources) = match crate::check::compile(loaded, overrides) {
        Ok((plan, warnings)) => {
            constant_conditions(&plan, &mut lints);
            scopes_that_never_meet(&plan, &mut lints);
            messages_reading_more(&plan, &mut lints);
            (warnings, plan.sources)
        }
        Err((errors, sources)) => (errors, sources),
    };
    diagnostics.extend(lints);
    // Errors first, then warnings, each in the order of the files.
    diagnostics.sort_by_key(|d| {
        let at = d.primary.as_ref().map_or((usize::MAX, 0), |p| (p.file, p.span.start));
        (std::cmp::Reverse(d.level), at)
    });
    diagnostics.dedup();
    Validation { diagnostics, sources }
}

impl Validation {
    pub fn errors(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.level == Level::Error).count()
    }

    pub fn warnings(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.level == Level::Warning).count()
    }

    /// The diagnostics as a terminal shows them, and a closing count.
    pub fn render_text(&self) -> String {
        let mut out = crate::diag::render_all(&self.diagnostics, &self.sources);
        let (e, w) = (self.errors(), self.warnings());
        if e == 0 && w == 0 {
            out.push_str("no errors, no warnings\n");
        } else {
            out.push_str(&format!(
                "{e} error{}, {w} warning{}\n",
                if e == 1 { "" } else { "s" },
                if w == 1 { "" } else { "s" }
            ));
        }
        out
    }

    /// The diagnostics as JSON for editors and pipelines.
    pub fn to_json(&self) -> serde_json::Value {
        let items: Vec<JsonDiagnostic> = self
            .diagnostics
            .iter()
            .map(|d| JsonDiagnostic::of(d, &self.sources))
            .collect();
        serde_json::json!({
            "errors": self.errors(),
            "warnings": self.warnings(),
            "diagnostics": items,
        })
    }
}

#[derive(Serialize)]
struct JsonDiagnostic {
    level: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

impl JsonDiagnostic {
    fn of(d: &Diagnostic, sources: &SourceMap) -> Self {
        let primary = d.primary.as_deref();
        let start = primary.map(|p| sources.line_col(p.file, p.span.start));
        let end = primary.map(|p| sources.line_col(p.file, p.span.end));
        JsonDiagnostic {
            level: match d.level {
                Level::Error => "error",
                Level::Warning => "warning",
            },
            message: d.message.clone(),
            file: primary.map(|p| sources.name(p.file).to_string()),
            line: start.map(|s| s.0),
            column: start.map(|s| s.1),
            end_line: end.map(|e| e.0),
            end_column: end.map(|e| e.1),
            label: primary.map(|p| p.message.clone()),
            help: d.help.clone(),
            notes: d.notes.clone(),
        }
    }
}

// ------------------------------------------------------------------ unused names

/// Parameters and `let`s that no expression of the loaded policies names.
fn unused_names(files: &[LoadedFile], out: &mut Vec<Diagnostic>) {
    let mut used: HashSet<String> = HashSet::new();
    for f in files {
        let mut exprs: Vec<&Expr> = f.ast.header.applies.iter().collect();
        let mut texts: Vec<(&str, FileId)> = Vec::new();
        for item in &f.ast.items {
            match item {
                Item::Param(p) => match &p.value {
                    ast::ParamValue::Fixed(e) => exprs.push(e),
                    ast::ParamValue::ByDate(entries) => exprs.extend(entries.iter().map(|(_, e)| e)),
                },
                Item::Let(l) => exprs.push(&l.value),
                Item::Rule(r) => {
                    exprs.extend(r.applies.iter().chain(&r.require));
                    if let Some(a) = &r.across {
                        exprs.extend(a.filter.iter().chain(&a.group_by).chain([&a.flag_when]));
                        if let Some(ast::Window::Rolling(e)) = &a.window {
                            exprs.push(e);
                        }
                    }
                    for m in &r.messages {
                        texts.extend(m.text.texts.iter().map(|(_, s)| (s.node.as_str(), f.file)));
                    }
                }
                Item::Import(_) | Item::Area(_) | Item::Field(_) => {}
            }
        }
        for e in exprs {
            names_in(e, &mut used);
        }
        for (text, file) in texts {
            for placeholder in placeholders(text) {
                if let Ok(e) = crate::syntax::parse_value(placeholder, file) {
                    names_in(&e, &mut used);
                }
            }
        }
    }
    for f in files {
        for item in &f.ast.items {
            let (name, what) = match item {
                Item::Param(p) => (&p.name, "parameter"),
                Item::Let(l) => (&l.name, "`let`"),
                Item::Field(f) => (&f.path, "declared field"),
                _ => continue,
            };
            if !used.contains(&name.node) {
                out.push(
                    Diagnostic::warning(format!("{what} `{}` is not used", name.node))
                        .at(
                            f.file,
                            name.span,
                            "named by no rule, `let` or message of the loaded policies",
                        )
                        .help("remove it, or use it in a rule (a policy that imports this one may use it too)"),
                );
            }
        }
    }
}

/// The first names of the paths in `e`.
fn names_in(e: &Expr, used: &mut HashSet<String>) {
    match &e.kind {
        ExprKind::Path(p) => {
            if let Some(PathStep::Field(first)) = p.steps.first() {
                used.insert(first.clone());
            }
            // A declared field is named by its whole path.
            used.insert(p.display());
        }
        ExprKind::Lit(_) => {}
        ExprKind::List(items) => items.iter().for_each(|i| names_in(i, used)),
        ExprKind::Paren(i) | ExprKind::Unary(_, i) => names_in(i, used),
        ExprKind::Binary(_, a, b) => {
            names_in(a, used);
            names_in(b, used);
        }
        ExprKind::If(c, a, b) => {
            names_in(c, used);
            names_in(a, used);
            names_in(b, used);
        }
        ExprKind::Comprehension(c) => {
            names_in(&c.list, used);
            c.filter.iter().chain(&c.body).for_each(|x| names_in(x, used));
        }
        ExprKind::Call(_, args) => args.iter().for_each(|a| names_in(a, used)),
    }
}

/// The `{…}` placeholders of a message (`{{` and `}}` are braces).
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if rest[open + 1..].starts_with('{') {
            rest = &rest[open + 2..];
            continue;
        }
        let Some(close) = rest[open + 1..].find('}') else { break };
        out.push(&rest[open + 1..open + 1 + close]);
        rest = &rest[open + 1 + close + 1..];
    }
    out
}

// ------------------------------------------------------------------ basis

fn must_without_basis(files: &[LoadedFile], out: &mut Vec<Diagnostic>) {
    for f in files {
        for item in &f.ast.items {
            let Item::Rule(r) = item else { continue };
            if r.severity.as_ref().is_some_and(|s| s.node == Severity::Must) && r.basis.is_none() {
                out.push(
                    Diagnostic::warning(format!("rule `{}` is a `must` rule without a basis", r.id.node))
                        .at(f.file, r.id.span, "no `basis`")
                        .help("quote the law or strategy the rule enforces: `basis \"Anskaffelsesforskriften § 5-3\"`"),
                );
            }
        }
    }
}

// ------------------------------------------------------------------ conditions

/// Conditions (and parts of them) that never or always hold.
/// A rule for named authorities, in a policy for the members of
/// cooperations none of them ever belonged to: the rule never applies.
fn scopes_that_never_meet(plan: &Plan, out: &mut Vec<Diagnostic>) {
    use crate::plan::ScopeTarget;
    let reg = &plan.register;
    for rule in &plan.rules {
        let (Some(own), Some(policy)) = (&rule.scope, &plan.policies[rule.policy as usize].scope) else {
            continue;
        };
        let coops: Vec<_> = policy
            .targets
            .iter()
            .filter_map(|t| match t {
                ScopeTarget::Members(c) => Some(*c),
                _ => None,
            })
            .collect();
        let named: Vec<_> = own
            .targets
            .iter()
            .filter_map(|t| match t {
                ScopeTarget::Authority(a) => Some(*a),
                _ => None,
            })
            .collect();
        if coops.len() != policy.targets.len() || named.len() != own.targets.len() {
            continue;
        }
        let ever_member = |a| {
            coops.iter().any(|&c| {
                let c = reg.cooperation(c);
                !c.complete || c.members.iter().any(|m| m.authority == a)
            })
        };
        if named.iter().any(|&a| ever_member(a)) {
            continue;
        }
        let names = reg.names(&named, "or");
        out.push(
            Diagnostic::warning(format!(
                "rule `{}` is {}, but {names} never belonged to the cooperations its policy is for; the rule never applies",
                rule.id, own.text
            ))
            .at(rule.file, rule.span, "never applies")
            .help(format!(
                "add the membership to the register, or move the rule to a policy that is {}",
                own.text
            )),
        );
    }
}

fn constant_conditions(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let mut roots: Vec<(NodeId, &str)> = plan
        .policies
        .iter()
        .filter_map(|p| p.applies.map(|a| (a, "the policy's `when`")))
        .collect();
    for rule in &plan.rules {
        roots.extend(rule.applies.map(|a| (a, "`when`")));
        match &rule.kind {
            RuleKind::PerRecord { require } => roots.push((*require, "`require`")),
            RuleKind::Cross(c) => {
                roots.extend(c.filter.map(|f| (f, "`where`")));
                roots.push((c.flag, "`flag when`"));
            }
        }
    }
    for (root, what) in roots {
        for part in interval::constant_parts(plan, root) {
            let whole = part.node == root;
            let (message, label) = match (part.verdict, whole) {
                (Verdict::Never, true) => (format!("{what} can never hold"), "never holds"),
                (Verdict::Always, true) => (format!("{what} always holds"), "always holds"),
                (Verdict::Never, false) => (format!("this part of {what} can never hold"), "never holds"),
                (Verdict::Always, false) => (format!("this part of {what} always holds"), "always holds"),
            };
            let consequence = match (part.verdict, what) {
                (Verdict::Never, "`when`") => "; the rule never applies",
                (Verdict::Never, "`require`") => "; every record the rule applies to fails",
                (Verdict::Always, "`require`") => "; the rule can never fail",
                (Verdict::Always, "`when`") => "; the rule applies to every record",
                _ => "",
            };
            let help = match (&part.subject, part.verdict) {
                (Some(s), Verdict::Never) => {
                    format!("no value of `{s}` meets these comparisons; check the constants and the operators")
                }
                (Some(s), Verdict::Always) => {
                    format!(
                        "every value of `{s}` meets one of these comparisons; check the constants and the operators"
                    )
                }
                (None, _) => "check the constants and the operators".to_string(),
            };
            let (file, span) = plan.spans[part.node as usize];
            out.push(
                Diagnostic::warning(format!("{message}{consequence}"))
                    .at(file, span, label)
                    .note("as long as the fields it reads are given; a missing field makes it unknown")
                    .help(help),
            );
        }
    }
}

// ------------------------------------------------------------------ messages

/// A message placeholder that reads a field the rule's conditions do not:
/// on a record without it, the message shows `(missing)`.
fn messages_reading_more(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for rule in &plan.rules {
        let RuleKind::PerRecord { require } = &rule.kind else {
            continue;
        };
        let roots: Vec<NodeId> = rule.applies.into_iter().chain([*require]).collect();
        let read = crate::run::fields_below(plan, &roots);
        let templates: [(&Template, &str); 2] = [(&rule.fail, "fail"), (&rule.pass, "pass")];
        for (template, outcome) in templates {
            let mut seen = HashSet::new();
            for piece in template.nb.iter().chain(&template.en) {
                let Piece::Value(node) = piece else { continue };
                let shown = crate::run::fields_below(plan, &[*node]);
                let read_paths = plan.paths(read);
                let extra: Vec<&str> = plan
                    .paths(shown)
                    .into_iter()
                    .filter(|p| !read_paths.contains(p))
                    .collect();
                if extra.is_empty() || !seen.insert(plan.source_text(*node).to_string()) {
                    continue;
                }
                let (file, span) = plan.spans[*node as usize];
                let list = extra.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
                out.push(
                    Diagnostic::warning(format!(
                        "the {outcome} message of `{}` shows {list}, which the rule does not read",
                        rule.id
                    ))
                    .at(file, span, "may be missing when the rule decides")
                    .help("a record without it shows `(missing)` here; test the field in `when` or `require`, or write `{… otherwise \"…\"}`"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_skip_escaped_braces() {
        assert_eq!(
            placeholders("a {x} {{b}} {y otherwise \"z\"}"),
            vec!["x", "y otherwise \"z\""]
        );
    }
}
