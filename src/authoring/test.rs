//! `anskaff test`: policy tests, written beside the policies they test.
//!
//! A test file (`*.test.toml`) names the policy it tests, a base record
//! that each test changes as it needs, and the tests: records (inline, as
//! changes to the base record, or read from a file), parameter overrides,
//! and the outcome expected of each rule on each record. The format is
//! described in `docs/authoring.md`. The runner evaluates the records
//! through the library, compares, and for each expectation that does not
//! hold shows the actual outcome and the trace of the rule on the record
//! (the same trace as `anskaff explain`). With coverage, it also counts
//! which rules the expectations name and which ways each of their
//! conditions went, from the evaluator's trace.

use crate::api::Policies;
use crate::diag::{Diagnostic, FileId, SourceMap, did_you_mean};
use crate::engine::Engine;
use crate::explain::{explain, render_text};
use crate::finding::{Finding, Outcome, Source};
use crate::plan::{Node, NodeId, Plan, RuleId, RuleKind};
use crate::record::Record;
use crate::schema::{self, FieldType};
use crate::syntax::ast::{Lang, Literal};
use serde::Deserialize;
use serde_json::{Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::Spanned;

/// How test files are named.
pub const SUFFIX: &str = ".test.toml";

// ------------------------------------------------------------------ the file format

/// A test file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSpec {
    /// The policy file (or files, or directories) under test, relative to
    /// the test file.
    policy: Spanned<Policies_>,
    /// Parameter overrides for every test, written as in a policy.
    #[serde(default)]
    set: BTreeMap<String, Spanned<toml::Value>>,
    /// The record every test starts from.
    #[serde(default)]
    record: toml::Table,
    #[serde(default, rename = "test")]
    tests: Vec<TestSpec>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Policies_ {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestSpec {
    name: Spanned<String>,
    /// Changes to the base record: the test's one record.
    #[serde(default)]
    record: Option<toml::Table>,
    /// Fields (dotted paths) to remove from the record(s): they are then
    /// missing.
    #[serde(default)]
    unset: Vec<String>,
    /// Several records (each a change to the base record), or a file of
    /// records (relative to the test file) taken as they are.
    #[serde(default)]
    records: Option<Spanned<RecordsSpec>>,
    /// Parameter overrides for this test.
    #[serde(default)]
    set: BTreeMap<String, Spanned<toml::Value>>,
    /// Rule id → outcome on every record of the test; or record id → (rule
    /// id → outcome) on that record.
    #[serde(default)]
    expect: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RecordsSpec {
    File(String),
    Inline(Vec<toml::Table>),
}

/// A test file, read and parsed.
pub struct TestFile {
    pub path: PathBuf,
    sources: SourceMap,
    file: FileId,
    spec: FileSpec,
}

impl TestFile {
    /// Read and parse a test file; its diagnostic, rendered, if it cannot.
    pub fn load(path: &Path) -> Result<TestFile, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("error: cannot read test file `{}`: {e}\n", path.display()))?;
        let mut sources = SourceMap::new();
        let file = sources.add(path.display().to_string(), text.clone());
        match toml::from_str::<FileSpec>(&text) {
            Ok(spec) => Ok(TestFile {
                path: path.to_path_buf(),
                sources,
                file,
                spec,
            }),
            Err(e) => {
                let message = e.message().trim_end().to_string();
                let mut d = Diagnostic::error(format!("test file: {message}"));
                if let Some(span) = e.span() {
                    d = d.at(file, crate::syntax::ast::Span::new(span.start, span.end), "here");
                }
                Err(d
                    .help("the format of test files is described in docs/authoring.md")
                    .render(&sources))
            }
        }
    }

    pub fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn dir(&self) -> PathBuf {
        self.path.parent().map(Path::to_path_buf).unwrap_or_default()
    }

    /// The policy paths, as given and resolved against the test file.
    pub fn policy_paths(&self) -> Vec<PathBuf> {
        let names = match self.spec.policy.get_ref() {
            Policies_::One(p) => vec![p.clone()],
            Policies_::Many(ps) => ps.clone(),
        };
        names.iter().map(|p| self.dir().join(p)).collect()
    }

    /// The names of the tests, in order.
    pub fn test_names(&self) -> Vec<&str> {
        self.spec.tests.iter().map(|t| t.name.get_ref().as_str()).collect()
    }

    fn error(&self, span: std::ops::Range<usize>, message: impl Into<String>, label: &str) -> Diagnostic {
        Diagnostic::error(message).at(self.file, crate::syntax::ast::Span::new(span.start, span.end), label)
    }

    fn render(&self, d: Diagnostic) -> String {
        d.render(&self.sources)
    }
}

// ------------------------------------------------------------------ results

/// What running the tests found.
#[derive(Default)]
pub struct Run {
    pub files: Vec<FileResult>,
    /// Test files, policies or tests that did not load, rendered.
    pub problems: Vec<String>,
    pub coverage: Option<Coverage>,
}

pub struct FileResult {
    pub path: String,
    pub tests: Vec<TestResult>,
}

pub struct TestResult {
    pub name: String,
    /// Empty if the test passed.
    pub failures: Vec<Failure>,
}

/// An expectation that did not hold, or a record the test could not use.
pub struct Failure {
    pub record: String,
    pub rule: Option<String>,
    pub expected: String,
    pub actual: String,
    /// The trace of the rule on the record.
    pub explanation: String,
}

impl Run {
    pub fn passed(&self) -> usize {
        self.tests().filter(|t| t.failures.is_empty()).count()
    }

    pub fn failed(&self) -> usize {
        self.tests().filter(|t| !t.failures.is_empty()).count()
    }

    fn tests(&self) -> impl Iterator<Item = &TestResult> {
        self.files.iter().flat_map(|f| &f.tests)
    }

    /// The results as text: failing tests with what failed (and, with
    /// `verbose`, passing tests), ending with the closing line
    /// `N passed, N failed`.
    pub fn render_text(&self, verbose: bool) -> String {
        let mut out = String::new();
        for p in &self.problems {
            out.push_str(p);
            if !p.ends_with('\n') {
                out.push('\n');
            }
        }
        for f in &self.files {
            let shown: Vec<&TestResult> = f.tests.iter().filter(|t| verbose || !t.failures.is_empty()).collect();
            if shown.is_empty() {
                continue;
            }
            out.push_str(&format!("{}\n", f.path));
            for t in shown {
                if t.failures.is_empty() {
                    out.push_str(&format!("  ✓ {}\n", t.name));
                    continue;
                }
                out.push_str(&format!("  ✗ {}\n", t.name));
                for fail in &t.failures {
                    match &fail.rule {
                        Some(rule) => out.push_str(&format!(
                            "      {rule} on record {}: expected {}, got {}\n",
                            fail.record, fail.expected, fail.actual
                        )),
                        None => out.push_str(&format!("      record {}: {}\n", fail.record, fail.actual)),
                    }
                    for line in fail.explanation.lines() {
                        if line.is_empty() {
                            out.push('\n');
                        } else {
                            out.push_str(&format!("        {line}\n"));
                        }
                    }
                }
            }
            out.push('\n');
        }
        if let Some(c) = &self.coverage {
            out.push_str(&c.render_text());
            out.push('\n');
        }
        out.push_str(&format!("{} passed, {} failed\n", self.passed(), self.failed()));
        out
    }
}

// ------------------------------------------------------------------ running

pub struct Options {
    /// Run only the tests whose name or file contains this.
    pub pattern: Option<String>,
    pub lang: Lang,
    /// Count which rules and branches the tests exercise.
    pub coverage: bool,
}

/// Run every test file below `paths`.
pub fn run(paths: &[PathBuf], opts: &Options) -> Run {
    let (files, problems) = super::find_files(paths, SUFFIX);
    let mut run = Run {
        problems: problems.into_iter().map(|p| format!("error: {p}\n")).collect(),
        ..Run::default()
    };
    if files.is_empty() && run.problems.is_empty() {
        run.problems.push(format!(
            "error: no test files (`*{SUFFIX}`) in {}\n",
            paths
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut runner = Runner {
        opts,
        plans: HashMap::new(),
        coverage: opts.coverage.then(CoverageBuilder::default),
    };
    for path in files {
        let file = match TestFile::load(&path) {
            Ok(f) => f,
            Err(rendered) => {
                run.problems.push(rendered);
                continue;
            }
        };
        run.files.push(runner.file(&file, &mut run.problems));
    }
    run.coverage = runner.coverage.map(CoverageBuilder::finish);
    run
}

/// Compiled policies, one per set of policy paths and overrides.
type PlanKey = (Vec<PathBuf>, Vec<(String, String)>);

struct Runner<'o> {
    opts: &'o Options,
    plans: HashMap<PlanKey, Result<Policies, String>>,
    coverage: Option<CoverageBuilder>,
}

/// One expectation: the outcome `want` of `rule` on `record` (every record
/// of the test if `None`).
struct Expectation {
    record: Option<String>,
    rule: String,
    rule_id: RuleId,
    want: Want,
}

#[derive(Debug, Clone, PartialEq)]
struct Want {
    outcome: Outcome,
    missing: Option<Vec<String>>,
    with: Option<Vec<String>>,
    message: Option<String>,
}

impl Want {
    fn describe(&self) -> String {
        let mut s = self.outcome.as_str().to_string();
        if let Some(m) = &self.missing {
            s.push_str(&format!(" (missing {})", list(m)));
        }
        if let Some(w) = &self.with {
            s.push_str(&format!(" (with {})", list(w)));
        }
        if let Some(m) = &self.message {
            s.push_str(&format!(" (message containing \"{m}\")"));
        }
        s
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_string()
    } else {
        items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
    }
}

impl Runner<'_> {
    fn file(&mut self, file: &TestFile, problems: &mut Vec<String>) -> FileResult {
        let mut result = FileResult {
            path: file.display(),
            tests: Vec::new(),
        };
        if let Some(c) = &mut self.coverage {
            c.under_test(&file.policy_paths());
        }
        for test in &file.spec.tests {
            let name = test.name.get_ref();
            if let Some(p) = &self.opts.pattern
                && !name.contains(p.as_str())
                && !result.path.contains(p.as_str())
            {
                continue;
            }
            match self.test(file, test) {
                Ok(failures) => result.tests.push(TestResult {
                    name: name.clone(),
                    failures,
                }),
                Err(rendered) => problems.push(rendered),
            }
        }
        result
    }
}

/// The compiled policies of a test: those its file names, with the file's and
/// the test's overrides; compiled once for all tests that share them.
fn policies_for<'p>(
    plans: &'p mut HashMap<PlanKey, Result<Policies, String>>,
    file: &TestFile,
    test: &TestSpec,
) -> Result<&'p Policies, String> {
    {
        let mut sets: BTreeMap<&str, &Spanned<toml::Value>> = BTreeMap::new();
        for (k, v) in file.spec.set.iter().chain(&test.set) {
            sets.insert(k, v);
        }
        let mut overrides = Vec::new();
        for (name, value) in sets {
            let text = override_text(value.get_ref()).ok_or_else(|| {
                file.render(file.error(
                    value.span(),
                    "a parameter value is a text, a number, true/false or a list",
                    "here",
                ))
            })?;
            overrides.push((name.to_string(), text));
        }
        let key = (file.policy_paths(), overrides);
        let entry = plans
            .entry(key.clone())
            .or_insert_with(|| Policies::load(&key.0, &key.1).map_err(|e| e.0));
        entry.as_ref().map_err(|e| {
            format!(
                "{e}error: the policy of {} does not load (test `{}`)\n",
                file.display(),
                test.name.get_ref()
            )
        })
    }
}

