//! Hostile and broken input (docs/reliability.md): each gets a clear error
//! or a correct result, never a panic, a hang or a stack overflow. Big
//! inputs are made here, at test time, never committed.

use anskaff::Policies;
use anskaff::input::{InputFormat, InputSpec, Memory, ReadOptions};
use anskaff::syntax::ast::Lang;
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const HEADER: &str = "policy t { title en \"t\" }\narea a { title en \"a\" }\n";
const BASELINE: &str = "policies/no/anskaffelsesforskriften.policy";

fn anskaff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(args)
        .output()
        .expect("anskaff runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn rule(id: &str, require: &str) -> String {
    format!("rule {id} {{\n  title en \"r\"\n  area a\n  severity must\n  require {require}\n}}\n")
}

/// A policy that passes every record: counts what is read.
fn every_record() -> Policies {
    Policies::from_text("t.policy", &format!("{HEADER}{}", rule("R", "true")), &[]).expect("loads")
}

/// Load policy text on a thread with the default 2 MiB stack, as test and
/// worker threads have (the main thread has 8 MiB): the error, if any.
fn load_on_small_stack(text: String) -> Result<(), String> {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || Policies::from_text("t.policy", &text, &[]).map(|_| ()).map_err(|e| e.0))
        .expect("a thread")
        .join()
        .expect("no panic")
}

/// Records read from `bytes` as `format`: (records, input errors).
fn read(format: InputFormat, name: &str, bytes: &[u8]) -> (Vec<anskaff::finding::Evaluated>, Vec<String>) {
    let input = InputSpec::Memory(Memory {
        name: Arc::from(name),
        bytes: Arc::from(bytes),
        format: Some(format),
    });
    let p = every_record();
    let read = ReadOptions {
        format: Some(format),
        ..p.read_options()
    };
    let checked = p.check_with(&[input], Lang::En, read).expect("runs");
    (checked.records, checked.errors.into_iter().map(|e| e.message).collect())
}

fn jsonl(bytes: &[u8]) -> (Vec<anskaff::finding::Evaluated>, Vec<String>) {
    read(InputFormat::Jsonl, "r.jsonl", bytes)
}

// ------------------------------------------------------------------ records

#[test]
fn json_nested_100_000_levels_is_an_input_error_in_every_reader() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    // Inside a field, a value that is not read is skipped without recursion:
    // the field gets a warning, the record is checked.
    let in_record = format!("{{\"id\": \"deep\", \"title\": {deep}}}\n{{\"id\": \"after\"}}\n");
    let (records, errors) = jsonl(in_record.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2, "the next line is still read");
    assert!(records[0].warnings[0].message.contains("expected a text, found a list"));
    let whole = format!("{deep}\n{{\"id\": \"after\"}}\n");
    let (records, errors) = jsonl(whole.as_bytes());
    assert_eq!((records.len(), errors.len()), (1, 1), "{errors:?}");
    assert!(errors[0].contains("not a record"), "{errors:?}");

    let (records, errors) = read(InputFormat::Json, "r.json", deep.as_bytes());
    assert_eq!(records.len() + errors.len(), 1, "{errors:?}");
    let objects = format!("{}{}", "{\"a\": ".repeat(100_000), "}".repeat(100_000));
    for (format, name) in [(InputFormat::Json, "r.json"), (InputFormat::Ocds, "r.json")] {
        let (records, errors) = read(format, name, objects.as_bytes());
        assert!(records.len() + errors.len() <= 1, "{format:?}: {errors:?}");
    }
    let xml = format!(
        "<ContractNotice>{}{}</ContractNotice>",
        "<a>".repeat(100_000),
        "</a>".repeat(100_000)
    );
    let (records, errors) = read(InputFormat::Eforms, "n.xml", xml.as_bytes());
    assert!(records.is_empty());
    assert!(errors[0].contains("nested more than"), "{errors:?}");
}

