//! The JSON report (`--format json`), version 1, documented in
//! `docs/report-format.md`. Records are written as they are decided, one
//! per line inside `records`, so a large run streams; everything else is
//! indented for people.

use super::{Breakdown, Meta, RecordFormatter, Renderer, RuleTally, Spend, Standing, Summary};
use crate::finding::{Evaluated, Finding, InputError, Outcome, Source};
use crate::plan::{ParamValue, Period, Plan};
use crate::syntax::ast::{Lang, Translations};
use crate::value::{Currency, Money};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

pub const REPORT_VERSION: u32 = 1;

pub struct JsonRenderer<W: Write> {
    out: W,
    /// Leave out per-record entries (`--summary`).
    summary_only: bool,
    first: bool,
    /// The comparison with a baseline report (`--baseline`).
    comparison: Option<super::baseline::Comparison>,
}

impl<W: Write> JsonRenderer<W> {
    pub fn new(out: W, summary_only: bool) -> Self {
        JsonRenderer {
            out,
            summary_only,
            first: true,
            comparison: None,
        }
    }

    pub fn into_inner(self) -> W {
        self.out
    }

    fn field(&mut self, key: &str, value: &impl Serialize, last: bool) -> io::Result<()> {
        let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
        write!(self.out, "  \"{key}\": ")?;
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n  ")?;
            }
            self.out.write_all(line.as_bytes())?;
        }
        self.out.write_all(if last { b"\n" } else { b",\n" })
    }
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
pub(crate) struct PeriodJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
}

pub(crate) fn period(p: &Period) -> Option<PeriodJson> {
    (!p.is_unbounded()).then(|| PeriodJson {
        from: p.from.map(|d| d.to_string()),
        to: p.to.map(|d| d.to_string()),
    })
}

#[derive(Serialize)]
pub(crate) struct TitleJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    nb: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    en: Option<&'a str>,
}

pub(crate) fn title(t: &Translations) -> TitleJson<'_> {
    let only = |lang| t.texts.iter().find(|(l, _)| *l == lang).map(|(_, s)| s.node.as_str());
    TitleJson {
        nb: only(Lang::Nb),
        en: only(Lang::En),
    }
}

#[derive(Serialize)]
pub(crate) struct PolicyJson<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    title: TitleJson<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    authority: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_force: Option<PeriodJson>,
    /// Whose procurements it is for, as written: `for members of "…"`.
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct ScheduleJson {
    from: String,
    value: String,
}

#[derive(Serialize)]
pub(crate) struct ParamJson<'a> {
    name: &'a str,
    policy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    by_date: Vec<ScheduleJson>,
    overridden: bool,
}

#[derive(Serialize)]
pub struct SourceJson<'a> {
    pub file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locator: Option<&'a str>,
}

pub fn source(s: &Source) -> SourceJson<'_> {
    SourceJson {
        file: &s.file,
        line: s.line,
        locator: s.locator.as_deref(),
    }
}

#[derive(Serialize)]
pub struct MoneyJson {
    pub amount: String,
    pub currency: String,
}

pub fn money(m: &Money) -> MoneyJson {
    MoneyJson {
        amount: decimal(m.amount),
        currency: m.currency.to_string(),
    }
}

/// A decimal as a plain string without trailing zeros: `1300000`, `0.5`.
pub fn decimal(d: Decimal) -> String {
    d.normalize().to_string()
}

#[derive(Serialize)]
struct WaiverJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approved_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
    waived: &'static str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    outcome: &'static str,
    severity: &'static str,
    area: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    missing: &'a [&'static str],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    problems: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    waiver: Option<WaiverJson<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    notes: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [String],
    /// In a joint procurement, the parties the rule is for when it is not
    /// everyone's (by their keys in `parties`).
    #[serde(rename = "for", skip_serializing_if = "Vec::is_empty")]
    for_parties: Vec<String>,
}

#[derive(Serialize)]
struct PartyJson<'a> {
    role: &'static str,
    /// The register's id, else the organisation number, else the name.
    key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    /// Whether the organisation register knows it.
    in_register: bool,
}

#[derive(Serialize)]
struct AppliedJson<'a> {
    policy: &'a str,
    /// `true`, `false`, or `null` when it cannot be told.
    applies: Option<bool>,
    why: &'a str,
    /// The parties it is for (by key).
    #[serde(rename = "for")]
    for_parties: Vec<String>,
}

