//! The bundled policies' own tests (`policies/**/*.test.toml`) pass, and
//! cover every rule and every way each of their conditions can go.

use anskaff::authoring::test::{Options, run};
use anskaff::syntax::ast::Lang;
use std::path::PathBuf;

#[test]
fn bundled_policy_tests_pass_and_cover_every_branch() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("policies");
    let opts = Options {
        pattern: None,
        lang: Lang::En,
        coverage: true,
    };
    let result = run(&[dir], &opts);
    let text = result.render_text(false);
    assert!(result.problems.is_empty(), "{text}");
    assert_eq!(result.failed(), 0, "{text}");
    assert!(result.passed() >= 80, "{text}");
    let coverage = result.coverage.expect("coverage was asked for");
    let (tested, rules) = coverage.rules_tested();
    assert_eq!(tested, rules, "{}", coverage.render_text());
    assert_eq!(rules, 19, "{}", coverage.render_text());
    assert_eq!(coverage.percent(), 100.0, "{}", coverage.render_text());
    for rule in &coverage.rules {
        for outcome in ["pass", "fail", "unknown"] {
            assert!(rule.outcomes.contains(outcome), "{} has no {outcome} test", rule.rule);
        }
    }
}