#[test]
fn a_50_mb_line_is_one_record() {
    let title = "x".repeat(50 << 20);
    let line = format!("{{\"id\": \"long\", \"title\": \"{title}\"}}\n{{\"id\": \"short\"}}\n");
    let (records, errors) = jsonl(line.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].title.as_ref().map(String::len), Some(50 << 20));
    assert_eq!(records[1].source.line, Some(2));
}

#[test]
fn invalid_utf8_costs_only_its_line() {
    let (records, errors) = jsonl(b"{\"id\": \"a\"}\n{\"id\": \"b\xff\xfe\"}\n{\"id\": \"c\"}\n");
    assert_eq!(records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a", "c"]);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0], "not UTF-8 text (byte 0xFF at column 10)");
}

#[test]
fn a_byte_order_mark_and_windows_line_ends_are_read() {
    let text = b"\xEF\xBB\xBF{\"id\": \"a\"}\r\n\r\n{\"id\": \"b\", \"title\": \"t\"}\r\n";
    let (records, errors) = jsonl(text);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[1].title.as_deref(),
        Some("t"),
        "no carriage return in the value"
    );
    assert_eq!(records[1].source.line, Some(3));
    let (records, errors) = read(
        InputFormat::Json,
        "r.json",
        b"\xEF\xBB\xBF[{\"id\": \"a\"},\r\n{\"id\": \"b\"}]\r\n",
    );
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
}

#[test]
fn nul_bytes_are_an_input_error_raw_and_a_character_escaped() {
    let (records, errors) = jsonl(b"{\"id\": \"a\0\"}\n\0\0\0\n{\"id\": \"b\", \"title\": \"x\\u0000y\"}\n");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].title.as_deref(), Some("x\0y"));
}

#[test]
fn huge_and_over_precise_amounts_are_warnings_not_wrapped_numbers() {
    let forty = "1234567890123456789012345678901234567890";
    let line = format!(
        "{{\"id\": \"a\", \"estimated_value\": {{\"amount\": 1e400, \"currency\": \"NOK\"}}, \"awarded_value\": {{\"amount\": \"{forty}\", \"currency\": \"NOK\"}}}}\n"
    );
    let (records, errors) = jsonl(line.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    let r = &records[0];
    assert_eq!(r.value, None, "neither amount is held");
    let fields: Vec<&str> = r.warnings.iter().map(|w| w.field.as_str()).collect();
    assert_eq!(fields, ["estimated_value", "awarded_value"]);
    assert!(
        r.warnings
            .iter()
            .all(|w| w.message.contains("cannot hold exactly") || w.message.contains("can hold exactly"))
    );
}

#[test]
fn a_field_given_twice_is_a_warning_and_the_last_counts() {
    let (records, errors) =
        jsonl(b"{\"id\": \"a\", \"title\": \"first\", \"title\": \"second\", \"x\": 1, \"x\": 2}\n");
    assert!(errors.is_empty());
    let r = &records[0];
    assert_eq!(r.title.as_deref(), Some("second"));
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert_eq!(r.warnings[0].field, "title");
    assert!(r.warnings[0].message.contains("more than once"));
}

#[test]
fn duplicate_record_ids_are_reported_and_both_checked() {
    let (records, errors) = jsonl(b"{\"id\": \"dup\"}\n{\"id\": \" dup \"}\n{\"id\": \"other\"}\n");
    assert!(errors.is_empty());
    assert_eq!(records.len(), 3);
    assert!(records[0].warnings.is_empty());
    assert_eq!(records[1].warnings.len(), 1);
    assert!(
        records[1].warnings[0]
            .message
            .contains("another record in the input has the id `dup`")
    );
}

#[test]
fn empty_files_hold_no_records_and_say_so_where_a_document_is_expected() {
    let (records, errors) = jsonl(b"");
    assert!(records.is_empty() && errors.is_empty());
    let (records, errors) = jsonl(b"\n  \n\r\n");
    assert!(records.is_empty() && errors.is_empty());
    for format in [
        InputFormat::Json,
        InputFormat::Eforms,
        InputFormat::Csv,
        InputFormat::Xlsx,
    ] {
        let (records, errors) = read(format, "empty", b"");
        assert!(records.is_empty(), "{format:?}");
        assert_eq!(errors.len(), 1, "{format:?}: {errors:?}");
    }
}

/// Tests run as root, for whom `chmod 000` hides nothing: a dangling link
/// and a named pipe are the files that cannot be read.
#[test]
fn a_folder_with_unreadable_files_reports_each_and_reads_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("a.jsonl"), "{\"id\": \"a\"}\n").unwrap();
    std::os::unix::fs::symlink(d.join("gone.jsonl"), d.join("b-dangling.jsonl")).unwrap();
    let fifo = d.join("c-pipe.jsonl");
    assert!(
        Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success(),
        "mkfifo"
    );
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/d.jsonl"), "{\"id\": \"d\"}\n").unwrap();
    // Links back up the tree: each file is read once. (Followed blindly, one
    // such link reads every file 41 times, until the system's limit of 40
    // links in a path; two make 2^40 paths.)
    std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(d, d.join("sub/loop2")).unwrap();

    let start = Instant::now();
    let o = anskaff(&[
        "check",
        "--policy",
        BASELINE,
        "--format",
        "json",
        &d.display().to_string(),
    ]);
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).expect("a JSON report");
    let ids: Vec<&str> = report["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "d"]);
    let errors = report["input_errors"].as_array().unwrap();
    let messages: Vec<String> = errors
        .iter()
        .map(|e| format!("{} {}", e["source"], e["message"]))
        .collect();
    assert_eq!(errors.len(), 2, "{messages:?}");
    let said = |file: &str, what: &str| messages.iter().any(|m| m.contains(file) && m.contains(what));
    assert!(said("b-dangling.jsonl", "no such file"), "{messages:?}");
    assert!(said("c-pipe.jsonl", "not a regular file"), "{messages:?}");
}