#[derive(Serialize)]
struct WarningJson<'a> {
    field: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct AreaStatusJson<'a> {
    area: &'a str,
    status: &'static str,
    flagged: bool,
}

#[derive(Serialize)]
struct RecordJson<'a> {
    id: &'a str,
    source: SourceJson<'a>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<MoneyJson>,
    /// The buyer and the participants, as the register knows them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    parties: Vec<PartyJson<'a>>,
    /// Which policies with a `for` scope are for the record, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    policies: Vec<AppliedJson<'a>>,
    /// What the register says about the parties.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    notes: &'a [String],
    areas: Vec<AreaStatusJson<'a>>,
    findings: Vec<FindingJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<WarningJson<'a>>,
}

/// The keys of the parties in `set`.
fn party_keys(plan: &Plan, scope: &crate::scope::RecordScope, set: crate::scope::PartySet) -> Vec<String> {
    scope
        .parties
        .iter()
        .enumerate()
        .filter(|(i, _)| set & (1 << i) != 0)
        .map(|(_, p)| p.key(&plan.register))
        .collect()
}

/// Formats a record's entry of the JSON report, on any thread.
pub struct JsonRecords;

impl RecordFormatter for JsonRecords {
    fn format(&self, plan: &Plan, r: &Evaluated, out: &mut Vec<u8>) {
        let entry = RecordJson {
            id: &r.id,
            source: source(&r.source),
            status: r.status.as_str(),
            title: r.title.as_deref(),
            buyer: r.buyer_name.as_deref().or(r.buyer_id.as_deref()),
            date: r.date.map(|d| d.to_string()),
            value: r.value.as_ref().map(money),
            parties: r
                .scope
                .iter()
                .flat_map(|s| &s.parties)
                .map(|p| PartyJson {
                    role: match p.role {
                        crate::scope::Role::Buyer => "buyer",
                        crate::scope::Role::Participant => "participant",
                    },
                    key: p.key(&plan.register),
                    id: p.id.as_deref(),
                    name: p.name.as_deref(),
                    in_register: p.authority().is_some(),
                })
                .collect(),
            policies: r
                .scope
                .iter()
                .flat_map(|s| plan.policies.iter().zip(&s.policies).map(move |(p, d)| (s, p, d)))
                .filter_map(|(s, p, d)| {
                    let d = d.as_ref()?;
                    Some(AppliedJson {
                        policy: &p.id,
                        applies: d.applies(),
                        why: &d.why,
                        for_parties: party_keys(plan, s, d.parties()),
                    })
                })
                .collect(),
            notes: r.scope.as_deref().map_or(&[], |s| &s.notes),
            areas: Standing::of(plan, &r.findings)
                .areas
                .iter()
                .enumerate()
                .filter_map(|(a, s)| {
                    s.map(|s| AreaStatusJson {
                        area: &plan.areas[a].id,
                        status: s.status.as_str(),
                        flagged: s.flagged,
                    })
                })
                .collect(),
            findings: r.findings.iter().map(|f| finding(plan, r, f)).collect(),
            warnings: r
                .warnings
                .iter()
                .map(|w| WarningJson {
                    field: &w.field,
                    message: &w.message,
                })
                .collect(),
        };
        // Writing to memory fails only if the entry cannot be serialised,
        // which its types rule out.
        if serde_json::to_writer(&mut *out, &entry).is_err() {
            out.clear();
        }
    }
}

fn finding<'a>(plan: &'a Plan, r: &'a Evaluated, f: &'a Finding) -> FindingJson<'a> {
    let rule = &plan.rules[f.rule as usize];
    let for_parties = match r.scope.as_deref() {
        Some(scope) if scope.parties.len() > 1 && scope.parties_of(plan, f.rule) != scope.all() => {
            party_keys(plan, scope, scope.parties_of(plan, f.rule))
        }
        _ => Vec::new(),
    };
    FindingJson {
        rule: &rule.id,
        outcome: f.outcome.as_str(),
        severity: rule.severity.as_str(),
        area: &plan.areas[rule.area as usize].id,
        message: &f.message,
        missing: &f.missing,
        problems: &f.problems,
        waiver: f.waiver.as_ref().map(|w| WaiverJson {
            reason: w.reason.as_deref(),
            approved_by: w.approved_by.as_deref(),
            expires: w.expires.map(|d| d.to_string()),
            waived: w.waived.as_str(),
        }),
        notes: &f.notes,
        related: &f.related,
        for_parties,
    }
}

