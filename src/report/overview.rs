//! The sections of a report grouped by cooperation or buyer (`--group-by`):
//! an overview that puts the members side by side — per strategy area, the
//! share of their spend that complies — and one section per member with its
//! own figures, for its council.
//!
//! Built from the groups of the [`super::Summary`] like the rest of the page:
//! no record is kept. [`super::html`] draws the overview as a matrix of
//! bars; [`super::markdown`] writes its table.

use super::groups::{GroupBy, Groups, Tally, is_special};
use super::page::{
    Block, Cell, Chart, ChartKind, KeyFigure, MAX_ROWS, MatrixCell, MatrixRow, Section, StatusBar, Table, Tone,
    count_bar, float, money, percent, status_table, t, value_bar,
};
use super::{Breakdown, outcome_word, severity_word};
use crate::finding::Outcome;
use crate::plan::Plan;
use crate::syntax::ast::Lang;
use crate::value::{Currency, format_amount};

/// Member sections a page holds at most (the JSON report has every group).
pub const MAX_MEMBER_SECTIONS: usize = 60;

/// `steinkjer` → `steinkjer`, `Lillestrøm kommune` → `lillestr-m-kommune`:
/// an anchor made of letters, digits and `-`.
fn slug(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The overview and member sections of the groups.
pub fn sections(plan: &Plan, g: &Groups, lang: Lang) -> Vec<Section> {
    let mut out = Vec::new();
    let mut members_shown = 0;
    // Whose sections were left out, if any were.
    let mut left_out = None;
    match g.by {
        GroupBy::Cooperation => {
            for (i, (key, group)) in g.ordered().into_iter().enumerate() {
                let rows: Vec<(&String, &String, &Tally)> =
                    group.members.iter().map(|(k, (name, t))| (k, name, t)).collect();
                let title = match key.as_str() {
                    k if is_special(k) => group.name.clone(),
                    _ => format!(
                        "{}: {}",
                        group.name,
                        t(lang, "the members side by side", "medlemmene side om side")
                    ),
                };
                // Parties in no cooperation (or not known to be) are not
                // members of anything: their rows are the buyers'.
                let who = if is_special(key) { Who::Buyers } else { Who::Members };
                out.push(overview(
                    plan,
                    format!("coop-{}-{}", i + 1, slug(key)),
                    title,
                    &group.tally,
                    &rows,
                    who,
                    lang,
                ));
                // Parties in no cooperation (or not known to be) are not its
                // members: the overview's row is enough.
                if is_special(key) {
                    continue;
                }
                for (j, (mkey, name, tally)) in rows.iter().enumerate() {
                    if members_shown >= MAX_MEMBER_SECTIONS {
                        left_out = Some(Who::Members);
                        break;
                    }
                    members_shown += 1;
                    out.push(member(
                        plan,
                        format!("member-{}-{}-{}", i + 1, j + 1, slug(mkey)),
                        format!("{name} · {}", group.name),
                        tally,
                        lang,
                    ));
                }
            }
        }
        GroupBy::Buyer => {
            let rows: Vec<(&String, &String, &Tally)> = g
                .ordered()
                .into_iter()
                .map(|(k, grp)| (k, &grp.name, &grp.tally))
                .collect();
            let all = rows.iter().fold(Tally::default(), |mut acc, (_, _, t)| {
                acc.overall.records += t.overall.records;
                acc
            });
            out.push(overview(
                plan,
                "buyers".to_string(),
                t(lang, "The buyers side by side", "Oppdragsgiverne side om side"),
                &all,
                &rows,
                Who::Buyers,
                lang,
            ));
            if rows.len() > MAX_MEMBER_SECTIONS {
                left_out = Some(Who::Buyers);
            }
            for (j, (key, name, tally)) in rows.iter().enumerate().take(MAX_MEMBER_SECTIONS) {
                out.push(member(
                    plan,
                    format!("buyer-{}-{}", j + 1, slug(key)),
                    (*name).clone(),
                    tally,
                    lang,
                ));
            }
        }
    }
    if let (Some(who), Some(last)) = (left_out, out.last_mut()) {
        let (en, nb) = match who {
            Who::Members => ("members", "medlemmene"),
            Who::Buyers => ("buyers", "oppdragsgiverne"),
        };
        last.blocks.push(Block::Note(if lang == Lang::Nb {
            format!("Rapporten viser de første {MAX_MEMBER_SECTIONS} {nb}; JSON-rapporten har alle.")
        } else {
            format!("The report shows the first {MAX_MEMBER_SECTIONS} {en}; the JSON report has all.")
        }));
    }
    out
}

/// Whose rows an overview has: a cooperation's members, or buyers (grouped
/// by buyer, or parties in no cooperation, or not known to be), who are not
/// members of anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Members,
    Buyers,
}

