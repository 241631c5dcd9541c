//! `anskaff serve` end to end: the real binary on an ephemeral loopback
//! port, spoken to over raw HTTP/1.1. Every endpoint, the limits (body size,
//! timeout, concurrency), the token, reload on SIGHUP, bad input, the page,
//! and the page in headless Chromium.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anskaff");

/// A diesel van for Viken: fails VIKEN-KLIMA-1.
const DIESEL_VAN: &str = r#"{"id": "VAN-1", "title": "Varebiler", "buyer": {"id": "921693230", "name": "Viken fylkeskommune", "kind": "county"}, "date": "2022-06-01", "category": "goods", "cpv": ["34136000"], "procedure": "open", "estimated_value": {"amount": "3200000", "currency": "NOK"}, "vehicles": [{"class": "N1", "count": 4, "fuel": "diesel"}]}"#;

// ---------------------------------------------------------------------------
// The server

/// A running `anskaff serve`, killed when dropped.
struct Server {
    child: Child,
    addr: String,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    fn start(args: &[&str]) -> Server {
        Self::try_start(args).unwrap_or_else(|(code, err)| panic!("the server did not start ({code:?}): {err}"))
    }

    /// Start the server; `Err` with its exit code and standard error if it
    /// does not print its address.
    fn try_start(args: &[&str]) -> Result<Server, (Option<i32>, String)> {
        let mut cmd = Command::new(BIN);
        cmd.arg("serve").args(["--addr", "127.0.0.1:0"]);
        if !args.contains(&"--policy") {
            cmd.args(["--policy", "policies"]);
        }
        let mut child = cmd
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("anskaff serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let err = child.stderr.take().expect("stderr");
            let log = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut l = log.lock().unwrap_or_else(|e| e.into_inner());
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(out);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = tx.send(line);
            // Keep reading so that the server never blocks on a full pipe.
            let mut rest = Vec::new();
            let _ = reader.read_to_end(&mut rest);
        });
        let line = rx.recv_timeout(Duration::from_secs(20)).unwrap_or_default();
        match line.trim().strip_prefix("listening on http://") {
            Some(addr) => Ok(Server {
                child,
                addr: addr.to_string(),
                stderr,
            }),
            None => {
                let code = wait_exit(&mut child, Duration::from_secs(10));
                std::thread::sleep(Duration::from_millis(100));
                let err = stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
                let _ = child.kill();
                let _ = child.wait();
                Err((code, err))
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn hangup(&self) {
        let status = Command::new("kill")
            .args(["-s", "HUP", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, &[], b"")
    }

    fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Response {
        request(&self.addr, "POST", path, &[("Content-Type", content_type)], body)
    }

    fn post_json(&self, path: &str, body: &str) -> Response {
        self.post(path, "application/json", body.as_bytes())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if let Ok(Some(status)) = child.try_wait() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

// ---------------------------------------------------------------------------
// A small HTTP/1.1 client

#[derive(Debug)]
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    /// A problem document with this status.
    fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/problem+json"));
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(
            p["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("urn:anskaff:problem:")),
            "{p}"
        );
        assert!(
            p["title"].is_string() && p["detail"].is_string() && p["errors"].is_array(),
            "{p}"
        );
        p
    }
}

fn connect(addr: &str) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    s
}

fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut s = connect(addr);
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" || !body.is_empty() {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).expect("sends");
    // The server may answer (413) before reading the whole body.
    let _ = s.write_all(body);
    read_response(&mut s)
}

/// Read one response: up to its Content-Length, to the last chunk, or to
/// the end of the connection.
fn read_response(s: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16384];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let body = raw.len() - end - 4;
            if length.is_some_and(|n| body >= n) || (head.contains("chunked") && raw.ends_with(b"0\r\n\r\n")) {
                break;
            }
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> Response {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[end + 4..].to_vec();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Response { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..nl]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = nl + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "anskaff-test-boundary-7d1c";
    let mut body = Vec::new();
    for (name, file, content) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match file {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&enc(k));
        out.push('=');
        out.push_str(&enc(v));
    }
    out.into_bytes()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `anskaff check` on standard input.
fn cli_check(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(BIN)
        .arg("check")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("anskaff check starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("written");
    child.wait_with_output().expect("anskaff check ends")
}

fn first_lines(path: &str, n: usize) -> String {
    let text = std::fs::read_to_string(path).expect("read");
    text.lines().take(n).map(|l| format!("{l}\n")).collect()
}

fn finding<'a>(report: &'a Value, record: &str, rule: &str) -> &'a Value {
    report["records"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == record))
        .and_then(|r| r["findings"].as_array())
        .and_then(|fs| fs.iter().find(|f| f["rule"] == rule))
        .unwrap_or_else(|| panic!("no finding {rule} on {record}"))
}