// ------------------------------------------------------------------ policies

#[test]
fn deeply_nested_policies_are_refused_without_overflowing_the_stack() {
    let cases = [
        (
            "parentheses",
            format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000)),
        ),
        (
            "lists",
            format!("\"a\" in {}\"a\"{}", "[".repeat(10_000), "]".repeat(10_000)),
        ),
        ("not", format!("{}true", "not ".repeat(10_000))),
        ("minus", format!("{}1 > 0", "- ".repeat(10_000))),
        ("or", vec!["true"; 100_000].join(" or ")),
        ("plus", format!("{} > 0", vec!["1"; 100_000].join(" + "))),
        (
            "if",
            format!("{}true{}", "if true then ".repeat(5_000), " else false".repeat(5_000)),
        ),
        (
            "calls",
            format!("{}\"a\"{} == \"a\"", "lower(".repeat(5_000), ")".repeat(5_000)),
        ),
    ];
    for (what, require) in cases {
        let err = load_on_small_stack(format!("{HEADER}{}", rule("R", &require))).expect_err(what);
        assert!(err.contains("nests more than 200 levels deep"), "{what}: {err}");
    }
    // Up to the limit is fine.
    let ok = format!("{}true{}", "(".repeat(195), ")".repeat(195));
    load_on_small_stack(format!("{HEADER}{}", rule("R", &ok))).expect("195 levels load");
}