impl Runner<'_> {
    /// Run one test: its failures (none if it passed), or why it cannot run.
    fn test(&mut self, file: &TestFile, test: &TestSpec) -> Result<Vec<Failure>, String> {
        let lang = self.opts.lang;
        let coverage = self.coverage.is_some();
        let policies = policies_for(&mut self.plans, file, test)?;
        let plan = &policies.plan;
        let records = records_of(file, test, policies)?;
        let ids: Vec<String> = records.iter().map(|(_, r)| r.id.clone().unwrap_or_default()).collect();
        let expectations = expectations_of(file, test, plan, &ids)?;
        if expectations.is_empty() {
            let name = test.name.get_ref();
            return Err(file.render(
                file.error(
                    test.name.span(),
                    format!("test `{name}` expects nothing"),
                    "in this test",
                )
                .help("add `expect.RULE-ID = \"pass\"` (or `fail`, `unknown`, `waived`, `not_applicable`)"),
            ));
        }
        let mut failures = Vec::new();
        for (_, r) in &records {
            for w in &r.warnings {
                failures.push(Failure {
                    record: r.id.clone().unwrap_or_default(),
                    rule: None,
                    expected: String::new(),
                    actual: format!("`{}`: {}", w.field, w.message),
                    explanation: String::new(),
                });
            }
        }
        let checked = policies.check_records(records.clone(), lang);
        for e in &checked.errors {
            failures.push(Failure {
                record: e.source.display(),
                rule: None,
                expected: String::new(),
                actual: e.message.clone(),
                explanation: String::new(),
            });
        }
        let mut traced = Vec::new();
        for exp in &expectations {
            for (evaluated, (_, record)) in checked.records.iter().zip(&records) {
                if exp.record.as_ref().is_some_and(|r| *r != evaluated.id) {
                    continue;
                }
                let Some(finding) = evaluated.finding(exp.rule_id) else {
                    continue;
                };
                if coverage {
                    traced.push((record, exp.rule_id, finding.clone()));
                }
                if let Some(actual) = mismatch(&exp.want, finding) {
                    let explanation = render_text(&explain(plan, record, exp.rule_id, lang, Some(finding)), lang);
                    failures.push(Failure {
                        record: evaluated.id.clone(),
                        rule: Some(exp.rule.clone()),
                        expected: exp.want.describe(),
                        actual,
                        explanation,
                    });
                }
            }
        }
        if let Some(c) = &mut self.coverage {
            let engine = Engine::new(plan, lang);
            for (record, rid, finding) in traced {
                c.add(plan, &engine, record, rid, &finding);
            }
        }
        Ok(failures)
    }
}

