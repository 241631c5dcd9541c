//! Write generated canonical records to standard output:
//! `cargo run --release --bin gen -- COUNT [SEED] > records.jsonl`
//! (see `anskaff::generate`).

use std::io::{self, BufWriter};

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let count: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(42);
    let mut out = BufWriter::with_capacity(1 << 20, io::stdout().lock());
    anskaff::generate::write_records(count, seed, &mut out)
}