/// At the limits, evaluation fits in the worker threads' stacks.
#[test]
fn a_policy_at_the_depth_limit_is_evaluated() {
    // Each `let` adds two levels (its sum, and the reference to it).
    let chain = |n: usize| {
        let mut text = String::from(HEADER);
        text += "let a0 = estimated_value\n";
        for i in 1..n {
            text += &format!("let a{i} = a{} + 1 NOK\n", i - 1);
        }
        text + &rule("R", &format!("a{} > 0 NOK", n - 1))
    };
    let err = Policies::from_text("t.policy", &chain(205), &[])
        .err()
        .expect("past the limit");
    assert!(err.0.contains("nests more than 400 levels deep"), "{}", err.0);
    let p = Policies::from_text("t.policy", &chain(195), &[]).expect("loads");
    let records: String = (0..64)
        .map(|i| format!("{{\"id\": \"r{i}\", \"estimated_value\": {{\"amount\": \"{i}\", \"currency\": \"NOK\"}}}}\n"))
        .collect();
    let checked = p.check_jsonl(&records, Lang::En).expect("runs");
    assert_eq!(checked.records.len(), 64);
    assert_eq!(p.outcome(&checked, "r0", "R"), Some(anskaff::finding::Outcome::Pass));
}

#[test]
fn long_chains_of_lets_and_parameters_load_or_fail_quickly() {
    let n = 20_000;
    let mut lets = String::from(HEADER);
    lets += "let a0 = estimated_value\n";
    for i in 1..n {
        lets += &format!("let a{i} = a{}\n", i - 1);
    }
    lets += &rule("R", &format!("a{} > 0 NOK", n - 1));
    let err = load_on_small_stack(lets).expect_err("too deep to evaluate");
    assert!(err.contains("nests more than 400 levels deep"), "{err}");

    // Defined in the other order, the checker itself would recurse.
    let mut lets = String::from(HEADER);
    for i in 0..n {
        lets += &format!("let b{i} = b{}\n", i + 1);
    }
    lets += &format!("let b{n} = estimated_value\n");
    lets += &rule("R", "b0 > 0 NOK");
    let err = load_on_small_stack(lets).expect_err("too deep to check");
    assert!(err.contains("nests more than 400 levels deep"), "{err}");

    let mut params = String::from(HEADER);
    params += "param p0 = 1 NOK\n";
    for i in 1..n {
        params += &format!("param p{i} = p{}\n", i - 1);
    }
    params += &rule("R", &format!("estimated_value > p{}", n - 1));
    let start = Instant::now();
    load_on_small_stack(params).expect("a chain of aliases loads");
    assert!(start.elapsed() < Duration::from_secs(20), "{:?}", start.elapsed());
}

#[test]
fn a_name_defined_60_000_times_is_reported_quickly() {
    let mut text = String::from(HEADER);
    for _ in 0..60_000 {
        text += "let a = 1\n";
    }
    let start = Instant::now();
    let err = load_on_small_stack(text).expect_err("defined twice");
    assert!(err.contains("`a` is defined twice"));
    assert!(start.elapsed() < Duration::from_secs(60), "{:?}", start.elapsed());
}

#[test]
fn more_rules_than_ids_can_number_is_an_error() {
    let mut text = String::from(HEADER);
    for i in 0..70_000 {
        text += &format!("let a{i} = {i}\n");
    }
    let err = load_on_small_stack(text).expect_err("too many");
    assert!(
        err.contains("the policies define 70000 `let`s; anskaff holds at most 65535"),
        "{err}"
    );
}

#[test]
fn a_10_mb_policy_loads_and_checks() {
    let mut text = String::from(HEADER);
    let mut i = 0;
    while text.len() < 10 << 20 {
        // Long comments and texts make up the size; a few thousand rules.
        text += &format!("# {}\n", "Kommentar om regelen. ".repeat(40));
        text += &format!(
            "rule R-{i} {{\n  title en \"{}\"\n  area a\n  severity should\n  when estimated_value >= {i} NOK\n  require procedure in [\"open\", \"restricted\"] or rationale is not empty\n}}\n",
            "Tittel ".repeat(150)
        );
        i += 1;
    }
    let start = Instant::now();
    let p = Policies::from_text("t.policy", &text, &[]).expect("loads");
    assert_eq!(p.plan.rules.len(), i);
    let checked = p
        .check_jsonl(
            "{\"id\": \"a\", \"estimated_value\": {\"amount\": \"100\", \"currency\": \"NOK\"}}\n",
            Lang::En,
        )
        .expect("runs");
    assert_eq!(checked.records[0].findings.len(), i);
    assert!(start.elapsed() < Duration::from_secs(120), "{:?}", start.elapsed());
}

