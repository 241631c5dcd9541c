//! The text report for an officer at a terminal: per record what failed,
//! why, and what to fix; a summary at the end. Colour only when asked for
//! (the CLI asks on a terminal).

use super::{Meta, Renderer, Summary, outcome_word, rule_for_word, severity_word, share, status_word, whose_rule};
use crate::finding::{Evaluated, InputError, Outcome, Status};
use crate::plan::Plan;
use crate::syntax::ast::Lang;
use crate::value::{Money, format_amount, format_decimal};
use anstyle::{AnsiColor, Style};
use std::io::{self, Write};

pub struct TextRenderer<W: Write> {
    out: Printable<W>,
    color: bool,
    /// Also show rules that passed or did not apply.
    verbose: bool,
    summary_only: bool,
    lang: Lang,
    /// The comparison with a baseline report (`--baseline`).
    comparison: Option<super::baseline::Comparison>,
    /// `--group-by`: the records are held and written group by group.
    group_by: Option<super::groups::GroupBy>,
    held: Vec<Evaluated>,
    /// `--member`: whose report it is.
    member: Option<super::groups::MemberView>,
}

impl<W: Write> TextRenderer<W> {
    pub fn new(out: W, color: bool, verbose: bool, summary_only: bool) -> Self {
        TextRenderer {
            out: Printable {
                inner: out,
                allow_sgr: color,
            },
            color,
            verbose,
            summary_only,
            lang: Lang::En,
            comparison: None,
            group_by: None,
            held: Vec::new(),
            member: None,
        }
    }

    /// The report for one member's council (`--member`): its head names
    /// the member.
    pub fn member(mut self, member: Option<super::groups::MemberView>) -> Self {
        self.member = member;
        self
    }

    /// Write the records group by group (`--group-by`): they are held
    /// until the end of the run.
    pub fn grouped(mut self, by: Option<super::groups::GroupBy>) -> Self {
        self.group_by = by;
        self
    }

    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

/// A writer that keeps a terminal's control sequences out of the report:
/// a record's title or a buyer's name could otherwise recolour, retitle or
/// clear the officer's screen. Control characters other than line feed and
/// tab are shown as Unicode control pictures (`␛`, `␍`), C1 controls as
/// `�`. With colour on, `ESC [ digits ; m` (colour and weight, what
/// [`TextRenderer::paint`] writes) passes; nothing else does.
struct Printable<W: Write> {
    inner: W,
    allow_sgr: bool,
}

/// The length of the colour sequence at the start of `bytes`, if any.
fn sgr_len(bytes: &[u8]) -> Option<usize> {
    let rest = bytes.strip_prefix(b"\x1b[")?;
    let body = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b';').count();
    (rest.get(body) == Some(&b'm')).then_some(body + 3)
}

impl<W: Write> Write for Printable<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut start = 0;
        let mut i = 0;
        while let Some(&b) = buf.get(i) {
            let (skip, picture): (usize, Option<char>) = match b {
                b'\n' | b'\t' => (1, None),
                0x1b if self.allow_sgr => match sgr_len(&buf[i..]) {
                    Some(n) => (n, None),
                    None => (1, Some('\u{241B}')),
                },
                0x00..=0x1f => (1, char::from_u32(0x2400 + u32::from(b))),
                0x7f => (1, Some('\u{2421}')),
                // U+0080..U+009F in UTF-8.
                0xc2 if buf.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)) => (2, Some('\u{FFFD}')),
                _ => (1, None),
            };
            if let Some(c) = picture {
                self.inner.write_all(&buf[start..i])?;
                let mut utf8 = [0; 4];
                self.inner.write_all(c.encode_utf8(&mut utf8).as_bytes())?;
                start = i + skip;
            }
            i += skip;
        }
        self.inner.write_all(buf.get(start..).unwrap_or_default())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

fn t(lang: Lang, en: &'static str, nb: &'static str) -> &'static str {
    if lang == Lang::Nb { nb } else { en }
}

fn records_word(n: u64, lang: Lang) -> &'static str {
    match (n == 1, lang) {
        (true, Lang::Nb) => "post",
        (false, Lang::Nb) => "poster",
        (true, Lang::En) => "record",
        (false, Lang::En) => "records",
    }
}

fn money(m: &Money, lang: Lang) -> String {
    m.display(lang)
}

