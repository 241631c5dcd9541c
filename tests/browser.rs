//! The HTML report in a real browser: Debian's Chromium, headless. Renders
//! the README's example run, takes a screenshot and a DOM dump, checks the
//! headline figures and one chart per strategy area, and that the page
//! fetched nothing from the network.
//!
//! Without Chromium the test is skipped with a message, unless
//! `ANSKAFF_REQUIRE_BROWSER` is set (CI sets it): then it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn chromium() -> Option<PathBuf> {
    let fixed = PathBuf::from("/usr/bin/chromium");
    if fixed.is_file() {
        return Some(fixed);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("chromium"))
            .find(|p| p.is_file())
    })
}

/// Run a command, killing it after `limit`.
fn run_with_limit(mut cmd: Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    // Read the output on threads so that a full pipe cannot block the browser.
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut v);
        v
    });
    let err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("chromium did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Chromium, headless, with a fresh profile, nothing in the background.
fn headless(browser: &Path, profile: &Path, net_log: &Path) -> Command {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--log-net-log={}", net_log.display()))
    // Chromium's own services (not the page) would still ask Google for
    // component updates, the network time and the signed-in accounts:
    // switch them off or point them nowhere, so that the run stays on this
    // machine and the net log shows what the page asked for.
    .args([
        "--disable-extensions",
        "--disable-features=NetworkTimeServiceQuerying,OptimizationGuideModelDownloading,OptimizationHints",
        "--component-updater=url-source=file:///nonexistent/",
        "--gaia-url=http://127.0.0.1:9/",
    ]);
    cmd
}

/// What in a net log went to http(s) URLs: (events not belonging to the
/// browser's own requests that name an http(s) URL, the URLs the browser
/// asked for on its own behalf).
///
/// A request the browser makes for its own services has no origin
/// (`initiator: "not an origin"`, like a URL typed in the address bar); a
/// request made by the page, for a script, style, image or font, has the
/// page's origin (`null` for a file). The events of a request (its stream
/// jobs, sockets, name lookups) are linked to it by `source_dependency`:
/// every event linked to one of the browser's own requests is the
/// browser's, and so is a lone event (a name lookup) that names only their
/// hosts; any other event that names an http(s) URL is the page's.
fn network_use(net_log: &Path) -> (Vec<String>, Vec<String>) {
    let text = std::fs::read_to_string(net_log).expect("the net log is written");
    // Chromium may stop before closing the JSON; the events are complete lines.
    let log: serde_json::Value = serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&format!("{}]}}", text.trim_end().trim_end_matches(','))))
        .expect("the net log is JSON");
    let types = &log["constants"]["logEventTypes"];
    let start_job = types["URL_REQUEST_START_JOB"].as_u64().expect("URL_REQUEST_START_JOB");
    let events = log["events"].as_array().expect("events");
    // Sources linked by dependencies, as a union-find over source ids.
    let mut parent: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    fn root(parent: &mut std::collections::HashMap<u64, u64>, mut x: u64) -> u64 {
        while let Some(&p) = parent.get(&x) {
            if p == x {
                break;
            }
            x = p;
        }
        x
    }
    let source = |e: &serde_json::Value| e["source"]["id"].as_u64().unwrap_or(0);
    for e in events {
        let a = source(e);
        parent.entry(a).or_insert(a);
        let deps = e["params"].as_object().into_iter().flat_map(|p| p.values());
        for dep in deps.filter_map(|v| v.get("id").and_then(|id| id.as_u64())) {
            parent.entry(dep).or_insert(dep);
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, dep));
            if ra != rb {
                parent.insert(ra, rb);
            }
        }
    }
    let is_http = |u: &str| u.starts_with("http://") || u.starts_with("https://");
    let mut browser_urls = Vec::new();
    let mut browser_groups = std::collections::HashSet::new();
    let mut by_page = Vec::new();
    for e in events {
        let Some(url) = e["params"]["url"].as_str().filter(|u| is_http(u)) else {
            continue;
        };
        if e["type"].as_u64() == Some(start_job) {
            if e["params"]["initiator"].as_str() == Some("not an origin") {
                browser_urls.push(url.to_string());
                browser_groups.insert(root(&mut parent, source(e)));
            } else {
                by_page.push(url.to_string());
            }
        }
    }
    for e in events {
        if browser_groups.contains(&root(&mut parent, source(e))) {
            continue;
        }
        // An event on its own (a name lookup, a socket) that names only the
        // hosts of the browser's own requests is theirs too.
        let text = e.to_string();
        let named: Vec<&str> = text
            .match_indices("http")
            .map(|(i, _)| &text[i..])
            .filter(|t| is_http(t))
            .map(|t| &t[..t.find(['"', ' ', '\\']).unwrap_or(t.len())])
            .collect();
        if named.iter().any(|u| !browser_urls.iter().any(|b| b.starts_with(u))) {
            by_page.push(text);
        }
    }
    by_page.sort();
    by_page.dedup();
    browser_urls.sort();
    browser_urls.dedup();
    (by_page, browser_urls)
}