#[test]
fn names_in_other_scripts_are_identifiers() {
    let text = "policy t { title en \"t\" }\narea klima_æøå { title en \"Klima\" }\nparam grense_Ødegård = 100 NOK\nlet стоимость = estimated_value otherwise awarded_value\n\
         rule R {\n  title en \"r\"\n  area klima_æøå\n  severity must\n  require стоимость >= grense_Ødegård\n}\n";
    let p = Policies::from_text("t.policy", text, &[]).expect("loads");
    let checked = p
        .check_jsonl(
            "{\"id\": \"a\", \"estimated_value\": {\"amount\": \"100\", \"currency\": \"NOK\"}}\n",
            Lang::En,
        )
        .expect("runs");
    assert_eq!(p.outcome(&checked, "a", "R"), Some(anskaff::finding::Outcome::Pass));
    // Rule ids are what reports and exemptions quote: Latin capitals only.
    let err = Policies::from_text("t.policy", &format!("{HEADER}{}", rule("ПРАВИЛО", "true")), &[])
        .err()
        .expect("refused");
    assert!(err.0.contains("expected a rule id"), "{}", err.0);
}

#[test]
fn import_cycles_missing_imports_and_devices_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, text: String| {
        std::fs::write(d.join(name), text).unwrap();
        d.join(name)
    };
    let a = write(
        "a.policy",
        "policy a { title en \"a\" }\nimport \"b.policy\"\n".to_string(),
    );
    write(
        "b.policy",
        "policy b { title en \"b\" }\nimport \"a.policy\"\n".to_string(),
    );
    let err = Policies::load(&[a], &[]).err().expect("a cycle").0;
    assert!(err.contains("import cycle"), "{err}");

    let m = write(
        "m.policy",
        "policy m { title en \"m\" }\nimport \"nowhere.policy\"\n".to_string(),
    );
    let err = Policies::load(&[m], &[]).err().expect("missing").0;
    assert!(
        err.contains("cannot read imported policy") && err.contains("no such file"),
        "{err}"
    );

    // A policy cannot make anskaff read a device or wait on a pipe.
    let fifo = d.join("pipe.policy");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // (Only real devices: on some machines /dev/null has been replaced by a
    // file, which is what renaming a report over it does.)
    let devices = ["/dev/zero", "/dev/urandom", "/dev/null"]
        .into_iter()
        .filter(|d| std::fs::metadata(d).is_ok_and(|m| !m.is_file()));
    for target in devices.chain(["pipe.policy"]) {
        let z = write(
            "z.policy",
            format!("policy z {{ title en \"z\" }}\nimport \"{target}\"\n"),
        );
        let start = Instant::now();
        let err = Policies::load(&[z], &[]).err().expect("not a file").0;
        assert!(err.contains("not a regular file"), "{target}: {err}");
        assert!(start.elapsed() < Duration::from_secs(10));
    }
    // A folder of policies with a pipe in it: reported, not waited on.
    std::fs::remove_file(d.join("z.policy")).unwrap();
    let err = Policies::load(&[d.to_path_buf()], &[]).err().expect("errors").0;
    assert!(
        err.contains("pipe.policy") && err.contains("not a regular file"),
        "{err}"
    );
}

// ------------------------------------------------------------------ outputs

#[test]
fn writing_to_a_full_disk_is_a_clear_error_and_a_non_zero_exit() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy", "policies", "examples"])
        .stdout(full)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("error: cannot write the report: No space left on device"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("panicked"));

    // Named as --output: written in place, never renamed over the device.
    let o = anskaff(&["check", "--policy", "policies", "--output", "/dev/full", "examples"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("No space left on device"), "{}", stderr(&o));
    let meta = std::fs::metadata("/dev/full").unwrap();
    assert!(!meta.is_file(), "/dev/full is still a device");
    for o in [
        anskaff(&["import", "--output", "/dev/full", "examples/tenders.jsonl"]),
        anskaff(&["rules", "--policy", "policies"]),
    ] {
        assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    }
}