// ---------------------------------------------------------------------------
// The API

#[test]
fn check_gives_the_cli_report() {
    let server = Server::start(&[]);
    let health = server.get("/healthz");
    assert_eq!(health.status, 200);
    assert_eq!(health.json()["status"], "ok");

    // JSON Lines: byte for byte what `anskaff check --format json -` writes.
    let records = first_lines("examples/tenders.jsonl", 12);
    let api = server.post("/v1/check", "application/x-ndjson", records.as_bytes());
    assert_eq!(api.status, 200, "{}", api.text());
    assert_eq!(api.header("content-type"), Some("application/json"));
    assert_eq!(api.header("anskaff-policies-generation"), Some("1"));
    let cli = cli_check(&["--policy", "policies", "--format", "json", "-"], &records);
    assert_eq!(api.text(), String::from_utf8_lossy(&cli.stdout));

    // The other report formats, and the language.
    let cli_text = cli_check(
        &["--policy", "policies", "--lang", "nb", "--color", "never", "-"],
        &records,
    );
    let text = server.post(
        "/v1/check?format=text&lang=nb",
        "application/x-ndjson",
        records.as_bytes(),
    );
    assert_eq!(text.status, 200);
    assert_eq!(text.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(text.text(), String::from_utf8_lossy(&cli_text.stdout));
    for (format, media) in [
        ("html", "text/html; charset=utf-8"),
        ("markdown", "text/markdown; charset=utf-8"),
        ("junit", "application/xml"),
        ("csv", "text/csv; charset=utf-8"),
    ] {
        let r = server.post_json(&format!("/v1/check?format={format}"), DIESEL_VAN);
        assert_eq!(r.status, 200, "{format}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(media), "{format}");
        assert!(!r.body.is_empty());
    }
    let p = server.post_json("/v1/check?format=pdf", DIESEL_VAN).problem(400);
    assert!(
        p["detail"]
            .as_str()
            .is_some_and(|d| d.contains("pdf") && d.contains("html"))
    );
    server.post_json("/v1/check?lang=de", DIESEL_VAN).problem(400);

    // One record, an array, and {"records": [...]} as application/json.
    let one = server.post_json("/v1/check", DIESEL_VAN).json();
    assert_eq!(finding(&one, "VAN-1", "VIKEN-KLIMA-1")["outcome"], "fail");
    assert_eq!(one["inputs"], serde_json::json!(["-"]));
    let two = format!("[{DIESEL_VAN},\n{}]", DIESEL_VAN.replace("VAN-1", "VAN-2"));
    let r = server.post_json("/v1/check", &two).json();
    assert_eq!(r["summary"]["records"], 2);
    assert_eq!(r["records"][1]["source"]["line"], 2);
    let wrapped = format!(r#"{{"records": [{DIESEL_VAN}]}}"#);
    assert_eq!(
        server.post_json("/v1/check", &wrapped).json()["summary"]["non_compliant"],
        1
    );

    // An upload: the plan as CSV and as XLSX, like `anskaff check` on the files.
    for file in [
        "examples/plans/anskaffelsesplan-2025.csv",
        "examples/plans/anskaffelsesplan-2025.xlsx",
    ] {
        let bytes = std::fs::read(file).expect("plan");
        let name = Path::new(file).file_name().and_then(|n| n.to_str()).expect("name");
        let (ct, body) = multipart(&[("file", Some(name), &bytes)]);
        let r = server.post("/v1/check", &ct, &body);
        assert_eq!(r.status, 200, "{file}: {}", r.text());
        let report = r.json();
        assert_eq!(report["inputs"], serde_json::json!([name]));
        let cli = Command::new(BIN)
            .current_dir("examples/plans")
            .args(["check", "--policy", "../../policies", "--format", "json", name])
            .output()
            .expect("cli");
        let cli: Value = serde_json::from_slice(&cli.stdout).expect("cli json");
        assert_eq!(report["summary"], cli["summary"], "{file}");
        assert_eq!(report["records"], cli["records"], "{file}");
        assert!(report["records"].as_array().is_some_and(|r| r.len() > 10));
    }
    // The name of an upload says nothing: its content decides.
    let (ct, body) = multipart(&[("file", Some("records"), DIESEL_VAN.as_bytes())]);
    let r = server.post("/v1/check?format=text", &ct, &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("VIKEN-KLIMA-1"));

    // What is loaded.
    let policies = server.get("/v1/policies").json();
    assert_eq!(policies["generation"], 1);
    let viken = policies["policies"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["id"] == "viken.anskaffelsesstrategi-2021"))
        .expect("viken")
        .clone();
    assert_eq!(viken["version"], "2021.1");
    assert_eq!(viken["in_force"]["from"], "2021-03-17");
    assert_eq!(viken["in_force"]["to"], "2023-12-31");
    assert!(viken["title"]["nb"].as_str().is_some_and(|t| t.contains("Viken")));
    assert_eq!(param(&policies, "lcc_threshold"), "2 300 000 NOK");
    let rules = server.get("/v1/rules").json();
    let klima = rules["rules"]
        .as_array()
        .and_then(|rs| rs.iter().find(|r| r["id"] == "VIKEN-KLIMA-1"))
        .expect("rule")
        .clone();
    assert_eq!(klima["severity"], "must");
    assert_eq!(klima["area"], "climate");
    assert_eq!(klima["title"]["en"], "All vehicles must run on fossil-free fuel");
    assert!(klima["title"]["nb"].is_string() && klima["basis"].is_string());
    assert!(klima["advice"]["nb"].as_str().is_some_and(|a| a.contains("HVO100")));
    assert_eq!(param(&rules, "lcc_threshold"), "2 300 000 NOK");

    // The OpenAPI document describes every endpoint.
    let doc = server.get("/v1/openapi.json");
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    for (path, method) in [
        ("/v1/check", "post"),
        ("/v1/policies", "get"),
        ("/v1/rules", "get"),
        ("/v1/openapi.json", "get"),
        ("/healthz", "get"),
    ] {
        let op = &doc["paths"][path][method];
        assert!(op["responses"]["200"].is_object(), "{method} {path}");
        assert!(op["operationId"].is_string(), "{method} {path}");
    }
    check_refs(&doc, &doc);

    // Anything else is a 404 problem; policies cannot be changed.
    server.get("/v1/nothing").problem(404);
    assert_eq!(server.post_json("/v1/policies", "{}").status, 405);
    assert!(server.stderr().contains("anskaff serve:"));
}

fn param(doc: &Value, name: &str) -> String {
    doc["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == name))
        .and_then(|p| p["value"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Every `$ref` in the document points at something in it.
fn check_refs(doc: &Value, at: &Value) {
    match at {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let pointer = r.strip_prefix('#').expect("local ref");
                assert!(doc.pointer(pointer).is_some(), "dangling $ref {r}");
            }
            m.values().for_each(|v| check_refs(doc, v));
        }
        Value::Array(a) => a.iter().for_each(|v| check_refs(doc, v)),
        _ => {}
    }
}

#[test]
fn bad_input_gives_problem_documents() {
    let server = Server::start(&[]);
    // Broken JSON: the input errors of `anskaff check`, with file and line.
    let input =
        format!("{DIESEL_VAN}\n{{\"id\": \"X\", \"title\": \"Hemmelig anbud\"\n[1, 2]\n{{\"title\": \"no id\"}}\n");
    let p = server
        .post("/v1/check", "application/x-ndjson", input.as_bytes())
        .problem(400);
    assert_eq!(p["type"], "urn:anskaff:problem:invalid-input");
    let cli = cli_check(&["--policy", "policies", "--format", "json", "-"], &input);
    assert_eq!(cli.status.code(), Some(3));
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("cli json");
    assert_eq!(p["errors"], cli["input_errors"]);
    assert_eq!(p["errors"][0]["source"]["file"], "-");
    assert_eq!(p["errors"][0]["source"]["line"], 2);
    assert_eq!(p["errors"].as_array().map(Vec::len), Some(3));
    let p = server.post_json("/v1/check", "{\"id\": ").problem(400);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ends too early"))
    );
    // Not records at all, no records, nothing.
    server.post_json("/v1/check", "\"text\"").problem(400);
    server.post_json("/v1/check", "[]").problem(400);
    server.post_json("/v1/check", "").problem(400);
    server.post_json("/v1/check", "\u{feff}  \n").problem(400);
    server.post("/v1/check", "text/plain", b"hello").problem(415);
    // Uploads: no file, a file of no known format, an empty file, a broken workbook.
    let (ct, body) = multipart(&[("other", None, b"x")]);
    server.post("/v1/check", &ct, &body).problem(400);
    let (ct, body) = multipart(&[("file", Some("notes.txt"), b"just words")]);
    let p = server.post("/v1/check", &ct, &body).problem(400);
    assert_eq!(p["errors"][0]["source"]["file"], "notes.txt");
    let (ct, body) = multipart(&[("file", Some("plan.csv"), b"")]);
    server.post("/v1/check", &ct, &body).problem(400);
    let (ct, body) = multipart(&[("file", Some("plan.xlsx"), b"PK\x03\x04 not really a workbook")]);
    let p = server.post("/v1/check", &ct, &body).problem(400);
    assert_eq!(p["errors"][0]["source"]["file"], "plan.xlsx");
    let (ct, body) = multipart(&[("file", Some("../../etc/plan.json"), b"{\"id\": ")]);
    let p = server.post("/v1/check", &ct, &body).problem(400);
    assert_eq!(p["errors"][0]["source"]["file"], "plan.json");
    // A broken multipart body.
    server
        .post("/v1/check", "multipart/form-data; boundary=x", b"--x\r\nnonsense")
        .problem(400);
    // Records are never logged.
    std::thread::sleep(Duration::from_millis(100));
    let log = server.stderr();
    assert!(!log.contains("Hemmelig") && !log.contains("VAN-1"), "{log}");
}

#[test]
fn limits_answer_413_408_and_503() {
    let server = Server::start(&["--max-body", "4000", "--timeout", "1s", "--max-concurrent", "1"]);
    // Too large, said up front or found while reading.
    let big = format!("[{}]", vec![DIESEL_VAN; 40].join(",\n"));
    let p = server.post_json("/v1/check", &big).problem(413);
    assert_eq!(p["type"], "urn:anskaff:problem:too-large");
    let mut s = connect(&server.addr);
    let head = "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    s.write_all(head.as_bytes()).expect("sends");
    for _ in 0..10 {
        let chunk = format!("{:x}\r\n{}\r\n", 1000, "x".repeat(1000));
        if s.write_all(chunk.as_bytes()).is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    read_response(&mut s).problem(413);
    let (ct, body) = multipart(&[("file", Some("big.json"), big.as_bytes())]);
    server.post("/v1/check", &ct, &body).problem(413);

    // A body sent too slowly: 408 once the timeout has passed. While it
    // holds the only turn, another request waits and then gets 503.
    let mut slow = connect(&server.addr);
    let start = Instant::now();
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        DIESEL_VAN.len()
    );
    slow.write_all(head.as_bytes()).expect("sends");
    slow.write_all(&DIESEL_VAN.as_bytes()[..10]).expect("sends");
    std::thread::sleep(Duration::from_millis(200));
    let waiting = server.get("/v1/policies");
    let p = waiting.problem(503);
    assert_eq!(p["type"], "urn:anskaff:problem:busy");
    assert!(waiting.header("retry-after").is_some());
    let p = read_response(&mut slow).problem(408);
    assert_eq!(p["type"], "urn:anskaff:problem:timeout");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    // The service goes on.
    assert_eq!(server.post_json("/v1/check", DIESEL_VAN).status, 200);
    assert_eq!(server.get("/healthz").status, 200);
}

#[test]
fn token_guards_the_api() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret-token-for-tests\n").expect("written");
    let tf = token_file.to_str().expect("path");
    let server = Server::start(&["--token-file", tf]);
    let p = server.get("/v1/policies").problem(401);
    assert_eq!(p["type"], "urn:anskaff:problem:unauthorized");
    let bearer = |t: &str| request(&server.addr, "GET", "/v1/rules", &[("Authorization", t)], b"");
    let r = bearer("Bearer wrong-token-for-tests!");
    assert!(r.header("www-authenticate").is_some_and(|v| v.starts_with("Bearer")));
    r.problem(401);
    bearer("Bearer s3cret-token-for-tests-and-more").problem(401);
    bearer("Basic s3cret-token-for-tests").problem(401);
    assert_eq!(bearer("Bearer s3cret-token-for-tests").status, 200);
    let r = request(
        &server.addr,
        "POST",
        "/v1/check",
        &[
            ("Content-Type", "application/json"),
            ("Authorization", "Bearer s3cret-token-for-tests"),
        ],
        DIESEL_VAN.as_bytes(),
    );
    assert_eq!(r.status, 200);
    server.post_json("/v1/check", DIESEL_VAN).problem(401);
    server.get("/v1/openapi.json").problem(401);
    // On loopback the page and the health check stay open.
    assert_eq!(server.get("/healthz").status, 200);
    assert_eq!(server.get("/").status, 200);

    // Not loopback: refused without a token, with a clear message.
    let refused = Command::new(BIN)
        .args(["serve", "--policy", "policies", "--addr", "0.0.0.0:0"])
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(2));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains("not a loopback address") && err.contains("--token-file"),
        "{err}"
    );
    assert!(refused.stdout.is_empty());
    // An empty token file, a missing one, policies that do not load.
    std::fs::write(&token_file, "\n").expect("written");
    let (code, err) = Server::try_start(&["--token-file", tf]).err().expect("refused");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("empty"), "{err}");
    let (code, _) = Server::try_start(&["--token-file", "/nonexistent/token"])
        .err()
        .expect("refused");
    assert_eq!(code, Some(2));
    let (code, err) = Server::try_start(&["--policy", "tests/fixtures/policies/cycle_a.policy"])
        .err()
        .expect("refused");
    assert_eq!(code, Some(2), "{err}");
}

