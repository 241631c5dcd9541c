//! `anskaff fmt` keeps meaning and comments and is idempotent: on the
//! bundled policies and on generated ones, laid out at random with comments
//! between any two tokens.

use anskaff::authoring::fmt::format_policy;
use anskaff::syntax::parse_policy;
use proptest::prelude::*;

fn fmt(text: &str) -> String {
    format_policy(text, 0).unwrap_or_else(|d| panic!("{}\n{text}", d.message))
}

/// The comments of a text, in order (texts never hold `#` in these tests).
fn comments(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.find('#').map(|i| l[i..].trim_end().to_string()))
        .collect()
}

fn assert_formats_well(text: &str) -> String {
    let before = parse_policy(text, 0).unwrap_or_else(|d| panic!("{}\n{text}", d.message));
    let once = fmt(text);
    let after = parse_policy(&once, 0).unwrap_or_else(|d| panic!("{}\n{once}", d.message));
    assert_eq!(after, before, "formatting changed the meaning:\n{text}\n---\n{once}");
    let twice = fmt(&once);
    assert_eq!(
        twice, once,
        "formatting twice changed the text:\n{text}\n---\n{once}\n---\n{twice}"
    );
    let (mut a, mut b) = (comments(text), comments(&once));
    a.sort();
    b.sort();
    assert_eq!(a, b, "comments lost or added:\n{text}\n---\n{once}");
    once
}

#[test]
fn bundled_policies_are_formatted() {
    for path in [
        "policies/no/anskaffelsesforskriften.policy",
        "policies/viken/anskaffelsesstrategi-2021.policy",
    ] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let text = std::fs::read_to_string(&path).expect("bundled policy");
        let once = assert_formats_well(&text);
        assert_eq!(
            once,
            text,
            "{} is not formatted: run `anskaff fmt policies`",
            path.display()
        );
    }
}

#[test]
fn comments_in_awkward_places_survive() {
    let text = "policy p { title # a\n en \"P\" } # b\nparam x = by date { # c\n from 2024-01-01: 5 NOK # d\n } # e\n{ title en \"x\" # f\n }\nrule R-1 { require # g\n (a # h\n or b) and not # i\n c is # j\n not empty # k\n }\n# l";
    assert_formats_well(text);
}

// ------------------------------------------------------------------ generated policies

const PATHS: &[&str] = &[
    "value",
    "procedure",
    "buyer.kind",
    "vehicles[].fuel",
    "cpv[0]",
    "lots",
    "v.fuel",
];
const LITERALS: &[&str] = &[
    "1 300 000 NOK",
    "1.3 MNOK",
    "500 kNOK",
    "2 EUR",
    "30 %",
    "12.5 %",
    "2",
    "1 000",
    "0.25",
    "2024-01-01",
    "12 months",
    "1 year",
    "3 days",
    "\"open\"",
    "\"a \\\"quoted\\\" \\\\ text\"",
    "\"\"",
    "true",
    "false",
];
const INFIX: &[&str] = &[
    "or",
    "and",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "in",
    "not in",
    "starts with",
    "otherwise",
    "+",
    "-",
    "*",
    "/",
];
const POSTFIX: &[&str] = &["is empty", "is not empty", "is missing", "is present"];

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

