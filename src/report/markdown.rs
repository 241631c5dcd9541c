//! The Markdown report (`--format markdown`): the content of the HTML
//! report ([`super::page`]) for wikis and case papers, with tables where
//! the HTML report draws charts. Like the HTML report it keeps no record.

use super::page::{Block, Cell, Chart, ChartKind, Page, Table};
use std::borrow::Cow;
use std::fmt::Write as _;

/// Text made literal in Markdown: punctuation that could start markup is
/// escaped with a backslash, and line breaks become spaces (a table cell
/// is one line).
pub fn escape(s: &str) -> Cow<'_, str> {
    const SPECIAL: &[char] = &[
        '\\', '`', '*', '_', '[', ']', '<', '>', '|', '&', '#', '~', '\n', '\r', '\t',
    ];
    if !s.contains(SPECIAL) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\n' | '\r' | '\t' => out.push(' '),
            c if SPECIAL.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Render a page as Markdown.
pub fn render(page: &Page) -> String {
    let mut o = String::with_capacity(32 * 1024);
    let _ = writeln!(o, "# {}\n", escape(&page.title));
    for line in &page.lead {
        let _ = writeln!(o, "{}  ", escape(line));
    }
    o.push('\n');
    for s in &page.sections {
        let _ = writeln!(o, "## {}\n", escape(&s.title));
        for b in &s.blocks {
            block(&mut o, b);
        }
    }
    o
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Para(p) => {
            let _ = writeln!(o, "{}\n", escape(p));
        }
        Block::Note(p) => {
            let _ = writeln!(o, "> {}\n", escape(p));
        }
        Block::Heading(h) => {
            let _ = writeln!(o, "### {}\n", escape(h));
        }
        Block::Figures(figures) => {
            for f in figures {
                let _ = writeln!(o, "- **{}** {}", escape(&f.value), escape(&f.label));
            }
            o.push('\n');
        }
        Block::Facts(facts) => {
            for (term, value) in facts {
                let _ = writeln!(o, "- {}: {}", escape(term), escape(value));
            }
            o.push('\n');
        }
        Block::Table(t) => table(o, t),
        Block::Chart(c) => chart(o, c),
    }
}

fn chart(o: &mut String, c: &Chart) {
    let _ = writeln!(o, "**{}**\n", escape(&c.title));
    if let ChartKind::Empty(text) = &c.kind {
        let _ = writeln!(o, "*{}*\n", escape(text));
    }
    if !c.table.rows.is_empty() {
        table(o, &c.table);
    }
}

fn table(o: &mut String, t: &Table) {
    if t.head.is_empty() {
        return;
    }
    let head: Vec<String> = t.head.iter().map(|h| escape(h).into_owned()).collect();
    let _ = writeln!(o, "| {} |", head.join(" | "));
    let rule: Vec<&str> = (0..t.head.len())
        .map(|i| {
            if t.numeric.get(i).copied().unwrap_or(false) {
                "---:"
            } else {
                "---"
            }
        })
        .collect();
    let _ = writeln!(o, "| {} |", rule.join(" | "));
    for row in &t.rows {
        let cells: Vec<String> = row.iter().map(cell).collect();
        let _ = writeln!(o, "| {} |", cells.join(" | "));
    }
    o.push('\n');
    if let Some(note) = &t.note {
        let _ = writeln!(o, "*{}*\n", escape(note));
    }
}

fn cell(c: &Cell) -> String {
    c.lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            // A code span keeps its text literal, but only on one line: a
            // line break would end the table row and let the rest be markup.
            if i == 0 && c.code && !line.contains(['`', '|', '\n', '\r']) {
                format!("`{line}`")
            } else {
                escape(line).into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("<br>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a | b"), "a \\| b");
        assert_eq!(escape("<script>"), "\\<script\\>");
        assert_eq!(escape("line\nbreak"), "line break");
        assert_eq!(escape("1 300 000 NOK (69,3 %)"), "1 300 000 NOK (69,3 %)");
    }

    #[test]
    fn an_identifier_with_a_line_break_is_escaped_not_put_in_a_code_span() {
        assert_eq!(cell(&Cell::code("VIK-1")), "`VIK-1`");
        let hostile = cell(&Cell::code("x\n<img src=x onerror=alert(1)>"));
        assert_eq!(hostile, "x \\<img src=x onerror=alert(1)\\>");
        assert!(!hostile.contains('\n'));
    }
}
