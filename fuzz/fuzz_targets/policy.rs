//! Policy text: parser, loader (imports between up to four policy files
//! and an organisation register, cycles, missing files) and checker. A
//! policy that loads is also evaluated on the example records, those of the
//! cooperation example among them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const RECORDS: &str = concat!(
    include_str!("../../examples/tenders.jsonl"),
    include_str!("../../examples/cooperation.jsonl")
);

fuzz_target!(|bytes: &[u8]| {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a temporary directory"));
    let Ok(text) = std::str::from_utf8(bytes) else {
        // The loader refuses text that is not UTF-8; that path is cheap.
        let _ = anskaff::load::load_text("a.policy", &String::from_utf8_lossy(bytes));
        return;
    };
    let _ = anskaff::syntax::parse_value(text, 0);
    if let Some(plan) = anskaff_fuzz::load_policies(dir.path(), text) {
        anskaff_fuzz::check(&plan, RECORDS.as_bytes(), 1, 4096);
    }
});