#[derive(Serialize)]
struct InputErrorJson<'a> {
    source: SourceJson<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct CountsJson {
    pass: u64,
    fail: u64,
    unknown: u64,
    waived: u64,
    not_applicable: u64,
}

fn counts(t: &RuleTally) -> CountsJson {
    CountsJson {
        pass: t.count(Outcome::Pass),
        fail: t.count(Outcome::Fail),
        unknown: t.count(Outcome::Unknown),
        waived: t.count(Outcome::Waived),
        not_applicable: t.count(Outcome::NotApplicable),
    }
}

#[derive(Serialize)]
struct OutcomeValueJson {
    pass: String,
    fail: String,
    unknown: String,
    waived: String,
    not_applicable: String,
}

#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    title: TitleJson<'a>,
    severity: &'static str,
    area: &'a str,
    policy: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    basis: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_force: Option<PeriodJson>,
    cross_record: bool,
    counts: CountsJson,
    value: BTreeMap<String, OutcomeValueJson>,
}

#[derive(Serialize)]
struct SpendJson {
    total: String,
    compliant: String,
    non_compliant: String,
    incomplete: String,
}

fn spend(s: &BTreeMap<Currency, Spend>) -> BTreeMap<String, SpendJson> {
    s.iter()
        .map(|(c, s)| {
            (
                c.to_string(),
                SpendJson {
                    total: decimal(s.total),
                    compliant: decimal(s.compliant),
                    non_compliant: decimal(s.non_compliant),
                    incomplete: decimal(s.incomplete),
                },
            )
        })
        .collect()
}

#[derive(Serialize)]
struct BreakdownJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    quarter: Option<&'a str>,
    records: u64,
    compliant: u64,
    non_compliant: u64,
    incomplete: u64,
    flagged: u64,
    spend: BTreeMap<String, SpendJson>,
}

fn breakdown<'a>(b: &Breakdown) -> BreakdownJson<'a> {
    BreakdownJson {
        id: None,
        name: None,
        quarter: None,
        records: b.records,
        compliant: b.compliant,
        non_compliant: b.non_compliant,
        incomplete: b.incomplete,
        flagged: b.flagged,
        spend: spend(&b.spend),
    }
}

#[derive(Serialize)]
struct SummaryJson<'a> {
    records: u64,
    compliant: u64,
    non_compliant: u64,
    incomplete: u64,
    flagged: u64,
    input_errors: u64,
    records_with_warnings: u64,
    records_without_value: u64,
    waived: u64,
    expired_exemptions: u64,
    spend: BTreeMap<String, SpendJson>,
    areas: Vec<BreakdownJson<'a>>,
    buyers: Vec<BreakdownJson<'a>>,
    quarters: Vec<BreakdownJson<'a>>,
    missing_fields: &'a BTreeMap<&'static str, u64>,
    fields_present: BTreeMap<&'static str, u64>,
    largest_non_compliant: Vec<HighlightJson<'a>>,
    exemptions: Vec<ExemptionJson<'a>>,
    exemptions_omitted: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    groups: Option<GroupsJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<MemberJson<'a>>,
}

#[derive(Serialize)]
struct MemberJson<'a> {
    id: &'a str,
    name: &'a str,
}

#[derive(Serialize)]
struct GroupsJson<'a> {
    by: &'static str,
    groups: Vec<GroupJson<'a>>,
}

#[derive(Serialize)]
struct GroupJson<'a> {
    #[serde(flatten)]
    figures: BreakdownJson<'a>,
    areas: Vec<BreakdownJson<'a>>,
    rules: Vec<GroupRuleJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    members: Vec<GroupJson<'a>>,
}

#[derive(Serialize)]
struct GroupRuleJson<'a> {
    id: &'a str,
    counts: CountsJson,
}

fn group<'a>(plan: &'a Plan, id: &'a str, name: &'a str, t: &'a super::groups::Tally) -> GroupJson<'a> {
    GroupJson {
        figures: BreakdownJson {
            id: Some(id),
            name: Some(name),
            ..breakdown(&t.overall)
        },
        areas: plan
            .areas
            .iter()
            .zip(&t.areas)
            .filter(|(_, b)| b.records > 0)
            .map(|(a, b)| BreakdownJson {
                id: Some(&a.id),
                ..breakdown(b)
            })
            .collect(),
        rules: plan
            .rules
            .iter()
            .zip(&t.rules)
            .filter(|(_, tally)| tally.counts.iter().sum::<u64>() > 0)
            .map(|(r, tally)| GroupRuleJson {
                id: &r.id,
                counts: counts(tally),
            })
            .collect(),
        members: Vec::new(),
    }
}

