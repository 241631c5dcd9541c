//! The strategy as encoded (`anskaff rules`): the policies, their strategy
//! areas, rules and parameters, so that a politician can see which measures
//! of a strategy are checked and which are not (an area without rules says
//! "no encoded rules"). In text, Markdown, HTML or JSON.

use super::ReportFormat;
use super::page::{Block, Cell, Page, Section, Table};
use crate::plan::{Period, Plan, RulePlan};
use crate::syntax::ast::Lang;
use serde::Serialize;

fn t(lang: Lang, en: &str, nb: &str) -> String {
    if lang == Lang::Nb { nb } else { en }.to_string()
}

/// The days a rule is in force: its own period within its policy's.
pub fn in_force(plan: &Plan, rule: &RulePlan) -> Period {
    let policy = plan
        .policies
        .get(rule.policy as usize)
        .map(|p| p.in_force)
        .unwrap_or_default();
    Period {
        from: rule.in_force.from.max(policy.from),
        to: match (rule.in_force.to, policy.to) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        },
    }
}

fn period(p: &Period, lang: Lang) -> String {
    if p.is_unbounded() {
        t(lang, "always", "alltid")
    } else {
        p.display()
    }
}

/// The rule ids of each area, in rule order.
fn rules_by_area(plan: &Plan) -> Vec<Vec<&str>> {
    let mut by_area = vec![Vec::new(); plan.areas.len()];
    for r in &plan.rules {
        if let Some(list) = by_area.get_mut(r.area as usize) {
            list.push(r.id.as_str());
        }
    }
    by_area
}

