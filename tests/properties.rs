//! Properties over generated policies and records (docs/reliability.md):
//! Kleene's laws for `and`, `or`, `not` and `if`; money arithmetic that
//! never panics and reports overflow instead of wrapping; reports that are
//! byte-identical whatever the thread count and batch size.

use anskaff::Policies;
use anskaff::finding::{Evaluated, Outcome};
use anskaff::input::{InputFormat, InputSpec, Memory, ReadOptions};
use anskaff::plan::Plan;
use anskaff::report::{self, Meta, RenderOptions, ReportFormat};
use anskaff::run::{self, RunOptions};
use anskaff::syntax::ast::Lang;
use proptest::prelude::*;
use std::sync::Arc;

const HEADER: &str = "policy t { title en \"t\" }\narea a { title en \"a\" }\n";

fn rule(id: &str, require: &str) -> String {
    format!("rule {id} {{\n  title en \"r\"\n  area a\n  severity must\n  require {require}\n}}\n")
}

/// Run `plan` over JSON Lines `records`, rendering `format`.
fn run_with(
    plan: &Plan,
    records: &str,
    format: ReportFormat,
    threads: usize,
    batch: usize,
) -> (Vec<u8>, Vec<Evaluated>) {
    let input = InputSpec::Memory(Memory {
        name: Arc::from("r.jsonl"),
        bytes: Arc::from(records.as_bytes()),
        format: Some(InputFormat::Jsonl),
    });
    let meta = Meta {
        version: "test",
        lang: Lang::En,
        inputs: vec!["r.jsonl".into()],
    };
    let opts = RunOptions {
        threads,
        batch,
        read: ReadOptions {
            format: Some(InputFormat::Jsonl),
            ..ReadOptions::default()
        },
        ..RunOptions::default()
    };
    let mut out = Vec::new();
    let records = {
        let inner = report::renderer(format, Box::new(&mut out), &RenderOptions::default());
        let mut keep = report::Keep::new(inner);
        run::run(plan, &[input], &opts, &meta, &mut keep).expect("runs");
        keep.records
    };
    (out, records)
}

fn outcomes(plan: &Plan, records: &str) -> Vec<Vec<Outcome>> {
    run_with(plan, records, ReportFormat::Json, 1, 4096)
        .1
        .iter()
        .map(|r| r.findings.iter().map(|f| f.outcome).collect())
        .collect()
}

// ------------------------------------------------------------------ Kleene

/// Three flags a record can have true, false or missing.
const ATOMS: [&str; 3] = ["framework", "lcc.assessed", "labour.apprentices"];

#[derive(Debug, Clone)]
enum Logic {
    Atom(usize),
    Const(bool),
    Not(Box<Logic>),
    And(Box<Logic>, Box<Logic>),
    Or(Box<Logic>, Box<Logic>),
    If(Box<Logic>, Box<Logic>, Box<Logic>),
}

impl Logic {
    fn text(&self) -> String {
        match self {
            Logic::Atom(i) => ATOMS[*i].to_string(),
            Logic::Const(b) => b.to_string(),
            Logic::Not(a) => format!("not ({})", a.text()),
            Logic::And(a, b) => format!("({}) and ({})", a.text(), b.text()),
            Logic::Or(a, b) => format!("({}) or ({})", a.text(), b.text()),
            Logic::If(c, a, b) => format!("if {} then {} else {}", c.text(), a.text(), b.text()),
        }
    }

    /// Kleene's strong three-valued logic; `None` is unknown.
    fn kleene(&self, values: [Option<bool>; 3]) -> Option<bool> {
        match self {
            Logic::Atom(i) => values[*i],
            Logic::Const(b) => Some(*b),
            Logic::Not(a) => a.kleene(values).map(|b| !b),
            Logic::And(a, b) => match (a.kleene(values), b.kleene(values)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Logic::Or(a, b) => match (a.kleene(values), b.kleene(values)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Logic::If(c, a, b) => match c.kleene(values) {
                Some(true) => a.kleene(values),
                Some(false) => b.kleene(values),
                None => None,
            },
        }
    }
}

fn logic() -> impl Strategy<Value = Logic> {
    let leaf = prop_oneof![(0..3usize).prop_map(Logic::Atom), any::<bool>().prop_map(Logic::Const)];
    leaf.prop_recursive(5, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|a| Logic::Not(Box::new(a))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Logic::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Logic::Or(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| Logic::If(
                Box::new(c),
                Box::new(a),
                Box::new(b)
            )),
        ]
    })
}

/// Every assignment of true, false and missing to the three flags: 27 records.
fn assignments() -> (Vec<[Option<bool>; 3]>, String) {
    let values = [Some(true), Some(false), None];
    let mut all = Vec::new();
    let mut lines = String::new();
    for a in values {
        for b in values {
            for c in values {
                let v = [a, b, c];
                let flag = |x: Option<bool>| x.map(|b| b.to_string()).unwrap_or("null".into());
                lines += &format!(
                    "{{\"id\": \"r{}\", \"framework\": {}, \"lcc\": {{\"assessed\": {}}}, \"labour\": {{\"apprentices\": {}}}}}\n",
                    all.len(),
                    flag(a),
                    flag(b),
                    flag(c)
                );
                all.push(v);
            }
        }
    }
    (all, lines)
}

