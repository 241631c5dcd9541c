//! `anskaff fmt`: one canonical layout for policy files.
//!
//! The policy is parsed and printed again from its syntax tree, so the
//! layout never depends on how the text was written; the tree does not hold
//! comments, so they are found in the text and put back by position: a
//! comment goes with the entry or expression that follows it, or stays at
//! the end of the line it ended.
//!
//! The layout: two spaces of indentation per block; the entries of the
//! header and of a rule in the order the reference lists them; one blank
//! line around blocks (between one-line items, blank lines are kept, at most
//! one); a text in two languages on one line when it fits in
//! [`WIDTH`] columns, else one language per line, aligned; a condition that
//! does not fit broken before each `or` (or `and`) of its top level, with
//! the operands aligned. Amounts are written as they were (`1.3 MNOK` stays
//! `1.3 MNOK`), since the syntax tree keeps how they were written.

use crate::diag::{Diagnostic, FileId};
use crate::syntax::{self, ast::*};

/// The column a line should stay within, where it can be broken.
pub const WIDTH: usize = 100;

/// The policy text in canonical layout, or why it does not parse.
pub fn format_policy(text: &str, file: FileId) -> Result<String, Diagnostic> {
    let ast = syntax::parse_policy(text, file)?;
    Ok(format_parsed(&ast, text))
}

/// Print a parsed policy, with the comments of `text` (the text it was
/// parsed from).
pub fn format_parsed(ast: &PolicyFile, text: &str) -> String {
    let mut p = Printer::new(text, comments_of(text));
    p.file(ast);
    p.out
}

/// An expression on one line, in canonical form: what `fmt` writes for it
/// when it fits. Reports and diffs use it to show conditions.
pub fn expr_text(e: &Expr) -> String {
    let mut p = Printer::new("", Vec::new());
    p.expr(e);
    p.out
}

/// A text as a quoted policy literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A literal as a policy writes it.
pub fn literal_text(l: &Literal) -> String {
    match l {
        Literal::Money { written, .. } => written.clone(),
        Literal::Percent(p) => format!("{p} %"),
        Literal::Number(n) => n.to_string(),
        Literal::Date(d) => d.format("%Y-%m-%d").to_string(),
        Literal::Duration(n, unit) => {
            let word = match unit {
                DurationUnit::Day => "day",
                DurationUnit::Week => "week",
                DurationUnit::Month => "month",
                DurationUnit::Quarter => "quarter",
                DurationUnit::Year => "year",
            };
            format!("{n} {word}{}", if *n == 1 { "" } else { "s" })
        }
        Literal::Text(t) => quote(t),
        Literal::Bool(b) => b.to_string(),
    }
}

/// A parameter's value as written: a constant, or a `by date` schedule on
/// one line.
pub fn param_value_text(v: &ParamValue) -> String {
    match v {
        ParamValue::Fixed(e) => expr_text(e),
        ParamValue::ByDate(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(d, e)| format!("from {}: {}", d.node.format("%Y-%m-%d"), expr_text(e)))
                .collect();
            format!("by date {{ {} }}", parts.join("; "))
        }
    }
}

/// What formatting one file found.
pub struct Formatted {
    pub path: std::path::PathBuf,
    pub original: String,
    pub formatted: String,
}

impl Formatted {
    pub fn changed(&self) -> bool {
        self.original != self.formatted
    }

    /// The change formatting makes, as a unified diff.
    pub fn diff(&self) -> String {
        let name = self.path.display().to_string();
        similar::TextDiff::from_lines(&self.original, &self.formatted)
            .unified_diff()
            .context_radius(2)
            .header(&name, &format!("{name} (formatted)"))
            .to_string()
    }
}

/// Format the policy file at `path` (without writing it). A file that
/// cannot be read or parsed gives its diagnostic, rendered.
pub fn format_file(path: &std::path::Path) -> Result<Formatted, String> {
    let original =
        std::fs::read_to_string(path).map_err(|e| format!("error: cannot read `{}`: {e}\n", path.display()))?;
    let mut sources = crate::diag::SourceMap::new();
    let file = sources.add(path.display().to_string(), original.clone());
    match format_policy(&original, file) {
        Ok(formatted) => Ok(Formatted {
            path: path.to_path_buf(),
            original,
            formatted,
        }),
        Err(d) => Err(d.render(&sources)),
    }
}

// ------------------------------------------------------------------ comments

/// A `#` comment in the policy text.
#[derive(Debug, Clone)]
struct Comment {
    start: usize,
    end: usize,
    /// Code stands before it on its line: it stays at the end of a line.
    trailing: bool,
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{FEFF}' | '\u{A0}')
}

