//! The JUnit XML report (`--format junit`) that GitLab, GitHub and Azure
//! show as test results: one `<testsuite>` per policy, one `<testcase>` per
//! record and rule that applied to it (`not_applicable` findings are not
//! test cases). A `fail` is a `<failure>` (its type is the rule's
//! severity), `unknown` and `waived` are `<skipped>` with the reason.
//!
//! The counts are attributes of the opening tags, known only at the end:
//! test cases are kept per policy in spooled temporary files (in memory
//! while small) and copied out when the run finishes.

use super::{Meta, Renderer, Summary};
use crate::finding::{Evaluated, Finding, InputError, Outcome};
use crate::plan::Plan;
use crate::syntax::ast::Lang;
use std::borrow::Cow;
use std::io::{self, Seek, Write};
use tempfile::SpooledTempFile;

/// Bytes of test cases a policy keeps in memory before spilling to disk.
const SPOOL: usize = 1 << 20;

pub struct JunitRenderer<W: Write> {
    out: W,
    lang: Lang,
    suites: Vec<Suite>,
    /// Bytes of test cases a policy keeps in memory before spilling.
    spool: usize,
    /// `--group-by`: one suite per group (by cooperation: per member),
    /// named and keyed, instead of one per policy.
    group_by: Option<super::groups::GroupBy>,
    grouped: Vec<(String, String, Suite)>,
}

struct Suite {
    cases: io::BufWriter<SpooledTempFile>,
    tests: u64,
    failures: u64,
    skipped: u64,
}

impl<W: Write> JunitRenderer<W> {
    pub fn new(out: W) -> Self {
        JunitRenderer {
            out,
            lang: Lang::En,
            suites: Vec::new(),
            spool: SPOOL,
            group_by: None,
            grouped: Vec::new(),
        }
    }

    /// Keep every test case in memory, never in a temporary file (the
    /// service: records must not reach the disk).
    pub fn in_memory(mut self, yes: bool) -> Self {
        if yes {
            self.spool = usize::MAX;
        }
        self
    }

    /// One `<testsuite>` per group (`--group-by`): per buyer, or per
    /// cooperation and member.
    pub fn grouped(mut self, by: Option<super::groups::GroupBy>) -> Self {
        self.group_by = by;
        self
    }
}

impl Suite {
    fn new(spool: usize) -> Suite {
        Suite {
            cases: io::BufWriter::new(SpooledTempFile::new(spool)),
            tests: 0,
            failures: 0,
            skipped: 0,
        }
    }

    /// The test case of a finding that applied (a `not_applicable` one is
    /// none).
    fn case(&mut self, plan: &Plan, r: &Evaluated, f: &Finding, lang: Lang) -> io::Result<()> {
        if f.outcome == Outcome::NotApplicable {
            return Ok(());
        }
        let Some(rule) = plan.rules.get(f.rule as usize) else {
            return Ok(());
        };
        let Some(policy) = plan.policies.get(rule.policy as usize) else {
            return Ok(());
        };
        self.tests += 1;
        let name = format!("{} · {}", r.id, rule.id);
        // In a joint procurement: whose rule it is, when not every party's.
        let whose = super::whose_rule(plan, r, f.rule).map(|w| format!("{} {w}", super::rule_for_word(lang)));
        let out = &mut self.cases;
        write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\"",
            escape(&name),
            escape(&policy.id)
        )?;
        match f.outcome {
            Outcome::Fail => {
                self.failures += 1;
                let mut body = vec![rule.title.get(lang).unwrap_or("").to_string(), r.source.display()];
                body.extend(whose.clone());
                if let Some(advice) = rule.advice.get(lang) {
                    body.push(format!("{} {advice}", t(lang, "Fix:", "Slik retter du:")));
                }
                write!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    escape(&with_whose(&f.message, whose.as_deref())),
                    rule.severity.as_str(),
                    escape_text(&body.join("\n"))
                )
            }
            Outcome::Unknown | Outcome::Waived => {
                self.skipped += 1;
                write!(
                    out,
                    ">\n      <skipped message=\"{}\"/>\n    </testcase>\n",
                    escape(&with_whose(&skip_reason(f, lang), whose.as_deref()))
                )
            }
            Outcome::Pass | Outcome::NotApplicable => out.write_all(b"/>\n"),
        }
    }
}

/// Text made safe for XML 1.0 content and attributes: markup escaped,
/// line breaks kept as character references (attribute values would lose
/// them), and characters XML cannot hold replaced by U+FFFD.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_with(s, true)
}

/// [`escape`] for element content: line breaks stay as they are.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_with(s, false)
}

