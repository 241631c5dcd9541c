//! The engine benchmark: `cargo bench --bench engine [-- OPTIONS]`.
//!
//! For each record count (default 100 000 and 1 000 000 generated records,
//! see `anskaff::generate`) it measures, as separate processes so that each
//! has its own peak memory:
//!
//! 1. parse-only: the file read and deserialised into the engine's record
//!    type, nothing else (every field, and only the fields the policies
//!    read), on 1 thread and on all threads;
//! 2. `anskaff check --format json --summary`, 1 thread and all threads;
//! 3. `anskaff check --format json` with every finding written;
//!
//! and then one planned tender checked end to end as a process (start, load
//! and compile the policies, evaluate, print the text report), the median of
//! many runs. Wall time, CPU time (user + system) and peak RSS are printed
//! as a Markdown table for `docs/performance.md`.
//!
//! Options: `--records 100000,1000000`, `--runs 3` (each measurement is the
//! median of this many runs), `--tender-runs 200`, `--threads N` (the "all
//! threads" figure; default all cores).

use anskaff::input::{InputSpec, ReadOptions, Reader};
use anskaff::schema::Want;
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const POLICY: &str = "policies/viken/anskaffelsesstrategi-2021.policy";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--parse-only") {
        parse_only(&args[1..]);
        return;
    }
    let mut records = vec![100_000u64, 1_000_000];
    let mut runs = 3usize;
    let mut tender_runs = 200usize;
    let mut threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--records" => records = value().split(',').filter_map(|n| n.trim().parse().ok()).collect(),
            "--runs" => runs = value().parse().unwrap_or(runs).max(1),
            "--tender-runs" => tender_runs = value().parse().unwrap_or(tender_runs).max(1),
            "--threads" => threads = value().parse().unwrap_or(threads).max(1),
            // `cargo bench` passes `--bench`; anything else is ignored too.
            _ => {}
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let data = root.join("target").join("bench-data");
    std::fs::create_dir_all(&data).expect("a directory for the generated records");
    let anskaff = PathBuf::from(env!("CARGO_BIN_EXE_anskaff"));
    let me = std::env::current_exe().expect("the bench's own path");
    let policy = root.join(POLICY);

    println!("anskaff {} engine benchmark", env!("CARGO_PKG_VERSION"));
    println!("machine: {}, {threads} threads for \"all\"", machine());
    println!("policy: {POLICY} (imports the national baseline with both splitting rules)");
    println!("each figure is the median of {runs} runs\n");
    for &n in &records {
        let file = records_file(&data, n);
        let bytes = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        println!(
            "### {n} records ({:.0} MB, {} bytes per record)\n",
            bytes as f64 / 1e6,
            bytes / n.max(1)
        );
        println!("| run | threads | wall s | CPU s | records/s | × parse-only | peak RSS MB |");
        println!("|---|---|---|---|---|---|---|");
        let file_arg = file.to_string_lossy().to_string();
        let policy_arg = policy.to_string_lossy().to_string();
        for t in [1, threads] {
            let t_arg = t.to_string();
            let parse_all = measure(runs, &me, &["--parse-only", &file_arg, &t_arg, "all"]);
            let parse_policy = measure(runs, &me, &["--parse-only", &file_arg, &t_arg, &policy_arg]);
            let summary = measure(
                runs,
                &anskaff,
                &[
                    "check",
                    "--policy",
                    &policy_arg,
                    "--format",
                    "json",
                    "--summary",
                    "--threads",
                    &t_arg,
                    "--output",
                    "/dev/null",
                    &file_arg,
                ],
            );
            let full = measure(
                runs,
                &anskaff,
                &[
                    "check",
                    "--policy",
                    &policy_arg,
                    "--format",
                    "json",
                    "--threads",
                    &t_arg,
                    "--output",
                    "/dev/null",
                    &file_arg,
                ],
            );
            let floor = parse_all.wall;
            for (name, m) in [
                ("parse-only, every field", &parse_all),
                ("parse-only, the fields the policies read", &parse_policy),
                ("check --summary", &summary),
                ("check, every finding", &full),
            ] {
                println!(
                    "| {name} | {t} | {:.2} | {:.2} | {:.0} | {:.2} | {:.0} |",
                    m.wall.as_secs_f64(),
                    m.cpu.as_secs_f64(),
                    n as f64 / m.wall.as_secs_f64(),
                    m.wall.as_secs_f64() / floor.as_secs_f64(),
                    m.max_rss_kb as f64 / 1024.0
                );
            }
            println!(
                "| every finding ÷ summary | {t} | {:.2} | | | | |",
                full.wall.as_secs_f64() / summary.wall.as_secs_f64()
            );
        }
        println!();
    }

    let tender = data.join("planned-tender.json");
    std::fs::write(&tender, PLANNED_TENDER).expect("the tender file");
    let tender_arg = tender.to_string_lossy().to_string();
    let policy_dir = root.join("policies").to_string_lossy().to_string();
    let mut times: Vec<Duration> = (0..tender_runs)
        .map(|_| {
            measure(
                1,
                &anskaff,
                &["check", "--policy", &policy_dir, "--color", "never", &tender_arg],
            )
            .wall
        })
        .collect();
    times.sort();
    let median = times[times.len() / 2];
    let p90 = times[times.len() * 9 / 10];
    println!(
        "### One planned tender, end to end\n\n`anskaff check --policy policies planned-tender.json` \
         (text report), {tender_runs} runs: median {:.2} ms, 90th percentile {:.2} ms\n",
        median.as_secs_f64() * 1e3,
        p90.as_secs_f64() * 1e3
    );
}