/// Every comment of a policy text that parsed: a `#` outside quotes up to
/// the end of its line.
fn comments_of(text: &str) -> Vec<Comment> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    let mut line_has_code = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '\n' => line_has_code = false,
            '#' => {
                let mut end = text.len();
                while let Some(&(j, d)) = chars.peek() {
                    if d == '\n' {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                let body = text[i..end].trim_end();
                out.push(Comment {
                    start: i,
                    end: i + body.len(),
                    trailing: line_has_code,
                });
            }
            '"' => {
                line_has_code = true;
                while let Some((_, d)) = chars.next() {
                    match d {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            c if is_space(c) => {}
            _ => line_has_code = true,
        }
    }
    out
}

// ------------------------------------------------------------------ extents

/// Where an entry or item was written: from its first value to its last.
#[derive(Debug, Clone, Copy)]
struct Extent {
    start: usize,
    end: usize,
}

impl Extent {
    fn of(span: Span) -> Extent {
        Extent {
            start: span.start,
            end: span.end,
        }
    }

    fn join(self, other: Option<Extent>) -> Extent {
        match other {
            Some(o) => Extent {
                start: self.start.min(o.start),
                end: self.end.max(o.end),
            },
            None => self,
        }
    }
}

fn translations_extent(t: &Translations) -> Option<Extent> {
    let mut spans = t.texts.iter().map(|(_, s)| Extent::of(s.span));
    let first = spans.next()?;
    Some(spans.fold(first, |acc, e| acc.join(Some(e))))
}

fn across_extent(a: &Across) -> Extent {
    Extent::of(a.span).join(Some(Extent::of(a.flag_when.span)))
}

// ------------------------------------------------------------------ printer

/// One entry of a block (the header, a rule, an area, a parameter's
/// description), in the order it is printed.
enum Entry<'a> {
    Text(&'static str, Option<&'a str>, &'a Translations),
    Quoted(&'static str, &'a Spanned<String>),
    Word(&'static str, &'a str, Span),
    InForce(&'a InForce),
    Scope(&'a Scope),
    Condition(&'static str, &'a Expr),
    Across(&'a Across),
}

impl Entry<'_> {
    fn extent(&self) -> Option<Extent> {
        match self {
            Entry::Text(_, _, t) => translations_extent(t),
            Entry::Quoted(_, s) => Some(Extent::of(s.span)),
            Entry::Word(_, _, span) => Some(Extent::of(*span)),
            Entry::InForce(f) => Some(Extent::of(f.span)),
            Entry::Scope(sc) => Some(Extent::of(sc.span)),
            Entry::Condition(_, e) => Some(Extent::of(e.span)),
            Entry::Across(a) => Some(across_extent(a)),
        }
    }
}

struct Printer<'s> {
    src: &'s str,
    comments: Vec<Comment>,
    used: Vec<bool>,
    out: String,
    /// Characters on the current output line.
    col: usize,
    /// Where a new line starts.
    indent: usize,
    /// The comments that may be printed now: those starting in this range.
    range: (usize, usize),
}

impl<'s> Printer<'s> {
    fn new(src: &'s str, comments: Vec<Comment>) -> Self {
        let used = vec![false; comments.len()];
        Printer {
            src,
            comments,
            used,
            out: String::new(),
            col: 0,
            indent: 0,
            range: (0, usize::MAX),
        }
    }

    // -------------------------------------------------------------- output

    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        if self.col == 0 {
            let s = s.trim_start();
            if s.is_empty() {
                return;
            }
            self.out.extend(std::iter::repeat_n(' ', self.indent));
            self.col = self.indent;
            self.out.push_str(s);
            self.col += s.chars().count();
        } else {
            self.out.push_str(s);
            self.col += s.chars().count();
        }
    }

    fn newline(&mut self) {
        let trimmed = self.out.trim_end_matches(' ').len();
        self.out.truncate(trimmed);
        self.out.push('\n');
        self.col = 0;
    }

    fn end_line(&mut self) {
        if self.col > 0 {
            self.newline();
        }
    }

    /// An empty line before what comes next (none at the top of the file).
    fn blank_line(&mut self) {
        self.end_line();
        if !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
    }

    // ------------------------------------------------------------ comments

    /// Print the comments of the current range that start before `pos`.
    fn flush(&mut self, pos: usize) {
        let limit = pos.min(self.range.1);
        for i in 0..self.comments.len() {
            let c = &self.comments[i];
            if self.used[i] || c.start < self.range.0 || c.start >= limit {
                continue;
            }
            self.emit_comment(i);
        }
    }

    fn emit_comment(&mut self, i: usize) {
        self.used[i] = true;
        let c = self.comments[i].clone();
        let body = &self.src[c.start..c.end];
        if c.trailing && self.col > 0 {
            let trimmed = self.out.trim_end_matches(' ').len();
            self.out.truncate(trimmed);
            self.out.push_str("  ");
            self.out.push_str(body);
        } else {
            self.end_line();
            self.text(body);
        }
        self.newline();
    }

    fn tidy(&self, e: Extent) -> Extent {
        Extent {
            start: e.start,
            end: self.code_end(e.end).max(e.start),
        }
    }

    /// `end` moved back over white space and comments: a span that ends in
    /// an expression may take in the white space and comments after it.
    fn code_end(&self, mut end: usize) -> usize {
        end = end.min(self.src.len());
        loop {
            let before = self.src[..end].trim_end_matches(is_space).len();
            match self.comments.iter().find(|c| c.end == before && c.start < before) {
                Some(c) => end = c.start,
                None => return before,
            }
        }
    }

    fn has_comments(&self, lo: usize, hi: usize) -> bool {
        self.comments
            .iter()
            .zip(&self.used)
            .any(|(c, used)| !used && c.start >= lo.max(self.range.0) && c.start < hi.min(self.range.1))
    }

    /// `end`, or the end of a comment on the same line after it.
    fn with_trailing(&self, end: usize) -> usize {
        let rest = self.src.get(end..).unwrap_or("");
        let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        match self.comments.iter().find(|c| c.start == end + gap) {
            Some(c) => c.end,
            None => end,
        }
    }

    /// Whether the source has an empty line between `a` and `b`.
    fn blank_between(&self, a: usize, b: usize) -> bool {
        let gap = self.src.get(a.min(b)..b).unwrap_or("");
        let mut lines = gap.split('\n');
        lines.next();
        let mut middle: Vec<&str> = lines.collect();
        middle.pop();
        middle.iter().any(|l| l.trim().is_empty())
    }

    /// The position after the closing brace of a block whose content ends
    /// at `after` (skipping an opening brace first when the block is empty).
    fn block_end(&self, after: usize) -> usize {
        let mut pos = self.skip_trivia(after);
        if self.src[pos..].starts_with('{') {
            pos = self.skip_trivia(pos + 1);
        }
        if self.src[pos..].starts_with('}') {
            pos + 1
        } else {
            after
        }
    }

    fn skip_trivia(&self, mut pos: usize) -> usize {
        let src = self.src;
        pos = pos.min(src.len());
        loop {
            let rest = &src[pos..];
            let trimmed = rest.trim_start_matches(is_space);
            pos += rest.len() - trimmed.len();
            if trimmed.starts_with('#') {
                pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else {
                return pos;
            }
        }
    }

    // -------------------------------------------------------------- file

    fn file(&mut self, f: &PolicyFile) {
        // Each item with where it starts and ends in the source.
        let mut items: Vec<(Extent, ItemRef<'_>)> = Vec::with_capacity(f.items.len() + 1);
        items.push((self.header_extent(&f.header), ItemRef::Header(&f.header)));
        for item in &f.items {
            items.push((self.item_extent(item), ItemRef::Item(item)));
        }
        let mut lo = 0;
        let mut prev_end: Option<usize> = None;
        let mut prev_multiline = false;
        for (extent, item) in &items {
            let hi = self.with_trailing(extent.end).max(extent.start);
            self.range = (lo, hi);
            // Comments before the item, and any left inside the item before
            // (after its last token, say): above the item.
            let leading: Vec<usize> = (0..self.comments.len())
                .filter(|&i| !self.used[i] && self.comments[i].start < extent.start)
                .collect();
            // Comments above the item, with the blank lines between them kept.
            let mut last = prev_end;
            let block = item.is_block();
            for (k, &i) in leading.iter().enumerate() {
                let c = self.comments[i].clone();
                let blank = match last {
                    None => false,
                    Some(l) => self.blank_between(l, c.start) || (k == 0 && (prev_multiline || block)),
                };
                if blank {
                    self.blank_line();
                }
                self.emit_comment(i);
                last = Some(c.end);
            }
            if let Some(l) = last {
                let after_comment = !leading.is_empty();
                let forced = !after_comment && (prev_multiline || block);
                if self.blank_between(l, extent.start) || forced {
                    self.blank_line();
                }
            }
            self.end_line();
            let before = self.out.len();
            self.indent = 0;
            match item {
                ItemRef::Header(h) => self.header(h, *extent),
                ItemRef::Item(i) => self.item(i, *extent),
            }
            // Only a comment at the end of the item's last line stays with
            // it; one left inside goes with what follows, as it will when
            // the output is formatted again.
            self.range = (extent.end, hi);
            self.flush(hi);
            self.end_line();
            prev_multiline = self.out[before..].trim_end().contains('\n');
            prev_end = Some(hi);
            lo = hi;
        }
        // Comments after the last item.
        self.range = (lo, usize::MAX);
        let rest: Vec<usize> = (0..self.comments.len()).filter(|&i| !self.used[i]).collect();
        let mut last = prev_end.unwrap_or(0);
        for (k, i) in rest.into_iter().enumerate() {
            let c = self.comments[i].clone();
            if self.blank_between(last, c.start) || (k == 0 && prev_multiline) {
                self.blank_line();
            }
            self.emit_comment(i);
            last = c.end;
        }
        self.end_line();
    }

    fn header_extent(&self, h: &Header) -> Extent {
        let mut e = Extent::of(h.id.span);
        for entry in header_entries(h) {
            e = e.join(entry.extent());
        }
        let e = self.tidy(e);
        Extent {
            start: e.start,
            end: self.block_end(e.end),
        }
    }

    fn item_extent(&self, item: &Item) -> Extent {
        let e = self.item_extent_raw(item);
        Extent {
            start: e.start,
            end: e.end.max(e.start),
        }
    }

    fn item_extent_raw(&self, item: &Item) -> Extent {
        match item {
            Item::Import(s) => Extent::of(s.span),
            Item::Let(l) => self.tidy(Extent::of(l.name.span).join(Some(Extent::of(l.value.span)))),
            Item::Rule(r) => Extent::of(r.span),
            Item::Field(f) => {
                let e = Extent::of(f.path.span)
                    .join(Some(Extent::of(f.ty.span)))
                    .join(translations_extent(&f.title))
                    .join(translations_extent(&f.description));
                Extent {
                    start: e.start,
                    end: self.block_end(e.end),
                }
            }
            Item::Area(a) => {
                let e = Extent::of(a.id.span)
                    .join(translations_extent(&a.title))
                    .join(translations_extent(&a.description));
                Extent {
                    start: e.start,
                    end: self.block_end(e.end),
                }
            }
            Item::Param(p) => {
                let mut e = Extent::of(p.name.span);
                match &p.value {
                    ParamValue::Fixed(v) => e = self.tidy(e.join(Some(Extent::of(v.span)))),
                    ParamValue::ByDate(entries) => {
                        for (d, v) in entries {
                            e = e.join(Some(Extent::of(d.span))).join(Some(Extent::of(v.span)));
                        }
                        e = self.tidy(e);
                        // The schedule's closing brace.
                        e.end = self.block_end(e.end);
                    }
                }
                let doc = translations_extent(&p.title).or(translations_extent(&p.description));
                if doc.is_some() {
                    e = e
                        .join(translations_extent(&p.title))
                        .join(translations_extent(&p.description));
                }
                Extent {
                    start: e.start,
                    end: self.block_end(e.end),
                }
            }
        }
    }

    fn header(&mut self, h: &Header, extent: Extent) {
        self.text(&format!("policy {} {{", h.id.node));
        let entries = header_entries(h);
        self.block(entries, h.id.span.end, extent.end);
    }

    fn item(&mut self, item: &Item, extent: Extent) {
        match item {
            Item::Import(s) => {
                self.text("import ");
                self.flush(s.span.start);
                self.text(&quote(&s.node));
            }
            Item::Let(l) => {
                self.text(&format!("let {} = ", l.name.node));
                self.value(&l.value);
            }
            Item::Area(a) => {
                self.text(&format!("area {} {{", a.id.node));
                let entries = vec![
                    Entry::Text("title", None, &a.title),
                    Entry::Text("description", None, &a.description),
                ];
                self.block(entries, a.id.span.end, extent.end);
            }
            Item::Param(p) => self.param(p, extent),
            Item::Field(f) => {
                let list = if f.list { "list of " } else { "" };
                self.text(&format!("field {} : {list}", f.path.node));
                self.flush(f.ty.span.start);
                self.text(&f.ty.node);
                if f.title.texts.is_empty() && f.description.texts.is_empty() {
                    return;
                }
                self.text(" {");
                let entries = vec![
                    Entry::Text("title", None, &f.title),
                    Entry::Text("description", None, &f.description),
                ];
                self.block(entries, f.ty.span.end, extent.end);
            }
            Item::Rule(r) => {
                self.text(&format!("rule {} {{", r.id.node));
                self.block(rule_entries(r), r.id.span.end, extent.end);
            }
        }
    }

    fn param(&mut self, p: &Param, extent: Extent) {
        self.text(&format!("param {} = ", p.name.node));
        let mut after_value = p.name.span.end;
        match &p.value {
            ParamValue::Fixed(v) => {
                self.value(v);
                after_value = self.code_end(v.span.end);
            }
            ParamValue::ByDate(entries) => {
                self.text("by date {");
                let outer = self.indent;
                self.indent = outer + 2;
                for (date, v) in entries {
                    self.flush(date.span.start);
                    self.end_line();
                    self.text(&format!("from {}: ", date.node.format("%Y-%m-%d")));
                    self.expr(v);
                    after_value = self.code_end(v.span.end);
                }
                let doc_start = translations_extent(&p.title)
                    .into_iter()
                    .chain(translations_extent(&p.description))
                    .map(|e| e.start)
                    .min()
                    .unwrap_or(extent.end);
                self.flush(doc_start);
                self.end_line();
                self.indent = outer;
                self.text("}");
                after_value = self.block_end(after_value);
            }
        }
        if p.title.texts.is_empty() && p.description.texts.is_empty() {
            return;
        }
        self.text(" {");
        let entries = vec![
            Entry::Text("title", None, &p.title),
            Entry::Text("description", None, &p.description),
        ];
        self.block(entries, after_value, extent.end);
    }

    /// The entries of a block, then its closing brace. The block's text runs
    /// from `lo` (after its opening) to `end` (after its closing brace).
    fn block(&mut self, entries: Vec<Entry<'_>>, lo: usize, end: usize) {
        let outer_range = self.range;
        let outer = self.indent;
        self.indent = outer + 2;
        let present: Vec<(Extent, Entry<'_>)> = entries
            .into_iter()
            .filter_map(|e| e.extent().map(|x| (self.tidy(x), e)))
            .collect();
        // Each entry's range: from the end of the entry written before it
        // (with its trailing comment) to its own end.
        let mut by_source: Vec<usize> = (0..present.len()).collect();
        by_source.sort_by_key(|&i| present[i].0.start);
        let mut ranges = vec![(lo, lo); present.len()];
        let mut from = lo;
        for &i in &by_source {
            let hi = self.with_trailing(present[i].0.end).max(from);
            ranges[i] = (from, hi);
            from = hi;
        }
        for (i, (extent, entry)) in present.iter().enumerate() {
            self.range = ranges[i];
            self.flush(extent.start);
            self.end_line();
            self.entry(entry);
            self.flush(ranges[i].1);
        }
        self.range = (from.min(end), end);
        self.flush(end);
        self.range = outer_range;
        self.end_line();
        self.indent = outer;
        if present.is_empty() && self.out.ends_with("{\n") {
            // An empty block stays on one line: `{}`.
            self.out.pop();
            self.col = self.out.rsplit('\n').next().map_or(0, |l| l.chars().count());
        }
        self.text("}");
    }

    fn entry(&mut self, entry: &Entry<'_>) {
        match entry {
            Entry::Text(keyword, kind, t) => {
                let lead = match kind {
                    Some(k) => format!("{keyword} {k} "),
                    None => format!("{keyword} "),
                };
                self.text(&lead);
                self.translations(t);
            }
            Entry::Quoted(keyword, s) => {
                self.text(&format!("{keyword} "));
                self.flush(s.span.start);
                self.text(&quote(&s.node));
            }
            Entry::Word(keyword, word, _) => self.text(&format!("{keyword} {word}")),
            Entry::InForce(f) => {
                self.text("in force");
                if let Some(d) = &f.from {
                    self.flush(d.span.start);
                    self.text(&format!(" from {}", d.node.format("%Y-%m-%d")));
                }
                if let Some(d) = &f.to {
                    self.flush(d.span.start);
                    self.text(&format!(" to {}", d.node.format("%Y-%m-%d")));
                }
            }
            Entry::Scope(sc) => {
                self.text("for ");
                // More than two targets: one a line, under the first.
                let outer = self.indent;
                self.indent = outer + 4;
                for (i, target) in sc.targets.iter().enumerate() {
                    if i > 0 {
                        self.text(",");
                        if sc.targets.len() > 2 {
                            self.newline();
                        } else {
                            self.text(" ");
                        }
                    }
                    self.flush(target.name.span.start);
                    self.text(&format!("{} {}", target.kind.keyword(), quote(&target.name.node)));
                }
                self.indent = outer;
            }
            Entry::Condition(keyword, e) => {
                self.text(&format!("{keyword} "));
                self.condition(e);
            }
            Entry::Across(a) => self.across(a),
        }
    }

    /// `nb "…" en "…"` on one line when it fits, else aligned one per line.
    fn translations(&mut self, t: &Translations) {
        let column = self.col;
        let parts: Vec<String> = t
            .texts
            .iter()
            .map(|(lang, s)| format!("{} {}", lang.code(), quote(&s.node)))
            .collect();
        let flat: usize = parts.iter().map(|p| p.chars().count()).sum::<usize>() + parts.len().saturating_sub(1);
        let first = t.texts.first().map_or(0, |(_, s)| s.span.start);
        let last = t.texts.last().map_or(0, |(_, s)| s.span.start);
        let one_line = column + flat <= WIDTH && !self.has_comments(first, last);
        let outer = self.indent;
        self.indent = column;
        for (k, ((_, s), part)) in t.texts.iter().zip(&parts).enumerate() {
            self.flush(s.span.start);
            if k > 0 {
                if one_line {
                    self.text(" ");
                } else {
                    self.end_line();
                }
            }
            self.text(part);
        }
        self.indent = outer;
    }

    fn across(&mut self, a: &Across) {
        self.text("across records");
        let outer = self.indent;
        self.indent = outer + 2;
        if let Some(f) = &a.filter {
            self.flush(f.span.start);
            self.end_line();
            self.text("where ");
            self.condition(f);
        }
        if let Some(first) = a.group_by.first() {
            self.flush(first.span.start);
        }
        self.end_line();
        self.text("group by ");
        for (k, e) in a.group_by.iter().enumerate() {
            if k > 0 {
                self.flush(e.span.start);
                self.text(", ");
            }
            self.expr(e);
        }
        match &a.window {
            Some(Window::Rolling(e)) => {
                self.flush(e.span.start);
                self.end_line();
                self.text("within rolling ");
                self.expr(e);
            }
            Some(Window::Calendar(u)) => {
                self.flush(u.span.start);
                self.end_line();
                let unit = match u.node {
                    CalendarUnit::Year => "year",
                    CalendarUnit::Quarter => "quarter",
                    CalendarUnit::Month => "month",
                };
                self.text(&format!("within calendar {unit}"));
            }
            None => {}
        }
        self.flush(a.flag_when.span.start);
        self.end_line();
        self.text("flag when ");
        self.condition(&a.flag_when);
        self.indent = outer;
    }

    // ---------------------------------------------------------- expressions

    /// Whether `e` fits on the rest of the line, with no comment to print
    /// inside it (a comment before its last part is printed inside).
    fn fits(&self, e: &Expr) -> bool {
        self.col + expr_text(e).chars().count() <= WIDTH && !self.has_comments(e.span.start, last_start(e))
    }

    /// A condition after its keyword: on one line if it fits, else broken
    /// before each `or` (or `and`) of its top level.
    fn condition(&mut self, e: &Expr) {
        if self.fits(e) {
            return self.expr(e);
        }
        if let ExprKind::Binary(op @ (BinaryOp::Or | BinaryOp::And), ..) = &e.kind {
            return self.chain(e, *op);
        }
        self.expr(e);
    }

    /// The value of a `let` or parameter: on one line if it fits; a long
    /// `if … else …` on its own lines below the name, one branch a line.
    fn value(&mut self, e: &Expr) {
        if self.fits(e) {
            return self.expr(e);
        }
        match &e.kind {
            ExprKind::If(..) => {
                let outer = self.indent;
                self.indent = outer + 2;
                self.newline();
                self.if_chain(e);
                self.indent = outer;
            }
            ExprKind::Binary(op @ (BinaryOp::Or | BinaryOp::And), ..) => self.chain(e, *op),
            _ => self.expr(e),
        }
    }

    fn if_chain(&mut self, e: &Expr) {
        let mut current = e;
        let mut first = true;
        loop {
            self.flush(current.span.start);
            match &current.kind {
                ExprKind::If(c, a, b) => {
                    if !first {
                        self.end_line();
                        self.text("else ");
                    }
                    self.text("if ");
                    self.expr(c);
                    self.text(" then ");
                    self.expr(a);
                    first = false;
                    current = b;
                }
                _ => {
                    self.end_line();
                    self.text("else ");
                    self.expr(current);
                    return;
                }
            }
        }
    }

    /// `a` / `or b` / `or c`, with `a`, `b` and `c` in one column.
    fn chain(&mut self, e: &Expr, op: BinaryOp) {
        let mut operands = Vec::new();
        flatten(e, op, &mut operands);
        let column = self.col;
        let word = op.as_str();
        let outer = self.indent;
        for (k, operand) in operands.iter().enumerate() {
            if k > 0 {
                self.indent = column.saturating_sub(word.len() + 1);
                self.flush(operand.span.start);
                self.end_line();
                self.text(&format!("{word} "));
            }
            self.indent = column;
            self.expr(operand);
        }
        self.indent = outer;
    }

    fn expr(&mut self, e: &Expr) {
        self.flush(e.span.start);
        match &e.kind {
            ExprKind::Lit(l) => self.text(&literal_text(l)),
            ExprKind::Path(p) => self.text(&p.display()),
            ExprKind::List(items) => {
                self.text("[");
                self.comma_list(items);
                self.text("]");
            }
            ExprKind::Paren(inner) => {
                self.text("(");
                self.expr(inner);
                self.text(")");
            }
            ExprKind::Unary(op, inner) => match op {
                UnaryOp::Not => {
                    self.text("not ");
                    self.expr(inner);
                }
                UnaryOp::Neg => {
                    self.text("-");
                    self.expr(inner);
                }
                UnaryOp::Exists => {
                    self.text("exists ");
                    self.expr(inner);
                }
                UnaryOp::IsEmpty => self.postfix(inner, " is empty"),
                UnaryOp::IsNotEmpty => self.postfix(inner, " is not empty"),
                UnaryOp::IsMissing => self.postfix(inner, " is missing"),
                UnaryOp::IsPresent => self.postfix(inner, " is present"),
            },
            ExprKind::Binary(op, a, b) => {
                self.expr(a);
                self.flush(b.span.start);
                self.text(&format!(" {} ", op.as_str()));
                self.expr(b);
            }
            ExprKind::If(c, a, b) => {
                self.text("if ");
                self.expr(c);
                self.flush(a.span.start);
                self.text(" then ");
                self.expr(a);
                self.flush(b.span.start);
                self.text(" else ");
                self.expr(b);
            }
            ExprKind::Comprehension(c) => {
                self.text(&format!("{}(", c.quantifier.as_str()));
                self.flush(c.var.span.start);
                self.text(&c.var.node);
                self.flush(c.list.span.start);
                self.text(" in ");
                self.expr(&c.list);
                if let Some(f) = &c.filter {
                    self.flush(f.span.start);
                    self.text(" where ");
                    self.expr(f);
                }
                if let Some(b) = &c.body {
                    self.flush(b.span.start);
                    self.text(": ");
                    self.expr(b);
                }
                self.text(")");
            }
            ExprKind::Call(name, args) => {
                self.text(&format!("{}(", name.node));
                self.comma_list(args);
                self.text(")");
            }
        }
    }

    fn postfix(&mut self, inner: &Expr, op: &str) {
        self.expr(inner);
        self.text(op);
    }

    fn comma_list(&mut self, items: &[Expr]) {
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                self.flush(item.span.start);
                self.text(", ");
            }
            self.expr(item);
        }
    }
}

enum ItemRef<'a> {
    Header(&'a Header),
    Item(&'a Item),
}

impl ItemRef<'_> {
    /// Printed as a block over several lines, whatever its content.
    fn is_block(&self) -> bool {
        match self {
            ItemRef::Header(_) => true,
            ItemRef::Item(Item::Rule(_) | Item::Area(_)) => true,
            ItemRef::Item(Item::Param(p)) => {
                matches!(p.value, ParamValue::ByDate(_)) || !p.title.texts.is_empty() || !p.description.texts.is_empty()
            }
            ItemRef::Item(Item::Field(f)) => !f.title.texts.is_empty() || !f.description.texts.is_empty(),
            ItemRef::Item(Item::Import(_) | Item::Let(_)) => false,
        }
    }
}

/// Where the last part of `e` starts: comments before it are printed
/// inside the expression, comments after it after the expression.
fn last_start(e: &Expr) -> usize {
    let inner = match &e.kind {
        ExprKind::Lit(_) | ExprKind::Path(_) => None,
        ExprKind::List(items) => items.last().map(last_start),
        ExprKind::Paren(inner) | ExprKind::Unary(_, inner) => Some(last_start(inner)),
        ExprKind::Binary(_, _, b) | ExprKind::If(_, _, b) => Some(last_start(b)),
        ExprKind::Comprehension(c) => Some(last_start(c.body.as_ref().or(c.filter.as_ref()).unwrap_or(&c.list))),
        ExprKind::Call(name, args) => Some(args.last().map_or(name.span.start, last_start)),
    };
    inner.unwrap_or(e.span.start).max(e.span.start)
}

/// The operands of a chain of one operator: `a or b or c` → `a`, `b`, `c`.
fn flatten<'e>(e: &'e Expr, op: BinaryOp, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Binary(o, a, b) if *o == op => {
            flatten(a, op, out);
            out.push(b);
        }
        _ => out.push(e),
    }
}

/// The header's entries in canonical order.
fn header_entries(h: &Header) -> Vec<Entry<'_>> {
    let mut entries = Vec::new();
    if let Some(v) = &h.version {
        entries.push(Entry::Quoted("version", v));
    }
    entries.push(Entry::Text("title", None, &h.title));
    entries.push(Entry::Text("description", None, &h.description));
    if let Some(a) = &h.authority {
        entries.push(Entry::Quoted("authority", a));
    }
    if let Some(s) = &h.source {
        entries.push(Entry::Quoted("source", s));
    }
    if let Some(f) = &h.in_force {
        entries.push(Entry::InForce(f));
    }
    if let Some(sc) = &h.scope {
        entries.push(Entry::Scope(sc));
    }
    if let Some(w) = &h.applies {
        entries.push(Entry::Condition("when", w));
    }
    entries
}