fn truth(o: Outcome) -> Option<bool> {
    match o {
        Outcome::Pass => Some(true),
        Outcome::Fail => Some(false),
        Outcome::Unknown => None,
        other => panic!("a rule without `when` gave {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The engine computes Kleene's logic on every assignment, and the
    /// laws that hold in it (De Morgan, distribution, absorption, double
    /// negation, identities) give equal outcomes on both sides.
    #[test]
    fn three_valued_operators_follow_kleene(a in logic(), b in logic(), c in logic()) {
        let (a_, b_, c_) = (a.text(), b.text(), c.text());
        let laws = [
            (format!("not (({a_}) and ({b_}))"), format!("(not ({a_})) or (not ({b_}))")),
            (format!("not (({a_}) or ({b_}))"), format!("(not ({a_})) and (not ({b_}))")),
            (format!("({a_}) and (({b_}) or ({c_}))"), format!("(({a_}) and ({b_})) or (({a_}) and ({c_}))")),
            (format!("({a_}) or (({b_}) and ({c_}))"), format!("(({a_}) or ({b_})) and (({a_}) or ({c_}))")),
            (format!("({a_}) and ({b_})"), format!("({b_}) and ({a_})")),
            (format!("({a_}) or ({b_})"), format!("({b_}) or ({a_})")),
            (format!("(({a_}) and ({b_})) and ({c_})"), format!("({a_}) and (({b_}) and ({c_}))")),
            (format!("({a_}) or (({a_}) and ({b_}))"), a_.clone()),
            (format!("({a_}) and (({a_}) or ({b_}))"), a_.clone()),
            (format!("not not ({a_})"), a_.clone()),
            (format!("({a_}) and true"), a_.clone()),
            (format!("({a_}) or false"), a_.clone()),
            (format!("({a_}) and false"), "false".into()),
            (format!("({a_}) or true"), "true".into()),
        ];
        let mut text = String::from(HEADER);
        text += &rule("E", &a_);
        for (i, (l, r)) in laws.iter().enumerate() {
            text += &rule(&format!("L{i}"), l);
            text += &rule(&format!("R{i}"), r);
        }
        let p = Policies::from_text("t.policy", &text, &[]).map_err(|e| TestCaseError::fail(e.0))?;
        let (values, lines) = assignments();
        for (v, found) in values.iter().zip(outcomes(&p.plan, &lines)) {
            prop_assert_eq!(truth(found[0]), a.kleene(*v), "{} on {:?}", a_, v);
            for (i, (l, r)) in laws.iter().enumerate() {
                prop_assert_eq!(found[1 + 2 * i], found[2 + 2 * i], "{} vs {} on {:?}", l, r, v);
            }
        }
        // The excluded middle is not a law: `a or not a` is unknown when `a` is.
        let middle = rule("M", &format!("({a_}) or not ({a_})"));
        let p = Policies::from_text("t.policy", &format!("{HEADER}{middle}"), &[]).map_err(|e| TestCaseError::fail(e.0))?;
        for (v, found) in values.iter().zip(outcomes(&p.plan, &lines)) {
            let expected = a.kleene(*v).map(|_| true);
            prop_assert_eq!(truth(found[0]), expected);
        }
    }
}

// ------------------------------------------------------------------ money

/// Amounts of every size, up to the largest anskaff holds (28 digits), not
/// negative: records refuse negative amounts (docs/records.md).
fn unsigned_amount() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..10_000_000).prop_map(|n| n.to_string()),
        (0u32..29, 0u32..10).prop_map(|(digits, scale)| {
            let digits = digits.max(1) as usize;
            let mut s = "9".repeat(digits);
            if (scale as usize) < digits && scale > 0 {
                s.insert(digits - scale as usize, '.');
            }
            s
        }),
        Just("79228162514264337593543950335".to_string()),
        Just("0.0000000000000000000000000001".to_string()),
        Just("0".to_string()),
    ]
}

/// Numbers of every size, either sign.
fn amount() -> impl Strategy<Value = String> {
    unsigned_amount().prop_flat_map(|a| prop_oneof![Just(a.clone()), Just(format!("-{a}"))])
}

