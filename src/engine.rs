//! Rules on records: in-force periods, applicability, requirements,
//! exemptions, messages and the record's status. Cross-record rules take
//! what they need from each record here and decide in [`crate::cross`].

use crate::cross::{KeyHasher, Member, Owned};
use crate::eval::{self, Cx};
use crate::finding::*;
use crate::plan::*;
use crate::record::{DataWarning, Exemption, Record};
use crate::schema::FieldSet;
use crate::syntax::ast::{Lang, Severity};
use chrono::NaiveDate;
use std::collections::HashSet;

/// Evaluates records against a compiled plan. Shared by all threads.
pub struct Engine<'p> {
    pub plan: &'p Plan,
    pub lang: Lang,
    /// Render messages; a summary-only run skips them.
    pub messages: bool,
    rule_ids: HashSet<&'p str>,
    /// The fields whose presence reports count.
    coverage: FieldSet,
    /// Per rule, why it does not apply when its `when` does not hold, and
    /// (cross-record rules) when its `where` does not: the same words for
    /// every record, so made once.
    not_applicable: Vec<[String; 2]>,
}

/// Whether a rule is in force for a record.
#[derive(Debug, Clone, PartialEq)]
enum Force {
    In,
    /// Not in force on the record's date.
    Out(Finding),
    /// The record has no date.
    NoDate,
}

/// Whether a record is one a policy is for.
#[derive(Debug, Clone, PartialEq)]
enum Scope {
    Inside,
    /// Not for this record, and why.
    Outside(String),
    /// Depends on these missing fields.
    Unknown(FieldSet),
}

/// A record's part in a rule: a finding, or (for a cross-record rule)
/// membership, decided with the other records.
pub enum Part {
    Member(Member),
    Out(Finding),
}

/// One record's findings, and its part in cross-record rules.
pub struct RecordOutput {
    pub evaluated: Evaluated,
    pub members: Vec<(RuleId, Member)>,
}

impl<'p> Engine<'p> {
    pub fn new(plan: &'p Plan, lang: Lang) -> Self {
        Engine {
            plan,
            lang,
            messages: true,
            rule_ids: plan.rules.iter().map(|r| r.id.as_str()).collect(),
            coverage: crate::report::coverage_fields(plan),
            not_applicable: plan
                .rules
                .iter()
                .map(|rule| {
                    let filter = match &rule.kind {
                        RuleKind::Cross(c) => c.filter.map(|f| plan.source_text(f)),
                        RuleKind::PerRecord { .. } => None,
                    };
                    [
                        not_applicable_text(lang, rule.applies_text.as_deref().unwrap_or(""), false),
                        not_applicable_text(lang, filter.unwrap_or(""), true),
                    ]
                })
                .collect(),
        }
    }

    fn nb(&self) -> bool {
        self.lang == Lang::Nb
    }

    /// Evaluate every rule on `record`. A record without an id cannot be
    /// reported on and is an input error.
    pub fn evaluate(&self, mut record: Record, source: Source, index: u64) -> Result<RecordOutput, InputError> {
        let id = match record.id.as_deref().map(str::trim) {
            Some(id) if !id.is_empty() => id.to_string(),
            Some(_) => {
                return Err(InputError {
                    index,
                    source,
                    message: "the record's `id` is empty".into(),
                });
            }
            None => {
                let why = record
                    .warnings
                    .iter()
                    .find(|w| w.field == "id")
                    .map(|w| format!(": {}", w.message))
                    .unwrap_or_default();
                return Err(InputError {
                    index,
                    source,
                    message: format!("the record has no `id`{why}"),
                });
            }
        };
        self.check_exemption_names(&mut record);
        let mut findings = Vec::with_capacity(self.plan.rules.len());
        let mut members = Vec::new();
        let who = crate::scope::RecordScope::of(self.plan, &record, self.lang, self.messages);
        {
            let mut cx = Cx::new(self.plan, Some(&record));
            let scopes: Vec<Scope> = self
                .plan
                .policies
                .iter()
                .enumerate()
                .map(|(i, p)| self.scope(&mut cx, p, who.as_ref().and_then(|w| w.policy(i as PolicyId))))
                .collect();
            for (i, rule) in self.plan.rules.iter().enumerate() {
                let rid = i as RuleId;
                let scope = self.rule_scope(
                    &scopes[rule.policy as usize],
                    rule,
                    who.as_ref().and_then(|w| w.rule(rid)),
                );
                match self.rule(&mut cx, rid, rule, &scope, &record, index, &id) {
                    Part::Member(member) => members.push((rid, member)),
                    Part::Out(f) => findings.push(f),
                }
            }
        }
        let status = status_of(self.plan, &findings);
        let present = record.present_of(self.coverage);
        let evaluated = Evaluated {
            index,
            source,
            id,
            title: record.title.take(),
            stage: record.stage,
            buyer_id: record.buyer.id.take(),
            buyer_name: record.buyer.name.take(),
            date: record.date,
            value: record.value(),
            findings,
            warnings: std::mem::take(&mut record.warnings),
            status,
            present,
            scope: who.map(Box::new),
        };
        Ok(RecordOutput { evaluated, members })
    }

