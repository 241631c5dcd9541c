//! The CSV report (`--format csv`): one row per record and rule, for
//! spreadsheets. Columns: `record`, `source`, `rule`, `severity`,
//! `outcome`, `value`, `currency`, `message`.
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
pub const HEADER: [&str; 8] = [
    "record", "source", "rule", "severity", "outcome", "value", "currency", "message",
];

pub struct CsvRenderer<W: Write> {
    /// The output until `begin` writes the byte-order mark.
    raw: Option<W>,
    out: Option<::csv::Writer<W>>,
    bom: bool,
}

impl<W: Write> CsvRenderer<W> {
    pub fn new(out: W, bom: bool) -> Self {
        CsvRenderer {
            raw: Some(out),
            out: None,
            bom,
        }
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

fn csv_error(e: ::csv::Error) -> io::Error {
    io::Error::other(e)
}

impl<W: Write> Renderer for CsvRenderer<W> {
    fn begin(&mut self, _plan: &Plan, _meta: &Meta) -> io::Result<()> {
        self.writer()?.write_record(HEADER).map_err(csv_error)
    }

    fn record(&mut self, plan: &Plan, r: &Evaluated) -> io::Result<()> {
        let source = r.source.display();
        let (amount, currency) = match &r.value {
            Some(m) => (super::json::decimal(m.amount), m.currency.to_string()),
            None => (String::new(), String::new()),
        };
        let out = self.writer()?;
        for f in &r.findings {
            let Some(rule) = plan.rules.get(f.rule as usize) else {
                continue;
            };
            out.write_record([
                neutralise(&r.id).as_ref(),
                neutralise(&source).as_ref(),
                neutralise(&rule.id).as_ref(),
                rule.severity.as_str(),
                f.outcome.as_str(),
                // A number, also when negative: not a formula.
                amount.as_str(),
                neutralise(&currency).as_ref(),
                neutralise(&f.message).as_ref(),
            ])
            .map_err(csv_error)?;
        }
        Ok(())
    }

    fn finish(&mut self, _plan: &Plan, _meta: &Meta, _summary: &Summary, _errors: &[InputError]) -> io::Result<()> {
        self.writer()?.flush()
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