/// Open `report` in Chromium twice: a screenshot `height` pixels tall (kept
/// in the temporary directory as `keep`, for people to look at), and the
/// DOM as the browser built it. The DOM, and the net logs of both runs.
fn screenshot_and_dom(browser: &Path, report: &Path, dir: &Path, height: u32, keep: &str) -> (String, [PathBuf; 2]) {
    let url = format!("file://{}", report.display());
    let limit = Duration::from_secs(120);
    let profile = tempfile::tempdir().expect("a profile directory");
    let shot = dir.join("report.png");
    let net_shot = dir.join("net-screenshot.json");
    let mut cmd = headless(browser, profile.path(), &net_shot);
    cmd.arg(format!("--screenshot={}", shot.display()))
        .arg(format!("--window-size=1280,{height}"))
        .arg(&url);
    let o = run_with_limit(cmd, limit);
    assert!(o.status.success(), "chromium: {}", String::from_utf8_lossy(&o.stderr));
    let png = std::fs::read(&shot).expect("the screenshot is written");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 20_000, "a real screenshot");
    let _ = std::fs::copy(&shot, std::env::temp_dir().join(keep));
    let profile = tempfile::tempdir().expect("a profile directory");
    let net_dom = dir.join("net-dom.json");
    let mut cmd = headless(browser, profile.path(), &net_dom);
    cmd.arg("--dump-dom").arg(&url);
    let o = run_with_limit(cmd, limit);
    assert!(o.status.success(), "chromium: {}", String::from_utf8_lossy(&o.stderr));
    (String::from_utf8_lossy(&o.stdout).into_owned(), [net_shot, net_dom])
}