/// A rule's entries in canonical order (the order of the language
/// reference); messages keep their order.
fn rule_entries(r: &Rule) -> Vec<Entry<'_>> {
    let mut entries = vec![Entry::Text("title", None, &r.title)];
    if let Some(a) = &r.area {
        entries.push(Entry::Word("area", &a.node, a.span));
    }
    if let Some(s) = &r.severity {
        entries.push(Entry::Word("severity", s.node.as_str(), s.span));
    }
    if let Some(b) = &r.basis {
        entries.push(Entry::Quoted("basis", b));
    }
    if let Some(f) = &r.in_force {
        entries.push(Entry::InForce(f));
    }
    if let Some(sc) = &r.scope {
        entries.push(Entry::Scope(sc));
    }
    if let Some(w) = &r.applies {
        entries.push(Entry::Condition("when", w));
    }
    if let Some(q) = &r.require {
        entries.push(Entry::Condition("require", q));
    }
    if let Some(a) = &r.across {
        entries.push(Entry::Across(a));
    }
    for m in &r.messages {
        let kind = match m.kind {
            MessageKind::Fail => None,
            MessageKind::Pass => Some("pass"),
            MessageKind::Unknown => Some("unknown"),
        };
        entries.push(Entry::Text("message", kind, &m.text));
    }
    entries.push(Entry::Text("advice", None, &r.advice));
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        format_policy(text, 0).unwrap_or_else(|d| panic!("{}", d.message))
    }

    #[test]
    fn lays_out_a_messy_policy() {
        let src = "policy  p{title en \"P\" version \"1\"}\nrule R-1{severity must title en \"R\" area a require value>=1 MNOK and procedure==\"open\"}";
        assert_eq!(
            fmt(src),
            "policy p {\n  version \"1\"\n  title en \"P\"\n}\n\nrule R-1 {\n  title en \"R\"\n  area a\n  severity must\n  require value >= 1 MNOK and procedure == \"open\"\n}\n"
        );
    }

    #[test]
    fn keeps_comments_where_they_were() {
        let src = "# top\n\npolicy p { # after brace\n  # before title\n  title en \"P\"  # end of line\n}\n# before rule\nrule R { title en \"R\"\n  require a or # why\n    b\n  # at the end\n}\n# last\n";
        let once = fmt(src);
        assert_eq!(fmt(&once), once, "{once}");
        for c in [
            "# top",
            "# after brace",
            "# before title",
            "# end of line",
            "# before rule",
            "# why",
            "# at the end",
            "# last",
        ] {
            assert_eq!(once.matches(c).count(), 1, "{c} in\n{once}");
        }
        assert!(once.contains("title en \"P\"  # end of line\n"), "{once}");
        assert!(once.starts_with("# top\n\npolicy p {  # after brace\n"), "{once}");
    }

    #[test]
    fn long_conditions_break_before_or_with_aligned_operands() {
        let src = format!(
            "policy p {{ title en \"P\" }}\nrule R {{ title en \"R\" require {} or {} }}",
            "procedure in [\"open\", \"restricted\", \"negotiated\", \"competitive_dialogue\"]",
            "(procedure == \"negotiated_without_notice\" and rationale != \"\")"
        );
        let out = fmt(&src);
        assert!(
            out.contains("  require procedure in [\"open\", \"restricted\", \"negotiated\", \"competitive_dialogue\"]\n       or (procedure"),
            "{out}"
        );
    }

    #[test]
    fn quotes_escape_what_they_must() {
        assert_eq!(quote("a \"b\" \\ c\n"), "\"a \\\"b\\\" \\\\ c\\n\"");
    }
}