/// A cell of the overview: the share of the value in NOK that complies, or,
/// without a value in NOK, the share of the records.
fn cell(b: &Breakdown, lang: Lang) -> Option<MatrixCell> {
    if b.records == 0 {
        return None;
    }
    Some(match b.spend.get(&Currency::NOK).filter(|s| !s.total.is_zero()) {
        Some(s) => MatrixCell {
            parts: [float(s.compliant), float(s.non_compliant), float(s.incomplete)],
            text: percent(s.compliant, s.total, lang),
        },
        None => MatrixCell {
            parts: [b.compliant as f64, b.non_compliant as f64, b.incomplete as f64],
            text: format!("{}/{}", b.compliant, b.records),
        },
    })
}

/// The cell's numbers for the table: `62,5 %`, then `av 4 800 000 NOK`
/// and `2 av 3 poster` under it.
fn cell_lines(b: &Breakdown, lang: Lang) -> Cell {
    if b.records == 0 {
        return Cell::text("–");
    }
    Cell::lines(cell_text(b, lang).split(" · ").map(str::to_string).collect())
}

/// The cell's numbers in one line: `62,5 % av 4 800 000 NOK · 2 av 3 poster`.
fn cell_text(b: &Breakdown, lang: Lang) -> String {
    if b.records == 0 {
        return "–".to_string();
    }
    let records = format!(
        "{} {} {} {}",
        b.compliant,
        t(lang, "of", "av"),
        b.records,
        super::page::records_word(b.records, lang)
    );
    match b.spend.get(&Currency::NOK).filter(|s| !s.total.is_zero()) {
        Some(s) => format!(
            "{} · {} {} · {records}",
            percent(s.compliant, s.total, lang),
            t(lang, "of", "av"),
            money(s.total, Currency::NOK, lang)
        ),
        None => records,
    }
}

