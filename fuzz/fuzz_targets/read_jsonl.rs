//! The JSON Lines reader on arbitrary bytes: never a panic, and every line
//! that holds something is one record or one input error.
#![no_main]

use anskaff::input::InputFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let items = anskaff_fuzz::read_all(InputFormat::Jsonl, "records.jsonl", bytes);
    assert_eq!(items, anskaff_fuzz::lines_holding_something(bytes));
});