impl<W: Write> Renderer for TextRenderer<W> {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()> {
        let lang = meta.lang;
        self.lang = lang;
        let policies: Vec<String> = plan
            .policies
            .iter()
            .map(|p| match &p.version {
                Some(v) => format!("{} {v}", p.id),
                None => p.id.clone(),
            })
            .collect();
        let head = format!(
            "anskaff {} — {}: {}",
            meta.version,
            t(lang, "policies", "policyer"),
            policies.join(", ")
        );
        writeln!(self.out, "{}", self.paint(DIM, &head))?;
        if let Some(m) = &self.member {
            let line = super::page::member_lead(&m.name, lang);
            writeln!(self.out, "{}", self.paint(BOLD, &line))?;
        }
        writeln!(self.out)
    }

    fn wants_records(&self) -> bool {
        !self.summary_only
    }

    fn record(&mut self, plan: &Plan, r: &Evaluated) -> io::Result<()> {
        if self.summary_only {
            return Ok(());
        }
        if self.group_by.is_some() {
            self.held.push(r.clone());
            return Ok(());
        }
        self.write_record(plan, r, crate::scope::ALL_PARTIES)
    }

    fn finish(&mut self, plan: &Plan, meta: &Meta, s: &Summary, errors: &[InputError]) -> io::Result<()> {
        self.write_groups(plan, s)?;
        self.write_summary(plan, meta, s, errors)
    }

    fn compared(&mut self, comparison: &super::baseline::Comparison) {
        self.comparison = Some(comparison.clone());
    }
}

impl<W: Write> TextRenderer<W> {
    /// One record: what failed and why, for the parties in `parties` (every
    /// party unless the report is grouped).
    fn write_record(&mut self, plan: &Plan, r: &Evaluated, parties: crate::scope::PartySet) -> io::Result<()> {
        let lang = self.lang;
        let own = super::groups::findings_for(plan, r, parties);
        let status = if parties == crate::scope::ALL_PARTIES {
            r.status
        } else {
            crate::engine::status_of(plan, &own.iter().map(|f| (*f).clone()).collect::<Vec<_>>())
        };
        let (mark, style) = match status {
            Status::NonCompliant => ("✗", RED),
            Status::Incomplete => ("?", YELLOW),
            Status::Compliant => ("✓", GREEN),
        };
        let flagged = own.iter().any(|f| f.outcome == Outcome::Fail);
        let title = r.title.as_deref().unwrap_or("");
        let status_text = status_word(status, lang);
        let status = if status == Status::Compliant && flagged {
            format!("{status_text}, {}", t(lang, "with flags", "med merknader"))
        } else {
            status_text.to_string()
        };
        writeln!(
            self.out,
            "{} {}  {}  {}",
            self.paint(style, mark),
            self.paint(BOLD, &r.id),
            title,
            self.paint(style, &status)
        )?;
        let mut facts = vec![r.source.display()];
        if let Some(b) = r.buyer_name.as_deref().or(r.buyer_id.as_deref()) {
            facts.push(b.to_string());
        }
        if let Some(d) = r.date {
            facts.push(d.to_string());
        }
        if let Some(v) = &r.value {
            facts.push(money(v, lang));
        }
        writeln!(self.out, "  {}", self.paint(DIM, &facts.join(" · ")))?;
        self.write_scope(plan, r)?;
        // A planned tender gets what every rule that applies requires, not
        // only what fails: the officer can still change the plan.
        let planned = r.stage.is_some() && r.stage == crate::schema::Domain::Stage.code("planned");
        if planned && own.iter().any(|f| f.outcome != Outcome::NotApplicable) {
            writeln!(
                self.out,
                "  {}",
                self.paint(
                    BOLD,
                    t(
                        lang,
                        "Planned tender: what the rules that apply require",
                        "Planlagt anskaffelse: dette krever reglene som gjelder"
                    )
                )
            )?;
        }
        for f in own {
            let shown = self.verbose
                || (planned && f.outcome != Outcome::NotApplicable)
                || matches!(f.outcome, Outcome::Fail | Outcome::Unknown | Outcome::Waived)
                || !f.notes.is_empty();
            if !shown {
                continue;
            }
            let rule = &plan.rules[f.rule as usize];
            let word_style = match f.outcome {
                Outcome::Fail => RED,
                Outcome::Unknown => YELLOW,
                Outcome::Pass => GREEN,
                _ => DIM,
            };
            let word = format!("{:14}", outcome_word(f.outcome, lang));
            writeln!(
                self.out,
                "  {} {} [{}] {}",
                self.paint(word_style, &word),
                rule.id,
                severity_word(rule.severity, lang),
                rule.title.get(lang).unwrap_or("")
            )?;
            let indent = " ".repeat(17);
            if !f.message.is_empty() {
                writeln!(self.out, "{indent}{}", f.message)?;
            }
            for p in &f.problems {
                if !f.message.contains(p.as_str()) {
                    writeln!(self.out, "{indent}{p}")?;
                }
            }
            for n in &f.notes {
                writeln!(self.out, "{indent}{}", self.paint(YELLOW, n))?;
            }
            if let Some(whose) = whose_rule(plan, r, f.rule) {
                writeln!(self.out, "{indent}{} {whose}", rule_for_word(lang))?;
            }
            if matches!(f.outcome, Outcome::Fail | Outcome::Unknown)
                && let Some(advice) = rule.advice.get(lang)
            {
                writeln!(
                    self.out,
                    "{indent}{} {advice}",
                    self.paint(BOLD, t(lang, "→ Fix:", "→ Slik retter du:"))
                )?;
            }
            if planned && f.outcome != Outcome::NotApplicable {
                if !matches!(f.outcome, Outcome::Fail | Outcome::Unknown)
                    && let Some(advice) = rule.advice.get(lang)
                {
                    writeln!(
                        self.out,
                        "{indent}{} {advice}",
                        self.paint(BOLD, t(lang, "→ Requirement:", "→ Krav:"))
                    )?;
                }
                if f.outcome == Outcome::Unknown && !f.missing.is_empty() {
                    let fields: Vec<String> = f.missing.iter().map(|m| format!("`{m}`")).collect();
                    writeln!(
                        self.out,
                        "{indent}{} {}",
                        self.paint(BOLD, t(lang, "→ Fill in:", "→ Fyll ut:")),
                        fields.join(", ")
                    )?;
                }
                // A cross-record rule's expression says when it flags.
                let label = if rule.is_cross() {
                    t(lang, "Flagged when:", "Flagges når:")
                } else {
                    t(lang, "Rule:", "Regel:")
                };
                let rule_text = format!(
                    "{label} {}",
                    rule.requirement_text.split_whitespace().collect::<Vec<_>>().join(" ")
                );
                writeln!(self.out, "{indent}{}", self.paint(DIM, &rule_text))?;
            }
        }
        for w in &r.warnings {
            writeln!(
                self.out,
                "  {} {}: {}",
                self.paint(YELLOW, t(lang, "data problem ", "dataproblem  ")),
                w.field,
                w.message
            )?;
        }
        writeln!(self.out)
    }