/// Tokens of an expression. Words of one operator (`not in`) are separate
/// tokens, since the grammar lets anything come between them; literals are
/// single tokens.
fn expr() -> impl Strategy<Value = Vec<String>> {
    let leaf = prop_oneof![
        prop::sample::select(PATHS).prop_map(|p| vec![p.to_string()]),
        prop::sample::select(LITERALS).prop_map(|l| vec![l.to_string()]),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (inner.clone(), prop::sample::select(INFIX), inner.clone()).prop_map(|(a, op, b)| {
                let mut t = a;
                t.extend(words(op));
                t.extend(b);
                t
            }),
            (prop::sample::select(&["not", "-", "exists"][..]), inner.clone()).prop_map(|(op, a)| {
                let mut t = vec![op.to_string()];
                t.extend(a);
                t
            }),
            (inner.clone(), prop::sample::select(POSTFIX)).prop_map(|(a, op)| {
                let mut t = a;
                t.extend(words(op));
                t
            }),
            inner.clone().prop_map(|a| {
                let mut t = vec!["(".to_string()];
                t.extend(a);
                t.push(")".into());
                t
            }),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|items| comma_list("[", items, "]")),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|args| comma_list("prefix(", args, ")")),
            (
                prop::sample::select(&["all", "any", "none", "count", "sum", "min", "max"][..]),
                inner.clone(),
                prop::option::of(inner.clone()),
                prop::option::of(inner.clone())
            )
                .prop_map(|(q, list, filter, body)| {
                    let mut t = vec![format!("{q}("), "v".into(), "in".into()];
                    t.extend(list);
                    if let Some(f) = filter {
                        t.push("where".into());
                        t.extend(f);
                    }
                    if let Some(b) = body {
                        t.push(":".into());
                        t.extend(b);
                    }
                    t.push(")".into());
                    t
                }),
            (inner.clone(), inner.clone(), inner.clone()).prop_map(|(c, a, b)| {
                let mut t = vec!["if".to_string()];
                t.extend(c);
                t.push("then".into());
                t.extend(a);
                t.push("else".into());
                t.extend(b);
                t
            }),
        ]
    })
}

fn comma_list(open: &str, items: Vec<Vec<String>>, close: &str) -> Vec<String> {
    let mut t = vec![open.to_string()];
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            t.push(",".into());
        }
        t.extend(item);
    }
    t.push(close.to_string());
    t
}

fn text() -> impl Strategy<Value = String> {
    prop::sample::select(
        &[
            "\"Tekst\"",
            "\"Text with {value} and {{braces}}\"",
            "\"Å ø æ – lang tekst som går over mange ord for å bli lang nok til å brytes\"",
        ][..],
    )
    .prop_map(str::to_string)
}

fn translations(keyword: &'static str) -> impl Strategy<Value = Vec<String>> {
    (text(), prop::option::of(text()), any::<bool>()).prop_map(move |(a, b, nb_first)| {
        let (l1, l2) = if nb_first { ("nb", "en") } else { ("en", "nb") };
        let mut t = words(keyword);
        t.push(l1.into());
        t.push(a);
        if let Some(b) = b {
            t.push(l2.into());
            t.push(b);
        }
        t
    })
}

fn in_force() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(words("in force from 2021-03-17 to 2023-12-31")),
        Just(words("in force from 2017-01-01")),
        Just(words("in force to 2030-01-01")),
    ]
}

fn keyword_expr(keyword: &'static str) -> impl Strategy<Value = Vec<String>> {
    expr().prop_map(move |e| {
        let mut t = words(keyword);
        t.extend(e);
        t
    })
}

/// Some of `entries`, each at most once, in a random order.
fn some_of(entries: Vec<BoxedStrategy<Vec<String>>>) -> impl Strategy<Value = Vec<String>> {
    let n = entries.len();
    (
        entries,
        prop::collection::vec(any::<bool>(), n),
        Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
    )
        .prop_map(|(entries, keep, order)| {
            order
                .into_iter()
                .filter(|&i| keep[i])
                .flat_map(|i| entries[i].clone())
                .collect()
        })
}

fn header() -> impl Strategy<Value = Vec<String>> {
    some_of(vec![
        Just(words("version \"1\"")).boxed(),
        translations("title").boxed(),
        translations("description").boxed(),
        Just(vec!["authority".into(), "\"Someone\"".into()]).boxed(),
        Just(vec!["source".into(), "\"A document\"".into()]).boxed(),
        in_force().boxed(),
        keyword_expr("when").boxed(),
    ])
    .prop_map(|entries| {
        let mut t = words("policy demo.p-1 {");
        t.extend(entries);
        t.push("}".into());
        t
    })
}

