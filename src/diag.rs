//! Diagnostics: what went wrong in a policy, where, and how to fix it.
//!
//! Every stage (parse, load, check) reports problems as [`Diagnostic`]s that
//! point into a [`SourceMap`]; rendering is done once, here, so that all
//! messages share one layout: `error: …`, `file:line:column`, the source line
//! with a caret under the spot, and `help:` with a suggestion where one exists.

use crate::syntax::ast::Span;
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term;

/// Index of a file in the [`SourceMap`].
pub type FileId = usize;

/// The text of every policy file (and command-line value) that diagnostics
/// may point into.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.add(name.into(), text.into())
    }

    pub fn name(&self, id: FileId) -> &str {
        self.files.get(id).map(|f| f.name().as_str()).unwrap_or("<unknown>")
    }

    pub fn text(&self, id: FileId) -> &str {
        self.files.get(id).map(|f| f.source().as_str()).unwrap_or("")
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, id: FileId, offset: usize) -> (usize, usize) {
        let line = self.files.line_index(id, offset).unwrap_or(0);
        let col = self.files.column_number(id, line, offset).unwrap_or(1);
        (line + 1, col)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// One problem found in a policy or a command-line value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub level: Level,
    pub message: String,
    pub primary: Option<Box<Label>>,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Error,
            message: message.into(),
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            level: Level::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn at(mut self, file: FileId, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Box::new(Label {
            file,
            span,
            message: label.into(),
        }));
        self
    }

    pub fn also(mut self, file: FileId, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push(Label {
            file,
            span,
            message: label.into(),
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_help(self, help: Option<String>) -> Self {
        match help {
            Some(h) => self.help(h),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.level == Level::Error
    }

    /// Render as text, the way a terminal shows it (no colour).
    pub fn render(&self, sources: &SourceMap) -> String {
        let severity = match self.level {
            Level::Error => cs::Severity::Error,
            Level::Warning => cs::Severity::Warning,
        };
        let mut labels = Vec::new();
        if let Some(p) = &self.primary {
            labels.push(cs::Label::primary(p.file, clamp(sources, p)).with_message(&p.message));
        }
        for s in &self.secondary {
            labels.push(cs::Label::secondary(s.file, clamp(sources, s)).with_message(&s.message));
        }
        let mut notes = self.notes.clone();
        if let Some(h) = &self.help {
            notes.push(format!("help: {h}"));
        }
        let diagnostic = cs::Diagnostic::new(severity)
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(notes);
        let config = term::Config::default();
        term::emit_into_string(&config, &sources.files, &diagnostic)
            .unwrap_or_else(|_| format!("{}: {}\n", level_word(self.level), self.message))
    }

    /// `file:line:column` of the primary label, if any.
    pub fn location(&self, sources: &SourceMap) -> Option<(String, usize, usize)> {
        self.primary.as_ref().map(|p| {
            let (line, col) = sources.line_col(p.file, p.span.start);
            (sources.name(p.file).to_string(), line, col)
        })
    }
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        Level::Warning => "warning",
    }
}

/// Keep a label inside its file so that rendering never fails on a bad span.
fn clamp(sources: &SourceMap, label: &Label) -> std::ops::Range<usize> {
    let len = sources.text(label.file).len();
    let start = label.span.start.min(len);
    let end = label.span.end.clamp(start, len);
    start..end
}

/// Render a list of diagnostics, one after another.
/// `noun` after its indefinite article: `a lot`, `an authority`, `an award
/// criterion`.
pub fn indefinite(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

pub fn render_all(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    diagnostics.iter().map(|d| d.render(sources)).collect()
}

/// The known name closest to `unknown`, if one is close enough to be a
/// plausible typo.
pub fn closest<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let unknown_lower = unknown.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for candidate in known {
        let score = strsim::normalized_damerau_levenshtein(&unknown_lower, &candidate.to_lowercase());
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, candidate));
        }
    }
    match best {
        Some((score, name)) if score >= 0.6 => Some(name),
        _ => None,
    }
}

/// `did you mean `x`?` for the closest known name.
pub fn did_you_mean<'a>(unknown: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(unknown, known).map(|c| format!("did you mean `{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_and_ignores_strangers() {
        let known = ["vehicles[].fuel", "buyer.kind", "estimated_value"];
        assert_eq!(closest("vehicles[].fule", known), Some("vehicles[].fuel"));
        assert_eq!(closest("buyer.knd", known), Some("buyer.kind"));
        assert_eq!(closest("zzz", known), None);
    }

    #[test]
    fn indefinite_article_fits_the_noun() {
        assert_eq!(indefinite("authority"), "an authority");
        assert_eq!(indefinite("award criterion"), "an award criterion");
        assert_eq!(indefinite("exemption"), "an exemption");
        assert_eq!(indefinite("cooperation"), "a cooperation");
        assert_eq!(indefinite("buyer kind"), "a buyer kind");
    }

    #[test]
    fn renders_file_line_column_and_caret() {
        let mut sources = SourceMap::new();
        let file = sources.add("p.policy", "rule X {\n  when vale > 1\n}\n");
        let text = Diagnostic::error("unknown field `vale`")
            .at(file, Span::new(16, 20), "not a record field")
            .help("did you mean `value`?")
            .render(&sources);
        assert!(text.contains("p.policy:2:8"), "{text}");
        assert!(text.contains("^^^^"), "{text}");
        assert!(text.contains("help: did you mean `value`?"), "{text}");
    }
}