    /// One rule on one record: its finding, or the record's part in a
    /// cross-record rule.
    #[allow(clippy::too_many_arguments)]
    fn rule<'a>(
        &self,
        cx: &mut Cx<'a>,
        rid: RuleId,
        rule: &'a RulePlan,
        scope: &Scope,
        record: &'a Record,
        index: u64,
        id: &str,
    ) -> Part {
        cx.start_rule();
        let in_scope = match scope {
            Scope::Outside(why) => return Part::Out(Finding::new(rid, Outcome::NotApplicable, why.clone())),
            Scope::Unknown(missing) => {
                cx.missing.union(*missing);
                false
            }
            Scope::Inside => true,
        };
        match &rule.kind {
            RuleKind::PerRecord { require } => Part::Out(self.per_record(cx, rid, rule, *require, record, in_scope)),
            RuleKind::Cross(_) if !in_scope => {
                Part::Out(self.exempt(self.finding(cx, rid, rule, Outcome::Unknown), rule, record))
            }
            RuleKind::Cross(cross) => self.take_part(cx, rid, rule, cross, record, index, id),
        }
    }

    /// One rule on one record with every step traced, for `anskaff
    /// explain`: the rule's part (a finding, or the record's membership in
    /// a cross-record rule), and the trace of the policy's scope and of the
    /// rule.
    pub fn trace(&self, record: &Record, rid: RuleId) -> (Part, Vec<(NodeId, eval::Traced)>) {
        let rule = &self.plan.rules[rid as usize];
        let mut cx = Cx::new(self.plan, Some(record));
        cx.trace = Some(Vec::new());
        let who = crate::scope::RecordScope::of(self.plan, record, self.lang, self.messages);
        let scope = self.scope(
            &mut cx,
            &self.plan.policies[rule.policy as usize],
            who.as_ref().and_then(|w| w.policy(rule.policy)),
        );
        let scope = self.rule_scope(&scope, rule, who.as_ref().and_then(|w| w.rule(rid)));
        let id = record.id.clone().unwrap_or_default();
        let part = self.rule(&mut cx, rid, rule, &scope, record, 0, &id);
        (part, cx.trace.take().unwrap_or_default())
    }

    /// First pass of a two-pass run: the record's part in the cross-record
    /// rules, nothing else.
    pub fn cross_members(&self, record: Record, index: u64) -> Vec<(RuleId, Member)> {
        let Some(id) = record.id.as_deref().map(str::trim).filter(|id| !id.is_empty()) else {
            return Vec::new();
        };
        let mut members = Vec::new();
        let mut cx = Cx::new(self.plan, Some(&record));
        let who = crate::scope::RecordScope::of(self.plan, &record, self.lang, false);
        for (i, rule) in self.plan.rules.iter().enumerate() {
            let RuleKind::Cross(cross) = &rule.kind else { continue };
            // Only records that are surely in scope take part.
            let in_scope = |d: Option<&crate::scope::Decision>| d.is_none_or(|d| d.applies() == Some(true));
            if let Some(w) = &who
                && !(in_scope(w.policy(rule.policy)) && in_scope(w.rule(i as RuleId)))
            {
                continue;
            }
            cx.start_rule();
            if let Some(cond) = self.plan.policies[rule.policy as usize].applies
                && eval::truth(&mut cx, cond) != Some(true)
            {
                continue;
            }
            cx.start_rule();
            if let Part::Member(m) = self.take_part(&mut cx, i as RuleId, rule, cross, &record, index, id) {
                members.push((i as RuleId, m));
            }
        }
        members
    }

    fn check_exemption_names(&self, record: &mut Record) {
        let Some(exemptions) = &record.exemptions else { return };
        let mut warnings = Vec::new();
        for (i, e) in exemptions.iter().enumerate() {
            if let Some(rule) = &e.rule
                && !self.rule_ids.contains(rule.as_str())
            {
                // Suggest in rule order: a set's order differs from run to
                // run, and two rules as close as each other (`R-3` → `R-0`
                // or `R-1`) made reports differ between runs.
                let hint = crate::diag::did_you_mean(rule, self.plan.rules.iter().map(|r| r.id.as_str()))
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default();
                warnings.push(DataWarning {
                    field: format!("exemptions[{i}].rule"),
                    message: format!("the exemption names `{rule}`, which is not a rule of the loaded policies{hint}"),
                });
            }
        }
        record.warnings.extend(warnings);
    }

    /// Whether the rule (and its policy) is in force on the record's date.
    fn in_force(&self, rule: &RulePlan, rid: RuleId, date: Option<NaiveDate>) -> Force {
        let policy = &self.plan.policies[rule.policy as usize].in_force;
        let periods = [policy, &rule.in_force];
        if periods.iter().all(|p| p.is_unbounded()) {
            return Force::In;
        }
        let Some(date) = date else { return Force::NoDate };
        let Some(outside) = periods.iter().find(|p| !p.contains(date)) else {
            return Force::In;
        };
        let message = if !self.messages {
            String::new()
        } else if self.nb() {
            format!("Gjaldt ikke {date} (gjelder {})", outside.display())
        } else {
            format!("Not in force on {date} (in force {})", outside.display())
        };
        Force::Out(Finding::new(rid, Outcome::NotApplicable, message))
    }

    /// `unknown` because the record has no date to tell whether the rule is
    /// in force.
    fn no_date(&self, rid: RuleId) -> Finding {
        let message = if !self.messages {
            String::new()
        } else if self.nb() {
            "Kan ikke avgjøre om regelen gjelder: posten har ingen dato".to_string()
        } else {
            "Cannot tell whether the rule is in force: the record has no date".to_string()
        };
        let mut f = Finding::new(rid, Outcome::Unknown, message);
        let mut missing = FieldSet::default();
        missing.insert(eval::DATE_FIELD);
        f.missing = self.plan.paths(missing);
        f
    }

    /// `not_applicable` because `cond` (as written: `text`) does not hold.
    fn does_not_apply(&self, rid: RuleId, take_part: bool) -> Finding {
        let message = match self.not_applicable.get(rid as usize) {
            Some([when, filter]) if self.messages => if take_part { filter } else { when }.clone(),
            _ => String::new(),
        };
        Finding::new(rid, Outcome::NotApplicable, message)
    }

    /// Whether the record is one the policy is for: its `for` (decided per
    /// party in `by_party`), then its `when`.
    fn scope<'a>(&self, cx: &mut Cx<'a>, policy: &'a PolicyInfo, by_party: Option<&crate::scope::Decision>) -> Scope {
        let mut unknown = FieldSet::default();
        if let (Some(d), Some(plan)) = (by_party, &policy.scope) {
            match d.applies() {
                Some(true) => {}
                None => unknown.union(d.missing),
                Some(false) => return Scope::Outside(self.out_of_scope("Policy", &policy.id, plan, &d.why)),
            }
        }
        let Some(cond) = policy.applies else {
            return if by_party.is_some_and(|d| d.applies().is_none()) {
                Scope::Unknown(unknown)
            } else {
                Scope::Inside
            };
        };
        cx.start_rule();
        match eval::truth(cx, cond) {
            Some(true) if by_party.is_some_and(|d| d.applies().is_none()) => Scope::Unknown(unknown),
            Some(true) => Scope::Inside,
            None => {
                let mut missing = cx.missing;
                missing.union(unknown);
                Scope::Unknown(missing)
            }
            Some(false) if !self.messages => Scope::Outside(String::new()),
            Some(false) => {
                let cond = policy.applies_text.as_deref().unwrap_or("");
                Scope::Outside(if self.nb() {
                    format!(
                        "Policyen {} gjelder ikke denne posten: `{cond}` er ikke oppfylt",
                        policy.id
                    )
                } else {
                    format!("Policy {} is not for this record: `{cond}` does not hold", policy.id)
                })
            }
        }
    }

    /// The policy's scope narrowed by the rule's own `for`.
    fn rule_scope(&self, policy: &Scope, rule: &RulePlan, own: Option<&crate::scope::Decision>) -> Scope {
        let (Some(d), Some(plan)) = (own, &rule.scope) else {
            return policy.clone();
        };
        match (policy, d.applies()) {
            (Scope::Outside(_), _) | (_, Some(true)) => policy.clone(),
            (_, Some(false)) => Scope::Outside(self.out_of_scope("Rule", &rule.id, plan, &d.why)),
            (Scope::Unknown(m), None) => {
                let mut missing = *m;
                missing.union(d.missing);
                Scope::Unknown(missing)
            }
            (Scope::Inside, None) => Scope::Unknown(d.missing),
        }
    }

    /// `Policy P is for members of "x": Trondheim kommune is not in the
    /// organisation register`.
    fn out_of_scope(&self, what: &str, id: &str, scope: &ScopePlan, why: &str) -> String {
        if !self.messages {
            return String::new();
        }
        let (what, is_for) = match (self.nb(), what) {
            (true, "Policy") => ("Policyen", "gjelder"),
            (true, _) => ("Regelen", "gjelder"),
            (false, w) => (w, "is"),
        };
        format!("{what} {id} {is_for} {}: {why}", scope.text)
    }

    #[allow(clippy::too_many_arguments)]
    fn per_record<'a>(
        &self,
        cx: &mut Cx<'a>,
        rid: RuleId,
        rule: &'a RulePlan,
        require: NodeId,
        record: &Record,
        in_scope: bool,
    ) -> Finding {
        let force = self.in_force(rule, rid, record.date);
        if let Force::Out(f) = force {
            return self.exempt(f, rule, record);
        }
        // An unknown scope counts as an unknown applicability condition.
        let applies = match (rule.applies, in_scope) {
            (Some(a), true) => eval::truth(cx, a),
            (None, true) => Some(true),
            (Some(a), false) => match eval::truth(cx, a) {
                Some(false) => Some(false),
                _ => None,
            },
            (None, false) => None,
        };
        if applies == Some(false) {
            return self.does_not_apply(rid, false);
        }
        if force == Force::NoDate {
            return self.exempt(self.no_date(rid), rule, record);
        }
        let holds = eval::truth(cx, require);
        let outcome = match (holds, applies) {
            (Some(true), _) => Outcome::Pass,
            (Some(false), Some(true)) => Outcome::Fail,
            _ => Outcome::Unknown,
        };
        let finding = self.finding(cx, rid, rule, outcome);
        self.exempt(finding, rule, record)
    }

    /// Build the finding for `outcome`, with its message.
    fn finding<'a>(&self, cx: &mut Cx<'a>, rid: RuleId, rule: &'a RulePlan, outcome: Outcome) -> Finding {
        let mut f = Finding::new(rid, outcome, String::new());
        if outcome == Outcome::Unknown {
            f.missing = self.plan.paths(cx.missing);
            f.problems = cx.problems.iter().map(|p| p.describe(self.plan, self.lang)).collect();
        }
        if !self.messages {
            return f;
        }
        let missing = cx.missing;
        f.message = match outcome {
            Outcome::Fail if !rule.fail.is_empty() => self.render(cx, &rule.fail),
            Outcome::Fail => {
                if self.nb() {
                    format!("Ikke oppfylt: {}", rule.requirement_text)
                } else {
                    format!("Not met: {}", rule.requirement_text)
                }
            }
            Outcome::Pass if !rule.pass.is_empty() => self.render(cx, &rule.pass),
            Outcome::Pass => {
                let title = rule.title.get(self.lang).unwrap_or("");
                if self.nb() {
                    format!("Oppfylt: {title}")
                } else {
                    format!("Met: {title}")
                }
            }
            _ if !rule.unknown.is_empty() => self.render(cx, &rule.unknown),
            _ => self.unknown_text(missing, &f.problems),
        };
        f
    }

    fn unknown_text(&self, missing: FieldSet, problems: &[String]) -> String {
        let paths = self.plan.paths(missing);
        let mut parts = Vec::new();
        if !paths.is_empty() {
            let list = paths.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
            parts.push(if self.nb() {
                format!("fyll ut {list}")
            } else {
                format!("fill in {list}")
            });
        }
        parts.extend(problems.iter().cloned());
        let lead = if self.nb() {
            "Kan ikke kontrolleres"
        } else {
            "Cannot be checked"
        };
        if parts.is_empty() {
            lead.to_string()
        } else {
            format!("{lead}: {}", parts.join("; "))
        }
    }

    fn render<'a>(&self, cx: &mut Cx<'a>, template: &'a Template) -> String {
        let mut out = String::new();
        for piece in template.pieces(self.lang) {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Value(node) => {
                    let saved = (cx.missing, cx.problems.len());
                    let v = eval::eval(cx, *node);
                    cx.missing = saved.0;
                    cx.problems.truncate(saved.1);
                    out.push_str(&eval::show(&v, self.lang));
                }
                Piece::Members => {}
            }
        }
        out
    }

    /// Apply the record's exemptions to a `fail` or `unknown`.
    fn exempt(&self, f: Finding, rule: &RulePlan, record: &Record) -> Finding {
        match &record.exemptions {
            Some(list) => apply_exemptions(f, &rule.id, list, record.date, self.lang, self.messages),
            None => f,
        }
    }

    /// The record's part in a cross-record rule, or the finding that says
    /// why it takes no part.
    #[allow(clippy::too_many_arguments)]
    fn take_part<'a>(
        &self,
        cx: &mut Cx<'a>,
        rid: RuleId,
        rule: &'a RulePlan,
        cross: &'a CrossPlan,
        record: &'a Record,
        index: u64,
        id: &str,
    ) -> Part {
        let force = self.in_force(rule, rid, record.date);
        if let Force::Out(f) = force {
            return Part::Out(self.exempt(f, rule, record));
        }
        // The rule's `when` and the cross-record `where` both decide whether
        // a record takes part.
        let mut unknown = false;
        for (cond, take_part) in [(rule.applies, false), (cross.filter, true)] {
            let Some(cond) = cond else { continue };
            match eval::truth(cx, cond) {
                Some(true) => {}
                Some(false) => return Part::Out(self.does_not_apply(rid, take_part)),
                None => unknown = true,
            }
        }
        if force == Force::NoDate {
            return Part::Out(self.exempt(self.no_date(rid), rule, record));
        }
        if unknown {
            return Part::Out(self.exempt(self.finding(cx, rid, rule, Outcome::Unknown), rule, record));
        }
        let mut key = KeyHasher::default();
        let mut values = Vec::with_capacity(cross.member_values.len());
        let mut complete = true;
        for &k in &cross.keys {
            if !key.add(&eval::eval(cx, k)) {
                complete = false;
            }
        }
        for (i, &v) in cross.member_values.iter().enumerate() {
            // Values only a message shows may be missing; the ones the
            // condition aggregates may not.
            let needed = i < cross.flag_values;
            if !needed && !self.messages {
                values.push(None);
                continue;
            }
            let before = cx.missing;
            let value = Owned::from_val(&eval::eval(cx, v));
            if value.is_none() && needed {
                complete = false;
            } else if !needed {
                cx.missing = before;
            }
            values.push(value);
        }
        match (complete, record.date) {
            (true, Some(date)) => {
                let exemptions = record
                    .exemptions
                    .iter()
                    .flatten()
                    .filter(|e| e.rule.as_deref() == Some(rule.id.as_str()))
                    .cloned()
                    .collect();
                Part::Member(Member {
                    record: index,
                    // Only messages name the other members.
                    id: if self.messages { id.into() } else { Box::default() },
                    date,
                    key: key.finish(),
                    values,
                    exemptions,
                })
            }
            _ => Part::Out(self.exempt(self.finding(cx, rid, rule, Outcome::Unknown), rule, record)),
        }
    }
}