/// What differs between the expectation and the finding, in words; `None`
/// if the expectation holds.
fn mismatch(want: &Want, f: &Finding) -> Option<String> {
    let mut actual = f.outcome.as_str().to_string();
    let mut wrong = f.outcome != want.outcome;
    if let Some(m) = &want.missing {
        let mut got: Vec<String> = f.missing.iter().map(|s| s.to_string()).collect();
        let mut m = m.clone();
        got.sort();
        m.sort();
        if got != m {
            wrong = true;
            actual.push_str(&format!(" (missing {})", list(&got)));
        }
    }
    if let Some(w) = &want.with {
        let mut got = f.related.clone();
        let mut w = w.clone();
        got.sort();
        w.sort();
        if got != w {
            wrong = true;
            actual.push_str(&format!(" (with {})", list(&got)));
        }
    }
    if let Some(m) = &want.message
        && !f.message.contains(m.as_str())
    {
        wrong = true;
    }
    if !wrong {
        return None;
    }
    if !f.message.is_empty() {
        actual.push_str(&format!(": {}", f.message));
    }
    Some(actual)
}

/// A parameter override as policy text: strings are policy text already
/// (`"5 000 000 NOK"`); numbers and true/false as written; a list of
/// strings is a list of texts.
fn override_text(v: &toml::Value) -> Option<String> {
    Some(match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Datetime(d) => d.to_string(),
        toml::Value::Array(items) => {
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    toml::Value::String(s) => Some(super::fmt::quote(s)),
                    other => override_text(other),
                })
                .collect();
            format!("[{}]", parts?.join(", "))
        }
        toml::Value::Table(_) => return None,
    })
}

