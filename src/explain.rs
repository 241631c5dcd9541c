//! Why a rule came out as it did on one record: every condition with the
//! value it had, which part decided, the parameter values and in-force
//! dates that applied. `anskaff explain` shows this; `anskaff test` prints
//! it for a failing expectation.

use crate::engine::{Engine, Part};
use crate::eval::Traced;
use crate::finding::{Finding, Outcome};
use crate::plan::{Node, NodeId, ParamValue, Plan, RuleId, RuleKind};
use crate::record::Record;
use crate::syntax::ast::Lang;
use serde::Serialize;
use std::collections::HashMap;

/// One expression, the value it had, and the expressions it is made of.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Step {
    /// The expression as written in the policy.
    pub text: String,
    /// Its value; absent if it was never evaluated (a condition decided
    /// before reaching it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// `true`, `false` or `unknown`, for conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truth: Option<&'static str>,
    /// How often it was evaluated, when more than once (inside `all`, `any`…).
    #[serde(skip_serializing_if = "is_one")]
    pub times: usize,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Step>,
}

fn is_one(n: &usize) -> bool {
    *n <= 1
}

/// A parameter value the rule used, as of the record's date.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParamUse {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Explanation {
    pub record: String,
    pub rule: String,
    pub title: String,
    pub severity: &'static str,
    pub area: String,
    pub policy: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<String>,
    /// The in-force periods of the policy and the rule, and the record's date.
    pub in_force: String,
    pub outcome: &'static str,
    /// What decided the outcome, in words.
    pub decided_by: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub advice: Option<String>,
    /// Whose procurement the record is, for the policy's and the rule's
    /// `for`: the scope as written and why it holds or not.
    #[serde(rename = "for", skip_serializing_if = "Vec::is_empty")]
    pub scope_for: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies: Option<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<Step>,
    /// For a cross-record rule: whether the record takes part (`where`), its
    /// group keys and values.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taking_part: Vec<Step>,
    pub parameters: Vec<ParamUse>,
}

/// Explain rule `rid` on `record`. For a cross-record rule, `decided` is the
/// record's finding from a run over all the records (the window it was
/// judged in needs the others).
pub fn explain(plan: &Plan, record: &Record, rid: RuleId, lang: Lang, decided: Option<&Finding>) -> Explanation {
    let mut engine = Engine::new(plan, lang);
    engine.messages = true;
    let (part, trace) = engine.trace(record, rid);
    let rule = &plan.rules[rid as usize];
    let values = Values::of(&trace);
    let step = |root: NodeId| build(plan, root, &values, 0);
    let finding = match (part, decided) {
        (Part::Out(f), _) => f,
        (Part::Member(_), Some(f)) => f.clone(),
        (Part::Member(_), None) => Finding::new(
            rid,
            Outcome::Unknown,
            match lang {
                Lang::Nb => "Posten er med i kontrollen; utfallet avgjøres sammen med de andre postene".into(),
                Lang::En => "The record takes part; the outcome is decided together with the other records".into(),
            },
        ),
    };
    let policy = &plan.policies[rule.policy as usize];
    let date = record.date.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
    let period = |p: &crate::plan::Period| {
        if p.is_unbounded() {
            "always".to_string()
        } else {
            p.display()
        }
    };
    let in_force = format!(
        "policy {} in force {}; rule in force {}; record dated {date}",
        policy.id,
        period(&policy.in_force),
        period(&rule.in_force)
    );
    let (requirement, taking_part) = match &rule.kind {
        RuleKind::PerRecord { require } => (values.seen(*require).then(|| step(*require)), Vec::new()),
        RuleKind::Cross(c) => {
            let roots = c.filter.iter().chain(&c.keys).chain(&c.member_values);
            (None, roots.filter(|r| values.seen(**r)).map(|r| step(*r)).collect())
        }
    };
    let applies = rule.applies.filter(|a| values.seen(*a)).map(step);
    let scope = policy.applies.filter(|a| values.seen(*a)).map(step);
    let decided_by = decided_by(plan, rid, &finding, &values, lang);
    let who = crate::scope::RecordScope::of(plan, record, lang, true);
    let scope_for = who
        .iter()
        .flat_map(|w| {
            let policy_for = policy.scope.as_ref().zip(w.policy(rule.policy));
            let rule_for = rule.scope.as_ref().zip(w.rule(rid));
            policy_for.into_iter().chain(rule_for)
        })
        .map(|(plan_scope, d)| {
            let mark = match d.applies() {
                Some(true) => "✓",
                Some(false) => "✗",
                None => "?",
            };
            format!("{mark} {}: {}", plan_scope.text, d.why)
        })
        .collect();
    Explanation {
        record: record.id.clone().unwrap_or_default(),
        rule: rule.id.clone(),
        title: rule.title.get(lang).unwrap_or("").to_string(),
        severity: rule.severity.as_str(),
        area: plan.areas[rule.area as usize].id.clone(),
        policy: policy.id.clone(),
        basis: rule.basis.clone(),
        in_force,
        outcome: finding.outcome.as_str(),
        decided_by,
        message: finding.message.clone(),
        missing: finding.missing.clone(),
        problems: finding.problems.clone(),
        notes: finding.notes.clone(),
        advice: matches!(finding.outcome, Outcome::Fail | Outcome::Unknown)
            .then(|| rule.advice.get(lang).map(str::to_string))
            .flatten(),
        scope_for,
        scope,
        applies,
        requirement,
        taking_part,
        parameters: parameters(plan, rid, record, lang),
    }
}

