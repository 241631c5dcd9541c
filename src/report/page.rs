//! The content of the reports for people, in one language: headline
//! figures, compliance per strategy area, per rule, per quarter and buyer,
//! the largest non-compliant procurements, waivers, data coverage and what
//! the report was made from. [`super::html`] draws it with charts;
//! [`super::markdown`] writes the same content as tables.
//!
//! Everything here is built from the [`Summary`] and the plan: no record is
//! kept. Texts are plain (not escaped); each renderer escapes them.

use super::baseline::{Change, Comparison};
use super::{Breakdown, Meta, Quarter, Renderer, Spend, Summary, outcome_word, severity_word, share, status_word};
use crate::finding::{Evaluated, InputError, Outcome, Status};
use crate::plan::{ParamValue, Plan};
use crate::syntax::ast::Lang;
use crate::value::{Currency, format_amount, format_decimal};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// A report page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub lang: Lang,
    pub title: String,
    /// Lines under the title: the policies, the inputs, the tool.
    pub lead: Vec<String>,
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// A stable anchor: `headline`, `areas`, … (letters, digits and `-`).
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
    /// A section within the one before it (a member's, after its
    /// cooperation's overview): left out of the table of contents.
    pub nested: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(String),
    /// A paragraph that warns the reader.
    Note(String),
    /// Key figures in large type.
    Figures(Vec<KeyFigure>),
    /// A sub-heading.
    Heading(String),
    Table(Table),
    Chart(Chart),
    /// Term and value, one per line.
    Facts(Vec<(String, String)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Bad,
    Missing,
    Neutral,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeyFigure {
    /// `69,3 %`
    pub value: String,
    pub label: String,
    pub tone: Tone,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub head: Vec<String>,
    /// Per column: numbers, aligned right.
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<Cell>>,
    /// E.g. how many rows were left out.
    pub note: Option<String>,
}

/// A table cell: a first line and smaller lines under it, or a list of
/// equal lines.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cell {
    pub lines: Vec<String>,
    /// An identifier, shown as code.
    pub code: bool,
    /// The lines are equal items, not a line and notes under it.
    pub list: bool,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            lines: vec![s.into()],
            ..Default::default()
        }
    }

    pub fn code(s: impl Into<String>) -> Cell {
        Cell {
            lines: vec![s.into()],
            code: true,
            list: false,
        }
    }

    pub fn lines(lines: Vec<String>) -> Cell {
        Cell {
            lines,
            ..Default::default()
        }
    }

    pub fn list(lines: Vec<String>) -> Cell {
        Cell {
            lines,
            code: false,
            list: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    /// The strategy area the chart is about.
    pub area: Option<String>,
    pub kind: ChartKind,
    /// The chart's numbers, for those who cannot see it and for print.
    pub table: Table,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChartKind {
    /// One horizontal bar per row, split into compliant, non-compliant and
    /// incomplete.
    Status(Vec<StatusBar>),
    /// Shares in percent over quarters, one line per series.
    Trend { labels: Vec<String>, series: Vec<Series> },
    /// One bar per row against a common maximum.
    Bars(Vec<Bar>),
    /// Rows side by side over columns (members over strategy areas): in
    /// each cell, a bar split into compliant, non-compliant and incomplete.
    Matrix { columns: Vec<String>, rows: Vec<MatrixRow> },
    /// Nothing to draw; the text says why.
    Empty(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixRow {
    pub label: String,
    /// Per column; `None` where the row has nothing in that column.
    pub cells: Vec<Option<MatrixCell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MatrixCell {
    /// Compliant, non-compliant, incomplete.
    pub parts: [f64; 3],
    /// Written in the cell: `62 %`.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusBar {
    pub label: String,
    /// Compliant, non-compliant, incomplete.
    pub parts: [f64; 3],
    /// The parts as written in the bar.
    pub part_labels: [String; 3],
    /// Written next to the bar, e.g. `69,3 % i samsvar`.
    pub note: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// Per label: the value in percent, if there is one.
    pub points: Vec<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

/// Rows a table of records, buyers or changes shows at most.
pub const MAX_ROWS: usize = 100;
/// Bars a chart of buyers shows at most.
pub const MAX_BARS: usize = 20;
/// Quarters the trend chart spans at most with gaps for empty quarters.
pub const MAX_QUARTERS: usize = 80;
/// Missing fields the coverage chart shows at most (the table has all).
pub const MAX_FIELD_BARS: usize = 10;

pub(super) fn t(lang: Lang, en: &str, nb: &str) -> String {
    if lang == Lang::Nb { nb } else { en }.to_string()
}

/// `69,3 %`, or `–` without a total.
pub fn percent(part: Decimal, total: Decimal, lang: Lang) -> String {
    share(part, total)
        .map(|p| format!("{} %", format_decimal(p, lang)))
        .unwrap_or_else(|| "–".to_string())
}

pub(super) fn count_share(part: u64, total: u64, lang: Lang) -> String {
    percent(Decimal::from(part), Decimal::from(total), lang)
}

pub fn money(amount: Decimal, currency: Currency, lang: Lang) -> String {
    format!("{} {currency}", format_amount(amount, lang))
}

pub(super) fn float(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Currencies with NOK first, then the others in order.
pub fn currencies(spend: &BTreeMap<Currency, Spend>) -> Vec<(Currency, &Spend)> {
    let mut list: Vec<(Currency, &Spend)> = spend.iter().map(|(c, s)| (*c, s)).collect();
    list.sort_by_key(|(c, _)| (*c != Currency::NOK, *c));
    list
}

pub(super) fn records_word(n: u64, lang: Lang) -> &'static str {
    match (n == 1, lang) {
        (true, Lang::Nb) => "post",
        (false, Lang::Nb) => "poster",
        (true, Lang::En) => "record",
        (false, Lang::En) => "records",
    }
}

/// The parts of a status bar for record counts.
pub(super) fn count_bar(label: String, b: &Breakdown, lang: Lang) -> StatusBar {
    StatusBar {
        label,
        parts: [b.compliant as f64, b.non_compliant as f64, b.incomplete as f64],
        part_labels: [
            b.compliant.to_string(),
            b.non_compliant.to_string(),
            b.incomplete.to_string(),
        ],
        note: format!(
            "{} {} ({} {} {})",
            count_share(b.compliant, b.records, lang),
            status_word(Status::Compliant, lang),
            b.compliant,
            t(lang, "of", "av"),
            b.records
        ),
    }
}

/// The parts of a status bar for value in one currency.
pub(super) fn value_bar(label: String, s: &Spend, lang: Lang) -> StatusBar {
    StatusBar {
        label,
        parts: [float(s.compliant), float(s.non_compliant), float(s.incomplete)],
        part_labels: [
            short_amount(s.compliant, lang),
            short_amount(s.non_compliant, lang),
            short_amount(s.incomplete, lang),
        ],
        note: format!(
            "{} {}",
            percent(s.compliant, s.total, lang),
            status_word(Status::Compliant, lang)
        ),
    }
}

/// An amount short enough for a bar: `38 mill.`, `1,2 mrd.`, `400 k`.
pub fn short_amount(d: Decimal, lang: Lang) -> String {
    let (scale, unit) = if d.abs() >= Decimal::from(1_000_000_000) {
        (Decimal::from(1_000_000_000), t(lang, "bn", "mrd."))
    } else if d.abs() >= Decimal::from(1_000_000) {
        (Decimal::from(1_000_000), t(lang, "m", "mill."))
    } else if d.abs() >= Decimal::from(1_000) {
        (Decimal::from(1_000), "k".to_string())
    } else {
        return format_decimal(d.round_dp(0), lang);
    };
    let v = d.checked_div(scale).unwrap_or_default();
    let v = if v.abs() >= Decimal::from(10) {
        v.round_dp(0)
    } else {
        v.round_dp(1)
    };
    format!("{} {unit}", format_decimal(v, lang))
}

/// A row of a status table: label, the three parts, the total.
pub(super) type StatusRow = (String, [String; 3], String);

/// The table of a status chart: one row per bar.
pub(super) fn status_table(first: String, rows: Vec<StatusRow>, lang: Lang) -> Table {
    Table {
        head: vec![
            first,
            status_word(Status::Compliant, lang).to_string(),
            status_word(Status::NonCompliant, lang).to_string(),
            status_word(Status::Incomplete, lang).to_string(),
            t(lang, "total", "totalt"),
        ],
        numeric: vec![false, true, true, true, true],
        rows: rows
            .into_iter()
            .map(|(label, parts, total)| {
                let mut row = vec![Cell::text(label)];
                row.extend(parts.into_iter().map(Cell::text));
                row.push(Cell::text(total));
                row
            })
            .collect(),
        note: None,
    }
}

/// Bars and table rows for a breakdown: records, then value per currency.
pub(super) fn breakdown_chart(b: &Breakdown, lang: Lang) -> (Vec<StatusBar>, Vec<StatusRow>) {
    let mut bars = vec![count_bar(t(lang, "Records", "Poster"), b, lang)];
    let pct = |n: u64| format!("{n} ({})", count_share(n, b.records, lang));
    let mut rows = vec![(
        t(lang, "Records", "Poster"),
        [pct(b.compliant), pct(b.non_compliant), pct(b.incomplete)],
        b.records.to_string(),
    )];
    for (c, s) in currencies(&b.spend) {
        let label = format!("{}, {c}", t(lang, "Value", "Verdi"));
        bars.push(value_bar(label.clone(), s, lang));
        let part = |d: Decimal| format!("{} ({})", format_amount(d, lang), percent(d, s.total, lang));
        rows.push((
            label,
            [part(s.compliant), part(s.non_compliant), part(s.incomplete)],
            format_amount(s.total, lang),
        ));
    }
    (bars, rows)
}

/// The renderer of a page format (HTML, Markdown): it keeps no record and
/// writes the page built from the summary at the end.
pub struct PageRenderer<W: Write> {
    out: W,
    comparison: Option<Comparison>,
    render: fn(&Page, &Meta) -> String,
}

impl<W: Write> PageRenderer<W> {
    pub fn new(out: W, render: fn(&Page, &Meta) -> String) -> Self {
        PageRenderer {
            out,
            comparison: None,
            render,
        }
    }
}

impl<W: Write> Renderer for PageRenderer<W> {
    fn begin(&mut self, _plan: &Plan, _meta: &Meta) -> io::Result<()> {
        Ok(())
    }

    fn record(&mut self, _plan: &Plan, _record: &Evaluated) -> io::Result<()> {
        Ok(())
    }

    fn finish(&mut self, plan: &Plan, meta: &Meta, summary: &Summary, errors: &[InputError]) -> io::Result<()> {
        let page = build(plan, meta, summary, errors, self.comparison.as_ref());
        self.out.write_all((self.render)(&page, meta).as_bytes())?;
        self.out.flush()
    }

    /// The page shows aggregates only.
    fn wants_records(&self) -> bool {
        false
    }

    fn compared(&mut self, comparison: &Comparison) {
        self.comparison = Some(comparison.clone());
    }
}

/// Build the page of a run.
pub fn build(plan: &Plan, meta: &Meta, s: &Summary, errors: &[InputError], comparison: Option<&Comparison>) -> Page {
    let lang = meta.lang;
    let mut sections = vec![headline(s, lang)];
    if let Some(c) = comparison {
        sections.push(changes(plan, c, lang));
    }
    if let Some(g) = &s.groups {
        sections.extend(super::overview::sections(plan, g, lang));
    }
    sections.push(areas(plan, s, lang));
    sections.push(rules(plan, s, lang));
    sections.push(trend(s, lang));
    sections.push(largest(plan, s, lang));
    sections.push(waivers(plan, s, lang));
    sections.push(coverage(s, errors, lang));
    sections.push(basis(plan, meta, lang));
    let policies: Vec<String> = plan
        .policies
        .iter()
        .map(|p| {
            let title = p.title.get(lang).unwrap_or(&p.id);
            match &p.version {
                Some(v) => format!("{title} ({v})"),
                None => title.to_string(),
            }
        })
        .collect();
    let mut lead = vec![
        format!("{}: {}", t(lang, "Policies", "Policyer"), policies.join(" · ")),
        format!(
            "{}: {} · anskaff {}",
            t(lang, "Input", "Inndata"),
            meta.inputs.join(", "),
            meta.version
        ),
    ];
    let mut title = t(
        lang,
        "Compliance with the procurement strategy",
        "Etterlevelse av anskaffelsesstrategien",
    );
    if let Some(m) = &s.member {
        title = format!("{title}: {}", m.name);
        lead.insert(0, member_lead(&m.name, lang));
    }
    Page {
        lang,
        title,
        lead,
        sections,
    }
}

/// Whose report it is (`--member`): `Report for Steinkjer kommune: …`.
pub fn member_lead(name: &str, lang: Lang) -> String {
    if lang == Lang::Nb {
        format!(
            "Rapport til {name}: egne anskaffelser og felles anskaffelser der {name} deltar, kontrollert mot reglene som gjelder for {name}."
        )
    } else {
        format!(
            "Report for {name}: its own procurements and the joint ones it takes part in, checked against the rules that are its own."
        )
    }
}

/// The key figure of the share of records that comply.
pub(super) fn compliant_records(b: &Breakdown, lang: Lang) -> KeyFigure {
    KeyFigure {
        value: count_share(b.compliant, b.records, lang),
        label: format!(
            "{} ({} {} {})",
            t(lang, "of the records comply", "av postene er i samsvar"),
            b.compliant,
            t(lang, "of", "av"),
            b.records
        ),
        tone: Tone::Good,
    }
}

fn headline(s: &Summary, lang: Lang) -> Section {
    let o = &s.overall;
    let mut blocks = Vec::new();
    blocks.push(Block::Para(if lang == Lang::Nb {
        format!(
            "{} av {} anskaffelser ({}) er i samsvar med reglene. {} er ikke i samsvar, og for {} mangler data som trengs for å vurdere dem.",
            o.compliant,
            o.records,
            count_share(o.compliant, o.records, lang),
            o.non_compliant,
            o.incomplete
        )
    } else {
        format!(
            "{} of {} procurements ({}) comply with the rules. {} do not comply, and {} lack the data needed to judge them.",
            o.compliant,
            o.records,
            count_share(o.compliant, o.records, lang),
            o.non_compliant,
            o.incomplete
        )
    }));
    let spend_of = |f: fn(&Spend) -> Decimal| -> String {
        currencies(&o.spend)
            .into_iter()
            .filter(|(_, sp)| !f(sp).is_zero())
            .map(|(c, sp)| money(f(sp), c, lang))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let with_spend = |n: u64, amounts: String| {
        if amounts.is_empty() {
            format!("{n} {}", records_word(n, lang))
        } else {
            format!("{n} {}; {amounts}", records_word(n, lang))
        }
    };
    // The records: compliant, non-compliant, incomplete.
    blocks.push(Block::Figures(vec![
        compliant_records(o, lang),
        KeyFigure {
            value: count_share(o.non_compliant, o.records, lang),
            label: format!(
                "{} ({})",
                t(lang, "of the records do not comply", "av postene er ikke i samsvar"),
                with_spend(o.non_compliant, spend_of(|sp| sp.non_compliant))
            ),
            tone: Tone::Bad,
        },
        KeyFigure {
            value: count_share(o.incomplete, o.records, lang),
            label: format!(
                "{} ({})",
                t(
                    lang,
                    "of the records are incomplete: data is missing",
                    "av postene er ufullstendige: data mangler"
                ),
                with_spend(o.incomplete, spend_of(|sp| sp.incomplete))
            ),
            tone: Tone::Missing,
        },
    ]));
    // The spend, per currency, NOK first.
    let spend: Vec<KeyFigure> = currencies(&o.spend)
        .into_iter()
        .map(|(c, sp)| KeyFigure {
            value: percent(sp.compliant, sp.total, lang),
            label: format!(
                "{} {c} {} ({} {} {}); {} {}, {} {}",
                t(lang, "of the value in", "av verdien i"),
                t(lang, "complies", "er i samsvar"),
                format_amount(sp.compliant, lang),
                t(lang, "of", "av"),
                money(sp.total, c, lang),
                percent(sp.non_compliant, sp.total, lang),
                t(lang, "does not comply", "er ikke i samsvar"),
                percent(sp.incomplete, sp.total, lang),
                t(lang, "lacks data", "mangler data"),
            ),
            tone: Tone::Good,
        })
        .collect();
    if !spend.is_empty() {
        blocks.push(Block::Figures(spend));
    }
    blocks.push(Block::Note(t(
        lang,
        "Incomplete means that data is missing, not that the requirements are met: a rule that cannot be checked is never counted as complied with. See “Data coverage”.",
        "Ufullstendig betyr at data mangler, ikke at kravene er oppfylt: en regel som ikke kan kontrolleres, regnes aldri som oppfylt. Se «Datadekning».",
    )));
    let (bars, rows) = breakdown_chart(o, lang);
    blocks.push(Block::Chart(Chart {
        title: t(lang, "Compliance overall", "Samsvar totalt"),
        area: None,
        kind: ChartKind::Status(bars),
        table: status_table(t(lang, "Measured by", "Målt i"), rows, lang),
    }));
    let mut facts = vec![(
        t(
            lang,
            "Records flagged by a should rule",
            "Poster med merknad fra en bør-regel",
        ),
        o.flagged.to_string(),
    )];
    if s.without_value > 0 {
        facts.push((
            t(lang, "Records without a value", "Poster uten verdi"),
            s.without_value.to_string(),
        ));
    }
    if s.input_errors > 0 {
        facts.push((
            t(lang, "Input that could not be read", "Inndata som ikke kunne leses"),
            s.input_errors.to_string(),
        ));
    }
    blocks.push(Block::Facts(facts));
    Section {
        id: "headline".into(),
        nested: false,
        title: t(lang, "Key figures", "Hovedtall"),
        blocks,
    }
}

fn changes(plan: &Plan, c: &Comparison, lang: Lang) -> Section {
    let mut blocks = vec![
        Block::Para(format!(
            "{} {}. {}",
            t(
                lang,
                "Compared with the earlier report",
                "Sammenlignet med den tidligere rapporten"
            ),
            c.file,
            t(
                lang,
                "A finding that fails or cannot be checked counts as failing.",
                "Et funn som er brudd eller ikke kan kontrolleres, regnes som avvik."
            )
        )),
        Block::Figures(vec![
            KeyFigure {
                value: c.new.len().to_string(),
                label: t(lang, "new", "nye"),
                tone: Tone::Bad,
            },
            KeyFigure {
                value: c.fixed.len().to_string(),
                label: t(lang, "fixed", "rettet"),
                tone: Tone::Good,
            },
            KeyFigure {
                value: c.still.len().to_string(),
                label: t(lang, "still failing", "fortsatt avvik"),
                tone: Tone::Neutral,
            },
        ]),
    ];
    let lists = [
        (t(lang, "New", "Nye"), &c.new),
        (t(lang, "Fixed", "Rettet"), &c.fixed),
        (t(lang, "Still failing", "Fortsatt avvik"), &c.still),
    ];
    for (title, list) in lists {
        if list.is_empty() {
            continue;
        }
        blocks.push(Block::Heading(format!("{title} ({})", list.len())));
        blocks.push(Block::Table(change_table(plan, list, lang)));
    }
    Section {
        id: "changes".into(),
        nested: false,
        title: t(
            lang,
            "Changes since the earlier report",
            "Endringer siden forrige rapport",
        ),
        blocks,
    }
}

fn change_table(plan: &Plan, list: &[Change], lang: Lang) -> Table {
    Table {
        head: vec![
            t(lang, "Record", "Post"),
            t(lang, "Rule", "Regel"),
            t(lang, "Outcome", "Utfall"),
        ],
        numeric: vec![false, false, false],
        rows: list
            .iter()
            .take(MAX_ROWS)
            .map(|ch| {
                let title = plan
                    .rule_index(&ch.rule)
                    .and_then(|i| plan.rules[i as usize].title.get(lang))
                    .map(str::to_string);
                let rule = match title {
                    Some(title) => vec![title, ch.rule.clone()],
                    None => vec![ch.rule.clone()],
                };
                vec![
                    Cell::code(ch.record.clone()),
                    Cell::lines(rule),
                    Cell::text(ch.outcome.map(|o| outcome_word(o, lang)).unwrap_or("–")),
                ]
            })
            .collect(),
        note: more(list.len(), lang),
    }
}

fn more(n: usize, lang: Lang) -> Option<String> {
    (n > MAX_ROWS).then(|| {
        format!(
            "{} {} {}",
            t(lang, "The first", "De første"),
            MAX_ROWS,
            if lang == Lang::Nb {
                format!("av {n} er vist; JSON-rapporten har alle.")
            } else {
                format!("of {n} are shown; the JSON report has all.")
            }
        )
    })
}

fn areas(plan: &Plan, s: &Summary, lang: Lang) -> Section {
    let mut blocks = vec![Block::Para(t(
        lang,
        "A record counts in an area when at least one of the area's rules applies to it. Its status there follows the area's must rules; a failed should rule is a flag for review.",
        "En post regnes med i et område når minst én av områdets regler gjelder for den. Statusen der følger områdets skal-regler; en bør-regel som ikke er oppfylt, gir en merknad.",
    ))];
    let rules_of = |area: usize| -> Vec<&str> {
        plan.rules
            .iter()
            .filter(|r| r.area as usize == area)
            .map(|r| r.id.as_str())
            .collect()
    };
    let no_rules = t(lang, "no encoded rules", "ingen kodede regler");
    let no_records = t(lang, "no records concerned", "ingen poster berørt");
    // One bar per area, by records.
    let mut bars = Vec::new();
    let mut rows = Vec::new();
    for (i, (a, b)) in plan.areas.iter().zip(&s.areas).enumerate() {
        let title = a.title.get(lang).unwrap_or(&a.id).to_string();
        let mut bar = count_bar(title.clone(), b, lang);
        if rules_of(i).is_empty() {
            bar.note = no_rules.clone();
        } else if b.records == 0 {
            bar.note = no_records.clone();
        }
        bars.push(bar);
        let pct = |n: u64| format!("{n} ({})", count_share(n, b.records, lang));
        rows.push((
            title,
            [pct(b.compliant), pct(b.non_compliant), pct(b.incomplete)],
            b.records.to_string(),
        ));
    }
    if !bars.is_empty() {
        blocks.push(Block::Chart(Chart {
            title: t(lang, "Records by strategy area", "Poster per strategiområde"),
            area: None,
            kind: ChartKind::Status(bars),
            table: status_table(t(lang, "Area", "Område"), rows, lang),
        }));
    }
    for (i, (a, b)) in plan.areas.iter().zip(&s.areas).enumerate() {
        let title = a.title.get(lang).unwrap_or(&a.id);
        blocks.push(Block::Heading(format!("{title} ({})", a.id)));
        if let Some(d) = a.description.get(lang) {
            blocks.push(Block::Para(d.to_string()));
        }
        let rules = rules_of(i);
        let chart_title = format!(
            "{title}: {}",
            t(lang, "compliance by count and value", "samsvar etter antall og verdi")
        );
        if rules.is_empty() {
            blocks.push(Block::Chart(Chart {
                title: chart_title,
                area: Some(a.id.clone()),
                kind: ChartKind::Empty(t(
                    lang,
                    "No encoded rules: this part of the strategy is not checked.",
                    "Ingen kodede regler: denne delen av strategien blir ikke kontrollert.",
                )),
                table: Table::default(),
            }));
            continue;
        }
        blocks.push(Block::Para(format!(
            "{}: {}. {}: {}.",
            t(lang, "Rules", "Regler"),
            rules.join(", "),
            t(lang, "Flagged by a should rule", "Merknad fra en bør-regel"),
            b.flagged
        )));
        if b.records == 0 {
            blocks.push(Block::Chart(Chart {
                title: chart_title,
                area: Some(a.id.clone()),
                kind: ChartKind::Empty(t(
                    lang,
                    "No records concerned: none of the area's rules applied.",
                    "Ingen poster berørt: ingen av områdets regler gjaldt.",
                )),
                table: Table::default(),
            }));
            continue;
        }
        let (bars, rows) = breakdown_chart(b, lang);
        blocks.push(Block::Chart(Chart {
            title: chart_title,
            area: Some(a.id.clone()),
            kind: ChartKind::Status(bars),
            table: status_table(t(lang, "Measured by", "Målt i"), rows, lang),
        }));
    }
    Section {
        id: "areas".into(),
        nested: false,
        title: t(lang, "By strategy area", "Per strategiområde"),
        blocks,
    }
}

fn rules(plan: &Plan, s: &Summary, lang: Lang) -> Section {
    let mut head = vec![t(lang, "Rule and basis", "Regel og grunnlag")];
    head.extend(Outcome::ALL.iter().map(|&o| outcome_word(o, lang).to_string()));
    let mut numeric = vec![false];
    numeric.extend([true; 5]);
    let rows = plan
        .rules
        .iter()
        .zip(&s.rules)
        .map(|(r, tally)| {
            let mut what = vec![
                r.title.get(lang).unwrap_or(&r.id).to_string(),
                format!("{} ({})", r.id, severity_word(r.severity, lang)),
            ];
            if let Some(b) = &r.basis {
                what.push(format!("{}: {b}", t(lang, "Basis", "Grunnlag")));
            }
            let area = plan.areas.get(r.area as usize);
            let area = area.map(|a| a.title.get(lang).unwrap_or(&a.id)).unwrap_or("");
            what.push(format!(
                "{}: {area} · {}",
                t(lang, "Area", "Område"),
                plan.policies
                    .get(r.policy as usize)
                    .map(|p| p.id.as_str())
                    .unwrap_or("")
            ));
            let mut row = vec![Cell::lines(what)];
            for (i, &o) in Outcome::ALL.iter().enumerate() {
                let mut lines = vec![tally.count(o).to_string()];
                let mut values: Vec<&(Currency, [Decimal; 5])> = tally.value.iter().collect();
                values.sort_by_key(|(c, _)| (*c != Currency::NOK, *c));
                for (c, values) in values {
                    if !values[i].is_zero() {
                        lines.push(money(values[i], *c, lang));
                    }
                }
                row.push(Cell::lines(lines));
            }
            row
        })
        .collect();
    Section {
        id: "rules".into(),
        nested: false,
        title: t(lang, "By rule", "Per regel"),
        blocks: vec![
            Block::Para(t(
                lang,
                "How often each rule was met, broken, could not be checked, was waived or did not apply, with the value of the records concerned.",
                "Hvor ofte hver regel ble oppfylt, brutt, ikke kunne kontrolleres, ble fraveket med unntak eller ikke gjaldt, med verdien av postene det gjelder.",
            )),
            Block::Table(Table {
                head,
                numeric,
                rows,
                note: None,
            }),
        ],
    }
}

fn trend(s: &Summary, lang: Lang) -> Section {
    let mut blocks = Vec::new();
    // The quarters on the axis: every quarter from the first to the last
    // (a quarter without records is a gap), unless that is very many.
    let present: Vec<Quarter> = s.quarters.keys().flatten().copied().collect();
    let mut axis: Vec<Quarter> = Vec::new();
    if let (Some(first), Some(last)) = (present.first(), present.last()) {
        let mut q = *first;
        while q <= *last && axis.len() <= MAX_QUARTERS {
            axis.push(q);
            q = if q.quarter >= 4 {
                Quarter {
                    year: q.year.saturating_add(1),
                    quarter: 1,
                }
            } else {
                Quarter {
                    year: q.year,
                    quarter: q.quarter + 1,
                }
            };
        }
        if axis.len() > MAX_QUARTERS {
            axis = present.clone();
        }
    }
    let labels: Vec<String> = axis.iter().map(|q| Quarter::label(Some(*q))).collect();
    let record_share = |b: &Breakdown| share(Decimal::from(b.compliant), Decimal::from(b.records)).map(float);
    let nok_share = |b: &Breakdown| {
        b.spend
            .get(&Currency::NOK)
            .and_then(|sp| share(sp.compliant, sp.total))
            .map(float)
    };
    let at = |q: &Quarter| s.quarters.get(&Some(*q));
    let mut series = vec![Series {
        name: t(lang, "Share of records that comply", "Andel poster i samsvar"),
        points: axis.iter().map(|q| at(q).and_then(record_share)).collect(),
    }];
    if s.quarters
        .iter()
        .any(|(q, b)| q.is_some() && b.spend.contains_key(&Currency::NOK))
    {
        series.push(Series {
            name: t(
                lang,
                "Share of the value (NOK) that complies",
                "Andel av verdien (NOK) i samsvar",
            ),
            points: axis.iter().map(|q| at(q).and_then(nok_share)).collect(),
        });
    }
    let mut rows = Vec::new();
    let undated = s.quarters.iter().filter(|(q, _)| q.is_none());
    for (q, b) in s.quarters.iter().filter(|(q, _)| q.is_some()).chain(undated) {
        let label = match q {
            Some(_) => Quarter::label(*q),
            None => t(lang, "no date", "uten dato"),
        };
        let nok = b.spend.get(&Currency::NOK);
        let other: Vec<String> = currencies(&b.spend)
            .into_iter()
            .filter(|(c, _)| *c != Currency::NOK)
            .map(|(c, sp)| {
                format!(
                    "{} ({})",
                    money(sp.total, c, lang),
                    percent(sp.compliant, sp.total, lang)
                )
            })
            .collect();
        let mut value = vec![
            nok.map(|sp| format_amount(sp.total, lang))
                .unwrap_or_else(|| "–".into()),
        ];
        value.extend(other);
        rows.push(vec![
            Cell::text(label),
            Cell::text(b.records.to_string()),
            Cell::text(b.compliant.to_string()),
            Cell::text(b.non_compliant.to_string()),
            Cell::text(b.incomplete.to_string()),
            Cell::text(count_share(b.compliant, b.records, lang)),
            Cell::lines(value),
            Cell::text(
                nok.map(|sp| percent(sp.compliant, sp.total, lang))
                    .unwrap_or_else(|| "–".into()),
            ),
        ]);
    }
    let table = Table {
        head: vec![
            t(lang, "Quarter", "Kvartal"),
            t(lang, "Records", "Poster"),
            status_word(Status::Compliant, lang).to_string(),
            status_word(Status::NonCompliant, lang).to_string(),
            status_word(Status::Incomplete, lang).to_string(),
            t(lang, "Share of records", "Andel poster"),
            t(lang, "Value, NOK", "Verdi, NOK"),
            t(lang, "Share of value", "Andel av verdien"),
        ],
        numeric: vec![false, true, true, true, true, true, true, true],
        rows,
        note: None,
    };
    blocks.push(Block::Chart(Chart {
        title: t(
            lang,
            "Share that complies, by quarter of the record date",
            "Andel i samsvar per kvartal (postens dato)",
        ),
        area: None,
        kind: if labels.is_empty() {
            ChartKind::Empty(t(lang, "No record has a date.", "Ingen poster har dato."))
        } else {
            ChartKind::Trend { labels, series }
        },
        table,
    }));
    // Buyers: the most records first.
    let mut buyers: Vec<(&String, &String, &Breakdown)> = s.buyers.iter().map(|(id, (n, b))| (id, n, b)).collect();
    buyers.sort_by(|a, b| b.2.records.cmp(&a.2.records).then(a.1.cmp(b.1)).then(a.0.cmp(b.0)));
    let bars: Vec<StatusBar> = buyers
        .iter()
        .take(MAX_BARS)
        .map(|(_, name, b)| count_bar((*name).clone(), b, lang))
        .collect();
    let rows = buyers
        .iter()
        .take(MAX_ROWS)
        .map(|(_, name, b)| {
            let value: Vec<String> = currencies(&b.spend)
                .into_iter()
                .map(|(c, sp)| money(sp.total, c, lang))
                .collect();
            let value_share: Vec<String> = currencies(&b.spend)
                .into_iter()
                .map(|(_, sp)| percent(sp.compliant, sp.total, lang))
                .collect();
            vec![
                Cell::text((*name).clone()),
                Cell::text(b.records.to_string()),
                Cell::text(b.compliant.to_string()),
                Cell::text(b.non_compliant.to_string()),
                Cell::text(b.incomplete.to_string()),
                Cell::lines(if value.is_empty() { vec!["–".into()] } else { value }),
                Cell::lines(if value_share.is_empty() {
                    vec!["–".into()]
                } else {
                    value_share
                }),
            ]
        })
        .collect();
    let mut note = more(buyers.len(), lang);
    if buyers.len() > MAX_BARS && note.is_none() {
        note = Some(if lang == Lang::Nb {
            format!("Diagrammet viser de {MAX_BARS} oppdragsgiverne med flest poster.")
        } else {
            format!("The chart shows the {MAX_BARS} buyers with the most records.")
        });
    }
    blocks.push(Block::Chart(Chart {
        title: t(lang, "Records by buyer", "Poster per oppdragsgiver"),
        area: None,
        kind: if bars.is_empty() {
            ChartKind::Empty(t(lang, "No records.", "Ingen poster."))
        } else {
            ChartKind::Status(bars)
        },
        table: Table {
            head: vec![
                t(lang, "Buyer", "Oppdragsgiver"),
                t(lang, "Records", "Poster"),
                status_word(Status::Compliant, lang).to_string(),
                status_word(Status::NonCompliant, lang).to_string(),
                status_word(Status::Incomplete, lang).to_string(),
                t(lang, "Value", "Verdi"),
                t(lang, "Share of value that complies", "Andel av verdien i samsvar"),
            ],
            numeric: vec![false, true, true, true, true, true, true],
            rows,
            note,
        },
    }));
    Section {
        id: "trend".into(),
        nested: false,
        title: t(lang, "By quarter and buyer", "Per kvartal og oppdragsgiver"),
        blocks,
    }
}

fn largest(plan: &Plan, s: &Summary, lang: Lang) -> Section {
    let mut blocks = Vec::new();
    if s.largest_non_compliant.is_empty() {
        blocks.push(Block::Para(t(
            lang,
            "No procurement with a value is non-compliant.",
            "Ingen anskaffelse med verdi er i strid med reglene.",
        )));
    } else {
        blocks.push(Block::Para(if lang == Lang::Nb {
            format!(
                "De {} største anskaffelsene som ikke er i samsvar, etter verdi, og hvorfor.",
                s.largest_non_compliant.len()
            )
        } else {
            format!(
                "The {} largest non-compliant procurements by value, and why.",
                s.largest_non_compliant.len()
            )
        }));
        let rows = s
            .largest_non_compliant
            .iter()
            .map(|h| {
                let what = vec![
                    h.title.clone().unwrap_or_else(|| h.id.clone()),
                    format!("{} · {}", h.id, h.source.display()),
                ];
                let reasons = h
                    .reasons
                    .iter()
                    .map(|reason| {
                        let rule = plan.rules.get(reason.rule as usize);
                        let title = rule.and_then(|r| r.title.get(lang)).unwrap_or("");
                        let id = rule.map(|r| r.id.as_str()).unwrap_or("");
                        let mut line = if reason.message.is_empty() {
                            format!("{title} ({id})")
                        } else {
                            format!("{title} ({id}): {}", reason.message)
                        };
                        // A joint procurement's buyer is not to blame for a
                        // participant's own rule.
                        if let Some(whose) = &reason.whose {
                            line.push_str(&format!(" — {} {whose}", super::rule_for_word(lang)));
                        }
                        line
                    })
                    .collect();
                vec![
                    Cell::lines(what),
                    Cell::text(h.buyer.clone().unwrap_or_else(|| "–".into())),
                    Cell::text(h.date.map(|d| d.to_string()).unwrap_or_else(|| "–".into())),
                    Cell::text(money(h.value.amount, h.value.currency, lang)),
                    Cell::list(reasons),
                ]
            })
            .collect();
        blocks.push(Block::Table(Table {
            head: vec![
                t(lang, "Procurement", "Anskaffelse"),
                t(lang, "Buyer", "Oppdragsgiver"),
                t(lang, "Date", "Dato"),
                t(lang, "Value", "Verdi"),
                t(lang, "Why it does not comply", "Hvorfor den ikke er i samsvar"),
            ],
            numeric: vec![false, false, true, true, false],
            rows,
            note: None,
        }));
    }
    Section {
        id: "largest".into(),
        nested: false,
        title: t(
            lang,
            "Largest non-compliant procurements",
            "Største anskaffelser som ikke er i samsvar",
        ),
        blocks,
    }
}

fn waivers(plan: &Plan, s: &Summary, lang: Lang) -> Section {
    let mut blocks = Vec::new();
    let (applied, expired) = (s.waived, s.expired_exemptions);
    blocks.push(Block::Para(t(
        lang,
        "Who approved an exemption from which requirement, and which exemptions had expired (an expired exemption does not apply: the rule is checked as usual).",
        "Hvem som godkjente unntak fra hvilke krav, og hvilke unntak som var utløpt (et utløpt unntak gjelder ikke: regelen kontrolleres som vanlig).",
    )));
    blocks.push(Block::Facts(vec![
        (
            t(lang, "Requirements waived by an exemption", "Krav fraveket med unntak"),
            applied.to_string(),
        ),
        (
            t(lang, "Exemptions found expired", "Unntak som var utløpt"),
            expired.to_string(),
        ),
    ]));
    if !s.exemptions.is_empty() {
        let rows = s
            .exemptions
            .iter()
            .map(|e| {
                let rule = plan.rules.get(e.rule as usize);
                let id = rule.map(|r| r.id.clone()).unwrap_or_default();
                let r = match rule.and_then(|r| r.title.get(lang)) {
                    Some(title) => vec![title.to_string(), id],
                    None => vec![id],
                };
                vec![
                    Cell::code(e.record.clone()),
                    Cell::lines(r),
                    Cell::text(e.approved_by.clone().unwrap_or_else(|| "–".into())),
                    Cell::text(e.reason.clone().unwrap_or_else(|| "–".into())),
                    Cell::text(e.expires.map(|d| d.to_string()).unwrap_or_else(|| "–".into())),
                    Cell::text(if e.applied {
                        t(
                            lang,
                            "applied: the requirement was waived",
                            "brukt: kravet ble fraveket",
                        )
                    } else {
                        t(lang, "EXPIRED: did not apply", "UTLØPT: gjaldt ikke")
                    }),
                ]
            })
            .collect();
        let note = (s.exemptions_omitted > 0).then(|| {
            if lang == Lang::Nb {
                format!("{} unntak til er ikke vist.", s.exemptions_omitted)
            } else {
                format!("{} more exemptions are not shown.", s.exemptions_omitted)
            }
        });
        blocks.push(Block::Table(Table {
            head: vec![
                t(lang, "Record", "Post"),
                t(lang, "Rule", "Regel"),
                t(lang, "Approved by", "Godkjent av"),
                t(lang, "Reason", "Begrunnelse"),
                t(lang, "Expires", "Utløper"),
                t(lang, "Status", "Status"),
            ],
            numeric: vec![false; 6],
            rows,
            note,
        }));
    }
    Section {
        id: "waivers".into(),
        nested: false,
        title: t(lang, "Waivers", "Unntak"),
        blocks,
    }
}

fn coverage(s: &Summary, errors: &[InputError], lang: Lang) -> Section {
    let records = s.overall.records;
    let mut blocks = vec![Block::Note(t(
        lang,
        "When a field is missing, the rules that need it cannot be checked: their outcome is “unknown”, never “pass”. These fields were missing most often.",
        "Når et felt mangler, kan reglene som trenger det, ikke kontrolleres: utfallet blir «ukjent», aldri «oppfylt». Disse feltene manglet oftest.",
    ))];
    // Fields the policies use, the most often missing first.
    let mut fields: Vec<(&'static str, u64, u64)> = crate::schema::FIELDS
        .iter()
        .zip(&s.fields_present)
        .enumerate()
        .filter(|(i, _)| s.coverage_fields.contains(*i as crate::schema::FieldIndex))
        .map(|(_, (f, n))| (f.path, s.missing.get(f.path).copied().unwrap_or(0), *n))
        .collect();
    // A field named as missing that the coverage does not count.
    for (f, n) in &s.missing {
        if !fields.iter().any(|(p, _, _)| p == f) {
            fields.push((f, *n, 0));
        }
    }
    fields.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)).then(a.0.cmp(b.0)));
    let unknown_word = |n: u64| {
        if lang == Lang::Nb {
            format!("{n} {} ukjent", if n == 1 { "gang" } else { "ganger" })
        } else if n == 1 {
            "1 finding unknown".to_string()
        } else {
            format!("{n} findings unknown")
        }
    };
    let bars: Vec<Bar> = fields
        .iter()
        .filter(|(_, missing, _)| *missing > 0)
        .take(MAX_FIELD_BARS)
        .map(|(f, missing, present)| Bar {
            label: (*f).to_string(),
            value: *missing as f64,
            text: format!(
                "{} · {} {} {} {}",
                unknown_word(*missing),
                present,
                t(lang, "of", "av"),
                records,
                t(lang, "records have it", "poster har feltet")
            ),
        })
        .collect();
    let rows = fields
        .iter()
        .map(|(f, missing, present)| {
            vec![
                Cell::code(*f),
                Cell::text(missing.to_string()),
                Cell::text(present.to_string()),
                Cell::text(count_share(*present, records, lang)),
            ]
        })
        .collect();
    blocks.push(Block::Chart(Chart {
        title: t(
            lang,
            "Missing fields that left rules unknown",
            "Manglende felt som gjorde regler ukjente",
        ),
        area: None,
        kind: if bars.is_empty() {
            ChartKind::Empty(t(
                lang,
                "No rule was left unknown by a missing field.",
                "Ingen regel ble ukjent på grunn av et manglende felt.",
            ))
        } else {
            ChartKind::Bars(bars)
        },
        table: Table {
            head: vec![
                t(lang, "Field", "Felt"),
                t(lang, "Findings left unknown", "Ganger regler ble ukjente"),
                t(lang, "Records with the field", "Poster med feltet"),
                t(lang, "Share of records", "Andel poster"),
            ],
            numeric: vec![false, true, true, true],
            rows,
            note: None,
        },
    }));
    blocks.push(Block::Facts(vec![
        (t(lang, "Records", "Poster"), records.to_string()),
        (
            t(lang, "Records without a value", "Poster uten verdi"),
            s.without_value.to_string(),
        ),
        (
            t(lang, "Records with data problems", "Poster med dataproblemer"),
            s.with_warnings.to_string(),
        ),
        (
            t(lang, "Input that could not be read", "Inndata som ikke kunne leses"),
            s.input_errors.to_string(),
        ),
    ]));
    if !errors.is_empty() {
        blocks.push(Block::Table(Table {
            head: vec![t(lang, "Where", "Hvor"), t(lang, "Problem", "Problem")],
            numeric: vec![false, false],
            rows: errors
                .iter()
                .take(MAX_ROWS)
                .map(|e| vec![Cell::text(e.source.display()), Cell::text(e.message.clone())])
                .collect(),
            note: more(errors.len(), lang),
        }));
    }
    Section {
        id: "coverage".into(),
        nested: false,
        title: t(lang, "Data coverage", "Datadekning"),
        blocks,
    }
}

fn basis(plan: &Plan, meta: &super::Meta, lang: Lang) -> Section {
    let mut blocks = vec![
        Block::Para(t(
            lang,
            "The same records checked with the same policies, parameters and version of anskaff give the same report.",
            "De samme postene kontrollert med de samme policyene, parameterne og versjonen av anskaff gir den samme rapporten.",
        )),
        Block::Facts(vec![
            (t(lang, "anskaff version", "anskaff-versjon"), meta.version.to_string()),
            (t(lang, "Input", "Inndata"), meta.inputs.join(", ")),
            (t(lang, "Language", "Språk"), meta.lang.code().to_string()),
        ]),
        Block::Heading(t(lang, "Policies", "Policyer")),
    ];
    blocks.push(Block::Table(policy_table(plan, lang)));
    blocks.push(Block::Heading(t(lang, "Parameters", "Parametere")));
    blocks.push(Block::Table(parameter_table(plan, lang)));
    Section {
        id: "basis".into(),
        nested: false,
        title: t(lang, "How this report was made", "Grunnlaget for rapporten"),
        blocks,
    }
}

/// The policies: id, version and file, title and source, authority, the
/// days in force.
pub fn policy_table(plan: &Plan, lang: Lang) -> Table {
    Table {
        head: vec![
            t(lang, "Policy", "Policy"),
            t(lang, "Title and source", "Tittel og kilde"),
            t(lang, "Authority", "Myndighet"),
            t(lang, "In force", "I kraft"),
        ],
        numeric: vec![false; 4],
        rows: plan
            .policies
            .iter()
            .map(|p| {
                let mut title = vec![p.title.get(lang).unwrap_or("").to_string()];
                title.extend(p.source.clone());
                let mut id = vec![p.id.clone()];
                if let Some(v) = &p.version {
                    id.push(format!("{} {v}", t(lang, "version", "versjon")));
                }
                id.push(p.file.clone());
                vec![
                    Cell {
                        lines: id,
                        code: true,
                        list: false,
                    },
                    Cell::lines(title),
                    Cell::text(p.authority.clone().unwrap_or_else(|| "–".into())),
                    Cell::text(if p.in_force.is_unbounded() {
                        t(lang, "always", "alltid")
                    } else {
                        p.in_force.display()
                    }),
                ]
            })
            .collect(),
        note: None,
    }
}

/// The parameters with their titles and values (by date, when they change).
pub fn parameter_table(plan: &Plan, lang: Lang) -> Table {
    Table {
        head: vec![
            t(lang, "Parameter", "Parameter"),
            t(lang, "Meaning", "Betydning"),
            t(lang, "Value", "Verdi"),
            t(lang, "Policy", "Policy"),
        ],
        numeric: vec![false; 4],
        rows: plan
            .params
            .iter()
            .map(|p| {
                let mut value = match &p.value {
                    ParamValue::Fixed(c) => vec![c.display(lang)],
                    ParamValue::ByDate(e) => e
                        .iter()
                        .map(|(d, c)| format!("{} {d}: {}", t(lang, "from", "fra"), c.display(lang)))
                        .collect(),
                };
                if p.overridden {
                    value.push(t(lang, "(set with --set)", "(satt med --set)"));
                }
                vec![
                    Cell::code(p.name.clone()),
                    Cell::text(p.title.get(lang).unwrap_or("–")),
                    Cell::list(value),
                    Cell::text(
                        plan.policies
                            .get(p.policy as usize)
                            .map(|p| p.id.clone())
                            .unwrap_or_default(),
                    ),
                ]
            })
            .collect(),
        note: None,
    }
}