// ------------------------------------------------------------------ records

/// The records of a test, with where they came from.
fn records_of(file: &TestFile, test: &TestSpec, policies: &Policies) -> Result<Vec<(Source, Record)>, String> {
    let plan = &policies.plan;
    let name = test.name.get_ref();
    let origin: Arc<str> = Arc::from(format!("{}: {name}", file.display()));
    let empty = toml::Table::new();
    let patches: Vec<&toml::Table> = match test.records.as_ref().map(|r| (r.get_ref(), r.span())) {
        Some((RecordsSpec::File(path), span)) => {
            return records_from_file(file, &file.dir().join(path), span, policies);
        }
        Some((RecordsSpec::Inline(list), _)) => list.iter().collect(),
        None => vec![test.record.as_ref().unwrap_or(&empty)],
    };
    if patches.is_empty() {
        return Err(file.render(file.error(
            test.name.span(),
            format!("test `{name}` has no records"),
            "in this test",
        )));
    }
    let several = patches.len() > 1;
    let mut out = Vec::with_capacity(patches.len());
    for (i, patch) in patches.into_iter().enumerate() {
        let mut record = file.spec.record.clone();
        merge(&mut record, patch);
        for path in &test.unset {
            unset(&mut record, path);
        }
        if !record.contains_key("id") {
            let id = if several {
                format!("{}", i + 1)
            } else {
                "record".to_string()
            };
            record.insert("id".into(), toml::Value::String(id));
        }
        let json = to_json(&toml::Value::Table(record), "", plan).map_err(|e| {
            file.render(
                file.error(test.name.span(), format!("test `{name}`: {e}"), "in this test")
                    .help("amounts are written as in a policy (`\"1 300 000 NOK\"`) or as `{ amount = \"1300000\", currency = \"NOK\" }`"),
            )
        })?;
        let bytes = serde_json::to_vec(&json).unwrap_or_default();
        let want = plan.want(crate::schema::FieldSet::ALL);
        let record = crate::input::canonical::parse_record_with(&bytes, &want).map_err(|e| {
            file.render(file.error(
                test.name.span(),
                format!("test `{name}`: not a record: {}", crate::input::json_error(&e)),
                "in this test",
            ))
        })?;
        out.push((Source::line(origin.clone(), i as u64 + 1), record));
    }
    Ok(out)
}

