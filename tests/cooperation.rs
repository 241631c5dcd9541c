//! Procurement cooperations: the organisation register, `for` scopes decided
//! by the record's buyer and date, joint procurements with participants,
//! and reports per member.
//!
//! The fixture (`tests/fixtures/cooperation/`) has two cooperations: Nord
//! (A from the start, B until it left on 1 July 2018, C from 2020-03-01, and
//! a county that merged into a new one on 2020-01-01) with a common strategy
//! and one rule of A's own, and Sør (D) with a strategy of its own.

use anskaff::Policies;
use anskaff::finding::Outcome::{self, *};
use anskaff::syntax::ast::Lang;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cooperation")
}

fn policies() -> Policies {
    Policies::load(&[fixture()], &[]).unwrap_or_else(|e| panic!("{e}"))
}

/// A record of `buyer` (by name) on `date` that breaks every rule.
fn record(id: &str, buyer: &str, date: &str) -> Value {
    json!({
        "id": id, "buyer": {"name": buyer}, "date": date,
        "ecommerce": {"ordering": false, "einvoice": false},
        "construction": {"fossil_free_site": false},
        "estimated_value": {"amount": "1000000", "currency": "NOK"},
    })
}

fn jsonl(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

fn outcomes(records: &[Value], rule: &str) -> Vec<(String, Outcome)> {
    let p = policies();
    let checked = p.check_jsonl(&jsonl(records), Lang::En).expect("checks");
    records
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap_or_default();
            (id.to_string(), p.outcome(&checked, id, rule).expect("a finding"))
        })
        .collect()
}

#[test]
fn membership_periods_decide_which_strategy_applies() {
    let got = outcomes(
        &[
            // A: a member from the start.
            record("a-2017", "A kommune", "2017-05-01"),
            // B left on 1 July 2018: held to the strategy before, not after.
            record("b-2018-06", "B kommune", "2018-06-30"),
            record("b-2018-09", "B kommune", "2018-09-01"),
            // C joined on 2020-03-01.
            record("c-2020-02", "C kommune", "2020-02-29"),
            record("c-2020-03", "C kommune", "2020-03-01"),
            // The old county's membership passed to its single successor.
            record("old-2019", "Gamle fylkeskommune", "2019-06-01"),
            record("new-2021", "Nye fylkeskommune", "2021-06-01"),
            // D belongs to the other cooperation.
            record("d-2021", "D kommune", "2021-06-01"),
        ],
        "NORD-1",
    );
    let expected = [
        ("a-2017", Fail),
        ("b-2018-06", Fail),
        ("b-2018-09", NotApplicable),
        ("c-2020-02", NotApplicable),
        ("c-2020-03", Fail),
        ("old-2019", Fail),
        ("new-2021", Fail),
        ("d-2021", NotApplicable),
    ];
    let expected: Vec<(String, Outcome)> = expected.iter().map(|(i, o)| (i.to_string(), *o)).collect();
    assert_eq!(got, expected);
}

#[test]
fn the_report_says_why_a_strategy_does_or_does_not_apply() {
    let p = policies();
    let checked = p
        .check_jsonl(
            &jsonl(&[
                record("b-2018-09", "B kommune", "2018-09-01"),
                record("new-2021", "Nye fylkeskommune", "2021-06-01"),
            ]),
            Lang::En,
        )
        .expect("checks");
    let left = p.finding(&checked, "b-2018-09", "NORD-1").expect("finding");
    assert_eq!(
        left.message,
        "Policy test.nord is for members of \"nord\": the membership of B kommune in Nord innkjøp (2016-01-01 – 2018-06-30) does not cover 2018-09-01"
    );
    let r = checked.record("new-2021").expect("record");
    let scope = r.scope.as_deref().expect("a scope");
    let nord = scope.policies.iter().flatten().next().expect("nord's decision");
    assert_eq!(
        nord.why,
        "Nye fylkeskommune is a member of Nord innkjøp as successor of Gamle fylkeskommune since 2020-01-01"
    );
}