/// The strategy as a page of tables (for HTML and Markdown).
pub fn page(plan: &Plan, lang: Lang) -> Page {
    let by_area = rules_by_area(plan);
    let no_rules = t(lang, "no encoded rules", "ingen kodede regler");
    let policy_id = |i: u16| plan.policies.get(i as usize).map(|p| p.id.clone()).unwrap_or_default();
    let policies = super::page::policy_table(plan, lang);
    let areas = Table {
        head: vec![
            t(lang, "Area", "Område"),
            t(lang, "Title and description", "Tittel og beskrivelse"),
            t(lang, "Policy", "Policy"),
            t(lang, "Rules", "Regler"),
        ],
        numeric: vec![false; 4],
        rows: plan
            .areas
            .iter()
            .zip(&by_area)
            .map(|(a, rules)| {
                let mut title = vec![a.title.get(lang).unwrap_or(&a.id).to_string()];
                title.extend(a.description.get(lang).map(str::to_string));
                vec![
                    Cell::code(a.id.clone()),
                    Cell::lines(title),
                    Cell::text(policy_id(a.policy)),
                    Cell::text(if rules.is_empty() {
                        no_rules.clone()
                    } else {
                        rules.join(", ")
                    }),
                ]
            })
            .collect(),
        note: None,
    };
    let rules = Table {
        head: vec![
            t(lang, "Rule", "Regel"),
            t(lang, "Title", "Tittel"),
            t(lang, "Area", "Område"),
            t(lang, "Level", "Nivå"),
            t(lang, "Basis", "Grunnlag"),
            t(lang, "In force", "I kraft"),
            t(lang, "Policy", "Policy"),
        ],
        numeric: vec![false; 7],
        rows: plan
            .rules
            .iter()
            .map(|r| {
                let area = plan.areas.get(r.area as usize);
                vec![
                    Cell::code(r.id.clone()),
                    Cell::text(r.title.get(lang).unwrap_or("")),
                    Cell::text(area.map(|a| a.title.get(lang).unwrap_or(&a.id)).unwrap_or("")),
                    Cell::text(super::severity_word(r.severity, lang)),
                    Cell::text(r.basis.clone().unwrap_or_else(|| "–".into())),
                    Cell::text(period(&in_force(plan, r), lang)),
                    Cell::text(policy_id(r.policy)),
                ]
            })
            .collect(),
        note: None,
    };
    let uncovered: Vec<String> = plan
        .areas
        .iter()
        .zip(&by_area)
        .filter(|(_, r)| r.is_empty())
        .map(|(a, _)| a.title.get(lang).unwrap_or(&a.id).to_string())
        .collect();
    let mut area_blocks = Vec::new();
    if !uncovered.is_empty() {
        area_blocks.push(Block::Note(format!(
            "{}: {}.",
            t(
                lang,
                "Strategy areas with no encoded rules (not checked)",
                "Strategiområder uten kodede regler (blir ikke kontrollert)"
            ),
            uncovered.join(", ")
        )));
    }
    area_blocks.push(Block::Table(areas));
    Page {
        lang,
        title: t(lang, "The strategy as encoded rules", "Strategien som kodede regler"),
        lead: vec![
            plan.policies
                .iter()
                .map(|p| {
                    let title = p.title.get(lang).unwrap_or(&p.id);
                    match &p.version {
                        Some(v) => format!("{title} ({v})"),
                        None => title.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" · "),
            format!(
                "{} {}, {} {}, {} {}",
                plan.areas.len(),
                t(lang, "strategy areas", "strategiområder"),
                plan.rules.len(),
                t(lang, "rules", "regler"),
                plan.params.len(),
                t(lang, "parameters", "parametere"),
            ),
        ],
        sections: vec![
            Section {
                id: "policies".into(),
                nested: false,
                title: t(lang, "Policies", "Policyer"),
                blocks: vec![Block::Table(policies)],
            },
            Section {
                id: "areas".into(),
                nested: false,
                title: t(lang, "Strategy areas", "Strategiområder"),
                blocks: area_blocks,
            },
            Section {
                id: "rules".into(),
                nested: false,
                title: t(lang, "Rules", "Regler"),
                blocks: vec![Block::Table(rules)],
            },
            Section {
                id: "parameters".into(),
                nested: false,
                title: t(lang, "Parameters", "Parametere"),
                blocks: vec![Block::Table(super::page::parameter_table(plan, lang))],
            },
        ],
    }
}

/// The strategy as plain text for a terminal.
pub fn text(plan: &Plan, lang: Lang) -> String {
    use std::fmt::Write as _;
    let mut o = String::new();
    let by_area = rules_by_area(plan);
    let _ = writeln!(o, "{}", t(lang, "Policies", "Policyer"));
    for p in &plan.policies {
        let version = p.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
        let _ = writeln!(o, "  {}{version}  {}", p.id, p.title.get(lang).unwrap_or(""));
        let mut facts = Vec::new();
        if let Some(a) = &p.authority {
            facts.push(format!("{}: {a}", t(lang, "authority", "myndighet")));
        }
        facts.push(format!(
            "{}: {}",
            t(lang, "in force", "i kraft"),
            period(&p.in_force, lang)
        ));
        if let Some(scope) = &p.scope {
            facts.push(scope.text.clone());
        }
        facts.push(format!("{}: {}", t(lang, "file", "fil"), p.file));
        let _ = writeln!(o, "      {}", facts.join(" · "));
    }
    let _ = writeln!(o, "\n{}", t(lang, "Strategy areas", "Strategiområder"));
    let width = plan.areas.iter().map(|a| a.id.chars().count()).max().unwrap_or(0);
    for (a, rules) in plan.areas.iter().zip(&by_area) {
        let rules = if rules.is_empty() {
            t(lang, "no encoded rules", "ingen kodede regler")
        } else {
            rules.join(", ")
        };
        let _ = writeln!(o, "  {:width$}  {}", a.id, a.title.get(lang).unwrap_or(""));
        if let Some(d) = a.description.get(lang) {
            let _ = writeln!(o, "  {:width$}  {d}", "");
        }
        let _ = writeln!(o, "  {:width$}  {}: {rules}", "", t(lang, "rules", "regler"));
    }
    let _ = writeln!(o, "\n{}", t(lang, "Rules", "Regler"));
    for r in &plan.rules {
        let area = plan.areas.get(r.area as usize).map(|a| a.id.as_str()).unwrap_or("");
        let policy = plan
            .policies
            .get(r.policy as usize)
            .map(|p| p.id.as_str())
            .unwrap_or("");
        let _ = writeln!(
            o,
            "  {} [{}] {}",
            r.id,
            super::severity_word(r.severity, lang),
            r.title.get(lang).unwrap_or("")
        );
        let _ = writeln!(
            o,
            "      {}: {area} · {}: {} · {}: {policy}",
            t(lang, "area", "område"),
            t(lang, "in force", "i kraft"),
            period(&in_force(plan, r), lang),
            t(lang, "policy", "policy"),
        );
        if let Some(b) = &r.basis {
            let _ = writeln!(o, "      {}: {b}", t(lang, "basis", "grunnlag"));
        }
    }
    let _ = writeln!(o, "\n{}", t(lang, "Parameters", "Parametere"));
    for p in &plan.params {
        let _ = writeln!(o, "  {}  {}", p.name, p.title.get(lang).unwrap_or(""));
        let value = match &p.value {
            crate::plan::ParamValue::Fixed(c) => c.display(lang),
            crate::plan::ParamValue::ByDate(e) => e
                .iter()
                .map(|(d, c)| format!("{} {d}: {}", t(lang, "from", "fra"), c.display(lang)))
                .collect::<Vec<_>>()
                .join("; "),
        };
        let set = if p.overridden {
            format!(" {}", t(lang, "(set with --set)", "(satt med --set)"))
        } else {
            String::new()
        };
        let _ = writeln!(o, "      {value}{set}");
    }
    o
}

#[derive(Serialize)]
struct StrategyJson<'a> {
    tool: ToolJson,
    lang: &'static str,
    policies: Vec<super::json::PolicyJson<'a>>,
    areas: Vec<AreaJson<'a>>,
    rules: Vec<RuleJson<'a>>,
    parameters: Vec<ParamJson<'a>>,
}

#[derive(Serialize)]
struct ToolJson {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct AreaJson<'a> {
    id: &'a str,
    title: super::json::TitleJson<'a>,
    description: super::json::TitleJson<'a>,
    policy: &'a str,
    rules: Vec<&'a str>,
}

#[derive(Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    title: super::json::TitleJson<'a>,
    area: &'a str,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    basis: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_force: Option<super::json::PeriodJson>,
    policy: &'a str,
    cross_record: bool,
}