fn records_from_file(
    file: &TestFile,
    path: &Path,
    span: std::ops::Range<usize>,
    policies: &Policies,
) -> Result<Vec<(Source, Record)>, String> {
    if !path.exists() {
        return Err(file.render(file.error(span, format!("no file `{}`", path.display()), "records from here")));
    }
    let inputs = [crate::input::InputSpec::Path(path.to_path_buf())];
    let mut out = Vec::new();
    for (source, record) in crate::input::records(&inputs, policies.read_options()) {
        match record {
            Ok(r) => out.push((source, r)),
            Err(e) => {
                return Err(file.render(file.error(span, format!("{}: {e}", source.display()), "records from here")));
            }
        }
    }
    Ok(out)
}

/// Deep merge: tables are merged key by key, anything else replaced.
fn merge(base: &mut toml::Table, patch: &toml::Table) {
    for (k, v) in patch {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(p)) => merge(b, p),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

fn unset(table: &mut toml::Table, path: &str) {
    match path.split_once('.') {
        None => {
            table.remove(path);
        }
        Some((head, rest)) => {
            if let Some(toml::Value::Table(t)) = table.get_mut(head) {
                unset(t, rest);
            }
        }
    }
}

/// A TOML value as the JSON of a canonical record. `path` is the schema
/// path of the value (`lots[].estimated_value`): amounts (canonical or
/// declared) may be written as in a policy (`"1.3 MNOK"`), and dates as TOML
/// dates.
fn to_json(v: &toml::Value, path: &str, plan: &Plan) -> Result<Json, String> {
    Ok(match v {
        toml::Value::String(s) => {
            let money = schema::field_by_path(path).is_some_and(|(_, f)| f.ty == FieldType::Money)
                || plan.extras.iter().any(|e| e.path == path && e.ty == FieldType::Money);
            if money {
                money_json(s).map_err(|e| format!("`{path}`: {e}"))?
            } else {
                Json::String(s.clone())
            }
        }
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => serde_json::Number::from_f64(*f).map(Json::Number).unwrap_or(Json::Null),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(items) => {
            let item_path = format!("{path}[]");
            Json::Array(
                items
                    .iter()
                    .map(|i| to_json(i, &item_path, plan))
                    .collect::<Result<_, _>>()?,
            )
        }
        toml::Value::Table(t) => {
            let mut obj = Map::new();
            for (k, v) in t {
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                obj.insert(k.clone(), to_json(v, &child, plan)?);
            }
            Json::Object(obj)
        }
    })
}

/// `"1 300 000 NOK"` → `{"amount": "1300000", "currency": "NOK"}`.
fn money_json(text: &str) -> Result<Json, String> {
    let expr = crate::syntax::parse_value(text, 0).map_err(|d| format!("`{text}` is not an amount: {}", d.message))?;
    match expr.kind {
        crate::syntax::ast::ExprKind::Lit(Literal::Money { amount, currency, .. }) => {
            Ok(serde_json::json!({"amount": amount.normalize().to_string(), "currency": currency}))
        }
        _ => Err(format!("`{text}` is not an amount")),
    }
}

// ------------------------------------------------------------------ expectations

fn expectations_of(file: &TestFile, test: &TestSpec, plan: &Plan, ids: &[String]) -> Result<Vec<Expectation>, String> {
    let mut out = Vec::new();
    let mut diags = Vec::new();
    for (key, value) in &test.expect {
        let key_text = key.get_ref();
        if ids.len() > 1 && ids.contains(key_text) {
            let toml::Value::Table(rules) = value.get_ref() else {
                diags.push(file.error(
                    value.span(),
                    format!("the expectations for record `{key_text}` must be a table of rule ids and outcomes"),
                    "not a table",
                ));
                continue;
            };
            for (rule, want) in rules {
                match expectation(file, plan, Some(key_text), rule, want, key.span()) {
                    Ok(e) => out.push(e),
                    Err(d) => diags.push(d),
                }
            }
        } else {
            match expectation(file, plan, None, key_text, value.get_ref(), key.span()) {
                Ok(e) => out.push(e),
                Err(d) => diags.push(d),
            }
        }
    }
    if diags.is_empty() {
        Ok(out)
    } else {
        Err(diags.into_iter().map(|d| file.render(d)).collect())
    }
}

fn expectation(
    file: &TestFile,
    plan: &Plan,
    record: Option<&String>,
    rule: &str,
    value: &toml::Value,
    span: std::ops::Range<usize>,
) -> Result<Expectation, Diagnostic> {
    let Some(rule_id) = plan.rule_index(rule) else {
        let help = did_you_mean(rule, plan.rules.iter().map(|r| r.id.as_str()))
            .unwrap_or_else(|| "expectations name rule ids, or (in a test with several records) record ids".into());
        return Err(file
            .error(
                span,
                format!("no rule `{rule}` in the policies under test"),
                "unknown rule",
            )
            .help(help));
    };
    let bad = |message: String| {
        file.error(span.clone(), message, "here").help(
            "an outcome is \"pass\", \"fail\", \"unknown\", \"waived\" or \"not_applicable\", or a table { outcome = …, missing = […], with = […], message = \"…\" }",
        )
    };
    let want = match value {
        toml::Value::String(s) => Want {
            outcome: outcome(s).map_err(bad)?,
            missing: None,
            with: None,
            message: None,
        },
        toml::Value::Table(t) => {
            let mut want = Want {
                outcome: Outcome::Pass,
                missing: None,
                with: None,
                message: None,
            };
            let mut has_outcome = false;
            for (k, v) in t {
                match (k.as_str(), v) {
                    ("outcome", toml::Value::String(s)) => {
                        want.outcome = outcome(s).map_err(bad)?;
                        has_outcome = true;
                    }
                    ("missing", toml::Value::Array(a)) => {
                        want.missing =
                            Some(strings(a).ok_or_else(|| bad("`missing` lists field paths as texts".into()))?)
                    }
                    ("with", toml::Value::Array(a)) => {
                        want.with = Some(strings(a).ok_or_else(|| bad("`with` lists record ids as texts".into()))?)
                    }
                    ("message", toml::Value::String(s)) => want.message = Some(s.clone()),
                    (other, _) => {
                        return Err(bad(format!(
                            "`{other}` is not part of an expectation, or has the wrong type"
                        )));
                    }
                }
            }
            if !has_outcome {
                return Err(bad(format!("the expectation for `{rule}` has no `outcome`")));
            }
            want
        }
        _ => {
            return Err(bad(format!(
                "the expectation for `{rule}` is neither an outcome nor a table"
            )));
        }
    };
    Ok(Expectation {
        record: record.cloned(),
        rule: rule.to_string(),
        rule_id,
        want,
    })
}

fn strings(items: &[toml::Value]) -> Option<Vec<String>> {
    items.iter().map(|i| i.as_str().map(str::to_string)).collect()
}

fn outcome(word: &str) -> Result<Outcome, String> {
    Outcome::ALL.into_iter().find(|o| o.as_str() == word).ok_or_else(|| {
        let hint = did_you_mean(word, Outcome::ALL.iter().map(|o| o.as_str()))
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        format!("`{word}` is not an outcome{hint}")
    })
}

// ------------------------------------------------------------------ coverage

/// Which rules the tests name, and which ways each condition of those rules
/// went on the records they were tested on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    pub rules: Vec<RuleCoverage>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleCoverage {
    pub rule: String,
    pub policy: String,
    /// How many expectations (record × rule) named the rule.
    pub expectations: usize,
    /// The outcomes the rule had in them.
    pub outcomes: BTreeSet<&'static str>,
    pub conditions: Vec<ConditionCoverage>,
}