fn groups<'a>(plan: &'a Plan, g: &'a super::groups::Groups) -> GroupsJson<'a> {
    GroupsJson {
        by: g.by.as_str(),
        groups: g
            .ordered()
            .into_iter()
            .map(|(key, grp)| GroupJson {
                members: grp
                    .members
                    .iter()
                    .map(|(k, (name, t))| group(plan, k, name, t))
                    .collect(),
                ..group(plan, key, &grp.name, &grp.tally)
            })
            .collect(),
    }
}

#[derive(Serialize)]
struct HighlightJson<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    value: MoneyJson,
    source: SourceJson<'a>,
    /// The `must` rules that failed (their messages are in the record's
    /// entry).
    failed: Vec<&'a str>,
}

#[derive(Serialize)]
struct ExemptionJson<'a> {
    record: &'a str,
    rule: &'a str,
    applied: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    approved_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

/// Every loaded policy, imports first.
pub(crate) fn policies(plan: &Plan) -> Vec<PolicyJson<'_>> {
    plan.policies
        .iter()
        .map(|p| PolicyJson {
            id: &p.id,
            version: p.version.as_deref(),
            title: title(&p.title),
            authority: p.authority.as_deref(),
            source: p.source.as_deref(),
            file: &p.file,
            in_force: period(&p.in_force),
            scope: p.scope.as_ref().map(|s| s.text.as_str()),
        })
        .collect()
}

/// Every parameter with its value or its values by date.
pub(crate) fn parameters(plan: &Plan) -> Vec<ParamJson<'_>> {
    plan.params
        .iter()
        .map(|p| {
            let (value, by_date) = match &p.value {
                ParamValue::Fixed(c) => (Some(c.display(Lang::En)), Vec::new()),
                ParamValue::ByDate(e) => (
                    None,
                    e.iter()
                        .map(|(d, c)| ScheduleJson {
                            from: d.to_string(),
                            value: c.display(Lang::En),
                        })
                        .collect(),
                ),
            };
            ParamJson {
                name: &p.name,
                policy: &plan.policies[p.policy as usize].id,
                value,
                by_date,
                overridden: p.overridden,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct ChangeJson<'a> {
    record: &'a str,
    rule: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
}

#[derive(Serialize)]
struct BaselineJson<'a> {
    file: &'a str,
    new: Vec<ChangeJson<'a>>,
    fixed: Vec<ChangeJson<'a>>,
    still: Vec<ChangeJson<'a>>,
}

fn changes(list: &[super::baseline::Change]) -> Vec<ChangeJson<'_>> {
    list.iter()
        .map(|c| ChangeJson {
            record: &c.record,
            rule: &c.rule,
            outcome: c.outcome.map(Outcome::as_str),
        })
        .collect()
}

impl<W: Write> Renderer for JsonRenderer<W> {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()> {
        self.out.write_all(b"{\n")?;
        self.field("report_version", &REPORT_VERSION, false)?;
        self.field(
            "tool",
            &Tool {
                name: "anskaff",
                version: meta.version,
            },
            false,
        )?;
        self.field("lang", &meta.lang.code(), false)?;
        self.field("policies", &policies(plan), false)?;
        self.field("parameters", &parameters(plan), false)?;
        self.field("inputs", &meta.inputs, false)?;
        if !self.summary_only {
            self.out.write_all(b"  \"records\": [")?;
        }
        Ok(())
    }