/// `anskaff … | head -1`: the reader goes away; anskaff ends quietly.
#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let mut many = String::new();
    let examples = std::fs::read_to_string("examples/tenders.jsonl").unwrap();
    for _ in 0..40 {
        many += &examples;
    }
    std::fs::write(dir.path().join("many.jsonl"), many).unwrap();
    let input = dir.path().join("many.jsonl").display().to_string();
    let commands: [&[&str]; 4] = [
        &["check", "--policy", "policies", "--verbose", &input],
        &["check", "--policy", "policies", "--format", "csv", &input],
        &["import", &input],
        &["rules", "--policy", "policies"],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_anskaff"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        let mut first = [0u8; 16];
        child
            .stdout
            .take()
            .expect("stdout")
            .read_exact(&mut first)
            .expect("some output");
        // Dropping our end closes the pipe, as `head` does.
        let out = child.wait_with_output().expect("ends");
        let err = stderr(&out);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1 | 3)),
            "{args:?}: {:?} {err}",
            out.status
        );
    }
}

#[test]
fn an_interrupted_run_leaves_the_earlier_report_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, "the good report").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy", "policies", "--format", "json", "--output"])
        .arg(&report)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(std::fs::read("examples/tenders.jsonl").unwrap().as_slice())
        .unwrap();
    stdin.flush().unwrap();
    // The run is under way (its input is half given) when it is killed.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().expect("killed");
    child.wait().unwrap();
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "the good report");
    // A killed process cannot remove its temporary file: it is left beside
    // the report, under a name no one mistakes for it.
    let before = std::fs::read_dir(dir.path()).unwrap().count();

    // A finished run replaces it whole, and leaves no temporary file.
    let o = anskaff(&[
        "check",
        "--policy",
        "policies",
        "--format",
        "json",
        "--output",
        &report.display().to_string(),
        "examples",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_ok());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), before, "no new temporary file: {names:?}");
    assert!(
        names
            .iter()
            .all(|n| n == "report.json" || n.to_string_lossy().starts_with(".anskaff-"))
    );
}

/// Written through a temporary file, a report still gets the mode any new
/// file gets (not the temporary file's 0600), and one written over an
/// earlier report keeps that report's mode.
#[cfg(unix)]
#[test]
fn a_report_file_gets_an_ordinary_mode_and_a_replaced_one_keeps_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let run = |p: &std::path::Path| {
        let o = anskaff(&[
            "check",
            "--policy",
            "policies",
            "--output",
            &p.display().to_string(),
            "examples",
        ]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    };
    // What the shell gives a new file: 0666 less the umask, read back from
    // a file made the ordinary way.
    let plain = dir.path().join("plain");
    std::fs::write(&plain, "").unwrap();
    let new = dir.path().join("new.txt");
    run(&new);
    assert_eq!(mode(&new), mode(&plain));

    let shared = dir.path().join("shared.txt");
    std::fs::write(&shared, "old").unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o664)).unwrap();
    run(&shared);
    assert_eq!(mode(&shared), 0o664);
    assert_ne!(std::fs::read_to_string(&shared).unwrap(), "old");
}

#[test]
fn absurd_thread_counts_and_batch_sizes_are_usage_errors_not_hangs() {
    for args in [
        ["--threads", "100000"],
        ["--threads", "18446744073709551615"],
        ["--batch", "0"],
        ["--batch", "1000000000"],
    ] {
        let o = anskaff(&["check", "--policy", "policies", args[0], args[1], "examples"]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("is not in"), "{args:?}: {}", stderr(&o));
    }
}