/// A condition of a rule (its `when`, its requirement, and each part of
/// them joined by `and`, `or` and `if`), and which ways it went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConditionCoverage {
    pub text: String,
    /// `file:line:column` where it is written.
    pub at: String,
    #[serde(skip)]
    key: (String, usize, usize),
    pub was_true: bool,
    pub was_false: bool,
    pub was_unknown: bool,
}

impl RuleCoverage {
    pub fn branches(&self) -> (usize, usize) {
        let covered = self
            .conditions
            .iter()
            .map(|c| c.was_true as usize + c.was_false as usize)
            .sum();
        (covered, self.conditions.len() * 2)
    }
}

impl Coverage {
    /// Rules tested, of all the rules under test.
    pub fn rules_tested(&self) -> (usize, usize) {
        (
            self.rules.iter().filter(|r| r.expectations > 0).count(),
            self.rules.len(),
        )
    }

    /// Branches (a condition being true, or false) seen, of all.
    pub fn branches(&self) -> (usize, usize) {
        self.rules
            .iter()
            .map(RuleCoverage::branches)
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
    }

    /// Branch coverage in per cent (100 when there is nothing to cover).
    pub fn percent(&self) -> f64 {
        let (covered, total) = self.branches();
        if total == 0 {
            100.0
        } else {
            covered as f64 * 100.0 / total as f64
        }
    }