#[derive(Serialize)]
struct ParamJson<'a> {
    #[serde(flatten)]
    param: super::json::ParamJson<'a>,
    title: super::json::TitleJson<'a>,
}

/// The strategy as JSON.
pub fn json(plan: &Plan, lang: Lang, version: &'static str) -> String {
    let by_area = rules_by_area(plan);
    let policy_id = |i: u16| plan.policies.get(i as usize).map(|p| p.id.as_str()).unwrap_or("");
    let doc = StrategyJson {
        tool: ToolJson {
            name: "anskaff",
            version,
        },
        lang: lang.code(),
        policies: super::json::policies(plan),
        areas: plan
            .areas
            .iter()
            .zip(by_area)
            .map(|(a, rules)| AreaJson {
                id: &a.id,
                title: super::json::title(&a.title),
                description: super::json::title(&a.description),
                policy: policy_id(a.policy),
                rules,
            })
            .collect(),
        rules: plan
            .rules
            .iter()
            .map(|r| RuleJson {
                id: &r.id,
                title: super::json::title(&r.title),
                area: plan.areas.get(r.area as usize).map(|a| a.id.as_str()).unwrap_or(""),
                severity: r.severity.as_str(),
                basis: r.basis.as_deref(),
                in_force: super::json::period(&in_force(plan, r)),
                policy: policy_id(r.policy),
                cross_record: r.is_cross(),
            })
            .collect(),
        parameters: super::json::parameters(plan)
            .into_iter()
            .zip(&plan.params)
            .map(|(param, p)| ParamJson {
                param,
                title: super::json::title(&p.title),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

/// The strategy in `format` (text, Markdown, HTML or JSON); `None` for a
/// format that has no strategy form.
pub fn render(plan: &Plan, format: ReportFormat, lang: Lang, version: &'static str) -> Option<String> {
    match format {
        ReportFormat::Text => Some(text(plan, lang)),
        ReportFormat::Markdown => Some(super::markdown::render(&page(plan, lang))),
        ReportFormat::Html => {
            let meta = super::Meta {
                version,
                lang,
                inputs: Vec::new(),
            };
            Some(super::html::render(&page(plan, lang), &meta))
        }
        ReportFormat::Json => Some(json(plan, lang, version)),
        ReportFormat::Junit | ReportFormat::Csv => None,
    }
}