#[test]
fn the_html_report_renders_in_chromium_without_the_network() {
    let Some(browser) = chromium() else {
        if std::env::var_os("ANSKAFF_REQUIRE_BROWSER").is_some() {
            panic!("Chromium is required (ANSKAFF_REQUIRE_BROWSER is set) but /usr/bin/chromium is missing");
        }
        eprintln!(
            "SKIPPED: Chromium not found (install Debian's `chromium`); the HTML report was not checked in a browser"
        );
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report = dir.path().join("report.html");
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args(["check", "--policy", "policies", "--format", "html", "--output"])
        .arg(&report)
        .arg("examples")
        .output()
        .expect("anskaff runs");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let html = std::fs::read_to_string(&report).expect("the report is written");
    // The figures as the JSON report has them.
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args([
            "check",
            "--policy",
            "policies",
            "--format",
            "json",
            "--summary",
            "examples",
        ])
        .output()
        .expect("anskaff runs");
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let records = summary["summary"]["records"].as_u64().expect("records");
    let compliant = summary["summary"]["compliant"].as_u64().expect("compliant");
    let tenths = (compliant * 1000 + records / 2) / records;
    let share = if tenths.is_multiple_of(10) {
        format!("{} %", tenths / 10)
    } else {
        format!("{},{} %", tenths / 10, tenths % 10)
    };
    let areas: Vec<String> = summary["summary"]["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| a["id"].as_str().expect("id").to_string())
        .collect();
    assert!(!areas.is_empty());

    // Nothing in the page points at the network.
    for attr in ["src=", "href="] {
        for (i, _) in html.match_indices(attr) {
            let value = html[i + attr.len()..].trim_start_matches(['"', '\'']);
            assert!(
                !value.starts_with("http://") && !value.starts_with("https://") && !value.starts_with("//"),
                "{attr}{}",
                &value[..value.len().min(60)]
            );
        }
    }

    let (dom, net_logs) = screenshot_and_dom(&browser, &report, dir.path(), 4000, "anskaff-report.png");
    assert!(dom.contains("<html lang=\"nb\">"), "{}", &dom[..dom.len().min(300)]);
    assert!(dom.contains(&share), "the compliant share of records, {share}");
    assert!(dom.contains(&format!("{compliant} av {records}")));
    for area in &areas {
        let charts = dom.matches(&format!("data-area=\"{area}\"")).count();
        assert_eq!(charts, 1, "one chart for the area {area}");
    }
    assert_eq!(dom.matches("data-area=").count(), areas.len(), "one chart per area");
    let figures: Vec<&str> = dom.split("<figure class=\"chart\" data-area=").skip(1).collect();
    assert!(figures.iter().all(|f| f.contains("<svg class=\"chart\" role=\"img\"")));

    // No request from the page; the browser's own requests are named.
    for log in &net_logs {
        let (by_page, browser_own) = network_use(log);
        assert!(by_page.is_empty(), "the page requested {by_page:?}");
        if !browser_own.is_empty() {
            eprintln!("note: Chromium's own requests (not the page's): {browser_own:?}");
        }
    }
}

/// The report grouped by cooperation (`--group-by cooperation`): the
/// overview that puts Innherred innkjøp's members side by side, per strategy
/// area, and one section per member, as Chromium draws them.
#[test]
fn the_cooperation_overview_renders_in_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var_os("ANSKAFF_REQUIRE_BROWSER").is_some() {
            panic!("Chromium is required (ANSKAFF_REQUIRE_BROWSER is set) but /usr/bin/chromium is missing");
        }
        eprintln!("SKIPPED: Chromium not found; the cooperation overview was not checked in a browser");
        return;
    };
    let dir = tempfile::tempdir().expect("a temporary directory");
    let report = dir.path().join("cooperation.html");
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args([
            "check",
            "--policy",
            "policies",
            "--group-by",
            "cooperation",
            "--format",
            "html",
            "--output",
        ])
        .arg(&report)
        .arg("examples/cooperation.jsonl")
        .output()
        .expect("anskaff runs");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    // The figures as the JSON report has them.
    let o = Command::new(env!("CARGO_BIN_EXE_anskaff"))
        .args([
            "check",
            "--policy",
            "policies",
            "--group-by",
            "cooperation",
            "--format",
            "json",
            "--summary",
            "examples/cooperation.jsonl",
        ])
        .output()
        .expect("anskaff runs");
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let innherred = json["summary"]["groups"]["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["id"] == "innherred-innkjop"))
        .cloned()
        .expect("Innherred innkjøp is a group");
    let members: Vec<(String, String)> = innherred["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            let nok = &m["spend"]["NOK"];
            let (c, t) = (
                nok["compliant"]
                    .as_str()
                    .and_then(|s| s.parse::<f64>().ok())
                    .unwrap_or(0.0),
                nok["total"].as_str().and_then(|s| s.parse::<f64>().ok()).unwrap_or(1.0),
            );
            let share = (c * 1000.0 / t).round() as u64;
            let share = if share.is_multiple_of(10) {
                format!("{} %", share / 10)
            } else {
                format!("{},{} %", share / 10, share % 10)
            };
            (m["name"].as_str().unwrap_or("").to_string(), share)
        })
        .collect();
    assert_eq!(members.len(), 6, "the six municipalities of Innherred innkjøp");

    let (dom, net_logs) = screenshot_and_dom(&browser, &report, dir.path(), 2400, "anskaff-cooperation.png");
    let start = dom
        .find("<section id=\"coop-1-innherred-innkjop\"")
        .expect("the overview section");
    let overview = &dom[start..];
    let overview = &overview[..overview.find("</section>").expect("closed")];
    assert!(overview.contains("Innherred innkjøp: medlemmene side om side"));
    // One matrix chart, members over areas, with its words and its table.
    assert_eq!(overview.matches("<svg class=\"chart\" role=\"img\"").count(), 1);
    for (name, share) in &members {
        assert!(
            overview.contains(&format!("{name}: Alle områder {share}")),
            "{name} with {share} of its value compliant, in the chart's description"
        );
        assert!(
            overview.contains(&format!("<th scope=\"row\" class=\"nw\">{name}</th>")),
            "{name} in the table"
        );
    }
    // A section per member, after the overview; not in the table of contents.
    for (i, (name, _)) in members.iter().enumerate() {
        let id = format!("<section id=\"member-1-{}-", i + 1);
        let at = dom.find(&id).unwrap_or_else(|| panic!("a section for {name}"));
        assert!(at > start);
        assert!(dom[at..].contains(&format!("{name} · Innherred innkjøp")));
    }
    let nav = &dom[dom.find("<nav").expect("nav")..dom.find("</nav>").expect("nav")];
    assert!(nav.contains("#coop-1-innherred-innkjop") && !nav.contains("#member-1-1-"));
    for log in &net_logs {
        let (by_page, _) = network_use(log);
        assert!(by_page.is_empty(), "the page requested {by_page:?}");
    }

    // At 1280 px the members' table fits its box and the page: no column
    // is hidden behind a sideways scroll. The report has no script, so a
    // copy of it (without its content security policy) measures itself
    // and writes the widths into the DOM that Chromium dumps.
    let html = std::fs::read_to_string(&report).expect("the report is written");
    assert!(!html.contains("<script"), "the report itself has no script");
    let csp = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("the CSP");
    let csp_end = csp + html[csp..].find('>').expect("closed") + 1;
    let measured = format!(
        "{}{}",
        &html[..csp],
        &html[csp_end..].replace(
            "</body>",
            "<script>var t=document.querySelector('#coop-1-innherred-innkjop figure table');\
             var e=document.documentElement;\
             document.body.setAttribute('data-widths',[Math.ceil(t.scrollWidth),t.parentElement.clientWidth,e.scrollWidth,e.clientWidth].join(' '));\
             </script></body>",
        )
    );
    let copy = dir.path().join("measured.html");
    std::fs::write(&copy, measured).expect("the copy is written");
    let profile = tempfile::tempdir().expect("a profile directory");
    let mut cmd = headless(&browser, profile.path(), &dir.path().join("net-measure.json"));
    cmd.arg("--window-size=1280,2400")
        .arg("--dump-dom")
        .arg(format!("file://{}", copy.display()));
    let o = run_with_limit(cmd, Duration::from_secs(120));
    assert!(o.status.success(), "chromium: {}", String::from_utf8_lossy(&o.stderr));
    let dom = String::from_utf8_lossy(&o.stdout);
    let at = dom.find("data-widths=\"").expect("the copy measured itself") + "data-widths=\"".len();
    let widths: Vec<u32> = dom[at..dom[at..].find('"').map(|e| at + e).expect("closed")]
        .split(' ')
        .map(|w| w.parse().expect("a width"))
        .collect();
    let [table, its_box, page, viewport] = widths[..] else {
        panic!("four widths: {widths:?}")
    };
    assert!(
        table <= its_box,
        "the members' table ({table} px) is wider than its box ({its_box} px)"
    );
    assert!(
        page <= viewport,
        "the page ({page} px) is wider than the window ({viewport} px)"
    );
}