#[test]
fn sighup_reloads_the_policies_and_keeps_them_if_broken() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(Path::new("policies"), dir.path());
    let viken = dir.path().join("viken/anskaffelsesstrategi-2021.policy");
    let original = std::fs::read_to_string(&viken).expect("policy");
    let policy_dir = dir.path().to_str().expect("path");
    let server = Server::start(&["--policy", policy_dir]);
    // A 3.2 MNOK van: above the LCC threshold of 2.3 MNOK.
    let before = server.post_json("/v1/check", DIESEL_VAN).json();
    assert_eq!(finding(&before, "VAN-1", "VIKEN-OKONOMI-2")["outcome"], "unknown");

    let changed = original.replace(
        "param lcc_threshold = 2 300 000 NOK",
        "param lcc_threshold = 5 000 000 NOK",
    );
    assert_ne!(changed, original);
    std::fs::write(&viken, &changed).expect("written");
    server.hangup();
    let policies = wait_for(|| {
        let p = server.get("/v1/policies").json();
        (p["generation"] == 2).then_some(p)
    });
    assert_eq!(param(&policies, "lcc_threshold"), "5 000 000 NOK");
    let after = server.post_json("/v1/check", DIESEL_VAN);
    assert_eq!(after.header("anskaff-policies-generation"), Some("2"));
    assert_eq!(
        finding(&after.json(), "VAN-1", "VIKEN-OKONOMI-2")["outcome"],
        "not_applicable"
    );

    // A broken policy: the old set stays, and the log says why.
    std::fs::write(&viken, changed.replace("rule VIKEN-KLIMA-1 {", "rule VIKEN-KLIMA-1 {{")).expect("written");
    server.hangup();
    wait_for(|| server.stderr().contains("still serving generation 2").then_some(()));
    assert!(
        server.stderr().contains("anskaffelsesstrategi-2021.policy"),
        "{}",
        server.stderr()
    );
    let policies = server.get("/v1/policies").json();
    assert_eq!(policies["generation"], 2);
    assert_eq!(param(&policies, "lcc_threshold"), "5 000 000 NOK");
    let still = server.post_json("/v1/check", DIESEL_VAN).json();
    assert_eq!(finding(&still, "VAN-1", "VIKEN-KLIMA-1")["outcome"], "fail");
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Poll until `f` gives a value (at most 10 s).
fn wait_for<T>(mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "gave up waiting");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// The page

