//! `anskaff serve`: the HTTP service (see `crate::serve`).

use super::{exit, parse_set};
use crate::serve::{Config, auth::Token};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Policy files or directories (every `.policy` file below); reloaded on SIGHUP
    #[arg(long, short, value_name = "FILE|DIR", default_value = "policies")]
    policy: Vec<PathBuf>,
    /// Address to listen on; an address other than loopback needs --token-file
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    addr: String,
    /// File holding the bearer token that API requests must send (`Authorization: Bearer TOKEN`)
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Largest request body in bytes (larger: 413)
    #[arg(long, value_name = "BYTES", default_value_t = 5 * 1024 * 1024, value_parser = parse_bytes)]
    max_body: usize,
    /// Longest a request may take, e.g. 30, 30s, 500ms (longer: 408)
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    timeout: Duration,
    /// Requests checked at once; more wait for a turn until the timeout (then 503)
    #[arg(long, value_name = "N", default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    max_concurrent: u32,
    /// Connections open at once; more wait to be accepted
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    max_connections: u32,
    /// Override a policy parameter, e.g. --set lcc_threshold="5 000 000 NOK"
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_set)]
    sets: Vec<(String, String)>,
}

pub fn serve(args: ServeArgs) -> u8 {
    let token = match &args.token_file {
        Some(path) => match Token::from_file(path) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: --token-file: {e}");
                return exit::USAGE;
            }
        },
        None => None,
    };
    crate::serve::run(Config {
        policy: args.policy,
        sets: args.sets,
        addr: args.addr,
        token,
        max_body: args.max_body,
        timeout: args.timeout,
        max_concurrent: args.max_concurrent as usize,
        max_connections: args.max_connections as usize,
    })
}

/// `5000000`, `5MB`, `512k`, `5 MiB`.
fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim().to_ascii_lowercase().replace(' ', "");
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    let (n, unit) = t.split_at(digits);
    let n: usize = n
        .parse()
        .map_err(|_| format!("expected a number of bytes, e.g. 5000000 or 5MB; got `{s}`"))?;
    let factor = match unit {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1_000_000,
        "mib" => 1024 * 1024,
        _ => return Err(format!("unknown unit in `{s}`; use bytes, kB, MB, KiB or MiB")),
    };
    n.checked_mul(factor)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` is not a usable size"))
}

/// `30` (seconds), `30s`, `500ms`, `2m`.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim().to_ascii_lowercase();
    let digits = t.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
    let (n, unit) = t.split_at(digits);
    let n: f64 = n
        .parse()
        .map_err(|_| format!("expected a duration, e.g. 30s or 500ms; got `{s}`"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        _ => return Err(format!("unknown unit in `{s}`; use ms, s or m")),
    };
    if !(0.001..=86_400.0).contains(&secs) {
        return Err(format!("`{s}` is not a usable timeout (1 ms to 24 h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_bytes("5MB"), Ok(5_000_000));
        assert_eq!(parse_bytes("1024"), Ok(1024));
        assert_eq!(parse_bytes("2 MiB"), Ok(2 * 1024 * 1024));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("0").is_err());
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("0").is_err());
    }
}
