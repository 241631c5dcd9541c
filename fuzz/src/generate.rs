//! Policies and records built from fuzzer bytes: mostly well-typed, so that
//! evaluation (not only the checker's errors) is what gets exercised.

use arbitrary::{Result, Unstructured};

fn pick<'a>(u: &mut Unstructured<'_>, items: &[&'a str]) -> Result<&'a str> {
    Ok(items[u.choose_index(items.len())?])
}

const MONEY: &[&str] = &[
    "0 NOK",
    "1 NOK",
    "100 000 NOK",
    "1 300 000 NOK",
    "1.3 MNOK",
    "500 kNOK",
    "79228162514264337593543950335 NOK",
    "0.000000001 NOK",
    "2 EUR",
    "limit",
];
const NUMBERS: &[&str] = &["0", "1", "2", "3", "10", "100000000000000000000000000", "0.5"];
const TEXTS: &[&str] = &[
    "\"\"",
    "\"341\"",
    "\"45\"",
    "\"a\"",
    "\"Vik\"",
    "\"æøå\"",
    "\"921693230\"",
];
const FIELDS_TEXT: &[&str] = &[
    "title",
    "buyer.id",
    "buyer.name",
    "supplier.name",
    "rationale",
    "cpv[0]",
    "notice_id",
];
const FIELDS_MONEY: &[&str] = &["value", "estimated_value", "awarded_value", "lots[0].estimated_value"];
const FIELDS_ANY: &[&str] = &[
    "title",
    "rationale",
    "lots",
    "vehicles",
    "cpv",
    "date",
    "estimated_value",
    "environment.exemption",
    "framework",
    "supplier.id",
];

/// A boolean expression, at most `depth` levels deep.
pub fn condition(u: &mut Unstructured<'_>, depth: u32) -> Result<String> {
    let choices = if depth == 0 { 22 } else { 28 };
    Ok(match u.choose_index(choices)? {
        0 => format!(
            "{} {} {}",
            money(u, depth)?,
            pick(u, &["<", "<=", ">", ">=", "==", "!="])?,
            money(u, depth)?
        ),
        1 => format!(
            "procedure {} [{}]",
            pick(u, &["in", "not in"])?,
            pick(
                u,
                &[
                    "\"open\", \"direct\"",
                    "\"below_threshold\"",
                    "\"negotiated_without_notice\", \"restricted\"",
                    ""
                ]
            )?
        ),
        2 => format!(
            "buyer.kind == {}",
            pick(u, &["\"county\"", "\"state\"", "\"municipal\""])?
        ),
        3 => format!("count(lots) {} {}", pick(u, &[">=", "<", "=="])?, pick(u, NUMBERS)?),
        4 => "all(v in vehicles: v.fuel in fuels)".to_string(),
        5 => format!(
            "any(v in vehicles where v.count > {}: v.fuel == \"diesel\")",
            pick(u, NUMBERS)?
        ),
        6 => format!(
            "sum(c in award_criteria where c.type == \"environment\": c.weight) >= {} %",
            pick(u, &["0", "30", "100", "0.5"])?
        ),
        7 => format!(
            "{} starts with {}",
            pick(u, &["cpv", "cpv[0]", "title", "lots[].title"])?,
            pick(u, TEXTS)?
        ),
        8 => format!(
            "{} {}",
            pick(u, FIELDS_ANY)?,
            pick(u, &["is present", "is missing", "is empty", "is not empty"])?
        ),
        9 => format!("exists {}", pick(u, FIELDS_ANY)?),
        10 => format!(
            "date {} {}",
            pick(u, &["<", ">=", "=="])?,
            pick(u, &["2022-01-01", "2024-02-29", "date"])?
        ),
        11 => pick(
            u,
            &[
                "framework",
                "lcc.assessed",
                "construction.fossil_free_site",
                "labour.apprentices",
                "true",
                "false",
            ],
        )?
        .to_string(),
        12 => format!("duration_months {} {}", pick(u, &["*", "/", "+", "-"])?, number(u)?) + " > 1",
        13 => format!("{} == {}", pick(u, FIELDS_TEXT)?, pick(u, TEXTS)?),
        14 => format!("lower({}) starts with {}", pick(u, FIELDS_TEXT)?, pick(u, TEXTS)?),
        15 => format!("normalize_id(buyer.id) == {}", pick(u, TEXTS)?),
        16 => format!(
            "year(date) {} {}",
            pick(u, &[">=", "<"])?,
            pick(u, &["2023", "0", "9999"])?
        ),
        17 => format!(
            "count(v in vehicles where v.fuel not in fuels) == {}",
            pick(u, NUMBERS)?
        ),
        18 => format!(
            "prefix(cpv[0], {}) == {}",
            pick(u, &["0", "3", "100"])?,
            pick(u, TEXTS)?
        ),
        19 => format!(
            "date + {} > {}",
            pick(u, &["12 months", "3 days", "1 year", "2 quarters"])?,
            pick(u, &["2022-01-01", "date"])?
        ),
        20 => format!("labour.max_subcontractor_levels <= {}", pick(u, NUMBERS)?),
        21 => format!("none(c in award_criteria: c.weight > {} %)", pick(u, &["0", "50"])?),
        22 => format!("not {}", condition(u, depth - 1)?),
        23 => format!("({} and {})", condition(u, depth - 1)?, condition(u, depth - 1)?),
        24 => format!("({} or {})", condition(u, depth - 1)?, condition(u, depth - 1)?),
        25 => format!(
            "(if {} then {} else {})",
            condition(u, depth - 1)?,
            condition(u, depth - 1)?,
            condition(u, depth - 1)?
        ),
        26 => format!("flagged or {}", condition(u, depth - 1)?),
        _ => format!("({} otherwise {})", condition(u, depth - 1)?, condition(u, depth - 1)?),
    })
}

fn number(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(pick(u, NUMBERS)?.to_string())
}

fn money(u: &mut Unstructured<'_>, depth: u32) -> Result<String> {
    Ok(match u.choose_index(if depth == 0 { 3 } else { 6 })? {
        0 => pick(u, MONEY)?.to_string(),
        1 | 2 => pick(u, FIELDS_MONEY)?.to_string(),
        3 => format!(
            "({} {} {})",
            money(u, depth - 1)?,
            pick(u, &["+", "-"])?,
            money(u, depth - 1)?
        ),
        4 => format!("({} {} {})", money(u, depth - 1)?, pick(u, &["*", "/"])?, number(u)?),
        _ => format!("({} otherwise {})", money(u, depth - 1)?, money(u, depth - 1)?),
    })
}

fn aggregate_condition(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(5)? {
        0 => format!("sum(value) >= {}", pick(u, MONEY)?),
        1 => format!("count() >= {}", pick(u, NUMBERS)?),
        2 => format!("count() >= 2 and distinct(supplier.id) == {}", pick(u, NUMBERS)?),
        3 => format!("max(value) > {}", pick(u, MONEY)?),
        _ => format!("min(date) < {}", pick(u, &["2022-01-01", "2030-01-01"])?),
    })
}