    fn write_summary(&mut self, plan: &Plan, meta: &Meta, s: &Summary, errors: &[InputError]) -> io::Result<()> {
        let lang = meta.lang;
        if let Some(c) = self.comparison.take() {
            self.baseline(&c)?;
        }
        if !errors.is_empty() {
            writeln!(
                self.out,
                "{}",
                self.paint(RED, t(lang, "Input errors", "Feil i inndata"))
            )?;
            for e in errors {
                writeln!(self.out, "  {}  {}", e.source.display(), e.message)?;
            }
            writeln!(self.out)?;
        }
        writeln!(self.out, "{}", self.paint(BOLD, t(lang, "Summary", "Sammendrag")))?;
        let o = &s.overall;
        writeln!(
            self.out,
            "  {}: {} ({} {}, {} {}, {} {}; {} {})",
            t(lang, "Records", "Poster"),
            o.records,
            o.compliant,
            status_word(Status::Compliant, lang),
            o.non_compliant,
            status_word(Status::NonCompliant, lang),
            o.incomplete,
            status_word(Status::Incomplete, lang),
            o.flagged,
            t(lang, "flagged by `should` rules", "med merknader fra `bør`-regler"),
        )?;
        if s.input_errors > 0 {
            writeln!(
                self.out,
                "  {}: {}",
                t(lang, "Input errors", "Feil i inndata"),
                s.input_errors
            )?;
        }
        for (currency, spend) in &o.spend {
            let pct = share(spend.compliant, spend.total)
                .map(|p| format!(" ({} %)", format_decimal(p, lang)))
                .unwrap_or_default();
            writeln!(
                self.out,
                "  {} ({currency}): {} {}; {} {}{pct}, {} {}, {} {}",
                t(lang, "Value", "Verdi"),
                format_amount(spend.total, lang),
                t(lang, "total", "totalt"),
                format_amount(spend.compliant, lang),
                status_word(Status::Compliant, lang),
                format_amount(spend.non_compliant, lang),
                status_word(Status::NonCompliant, lang),
                format_amount(spend.incomplete, lang),
                status_word(Status::Incomplete, lang),
            )?;
        }
        if s.without_value > 0 {
            writeln!(
                self.out,
                "  {}: {}",
                t(lang, "Records without a value", "Poster uten verdi"),
                s.without_value
            )?;
        }
        let width = plan.areas.iter().map(|a| a.id.chars().count()).max().unwrap_or(0);
        if !plan.areas.is_empty() {
            writeln!(self.out, "  {}:", t(lang, "By strategy area", "Per strategiområde"))?;
            for (a, b) in plan.areas.iter().zip(&s.areas) {
                let title = a.title.get(lang).unwrap_or("");
                if b.records == 0 {
                    writeln!(
                        self.out,
                        "    {:width$}  {}  ({title})",
                        a.id,
                        t(lang, "no records concerned", "ingen poster berørt")
                    )?;
                    continue;
                }
                writeln!(
                    self.out,
                    "    {:width$}  {} {}: {} {}, {} {}, {} {}; {} {}  ({title})",
                    a.id,
                    b.records,
                    records_word(b.records, lang),
                    b.compliant,
                    status_word(Status::Compliant, lang),
                    b.non_compliant,
                    status_word(Status::NonCompliant, lang),
                    b.incomplete,
                    status_word(Status::Incomplete, lang),
                    b.flagged,
                    t(lang, "flagged", "med merknader"),
                )?;
            }
        }
        if !s.buyers.is_empty() {
            writeln!(self.out, "  {}:", t(lang, "By buyer", "Per oppdragsgiver"))?;
            for (name, b) in s.buyers.values() {
                writeln!(self.out, "    {name}: {}", group_line(b, lang))?;
            }
        }
        if !s.quarters.is_empty() {
            writeln!(self.out, "  {}:", t(lang, "By quarter", "Per kvartal"))?;
            for (q, b) in &s.quarters {
                writeln!(self.out, "    {}: {}", super::Quarter::label(*q), group_line(b, lang))?;
            }
        }
        let width = plan.rules.iter().map(|r| r.id.chars().count()).max().unwrap_or(0);
        writeln!(self.out, "  {}:", t(lang, "By rule", "Per regel"))?;
        for (rule, tally) in plan.rules.iter().zip(&s.rules) {
            let counts: Vec<String> = Outcome::ALL
                .iter()
                .map(|&o| format!("{} {}", outcome_word(o, lang), tally.count(o)))
                .collect();
            writeln!(
                self.out,
                "    {:width$}  {:6}  {}",
                rule.id,
                severity_word(rule.severity, lang),
                counts.join(", ")
            )?;
        }
        if !s.missing.is_empty() {
            let mut missing: Vec<(&&str, &u64)> = s.missing.iter().collect();
            missing.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let list: Vec<String> = missing.iter().take(5).map(|(f, n)| format!("{f} ({n})")).collect();
            writeln!(
                self.out,
                "  {}: {}",
                t(
                    lang,
                    "Missing data that left rules unknown",
                    "Manglende data som gjorde regler ukjente"
                ),
                list.join(", ")
            )?;
        }
        self.out.flush()
    }