fn overview(
    plan: &Plan,
    id: String,
    title: String,
    total: &Tally,
    rows: &[(&String, &String, &Tally)],
    who: Who,
    lang: Lang,
) -> Section {
    // The areas some member has records in, in the plan's order.
    let areas: Vec<usize> = (0..plan.areas.len())
        .filter(|&a| {
            rows.iter()
                .any(|(_, _, t)| t.areas.get(a).is_some_and(|b| b.records > 0))
        })
        .collect();
    let mut columns = vec![t(lang, "All areas", "Alle områder")];
    columns.extend(
        areas
            .iter()
            .map(|&a| plan.areas[a].title.get(lang).unwrap_or(&plan.areas[a].id).to_string()),
    );
    let shown = &rows[..rows.len().min(MAX_ROWS)];
    let matrix: Vec<MatrixRow> = shown
        .iter()
        .map(|(_, name, tally)| {
            let mut cells = vec![cell(&tally.overall, lang)];
            cells.extend(areas.iter().map(|&a| tally.areas.get(a).and_then(|b| cell(b, lang))));
            MatrixRow {
                label: (*name).clone(),
                cells,
            }
        })
        .collect();
    let mut head = vec![match who {
        Who::Members => t(lang, "Member", "Medlem"),
        Who::Buyers => t(lang, "Buyer", "Oppdragsgiver"),
    }];
    head.extend(columns.iter().cloned());
    let table_rows = shown
        .iter()
        .map(|(_, name, tally)| {
            let mut row = vec![Cell::text((*name).clone()), cell_lines(&tally.overall, lang)];
            row.extend(areas.iter().map(|&a| {
                tally
                    .areas
                    .get(a)
                    .map_or_else(|| Cell::text("–"), |b| cell_lines(b, lang))
            }));
            row
        })
        .collect();
    let mut blocks = vec![Block::Para(match who {
        Who::Members => t(
            lang,
            "Each cell shows the share of the member's spend (NOK) that complies with the rules of the strategy area, split into compliant, non-compliant and incomplete; where a member has no value in NOK, the share of its records. A joint procurement counts for every member that takes part, with the rules that are that member's.",
            "Hver celle viser hvor stor del av medlemmets innkjøp (NOK) som er i samsvar med reglene i strategiområdet, delt i i samsvar, ikke i samsvar og ufullstendig; der medlemmet ikke har verdi i NOK, andelen av postene. En felles anskaffelse teller for hvert medlem som deltar, med reglene som gjelder for det medlemmet.",
        ),
        Who::Buyers => t(
            lang,
            "Each cell shows the share of the buyer's spend (NOK) that complies with the rules of the strategy area, split into compliant, non-compliant and incomplete; where a buyer has no value in NOK, the share of its records. A joint procurement counts for the buyer that leads it and for every participant, each with the rules that are its own.",
            "Hver celle viser hvor stor del av oppdragsgiverens innkjøp (NOK) som er i samsvar med reglene i strategiområdet, delt i i samsvar, ikke i samsvar og ufullstendig; der oppdragsgiveren ikke har verdi i NOK, andelen av postene. En felles anskaffelse teller for oppdragsgiveren som leder den og for hver deltaker, med reglene som gjelder for hver av dem.",
        ),
    })];
    if total.overall.records > 0 && !total.overall.spend.is_empty() {
        blocks.push(Block::Figures(figures(&total.overall, lang)));
    }
    blocks.push(Block::Chart(Chart {
        title: title.clone(),
        area: None,
        kind: if matrix.is_empty() {
            ChartKind::Empty(t(lang, "No records.", "Ingen poster."))
        } else {
            ChartKind::Matrix { columns, rows: matrix }
        },
        table: Table {
            numeric: vec![false; head.len()],
            head,
            rows: table_rows,
            note: (rows.len() > MAX_ROWS).then(|| {
                if lang == Lang::Nb {
                    format!(
                        "De første {MAX_ROWS} av {} er vist; JSON-rapporten har alle.",
                        rows.len()
                    )
                } else {
                    format!(
                        "The first {MAX_ROWS} of {} are shown; the JSON report has all.",
                        rows.len()
                    )
                }
            }),
        },
    }));
    Section {
        id,
        title,
        blocks,
        nested: false,
    }
}

/// Share of records and of value (NOK first) that complies.
fn figures(b: &Breakdown, lang: Lang) -> Vec<KeyFigure> {
    let mut figures = vec![super::page::compliant_records(b, lang)];
    for (c, s) in super::page::currencies(&b.spend) {
        figures.push(KeyFigure {
            value: percent(s.compliant, s.total, lang),
            label: format!(
                "{} {c} {} ({} {})",
                t(lang, "of the value in", "av verdien i"),
                t(lang, "complies", "er i samsvar"),
                t(lang, "of", "av"),
                money(s.total, c, lang)
            ),
            tone: Tone::Good,
        });
    }
    figures
}