/// The outcome a comparison `x >= 0` should have, computed with checked
/// decimal arithmetic: `None` (unknown) when the arithmetic overflows or
/// divides by zero.
fn expected(x: Option<rust_decimal::Decimal>) -> Outcome {
    match x {
        None => Outcome::Unknown,
        Some(v) if v >= rust_decimal::Decimal::ZERO => Outcome::Pass,
        Some(_) => Outcome::Fail,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Sums, differences, products, quotients and percentages of amounts
    /// never panic or wrap: an overflow is `unknown` with the reason given.
    /// Amounts in records are not negative; negative values come from `-`
    /// and from the signed number `n`.
    #[test]
    fn money_arithmetic_never_panics_and_reports_overflow(x in unsigned_amount(), y in unsigned_amount(), n in amount()) {
        use rust_decimal::Decimal;
        use std::str::FromStr;
        let (dx, dy, dn) = (Decimal::from_str(&x).unwrap(), Decimal::from_str(&y).unwrap(), Decimal::from_str(&n).unwrap());
        let rules = [
            ("ADD", "estimated_value + awarded_value >= 0 NOK", dx.checked_add(dy)),
            ("SUB", "estimated_value - awarded_value >= 0 NOK", dx.checked_sub(dy)),
            ("MUL", "estimated_value * duration_months >= 0 NOK", dx.checked_mul(dn)),
            ("DIV", "estimated_value / duration_months >= 0 NOK", if dn.is_zero() { None } else { dx.checked_div(dn) }),
            ("RATIO", "estimated_value / awarded_value >= 0", if dy.is_zero() { None } else { dx.checked_div(dy) }),
            ("LOTS", "sum(l in lots: l.estimated_value) >= 0 NOK", dx.checked_add(dy)),
            ("NEG", "-estimated_value <= 0 NOK", Some(dx)),
        ];
        let mut text = String::from(HEADER);
        for (id, require, _) in &rules {
            text += &rule(id, require);
        }
        let p = Policies::from_text("t.policy", &text, &[]).map_err(|e| TestCaseError::fail(e.0))?;
        let money = |a: &str| format!("{{\"amount\": \"{a}\", \"currency\": \"NOK\"}}");
        let line = format!(
            "{{\"id\": \"r\", \"estimated_value\": {}, \"awarded_value\": {}, \"duration_months\": \"{n}\", \"lots\": [{{\"estimated_value\": {}}}, {{\"estimated_value\": {}}}]}}\n",
            money(&x), money(&y), money(&x), money(&y)
        );
        let (_, records) = run_with(&p.plan, &line, ReportFormat::Json, 1, 16);
        prop_assert_eq!(records.len(), 1);
        prop_assert!(records[0].warnings.is_empty(), "{:?}", records[0].warnings);
        for (finding, (id, _, value)) in records[0].findings.iter().zip(&rules) {
            prop_assert_eq!(finding.outcome, expected(*value), "{} with {}, {}, {}", id, x, y, n);
            if finding.outcome == Outcome::Unknown {
                let why = finding.problems.join("; ");
                prop_assert!(why.contains("too large") || why.contains("division by zero"), "{}: {}", id, why);
            }
        }
    }
}

// ------------------------------------------------------------------ determinism

fn record_line() -> impl Strategy<Value = String> {
    let procedure = prop_oneof![
        Just("\"direct\""),
        Just("\"open\""),
        Just("\"below_threshold\""),
        Just("null")
    ];
    let buyer = prop_oneof![Just("\"921693230\""), Just("\"944117784\""), Just("\"1\"")];
    let supplier = prop_oneof![
        Just("\"Bil AS\""),
        Just("\"BIL A/S\""),
        Just("\"Brøyt AS\""),
        Just("null")
    ];
    (0u32..40, procedure, buyer, supplier, 1u32..28, 0u64..3_000_000, 0u32..5).prop_map(
        |(id, procedure, buyer, supplier, day, amount, cpv)| {
            format!(
                "{{\"id\": \"r{id}\", \"title\": \"T{id}\", \"date\": \"2023-0{}-{day:02}\", \"procedure\": {procedure}, \"buyer\": {{\"id\": {buyer}, \"kind\": \"municipal\"}}, \"supplier\": {{\"name\": {supplier}}}, \"cpv\": [\"{}\"], \"estimated_value\": {{\"amount\": \"{amount}\", \"currency\": \"NOK\"}}}}",
                1 + cpv % 9,
                ["34136000", "45000000", "79000000", "90620000", "34110000"][cpv as usize]
            )
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Every report format gives the same bytes on one thread and on
    /// several, with any batch size, and on a second run.
    #[test]
    fn reports_are_byte_identical_across_runs_threads_and_batches(lines in prop::collection::vec(record_line(), 0..60)) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let p = Policies::load(&["policies".into()], &[]).map_err(|e| TestCaseError::fail(e.0))?;
        for format in [ReportFormat::Json, ReportFormat::Text, ReportFormat::Csv, ReportFormat::Html, ReportFormat::Markdown, ReportFormat::Junit] {
            let (one, records) = run_with(&p.plan, &text, format, 1, 4096);
            prop_assert_eq!(records.len(), lines.len());
            for (threads, batch) in [(1, 4096), (2, 1), (3, 7)] {
                let (other, _) = run_with(&p.plan, &text, format, threads, batch);
                prop_assert!(one == other, "{:?} differs with {} threads, batches of {}", format, threads, batch);
            }
        }
    }
}
