//! The CSV report (`--format csv`): one row per record and rule, for
//! spreadsheets. Columns: `record`, `source`, `rule`, `severity`,
//! `outcome`, `value`, `currency`, `message`, `rule_for` (in a joint
//! procurement, whose rule it is when it is not every party's; added last,
//! so that the earlier columns keep their places).
//!
//! Text that a spreadsheet would take for a formula (a cell starting with
//! `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as
//! OWASP recommends; amounts are written as plain numbers and stay numbers.
//! With `--bom` the file starts with a UTF-8 byte-order mark, so that Excel
//! reads Norwegian letters right.

use super::{Meta, Renderer, Summary};
use crate::finding::{Evaluated, InputError};
use crate::plan::Plan;
use std::borrow::Cow;
use std::io::{self, Write};

/// The header row.
pub const HEADER: [&str; 9] = [
    "record", "source", "rule", "severity", "outcome", "value", "currency", "message", "rule_for",
];

/// The `outcome` of a row for input that could not be read.
pub const INPUT_ERROR: &str = "input_error";

/// The columns a grouped report (`--group-by`) writes first.
pub const GROUP_HEADER: [&str; 2] = ["group", "member"];

pub struct CsvRenderer<W: Write> {
    /// The output until `begin` writes the byte-order mark.
    raw: Option<W>,
    out: Option<::csv::Writer<W>>,
    bom: bool,
    /// `--group-by`: a row per group, record and rule that is the group's.
    group_by: Option<super::groups::GroupBy>,
    lang: crate::syntax::ast::Lang,
}

impl<W: Write> CsvRenderer<W> {
    pub fn new(out: W, bom: bool) -> Self {
        CsvRenderer {
            raw: Some(out),
            out: None,
            bom,
            group_by: None,
            lang: crate::syntax::ast::Lang::En,
        }
    }

    /// One row per group, record and rule of the group (`--group-by`),
    /// with the group (and, by cooperation, the member) first.
    pub fn grouped(mut self, by: Option<super::groups::GroupBy>) -> Self {
        self.group_by = by;
        self
    }

    fn writer(&mut self) -> io::Result<&mut ::csv::Writer<W>> {
        if self.out.is_none() {
            let Some(mut raw) = self.raw.take() else {
                return Err(io::Error::other("the CSV report has no output"));
            };
            if self.bom {
                raw.write_all("\u{FEFF}".as_bytes())?;
            }
            let w = ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::CRLF)
                .from_writer(raw);
            self.out = Some(w);
        }
        self.out
            .as_mut()
            .ok_or_else(|| io::Error::other("the CSV report has no output"))
    }
}

/// A text cell a spreadsheet will not run: a leading `'` before `=`, `+`,
/// `-`, `@`, tab or carriage return.
pub fn neutralise(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// An I/O error stays one (a closed pipe must end the run quietly).
fn csv_error(e: ::csv::Error) -> io::Error {
    match e.into_kind() {
        ::csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl<W: Write> Renderer for CsvRenderer<W> {
    fn begin(&mut self, _plan: &Plan, meta: &Meta) -> io::Result<()> {
        self.lang = meta.lang;
        let grouped = self.group_by.is_some();
        let header = GROUP_HEADER.iter().filter(|_| grouped).chain(HEADER.iter());
        self.writer()?.write_record(header).map_err(csv_error)
    }

    fn record(&mut self, plan: &Plan, r: &Evaluated) -> io::Result<()> {
        let Some(by) = self.group_by else {
            return self.rows(plan, r, &[], &r.findings.iter().collect::<Vec<_>>());
        };
        for place in super::groups::places(plan, r, by, self.lang) {
            let member = place.member.as_ref().map(|m| m.1.as_str()).unwrap_or("");
            let findings = super::groups::findings_for(plan, r, place.parties);
            self.rows(plan, r, &[&place.name, member], &findings)?;
        }
        Ok(())
    }

    fn finish(&mut self, _plan: &Plan, _meta: &Meta, _summary: &Summary, errors: &[InputError]) -> io::Result<()> {
        // Input that could not be read is a row too: a spreadsheet of the
        // report must not look complete when it is not.
        let lead = if self.group_by.is_some() { GROUP_HEADER.len() } else { 0 };
        let out = self.writer()?;
        for e in errors {
            let source = e.source.display();
            let row = std::iter::repeat_n(Cow::Borrowed(""), lead).chain([
                Cow::Borrowed(""),
                neutralise(&source),
                Cow::Borrowed(""),
                Cow::Borrowed(""),
                Cow::Borrowed(INPUT_ERROR),
                Cow::Borrowed(""),
                Cow::Borrowed(""),
                neutralise(&e.message),
                Cow::Borrowed(""),
            ]);
            let row: Vec<Cow<'_, str>> = row.collect();
            out.write_record(row.iter().map(|c| c.as_bytes())).map_err(csv_error)?;
        }
        out.flush()
    }
}

impl<W: Write> CsvRenderer<W> {
    /// The rows of `findings` of `r`, after the cells in `lead`.
    fn rows(
        &mut self,
        plan: &Plan,
        r: &Evaluated,
        lead: &[&str],
        findings: &[&crate::finding::Finding],
    ) -> io::Result<()> {
        let source = r.source.display();
        let (amount, currency) = match &r.value {
            Some(m) => (super::json::decimal(m.amount), m.currency.to_string()),
            None => (String::new(), String::new()),
        };
        let out = self.writer()?;
        for f in findings {
            let Some(rule) = plan.rules.get(f.rule as usize) else {
                continue;
            };
            let lead = lead.iter().map(|c| neutralise(c));
            let whose = super::whose_rule(plan, r, f.rule).unwrap_or_default();
            let row: Vec<Cow<'_, str>> = lead
                .chain([
                    neutralise(&r.id),
                    neutralise(&source),
                    neutralise(&rule.id),
                    Cow::Borrowed(rule.severity.as_str()),
                    Cow::Borrowed(f.outcome.as_str()),
                    // A number, also when negative: not a formula.
                    Cow::Borrowed(amount.as_str()),
                    neutralise(&currency),
                    neutralise(&f.message),
                    neutralise(&whose),
                ])
                .collect();
            out.write_record(row.iter().map(|c| c.as_bytes())).map_err(csv_error)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(neutralise("+47 22 00 00 00"), "'+47 22 00 00 00");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("\rx"), "'\rx");
        assert_eq!(neutralise("Kontorstoler"), "Kontorstoler");
    }
}
