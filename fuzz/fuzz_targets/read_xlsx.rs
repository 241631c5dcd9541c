//! The Excel reader on arbitrary bytes: never a panic or a hang.
#![no_main]

use anskaff::input::InputFormat;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // anskaff reads a workbook inside catch_unwind, since calamine can
    // panic on a damaged file (an overflow on a huge cell reference, found
    // here). libFuzzer's hook would abort at the panic before that catch;
    // the default hook lets it unwind, and a panic anywhere else still
    // reaches the fuzzer as a crash.
    static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    anskaff_fuzz::read_all(InputFormat::Xlsx, "table.xlsx", bytes);
});
