//! The Csv reader on arbitrary bytes: never a panic or a hang.
#![no_main]

use anskaff::input::InputFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    anskaff_fuzz::read_all(InputFormat::Csv, "table.csv", bytes);
});