    pub fn render_text(&self) -> String {
        let (tested, rules) = self.rules_tested();
        let (covered, total) = self.branches();
        let mut out = format!(
            "Coverage: {tested} of {rules} rules tested, {covered} of {total} branches ({:.1} %)\n",
            self.percent()
        );
        let width = self.rules.iter().map(|r| r.rule.chars().count()).max().unwrap_or(0);
        for r in &self.rules {
            let (c, t) = r.branches();
            let outcomes: Vec<&str> = r.outcomes.iter().copied().collect();
            out.push_str(&format!(
                "  {:width$}  {c:>3}/{t:<3} branches  {} expectation{}: {}\n",
                r.rule,
                r.expectations,
                if r.expectations == 1 { "" } else { "s" },
                if outcomes.is_empty() {
                    "-".to_string()
                } else {
                    outcomes.join(", ")
                }
            ));
            for cond in &r.conditions {
                let never = match (cond.was_true, cond.was_false) {
                    (true, true) => continue,
                    (false, false) => "never evaluated to true or false",
                    (false, true) => "never true",
                    (true, false) => "never false",
                };
                out.push_str(&format!("      `{}` {never} ({})\n", cond.text, cond.at));
            }
        }
        let untested: Vec<&str> = self
            .rules
            .iter()
            .filter(|r| r.expectations == 0)
            .map(|r| r.rule.as_str())
            .collect();
        if !untested.is_empty() {
            out.push_str(&format!("Rules with no test: {}\n", untested.join(", ")));
        }
        out
    }
}

#[derive(Default)]
struct CoverageBuilder {
    /// The policy files the test files name (canonical paths): their rules
    /// are the rules under test.
    named: Vec<PathBuf>,
    rules: BTreeMap<(String, String), RuleCoverage>,
}

fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl CoverageBuilder {
    fn under_test(&mut self, paths: &[PathBuf]) {
        for p in paths {
            let c = canonical(p);
            if !self.named.contains(&c) {
                self.named.push(c);
            }
        }
    }

    fn is_under_test(&self, policy_file: &str) -> bool {
        let c = canonical(Path::new(policy_file));
        self.named.iter().any(|n| c.starts_with(n))
    }

    /// Make sure every rule under test of `plan` is listed.
    fn register(&mut self, plan: &Plan) {
        for (i, rule) in plan.rules.iter().enumerate() {
            let policy = &plan.policies[rule.policy as usize];
            if !self.is_under_test(&policy.file) {
                continue;
            }
            let key = (policy.id.clone(), rule.id.clone());
            if self.rules.contains_key(&key) {
                continue;
            }
            let conditions = condition_points(plan, i as RuleId)
                .into_iter()
                .map(|n| {
                    let (file, span) = plan.spans[n as usize];
                    let (line, col) = plan.sources.line_col(file, span.start);
                    let name = plan.sources.name(file).to_string();
                    ConditionCoverage {
                        text: plan.source_text(n).split_whitespace().collect::<Vec<_>>().join(" "),
                        at: format!("{name}:{line}:{col}"),
                        key: (name, span.start, span.end),
                        was_true: false,
                        was_false: false,
                        was_unknown: false,
                    }
                })
                .collect();
            self.rules.insert(
                key,
                RuleCoverage {
                    rule: rule.id.clone(),
                    policy: policy.id.clone(),
                    expectations: 0,
                    outcomes: BTreeSet::new(),
                    conditions,
                },
            );
        }
    }

    fn add(&mut self, plan: &Plan, engine: &Engine<'_>, record: &Record, rid: RuleId, finding: &Finding) {
        self.register(plan);
        let rule = &plan.rules[rid as usize];
        let key = (plan.policies[rule.policy as usize].id.clone(), rule.id.clone());
        let Some(cov) = self.rules.get_mut(&key) else { return };
        cov.expectations += 1;
        cov.outcomes.insert(finding.outcome.as_str());
        let (_, trace) = engine.trace(record, rid);
        let mut truths: HashMap<(String, usize, usize), (bool, bool, bool)> = HashMap::new();
        let mut note = |node: NodeId, truth: Option<bool>| {
            let (file, span) = plan.spans[node as usize];
            let e = truths
                .entry((plan.sources.name(file).to_string(), span.start, span.end))
                .or_default();
            match truth {
                Some(true) => e.0 = true,
                Some(false) => e.1 = true,
                None => e.2 = true,
            }
        };
        for (node, t) in &trace {
            if let Some(truth) = t.truth {
                note(*node, truth);
            }
        }
        // The condition of a cross-record rule is decided over windows,
        // not traced per record: its outcome tells which way it went.
        if let RuleKind::Cross(c) = &rule.kind {
            let decided = finding.waiver.as_ref().map_or(finding.outcome, |w| w.waived);
            match decided {
                Outcome::Fail => note(c.flag, Some(true)),
                Outcome::Pass => note(c.flag, Some(false)),
                _ => {}
            }
        }
        for cond in &mut cov.conditions {
            if let Some((t, f, u)) = truths.get(&cond.key) {
                cond.was_true |= t;
                cond.was_false |= f;
                cond.was_unknown |= u;
            }
        }
    }

    fn finish(self) -> Coverage {
        Coverage {
            rules: self.rules.into_values().collect(),
        }
    }
}