    fn record(&mut self, plan: &Plan, r: &Evaluated) -> io::Result<()> {
        if self.summary_only {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(4096);
        JsonRecords.format(plan, r, &mut bytes);
        self.formatted(plan, r, &bytes)
    }

    fn formatter(&self) -> Option<std::sync::Arc<dyn RecordFormatter>> {
        (!self.summary_only).then(|| std::sync::Arc::new(JsonRecords) as std::sync::Arc<dyn RecordFormatter>)
    }

    fn formatted(&mut self, _plan: &Plan, _record: &Evaluated, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(if self.first { b"\n    " } else { b",\n    " })?;
        self.first = false;
        self.out.write_all(bytes)
    }

    fn finish(&mut self, plan: &Plan, _meta: &Meta, s: &Summary, errors: &[InputError]) -> io::Result<()> {
        if !self.summary_only {
            self.out.write_all(if self.first { b"],\n" } else { b"\n  ],\n" })?;
        }
        let errors: Vec<InputErrorJson> = errors
            .iter()
            .map(|e| InputErrorJson {
                source: source(&e.source),
                message: &e.message,
            })
            .collect();
        self.field("input_errors", &errors, false)?;
        let rules: Vec<RuleJson> = plan
            .rules
            .iter()
            .zip(&s.rules)
            .map(|(r, t)| RuleJson {
                id: &r.id,
                title: title(&r.title),
                severity: r.severity.as_str(),
                area: &plan.areas[r.area as usize].id,
                policy: &plan.policies[r.policy as usize].id,
                basis: r.basis.as_deref(),
                in_force: period(&r.in_force),
                cross_record: r.is_cross(),
                counts: counts(t),
                value: t
                    .value
                    .iter()
                    .map(|(c, v)| {
                        (
                            c.to_string(),
                            OutcomeValueJson {
                                pass: decimal(v[0]),
                                fail: decimal(v[1]),
                                unknown: decimal(v[2]),
                                waived: decimal(v[3]),
                                not_applicable: decimal(v[4]),
                            },
                        )
                    })
                    .collect(),
            })
            .collect();
        self.field("rules", &rules, false)?;
        if let Some(c) = self.comparison.take() {
            let baseline = BaselineJson {
                file: &c.file,
                new: changes(&c.new),
                fixed: changes(&c.fixed),
                still: changes(&c.still),
            };
            self.field("baseline", &baseline, false)?;
        }
        let quarter_labels: Vec<String> = s.quarters.keys().map(|q| super::Quarter::label(*q)).collect();
        let summary = SummaryJson {
            records: s.overall.records,
            compliant: s.overall.compliant,
            non_compliant: s.overall.non_compliant,
            incomplete: s.overall.incomplete,
            flagged: s.overall.flagged,
            input_errors: s.input_errors,
            records_with_warnings: s.with_warnings,
            records_without_value: s.without_value,
            waived: s.waived,
            expired_exemptions: s.expired_exemptions,
            spend: spend(&s.overall.spend),
            areas: plan
                .areas
                .iter()
                .zip(&s.areas)
                .map(|(a, b)| BreakdownJson {
                    id: Some(&a.id),
                    ..breakdown(b)
                })
                .collect(),
            buyers: s
                .buyers
                .iter()
                .map(|(id, (name, b))| BreakdownJson {
                    id: Some(id),
                    name: Some(name),
                    ..breakdown(b)
                })
                .collect(),
            quarters: quarter_labels
                .iter()
                .zip(s.quarters.values())
                .map(|(q, b)| BreakdownJson {
                    quarter: Some(q),
                    ..breakdown(b)
                })
                .collect(),
            missing_fields: &s.missing,
            fields_present: crate::schema::FIELDS
                .iter()
                .zip(&s.fields_present)
                .enumerate()
                .filter(|(i, _)| s.coverage_fields.contains(*i as crate::schema::FieldIndex))
                .map(|(_, (f, n))| (f.path, *n))
                .collect(),
            largest_non_compliant: s
                .largest_non_compliant
                .iter()
                .map(|h| HighlightJson {
                    id: &h.id,
                    title: h.title.as_deref(),
                    buyer: h.buyer.as_deref(),
                    date: h.date.map(|d| d.to_string()),
                    value: money(&h.value),
                    source: source(&h.source),
                    failed: h
                        .reasons
                        .iter()
                        .map(|reason| plan.rules[reason.rule as usize].id.as_str())
                        .collect(),
                })
                .collect(),
            exemptions: s
                .exemptions
                .iter()
                .map(|e| ExemptionJson {
                    record: &e.record,
                    rule: &plan.rules[e.rule as usize].id,
                    applied: e.applied,
                    reason: e.reason.as_deref(),
                    approved_by: e.approved_by.as_deref(),
                    expires: e.expires.map(|d| d.to_string()),
                })
                .collect(),
            exemptions_omitted: s.exemptions_omitted,
            groups: s.groups.as_ref().map(|g| groups(plan, g)),
            member: s.member.as_ref().map(|m| MemberJson {
                id: &m.key,
                name: &m.name,
            }),
        };
        self.field("summary", &summary, true)?;
        self.out.write_all(b"}\n")?;
        self.out.flush()
    }

    fn wants_records(&self) -> bool {
        !self.summary_only
    }

    fn compared(&mut self, comparison: &super::baseline::Comparison) {
        self.comparison = Some(comparison.clone());
    }
}
