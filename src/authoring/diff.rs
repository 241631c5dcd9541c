//! `anskaff diff`: what changes between two versions of a policy — its
//! header and in-force dates, its parameters, `let`s and rules — and, given
//! records, which records come out differently, so that a council can see
//! what a revision means on last year's procurements before adopting it.
//!
//! Policies are matched by id, rules by id, parameters and `let`s by policy
//! and name; conditions are compared as `fmt` writes them, so a change of
//! layout is no change.

use super::fmt::{expr_text, param_value_text, quote};
use crate::api::Policies;
use crate::input::InputSpec;
use crate::load::LoadedFile;
use crate::syntax::ast::{self, Header, InForce, Item, Lang, Rule, Translations};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Diff {
    pub policies: Vec<Change>,
    pub parameters: Vec<Change>,
    pub lets: Vec<Change>,
    pub areas: Vec<Change>,
    /// Fields the policies declare, with their types.
    pub fields: Vec<Change>,
    pub rules: Vec<RuleChange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<RecordsDiff>,
}

/// Something added (`old` absent), removed (`new` absent) or changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    /// What changed: a name, or a policy's id and the entry.
    pub name: String,
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleChange {
    pub rule: String,
    pub policy: String,
    /// `added`, `removed` or `changed`.
    pub change: &'static str,
    pub severity: String,
    pub title: String,
    /// For a changed rule, each entry that changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Change>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordsDiff {
    pub read: usize,
    pub changed: Vec<RecordChange>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RecordChange {
    pub record: String,
    pub old_status: &'static str,
    pub new_status: &'static str,
    /// Rule id, outcome before, outcome after (`-` where the rule is not in
    /// that version; with the severity when only that changed).
    pub rules: Vec<(String, String, String)>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
            && self.parameters.is_empty()
            && self.lets.is_empty()
            && self.areas.is_empty()
            && self.fields.is_empty()
            && self.rules.is_empty()
            && self.records.as_ref().is_none_or(|r| r.changed.is_empty())
    }
}

/// One side of a diff: the syntax of every file, and the compiled plan.
struct Side {
    files: Vec<LoadedFile>,
    policies: Policies,
}

fn load(paths: &[PathBuf]) -> Result<Side, String> {
    let loaded = crate::load::load(paths).map_err(|(d, s)| crate::diag::render_all(&d, &s))?;
    let policies = Policies::load(paths, &[]).map_err(|e| e.0)?;
    Ok(Side {
        files: loaded.files,
        policies,
    })
}

/// Compare the policies at `old` with those at `new` (each with what it
/// imports), and the outcomes of both on `records` if any are given.
/// A side that does not load gives its diagnostics, rendered.
pub fn diff(old: &[PathBuf], new: &[PathBuf], records: &[InputSpec], lang: Lang) -> Result<Diff, String> {
    let old = load(old)?;
    let new = load(new)?;
    let mut d = Diff {
        policies: Vec::new(),
        parameters: Vec::new(),
        lets: Vec::new(),
        areas: Vec::new(),
        fields: Vec::new(),
        rules: Vec::new(),
        records: None,
    };
    let (ho, hn) = (headers(&old.files), headers(&new.files));
    compare(&ho, &hn, &mut d.policies);
    let kinds: [(EntryOf, &mut Vec<Change>); 4] = [
        (param_entry, &mut d.parameters),
        (let_entry, &mut d.lets),
        (area_entry, &mut d.areas),
        (field_entry, &mut d.fields),
    ];
    for (entry, out) in kinds {
        compare(&items(&old.files, entry), &items(&new.files, entry), out);
    }
    d.rules = rule_changes(&old.files, &new.files);
    if !records.is_empty() {
        d.records = Some(record_changes(&old.policies, &new.policies, records, lang)?);
    }
    Ok(d)
}

type Entries = BTreeMap<(String, String), String>;