/// A policy: a header, parameters, a `let`, and some rules, per-record and
/// cross-record.
pub fn policy(u: &mut Unstructured<'_>) -> Result<String> {
    let mut p = String::from("policy fuzz.p {\n  title en \"Fuzz\"\n");
    if u.arbitrary()? {
        p += "  in force from 2021-01-01\n";
    }
    if u.ratio(1, 4)? {
        p += &format!("  when {}\n", condition(u, 1)?);
    }
    p += "}\n";
    p += &format!(
        "param limit = {}\n",
        pick(
            u,
            &[
                "1 300 000 NOK",
                "by date { from 2022-01-01: 1 MNOK from 2024-01-01: 2 MNOK }",
                "0 NOK"
            ]
        )?
    );
    p += "param fuels = [\"electric\", \"hydrogen\", \"biogas\"]\n";
    p += "let value = estimated_value otherwise awarded_value\n";
    p += &format!("let flagged = {}\n", condition(u, 1)?);
    let rules = 1 + u.choose_index(4)?;
    for i in 0..rules {
        p += &format!(
            "rule R-{i} {{\n  title en \"Rule {i}\"\n  severity {}\n",
            pick(u, &["must", "should"])?
        );
        if u.ratio(1, 4)? {
            p += "  in force from 2022-06-01 to 2024-12-31\n";
        }
        p += if u.ratio(1, 5)? {
            "  area climate\n"
        } else {
            "  area general\n"
        };
        if u.ratio(1, 4)? {
            // A cross-record rule.
            p += "  across records\n";
            if u.arbitrary()? {
                p += &format!("    where {}\n", condition(u, 1)?);
            }
            p += &format!(
                "    group by {}\n",
                pick(
                    u,
                    &[
                        "normalize_id(buyer.id)",
                        "normalize_id(buyer.id), prefix(cpv[0], 3)",
                        "normalize_name(supplier.name) otherwise normalize_id(supplier.id)",
                        "procedure"
                    ]
                )?
            );
            match u.choose_index(3)? {
                0 => p += &format!("    within rolling {}\n", pick(u, &["12 months", "10 days", "1 year"])?),
                1 => p += &format!("    within calendar {}\n", pick(u, &["year", "quarter", "month"])?),
                _ => {}
            }
            p += &format!("    flag when {}\n", aggregate_condition(u)?);
            if u.arbitrary()? {
                p += "  message en \"{count()} purchases: {members}; total {sum(value)}\"\n";
            }
        } else {
            if u.arbitrary()? {
                p += &format!("  when {}\n", condition(u, 2)?);
            }
            p += &format!("  require {}\n", condition(u, 3)?);
            if u.arbitrary()? {
                p += "  message en \"{value} for {title}; {count(lots)} lots\"\n";
            }
        }
        p += "}\n";
    }
    p += "area general { title en \"General\" }\n";
    // Sometimes missing, so that an unknown area is exercised too.
    if u.ratio(4, 5)? {
        p += "area climate { title en \"Climate\" }\n";
    }
    Ok(p)
}

