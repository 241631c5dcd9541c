//! Cross-record windows at scale: purchases in many groups through the
//! splitting rule's collector, timed. Run with
//! `cargo bench --bench cross_record` (default 1 000 000 purchases in
//! 50 000 groups; `cargo bench --bench cross_record -- 2000000 100000` for
//! other sizes). Prints the time to decide every window, with and without
//! rendering messages.

use anskaff::Policies;
use anskaff::cross::{Collector, KeyHasher, Member, Owned};
use anskaff::finding::Outcome;
use anskaff::syntax::ast::Lang;
use anskaff::value::{Currency, Money, Val};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use std::path::PathBuf;
use std::time::Instant;

/// `records` direct purchases spread over `groups` (buyer, CPV group) pairs
/// and four years, 20 000 to 400 000 NOK each. Deterministic.
fn purchases(rule: u16, records: u64, groups: u64) -> Collector {
    let start = NaiveDate::from_ymd_opt(2022, 1, 1).expect("a date");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let mut collector = Collector::new(rule);
    for i in 0..records {
        let group = next(groups);
        let value = Money::new(Decimal::from(20_000 + 10_000 * next(39)), Currency::NOK);
        collector.add(Member {
            record: i,
            id: format!("R-{i}").into(),
            date: start + Days::new(next(4 * 365)),
            key: {
                let mut key = KeyHasher::default();
                key.add(&Val::Text(format!("buyer-{}", group / 20).into()));
                key.add(&Val::Text(format!("{:03}", group % 20).into()));
                key.finish()
            },
            values: vec![Some(Owned::Money(value))],
            exemptions: Vec::new(),
        });
    }
    collector
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let records = args.first().copied().unwrap_or(1_000_000);
    let groups = args.get(1).copied().unwrap_or(50_000);
    let policies = Policies::load(&[PathBuf::from("policies/no/anskaffelsesforskriften.policy")], &[])
        .expect("the baseline loads");
    let rule = policies.plan.rule_index("FOA-5-4-SPLIT").expect("the splitting rule");
    for (messages, label) in [(false, "without messages (summary)"), (true, "with messages")] {
        let t = Instant::now();
        let collector = purchases(rule, records, groups);
        let built = t.elapsed();
        let t = Instant::now();
        let findings = collector
            .finish(&policies.plan, Lang::En, messages)
            .into_findings(&policies.plan);
        let decided = t.elapsed();
        let flagged = findings.iter().filter(|f| f.finding.outcome == Outcome::Fail).count();
        println!(
            "{records} purchases in {groups} groups, {label}: collected in {:.2} s, windows decided in {:.2} s; {flagged} flagged",
            built.as_secs_f64(),
            decided.as_secs_f64()
        );
    }
}