/// The conditions of a rule whose ways coverage counts: the policy's scope,
/// the rule's `when` and requirement (for a cross-record rule, `where` and
/// `flag when`), each operand of their `and`s and `or`s, the conditions of
/// `if`s and of `all`/`any`/`none`, also inside the `let`s they use.
fn condition_points(plan: &Plan, rid: RuleId) -> Vec<NodeId> {
    let rule = &plan.rules[rid as usize];
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let roots = plan.policies[rule.policy as usize]
        .applies
        .into_iter()
        .chain(rule.applies);
    let roots: Vec<NodeId> = match &rule.kind {
        RuleKind::PerRecord { require } => roots.chain([*require]).collect(),
        RuleKind::Cross(c) => roots.chain(c.filter).collect(),
    };
    for root in roots {
        visit(plan, root, true, &mut out, &mut seen);
    }
    if let RuleKind::Cross(c) = &rule.kind {
        out.push(c.flag);
    }
    out
}

fn visit(plan: &Plan, node: NodeId, condition: bool, out: &mut Vec<NodeId>, seen: &mut HashSet<NodeId>) {
    if !seen.insert(node) {
        return;
    }
    if condition {
        out.push(node);
    }
    match plan.node(node) {
        Node::And(children) | Node::Or(children) => {
            for &c in children.iter() {
                visit(plan, c, true, out, seen);
            }
        }
        Node::If(c, a, b) => {
            visit(plan, *c, true, out, seen);
            visit(plan, *a, false, out, seen);
            visit(plan, *b, false, out, seen);
        }
        Node::Quant {
            quantifier,
            list,
            filter,
            body,
            ..
        } => {
            visit(plan, *list, false, out, seen);
            if let Some(f) = filter {
                visit(plan, *f, true, out, seen);
            }
            if let Some(b) = body {
                let is_condition = matches!(
                    quantifier,
                    crate::syntax::ast::Quantifier::All
                        | crate::syntax::ast::Quantifier::Any
                        | crate::syntax::ast::Quantifier::None
                );
                visit(plan, *b, is_condition, out, seen);
            }
        }
        Node::Let(l) => visit(plan, plan.lets[*l as usize], false, out, seen),
        Node::Not(a) | Node::Neg(a) | Node::Test(_, a) | Node::Index(a, _) => visit(plan, *a, false, out, seen),
        Node::Cmp(_, a, b) | Node::Arith(_, a, b) | Node::StartsWith(a, b) | Node::Otherwise(a, b) => {
            visit(plan, *a, false, out, seen);
            visit(plan, *b, false, out, seen);
        }
        Node::In { value, list, .. } => {
            visit(plan, *value, false, out, seen);
            visit(plan, *list, false, out, seen);
        }
        Node::Call(_, args) => {
            for &a in args.iter() {
                visit(plan, a, false, out, seen);
            }
        }
        Node::Const(_)
        | Node::Param(_)
        | Node::Field(..)
        | Node::Extra(..)
        | Node::List(..)
        | Node::Project(..)
        | Node::Var(_)
        | Node::VarField(..)
        | Node::Aggregate(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_as_in_a_policy() {
        assert_eq!(
            money_json("1.3 MNOK").ok(),
            Some(serde_json::json!({"amount": "1300000", "currency": "NOK"}))
        );
        assert!(money_json("1,3 MNOK").is_err());
    }

    #[test]
    fn records_merge_deeply_and_unset_paths() {
        let mut base: toml::Table = toml::from_str("a = 1\n[b]\nc = 2\nd = 3").unwrap_or_default();
        let patch: toml::Table = toml::from_str("[b]\nc = 4").unwrap_or_default();
        merge(&mut base, &patch);
        unset(&mut base, "b.d");
        assert_eq!(base.to_string(), "a = 1\n\n[b]\nc = 4\n");
    }

    #[test]
    fn overrides_are_policy_text() {
        assert_eq!(
            override_text(&toml::Value::String("5 MNOK".into())).as_deref(),
            Some("5 MNOK")
        );
        let list = toml::Value::Array(vec![toml::Value::String("electric".into())]);
        assert_eq!(override_text(&list).as_deref(), Some("[\"electric\"]"));
    }
}
