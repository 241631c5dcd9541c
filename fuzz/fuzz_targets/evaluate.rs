//! Generated policies over generated records: every record gets exactly one
//! outcome per rule, records in = records out, and one thread and several
//! give the same report.
#![no_main]

use arbitrary::Unstructured;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let mut u = Unstructured::new(bytes);
    let Ok(policy) = anskaff_fuzz::generate::policy(&mut u) else {
        return;
    };
    let Ok(records) = anskaff_fuzz::generate::records(&mut u) else {
        return;
    };
    let plan = match anskaff::Policies::from_text("fuzz.policy", &policy, &[]) {
        Ok(p) => p.plan,
        // Generated policies are mostly, not always, well typed.
        Err(_) => return,
    };
    anskaff_fuzz::check_invariants(&plan, records.as_bytes());
});
