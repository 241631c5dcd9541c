//! The HTML report (`--format html`): one self-contained page for a
//! council member, opened from an e-mail. Inline CSS and inline SVG charts
//! drawn here; no script, no font, no image, nothing fetched (a content
//! security policy forbids it too). Every chart has a caption, a text
//! alternative and the table of its numbers. Printable on A4.
//!
//! The page is built from the summary alone ([`super::page`]): the renderer
//! keeps no record.

use super::page::{
    Bar, Block, Cell, Chart, ChartKind, MatrixCell, MatrixRow, Page, Section, Series, StatusBar, Table, Tone,
};
use super::{Meta, status_word};
use crate::finding::Status;
use crate::syntax::ast::Lang;
use std::borrow::Cow;
use std::fmt::Write as _;

/// Escaped text with `code` spans (as policy messages write values) set
/// as code.
fn rich(s: &str) -> String {
    let text = escape(s);
    if text.matches('`').count() < 2 {
        return text.into_owned();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut parts = text.split('`').peekable();
    let mut inside = false;
    while let Some(part) = parts.next() {
        if inside && parts.peek().is_some() {
            let _ = write!(out, "<code>{part}</code>");
        } else if inside {
            // An unpaired backtick stays as it was.
            out.push('`');
            out.push_str(part);
        } else {
            out.push_str(part);
        }
        inside = !inside;
    }
    out
}

/// Text made safe for HTML and XML, in element content and in attribute
/// values (quoted with `"` or `'`).
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn t(lang: Lang, en: &'static str, nb: &'static str) -> &'static str {
    if lang == Lang::Nb { nb } else { en }
}

