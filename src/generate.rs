//! A deterministic generator of realistic canonical records, for benchmarks,
//! load tests and tests that need many records:
//! `cargo run --release --bin gen -- 1000000 > big.jsonl`.
//!
//! About 300 buyers of every kind, real CPV families, lognormal values from
//! 50 000 to 100 000 000 NOK, dates 2022–2025, award criteria, vehicles,
//! lots, labour terms and exemptions, with about 10 % of optional fields
//! missing (absent or `null`) so that rules come out `unknown` too. The same
//! seed gives the same bytes.

use std::io::{self, Write};

/// xorshift64*: small, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

const KINDS: &[(&str, u64)] = &[
    ("municipal", 60),
    ("county", 12),
    ("state", 18),
    ("public_body", 7),
    ("utility", 3),
];

/// CPV families: code, category, whether it is a vehicle purchase.
const CPV: &[(&str, &str, bool)] = &[
    ("45214200", "works", false),
    ("45233141", "works", false),
    ("45453000", "works", false),
    ("90910000", "services", false),
    ("90911200", "services", false),
    ("34110000", "goods", true),
    ("34136000", "goods", true),
    ("34121000", "goods", true),
    ("30213100", "goods", false),
    ("72500000", "services", false),
    ("72200000", "services", false),
    ("39130000", "goods", false),
    ("39160000", "goods", false),
    ("79411000", "services", false),
    ("71000000", "services", false),
    ("09310000", "goods", false),
    ("65300000", "services", false),
    ("55524000", "services", false),
    ("33600000", "goods", false),
    ("22800000", "goods", false),
];

const PROCEDURES: &[&str] = &[
    "open",
    "open",
    "open",
    "restricted",
    "negotiated",
    "competitive_dialogue",
    "direct",
    "direct",
    "below_threshold",
    "below_threshold",
    "negotiated_without_notice",
    "framework_call_off",
];
const FUELS: &[&str] = &[
    "electric", "electric", "electric", "hydrogen", "biogas", "hvo100", "diesel", "petrol", "hybrid",
];
const STAGES: &[&str] = &["planned", "notice", "award", "contract"];
const RULES: &[&str] = &["VIKEN-KLIMA-1", "FOA-7-9-CLIMATE", "VIKEN-OKONOMI-2", "FOA-19-4-LOTS"];