/// A planned tender of Viken county, as an officer would check it.
const PLANNED_TENDER: &str = r#"{"id":"PLAN-2023-17","stage":"planned","title":"Leasing av varebiler",
"buyer":{"id":"921693230","name":"Viken fylkeskommune","kind":"county"},"date":"2023-05-02",
"category":"goods","cpv":["34136000"],"procedure":"open",
"estimated_value":{"amount":"6400000","currency":"NOK"},
"award_criteria":[{"name":"Pris","type":"price","weight":70},{"name":"Miljø","type":"environment","weight":30}],
"vehicles":[{"class":"N1","count":12,"fuel":"diesel"}],"lcc":{"assessed":true},
"ecommerce":{"ordering":true,"einvoice":true}}"#;

struct Measured {
    wall: Duration,
    cpu: Duration,
    max_rss_kb: i64,
}

/// Run `program args` `runs` times; the run with the median wall time.
fn measure(runs: usize, program: &Path, args: &[&str]) -> Measured {
    let mut all: Vec<Measured> = (0..runs).map(|_| run_once(program, args)).collect();
    all.sort_by_key(|m| m.wall);
    all.swap_remove(all.len() / 2)
}

// The child is reaped by `wait4` below, which also gives its resource use.
#[allow(clippy::zombie_processes)]
fn run_once(program: &Path, args: &[&str]) -> Measured {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills in; the child is ours
    // and has not been waited for.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        let waited = libc::wait4(pid, &mut status, 0, &mut usage);
        assert_eq!(waited, pid, "wait4 failed");
        usage
    };
    let wall = start.elapsed();
    let exited = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1;
    assert!(exited, "{} {args:?} failed (status {status})", program.display());
    let tv = |t: libc::timeval| Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64);
    Measured {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss,
    }
}

/// `--parse-only FILE THREADS all|POLICY`: read and deserialise every record,
/// nothing else.
fn parse_only(args: &[String]) {
    let file = PathBuf::from(&args[0]);
    let threads: usize = args[1].parse().unwrap_or(1);
    let want = if args[2] == "all" {
        Want::all()
    } else {
        let policies = anskaff::Policies::load(&[PathBuf::from(&args[2])], &[]).unwrap_or_else(|e| panic!("{}", e.0));
        policies.plan.want(anskaff::run::fields_wanted(&policies.plan))
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    let mut reader = Reader::new(&[InputSpec::Path(file)], 4096, ReadOptions::default());
    let mut records = 0usize;
    loop {
        let batch = reader.next_batch();
        if batch.is_empty() {
            break;
        }
        records += pool.install(|| {
            batch
                .into_par_iter()
                .map(|raw| usize::from(raw.into_record(&want).1.is_ok()))
                .sum::<usize>()
        });
    }
    println!("{records}");
}

/// The generated records file for `n`, made once.
fn records_file(dir: &Path, n: u64) -> PathBuf {
    let path = dir.join(format!("records-{n}.jsonl"));
    if !path.exists() {
        let tmp = dir.join(format!("records-{n}.jsonl.tmp"));
        let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).expect("create the records file"));
        anskaff::generate::write_records(n, 42, &mut out).expect("write the records");
        drop(out);
        std::fs::rename(&tmp, &path).expect("rename the records file");
    }
    path
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cpu}, {cores} cores, {}", std::env::consts::OS)
}