const STYLE: &str = r#"
:root { --ink: #1f2328; --muted: #57606a; --line: #d0d7de; --ok: #1a7f37; --bad: #b42318; --miss: #8a5a00; --miss-bg: #f3d27e; --s1: #0b4f9c; --s2: #9a3412; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--ink); background: #fff; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 62rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 1.25rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .4rem; }
h2 { font-size: 1.4rem; margin: 2.4rem 0 .6rem; padding-bottom: .2rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1.1rem; margin: 1.8rem 0 .3rem; }
h2, h3 { break-after: avoid; page-break-after: avoid; }
p { margin: .4rem 0 .8rem; }
.lead { color: var(--muted); margin: .1rem 0; }
nav ol { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; padding: 0; margin: 1rem 0 0; list-style: none; font-size: .9rem; }
nav a { color: var(--s1); }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: .75rem; margin: 1rem 0; padding: 0; list-style: none; }
.figure { border: 1px solid var(--line); border-left: .5rem solid var(--muted); border-radius: .3rem; padding: .5rem .8rem .6rem; break-inside: avoid; }
.figure.good { border-left-color: var(--ok); }
.figure.bad { border-left-color: var(--bad); }
.figure.missing { border-left-color: var(--miss); }
.figure .value { display: block; font-size: 2rem; font-weight: 700; line-height: 1.15; white-space: nowrap; }
.figure .label { display: block; font-size: .9rem; }
.note { background: #fff8e1; border-left: .3rem solid var(--miss); padding: .5rem .8rem; }
figure.chart { margin: 1rem 0 1.6rem; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg.chart { display: block; width: 100%; height: auto; font-family: inherit; }
svg.chart text { fill: var(--ink); font-size: 15px; }
svg.chart text.label { font-weight: 600; }
svg.chart text.small { font-size: 13px; }
svg.chart text.axis { fill: var(--muted); font-size: 13px; }
svg.chart text.in { font-size: 14px; font-weight: 600; }
svg.chart text.in-light { fill: #fff; }
svg.chart .s-ok { fill: var(--ok); }
svg.chart .s-bad { fill: var(--bad); }
svg.chart .s-miss { fill: url(#hatch); }
svg.chart .s-none { fill: #fff; stroke: var(--line); stroke-dasharray: 4 3; }
svg.chart .s-bar { fill: var(--miss); }
svg.chart .grid { stroke: var(--line); stroke-width: 1; }
svg.chart .line1 { fill: none; stroke: var(--s1); stroke-width: 2.5; }
svg.chart .line2 { fill: none; stroke: var(--s2); stroke-width: 2.5; stroke-dasharray: 7 4; }
svg.chart .dot1 { fill: var(--s1); }
svg.chart .dot2 { fill: var(--s2); }
.legend { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; margin: .3rem 0; padding: 0; list-style: none; font-size: .85rem; color: var(--muted); }
.swatch { display: inline-block; width: .95rem; height: .95rem; margin-right: .35rem; vertical-align: -.15rem; border: 1px solid var(--ink); }
.swatch.ok { background: var(--ok); }
.swatch.bad { background: var(--bad); }
.swatch.miss { background: repeating-linear-gradient(45deg, var(--miss-bg) 0 3px, var(--miss) 3px 5px); }
.legend svg.chart.key { display: inline-block; width: 28px; height: 12px; vertical-align: middle; margin-right: .35rem; }
.scroll { overflow-x: auto; }
table.matrix th, table.matrix td, table.matrix .sub { overflow-wrap: normal; }
table.matrix th[scope="row"], table.matrix thead th:first-child { position: sticky; left: 0; z-index: 1; background: #fff; }
table.matrix thead th:first-child { background: #f6f8fa; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; font-size: .88rem; }
table.numbers { font-size: .8rem; }
th, td { padding: .3rem .45rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
th.num, td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th .sub, td .sub { display: block; color: var(--muted); font-size: .8rem; font-weight: 400; overflow-wrap: anywhere; }
td.wide { min-width: 16rem; }
th.nw, td.nw { white-space: nowrap; }
td .item { display: block; }
td .item + .item { margin-top: .3rem; }
tr { break-inside: avoid; page-break-inside: avoid; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em; }
.vh { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; margin: .6rem 0 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.tablenote { color: var(--muted); font-size: .85rem; }
footer { margin-top: 2.5rem; padding-top: .5rem; padding-bottom: 2rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { font-size: 10pt; }
  header, main, footer { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { margin-top: 1.2rem; }
  figure.chart, .figures, .figure, .note, dl.facts { break-inside: avoid; page-break-inside: avoid; }
  svg.chart { max-width: 100%; }
  .scroll { overflow: visible; }
}
"#;

/// Render a page as a complete HTML document.
pub fn render(page: &Page, meta: &Meta) -> String {
    let lang = page.lang;
    let mut h = Html {
        out: String::with_capacity(64 * 1024),
        lang,
        figures: 0,
    };
    let o = &mut h.out;
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"generator\" content=\"anskaff {}\">\n<title>{}</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>{STYLE}</style>\n</head>\n<body>\n",
        lang.code(),
        escape(meta.version),
        escape(&page.title)
    );
    // The hatching of "incomplete" in every chart: not colour alone.
    o.push_str(
        "<svg width=\"0\" height=\"0\" style=\"position:absolute\" aria-hidden=\"true\" focusable=\"false\"><defs>\
         <pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"6\" height=\"6\" fill=\"#f3d27e\"/><rect width=\"2\" height=\"6\" fill=\"#8a5a00\"/></pattern>\
         </defs></svg>\n",
    );
    let _ = writeln!(o, "<header>\n<h1>{}</h1>", escape(&page.title));
    for line in &page.lead {
        let _ = writeln!(o, "<p class=\"lead\">{}</p>", escape(line));
    }
    let _ = write!(o, "<nav aria-label=\"{}\"><ol>", t(lang, "Contents", "Innhold"));
    for s in page.sections.iter().filter(|s| !s.nested) {
        let _ = write!(o, "<li><a href=\"#{}\">{}</a></li>", s.id, escape(&s.title));
    }
    o.push_str("</ol></nav>\n</header>\n<main>\n");
    for s in &page.sections {
        h.section(s);
    }
    let _ = write!(
        h.out,
        "</main>\n<footer>\n<p>{} anskaff {} · {}</p>\n</footer>\n</body>\n</html>\n",
        t(lang, "Made with", "Laget med"),
        escape(meta.version),
        escape(&page.lead.join(" · "))
    );
    h.out
}

struct Html {
    out: String,
    lang: Lang,
    /// Figures so far, for unique ids.
    figures: usize,
}

impl Html {
    fn section(&mut self, s: &Section) {
        let _ = writeln!(
            self.out,
            "<section id=\"{}\" aria-labelledby=\"{}-h\">\n<h2 id=\"{}-h\">{}</h2>",
            s.id,
            s.id,
            s.id,
            escape(&s.title)
        );
        for b in &s.blocks {
            self.block(b);
        }
        self.out.push_str("</section>\n");
    }

    fn block(&mut self, b: &Block) {
        let o = &mut self.out;
        match b {
            Block::Para(p) => {
                let _ = writeln!(o, "<p>{}</p>", rich(p));
            }
            Block::Note(p) => {
                let _ = writeln!(o, "<p class=\"note\">{}</p>", escape(p));
            }
            Block::Heading(h) => {
                let _ = writeln!(o, "<h3>{}</h3>", escape(h));
            }
            Block::Figures(figures) => {
                o.push_str("<ul class=\"figures\">\n");
                for f in figures {
                    let tone = match f.tone {
                        Tone::Good => "good",
                        Tone::Bad => "bad",
                        Tone::Missing => "missing",
                        Tone::Neutral => "neutral",
                    };
                    let _ = writeln!(
                        o,
                        "<li class=\"figure {tone}\"><span class=\"value\">{}</span> <span class=\"label\">{}</span></li>",
                        escape(&f.value),
                        escape(&f.label)
                    );
                }
                o.push_str("</ul>\n");
            }
            Block::Facts(facts) => {
                o.push_str("<dl class=\"facts\">\n");
                for (term, value) in facts {
                    let _ = writeln!(o, "<dt>{}</dt><dd>{}</dd>", escape(term), escape(value));
                }
                o.push_str("</dl>\n");
            }
            Block::Table(table) => table_html(o, table, None, false, false),
            Block::Chart(chart) => self.chart(chart),
        }
    }

    fn chart(&mut self, c: &Chart) {
        self.figures += 1;
        let id = format!("fig{}", self.figures);
        let lang = self.lang;
        let o = &mut self.out;
        let area = c
            .area
            .as_deref()
            .map(|a| format!(" data-area=\"{}\"", escape(a)))
            .unwrap_or_default();
        let _ = writeln!(
            o,
            "<figure class=\"chart\"{area}>\n<figcaption id=\"{id}-t\">{}</figcaption>",
            escape(&c.title)
        );
        let (svg, desc) = match &c.kind {
            ChartKind::Status(bars) => (status_svg(bars, lang), status_desc(bars)),
            ChartKind::Trend { labels, series } => (trend_svg(labels, series), trend_desc(labels, series, lang)),
            ChartKind::Bars(bars) => (bars_svg(bars), bars_desc(bars)),
            ChartKind::Matrix { columns, rows } => (matrix_svg(columns, rows, lang), matrix_desc(columns, rows)),
            ChartKind::Empty(text) => (empty_svg(text), text.clone()),
        };
        let (width, height, body) = svg;
        let _ = writeln!(
            o,
            "<svg class=\"chart\" role=\"img\" aria-labelledby=\"{id}-t\" aria-describedby=\"{id}-d\" viewBox=\"0 0 {width} {height}\" preserveAspectRatio=\"xMinYMin meet\">\n<desc id=\"{id}-d\">{}</desc>\n{body}</svg>",
            escape(&desc)
        );
        match &c.kind {
            ChartKind::Status(_) | ChartKind::Matrix { .. } => {
                let _ = writeln!(
                    o,
                    "<ul class=\"legend\"><li><span class=\"swatch ok\"></span>{}</li><li><span class=\"swatch bad\"></span>{}</li><li><span class=\"swatch miss\"></span>{}</li></ul>",
                    status_word(Status::Compliant, lang),
                    status_word(Status::NonCompliant, lang),
                    status_word(Status::Incomplete, lang)
                );
            }
            ChartKind::Trend { series, .. } => {
                o.push_str("<ul class=\"legend\">");
                for (i, s) in series.iter().enumerate() {
                    let n = i % 2 + 1;
                    let marker = if n == 1 {
                        "<circle class=\"dot1\" cx=\"14\" cy=\"6\" r=\"4\"/>"
                    } else {
                        "<rect class=\"dot2\" x=\"10\" y=\"2\" width=\"8\" height=\"8\"/>"
                    };
                    let _ = write!(
                        o,
                        "<li><svg class=\"chart key\" width=\"28\" height=\"12\" aria-hidden=\"true\" focusable=\"false\"><line class=\"line{n}\" x1=\"0\" y1=\"6\" x2=\"28\" y2=\"6\"/>{marker}</svg>{}</li>",
                        escape(&s.name)
                    );
                }
                o.push_str("</ul>\n");
            }
            _ => {}
        }
        if !c.table.rows.is_empty() {
            let matrix = matches!(c.kind, ChartKind::Matrix { .. });
            table_html(o, &c.table, Some(&c.title), true, matrix);
        }
        o.push_str("</figure>\n");
    }
}

/// A table; `matrix` for the table of a matrix chart (members over
/// areas), whose many columns must fit the page: its cells wrap between
/// the words of a line (never inside a number), and its first column stays
/// in view should it still scroll.
fn table_html(o: &mut String, table: &Table, caption: Option<&str>, numbers: bool, matrix: bool) {
    let _ = write!(
        o,
        "<div class=\"scroll\"><table{}>",
        match (numbers, matrix) {
            (_, true) => " class=\"numbers matrix\"",
            (true, false) => " class=\"numbers\"",
            (false, false) => "",
        }
    );
    if let Some(c) = caption {
        let _ = write!(o, "<caption class=\"vh\">{}</caption>", escape(c));
    }
    o.push_str("\n<thead><tr>");
    for (i, h) in table.head.iter().enumerate() {
        let num = table.numeric.get(i).copied().unwrap_or(false);
        let _ = write!(
            o,
            "<th scope=\"col\"{}>{}</th>",
            if num { " class=\"num\"" } else { "" },
            escape(h)
        );
    }
    o.push_str("</tr></thead>\n<tbody>\n");
    // Columns of long text get room, so that numbers do not squeeze them.
    let wide: Vec<bool> = (0..table.head.len())
        .map(|i| {
            !table.numeric.get(i).copied().unwrap_or(false)
                && table.rows.iter().any(|r| {
                    r.get(i)
                        .is_some_and(|c| c.lines.iter().map(|l| l.chars().count()).sum::<usize>() > 80)
                })
        })
        .collect();
    for row in &table.rows {
        o.push_str("<tr>");
        for (i, cell) in row.iter().enumerate() {
            let num = table.numeric.get(i).copied().unwrap_or(false);
            let (open, close) = if i == 0 {
                ("<th scope=\"row\"", "</th>")
            } else {
                ("<td", "</td>")
            };
            // Short texts (ids, dates, periods) are not broken at hyphens.
            let short = cell.lines.iter().all(|l| l.chars().count() <= 24);
            let class = match (num, wide.get(i).copied().unwrap_or(false), short) {
                _ if matrix && i > 0 => "",
                (true, _, _) => " class=\"num\"",
                (false, true, _) => " class=\"wide\"",
                (false, false, true) => " class=\"nw\"",
                _ => "",
            };
            let _ = write!(o, "{open}{class}>");
            if matrix && i > 0 {
                let kept = Cell {
                    lines: cell.lines.iter().map(|l| keep_numbers(l)).collect(),
                    ..cell.clone()
                };
                cell_html(o, &kept);
            } else {
                cell_html(o, cell);
            }
            o.push_str(close);
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table></div>\n");
    if let Some(note) = &table.note {
        let _ = writeln!(o, "<p class=\"tablenote\">{}</p>", escape(note));
    }
}

/// `av 47 800 000 NOK` with no-break spaces inside the number and before
/// `%`, so that a line may wrap between words but not inside an amount.
fn keep_numbers(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let before = i
                .checked_sub(1)
                .and_then(|j| chars.get(j))
                .is_some_and(char::is_ascii_digit);
            let after = chars.get(i + 1).is_some_and(|&a| a.is_ascii_digit() || a == '%');
            if c == ' ' && before && after { '\u{a0}' } else { c }
        })
        .collect()
}

fn cell_html(o: &mut String, cell: &Cell) {
    if cell.list {
        for line in &cell.lines {
            let _ = write!(o, "<span class=\"item\">{}</span>", rich(line));
        }
        return;
    }
    for (i, line) in cell.lines.iter().enumerate() {
        let text = if cell.code {
            escape(line).into_owned()
        } else {
            rich(line)
        };
        match (i, cell.code) {
            (0, true) => {
                let _ = write!(o, "<code>{text}</code>");
            }
            (0, false) => o.push_str(&text),
            _ => {
                let _ = write!(o, "<span class=\"sub\">{text}</span>");
            }
        }
    }
}

/// A coordinate with one decimal at most.
fn n(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Cut a label to `max` characters.
fn cut(s: &str, max: usize) -> Cow<'_, str> {
    if s.chars().count() <= max {
        Cow::Borrowed(s)
    } else {
        let mut c: String = s.chars().take(max.saturating_sub(1)).collect();
        c.push('…');
        Cow::Owned(c)
    }
}

const WIDTH: f64 = 960.0;
/// The parts of a status bar, in order.
const STATUSES: [Status; 3] = [Status::Compliant, Status::NonCompliant, Status::Incomplete];
/// Roughly how wide a character of the text in bars is.
const CHAR: f64 = 8.5;

type Svg = (u32, u32, String);

fn status_svg(bars: &[StatusBar], lang: Lang) -> Svg {
    let row = 62.0;
    let height = (bars.len() as f64 * row).max(row);
    let mut o = String::new();
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row;
        let _ = writeln!(
            o,
            "<text class=\"label\" x=\"0\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            n(y + 17.0),
            escape(&cut(&b.label, 60)),
            n(WIDTH),
            n(y + 17.0),
            escape(&cut(&b.note, 48))
        );
        let total: f64 = b.parts.iter().filter(|p| p.is_finite() && **p > 0.0).sum();
        let bar_y = y + 26.0;
        if total <= 0.0 {
            let _ = writeln!(
                o,
                "<rect class=\"s-none\" x=\"0.5\" y=\"{}\" width=\"{}\" height=\"26\"/>",
                n(bar_y),
                n(WIDTH - 1.0)
            );
            continue;
        }
        let mut x = 0.0;
        let classes = [("s-ok", true), ("s-bad", true), ("s-miss", false)];
        for (j, part) in b.parts.iter().enumerate() {
            if !part.is_finite() || *part <= 0.0 {
                continue;
            }
            let w = part / total * WIDTH;
            let (class, light) = classes[j];
            let _ = write!(
                o,
                "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"26\" stroke=\"#fff\" stroke-width=\"1\"><title>{}: {}</title></rect>",
                n(x),
                n(bar_y),
                n(w),
                status_word(STATUSES[j], lang),
                escape(&b.part_labels[j])
            );
            let label = &b.part_labels[j];
            if w >= label.chars().count() as f64 * CHAR + 8.0 {
                if light {
                    let _ = write!(
                        o,
                        "<text class=\"in in-light\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                        n(x + w / 2.0),
                        n(bar_y + 18.5),
                        escape(label)
                    );
                } else {
                    // Dark text on a light box over the hatching.
                    let tw = label.chars().count() as f64 * CHAR + 6.0;
                    let _ = write!(
                        o,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"18\" rx=\"2\" fill=\"#fff\"/><text class=\"in\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                        n(x + w / 2.0 - tw / 2.0),
                        n(bar_y + 4.0),
                        n(tw),
                        n(x + w / 2.0),
                        n(bar_y + 18.5),
                        escape(label)
                    );
                }
            }
            x += w;
        }
        o.push('\n');
    }
    (WIDTH as u32, height as u32, o)
}

/// Rows side by side (members over strategy areas): a row label, then per
/// column a small bar split into compliant, non-compliant and incomplete,
/// with the share that complies written above it.
fn matrix_svg(columns: &[String], rows: &[MatrixRow], lang: Lang) -> Svg {
    let label_w = 190.0;
    let row_h = 46.0;
    let k = columns.len().max(1) as f64;
    let col_w = (WIDTH - label_w) / k;
    let bar_w = (col_w - 12.0).max(8.0);
    let chars = ((col_w - 6.0) / 7.6).max(4.0) as usize;
    // Column heads wrap over as many lines as they need: none is cut.
    let heads: Vec<Vec<String>> = columns.iter().map(|title| wrap_words(title, chars)).collect();
    let lines = heads.iter().map(Vec::len).max().unwrap_or(1).max(2);
    let head = 12.0 + 17.0 * lines as f64;
    let height = head + rows.len() as f64 * row_h;
    let mut o = String::new();
    for (c, head_lines) in heads.iter().enumerate() {
        let x = label_w + c as f64 * col_w;
        for (l, line) in head_lines.iter().enumerate() {
            let _ = write!(
                o,
                "<text class=\"small label\" x=\"{}\" y=\"{}\">{}</text>",
                n(x),
                n(16.0 + 17.0 * l as f64),
                escape(line)
            );
        }
    }
    o.push('\n');
    for (r, row) in rows.iter().enumerate() {
        let y = head + r as f64 * row_h;
        let _ = write!(
            o,
            "<line class=\"grid\" x1=\"0\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"label\" x=\"0\" y=\"{}\">{}</text>",
            n(y + 2.0),
            n(WIDTH),
            n(y + 2.0),
            n(y + 30.0),
            escape(&cut(&row.label, 22))
        );
        for (c, cell) in row.cells.iter().enumerate() {
            let x = label_w + c as f64 * col_w;
            matrix_cell(&mut o, cell.as_ref(), x, y, bar_w, lang);
        }
        o.push('\n');
    }
    (WIDTH as u32, height.ceil() as u32, o)
}

fn matrix_cell(o: &mut String, cell: Option<&MatrixCell>, x: f64, y: f64, w: f64, lang: Lang) {
    let bar_y = y + 24.0;
    let Some(cell) = cell else {
        let _ = write!(
            o,
            "<rect class=\"s-none\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\"/><text class=\"axis\" x=\"{}\" y=\"{}\">–</text>",
            n(x + 0.5),
            n(bar_y),
            n(w),
            n(x),
            n(y + 19.0)
        );
        return;
    };
    let _ = write!(
        o,
        "<text class=\"small label\" x=\"{}\" y=\"{}\">{}</text>",
        n(x),
        n(y + 19.0),
        escape(&cell.text)
    );
    let total: f64 = cell.parts.iter().filter(|p| p.is_finite() && **p > 0.0).sum();
    if total <= 0.0 {
        let _ = write!(
            o,
            "<rect class=\"s-none\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\"/>",
            n(x + 0.5),
            n(bar_y),
            n(w)
        );
        return;
    }
    let mut at = x;
    for (j, class) in ["s-ok", "s-bad", "s-miss"].iter().enumerate() {
        let part = cell.parts[j];
        if !part.is_finite() || part <= 0.0 {
            continue;
        }
        let pw = part / total * w;
        let _ = write!(
            o,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" stroke=\"#fff\" stroke-width=\"1\"><title>{}</title></rect>",
            n(at),
            n(bar_y),
            n(pw),
            status_word(STATUSES[j], lang)
        );
        at += pw;
    }
}

/// `text` in lines of at most `max` characters, broken at spaces; a word
/// longer than a line is broken after a hyphen, or else with one.
fn wrap_words(text: &str, max: usize) -> Vec<String> {
    let max = max.max(2);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let used = line.chars().count();
            let room = if used == 0 { max } else { max.saturating_sub(used + 1) };
            if word.len() <= room {
                if used > 0 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if used > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than a whole line: break it after a hyphen
            // within the line, else at the line's end with a hyphen.
            let cut = word[..max].iter().rposition(|&c| c == '-').map(|i| i + 1);
            let (head, rest) = match cut {
                Some(at) if at > 1 => (word[..at].iter().collect::<String>(), word[at..].to_vec()),
                _ => {
                    let mut head: String = word[..max - 1].iter().collect();
                    head.push('-');
                    (head, word[max - 1..].to_vec())
                }
            };
            lines.push(head);
            word = rest;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

fn matrix_desc(columns: &[String], rows: &[MatrixRow]) -> String {
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = columns
                .iter()
                .zip(&r.cells)
                .filter_map(|(c, cell)| cell.as_ref().map(|cell| format!("{c} {}", cell.text)))
                .collect();
            format!("{}: {}", r.label, cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn status_desc(bars: &[StatusBar]) -> String {
    bars.iter()
        .map(|b| format!("{}: {}", b.label, b.note))
        .collect::<Vec<_>>()
        .join("; ")
}

fn trend_svg(labels: &[String], series: &[Series]) -> Svg {
    let height = 320.0;
    let (left, right, top, bottom) = (52.0, WIDTH - 24.0, 24.0, height - 56.0);
    let mut o = String::new();
    let y_of = |v: f64| bottom - (v.clamp(0.0, 100.0) / 100.0) * (bottom - top);
    for tick in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let y = y_of(tick);
        let _ = writeln!(
            o,
            "<line class=\"grid\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/><text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{} %</text>",
            n(left),
            n(y),
            n(right),
            n(y),
            n(left - 6.0),
            n(y + 4.0),
            tick as u32
        );
    }
    let count = labels.len();
    let inner = 18.0;
    let x_of = |i: usize| {
        if count <= 1 {
            (left + right) / 2.0
        } else {
            left + inner + i as f64 * (right - left - 2.0 * inner) / (count - 1) as f64
        }
    };
    // Thin out the labels when there are many quarters.
    let step = count.div_ceil(16).max(1);
    let mut last_year = "";
    for (i, label) in labels.iter().enumerate() {
        let (year, q) = label.split_once('-').unwrap_or((label.as_str(), ""));
        let show = i % step == 0 || i + 1 == count;
        if show {
            let _ = write!(
                o,
                "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                n(x_of(i)),
                n(bottom + 18.0),
                escape(q)
            );
            if year != last_year {
                let _ = write!(
                    o,
                    "<text class=\"axis\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    n(x_of(i)),
                    n(bottom + 34.0),
                    escape(year)
                );
                last_year = year;
            }
        }
    }
    o.push('\n');
    for (k, s) in series.iter().enumerate() {
        let class = k % 2 + 1;
        // Lines break where a quarter has no value.
        let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
        for (i, p) in s.points.iter().enumerate() {
            match p {
                Some(v) if v.is_finite() => {
                    if let Some(run) = runs.last_mut() {
                        run.push((x_of(i), y_of(*v)));
                    }
                }
                _ => runs.push(Vec::new()),
            }
        }
        for run in runs.iter().filter(|r| r.len() > 1) {
            let points: Vec<String> = run.iter().map(|(x, y)| format!("{},{}", n(*x), n(*y))).collect();
            let _ = writeln!(o, "<polyline class=\"line{class}\" points=\"{}\"/>", points.join(" "));
        }
        let other = if series.len() > 1 && k < 2 {
            series.get(1 - k)
        } else {
            None
        };
        for (i, p) in s.points.iter().enumerate() {
            let Some(v) = p.filter(|v| v.is_finite()) else {
                continue;
            };
            let (x, y) = (x_of(i), y_of(v));
            let value = format!("{} %", v.round() as i64);
            if class == 1 {
                let _ = write!(
                    o,
                    "<circle class=\"dot1\" cx=\"{}\" cy=\"{}\" r=\"4\"><title>{}: {value}</title></circle>",
                    n(x),
                    n(y),
                    escape(&labels[i])
                );
            } else {
                let _ = write!(
                    o,
                    "<rect class=\"dot2\" x=\"{}\" y=\"{}\" width=\"8\" height=\"8\"><title>{}: {value}</title></rect>",
                    n(x - 4.0),
                    n(y - 4.0),
                    escape(&labels[i])
                );
            }
            // The value is written next to the point; where the other line
            // is at (nearly) the same place, the first line's label serves.
            let near = other
                .and_then(|s| s.points.get(i).copied().flatten())
                .filter(|w| w.is_finite());
            if k == 1 && near.is_some_and(|w| (w - v).abs() < 6.0) {
                continue;
            }
            let above = match near {
                Some(w) if k == 0 => v >= w,
                Some(w) => v > w,
                None => true,
            };
            let label_y = if above || y + 18.0 > bottom - 2.0 {
                y - 9.0
            } else {
                y + 19.0
            };
            let _ = write!(
                o,
                "<text class=\"small\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{value}</text>",
                n(x),
                n(label_y)
            );
        }
        o.push('\n');
    }
    (WIDTH as u32, height as u32, o)
}

fn trend_desc(labels: &[String], series: &[Series], lang: Lang) -> String {
    series
        .iter()
        .map(|s| {
            let points: Vec<String> = labels
                .iter()
                .zip(&s.points)
                .map(|(l, p)| match p {
                    Some(v) => format!("{l} {} %", v.round() as i64),
                    None => format!("{l} –"),
                })
                .collect();
            format!("{}: {}", s.name, points.join(", "))
        })
        .collect::<Vec<_>>()
        .join(t(lang, ". ", ". "))
}

fn bars_svg(bars: &[Bar]) -> Svg {
    let row = 56.0;
    let height = (bars.len() as f64 * row).max(row);
    let max = bars
        .iter()
        .map(|b| b.value)
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut o = String::new();
    for (i, b) in bars.iter().enumerate() {
        let y = i as f64 * row;
        let w = if max > 0.0 && b.value.is_finite() {
            (b.value / max * WIDTH).max(1.0)
        } else {
            0.0
        };
        let _ = writeln!(
            o,
            "<text class=\"label\" x=\"0\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text><rect class=\"s-bar\" x=\"0\" y=\"{}\" width=\"{}\" height=\"20\"/>",
            n(y + 17.0),
            escape(&cut(&b.label, 40)),
            n(WIDTH),
            n(y + 17.0),
            escape(&cut(&b.text, 60)),
            n(y + 26.0),
            n(w)
        );
    }
    (WIDTH as u32, height as u32, o)
}

fn bars_desc(bars: &[Bar]) -> String {
    bars.iter()
        .map(|b| format!("{}: {}", b.label, b.text))
        .collect::<Vec<_>>()
        .join("; ")
}

fn empty_svg(text: &str) -> Svg {
    let o = format!(
        "<rect class=\"s-none\" x=\"0.5\" y=\"0.5\" width=\"{}\" height=\"51\"/><text x=\"{}\" y=\"31\" text-anchor=\"middle\">{}</text>\n",
        n(WIDTH - 1.0),
        n(WIDTH / 2.0),
        escape(&cut(text, 90))
    );
    (WIDTH as u32, 52, o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert!(matches!(escape("Kontorstoler, rådhuset"), Cow::Borrowed(_)));
    }

    #[test]
    fn backticks_become_code_after_escaping() {
        assert_eq!(rich("made as `direct` <b>"), "made as <code>direct</code> &lt;b&gt;");
        assert_eq!(rich("one ` alone"), "one ` alone");
        assert_eq!(rich("`a` and `b"), "<code>a</code> and `b");
    }

    #[test]
    fn chart_heads_wrap_and_are_never_cut() {
        assert_eq!(
            wrap_words("Konkurranse og delkontrakter", 14),
            ["Konkurranse og", "delkontrakter"]
        );
        assert_eq!(
            wrap_words("E-handel og kontraktsoppfølging", 13),
            ["E-handel og", "kontraktsopp-", "følging"]
        );
        assert_eq!(wrap_words("Alle områder", 13), ["Alle områder"]);
        assert_eq!(wrap_words("", 13), [""]);
        // Every letter is still there.
        let text = "Kategoristyrt innkjøp-og-sånt";
        let joined: String = wrap_words(text, 6).concat();
        assert_eq!(joined.replace(['-', ' '], ""), text.replace(['-', ' '], ""));
    }

    #[test]
    fn numbers_in_matrix_cells_do_not_break() {
        assert_eq!(keep_numbers("av 47 800 000 NOK"), "av 47\u{a0}800\u{a0}000 NOK");
        assert_eq!(keep_numbers("3,8 %"), "3,8\u{a0}%");
        assert_eq!(keep_numbers("1 av 3 poster"), "1 av 3 poster");
    }

    #[test]
    fn coordinates_are_short_and_stable() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(12.345), "12.3");
        assert_eq!(n(0.04), "0");
    }
}