/// A record is `non_compliant` if a `must` rule fails, else `incomplete` if
/// a `must` rule is unknown, else `compliant`.
pub fn status_of(plan: &Plan, findings: &[Finding]) -> Status {
    let mut status = Status::Compliant;
    for f in findings {
        if plan.rules[f.rule as usize].severity != Severity::Must {
            continue;
        }
        match f.outcome {
            Outcome::Fail => return Status::NonCompliant,
            Outcome::Unknown => status = Status::Incomplete,
            _ => {}
        }
    }
    status
}

/// Turn a `fail` or `unknown` into `waived` when one of `exemptions` names
/// the rule and has not expired by the record's `date`; note expired ones.
pub fn apply_exemptions(
    mut f: Finding,
    rule_id: &str,
    exemptions: &[Exemption],
    date: Option<NaiveDate>,
    lang: Lang,
    messages: bool,
) -> Finding {
    if !matches!(f.outcome, Outcome::Fail | Outcome::Unknown) {
        return f;
    }
    let nb = lang == Lang::Nb;
    for e in exemptions.iter().filter(|e| e.rule.as_deref() == Some(rule_id)) {
        if e.expiry_unreadable {
            f.notes.push(if nb {
                "Unntaket brukes ikke: utløpsdatoen kan ikke leses".into()
            } else {
                "The exemption is not applied: its expiry date cannot be read".into()
            });
            continue;
        }
        let valid = match (e.expires, date) {
            (None, _) => true,
            (Some(exp), Some(date)) => exp >= date,
            (Some(_), None) => {
                f.notes.push(if nb {
                    "Unntaket kan ikke brukes: posten har ingen dato å sammenligne utløpsdatoen med".into()
                } else {
                    "The exemption cannot be applied: the record has no date to compare its expiry with".into()
                });
                false
            }
        };
        let who = e.approved_by.clone().unwrap_or_else(|| "?".into());
        if valid {
            let waived = f.outcome;
            f.outcome = Outcome::Waived;
            if messages {
                let reason = e.reason.clone().unwrap_or_default();
                let until = e.expires.map(|d| {
                    if nb {
                        format!(", til {d}")
                    } else {
                        format!(", until {d}")
                    }
                });
                f.message = if nb {
                    format!("Unntak: {reason} (godkjent av {who}{})", until.unwrap_or_default())
                } else {
                    format!("Waived: {reason} (approved by {who}{})", until.unwrap_or_default())
                };
            }
            f.waiver = Some(Box::new(Waiver {
                reason: e.reason.clone(),
                approved_by: e.approved_by.clone(),
                expires: e.expires,
                waived,
            }));
            return f;
        }
        if let (Some(exp), Some(_)) = (e.expires, date) {
            f.exemption_expired = true;
            f.notes.push(if nb {
                format!("Unntaket godkjent av {who} utløp {exp} og gjelder ikke")
            } else {
                format!("The exemption approved by {who} expired on {exp} and does not apply")
            });
        }
    }
    f
}

/// Why a rule does not apply: its `when` (or, for a record that takes no
/// part in a cross-record rule, its `where`) does not hold.
fn not_applicable_text(lang: Lang, condition: &str, take_part: bool) -> String {
    let cond = condition.split_whitespace().collect::<Vec<_>>().join(" ");
    match (lang == Lang::Nb, take_part) {
        (true, false) => format!("Gjelder ikke: vilkåret `{cond}` er ikke oppfylt"),
        (false, false) => format!("Does not apply: `{cond}` does not hold"),
        (true, true) => format!("Er ikke med i kontrollen: `{cond}` er ikke oppfylt"),
        (false, true) => format!("Does not take part: `{cond}` does not hold"),
    }
}