/// The values a trace recorded, by node: the last value and how often.
struct Values<'t> {
    last: HashMap<NodeId, (&'t Traced, usize)>,
}

impl<'t> Values<'t> {
    fn of(trace: &'t [(NodeId, Traced)]) -> Self {
        let mut last: HashMap<NodeId, (&Traced, usize)> = HashMap::new();
        for (id, t) in trace {
            let e = last.entry(*id).or_insert((t, 0));
            e.0 = t;
            e.1 += 1;
        }
        Values { last }
    }

    fn seen(&self, id: NodeId) -> bool {
        self.last.contains_key(&id)
    }
}

fn truth_word(t: Option<Option<bool>>) -> Option<&'static str> {
    match t {
        Some(Some(true)) => Some("true"),
        Some(Some(false)) => Some("false"),
        Some(None) => Some("unknown"),
        None => None,
    }
}

fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The step for `id` and the expressions it is made of.
fn build(plan: &Plan, id: NodeId, values: &Values<'_>, depth: usize) -> Step {
    let seen = values.last.get(&id);
    // Fields, parameters and names hold values: a missing one is shown as
    // missing, not as an unknown condition.
    let is_value = matches!(
        plan.node(id),
        Node::Field(..)
            | Node::Extra(..)
            | Node::List(..)
            | Node::Project(..)
            | Node::VarField(..)
            | Node::Var(_)
            | Node::Param(_)
    );
    let shown = |t: &Traced| {
        if t.shown.is_empty() {
            "\"\"".to_string()
        } else {
            t.shown.clone()
        }
    };
    let mut step = Step {
        text: clean(plan.source_text(id)),
        value: seen.map(|(t, _)| shown(t)),
        truth: seen.and_then(|(t, _)| {
            if is_value && t.truth != Some(Some(true)) && t.truth != Some(Some(false)) {
                None
            } else {
                truth_word(t.truth)
            }
        }),
        times: seen.map_or(0, |(_, n)| *n),
        parts: Vec::new(),
    };
    // Deep trees are cut: the top is what explains.
    if depth > 12 {
        return step;
    }
    let children: Vec<NodeId> = match plan.node(id) {
        Node::And(c) | Node::Or(c) | Node::Call(_, c) => c.to_vec(),
        Node::Not(a) | Node::Neg(a) | Node::Test(_, a) | Node::Index(a, _) => vec![*a],
        Node::Cmp(_, a, b) | Node::Arith(_, a, b) | Node::StartsWith(a, b) | Node::Otherwise(a, b) => vec![*a, *b],
        Node::In { value, list, .. } => vec![*value, *list],
        Node::If(c, a, b) => vec![*c, *a, *b],
        Node::Quant { list, filter, body, .. } => std::iter::once(*list).chain(*filter).chain(*body).collect(),
        Node::Let(l) => vec![plan.lets[*l as usize]],
        _ => Vec::new(),
    };
    for child in children {
        let part = build(plan, child, values, depth + 1);
        // A `let`'s body is shown under its name; a constant needs no line
        // of its own when its text says it all.
        let constant = matches!(plan.node(child), Node::Const(_)) && part.value.as_deref() == Some(part.text.as_str());
        let repeats_parent = part.text == step.text && part.parts.is_empty();
        if !(constant || repeats_parent) {
            step.parts.push(part);
        }
    }
    step
}