/// A record's text cannot drive the officer's terminal: escape sequences
/// in titles and names are shown, not obeyed.
#[test]
fn the_text_report_shows_control_characters_instead_of_sending_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("r.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"x\\u001b]0;pwned\\u0007\", \"title\": \"\\u001b[2J\\rcleared\", \"buyer\": {\"name\": \"\\u001b[31mred\"}, \"date\": \"2024-01-01\"}\n",
    )
    .unwrap();
    for color in ["never", "always"] {
        let o = anskaff(&[
            "check",
            "--policy",
            "policies",
            "--color",
            color,
            &input.display().to_string(),
        ]);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("x␛]0;pwned␇"), "{out}");
        assert!(out.contains("␛[2J␍cleared"), "{out}");
        assert!(
            !out.contains("\u{1b}]") && !out.contains("\u{1b}[2J") && !out.contains('\r'),
            "{out}"
        );
    }
}

// ------------------------------------------------------------------ fuzz findings

/// Inputs the fuzzers (fuzz/, docs/reliability.md) found, and sums that
/// could overflow; each gets an answer, not a panic.
#[test]
fn fuzz_findings_and_overflowing_sums_stay_fixed() {
    // calamine multiplies a cell reference's row without checking: a huge
    // one overflowed (a panic in debug builds). The workbook reader catches
    // it; the file is one input error.
    let bytes = std::fs::read("tests/fixtures/fuzz/xlsx-cell-reference-overflow.xlsx").unwrap();
    let (records, errors) = read(InputFormat::Xlsx, "f.xlsx", &bytes);
    assert!(records.len() + errors.len() >= 1, "{errors:?}");

    // Two OCDS awards whose values add up past what a decimal holds.
    let huge = "50000000000000000000000000000";
    let release = format!(
        "{{\"ocid\": \"ocds-x-1\", \"id\": \"1\", \"date\": \"2024-01-01\", \"tag\": [\"award\"], \"awards\": [{{\"id\": \"a\", \"status\": \"active\", \"value\": {{\"amount\": {huge}, \"currency\": \"NOK\"}}}}, {{\"id\": \"b\", \"status\": \"active\", \"value\": {{\"amount\": {huge}, \"currency\": \"NOK\"}}}}]}}"
    );
    let (records, errors) = read(InputFormat::Ocds, "r.json", release.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].value, None);
    assert!(
        records[0]
            .warnings
            .iter()
            .any(|w| w.message.contains("more than anskaff can hold")),
        "{:?}",
        records[0].warnings
    );
}

/// The policy-author commands walk folders too: a link loop ends.
#[test]
fn fmt_and_validate_end_on_a_folder_with_a_link_loop() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/p.policy"), "policy p { title en \"p\" }\n").unwrap();
    std::os::unix::fs::symlink(d, d.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(d, d.join("sub/loop2")).unwrap();
    let o = anskaff(&["fmt", "--check", &d.display().to_string()]);
    assert!(
        !stderr(&o).contains("overflow") && o.status.code().is_some(),
        "{}",
        stderr(&o)
    );
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy"])
        .arg(d)
        .arg("examples/tenders.jsonl")
        .output()
        .unwrap();
    assert!(o.status.code().is_some(), "{}", stderr(&o));
}

/// Found by the `evaluate` fuzz target (1 thread and 3 disagreed): an
/// exemption naming `R-3`, as close to `R-0` as to `R-1`, got its
/// suggestion from a hash set, whose order changes from run to run.
#[test]
fn the_suggestion_for_an_unknown_exemption_rule_is_the_same_every_run() {
    let text = format!("{HEADER}{}{}", rule("R-0", "true"), rule("R-1", "true"));
    let record = "{\"id\": \"a\", \"exemptions\": [{\"rule\": \"R-3\", \"reason\": \"x\"}]}\n";
    for _ in 0..8 {
        let p = Policies::from_text("t.policy", &text, &[]).expect("loads");
        let checked = p.check_jsonl(record, Lang::En).expect("runs");
        let warnings = &checked.records[0].warnings;
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.ends_with("did you mean `R-0`?"), "{warnings:?}");
    }
}