#[test]
fn a_rule_can_be_for_one_member_only() {
    let got = outcomes(
        &[
            record("a", "A kommune", "2021-01-01"),
            record("a-by-number", "", "2021-01-01"),
            record("c", "C kommune", "2021-01-01"),
        ]
        .map(|mut r| {
            if r["id"] == "a-by-number" {
                r["buyer"] = json!({"id": "NO 911 111 111 MVA"});
            }
            r
        }),
        "NORD-A-1",
    );
    assert_eq!(
        got,
        vec![
            ("a".to_string(), Fail),
            ("a-by-number".to_string(), Fail),
            ("c".to_string(), NotApplicable)
        ]
    );
    let p = policies();
    let checked = p
        .check_jsonl(&jsonl(&[record("c", "C kommune", "2021-01-01")]), Lang::En)
        .expect("checks");
    let f = p.finding(&checked, "c", "NORD-A-1").expect("finding");
    assert_eq!(
        f.message,
        "Rule NORD-A-1 is for authority \"a\": the buyer is C kommune, not A kommune"
    );
}

#[test]
fn a_joint_framework_agreement_is_held_to_each_participants_strategy() {
    // Led by D (Sør), with A (Nord, and A's own rule) taking part.
    let mut joint = record("joint", "D kommune", "2021-06-01");
    joint["framework"] = json!(true);
    joint["participants"] = json!([{"name": "A kommune"}]);
    let p = policies();
    let checked = p.check_jsonl(&jsonl(&[joint]), Lang::En).expect("checks");
    for rule in ["SOR-1", "NORD-1", "NORD-A-1", "BASE-1"] {
        assert_eq!(p.outcome(&checked, "joint", rule), Some(Fail), "{rule}");
    }
    // Whose rule it is.
    let r = checked.record("joint").expect("record");
    let scope = r.scope.as_deref().expect("a scope");
    let plan = &p.plan;
    let names = |rule: &str| {
        let id = plan.rule_index(rule).expect("rule");
        scope.names(&plan.register, scope.parties_of(plan, id))
    };
    assert_eq!(names("SOR-1"), ["D kommune"]);
    assert_eq!(names("NORD-1"), ["A kommune"]);
    assert_eq!(names("NORD-A-1"), ["A kommune"]);
    assert_eq!(names("BASE-1"), ["D kommune", "A kommune"]);
    // The JSON report says so too.
    let o = anskaff_json(&["--group-by", "buyer"], &[joint_record()]);
    let entry = &o["records"][0];
    assert_eq!(entry["parties"][1]["role"], "participant");
    assert_eq!(entry["parties"][1]["key"], "a");
    let sor = finding(entry, "SOR-1");
    assert_eq!(sor["for"], json!(["d"]));
    assert!(finding(entry, "BASE-1").get("for").is_none(), "everyone's rule");
}

fn joint_record() -> Value {
    let mut joint = record("joint", "D kommune", "2021-06-01");
    joint["participants"] = json!([{"name": "A kommune"}]);
    joint["cpv"] = json!(["30192000"]);
    joint["construction"] = json!({"fossil_free_site": true});
    joint
}

fn finding<'v>(entry: &'v Value, rule: &str) -> &'v Value {
    entry["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["rule"] == rule))
        .unwrap_or_else(|| panic!("no finding of {rule}"))
}

/// Run `anskaff check` on the fixture with `args`; the report and the exit code.
fn anskaff(args: &[&str], records: &[Value]) -> (String, Option<i32>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("records.jsonl");
    std::fs::write(&input, jsonl(records)).expect("written");
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy"])
        .arg(fixture())
        .args(args)
        .arg(&input)
        .output()
        .expect("anskaff runs");
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8_lossy(&o.stdout).into_owned(), o.status.code())
}

fn anskaff_json(args: &[&str], records: &[Value]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend(args);
    let (out, _) = anskaff(&all, records);
    serde_json::from_str(&out).expect("JSON")
}

/// A's own purchase that complies, A's that does not, D's, and the joint one.
fn member_records() -> Vec<Value> {
    let mut good = record("a-good", "A kommune", "2021-03-01");
    good["cpv"] = json!(["30192000"]);
    good["ecommerce"] = json!({"ordering": true, "einvoice": true});
    let mut bad = record("a-bad", "A kommune", "2021-04-01");
    bad["cpv"] = json!(["30192000"]);
    let mut d = record("d-own", "D kommune", "2021-05-01");
    d["cpv"] = json!(["45000000"]);
    d["construction"] = json!({"fossil_free_site": true});
    vec![good, bad, d, joint_record()]
}