/// Added, removed and changed entries of two maps keyed by (policy, name).
fn compare(old: &Entries, new: &Entries, out: &mut Vec<Change>) {
    for ((policy, name), v) in old {
        match new.get(&(policy.clone(), name.clone())) {
            Some(w) if w == v => {}
            other => {
                out.push(Change {
                    name: name.clone(),
                    policy: policy.clone(),
                    old: Some(v.clone()),
                    new: other.cloned(),
                });
            }
        }
    }
    for ((policy, name), v) in new {
        if !old.contains_key(&(policy.clone(), name.clone())) {
            out.push(Change {
                name: name.clone(),
                policy: policy.clone(),
                old: None,
                new: Some(v.clone()),
            });
        }
    }
}

fn translations_text(t: &Translations) -> String {
    t.texts
        .iter()
        .map(|(l, s)| format!("{} {}", l.code(), quote(&s.node)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn in_force_text(f: Option<&InForce>) -> String {
    match f {
        None => "always".into(),
        Some(f) => {
            let mut s = String::new();
            if let Some(d) = &f.from {
                s.push_str(&format!("from {}", d.node));
            }
            if let Some(d) = &f.to {
                if !s.is_empty() {
                    s.push(' ');
                }
                s.push_str(&format!("to {}", d.node));
            }
            s
        }
    }
}

/// Each policy's header entries: (policy id, entry) → text.
fn headers(files: &[LoadedFile]) -> Entries {
    let mut out = Entries::new();
    for f in files {
        let h: &Header = &f.ast.header;
        let id = h.id.node.clone();
        let mut put = |entry: &str, text: String| {
            out.insert((id.clone(), entry.to_string()), text);
        };
        put("policy", format!("policy {id}"));
        if let Some(v) = &h.version {
            put("version", quote(&v.node));
        }
        put("title", translations_text(&h.title));
        put("in force", in_force_text(h.in_force.as_ref()));
        if let Some(w) = &h.applies {
            put("when", expr_text(w));
        }
        if let Some(a) = &h.authority {
            put("authority", quote(&a.node));
        }
        if let Some(s) = &h.source {
            put("source", quote(&s.node));
        }
    }
    out
}

/// An item's name and text, for the items of one kind.
type EntryOf = fn(&Item) -> Option<(String, String)>;

fn items(files: &[LoadedFile], entry: EntryOf) -> Entries {
    let mut out = Entries::new();
    for f in files {
        for item in &f.ast.items {
            if let Some((name, text)) = entry(item) {
                out.insert((f.ast.header.id.node.clone(), name), text);
            }
        }
    }
    out
}

fn param_entry(item: &Item) -> Option<(String, String)> {
    match item {
        Item::Param(p) => Some((p.name.node.clone(), param_value_text(&p.value))),
        _ => None,
    }
}

fn let_entry(item: &Item) -> Option<(String, String)> {
    match item {
        Item::Let(l) => Some((l.name.node.clone(), expr_text(&l.value))),
        _ => None,
    }
}

fn field_entry(item: &Item) -> Option<(String, String)> {
    match item {
        Item::Field(f) => {
            let list = if f.list { "list of " } else { "" };
            Some((f.path.node.clone(), format!("{list}{}", f.ty.node)))
        }
        _ => None,
    }
}

fn area_entry(item: &Item) -> Option<(String, String)> {
    match item {
        Item::Area(a) => Some((a.id.node.clone(), translations_text(&a.title))),
        _ => None,
    }
}

/// A rule's entries as text, in the order of the language reference.
fn rule_parts(r: &Rule) -> Vec<(&'static str, String)> {
    let mut parts = vec![
        ("title", translations_text(&r.title)),
        ("area", r.area.as_ref().map(|a| a.node.clone()).unwrap_or_default()),
        (
            "severity",
            r.severity
                .as_ref()
                .map(|s| s.node.as_str().to_string())
                .unwrap_or_default(),
        ),
        ("basis", r.basis.as_ref().map(|b| quote(&b.node)).unwrap_or_default()),
        ("in force", in_force_text(r.in_force.as_ref())),
        ("when", r.applies.as_ref().map(expr_text).unwrap_or_default()),
        ("require", r.require.as_ref().map(expr_text).unwrap_or_default()),
        ("across records", r.across.as_ref().map(across_text).unwrap_or_default()),
    ];
    for kind in [
        ast::MessageKind::Fail,
        ast::MessageKind::Pass,
        ast::MessageKind::Unknown,
    ] {
        let name = match kind {
            ast::MessageKind::Fail => "message",
            ast::MessageKind::Pass => "message pass",
            ast::MessageKind::Unknown => "message unknown",
        };
        let text = r
            .messages
            .iter()
            .find(|m| m.kind == kind)
            .map(|m| translations_text(&m.text));
        parts.push((name, text.unwrap_or_default()));
    }
    parts.push(("advice", translations_text(&r.advice)));
    parts
}

fn across_text(a: &ast::Across) -> String {
    let mut s = String::new();
    if let Some(f) = &a.filter {
        s.push_str(&format!("where {} ", expr_text(f)));
    }
    let keys: Vec<String> = a.group_by.iter().map(expr_text).collect();
    s.push_str(&format!("group by {}", keys.join(", ")));
    match &a.window {
        Some(ast::Window::Rolling(e)) => s.push_str(&format!(" within rolling {}", expr_text(e))),
        Some(ast::Window::Calendar(u)) => {
            let unit = match u.node {
                ast::CalendarUnit::Year => "year",
                ast::CalendarUnit::Quarter => "quarter",
                ast::CalendarUnit::Month => "month",
            };
            s.push_str(&format!(" within calendar {unit}"));
        }
        None => {}
    }
    s.push_str(&format!(" flag when {}", expr_text(&a.flag_when)));
    s
}

fn rules_of(files: &[LoadedFile]) -> BTreeMap<String, (String, &Rule)> {
    let mut out = BTreeMap::new();
    for f in files {
        for item in &f.ast.items {
            if let Item::Rule(r) = item {
                out.insert(r.id.node.clone(), (f.ast.header.id.node.clone(), r.as_ref()));
            }
        }
    }
    out
}

fn rule_changes(old: &[LoadedFile], new: &[LoadedFile]) -> Vec<RuleChange> {
    let (old, new) = (rules_of(old), rules_of(new));
    let summary = |policy: &str, r: &Rule, change: &'static str, parts: Vec<Change>| RuleChange {
        rule: r.id.node.clone(),
        policy: policy.to_string(),
        change,
        severity: r
            .severity
            .as_ref()
            .map(|s| s.node.as_str().to_string())
            .unwrap_or_default(),
        title: r.title.get(Lang::En).unwrap_or("").to_string(),
        parts,
    };
    let mut out = Vec::new();
    for (id, (policy, r)) in &old {
        match new.get(id) {
            None => out.push(summary(policy, r, "removed", Vec::new())),
            Some((new_policy, n)) if r != n || policy != new_policy => {
                let mut parts = Vec::new();
                if policy != new_policy {
                    parts.push(Change {
                        name: "policy".into(),
                        policy: new_policy.clone(),
                        old: Some(policy.clone()),
                        new: Some(new_policy.clone()),
                    });
                }
                for ((name, a), (_, b)) in rule_parts(r).into_iter().zip(rule_parts(n)) {
                    if a != b {
                        let some = |s: String| (!s.is_empty()).then_some(s);
                        parts.push(Change {
                            name: name.to_string(),
                            policy: new_policy.clone(),
                            old: some(a),
                            new: some(b),
                        });
                    }
                }
                out.push(summary(new_policy, n, "changed", parts));
            }
            Some(_) => {}
        }
    }
    for (id, (policy, r)) in &new {
        if !old.contains_key(id) {
            out.push(summary(policy, r, "added", Vec::new()));
        }
    }
    out
}

fn record_changes(old: &Policies, new: &Policies, inputs: &[InputSpec], lang: Lang) -> Result<RecordsDiff, String> {
    let a = old
        .check(inputs, lang)
        .map_err(|e| format!("error: cannot read the records: {e}\n"))?;
    let b = new
        .check(inputs, lang)
        .map_err(|e| format!("error: cannot read the records: {e}\n"))?;
    let mut changed = Vec::new();
    for (ra, rb) in a.records.iter().zip(&b.records) {
        let outcomes =
            |p: &Policies, r: &crate::finding::Evaluated| -> BTreeMap<String, (&'static str, &'static str)> {
                r.findings
                    .iter()
                    .map(|f| {
                        let rule = &p.plan.rules[f.rule as usize];
                        (rule.id.clone(), (f.outcome.as_str(), rule.severity.as_str()))
                    })
                    .collect()
            };
        let (oa, ob) = (outcomes(old, ra), outcomes(new, rb));
        let mut ids: Vec<&String> = oa.keys().chain(ob.keys()).collect();
        ids.sort();
        ids.dedup();
        let rules: Vec<(String, String, String)> = ids
            .into_iter()
            .filter_map(|id| {
                let (x, sx) = oa.get(id).copied().unwrap_or(("-", ""));
                let (y, sy) = ob.get(id).copied().unwrap_or(("-", ""));
                // A rule that is not there applies to nothing.
                let same = x == y || matches!((x, y), ("-", "not_applicable") | ("not_applicable", "-"));
                // The same failure counts differently when the severity changed.
                let weighs = x == y && sx != sy && matches!(x, "fail" | "unknown");
                if weighs {
                    Some((id.clone(), format!("{x} [{sx}]"), format!("{y} [{sy}]")))
                } else {
                    (!same).then(|| (id.clone(), x.to_string(), y.to_string()))
                }
            })
            .collect();
        if !rules.is_empty() || ra.status != rb.status {
            changed.push(RecordChange {
                record: rb.id.clone(),
                old_status: ra.status.as_str(),
                new_status: rb.status.as_str(),
                rules,
            });
        }
    }
    Ok(RecordsDiff {
        read: b.records.len(),
        changed,
    })
}

// ------------------------------------------------------------------ text

/// The diff as text for a terminal.
pub fn render_text(d: &Diff) -> String {
    let mut out = String::new();
    let change = |c: &Change, out: &mut String| {
        let line = match (&c.old, &c.new) {
            (Some(o), Some(n)) if o.chars().count() + n.chars().count() < 60 => {
                format!("  ~ {} ({}): {o} → {n}\n", c.name, c.policy)
            }
            (Some(o), Some(n)) => format!("  ~ {} ({}): {o}\n      → {n}\n", c.name, c.policy),
            (None, Some(n)) => format!("  + {} ({}): {n}\n", c.name, c.policy),
            (Some(o), None) => format!("  - {} ({}): {o}\n", c.name, c.policy),
            (None, None) => String::new(),
        };
        out.push_str(&line);
    };
    let sections: [(&str, &Vec<Change>); 5] = [
        ("Policies", &d.policies),
        ("Parameters", &d.parameters),
        ("Lets", &d.lets),
        ("Areas", &d.areas),
        ("Fields", &d.fields),
    ];
    for (title, changes) in sections {
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("{title}\n"));
        for c in changes {
            change(c, &mut out);
        }
        out.push('\n');
    }
    if !d.rules.is_empty() {
        out.push_str("Rules\n");
        for r in &d.rules {
            let mark = match r.change {
                "added" => '+',
                "removed" => '-',
                _ => '~',
            };
            out.push_str(&format!(
                "  {mark} {} [{}] {} ({})\n",
                r.rule, r.severity, r.title, r.policy
            ));
            for p in &r.parts {
                let o = p.old.as_deref().unwrap_or("(none)");
                let n = p.new.as_deref().unwrap_or("(none)");
                if o.chars().count() + n.chars().count() < 60 {
                    out.push_str(&format!("      {}: {o} → {n}\n", p.name));
                } else {
                    out.push_str(&format!("      {}: {o}\n        → {n}\n", p.name));
                }
            }
        }
        out.push('\n');
    }
    if let Some(r) = &d.records {
        out.push_str(&format!(
            "Records: {} read, {} change outcome\n",
            r.read,
            r.changed.len()
        ));
        for c in &r.changed {
            if c.old_status == c.new_status {
                out.push_str(&format!("  {}: {}\n", c.record, c.new_status));
            } else {
                out.push_str(&format!("  {}: {} → {}\n", c.record, c.old_status, c.new_status));
            }
            for (rule, a, b) in &c.rules {
                out.push_str(&format!("      {rule}: {a} → {b}\n"));
            }
        }
        out.push('\n');
    }
    if d.is_empty() {
        out.push_str("no changes\n");
    }
    out
}