fn across() -> impl Strategy<Value = Vec<String>> {
    (
        prop::option::of(expr()),
        prop::collection::vec(expr(), 1..3),
        prop_oneof![
            Just(None),
            Just(Some(vec!["within".to_string(), "rolling".into(), "12 months".into()])),
            Just(Some(words("within calendar quarter")))
        ],
        expr(),
    )
        .prop_map(|(filter, keys, window, flag)| {
            let mut t = words("across records");
            if let Some(f) = filter {
                t.push("where".into());
                t.extend(f);
            }
            t.extend(words("group by"));
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                t.extend(k);
            }
            t.extend(window.unwrap_or_default());
            t.extend(words("flag when"));
            t.extend(flag);
            t
        })
}

fn rule() -> impl Strategy<Value = Vec<String>> {
    let body = prop_oneof![keyword_expr("require"), across()];
    some_of(vec![
        translations("title").boxed(),
        Just(words("area climate")).boxed(),
        prop_oneof![Just(words("severity must")), Just(words("severity bør"))].boxed(),
        Just(vec!["basis".into(), "\"§ 1\"".into()]).boxed(),
        in_force().boxed(),
        keyword_expr("when").boxed(),
        body.boxed(),
        translations("message").boxed(),
        translations("message pass").boxed(),
        translations("message unknown").boxed(),
        translations("advice").boxed(),
    ])
    .prop_map(|entries| {
        let mut t = words("rule R-1 {");
        t.extend(entries);
        t.push("}".into());
        t
    })
}

fn item() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        Just(words("import \"other.policy\"")),
        (prop::sample::select(LITERALS), prop::option::of(translations("title"))).prop_map(|(l, doc)| {
            let mut t = vec!["param".into(), "limit".into(), "=".into(), l.to_string()];
            if let Some(d) = doc {
                t.push("{".into());
                t.extend(d);
                t.push("}".into());
            }
            t
        }),
        Just(
            [
                "param",
                "schedule",
                "=",
                "by",
                "date",
                "{",
                "from",
                "2017-01-01",
                ":",
                "1 100 000 NOK",
                "from",
                "2018-04-06",
                ":",
                "1.3 MNOK",
                "}",
                "{",
                "title",
                "en",
                "\"S\"",
                "}"
            ]
            .map(str::to_string)
            .to_vec()
        ),
        Just(words("param alias = national_threshold")),
        Just(words("field own.project.code : text")),
        Just(words("field own.tags : list of text")),
        translations("title").prop_map(|t| {
            let mut out = words("field own.budget : money {");
            out.extend(t);
            out.push("}".into());
            out
        }),
        translations("title").prop_map(|t| {
            let mut out = words("area climate {");
            out.extend(t);
            out.push("}".into());
            out
        }),
        Just(words("area quiet { }")),
        expr().prop_map(|e| {
            let mut t = words("let named =");
            t.extend(e);
            t
        }),
        rule(),
    ]
}

fn policy_tokens() -> impl Strategy<Value = Vec<String>> {
    (header(), prop::collection::vec(item(), 0..5)).prop_map(|(h, items)| {
        let mut t = h;
        for i in items {
            t.extend(i);
        }
        t
    })
}

/// Lay tokens out with the gaps chosen: white space of every kind, blank
/// lines, and comments.
fn lay_out(tokens: &[String], gaps: &[u8]) -> String {
    let mut out = String::new();
    let mut comment = 0;
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            let gap = gaps.get(i).copied().unwrap_or(0);
            match gap % 10 {
                0..=3 => out.push(' '),
                4 => out.push('\n'),
                5 => out.push_str("\n\n\t"),
                6 => out.push_str("   "),
                7 => {
                    comment += 1;
                    out.push_str(&format!(" # c{comment}\n"));
                }
                8 => {
                    comment += 1;
                    out.push_str(&format!("\n\n# c{comment}\n\n"));
                }
                _ => out.push('\u{A0}'),
            }
        }
        out.push_str(t);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn formatting_keeps_meaning_and_comments_and_settles(tokens in policy_tokens(), gaps in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = lay_out(&tokens, &gaps);
        assert_formats_well(&text);
    }
}