/// Writes one record after another; the same seed gives the same records.
pub struct Generator {
    rng: Rng,
    buyers: Vec<(String, String, &'static str)>,
    viken: (String, String, &'static str),
    next: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let buyers: Vec<(String, String, &'static str)> = (0..300)
            .map(|i| {
                let total: u64 = KINDS.iter().map(|(_, w)| w).sum();
                let mut roll = rng.below(total);
                let kind = KINDS
                    .iter()
                    .find(|(_, w)| {
                        if roll < *w {
                            true
                        } else {
                            roll -= w;
                            false
                        }
                    })
                    .map(|(k, _)| *k)
                    .unwrap_or("municipal");
                let name = match kind {
                    "municipal" => format!("Kommune {i}"),
                    "county" => format!("Fylkeskommune {i}"),
                    "state" => format!("Direktoratet {i}"),
                    "public_body" => format!("Helseforetak {i}"),
                    _ => format!("Energiverk {i} AS"),
                };
                (format!("{}", 810_000_000 + i * 3_137), name, kind)
            })
            .collect();
        Generator {
            rng,
            buyers,
            viken: ("921693230".to_string(), "Viken fylkeskommune".to_string(), "county"),
            next: 0,
        }
    }

    /// Append the next record, one line of JSON with its newline, to `line`.
    pub fn record(&mut self, line: &mut String) {
        let n = self.next;
        self.next += 1;
        let rng = &mut self.rng;
        // A quarter of the records are Viken county's own, so that its
        // strategy's rules have work to do (2022–2023).
        let (buyer_id, buyer_name, kind) = if rng.chance(25) {
            &self.viken
        } else {
            rng.pick(&self.buyers)
        };
        let (cpv, category, vehicles) = *rng.pick(CPV);
        // Lognormal around 1.5 MNOK, clamped to 50 000 – 100 000 000 NOK.
        let z = (-2.0 * rng.unit().max(1e-12).ln()).sqrt() * (std::f64::consts::TAU * rng.unit()).cos();
        let value = (1_500_000f64 * (1.4 * z).exp()).clamp(50_000.0, 100_000_000.0) as u64 / 1000 * 1000;
        let year = 2022 + rng.below(4);
        let date = format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28));
        let procedure = *rng.pick(PROCEDURES);
        let missing = |rng: &mut Rng| rng.chance(10);
        line.push_str(&format!(
            r#"{{"id":"G-{n:08}","stage":"{}","title":"Anskaffelse {n} ({cpv})""#,
            rng.pick(STAGES)
        ));
        line.push_str(&format!(
            r#","buyer":{{"id":"{buyer_id}","name":"{buyer_name}","kind":"{kind}"}}"#
        ));
        if missing(rng) {
            line.push_str(r#","date":null"#);
        } else {
            line.push_str(&format!(r#","date":"{date}""#));
        }
        line.push_str(&format!(r#","category":"{category}","cpv":["{cpv}"]"#));
        if !missing(rng) {
            line.push_str(&format!(r#","procedure":"{procedure}""#));
        }
        let field = if rng.chance(70) {
            "estimated_value"
        } else {
            "awarded_value"
        };
        if !missing(rng) {
            line.push_str(&format!(r#","{field}":{{"amount":"{value}","currency":"NOK"}}"#));
        }
        line.push_str(&format!(r#","framework":{}"#, rng.chance(20)));
        if rng.chance(60) {
            line.push_str(&format!(
                r#","supplier":{{"id":"{}","name":"Leverandør {} AS"}}"#,
                910_000_000 + rng.below(5000),
                rng.below(5000)
            ));
        }
        let lots = rng.below(4);
        if !missing(rng) {
            line.push_str(r#","lots":["#);
            for l in 0..lots {
                if l > 0 {
                    line.push(',');
                }
                line.push_str(&format!(r#"{{"id":"{}","title":"Delkontrakt {}"}}"#, l + 1, l + 1));
            }
            line.push(']');
        }
        if lots < 2 && rng.chance(50) {
            line.push_str(r#","lots_justification":"Én helhetlig leveranse""#);
        }
        if !missing(rng) {
            let env = [0, 10, 20, 30, 30, 40][rng.below(6) as usize];
            let cost = if rng.chance(30) { 20 } else { 0 };
            line.push_str(&format!(
            r#","award_criteria":[{{"name":"Pris","type":"price","weight":{}}},{{"name":"Kvalitet","type":"quality","weight":{}}}"#,
            100 - env - cost - 20,
            20
        ));
            if env > 0 {
                line.push_str(&format!(r#",{{"name":"Miljø","type":"environment","weight":{env}}}"#));
            }
            if cost > 0 {
                line.push_str(r#",{"name":"Livssykluskostnad","type":"cost","weight":20}"#);
            }
            line.push(']');
        }
        if rng.chance(40) {
            line.push_str(&format!(
                r#","environment":{{"spec_requirements":{},"justification":"Krav i kravspesifikasjonen"}}"#,
                rng.chance(50)
            ));
        }
        if vehicles && !missing(rng) {
            line.push_str(&format!(
                r#","vehicles":[{{"class":"N1","count":{},"fuel":"{}"}},{{"class":"M1","count":{},"fuel":"{}"}}]"#,
                1 + rng.below(10),
                rng.pick(FUELS),
                1 + rng.below(5),
                rng.pick(FUELS)
            ));
        }
        if category == "works" {
            line.push_str(&format!(r#","construction":{{"fossil_free_site":{}}}"#, rng.chance(70)));
        }
        if category == "goods" {
            line.push_str(&format!(
                r#","ecommerce":{{"ordering":{},"einvoice":true}}"#,
                rng.chance(80)
            ));
        }
        if !missing(rng) {
            line.push_str(&format!(r#","lcc":{{"assessed":{}}}"#, rng.chance(60)));
        }
        if category != "goods" && !missing(rng) {
            line.push_str(&format!(
                r#","labour":{{"max_subcontractor_levels":{},"apprentices":{},"wages_via_bank":{}}}"#,
                1 + rng.below(3),
                rng.chance(80),
                rng.chance(90)
            ));
        }
        if matches!(procedure, "direct" | "negotiated_without_notice") && rng.chance(50) {
            line.push_str(r#","rationale":"FOA § 13-3 e""#);
        }
        if rng.chance(3) {
            line.push_str(&format!(
            r#","exemptions":[{{"rule":"{}","reason":"Markedsdialog viste ingen alternativer","approved_by":"Innkjøpssjef","expires":"{}-12-31"}}]"#,
            rng.pick(RULES),
            2022 + rng.below(4)
        ));
        }
        line.push_str("}\n");
    }
}

/// Write `count` records generated from `seed` to `out`.
pub fn write_records(count: u64, seed: u64, out: &mut impl Write) -> io::Result<()> {
    let mut generator = Generator::new(seed);
    let mut line = String::with_capacity(1024);
    for _ in 0..count {
        line.clear();
        generator.record(&mut line);
        out.write_all(line.as_bytes())?;
    }
    out.flush()
}
