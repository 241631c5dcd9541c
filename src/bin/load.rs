//! A load generator for `anskaff serve`: sends N single-tender
//! `POST /v1/check` requests over C keep-alive connections on loopback and
//! reports throughput and latency percentiles.
//!
//! ```sh
//! cargo build --release
//! target/release/load                          # starts target/release/anskaff serve itself
//! target/release/load --addr 127.0.0.1:8080    # or loads a running service
//! ```
//!
//! Options: `--requests N` (20000), `--concurrency C` (64), `--addr HOST:PORT`,
//! `--policy PATH` (for the service it starts; default `policies`),
//! `--body FILE` (the record to send; default a diesel van for Viken),
//! `--token-file FILE` (sends the bearer token), `--format json|text`.

use std::io::BufRead;
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const RECORD: &str = r#"{"id": "LOAD-1", "title": "Varebiler til driftsavdelingen", "buyer": {"id": "921693230", "name": "Viken fylkeskommune", "kind": "county"}, "date": "2022-06-01", "category": "goods", "cpv": ["34136000"], "procedure": "open", "estimated_value": {"amount": "3200000", "currency": "NOK"}, "lots": [], "lots_justification": "Én leverandør må stå for service", "award_criteria": [{"name": "Pris", "type": "price", "weight": 70}, {"name": "Miljø", "type": "environment", "weight": 30}], "vehicles": [{"class": "N1", "count": 4, "fuel": "electric"}, {"class": "N1", "count": 1, "fuel": "diesel"}], "ecommerce": {"ordering": true}, "lcc": {"assessed": true}}"#;

struct Options {
    requests: usize,
    concurrency: usize,
    addr: Option<String>,
    policy: String,
    body: String,
    token: Option<String>,
    format: String,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        requests: 20_000,
        concurrency: 64,
        addr: None,
        policy: "policies".into(),
        body: RECORD.into(),
        token: None,
        format: "json".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--requests" => o.requests = value()?.parse().map_err(|e| format!("--requests: {e}"))?,
            "--concurrency" => o.concurrency = value()?.parse().map_err(|e| format!("--concurrency: {e}"))?,
            "--addr" => o.addr = Some(value()?),
            "--policy" => o.policy = value()?,
            "--format" => o.format = value()?,
            "--body" => {
                let path = value()?;
                o.body = std::fs::read_to_string(&path).map_err(|e| format!("--body {path}: {e}"))?;
            }
            "--token-file" => {
                let path = value()?;
                let text = std::fs::read_to_string(&path).map_err(|e| format!("--token-file {path}: {e}"))?;
                o.token = Some(text.lines().next().unwrap_or("").trim().to_string());
            }
            "-h" | "--help" => {
                return Err(
                    "usage: load [--requests N] [--concurrency C] [--addr HOST:PORT] [--policy PATH] \
                            [--body FILE] [--token-file FILE] [--format json|text]"
                        .into(),
                );
            }
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    if o.requests == 0 || o.concurrency == 0 {
        return Err("--requests and --concurrency must be at least 1".into());
    }
    Ok(o)
}

/// The service this run started, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(policy: &str) -> Result<(Server, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe.with_file_name(format!("anskaff{}", std::env::consts::EXE_SUFFIX));
    let mut child = Command::new(&bin)
        .args(["serve", "--addr", "127.0.0.1:0", "--policy", policy])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .ok_or_else(|| format!("the service did not start: `{}`", line.trim()))?
        .to_string();
    Ok((server, addr))
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: usize,
    statuses: std::collections::BTreeMap<u16, usize>,
    bytes: usize,
}

async fn connect(addr: &str) -> std::io::Result<BufReader<TcpStream>> {
    let s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    Ok(BufReader::new(s))
}

/// Send one request and read the answer; the status and body length.
async fn exchange(conn: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<(u16, usize)> {
    conn.get_mut().write_all(request).await?;
    let mut line = String::new();
    if conn.read_line(&mut line).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status: u16 = line.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let mut length = 0usize;
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    conn.read_exact(&mut body).await?;
    Ok((status, length))
}

async fn worker(addr: Arc<str>, request: Arc<Vec<u8>>, next: Arc<AtomicUsize>, total: usize) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<BufReader<TcpStream>> = None;
    while next.fetch_add(1, Ordering::Relaxed) < total {
        let start = Instant::now();
        if conn.is_none() {
            match connect(&addr).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    tally.errors += 1;
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        match tokio::time::timeout(Duration::from_secs(30), exchange(c, &request)).await {
            Ok(Ok((status, bytes))) => {
                tally.latencies.push(start.elapsed());
                *tally.statuses.entry(status).or_insert(0) += 1;
                tally.bytes += bytes;
                if status != 200 {
                    tally.errors += 1;
                }
            }
            _ => {
                tally.errors += 1;
                conn = None;
            }
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let (_server, addr) = match &o.addr {
        Some(a) => (None, a.clone()),
        None => match start_server(&o.policy) {
            Ok((s, a)) => (Some(s), a),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let auth = o
        .token
        .as_ref()
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let body = o.body.trim();
    let request = format!(
        "POST /v1/check?format={} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        o.format,
        body.len()
    )
    .into_bytes();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let addr: Arc<str> = Arc::from(addr);
    let request = Arc::new(request);
    // Warm up: one request per connection's worth, not counted.
    let warm = runtime.block_on(worker(
        addr.clone(),
        request.clone(),
        Arc::new(AtomicUsize::new(0)),
        100,
    ));
    if warm.errors > 0 {
        eprintln!("error: the warm-up requests failed ({:?})", warm.statuses);
        return ExitCode::from(1);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tallies = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..o.concurrency {
            tasks.push(tokio::spawn(worker(
                addr.clone(),
                request.clone(),
                next.clone(),
                o.requests,
            )));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap_or_default());
        }
        out
    });
    let elapsed = started.elapsed();
    let mut all = Tally::default();
    for t in tallies {
        all.latencies.extend(t.latencies);
        all.errors += t.errors;
        all.bytes += t.bytes;
        for (s, n) in t.statuses {
            *all.statuses.entry(s).or_insert(0) += n;
        }
    }
    all.latencies.sort_unstable();
    let done = all.latencies.len();
    println!(
        "{} requests ({} answered, {} errors) at {} connections in {:.2} s",
        o.requests,
        done,
        all.errors,
        o.concurrency,
        elapsed.as_secs_f64()
    );
    println!("throughput: {:.0} requests/s", done as f64 / elapsed.as_secs_f64());
    println!(
        "latency: p50 {}, p90 {}, p99 {}, max {}",
        ms(percentile(&all.latencies, 50.0)),
        ms(percentile(&all.latencies, 90.0)),
        ms(percentile(&all.latencies, 99.0)),
        ms(all.latencies.last().copied().unwrap_or_default())
    );
    println!(
        "statuses: {:?}; response size {} bytes",
        all.statuses,
        all.bytes / done.max(1)
    );
    if all.errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