/// Every visible input, select and textarea has a `<label for>`.
fn assert_labelled(html: &str) {
    let mut controls = 0;
    for tag in ["<input ", "<select ", "<textarea "] {
        for (at, _) in html.match_indices(tag) {
            let rest = &html[at..];
            let end = rest.find('>').unwrap_or(rest.len());
            let element = &rest[..end];
            if element.contains("type=\"hidden\"") {
                continue;
            }
            let id = element
                .split("id=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .unwrap_or_else(|| panic!("no id: {element}"));
            assert!(html.contains(&format!("<label for=\"{id}\">")), "no label for {id}");
            controls += 1;
        }
    }
    assert!(controls > 30, "{controls} controls");
}

#[test]
fn page_checks_a_planned_tender() {
    let server = Server::start(&[]);
    let page = server.get("/");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let csp = page.header("content-security-policy").unwrap_or_default().to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let html = page.text();
    assert!(html.contains("<html lang=\"nb\">") && html.contains("Sjekk anskaffelsen"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert_labelled(&html);
    let en = server.get("/?lang=en").text();
    assert!(en.contains("<html lang=\"en\">") && en.contains("Check the tender"));

    // A diesel van: the finding, its message and its advice, in Norwegian.
    let tender = [
        ("lang", "nb"),
        ("title", "Varebiler <til> drift"),
        ("buyer_name", "Viken fylkeskommune"),
        ("buyer_id", "921 693 230"),
        ("buyer_kind", "county"),
        ("date", "2022-06-01"),
        ("category", "goods"),
        ("cpv", "34136000"),
        ("estimated_value", "3 200 000"),
        ("procedure", "open"),
        ("veh_class_1", "N1"),
        ("veh_count_1", "4"),
        ("veh_fuel_1", "diesel"),
        ("crit_name_1", "Pris"),
        ("crit_type_1", "price"),
        ("crit_weight_1", "70"),
        ("crit_name_2", "Miljø"),
        ("crit_type_2", "environment"),
        ("crit_weight_2", "30 %"),
    ];
    let r = server.post("/check-form", "application/x-www-form-urlencoded", &form(&tender));
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("VIKEN-KLIMA-1"), "{html}");
    assert!(html.contains("ikke i samsvar"));
    assert!(html.contains("1 av kjøretøyene går ikke på fossilfritt drivstoff"));
    assert!(html.contains("Slik retter du det:</strong> Krev elektrisitet, hydrogen, biogass, HVO100 eller ED95"));
    // The form comes back with the user's values, escaped.
    assert!(html.contains("value=\"Varebiler &lt;til&gt; drift\""));
    assert!(!html.contains("<til>"));
    assert!(html.contains("<option value=\"diesel\" selected>"));
    assert_labelled(&html);
    // The same with GET, in English.
    let query = String::from_utf8(form(&tender))
        .expect("ascii")
        .replace("lang=nb", "lang=en");
    let r = server.get(&format!("/check-form?{query}"));
    assert_eq!(r.status, 200);
    let html = r.text();
    assert!(html.contains("Require electricity, hydrogen, biogas, HVO100 or ED95"));
    assert!(html.contains("non-compliant"));

    // An amount that cannot be read: the message next to the field, the
    // form again with what the user wrote.
    let mut bad = tender.to_vec();
    bad.retain(|(k, _)| *k != "estimated_value");
    bad.push(("estimated_value", "1,3 mill"));
    bad.push(("veh_class_2", "M1"));
    let r = server.post("/check-form", "application/x-www-form-urlencoded", &form(&bad));
    assert_eq!(r.status, 422);
    let html = r.text();
    let error = html.find("id=\"estimated_value-error\"").expect("error shown");
    let input = html
        .find("id=\"estimated_value\" name=\"estimated_value\" value=\"1,3 mill\"")
        .expect("value kept");
    let label = html.find("<label for=\"estimated_value\">").expect("label");
    assert!(label < error && error < input, "the error stands at its field");
    assert!(html[error..input].contains("«1,3 mill» kan ikke leses som et beløp"));
    assert!(html.contains("aria-describedby=\"estimated_value-hint estimated_value-error\" aria-invalid=\"true\""));
    assert!(
        html.contains("href=\"#estimated_value\""),
        "the summary links to the field"
    );
    assert!(html.contains("id=\"veh_fuel_2-error\""), "a vehicle without fuel");
    assert!(!html.contains("VIKEN-KLIMA-1"), "nothing was checked");
    assert!(html.contains("value=\"Varebiler &lt;til&gt; drift\""));

    // Upload a procurement plan: the HTML report.
    let plan = std::fs::read("examples/plans/anskaffelsesplan-2025.xlsx").expect("plan");
    let (ct, body) = multipart(&[
        ("lang", None, b"nb"),
        ("file", Some("anskaffelsesplan-2025.xlsx"), &plan),
    ]);
    let r = server.post("/check-upload", &ct, &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(r.text().contains("<html"));
    let (ct, body) = multipart(&[("file", Some("plan.pdf"), b"%PDF-1.4")]);
    let r = server.post("/check-upload?lang=en", &ct, &body);
    assert_eq!(r.status, 400);
    let html = r.text();
    assert!(html.contains("id=\"file-error\"") && html.contains("unknown input format"));
    assert_labelled(&html);
}

// ---------------------------------------------------------------------------
// The page in a real browser

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

/// Headless Chromium, killed when dropped (its helper processes end with
/// it).
struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    port: u16,
}

impl Browser {
    fn start(exe: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("profile dir");
        let child = Command::new(exe)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "--window-size=1100,1400",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium starts");
        let mut browser = Browser {
            child,
            _profile: profile,
            port: 0,
        };
        // Chromium writes the port it chose to DevToolsActivePort.
        let file = browser._profile.path().join("DevToolsActivePort");
        browser.port = wait_for(|| {
            std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| t.lines().next().and_then(|l| l.trim().parse().ok()))
        });
        browser
    }

    /// The DevTools WebSocket address of the browser's page.
    fn page_socket(&self) -> String {
        wait_for(|| {
            let r = request(&format!("127.0.0.1:{}", self.port), "GET", "/json/list", &[], b"");
            let list: Value = serde_json::from_slice(&r.body).ok()?;
            list.as_array()?
                .iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                .map(str::to_string)
        })
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A DevTools protocol session over a WebSocket.
struct Devtools {
    socket: tungstenite::WebSocket<TcpStream>,
    next_id: u64,
    events: Vec<Value>,
}

impl Devtools {
    fn connect(url: &str) -> Devtools {
        let hostport = url
            .strip_prefix("ws://")
            .and_then(|r| r.split('/').next())
            .expect("ws url");
        let stream = TcpStream::connect(hostport).expect("devtools connects");
        stream.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
        let (socket, _) = tungstenite::client::client(url, stream).expect("websocket handshake");
        Devtools {
            socket,
            next_id: 0,
            events: Vec::new(),
        }
    }

    fn read(&mut self) -> Value {
        loop {
            match self.socket.read().expect("devtools message") {
                tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).expect("json"),
                tungstenite::Message::Close(_) => panic!("devtools closed"),
                _ => {}
            }
        }
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = serde_json::json!({"id": id, "method": method, "params": params});
        self.socket
            .send(tungstenite::Message::Text(msg.to_string().into()))
            .expect("sends");
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < Duration::from_secs(20), "{method}: no answer");
            let m = self.read();
            if m["id"] == id {
                assert!(m["error"].is_null(), "{method}: {m}");
                return m["result"].clone();
            }
            self.events.push(m);
        }
    }

    fn wait_event(&mut self, method: &str) -> Value {
        let start = Instant::now();
        loop {
            if let Some(at) = self.events.iter().position(|e| e["method"] == method) {
                return self.events.remove(at);
            }
            assert!(start.elapsed() < Duration::from_secs(20), "no {method}");
            let m = self.read();
            self.events.push(m);
        }
    }

    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            serde_json::json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        assert!(r["exceptionDetails"].is_null(), "{expression}: {r}");
        r["result"]["value"].clone()
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn browser_fills_in_the_form_and_sees_the_finding() {
    let Some(exe) = chromium() else {
        if std::env::var_os("ANSKAFF_REQUIRE_BROWSER").is_some() {
            panic!("chromium is not installed, and ANSKAFF_REQUIRE_BROWSER is set");
        }
        eprintln!("SKIPPED browser_fills_in_the_form_and_sees_the_finding: chromium is not installed");
        return;
    };
    let server = Server::start(&[]);
    let browser = Browser::start(&exe);
    let mut dt = Devtools::connect(&browser.page_socket());
    dt.call("Page.enable", serde_json::json!({}));
    dt.call(
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({"width": 1100, "height": 1400, "deviceScaleFactor": 1, "mobile": false}),
    );
    dt.call("Page.navigate", serde_json::json!({"url": server.url("/")}));
    dt.wait_event("Page.loadEventFired");
    assert_eq!(dt.eval("document.documentElement.lang"), "nb");

    // Fill in the planned tender as a user would: focus each field and type
    // into it; choose in the selects.
    let typed = [
        ("title", "Varebiler til driftsavdelingen"),
        ("buyer_name", "Viken fylkeskommune"),
        ("buyer_id", "921 693 230"),
        ("cpv", "34136000"),
        ("estimated_value", "3 200 000"),
        ("veh_class_1", "N1 (varebil)"),
        ("veh_count_1", "4"),
        ("lots_count", "2"),
        ("crit_name_1", "Pris"),
        ("crit_weight_1", "70"),
        ("crit_name_2", "Klima og miljø"),
        ("crit_weight_2", "30"),
    ];
    for (id, text) in typed {
        dt.eval(&format!("document.getElementById('{id}').focus()"));
        dt.call("Input.insertText", serde_json::json!({"text": text}));
    }
    let chosen = [
        ("buyer_kind", "county"),
        ("category", "goods"),
        ("procedure", "open"),
        ("veh_fuel_1", "diesel"),
        ("crit_type_1", "price"),
        ("crit_type_2", "environment"),
        ("ecommerce_ordering", "yes"),
        ("lcc_assessed", "yes"),
    ];
    for (id, value) in chosen {
        dt.eval(&format!(
            "(() => {{ const s = document.getElementById('{id}'); s.focus(); s.value = '{value}'; \
             s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value; }})()"
        ));
    }
    dt.eval("(() => { const d = document.getElementById('date'); d.value = '2022-06-01'; return d.value; })()");
    assert_eq!(dt.eval("document.getElementById('estimated_value').value"), "3 200 000");
    // Submit with the keyboard: Enter in a text field submits the form.
    dt.eval("document.getElementById('title').focus()");
    for kind in ["keyDown", "keyUp"] {
        dt.call(
            "Input.dispatchKeyEvent",
            serde_json::json!({"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"}),
        );
    }
    dt.wait_event("Page.loadEventFired");
    assert_eq!(dt.eval("location.pathname"), "/check-form");
    let text = dt.eval("document.body.innerText");
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("ikke i samsvar"), "{text}");
    assert!(text.contains("VIKEN-KLIMA-1"), "{text}");
    assert!(
        text.contains("1 av kjøretøyene går ikke på fossilfritt drivstoff (drivstoff: diesel)."),
        "{text}"
    );
    assert!(
        text.contains("Slik retter du det: Krev elektrisitet, hydrogen, biogass, HVO100 eller ED95 for alle kjøretøy"),
        "{text}"
    );
    // The values came back into the form.
    assert_eq!(dt.eval("document.getElementById('veh_fuel_1').value"), "diesel");
    assert_eq!(dt.eval("document.getElementById('estimated_value').value"), "3 200 000");

    // A screenshot of the result page, to look at.
    let metrics = dt.call("Page.getLayoutMetrics", serde_json::json!({}));
    let height = metrics["cssContentSize"]["height"]
        .as_f64()
        .unwrap_or(1400.0)
        .min(2200.0);
    let shot = dt.call(
        "Page.captureScreenshot",
        serde_json::json!({"format": "png", "captureBeyondViewport": true,
                           "clip": {"x": 0, "y": 0, "width": 1100, "height": height, "scale": 1}}),
    );
    let png = base64_decode(shot["data"].as_str().unwrap_or_default());
    assert!(png.starts_with(b"\x89PNG"), "a PNG");
    std::fs::write("/tmp/anskaff-serve.png", &png).expect("screenshot written");
}
