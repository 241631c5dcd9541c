//! Small helpers for writing HTML by hand: everything that comes from a
//! user, a record or a policy goes through [`esc`].

use std::fmt::Write;

/// `text` escaped for HTML text and attribute values (quoted with `"`).
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` with `code` spans for text between backticks, escaped.
pub fn esc_code(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", esc(part));
        } else {
            out.push_str(&esc(part));
        }
    }
    // An odd backtick: the last part is plain text after all.
    if text.matches('`').count() % 2 == 1 {
        return esc(text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(esc_code("fill in `a<b`"), "fill in <code>a&lt;b</code>");
        assert_eq!(esc_code("odd ` one"), "odd ` one");
    }
}