    /// The sections NEW, FIXED and STILL failing of a comparison with a
    /// baseline report.
    fn baseline(&mut self, c: &super::baseline::Comparison) -> io::Result<()> {
        let lang = self.lang;
        let head = format!(
            "{} {}: {} {}, {} {}, {} {}",
            t(lang, "Compared with", "Sammenlignet med"),
            c.file,
            c.new.len(),
            t(lang, "new", "nye"),
            c.fixed.len(),
            t(lang, "fixed", "rettet"),
            c.still.len(),
            t(lang, "still failing", "fortsatt avvik"),
        );
        writeln!(self.out, "{}", self.paint(BOLD, &head))?;
        let sections = [
            (t(lang, "New", "Nye"), RED, &c.new),
            (t(lang, "Fixed", "Rettet"), GREEN, &c.fixed),
            (t(lang, "Still failing", "Fortsatt avvik"), YELLOW, &c.still),
        ];
        for (title, style, list) in sections {
            if list.is_empty() {
                continue;
            }
            writeln!(self.out, "  {} ({})", self.paint(style, title), list.len())?;
            let width = list.iter().map(|ch| ch.record.chars().count()).max().unwrap_or(0);
            for ch in list {
                let outcome = ch.outcome.map(|o| outcome_word(o, lang)).unwrap_or("");
                let line = format!("    {:width$}  {}  {outcome}", ch.record, ch.rule);
                writeln!(self.out, "{}", line.trim_end())?;
            }
        }
        writeln!(self.out)
    }
}