fn decided_by(plan: &Plan, rid: RuleId, f: &Finding, values: &Values<'_>, lang: Lang) -> String {
    let rule = &plan.rules[rid as usize];
    let nb = lang == Lang::Nb;
    let text = |id: NodeId| clean(plan.source_text(id));
    let truth = |id: NodeId| values.last.get(&id).and_then(|(t, _)| t.truth);
    match f.outcome {
        Outcome::NotApplicable => f.message.clone(),
        Outcome::Waived => {
            if nb {
                format!("Et godkjent unntak gjelder: {}", f.message)
            } else {
                format!("An approved exemption applies: {}", f.message)
            }
        }
        outcome if rule.is_cross() => {
            let RuleKind::Cross(c) = &rule.kind else {
                return f.message.clone();
            };
            let flag = text(c.flag);
            match (outcome, nb) {
                (Outcome::Fail, false) => {
                    format!("A window holding the record meets `{flag}`: it is flagged with the others in it.")
                }
                (Outcome::Fail, true) => {
                    format!("Et vindu med posten oppfyller `{flag}`: den flagges sammen med de andre i vinduet.")
                }
                (Outcome::Pass, false) => format!("No window holding the record meets `{flag}`."),
                (Outcome::Pass, true) => format!("Ingen vinduer med posten oppfyller `{flag}`."),
                (_, false) => format!(
                    "Whether a window holding the record meets `{flag}` cannot be decided: {}",
                    f.message
                ),
                (_, true) => format!(
                    "Om et vindu med posten oppfyller `{flag}`, kan ikke avgjøres: {}",
                    f.message
                ),
            }
        }
        outcome => {
            let require = match &rule.kind {
                RuleKind::PerRecord { require } => Some(*require),
                RuleKind::Cross(c) => Some(c.flag),
            };
            let applies = rule.applies.map(|a| (text(a), truth(a)));
            let req = require.map(|r| (text(r), truth(r)));
            match (outcome, nb) {
                (Outcome::Pass, false) => match req {
                    Some((r, _)) => format!("The requirement `{r}` holds."),
                    None => "The rule is met.".into(),
                },
                (Outcome::Pass, true) => match req {
                    Some((r, _)) => format!("Kravet `{r}` er oppfylt."),
                    None => "Regelen er oppfylt.".into(),
                },
                (Outcome::Fail, false) => match (applies, req) {
                    (Some((a, _)), Some((r, _))) => {
                        format!("The rule applies (`{a}` holds) and its requirement `{r}` does not hold.")
                    }
                    (None, Some((r, _))) => format!("The requirement `{r}` does not hold."),
                    _ => f.message.clone(),
                },
                (Outcome::Fail, true) => match (applies, req) {
                    (Some((a, _)), Some((r, _))) => {
                        format!("Regelen gjelder (`{a}` er oppfylt), og kravet `{r}` er ikke oppfylt.")
                    }
                    (None, Some((r, _))) => format!("Kravet `{r}` er ikke oppfylt."),
                    _ => f.message.clone(),
                },
                (_, _) => {
                    let missing: Vec<String> = f.missing.iter().map(|m| format!("`{m}`")).collect();
                    let why = if missing.is_empty() {
                        f.problems.join("; ")
                    } else {
                        missing.join(", ")
                    };
                    let cond = match (applies, req) {
                        (Some((a, Some(None))), _) => Some(a),
                        (_, Some((r, _))) => Some(r),
                        _ => None,
                    };
                    match (nb, cond) {
                        (false, Some(c)) => format!("`{c}` cannot be decided: {why}."),
                        (true, Some(c)) => format!("`{c}` kan ikke avgjøres: {why}."),
                        (false, None) => format!("Cannot be decided: {why}."),
                        (true, None) => format!("Kan ikke avgjøres: {why}."),
                    }
                }
            }
        }
    }
}

/// The parameters the rule (and its policy's scope) names, as of the
/// record's date.
fn parameters(plan: &Plan, rid: RuleId, record: &Record, lang: Lang) -> Vec<ParamUse> {
    let rule = &plan.rules[rid as usize];
    let mut roots: Vec<NodeId> = rule.applies.into_iter().collect();
    match &rule.kind {
        RuleKind::PerRecord { require } => roots.push(*require),
        RuleKind::Cross(c) => {
            roots.extend(c.filter);
            roots.extend(c.keys.iter().copied());
            roots.extend(c.member_values.iter().copied());
            roots.push(c.flag);
        }
    }
    for t in [&rule.fail, &rule.pass, &rule.unknown] {
        for piece in t.nb.iter().chain(&t.en) {
            if let crate::plan::Piece::Value(n) = piece {
                roots.push(*n);
            }
        }
    }
    let mut params = Vec::new();
    let mut stack = roots;
    let mut seen = std::collections::HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        match plan.node(id) {
            Node::Param(p) => params.push(*p),
            Node::Let(l) => stack.push(plan.lets[*l as usize]),
            Node::And(c) | Node::Or(c) | Node::Call(_, c) => stack.extend(c.iter().copied()),
            Node::Not(a) | Node::Neg(a) | Node::Test(_, a) | Node::Index(a, _) => stack.push(*a),
            Node::Cmp(_, a, b) | Node::Arith(_, a, b) | Node::StartsWith(a, b) | Node::Otherwise(a, b) => {
                stack.extend([*a, *b])
            }
            Node::In { value, list, .. } => stack.extend([*value, *list]),
            Node::If(a, b, c) => stack.extend([*a, *b, *c]),
            Node::Quant { list, filter, body, .. } => {
                stack.push(*list);
                stack.extend(*filter);
                stack.extend(*body);
            }
            _ => {}
        }
    }
    params.sort_unstable();
    params.dedup();
    params
        .into_iter()
        .map(|p| {
            let info = &plan.params[p as usize];
            let value = match (&info.value, record.date) {
                (ParamValue::Fixed(c), _) => c.display(lang),
                (v @ ParamValue::ByDate(_), Some(d)) => match (v.at(Some(d)), lang) {
                    (Some(c), Lang::Nb) => format!("{} (verdien som gjaldt {d})", c.display(lang)),
                    (Some(c), Lang::En) => format!("{} (the value in force on {d})", c.display(lang)),
                    (None, Lang::Nb) => format!("ingen verdi gjaldt {d}"),
                    (None, Lang::En) => format!("no value in force on {d}"),
                },
                (ParamValue::ByDate(_), None) if lang == Lang::Nb => "avhenger av datoen; posten har ingen".into(),
                (ParamValue::ByDate(_), None) => "depends on the date; the record has none".into(),
            };
            let value = match (info.overridden, lang) {
                (true, Lang::Nb) => format!("{value} (satt med --set)"),
                (true, Lang::En) => format!("{value} (set with --set)"),
                (false, _) => value,
            };
            ParamUse {
                name: info.name.clone(),
                value,
            }
        })
        .collect()
}