#[test]
fn json_groups_by_buyer_count_a_joint_record_for_each_party_with_its_own_rules() {
    let report = anskaff_json(&["--group-by", "buyer"], &member_records());
    let groups = &report["summary"]["groups"];
    assert_eq!(groups["by"], "buyer");
    let by_id = |id: &str| {
        groups["groups"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["id"] == id))
            .unwrap_or_else(|| panic!("no group {id}: {groups}"))
    };
    let a = by_id("a");
    assert_eq!(a["name"], "A kommune");
    // a-good, a-bad and the joint one (A's rules fail there).
    assert_eq!((a["records"].as_u64(), a["compliant"].as_u64()), (Some(3), Some(1)));
    assert_eq!(a["spend"]["NOK"]["compliant"], "1000000");
    let d = by_id("d");
    // d-own and the joint one, which is compliant for D: A's rules are not D's.
    assert_eq!((d["records"].as_u64(), d["compliant"].as_u64()), (Some(2), Some(2)));
    let rules: Vec<&str> = a["rules"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(rules.contains(&"NORD-A-1") && !rules.contains(&"SOR-1"), "{rules:?}");
    // The run's own totals count each record once.
    assert_eq!(report["summary"]["records"], 4);
}

#[test]
fn json_groups_by_cooperation_with_members() {
    let report = anskaff_json(&["--group-by", "cooperation"], &member_records());
    let groups = report["summary"]["groups"]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let names: Vec<&str> = groups.iter().filter_map(|g| g["name"].as_str()).collect();
    assert_eq!(names, ["Nord innkjøp", "Sør innkjøp"]);
    let nord = &groups[0];
    assert_eq!(nord["id"], "nord");
    let members: Vec<(&str, u64)> = nord["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| (m["id"].as_str().unwrap_or(""), m["records"].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(members, [("a", 3)]);
}

#[test]
fn grouping_by_cooperation_never_files_an_unknown_membership_as_known() {
    let mut undated = record("undated", "A kommune", "2021-01-01");
    undated.as_object_mut().map(|o| o.remove("date"));
    let mut nameless = record("nameless", "", "2021-01-01");
    nameless["buyer"] = json!({});
    let records = [
        record("a", "A kommune", "2021-01-01"),
        undated,
        nameless,
        record("stranger", "Trondheim kommune", "2021-01-01"),
        // B left Nord in 2018 and is in no other cooperation.
        record("b-after", "B kommune", "2021-01-01"),
    ];
    let report = anskaff_json(&["--group-by", "cooperation"], &records);
    let groups = report["summary"]["groups"]["groups"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let summary: Vec<(&str, u64)> = groups
        .iter()
        .map(|g| (g["name"].as_str().unwrap_or(""), g["records"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(
        summary,
        [
            ("Nord innkjøp", 1),
            ("Membership unknown (no date, or the register cannot tell)", 2),
            ("Not in the organisation register", 1),
            ("Not in a procurement cooperation", 1),
        ],
        "{groups:#?}"
    );
    // Every record is in some group.
    assert_eq!(summary.iter().map(|(_, n)| n).sum::<u64>(), 5);
}

#[test]
fn member_report_holds_only_the_members_records_and_rules() {
    let report = anskaff_json(&["--member", "d"], &member_records());
    let ids: Vec<&str> = report["records"]
        .as_array()
        .map(|r| r.iter().filter_map(|r| r["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["d-own", "joint"]);
    let joint = &report["records"][1];
    // A's rules are not D's: not applicable in D's report, and compliant.
    assert_eq!(finding(joint, "NORD-1")["outcome"], "not_applicable");
    assert_eq!(
        finding(joint, "NORD-1")["message"],
        "Not a rule of D kommune: it is for A kommune"
    );
    assert_eq!(joint["status"], "compliant");
    assert_eq!(report["summary"]["member"]["name"], "D kommune");
    // A name the register does not know is a usage error with a hint.
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy"])
        .arg(fixture())
        .args(["--member", "new-countyy", "-"])
        .output()
        .expect("anskaff runs");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("`new-countyy` is not an authority of the organisation register"),
        "{err}"
    );
    assert!(err.contains("did you mean `new-county`?"), "{err}");
    // A member with no record in the input: an empty report for a council
    // must not pass unremarked.
    let dir = tempfile::tempdir().expect("temp dir");
    let input = dir.path().join("records.jsonl");
    std::fs::write(&input, jsonl(&member_records())).expect("written");
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy"])
        .arg(fixture())
        .args(["--member", "c"])
        .arg(&input)
        .output()
        .expect("anskaff runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning: --member: no record has `c` as its buyer or as a participant"),
        "{err}"
    );
}

#[test]
fn html_has_the_cooperation_overview_and_a_section_per_member() {
    let (html, code) = anskaff(&["--format", "html", "--group-by", "cooperation"], &member_records());
    assert_eq!(code, Some(1));
    assert!(html.contains("<section id=\"coop-1-nord\""), "the overview");
    assert!(html.contains("Nord innkjøp: medlemmene side om side"));
    assert!(html.contains("<section id=\"member-1-1-a\""), "A's section");
    assert!(html.contains("<section id=\"member-2-1-d\""), "D's section");
    // The overview is a matrix of members over areas, described in words.
    let overview = &html[html.find("<section id=\"coop-1-nord\"").unwrap_or(0)..];
    let overview = &overview[..overview.find("</section>").unwrap_or(overview.len())];
    assert!(overview.contains("<svg class=\"chart\" role=\"img\""));
    assert!(overview.contains("A kommune: Alle områder 33,3 %"), "{overview}");
    // Member sections are not in the table of contents.
    let nav = &html[html.find("<nav").unwrap_or(0)..html.find("</nav>").unwrap_or(0)];
    assert!(nav.contains("#coop-1-nord") && !nav.contains("#member-1-1-a"), "{nav}");
    // Markdown has the same content as tables.
    let (md, _) = anskaff(
        &["--format", "markdown", "--group-by", "cooperation"],
        &member_records(),
    );
    assert!(md.contains("## Nord innkjøp: the members side by side"), "{md}");
    assert!(md.contains("| A kommune |"), "{md}");
}

#[test]
fn a_member_sections_table_writes_an_amount_one_way_in_a_row() {
    // Steinkjer's areas: the bars may say `48 mill.`, but the table's row
    // says `47 800 000` beside `av 47 800 000 NOK`, not `48 mill.`.
    let html = example(&["--group-by", "cooperation", "--format", "html"]);
    let at = html
        .find("Steinkjer kommune · Innherred innkjøp")
        .expect("Steinkjer's section");
    let section = &html[at..];
    let section = &section[..section.find("</section>").expect("closed")];
    let table = &section[section.find("<table").expect("a table")..];
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    assert!(!rows.is_empty());
    for row in &rows {
        assert!(!row.contains("mill."), "an amount written short in a table row: {row}");
    }
    assert!(
        rows.iter()
            .any(|r| r.contains("<td class=\"num\">1 800 000</td>") && r.contains("av 47 800 000 NOK")),
        "{table}"
    );
    let md = example(&["--group-by", "cooperation", "--format", "markdown", "--lang", "nb"]);
    let at = md
        .find("Steinkjer kommune · Innherred innkjøp")
        .expect("Steinkjer's section");
    let section = &md[at..];
    let section = &section[..section[1..].find("\n## ").map_or(section.len(), |e| e + 1)];
    assert!(
        section
            .lines()
            .filter(|l| l.starts_with('|'))
            .all(|l| !l.contains("mill.")),
        "{section}"
    );
}

#[test]
fn buyers_and_parties_in_no_cooperation_are_not_called_members() {
    let mut records = member_records();
    // A buyer the register does not know, and one in no cooperation.
    records.push(record("x-unknown", "Ukjent kommune", "2021-06-01"));
    // Grouped by buyer, nobody is a member of anything.
    for (lang, words) in [("nb", ["Medlem", "medlem"]), ("en", ["Member", "member"])] {
        let (html, _) = anskaff(&["--format", "html", "--group-by", "buyer", "--lang", lang], &records);
        let overview = &html[html.find("<section id=\"buyers\"").expect("the overview")..];
        let overview = &overview[..overview.find("</section>").expect("closed")];
        for w in words {
            assert!(!overview.contains(w), "{lang}: `{w}` in {overview}");
        }
        assert!(overview.contains(if lang == "nb" {
            ">Oppdragsgiver</th>"
        } else {
            ">Buyer</th>"
        }));
    }
    // Grouped by cooperation, the special groups' rows are not members;
    // a cooperation's are.
    let (html, _) = anskaff(&["--format", "html", "--group-by", "cooperation"], &records);
    let sections: Vec<&str> = html.split("<section id=\"coop-").skip(1).collect();
    let special = sections
        .iter()
        .find(|s| s.contains("Ikke i organisasjonsregisteret"))
        .expect("the group of parties not in the register");
    let special = &special[..special.find("</section>").expect("closed")];
    assert!(!special.contains("Medlem") && !special.contains("medlem"), "{special}");
    assert!(special.contains(">Oppdragsgiver</th>"), "{special}");
    let nord = sections.iter().find(|s| s.starts_with("1-nord")).expect("Nord");
    assert!(nord.contains(">Medlem</th>") && nord.contains("medlemmets"));
}

#[test]
fn rule_for_names_each_party_once_and_a_nameless_one_in_words() {
    let mut joint = joint_record();
    // A listed twice, the buyer also as a participant, a participant with
    // no name, and one the register does not know, listed three times.
    joint["participants"] = json!([
        {"name": "A kommune"}, {"name": "A kommune"}, {"name": "D kommune"}, {},
        {"name": "Ukjent kommune"}, {"name": "Ukjent kommune"}, {"name": "Ukjent kommune"}
    ]);
    for (lang, rule_for, nameless) in [
        ("en", "Rule for:", "a participant without a name"),
        ("nb", "Regel for:", "en deltaker uten navn"),
    ] {
        let (text, _) = anskaff(&["--color", "never", "--lang", lang], std::slice::from_ref(&joint));
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(rule_for))
            .collect();
        assert!(!lines.is_empty(), "{text}");
        for line in &lines {
            let names: Vec<&str> = line[rule_for.len()..].trim().split(", ").collect();
            let mut once = names.clone();
            once.dedup();
            once.sort();
            once.dedup();
            assert_eq!(names.len(), once.len(), "a party named twice: {line}");
            assert!(!names.contains(&"?"), "{line}");
        }
        assert!(
            lines.iter().any(|l| l.contains("A kommune") && l.contains(nameless)),
            "{lines:?}"
        );
        // The note on the party the register does not know comes once.
        let notes = text.lines().filter(|l| l.contains("Ukjent kommune")).count();
        assert_eq!(notes, 1, "{text}");
    }
    // JSON and CSV say it the same way.
    let (csv, _) = anskaff(&["--format", "csv"], std::slice::from_ref(&joint));
    assert!(csv.contains("\"A kommune, a participant without a name\""), "{csv}");
    assert!(!csv.contains("A kommune, A kommune") && !csv.contains(", ?"), "{csv}");
}

#[test]
fn junit_puts_the_groups_that_are_not_a_cooperation_last_as_text_does() {
    let mut records = member_records();
    records.push(record("x-unknown", "Ukjent kommune", "2021-06-01"));
    let mut undated = record("a-undated", "A kommune", "2021-06-01");
    undated.as_object_mut().map(|o| o.remove("date"));
    records.push(undated);
    let (xml, _) = anskaff(&["--format", "junit", "--group-by", "cooperation"], &records);
    let suites: Vec<&str> = xml
        .split("<testsuite name=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap_or(0)])
        .map(|name| name.split(" · ").next().unwrap_or(name))
        .collect();
    let mut groups: Vec<&str> = suites.clone();
    groups.dedup();
    assert_eq!(
        groups,
        [
            "Nord innkjøp",
            "Sør innkjøp",
            "Membership unknown (no date, or the register cannot tell)",
            "Not in the organisation register"
        ],
        "{xml}"
    );
    // The same order as the text report's groups.
    let (text, _) = anskaff(&["--group-by", "cooperation", "--color", "never"], &records);
    let heads: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("══ ").and_then(|l| l.strip_suffix(" ══")))
        .collect();
    assert_eq!(heads, groups, "{text}");
}

#[test]
fn text_csv_and_junit_group_records() {
    let (text, _) = anskaff(&["--group-by", "buyer", "--color", "never"], &member_records());
    let a = text.find("══ A kommune ══").expect("A's group");
    let d = text.find("══ D kommune ══").expect("D's group");
    assert!(a < d);
    // The joint record appears in both groups; in D's, A's rules are left out.
    let d_part = &text[d..text.find("Summary").unwrap_or(text.len())];
    assert!(d_part.contains("✓ joint"), "{d_part}");
    assert!(!d_part.contains("NORD-1"), "{d_part}");
    let (csv, _) = anskaff(&["--format", "csv", "--group-by", "cooperation"], &member_records());
    let header = csv.lines().next().unwrap_or("");
    assert_eq!(
        header,
        "group,member,record,source,rule,severity,outcome,value,currency,message,rule_for"
    );
    assert!(
        csv.lines().any(|l| l.starts_with("Nord innkjøp,A kommune,joint,")),
        "{csv}"
    );
    assert!(
        !csv.lines()
            .any(|l| l.starts_with("Sør innkjøp,D kommune,joint,") && l.contains("NORD-1"))
    );
    let (xml, _) = anskaff(&["--format", "junit", "--group-by", "buyer"], &member_records());
    assert!(xml.contains("<testsuite name=\"A kommune\""), "{xml}");
    assert!(xml.contains("<testsuite name=\"D kommune\""), "{xml}");
}

#[test]
fn a_buyer_not_in_the_register_gets_a_note_and_the_baseline_still_applies() {
    let p = policies();
    let checked = p
        .check_jsonl(&jsonl(&[record("x", "Trondheim kommune", "2021-01-01")]), Lang::En)
        .expect("checks");
    assert_eq!(p.outcome(&checked, "x", "BASE-1"), Some(Fail));
    assert_eq!(p.outcome(&checked, "x", "NORD-1"), Some(NotApplicable));
    let r = checked.record("x").expect("record");
    let notes = &r.scope.as_deref().expect("a scope").notes;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(
        notes[0],
        "Trondheim kommune is not in the organisation register: policies for every buyer apply, such as the national baseline; those for named authorities and cooperations do not, unless the register lists a cooperation's members only in part"
    );
    // The text report shows the note under the record.
    let (text, _) = anskaff(&["--color", "never"], &[record("x", "Trondheim kommune", "2021-01-01")]);
    assert!(
        text.contains("note           Trondheim kommune is not in the organisation register"),
        "{text}"
    );
}

#[test]
fn without_a_buyer_or_a_date_membership_is_unknown_not_guessed() {
    let mut nameless = record("nameless", "", "2021-01-01");
    nameless["buyer"] = json!({});
    let mut undated = record("undated", "A kommune", "2021-01-01");
    undated.as_object_mut().map(|o| o.remove("date"));
    let p = policies();
    let checked = p.check_jsonl(&jsonl(&[nameless, undated]), Lang::En).expect("checks");
    let f = p.finding(&checked, "nameless", "NORD-1").expect("finding");
    assert_eq!(f.outcome, Unknown);
    assert_eq!(f.missing, ["buyer.id", "buyer.name"]);
    let f = p.finding(&checked, "undated", "NORD-1").expect("finding");
    assert_eq!(f.outcome, Unknown);
    assert!(f.missing.contains(&"date"), "{:?}", f.missing);
}

#[test]
fn an_unknown_cooperation_is_an_error_at_the_spot_with_a_suggestion() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(fixture().join("org.toml"), dir.path().join("org.toml")).expect("copied");
    let policy = dir.path().join("p.policy");
    std::fs::write(
        &policy,
        "policy p {\n  title en \"P\"\n  for members of \"nordd\", authority \"A kommune\", kind \"municipality\"\n}\nimport \"org.toml\"\n",
    )
    .expect("written");
    let err = match Policies::load(&[policy], &[]) {
        Ok(_) => panic!("loads"),
        Err(e) => e.0,
    };
    assert!(err.contains("error: unknown cooperation `nordd`"), "{err}");
    assert!(err.contains("p.policy:3:18"), "{err}");
    assert!(err.contains("help: did you mean `nord`?"), "{err}");
    assert!(err.contains("error: unknown authority `A kommune`"), "{err}");
    assert!(err.contains("not an authority of the register"), "{err}");
    assert!(!err.contains("not a authority"), "{err}");
    assert!(err.contains("help: the register's id for A kommune is `a`"), "{err}");
    assert!(err.contains("help: did you mean `municipal`?"), "{err}");
    // Without a register the hint says how to get one.
    let err = match Policies::from_text(
        "q.policy",
        "policy q {\n  title en \"Q\"\n  for members of \"nord\"\n}\n",
        &[],
    ) {
        Ok(_) => panic!("loads"),
        Err(e) => e.0,
    };
    assert!(err.contains("no organisation register is loaded"), "{err}");
}

#[test]
fn fmt_lays_out_scopes_and_keeps_their_meaning() {
    let text = "policy p {\n  title en \"P\"\n  for   members of \"nord\" ,authority \"a\",kind \"county\"\n}\nrule R-1 { title en \"t\" area x severity must for authority \"a\" require true }\n";
    let formatted = anskaff::authoring::fmt::format_policy(text, 0).expect("formats");
    assert_eq!(
        formatted,
        "policy p {\n  title en \"P\"\n  for members of \"nord\",\n      authority \"a\",\n      kind \"county\"\n}\n\nrule R-1 {\n  title en \"t\"\n  area x\n  severity must\n  for authority \"a\"\n  require true\n}\n"
    );
    let again = anskaff::authoring::fmt::format_policy(&formatted, 0).expect("formats");
    assert_eq!(again, formatted);
}

#[test]
fn validate_warns_of_a_member_rule_for_an_authority_that_never_was_a_member() {
    let dir = tempfile::tempdir().expect("temp dir");
    for f in ["org.toml", "base.policy"] {
        std::fs::copy(fixture().join(f), dir.path().join(f)).expect("copied");
    }
    let policy = dir.path().join("nord.policy");
    std::fs::write(
        &policy,
        "policy n {\n  title en \"N\"\n  for members of \"nord\"\n}\nimport \"org.toml\"\narea a { title en \"A\" }\n\
         rule N-D-1 {\n  title en \"D\"\n  area a\n  severity should\n  for authority \"d\"\n  require true\n}\n\
         rule N-A-1 {\n  title en \"A\"\n  area a\n  severity should\n  for authority \"a\"\n  require true\n}\n",
    )
    .expect("written");
    let v = anskaff::authoring::validate::validate(&[policy], &[]);
    let text = v.render_text();
    assert_eq!(v.errors(), 0, "{text}");
    assert!(
        text.contains("warning: rule `N-D-1` is for authority \"d\", but D kommune never belonged to the cooperations its policy is for; the rule never applies"),
        "{text}"
    );
    assert!(!text.contains("`N-A-1` is for"), "A is a member: {text}");
}

/// Run `anskaff check --policy policies` with `args` on the cooperation
/// example: INN-2021-005 is led by Verdal kommune with Steinkjer and
/// Levanger taking part, and fails STEINKJER-NAERING-1, Steinkjer's own rule.
fn example(args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["check", "--policy", "policies"])
        .args(args)
        .arg("examples/cooperation.jsonl")
        .output()
        .expect("anskaff runs");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The CSV rows as maps from column to cell.
fn csv_rows(csv: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().expect("a header").iter().map(String::from).collect();
    assert_eq!(
        header.last().map(String::as_str),
        Some("rule_for"),
        "the new column is last"
    );
    assert_eq!(
        header[..8],
        [
            "record", "source", "rule", "severity", "outcome", "value", "currency", "message"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            assert_eq!(r.len(), header.len());
            header.iter().cloned().zip(r.iter().map(String::from)).collect()
        })
        .collect()
}

#[test]
fn csv_says_whose_rule_it_is_in_a_last_column() {
    for lang in ["en", "nb"] {
        let rows = csv_rows(&example(&["--format", "csv", "--lang", lang]));
        let cell = |record: &str, rule: &str| {
            rows.iter()
                .find(|r| r["record"] == record && r["rule"] == rule)
                .map(|r| r["rule_for"].clone())
                .unwrap_or_else(|| panic!("no row for {record} {rule}"))
        };
        let steinkjer = rows
            .iter()
            .find(|r| r["record"] == "INN-2021-005" && r["rule"] == "STEINKJER-NAERING-1")
            .expect("the row");
        assert_eq!(steinkjer["outcome"], "fail");
        assert_eq!(steinkjer["rule_for"], "Steinkjer kommune");
        // The cooperation's rules are every party's: nothing to say.
        assert_eq!(cell("INN-2021-005", "INNHERRED-EHANDEL-1"), "");
        // A record with one party never says.
        assert!(
            rows.iter()
                .filter(|r| r["record"] == "INN-2023-007")
                .all(|r| r["rule_for"].is_empty())
        );
        assert!(
            rows.iter()
                .filter(|r| r["record"] != "INN-2021-005")
                .all(|r| r["rule_for"].is_empty()),
            "only the joint procurement has parties to tell apart"
        );
    }
    // Grouped, the column stays last.
    let csv = example(&["--format", "csv", "--group-by", "cooperation"]);
    let header = csv.lines().next().unwrap_or("");
    assert!(
        header.starts_with("group,member,record,") && header.ends_with(",message,rule_for"),
        "{header}"
    );
    assert!(
        csv.lines().any(|l| l.contains(",INN-2021-005,")
            && l.contains("STEINKJER-NAERING-1")
            && l.ends_with(",Steinkjer kommune")),
        "{csv}"
    );
}

/// The row of `record` in the table of the largest non-compliant
/// procurements of a Markdown report.
fn largest_row<'a>(md: &'a str, record: &str) -> &'a str {
    let section = md
        .split("\n## ")
        .find(|s| s.starts_with("Largest non-compliant") || s.starts_with("Største anskaffelser"))
        .expect("the section");
    section
        .lines()
        .find(|l| l.contains(record))
        .unwrap_or_else(|| panic!("no row for {record} in {section}"))
}

#[test]
fn the_largest_non_compliant_list_names_whose_rule_was_broken() {
    let md = example(&["--format", "markdown"]);
    let joint = largest_row(&md, "INN-2021-005");
    assert!(joint.contains("| Verdal kommune |"), "the buyer that led it: {joint}");
    assert!(
        joint.contains("(STEINKJER-NAERING-1): The procurement of 6 000 000 NOK is not divided into lots. — Rule for: Steinkjer kommune"),
        "{joint}"
    );
    // Steinkjer's own procurement: its rule, no one else's to name.
    let own = largest_row(&md, "INN-2023-007");
    assert!(
        own.contains("STEINKJER-NAERING-1") && !own.contains("Rule for"),
        "{own}"
    );
    let md = example(&["--format", "markdown", "--lang", "nb"]);
    assert!(
        largest_row(&md, "INN-2021-005").contains("— Regel for: Steinkjer kommune"),
        "{md}"
    );
    // The HTML report (Norwegian by default), escaped like every text.
    let html = example(&["--format", "html"]);
    let section = &html[html.find("<section id=\"largest\"").expect("the section")..];
    let section = &section[..section.find("</section>").expect("its end")];
    let row = section
        .split("<tr>")
        .find(|r| r.contains("INN-2021-005"))
        .expect("the joint procurement's row");
    assert!(row.contains("Verdal kommune"), "{row}");
    assert!(row.contains("STEINKJER-NAERING-1"), "{row}");
    assert!(row.contains("— Regel for: Steinkjer kommune"), "{row}");
    let own = section
        .split("<tr>")
        .find(|r| r.contains("INN-2023-007"))
        .expect("Steinkjer's own row");
    assert!(!own.contains("Regel for"), "{own}");
}

#[test]
fn junit_says_whose_rule_failed() {
    let xml = example(&["--format", "junit"]);
    let case = xml
        .split("<testcase ")
        .find(|c| c.starts_with("name=\"INN-2021-005 · STEINKJER-NAERING-1\""))
        .expect("the test case");
    assert!(
        case.contains("<failure message=\"The procurement of 6 000 000 NOK is not divided into lots. (Rule for: Steinkjer kommune)\""),
        "{case}"
    );
    assert!(case.contains("\nRule for: Steinkjer kommune\n"), "{case}");
    // A rule of every party, and a record with one party, say nothing.
    assert_eq!(xml.matches("Rule for:").count(), 2, "{xml}");
    let xml = example(&["--format", "junit", "--lang", "nb"]);
    assert!(xml.contains("(Regel for: Steinkjer kommune)\""), "{xml}");
}

#[test]
fn a_members_text_report_says_whose_it_is() {
    let (text, _) = anskaff(&["--member", "d", "--color", "never"], &member_records());
    let second = text.lines().nth(1).unwrap_or("");
    assert!(
        second.starts_with("Report for D kommune: its own procurements and the joint ones it takes part in"),
        "{text}"
    );
    let (text, _) = anskaff(
        &["--member", "d", "--color", "never", "--lang", "nb"],
        &member_records(),
    );
    assert!(
        text.lines().nth(1).unwrap_or("").starts_with("Rapport til D kommune:"),
        "{text}"
    );
    // Without --member, no such line.
    let (text, _) = anskaff(&["--color", "never"], &member_records());
    assert!(!text.contains("Report for"), "{text}");
}