impl<W: Write> TextRenderer<W> {
    /// Which scoped policies are for the record and why, and what the
    /// register says about its parties.
    fn write_scope(&mut self, plan: &Plan, r: &Evaluated) -> io::Result<()> {
        let lang = self.lang;
        let Some(scope) = r.scope.as_deref() else {
            return Ok(());
        };
        for (policy, d) in plan.policies.iter().zip(&scope.policies) {
            let Some(d) = d else { continue };
            let verdict = match d.applies() {
                Some(true) => t(lang, "applies", "gjelder"),
                None => t(lang, "may apply", "gjelder kanskje"),
                Some(false) if self.verbose => t(lang, "does not apply", "gjelder ikke"),
                Some(false) => continue,
            };
            let word = format!("{:14}", t(lang, "policy", "policy"));
            writeln!(
                self.out,
                "  {} {} {verdict}: {}",
                self.paint(DIM, &word),
                policy.id,
                d.why
            )?;
        }
        for n in &scope.notes {
            let word = format!("{:14}", t(lang, "note", "merknad"));
            writeln!(self.out, "  {} {n}", self.paint(YELLOW, &word))?;
        }
        Ok(())
    }

    /// With `--group-by`: the held records group by group (a cooperation's
    /// by member), each group with its figures.
    fn write_groups(&mut self, plan: &Plan, s: &Summary) -> io::Result<()> {
        let (Some(by), Some(groups)) = (self.group_by, &s.groups) else {
            return Ok(());
        };
        let lang = self.lang;
        let held = std::mem::take(&mut self.held);
        // Each record's places, once.
        let places: Vec<Vec<super::groups::Place>> =
            held.iter().map(|r| super::groups::places(plan, r, by, lang)).collect();
        for (key, group) in groups.ordered() {
            let head = format!("══ {} ══", group.name);
            writeln!(self.out, "{}", self.paint(BOLD, &head))?;
            writeln!(self.out, "  {}", group_line(&group.tally.overall, lang))?;
            writeln!(self.out)?;
            let members: Vec<(Option<&String>, String)> = if group.members.is_empty() {
                vec![(None, String::new())]
            } else {
                group
                    .members
                    .iter()
                    .map(|(k, (name, _))| (Some(k), name.clone()))
                    .collect()
            };
            for (member, name) in members {
                if let Some((_, tally)) = member.and_then(|m| group.members.get(m)) {
                    let head = format!("── {name} ──");
                    writeln!(self.out, "{}", self.paint(BOLD, &head))?;
                    writeln!(self.out, "  {}", group_line(&tally.overall, lang))?;
                    writeln!(self.out)?;
                }
                for (r, ps) in held.iter().zip(&places) {
                    for p in ps
                        .iter()
                        .filter(|p| &p.key == key && p.member.as_ref().map(|m| &m.0) == member)
                    {
                        self.write_record(plan, r, p.parties)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// `3 records: 1 compliant, 1 non-compliant, 1 incomplete; 4 500 000 NOK, 40 % compliant`.
fn group_line(b: &super::Breakdown, lang: Lang) -> String {
    let mut parts = vec![format!(
        "{} {}: {} {}, {} {}, {} {}",
        b.records,
        records_word(b.records, lang),
        b.compliant,
        status_word(Status::Compliant, lang),
        b.non_compliant,
        status_word(Status::NonCompliant, lang),
        b.incomplete,
        status_word(Status::Incomplete, lang)
    )];
    for (currency, spend) in &b.spend {
        let pct = share(spend.compliant, spend.total)
            .map(|p| {
                format!(
                    ", {} % {}",
                    format_decimal(p, lang),
                    status_word(Status::Compliant, lang)
                )
            })
            .unwrap_or_default();
        parts.push(format!("{} {currency}{pct}", format_amount(spend.total, lang)));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(text: &str, allow_sgr: bool) -> String {
        let mut p = Printable {
            inner: Vec::new(),
            allow_sgr,
        };
        p.write_all(text.as_bytes()).expect("in memory");
        String::from_utf8(p.inner).expect("UTF-8")
    }

    #[test]
    fn control_sequences_from_records_are_shown_not_obeyed() {
        // A window title, a cleared screen, a carriage return, DEL, a C1 CSI.
        let hostile = "a\x1b]0;pwned\x07b\x1b[2Jc\rd\x7fe\u{9b}31mf\ng\th";
        let shown = "a␛]0;pwned␇b␛[2Jc␍d␡e\u{FFFD}31mf\ng\th";
        assert_eq!(printed(hostile, false), shown);
        // With colour on, only colour passes; the rest is shown as before.
        assert_eq!(printed(hostile, true), shown);
        assert_eq!(printed("\x1b[1;31mred\x1b[0m", true), "\x1b[1;31mred\x1b[0m");
        assert_eq!(printed("\x1b[1;31mred\x1b[0m", false), "␛[1;31mred␛[0m");
        assert_eq!(printed("æøå – ok", false), "æøå – ok");
    }
}