/// One member's (or buyer's) section: its figures, its areas, the rules
/// that failed or could not be checked for it.
fn member(plan: &Plan, id: String, title: String, tally: &Tally, lang: Lang) -> Section {
    let b = &tally.overall;
    let mut blocks = vec![Block::Figures(figures(b, lang))];
    if b.incomplete > 0 {
        blocks.push(Block::Note(format!(
            "{} {}",
            b.incomplete,
            t(
                lang,
                "of the records lack data needed to judge them: incomplete is not compliant.",
                "av postene mangler data som trengs for å vurdere dem: ufullstendig er ikke i samsvar."
            )
        )));
    }
    // By area: by value in NOK where there is one, else by records.
    let mut bars: Vec<StatusBar> = Vec::new();
    let mut rows = Vec::new();
    let mut add = |label: String, b: &Breakdown| {
        // The bar writes amounts short (`48 mill.`); the table writes them
        // in full, as its last column does (`av 47 800 000 NOK`), so that
        // a row never shows one amount in two ways.
        let (bar, parts) = match b.spend.get(&Currency::NOK).filter(|s| !s.total.is_zero()) {
            Some(s) => (
                value_bar(label.clone(), s, lang),
                [s.compliant, s.non_compliant, s.incomplete].map(|d| format_amount(d, lang)),
            ),
            None => (
                count_bar(label.clone(), b, lang),
                [b.compliant, b.non_compliant, b.incomplete].map(|n| n.to_string()),
            ),
        };
        rows.push((label, parts, cell_text(b, lang)));
        bars.push(bar);
    };
    add(t(lang, "All areas", "Alle områder"), b);
    for (a, area) in plan.areas.iter().enumerate() {
        if let Some(ab) = tally.areas.get(a).filter(|ab| ab.records > 0) {
            add(area.title.get(lang).unwrap_or(&area.id).to_string(), ab);
        }
    }
    blocks.push(Block::Chart(Chart {
        title: format!(
            "{title}: {}",
            t(
                lang,
                "compliance by strategy area (value in NOK)",
                "samsvar per strategiområde (verdi i NOK)"
            )
        ),
        area: None,
        kind: ChartKind::Status(bars),
        table: status_table(t(lang, "Area", "Område"), rows, lang),
    }));
    // The rules that failed or could not be checked, the most failures first.
    let mut failing: Vec<(usize, &super::RuleTally)> = tally
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.count(Outcome::Fail) + r.count(Outcome::Unknown) > 0)
        .collect();
    failing.sort_by_key(|(i, r)| {
        (
            std::cmp::Reverse(r.count(Outcome::Fail)),
            std::cmp::Reverse(r.count(Outcome::Unknown)),
            *i,
        )
    });
    if failing.is_empty() {
        blocks.push(Block::Para(t(
            lang,
            "No rule failed or was left unknown.",
            "Ingen regel ble brutt eller kunne ikke kontrolleres.",
        )));
    } else {
        let head = vec![
            t(lang, "Rule", "Regel"),
            outcome_word(Outcome::Fail, lang).to_string(),
            outcome_word(Outcome::Unknown, lang).to_string(),
            outcome_word(Outcome::Pass, lang).to_string(),
        ];
        let rows = failing
            .iter()
            .map(|(i, r)| {
                let rule = &plan.rules[*i];
                vec![
                    Cell::lines(vec![
                        rule.title.get(lang).unwrap_or(&rule.id).to_string(),
                        format!(
                            "{} ({}) · {}",
                            rule.id,
                            severity_word(rule.severity, lang),
                            plan.policies[rule.policy as usize].id
                        ),
                    ]),
                    Cell::text(r.count(Outcome::Fail).to_string()),
                    Cell::text(r.count(Outcome::Unknown).to_string()),
                    Cell::text(r.count(Outcome::Pass).to_string()),
                ]
            })
            .collect();
        blocks.push(Block::Heading(t(
            lang,
            "Rules broken or not checked",
            "Regler som er brutt eller ikke kontrollert",
        )));
        blocks.push(Block::Table(Table {
            head,
            numeric: vec![false, true, true, true],
            rows,
            note: None,
        }));
    }
    Section {
        id,
        title,
        blocks,
        nested: true,
    }
}