/// The explanation as text for a terminal.
pub fn render_text(e: &Explanation, lang: Lang) -> String {
    let nb = lang == Lang::Nb;
    let mut out = String::new();
    out.push_str(&format!("{} on record {}: {}\n", e.rule, e.record, e.outcome));
    out.push_str(&format!("  {} [{}] ({}, {})\n", e.title, e.severity, e.area, e.policy));
    if let Some(b) = &e.basis {
        out.push_str(&format!("  {}: {b}\n", if nb { "Grunnlag" } else { "Basis" }));
    }
    out.push_str(&format!("  {}\n\n", e.in_force));
    out.push_str(&format!(
        "{}\n  {}\n",
        if nb { "Avgjort av" } else { "Decided by" },
        e.decided_by
    ));
    if !e.message.is_empty() {
        out.push_str(&format!("  {}\n", e.message));
    }
    for n in &e.notes {
        out.push_str(&format!("  {n}\n"));
    }
    if !e.scope_for.is_empty() {
        out.push_str(&format!(
            "\n{}\n",
            if nb {
                "Hvem anskaffelsen gjelder"
            } else {
                "Whose procurement"
            }
        ));
        for line in &e.scope_for {
            out.push_str(&format!("  {line}\n"));
        }
    }
    let sections = [
        (if nb { "Policyens omfang" } else { "Policy scope" }, e.scope.as_ref()),
        (if nb { "Gjelder når" } else { "Applies when" }, e.applies.as_ref()),
        (if nb { "Krav" } else { "Requirement" }, e.requirement.as_ref()),
    ];
    for (name, step) in sections {
        if let Some(step) = step {
            out.push_str(&format!("\n{name}\n"));
            write_step(&mut out, step, 1);
        }
    }
    if !e.taking_part.is_empty() {
        out.push_str(&format!("\n{}\n", if nb { "Med i kontrollen" } else { "Taking part" }));
        for s in &e.taking_part {
            write_step(&mut out, s, 1);
        }
    }
    if !e.parameters.is_empty() {
        out.push_str(&format!("\n{}\n", if nb { "Parametere" } else { "Parameters" }));
        for p in &e.parameters {
            out.push_str(&format!("  {} = {}\n", p.name, p.value));
        }
    }
    if !e.missing.is_empty() {
        let list: Vec<String> = e.missing.iter().map(|m| format!("`{m}`")).collect();
        out.push_str(&format!(
            "\n{}: {}\n",
            if nb { "Mangler" } else { "Missing" },
            list.join(", ")
        ));
    }
    if let Some(a) = &e.advice {
        out.push_str(&format!("\n{} {a}\n", if nb { "Slik retter du:" } else { "To fix:" }));
    }
    out
}

fn write_step(out: &mut String, step: &Step, depth: usize) {
    let indent = "  ".repeat(depth);
    let mark = match step.truth {
        Some("true") => "✓ ",
        Some("false") => "✗ ",
        Some(_) => "? ",
        None => "· ",
    };
    let value = match (&step.value, step.truth) {
        (None, _) => "(not evaluated)".to_string(),
        (Some(_), Some(t)) => t.to_string(),
        (Some(v), None) => v.clone(),
    };
    let times = if step.times > 1 {
        format!(" (×{})", step.times)
    } else {
        String::new()
    };
    out.push_str(&format!("{indent}{mark}{}  →  {value}{times}\n", step.text));
    for part in &step.parts {
        write_step(out, part, depth + 1);
    }
}