const JSON_VALUES: &[&str] = &[
    "null",
    "true",
    "\"\"",
    "\"x\"",
    "0",
    "-1",
    "1e400",
    "12345678901234567890123456789012345678901",
    "[]",
    "{}",
    "[1, \"a\", null]",
    "\"2024-02-29\"",
    "\"\\u0000\"",
    "\"=cmd|' /C calc'!A0\"",
    "\"<script>alert(1)</script>\"",
];

fn money_json(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.choose_index(4)? {
        0 => pick(u, JSON_VALUES)?.to_string(),
        _ => format!(
            "{{\"amount\": {}, \"currency\": {}}}",
            pick(
                u,
                &[
                    "\"1300000\"",
                    "500000",
                    "\"0.1\"",
                    "0",
                    "-5",
                    "\"79228162514264337593543950335\"",
                    "1e400",
                    "\"1 000\"",
                    "1e-30"
                ]
            )?,
            pick(u, &["\"NOK\"", "\"nok\"", "\"EUR\"", "\"MNX\"", "null", "3"])?
        ),
    })
}

fn record(u: &mut Unstructured<'_>, index: usize) -> Result<String> {
    let mut fields: Vec<String> = Vec::new();
    match u.choose_index(12)? {
        0 => {}
        1 => fields.push(format!("\"id\": {}", pick(u, JSON_VALUES)?)),
        2 => fields.push("\"id\": \"dup\"".into()),
        _ => fields.push(format!("\"id\": \"r{index}\"")),
    }
    let simple: &[(&str, &[&str])] = &[
        (
            "title",
            &[
                "\"Vans\"",
                "\"<b>&amp;\\\"'</b>\"",
                "\"+SUM(A1)\"",
                "\"\\r\\n\\t\"",
                "1",
            ],
        ),
        (
            "date",
            &[
                "\"2022-03-01\"",
                "\"2023-12-31\"",
                "\"2024-02-29\"",
                "\"2024-02-30\"",
                "\"17.03.2025\"",
                "20240101",
                "\"9999-12-31\"",
                "\"0001-01-01\"",
            ],
        ),
        (
            "procedure",
            &[
                "\"open\"",
                "\"direct\"",
                "\"below_threshold\"",
                "\"Direct \"",
                "\"dirct\"",
                "\"\"",
            ],
        ),
        ("cpv", &["[\"34136000\"]", "\"45000000\"", "[34110000, null]", "[]"]),
        ("framework", &["true", "false", "\"ja\""]),
        ("duration_months", &["48", "\"4 år\"", "0", "-1", "1e30"]),
        ("rationale", &["\"\"", "\"FOA § 13-3 e\"", "null"]),
        ("category", &["\"goods\"", "\"works\""]),
    ];
    for (name, values) in simple {
        if u.ratio(1, 2)? {
            let value = if u.ratio(1, 8)? {
                pick(u, JSON_VALUES)?
            } else {
                pick(u, values)?
            };
            fields.push(format!("\"{name}\": {value}"));
        }
    }
    if u.arbitrary()? {
        fields.push(format!("\"estimated_value\": {}", money_json(u)?));
    }
    if u.ratio(1, 3)? {
        fields.push(format!("\"awarded_value\": {}", money_json(u)?));
    }
    if u.arbitrary()? {
        fields.push(format!(
            "\"buyer\": {{\"id\": {}, \"kind\": {}, \"name\": {}}}",
            pick(u, &["\"921693230\"", "\"NO 921 693 230 MVA\"", "921693230", "null"])?,
            pick(u, &["\"county\"", "\"state\"", "\"kommune\"", "null"])?,
            pick(u, &["\"Viken\"", "\"Oslo kommune\"", "\"\\\"><img src=x>\""])?
        ));
    }
    if u.arbitrary()? {
        fields.push(format!(
            "\"supplier\": {{\"id\": {}, \"name\": {}}}",
            pick(u, &["\"914634946\"", "\"EAM9803104K0\"", "null"])?,
            pick(u, &["\"Bil AS\"", "\"BIL A/S\"", "\"@SUM(1)\"", "null"])?
        ));
    }
    if u.arbitrary()? {
        let n = u.choose_index(4)?;
        let lots: Vec<String> = (0..n)
            .map(|i| {
                Ok(format!(
                    "{{\"id\": \"{i}\", \"title\": \"Lot\", \"estimated_value\": {}}}",
                    money_json(u)?
                ))
            })
            .collect::<Result<_>>()?;
        fields.push(format!("\"lots\": [{}]", lots.join(", ")));
    }
    if u.arbitrary()? {
        let n = u.choose_index(4)?;
        let vehicles: Vec<String> = (0..n)
            .map(|_| {
                Ok(format!(
                    "{{\"class\": \"N1\", \"count\": {}, \"fuel\": {}}}",
                    pick(u, &["1", "4", "\"x\""])?,
                    pick(u, &["\"electric\"", "\"diesel\"", "\"biogas\"", "null", "1"])?
                ))
            })
            .collect::<Result<_>>()?;
        fields.push(format!("\"vehicles\": [{}]", vehicles.join(", ")));
    }
    if u.arbitrary()? {
        let n = u.choose_index(4)?;
        let criteria: Vec<String> = (0..n)
            .map(|_| {
                Ok(format!(
                    "{{\"type\": {}, \"weight\": {}}}",
                    pick(u, &["\"price\"", "\"environment\"", "\"quality\""])?,
                    pick(u, &["30", "70", "\"30\"", "\"70 %\"", "1e400", "null"])?
                ))
            })
            .collect::<Result<_>>()?;
        fields.push(format!("\"award_criteria\": [{}]", criteria.join(", ")));
    }
    if u.ratio(1, 4)? {
        fields.push(format!(
            "\"exemptions\": [{{\"rule\": \"R-{}\", \"reason\": \"x\", \"approved_by\": \"CFO\", \"expires\": {}}}]",
            u.choose_index(4)?,
            pick(u, &["\"2023-06-30\"", "null", "\"31.12.2023\""])?
        ));
    }
    // Shuffle a little: order of keys must not matter.
    if u.arbitrary()? {
        fields.reverse();
    }
    Ok(format!("{{{}}}", fields.join(", ")))
}

/// JSON Lines: records, some broken lines and blank lines.
pub fn records(u: &mut Unstructured<'_>) -> Result<String> {
    let count = u.choose_index(24)?;
    let mut out = String::new();
    for i in 0..count {
        match u.choose_index(20)? {
            0 => out += "{\"id\": \"broken\", ",
            1 => out += "   ",
            2 => out += "[1, 2]",
            _ => out += &record(u, i)?,
        }
        out += if u.ratio(1, 10)? { "\r\n" } else { "\n" };
    }
    Ok(out)
}