fn escape_with(s: &str, breaks: bool) -> Cow<'_, str> {
    let special = |c: char| {
        matches!(c, '&' | '<' | '>' | '"' | '\'') || (breaks && matches!(c, '\n' | '\r' | '\t')) || !allowed(c)
    };
    if !s.chars().any(special) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' if breaks => out.push_str("&#10;"),
            '\r' if breaks => out.push_str("&#13;"),
            '\t' if breaks => out.push_str("&#9;"),
            c if !allowed(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Characters XML 1.0 allows.
fn allowed(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn t(lang: Lang, en: &'static str, nb: &'static str) -> &'static str {
    if lang == Lang::Nb { nb } else { en }
}

/// A message with whose rule it is after it (`… (Rule for: Steinkjer
/// kommune)`), when the rule is not every party's.
fn with_whose<'a>(message: &'a str, whose: Option<&str>) -> Cow<'a, str> {
    match whose {
        None => Cow::Borrowed(message),
        Some(w) if message.is_empty() => Cow::Owned(w.to_string()),
        Some(w) => Cow::Owned(format!("{message} ({w})")),
    }
}

/// Why a finding was skipped, in words.
fn skip_reason(f: &Finding, lang: Lang) -> String {
    match (&f.waiver, f.outcome) {
        _ if !f.message.is_empty() => f.message.clone(),
        (Some(w), _) => {
            let mut parts = vec![t(lang, "Waived", "Fraveket").to_string()];
            if let Some(r) = &w.reason {
                parts.push(r.clone());
            }
            if let Some(a) = &w.approved_by {
                parts.push(format!("{} {a}", t(lang, "approved by", "godkjent av")));
            }
            if let Some(e) = w.expires {
                parts.push(format!("{} {e}", t(lang, "expires", "utløper")));
            }
            parts.join("; ")
        }
        _ => f.message.clone(),
    }
}

impl<W: Write> Renderer for JunitRenderer<W> {
    fn begin(&mut self, plan: &Plan, meta: &Meta) -> io::Result<()> {
        self.lang = meta.lang;
        self.suites = plan.policies.iter().map(|_| Suite::new(self.spool)).collect();
        Ok(())
    }

    fn record(&mut self, plan: &Plan, r: &Evaluated) -> io::Result<()> {
        let lang = self.lang;
        let Some(by) = self.group_by else {
            for f in &r.findings {
                let policy = plan.rules.get(f.rule as usize).map_or(0, |rule| rule.policy as usize);
                if let Some(suite) = self.suites.get_mut(policy) {
                    suite.case(plan, r, f, lang)?;
                }
            }
            return Ok(());
        };
        for place in super::groups::places(plan, r, by, lang) {
            let (key, name) = match &place.member {
                Some((k, n)) => (format!("{}\u{1f}{k}", place.key), format!("{} · {n}", place.name)),
                None => (place.key.clone(), place.name.clone()),
            };
            let at = match self.grouped.iter().position(|(k, _, _)| *k == key) {
                Some(at) => at,
                None => {
                    self.grouped.push((key, name, Suite::new(self.spool)));
                    self.grouped.len() - 1
                }
            };
            let suite = &mut self.grouped[at].2;
            for f in super::groups::findings_for(plan, r, place.parties) {
                suite.case(plan, r, f, lang)?;
            }
        }
        Ok(())
    }

    fn finish(&mut self, plan: &Plan, _meta: &Meta, _summary: &Summary, _errors: &[InputError]) -> io::Result<()> {
        // Grouped: the groups in the order of the other reports (by name,
        // the groups that are not a cooperation last), else one suite per
        // policy.
        let mut suites: Vec<(String, Suite)> = if self.group_by.is_some() {
            let mut grouped = std::mem::take(&mut self.grouped);
            let rank = |key: &str| super::groups::rank(key.split('\u{1f}').next().unwrap_or(key));
            grouped.sort_by(|a, b| (rank(&a.0), &a.1, &a.0).cmp(&(rank(&b.0), &b.1, &b.0)));
            grouped.into_iter().map(|(_, name, suite)| (name, suite)).collect()
        } else {
            std::mem::take(&mut self.suites)
                .into_iter()
                .zip(&plan.policies)
                .map(|(suite, policy)| (policy.id.clone(), suite))
                .collect()
        };
        let (tests, failures, skipped) = suites.iter().fold((0, 0, 0), |(t, f, s), (_, suite)| {
            (t + suite.tests, f + suite.failures, s + suite.skipped)
        });
        write!(
            self.out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"anskaff\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n"
        )?;
        for (name, suite) in suites.drain(..) {
            writeln!(
                self.out,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">",
                escape(&name),
                suite.tests,
                suite.failures,
                suite.skipped
            )?;
            let mut cases = suite.cases.into_inner().map_err(|e| e.into_error())?;
            cases.rewind()?;
            io::copy(&mut cases, &mut self.out)?;
            self.out.write_all(b"  </testsuite>\n")?;
        }
        self.out.write_all(b"</testsuites>\n")?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_for_xml() {
        assert_eq!(escape("a<b & \"c\"\n"), "a&lt;b &amp; &quot;c&quot;&#10;");
        assert_eq!(escape("bell\u{7}"), "bell\u{FFFD}");
        assert!(matches!(escape("Kontorstoler · FOA-5-3"), Cow::Borrowed(_)));
    }
}
