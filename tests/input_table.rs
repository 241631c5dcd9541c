//! The CSV and XLSX reader (`src/input/table.rs`): number and date formats,
//! headers, mappings, bad cells, encodings, delimiters, XLSX cell types, the
//! example plans, and input that must not make it panic.
//!
//! XLSX workbooks are written here by a small writer (a stored zip of
//! SpreadsheetML), so every cell type under test is visible in the test. The
//! example workbook `examples/plans/anskaffelsesplan-2025.xlsx` is made by
//! the same writer from the example CSV:
//! `cargo test --test input_table -- --ignored write_example_xlsx`.

use anskaff::Policies;
use anskaff::engine::Engine;
use anskaff::finding::{Outcome, Source, Status};
use anskaff::input::table::{Mapping, read_csv, read_table, read_xlsx};
use anskaff::input::{Payload, Raw};
use anskaff::record::{Record, canonical_json};
use anskaff::syntax::ast::Lang;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::Arc;

// ------------------------------------------------------------------ helpers

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn name(s: &str) -> Arc<str> {
    Arc::from(s)
}

/// Records and input errors, each with its source.
type Split = (Vec<(Source, Record)>, Vec<(Source, String)>);

/// Records and errors, in order.
fn split(raws: Vec<Raw>) -> Split {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for raw in raws {
        match raw.payload {
            Payload::Record(r) => records.push((raw.source, *r)),
            Payload::Error(e) => errors.push((raw.source, e)),
            Payload::Json(_) => panic!("a table reader gives records, not JSON"),
        }
    }
    (records, errors)
}

fn csv_with(text: &str, mapping: &Mapping) -> Vec<Record> {
    let (records, errors) = split(read_csv(&name("plan.csv"), text.as_bytes(), mapping));
    assert!(errors.is_empty(), "{errors:?}");
    records.into_iter().map(|(_, r)| r).collect()
}

fn csv(text: &str) -> Vec<Record> {
    csv_with(text, &Mapping::default())
}

/// The one record of a two-column table `Nr;HEADER` with `cell` below.
fn one(header: &str, cell: &str) -> Record {
    let text = format!("Nr;Tittel;{header}\n1;x;\"{}\"\n", cell.replace('"', "\"\""));
    let mut rs = csv(&text);
    assert_eq!(rs.len(), 1, "{text}");
    rs.remove(0)
}

fn amount(r: &Record) -> Option<String> {
    r.estimated_value.map(|m| format!("{} {}", m.amount, m.currency))
}

fn warnings(r: &Record) -> Vec<String> {
    r.warnings
        .iter()
        .map(|w| format!("{}: {}", w.field, w.message))
        .collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a date")
}

// ------------------------------------------------------------------ a small XLSX writer

mod xlsx {
    //! Enough SpreadsheetML to write test workbooks: shared strings, inline
    //! strings, numbers with a few formats, booleans, error values, hidden
    //! sheets and the 1904 date system.

    pub const GENERAL: u32 = 0;
    /// `#,##0`
    pub const THOUSANDS: u32 = 1;
    /// `dd.mm.yyyy`
    pub const DATE: u32 = 2;
    /// `0%`
    pub const PERCENT: u32 = 3;
    /// `#,##0.00`
    pub const THOUSANDS_2: u32 = 4;

    #[derive(Clone, Debug)]
    pub enum X {
        Empty,
        S(String),
        Inline(String),
        N(f64, u32),
        B(bool),
        E(&'static str),
    }

    pub fn s(t: &str) -> X {
        X::S(t.to_string())
    }

    pub struct Sheet {
        pub name: String,
        pub rows: Vec<Vec<X>>,
        pub hidden: bool,
    }

    pub fn sheet(name: &str, rows: Vec<Vec<X>>) -> Sheet {
        Sheet {
            name: name.to_string(),
            rows,
            hidden: false,
        }
    }

    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    fn col(mut i: usize) -> String {
        let mut out = Vec::new();
        loop {
            out.push(b'A' + (i % 26) as u8);
            if i < 26 {
                break;
            }
            i = i / 26 - 1;
        }
        out.reverse();
        String::from_utf8(out).expect("ascii")
    }

    pub fn workbook(sheets: &[Sheet], date1904: bool) -> Vec<u8> {
        let mut strings: Vec<String> = Vec::new();
        let mut index = std::collections::HashMap::new();
        let mut files: Vec<(String, String)> = Vec::new();
        for (n, sh) in sheets.iter().enumerate() {
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet \
                 xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                 xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheetData>",
            );
            for (r, row) in sh.rows.iter().enumerate() {
                if row.iter().all(|c| matches!(c, X::Empty)) {
                    continue;
                }
                xml.push_str(&format!("<row r=\"{}\">", r + 1));
                for (c, cell) in row.iter().enumerate() {
                    let at = format!("{}{}", col(c), r + 1);
                    match cell {
                        X::Empty => {}
                        X::S(t) => {
                            let i = *index.entry(t.clone()).or_insert_with(|| {
                                strings.push(t.clone());
                                strings.len() - 1
                            });
                            xml.push_str(&format!("<c r=\"{at}\" t=\"s\"><v>{i}</v></c>"));
                        }
                        X::Inline(t) => {
                            xml.push_str(&format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{}</t></is></c>", esc(t)))
                        }
                        X::N(v, style) => xml.push_str(&format!("<c r=\"{at}\" s=\"{style}\"><v>{v}</v></c>")),
                        X::B(b) => xml.push_str(&format!("<c r=\"{at}\" t=\"b\"><v>{}</v></c>", u8::from(*b))),
                        X::E(e) => xml.push_str(&format!("<c r=\"{at}\" t=\"e\"><v>{}</v></c>", esc(e))),
                    }
                }
                xml.push_str("</row>");
            }
            xml.push_str("</sheetData></worksheet>");
            files.push((format!("xl/worksheets/sheet{}.xml", n + 1), xml));
        }
        let mut sst = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<sst \
             xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"{0}\" uniqueCount=\"{0}\">",
            strings.len()
        );
        for s in &strings {
            sst.push_str(&format!("<si><t xml:space=\"preserve\">{}</t></si>", esc(s)));
        }
        sst.push_str("</sst>");

        let mut content_types = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types \
             xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" \
             ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" \
             ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>",
        );
        let mut wb = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook \
             xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><workbookPr{}/><sheets>",
            if date1904 { " date1904=\"1\"" } else { "" }
        );
        let mut rels = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships \
             xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">",
        );
        for (n, sh) in sheets.iter().enumerate() {
            let i = n + 1;
            content_types.push_str(&format!(
                "<Override PartName=\"/xl/worksheets/sheet{i}.xml\" \
                 ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            ));
            wb.push_str(&format!(
                "<sheet name=\"{}\" sheetId=\"{i}\"{} r:id=\"rId{i}\"/>",
                esc(&sh.name),
                if sh.hidden { " state=\"hidden\"" } else { "" }
            ));
            rels.push_str(&format!(
                "<Relationship Id=\"rId{i}\" \
                 Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" \
                 Target=\"worksheets/sheet{i}.xml\"/>"
            ));
        }
        let k = sheets.len();
        content_types.push_str(
            "<Override PartName=\"/xl/styles.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/><Override \
             PartName=\"/xl/sharedStrings.xml\" \
             ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/></Types>",
        );
        wb.push_str("</sheets></workbook>");
        rels.push_str(&format!(
            "<Relationship Id=\"rId{}\" \
             Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" \
             Target=\"styles.xml\"/><Relationship Id=\"rId{}\" \
             Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" \
             Target=\"sharedStrings.xml\"/></Relationships>",
            k + 1,
            k + 2
        ));
        let styles = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<styleSheet \
             xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><numFmts count=\"1\"><numFmt \
             numFmtId=\"164\" formatCode=\"dd\\.mm\\.yyyy\"/></numFmts><fonts count=\"1\"><font><sz \
             val=\"11\"/><name val=\"Calibri\"/></font></fonts><fills count=\"2\"><fill><patternFill \
             patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills><borders \
             count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs \
             count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs><cellXfs \
             count=\"5\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/><xf numFmtId=\"3\" \
             fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/><xf numFmtId=\"164\" \
             fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/><xf numFmtId=\"9\" \
             fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/><xf numFmtId=\"4\" \
             fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs><cellStyles \
             count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles></styleSheet>";
        let root_rels = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships \
             xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" \
             Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" \
             Target=\"xl/workbook.xml\"/></Relationships>";
        let mut all: Vec<(String, String)> = vec![
            ("[Content_Types].xml".into(), content_types),
            ("_rels/.rels".into(), root_rels.into()),
            ("xl/workbook.xml".into(), wb),
            ("xl/_rels/workbook.xml.rels".into(), rels),
            ("xl/styles.xml".into(), styles.into()),
            ("xl/sharedStrings.xml".into(), sst),
        ];
        all.extend(files);
        zip(&all)
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A zip archive of stored (uncompressed) entries, dated 2025-01-01.
    fn zip(files: &[(String, String)]) -> Vec<u8> {
        const TIME: u16 = 0;
        const DATE: u16 = ((2025 - 1980) << 9) | (1 << 5) | 1;
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, body) in files {
            let offset = out.len() as u32;
            let data = body.as_bytes();
            let crc = crc32(data);
            let size = data.len() as u32;
            let header = |sig: u32, central_entry: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(&sig.to_le_bytes());
                if central_entry {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes());
                h.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
                h.extend_from_slice(&0u16.to_le_bytes()); // stored
                h.extend_from_slice(&TIME.to_le_bytes());
                h.extend_from_slice(&DATE.to_le_bytes());
                h.extend_from_slice(&crc.to_le_bytes());
                h.extend_from_slice(&size.to_le_bytes());
                h.extend_from_slice(&size.to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                if central_entry {
                    h.extend_from_slice(&0u16.to_le_bytes()); // comment
                    h.extend_from_slice(&0u16.to_le_bytes()); // disk
                    h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                    h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h
            };
            out.extend(header(0x0403_4b50, false));
            out.extend_from_slice(data);
            central.extend(header(0x0201_4b50, true));
        }
        let start = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }
}

use xlsx::{X, s};

fn xlsx_records(bytes: &[u8]) -> Split {
    split(read_xlsx(&name("plan.xlsx"), bytes, &Mapping::default()))
}

/// Days since Excel's epoch (1900 system).
fn serial(d: NaiveDate) -> f64 {
    (d - date(1899, 12, 30)).num_days() as f64
}

// ------------------------------------------------------------------ numbers

#[test]
fn norwegian_amounts() {
    let cases: &[(&str, Option<&str>)] = &[
        ("1300000", Some("1300000 NOK")),
        ("1 300 000", Some("1300000 NOK")),
        ("1\u{a0}300\u{a0}000", Some("1300000 NOK")),
        ("1\u{2009}300\u{2009}000", Some("1300000 NOK")),
        ("1\u{202f}300\u{202f}000,50", Some("1300000.50 NOK")),
        ("1.300.000", Some("1300000 NOK")),
        ("1.300.000,50", Some("1300000.50 NOK")),
        ("1 300 000,50", Some("1300000.50 NOK")),
        ("1300000,5", Some("1300000.5 NOK")),
        ("1300000.50", Some("1300000.50 NOK")),
        ("1,300,000.50", Some("1300000.50 NOK")),
        ("kr 400 000", Some("400000 NOK")),
        ("kr. 400 000", Some("400000 NOK")),
        ("400 000 kr", Some("400000 NOK")),
        ("400 000,-", Some("400000 NOK")),
        ("kr 400 000,-", Some("400000 NOK")),
        ("NOK 400000", Some("400000 NOK")),
        ("400000 NOK", Some("400000 NOK")),
        ("2,3 MNOK", Some("2300000.0 NOK")),
        ("NOK 1,3 mill.", Some("1300000.0 NOK")),
        ("1,3 mill. kr", Some("1300000.0 NOK")),
        ("1,3 millioner", Some("1300000.0 NOK")),
        ("ca. 400 000", Some("400000 NOK")),
        ("400 000 eks. mva", Some("400000 NOK")),
        ("EUR 120 000", Some("120000 EUR")),
        ("120 000 €", Some("120000 EUR")),
        ("0", Some("0 NOK")),
        // refused: the field is missing and the reason is a warning
        ("1,3,0", None),
        ("1.300", None),
        ("1 30 000", None),
        ("1-2 mill.", None),
        ("400 000 inkl. mva", None),
        ("tre millioner", None),
        ("kr 400 000 EUR", None),
        ("-400 000", None),
        ("1 300.000", None),
    ];
    for (cell, expected) in cases {
        let r = one("Anslått verdi", cell);
        assert_eq!(amount(&r).as_deref(), *expected, "{cell:?}: {:?}", r.warnings);
        assert_eq!(r.warnings.is_empty(), expected.is_some(), "{cell:?}: {:?}", r.warnings);
    }
}

#[test]
fn headers_carry_units_and_currencies() {
    assert_eq!(
        amount(&one("Anslått verdi (MNOK)", "2,3")).as_deref(),
        Some("2300000.0 NOK")
    );
    assert_eq!(
        amount(&one("Anslått verdi (i 1000 kr)", "450")).as_deref(),
        Some("450000 NOK")
    );
    assert_eq!(
        amount(&one("Anslått verdi (EUR)", "120 000")).as_deref(),
        Some("120000 EUR")
    );
    assert_eq!(
        amount(&one("Anslått verdi, eks. mva", "120 000")).as_deref(),
        Some("120000 NOK")
    );
    // A currency column, and a currency that contradicts it.
    let rs = csv("Nr;Tittel;Anslått verdi;Valuta\n1;a;120 000;EUR\n2;b;kr 120 000;EUR\n3;c;1;kroner og øre\n");
    assert_eq!(amount(&rs[0]).as_deref(), Some("120000 EUR"));
    assert_eq!(amount(&rs[1]), None);
    assert!(
        warnings(&rs[1])[0].contains("\"kr 120 000\": the cell says NOK, but the currency column says EUR"),
        "{:?}",
        rs[1].warnings
    );
    assert_eq!(amount(&rs[2]), None);
    assert!(
        warnings(&rs[2])[0].starts_with("currency: D4 (Valuta)"),
        "{:?}",
        rs[2].warnings
    );
    // Values including VAT are not read unless the user maps them.
    let rs = csv("Nr;Tittel;Anslått verdi inkl. mva\n1;a;500 000\n");
    assert_eq!(amount(&rs[0]), None);
    assert!(warnings(&rs[0])[0].contains("including VAT"), "{:?}", rs[0].warnings);
    let m = Mapping::default()
        .with("Anslått verdi inkl. mva", "estimated_value")
        .expect("maps");
    let rs = csv_with("Nr;Tittel;Anslått verdi inkl. mva\n1;a;500 000\n", &m);
    assert_eq!(amount(&rs[0]).as_deref(), Some("500000 NOK"));
    // The default currency.
    let m = Mapping::default().with_currency("SEK").expect("a currency");
    assert_eq!(
        amount(&csv_with("Nr;Tittel;Verdi\n1;a;100\n", &m)[0]).as_deref(),
        Some("100 SEK")
    );
}

#[test]
fn percentages_durations_flags_and_counts() {
    let weight = |cell: &str| {
        one("Miljøvekt", cell)
            .award_criteria
            .and_then(|c| c[0].weight)
            .map(|w| w.to_string())
    };
    assert_eq!(weight("30").as_deref(), Some("30"));
    assert_eq!(weight("30 %").as_deref(), Some("30"));
    assert_eq!(weight("30%").as_deref(), Some("30"));
    assert_eq!(weight("12,5 %").as_deref(), Some("12.5"));
    assert_eq!(weight("130"), None);
    assert_eq!(weight("tretti"), None);

    let months = |header: &str, cell: &str| one(header, cell).duration_months.map(|d| d.to_string());
    assert_eq!(months("Varighet (mnd)", "48").as_deref(), Some("48"));
    assert_eq!(months("Varighet", "48 mnd").as_deref(), Some("48"));
    assert_eq!(months("Varighet", "4 år").as_deref(), Some("48"));
    assert_eq!(months("Varighet", "2+1+1 år").as_deref(), Some("48"));
    assert_eq!(months("Varighet (år)", "2,5").as_deref(), Some("30"));
    assert_eq!(months("Varighet", "lenge"), None);
    assert_eq!(
        months("Varighet (år)", "9999999999999999999999999999"),
        None,
        "too large, not a panic"
    );
    assert_eq!(months("Varighet", "9999999999999999999999999999 + 1 år"), None);
    assert_eq!(
        one("Anslått verdi (MNOK)", "99 999 999 999 999 999 999 999").estimated_value,
        None
    );

    let framework = |cell: &str| one("Rammeavtale", cell).framework;
    for yes in ["Ja", "ja", "JA", "x", "Yes", "true", "1", "✓"] {
        assert_eq!(framework(yes), Some(true), "{yes}");
    }
    for no in ["Nei", "nei", "No", "false", "0"] {
        assert_eq!(framework(no), Some(false), "{no}");
    }
    assert_eq!(framework("kanskje"), None);
    assert_eq!(framework("-"), None);

    let levels = one("Ledd underleverandører", "2");
    assert_eq!(
        levels.labour.max_subcontractor_levels.map(|d| d.to_string()).as_deref(),
        Some("2")
    );
}

// ------------------------------------------------------------------ dates

#[test]
fn date_formats() {
    let cases: &[(&str, Option<NaiveDate>)] = &[
        ("17.03.2021", Some(date(2021, 3, 17))),
        ("17.3.2021", Some(date(2021, 3, 17))),
        ("7.3.2021", Some(date(2021, 3, 7))),
        ("17.03.21", Some(date(2021, 3, 17))),
        ("17/03/2021", Some(date(2021, 3, 17))),
        ("17-03-2021", Some(date(2021, 3, 17))),
        ("2021-03-17", Some(date(2021, 3, 17))),
        ("2021-03-17T10:30:00", Some(date(2021, 3, 17))),
        ("17.03.2021 10:30", Some(date(2021, 3, 17))),
        ("20210317", Some(date(2021, 3, 17))),
        ("44272", Some(date(2021, 3, 17))), // an Excel serial day
        ("17. mars 2021", Some(date(2021, 3, 17))),
        ("17 mar 2021", Some(date(2021, 3, 17))),
        ("17. March 2021", Some(date(2021, 3, 17))),
        ("31.02.2021", None),
        ("mars 2021", None),
        ("03.2021", None),
        ("2021", None),
        ("Q2 2021", None),
        ("2. kvartal 2021", None),
        ("snart", None),
        ("12345", None),
    ];
    for (cell, expected) in cases {
        let r = one("Kunngjøringsdato", cell);
        assert_eq!(r.date, *expected, "{cell:?}: {:?}", r.warnings);
        assert_eq!(r.warnings.is_empty(), expected.is_some(), "{cell:?}");
    }
    let r = one("Dato", "mars 2021");
    assert!(warnings(&r)[0].contains("not a day"), "{:?}", r.warnings);
}

// ------------------------------------------------------------------ headers and mappings

#[test]
fn headers_match_whatever_their_case_spaces_and_dots() {
    let text = "  NR ;TITTEL;oppdragsgiver;Org. nr.;ORGANISASJONSNUMMER LEVERANDØR;Anskaffelsestype;Cpv-koder;\
                Prosedyre:;Estimert  verdi;Dato;Rammeavtale?;Miljø (%);Status;Leverandør\n\
                A-1;Vaskemidler;Bærum kommune;935 478 715;;Varer;39830000;direkteanskaffelse;300 000;\
                01.02.2025;nei;30;planlagt;Renhold AS\n";
    let r = &csv(text)[0];
    assert!(
        r.warnings.iter().all(|w| w.field == "ORGANISASJONSNUMMER LEVERANDØR"),
        "{:?}",
        r.warnings
    );
    assert_eq!(r.id.as_deref(), Some("A-1"));
    assert_eq!(r.title.as_deref(), Some("Vaskemidler"));
    assert_eq!(r.buyer.name.as_deref(), Some("Bærum kommune"));
    assert_eq!(r.buyer.id.as_deref(), Some("935 478 715"));
    assert_eq!(
        r.buyer.kind,
        anskaff::schema::Domain::BuyerKind.code("municipal"),
        "from the name"
    );
    assert_eq!(r.category, anskaff::schema::Domain::Category.code("goods"));
    assert_eq!(r.cpv.as_deref(), Some(&["39830000".to_string()][..]));
    assert_eq!(r.procedure, anskaff::schema::Domain::Procedure.code("direct"));
    assert_eq!(amount(r).as_deref(), Some("300000 NOK"));
    assert_eq!(r.date, Some(date(2025, 2, 1)));
    assert_eq!(r.framework, Some(false));
    assert_eq!(r.stage, anskaff::schema::Domain::Stage.code("planned"));
    assert_eq!(r.supplier.name.as_deref(), Some("Renhold AS"));
    let criteria = r.award_criteria.as_ref().expect("criteria");
    assert_eq!(criteria.len(), 1);
    assert_eq!(
        criteria[0].kind,
        anskaff::schema::Domain::CriterionType.code("environment")
    );
    assert_eq!(criteria[0].name.as_deref(), Some("Miljø (%)"));
}

#[test]
fn fallback_names_make_a_table_but_a_list_of_values_does_not() {
    let rs = csv("Nr;Beskrivelse;Verdi\n1;Kaffe;100\n");
    assert_eq!(rs[0].title.as_deref(), Some("Kaffe"));
    assert_eq!(amount(&rs[0]).as_deref(), Some("100 NOK"));
    let (records, errors) = split(read_csv(
        &name("lister.csv"),
        "Kategori;Beskrivelse\nVarer;Fysiske ting\n".as_bytes(),
        &Mapping::default(),
    ));
    assert!(records.is_empty());
    assert_eq!(errors.len(), 1);
}

#[test]
fn english_headers_and_canonical_paths() {
    let text = "Reference,Title,Buyer,Buyer kind,Category,Procedure,Estimated value,Date,labour.apprentices,\
                environment.exemption,lots_justification\n\
                R1,Road salt,Viken,county,works,open,\"57 800 000\",2024-03-14,yes,none,single site\n";
    let r = &csv(text)[0];
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.id.as_deref(), Some("R1"));
    assert_eq!(r.buyer.kind, anskaff::schema::Domain::BuyerKind.code("county"));
    assert_eq!(r.category, anskaff::schema::Domain::Category.code("works"));
    assert_eq!(r.labour.apprentices, Some(true));
    assert_eq!(r.environment.exemption.as_deref(), Some("none"));
    assert_eq!(r.lots_justification.as_deref(), Some("single site"));
    assert_eq!(amount(r).as_deref(), Some("57800000 NOK"));
}

#[test]
fn norwegian_values_for_codes() {
    use anskaff::schema::Domain;
    let cases: &[(&str, &str, Domain, &str)] = &[
        ("Kategori", "varer", Domain::Category, "goods"),
        ("Kategori", "Tjenester", Domain::Category, "services"),
        ("Kategori", "Bygge- og anlegg", Domain::Category, "works"),
        ("Kategori", "bygg og anlegg", Domain::Category, "works"),
        ("Prosedyre", "Åpen anbudskonkurranse", Domain::Procedure, "open"),
        (
            "Prosedyre",
            "Begrenset anbudskonkurranse",
            Domain::Procedure,
            "restricted",
        ),
        (
            "Prosedyre",
            "Konkurranse med forhandling",
            Domain::Procedure,
            "negotiated",
        ),
        (
            "Prosedyre",
            "Konkurranse med forhandling uten forutgående kunngjøring",
            Domain::Procedure,
            "negotiated_without_notice",
        ),
        (
            "Prosedyre",
            "Konkurransepreget dialog",
            Domain::Procedure,
            "competitive_dialogue",
        ),
        (
            "Prosedyre",
            "Innovasjonspartnerskap",
            Domain::Procedure,
            "innovation_partnership",
        ),
        ("Prosedyre", "Direkteanskaffelse", Domain::Procedure, "direct"),
        (
            "Prosedyre",
            "Direkteanskaffelse (under 100 000)",
            Domain::Procedure,
            "direct",
        ),
        ("Prosedyre", "Under terskelverdi", Domain::Procedure, "below_threshold"),
        (
            "Prosedyre",
            "Avrop på rammeavtale",
            Domain::Procedure,
            "framework_call_off",
        ),
        ("Prosedyre", "below_threshold", Domain::Procedure, "below_threshold"),
        ("Virksomhetstype", "Statlig", Domain::BuyerKind, "state"),
        ("Virksomhetstype", "Fylkeskommune", Domain::BuyerKind, "county"),
        ("Virksomhetstype", "IKS", Domain::BuyerKind, "public_body"),
        ("Status", "Kontrakt signert", Domain::Stage, "contract"),
        ("Drivstoff", "Biogass", Domain::Fuel, "biogas"),
        ("Drivstoff", "HVO 100", Domain::Fuel, "hvo100"),
        ("Drivstoff", "elbil", Domain::Fuel, "electric"),
    ];
    for (header, cell, domain, code) in cases {
        let r = one(header, cell);
        assert!(r.warnings.is_empty(), "{cell}: {:?}", r.warnings);
        let got = match domain {
            Domain::Category => r.category,
            Domain::Procedure => r.procedure,
            Domain::BuyerKind => r.buyer.kind,
            Domain::Stage => r.stage,
            Domain::Fuel => r.vehicles.as_ref().and_then(|v| v[0].fuel),
            Domain::CriterionType => None,
        };
        assert_eq!(got, domain.code(code), "{cell}");
    }
    let r = one("Prosedyre", "anbud");
    assert_eq!(r.procedure, None);
    assert!(
        warnings(&r)[0].starts_with("procedure: C2 (Prosedyre): \"anbud\" is not a procedure"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn lists_in_cells() {
    let r = one("CPV", "34136000-9, 34144900-7; 9310000");
    assert_eq!(
        r.cpv,
        Some(vec!["34136000".into(), "34144900".into(), "09310000".into()])
    );
    let r = one("CPV-koder", "90910000-9 Rengjøring");
    assert_eq!(r.cpv, Some(vec!["90910000".into()]));
    let r = one("CPV", "9091XX00");
    assert_eq!(r.cpv, None);
    assert!(warnings(&r)[0].contains("is not a CPV code"));

    let lots = |cell: &str| one("Antall delkontrakter", cell).lots.map(|l| l.len());
    assert_eq!(lots("3"), Some(3));
    assert_eq!(lots("0"), Some(0));
    assert_eq!(lots("nei"), Some(0));
    assert_eq!(lots("2 delkontrakter"), Some(2));
    assert_eq!(lots("ja"), None);
    assert_eq!(lots("1000000"), None);
    let r = one("Delkontrakter", "Øst; Vest; Nord");
    let titles: Vec<_> = r
        .lots
        .unwrap_or_default()
        .into_iter()
        .map(|l| (l.id, l.title))
        .collect();
    assert_eq!(titles[2], (Some("3".into()), Some("Nord".into())));

    let r = one("Tildelingskriterier", "Pris 60 %, Kvalitet 10 %, Miljø og klima 30 %");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let c = r.award_criteria.expect("criteria");
    assert_eq!(c.len(), 3);
    assert_eq!(c[2].name.as_deref(), Some("Miljø og klima"));
    assert_eq!(c[2].kind, anskaff::schema::Domain::CriterionType.code("environment"));
    assert_eq!(c[2].weight.map(|w| w.to_string()).as_deref(), Some("30"));
    let r = one(
        "Tildelingskriterier",
        "70 % pris + 22,5 % livssykluskostnad + 7,5 % leveringstid",
    );
    let c = r.award_criteria.expect("criteria");
    assert_eq!(c[1].weight.map(|w| w.to_string()).as_deref(), Some("22.5"));
    assert_eq!(c[1].kind, anskaff::schema::Domain::CriterionType.code("cost"));
    assert_eq!(c[2].kind, None, "an unknown kind stays missing");
    assert_eq!(r.warnings.len(), 1);

    // A criteria cell and a weight column: the column is read, once.
    let rs = csv("Nr;Tittel;Tildelingskriterier;Miljøvekt\n1;a;Pris 70 %, Miljø 30 %;30\n2;b;Pris 75, Miljø 25;30\n");
    let envs = |r: &Record| {
        let c = r.award_criteria.as_ref().expect("criteria");
        (
            c.len(),
            c.iter()
                .filter(|c| c.kind == anskaff::schema::Domain::CriterionType.code("environment"))
                .count(),
        )
    };
    assert_eq!(envs(&rs[0]), (2, 1));
    assert!(rs[0].warnings.is_empty(), "{:?}", rs[0].warnings);
    assert_eq!(envs(&rs[1]), (2, 1));
    assert!(
        warnings(&rs[1])[0].contains("environment a weight of 25 %, the weight column 30 %"),
        "{:?}",
        rs[1].warnings
    );

    let r = one("Kjøretøy", "4 N1 elektrisk; 2 M1 hydrogen, 1 lastebil diesel");
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let v = r.vehicles.expect("vehicles");
    assert_eq!(v.len(), 3);
    assert_eq!(v[0].class.as_deref(), Some("N1"));
    assert_eq!(v[0].count.map(|d| d.to_string()).as_deref(), Some("4"));
    assert_eq!(v[2].fuel, anskaff::schema::Domain::Fuel.code("diesel"));
    let r = one("Kjøretøy", "10 elbiler");
    assert_eq!(
        r.vehicles.and_then(|v| v[0].fuel),
        anskaff::schema::Domain::Fuel.code("electric")
    );
}

#[test]
fn item_columns_make_one_item_per_row() {
    let text = "Nr;Tittel;Kjøretøyklasse;Antall kjøretøy;Drivstoff;Unntak fra regel;Begrunnelse for unntak;\
                Godkjent av;Gyldig til\n\
                1;Busser;M3;6;biogass;VIKEN-KLIMA-1, FOA-7-9-CLIMATE;Ingen på markedet;Kommunedirektøren;31.12.2025\n\
                2;Busser;M3;6;kull;VIKEN-KLIMA-1;Ingen;Kommunedirektøren;31.13.2025\n";
    let rs = csv(text);
    let v = rs[0].vehicles.as_ref().expect("vehicles");
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].fuel, anskaff::schema::Domain::Fuel.code("biogas"));
    let e = rs[0].exemptions.as_ref().expect("exemptions");
    assert_eq!(e.len(), 2);
    assert_eq!(e[1].rule.as_deref(), Some("FOA-7-9-CLIMATE"));
    assert_eq!(e[1].expires, Some(date(2025, 12, 31)));
    assert_eq!(e[1].approved_by.as_deref(), Some("Kommunedirektøren"));
    // A bad fuel leaves the vehicle with no fuel; a bad expiry drops the
    // exemption, which would otherwise never expire.
    let v = rs[1].vehicles.as_ref().expect("vehicles");
    assert_eq!(v[0].fuel, None);
    assert_eq!(rs[1].exemptions, None);
    assert_eq!(rs[1].warnings.len(), 2, "{:?}", rs[1].warnings);
}

#[test]
fn mapping_overrides() {
    let text = "Løpenr;Hva;Kroner;Når;Anbudsform;Budsjettpost\n7;Kaffe;300 000;01.02.2025;Anbud;1234\n";
    // Without a mapping: `Løpenr` is an id, the rest is not read and the
    // table has no header row (only one field is named).
    let (records, errors) = split(read_csv(&name("kaffe.csv"), text.as_bytes(), &Mapping::default()));
    assert!(records.is_empty());
    assert!(errors[0].1.contains("no header row"), "{errors:?}");
    let m = Mapping::default()
        .with("Hva", "title")
        .and_then(|m| m.with(" KRONER ", "estimated_value"))
        .and_then(|m| m.with("når", "date"))
        .and_then(|m| m.with("Anbudsform", "procedure"))
        .and_then(|m| m.with("Budsjettpost", "ignore"))
        .and_then(|m| m.with_value("procedure", "Anbud", "open"))
        .expect("a mapping");
    let rs = csv_with(text, &m);
    assert!(rs[0].warnings.is_empty(), "{:?}", rs[0].warnings);
    assert_eq!(rs[0].id.as_deref(), Some("7"));
    assert_eq!(rs[0].title.as_deref(), Some("Kaffe"));
    assert_eq!(rs[0].date, Some(date(2025, 2, 1)));
    assert_eq!(rs[0].procedure, anskaff::schema::Domain::Procedure.code("open"));
    // An override replaces a built-in name.
    let m = Mapping::default().with("Dato", "exemptions[].expires").expect("maps");
    let rs = csv_with("Nr;Tittel;Dato\n1;a;01.02.2025\n", &m);
    assert_eq!(rs[0].date, None);

    let e = Mapping::default().with("Verdi", "estimated_valeu").expect_err("a typo");
    assert!(e.contains("did you mean `estimated_value`?"), "{e}");
    assert!(Mapping::default().with("  ", "title").is_err());
    assert!(Mapping::default().with("X", "weight.environment").is_ok());
    assert!(Mapping::default().with_value("title", "a", "b").is_err());
    assert!(Mapping::default().with_value("procedure", "anbud", "opne").is_err());
    assert!(Mapping::default().with_default("date", "snart").is_err());
}

#[test]
fn mapping_file() {
    let dir = root().join("tests/fixtures/tables");
    let m = Mapping::from_file(&dir.join("mapping.json")).expect("the mapping loads");
    let bytes = std::fs::read(dir.join("custom-headers.csv")).expect("the fixture");
    let (records, errors) = split(read_csv(&name("custom-headers.csv"), &bytes, &m));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
    let r = &records[0].1;
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.id.as_deref(), Some("2025-101"));
    assert_eq!(amount(r).as_deref(), Some("2400000 NOK"));
    assert_eq!(r.procedure, anskaff::schema::Domain::Procedure.code("open"));
    assert_eq!(r.buyer.id.as_deref(), Some("964 338 531"), "a default");
    assert_eq!(
        r.buyer.kind,
        anskaff::schema::Domain::BuyerKind.code("municipal"),
        "a default"
    );
    assert_eq!(
        r.category,
        anskaff::schema::Domain::Category.code("services"),
        "a default"
    );
    let r = &records[1].1;
    assert_eq!(
        r.category,
        anskaff::schema::Domain::Category.code("goods"),
        "the cell wins over the default"
    );
    assert_eq!(r.procedure, anskaff::schema::Domain::Procedure.code("direct"));

    let bad = tempfile::NamedTempFile::new().expect("a temp file");
    std::fs::write(bad.path(), r#"{"columns": {"Verdi": "estimated_valu"}}"#).expect("written");
    let e = Mapping::from_file(bad.path()).expect_err("a bad field");
    assert!(e.contains("columns: \"Verdi\"") && e.contains("estimated_value"), "{e}");
    std::fs::write(bad.path(), r#"{"colums": {}}"#).expect("written");
    assert!(
        Mapping::from_file(bad.path())
            .expect_err("unknown key")
            .contains("colums")
    );
    assert!(Mapping::from_file(&dir.join("nope.json")).is_err());
}

// ------------------------------------------------------------------ bad cells, rows, ids

#[test]
fn a_bad_cell_is_a_warning_and_the_record_is_still_produced() {
    let text = "Nr;Tittel;Anslått verdi;Dato\n1;a;100;01.01.2025\n2;b;200;01.01.2025\n3;c;300;01.01.2025\n\
                4;d;400;01.01.2025\n5;e;500;01.01.2025\n6;f;1,3,0;01.01.2025\n";
    let rs = csv(text);
    assert_eq!(rs.len(), 6);
    let r = &rs[5];
    assert_eq!(r.id.as_deref(), Some("6"));
    assert_eq!(r.estimated_value, None);
    assert_eq!(r.date, Some(date(2025, 1, 1)));
    assert_eq!(
        warnings(r),
        ["estimated_value: C7 (Anslått verdi): \"1,3,0\" is not an amount"]
    );

    let wb = xlsx::workbook(
        &[xlsx::sheet(
            "Ark1",
            vec![
                vec![s("Nr"), s("Tittel"), s("Anslått verdi")],
                vec![s("1"), s("a"), X::N(100.0, 0)],
                vec![s("2"), s("b"), s("1,3,0")],
                vec![s("3"), s("c"), X::E("#N/A")],
            ],
        )],
        false,
    );
    let (records, errors) = xlsx_records(&wb);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        warnings(&records[1].1),
        ["estimated_value: Ark1!C3 (Anslått verdi): \"1,3,0\" is not an amount"]
    );
    assert_eq!(
        warnings(&records[2].1),
        ["estimated_value: Ark1!C4 (Anslått verdi): the Excel error #N/A is not an amount"]
    );
    assert_eq!(records[1].0.locator.as_deref(), Some("Ark1!row 3"));
    assert_eq!(records[1].0.line, None);
}

#[test]
fn empty_and_total_rows_are_skipped() {
    let text = "Anskaffelsesplan 2025\n\nNr;Tittel;Anslått verdi\n1;a;100\n;;\n  ; ;\n2;b;200\nSum;;300\n";
    let (records, errors) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert!(errors.is_empty());
    let lines: Vec<_> = records.iter().map(|(s, r)| (s.line, r.id.clone())).collect();
    assert_eq!(lines, [(Some(4), Some("1".into())), (Some(7), Some("2".into()))]);
}

#[test]
fn records_without_ids_are_named_after_the_file_and_row() {
    let (records, errors) = split(read_csv(
        &name("plans/innkjøp.csv"),
        "Tittel;Anslått verdi\nStoler;100\nBord;200\n".as_bytes(),
        &Mapping::default(),
    ));
    assert!(errors.is_empty());
    assert_eq!(records[0].1.id.as_deref(), Some("innkjøp:2"));
    assert_eq!(records[1].1.id.as_deref(), Some("innkjøp:3"));
    assert!(
        warnings(&records[0].1)[0].starts_with("id: line 1: no id column"),
        "{:?}",
        records[0].1.warnings
    );
    assert!(records[1].1.warnings.is_empty());
    // An empty id cell, and a repeated id.
    let rs = csv("Nr;Tittel\n;Stoler\n5;Bord\n5;Lamper\n");
    assert_eq!(rs[0].id.as_deref(), Some("plan:2"));
    assert_eq!(
        warnings(&rs[0]),
        ["id: A2 (Nr): no id; the record is called \"plan:2\""]
    );
    assert!(warnings(&rs[2])[0].contains("\"5\" is also the id of row 3"));
    // Engine: every record has an id, so none is an input error.
    let p = policies();
    let engine = Engine::new(&p.plan, Lang::En);
    for (i, r) in rs.into_iter().enumerate() {
        assert!(engine.evaluate(r, Source::line(name("plan.csv"), 1), i as u64).is_ok());
    }
}

#[test]
fn unknown_unnamed_and_duplicate_columns_are_reported_once() {
    let text = "Nr;Tittel;Beskrivelse;Budsjettpost;Anslått verdi;Estimert verdi;;Kommentar\n\
                1;a;lang tekst;4711;100;200;x;hei\n2;b;;;;;;\n";
    let rs = csv(text);
    assert_eq!(
        rs[0].title.as_deref(),
        Some("a"),
        "Tittel before the fallback Beskrivelse"
    );
    assert_eq!(
        amount(&rs[0]).as_deref(),
        Some("100 NOK"),
        "the leftmost of two equal names"
    );
    let w = warnings(&rs[0]);
    assert!(
        w.iter()
            .any(|w| w.starts_with("Budsjettpost: D1: the column is not read")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("Estimert verdi: F1: the column is not read: column E")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("Beskrivelse: C1: the column is not read")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.starts_with("G: G2: column G has values but no header")),
        "{w:?}"
    );
    assert!(!w.iter().any(|w| w.contains("Kommentar")), "{w:?}");
    assert!(rs[1].warnings.is_empty());
}

#[test]
fn a_column_without_a_header_is_named_at_its_first_value() {
    // The header is on line 2; the first value without a header in D4.
    let text = "Innkjøpsplan 2025\nNr;Tittel;Anslått verdi\n1;a;100\n2;b;200;x\n3;c;300;y\n";
    let rs = csv(text);
    let w = warnings(&rs[0]);
    assert!(
        w.iter()
            .any(|w| w == "D: D4: column D has values but no header; they are not read"),
        "{w:?}"
    );
    // In a workbook: the last column Excel has, XFD, in row 2.
    let mut row = vec![s("1"), s("a"), X::N(100.0, xlsx::GENERAL)];
    row.resize(16_383, X::Empty);
    row.push(s("x"));
    let wb = xlsx::workbook(
        &[xlsx::sheet(
            "Ark1",
            vec![vec![s("Nr"), s("Tittel"), s("Anslått verdi")], row],
        )],
        false,
    );
    let (records, errors) = xlsx_records(&wb);
    assert!(errors.is_empty(), "{errors:?}");
    let w = warnings(&records[0].1);
    assert!(
        w.iter().any(|w| w.starts_with("XFD: Ark1!XFD2: column XFD has values")),
        "{w:?}"
    );
}

#[test]
fn csv_sources_are_the_lines_records_start_on() {
    let text = "Nr;Tittel;Anslått verdi\n1;\"To\nlinjer\";100\n2;b;200\n";
    let (records, _) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert_eq!(records[0].1.title.as_deref(), Some("To\nlinjer"));
    assert_eq!(records[1].0, Source::line(name("p.csv"), 4));
}

#[test]
fn a_file_without_a_header_row_is_an_input_error() {
    for text in ["", "\n\n", "a;b;c\n1;2;3\n", "Tittel\nx\n"] {
        let (records, errors) = split(read_csv(&name("x.csv"), text.as_bytes(), &Mapping::default()));
        assert!(records.is_empty(), "{text:?}");
        assert_eq!(errors.len(), 1, "{text:?}");
        assert_eq!(errors[0].0.file.as_ref(), "x.csv");
    }
}

#[test]
fn a_stray_quote_that_swallows_rows_is_an_input_error() {
    // Row 3 opens a quote that is never closed: without the check, rows
    // 4 and 5 were the end of one title and the file gave one record.
    let text = "Nr;Tittel;Anslått verdi\nA1;t1;100\nA2;\"t2;200\nA3;t3;300\nA4;t4;400\n";
    let (records, errors) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].1.id.as_deref(), Some("A1"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, Source::line(name("p.csv"), 3));
    assert!(
        errors[0].1.starts_with(
            "a quote opened at line 3 in column B (Tittel) is never closed; lines 4–5 were read into one cell"
        ),
        "{errors:?}"
    );

    // Closed further down, by the quote of another cell.
    let text = "Nr;Tittel;Anslått verdi\nA1;\"t1;100\nA2;t2;200\nA3;t3;300\nA4;\"t4\";400\nA5;t5;500\n";
    let (records, errors) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert_eq!(
        records
            .iter()
            .map(|(_, r)| r.id.as_deref().unwrap_or("?"))
            .collect::<Vec<_>>(),
        ["A5"]
    );
    assert_eq!(records[0].0, Source::line(name("p.csv"), 6));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, Source::line(name("p.csv"), 2));
    assert!(
        errors[0].1.starts_with(
            "a quote opened at line 2 in column B (Tittel) is not closed until line 5; lines 3–5 were read"
        ),
        "{errors:?}"
    );
}

#[test]
fn a_stray_quote_in_the_example_plan_is_reported_at_its_line() {
    // The tester's case: a quote before the title on line 18.
    let path = root().join("examples/plans/anskaffelsesplan-2025.csv");
    let text = std::fs::read_to_string(path).expect("the example plan");
    let broken: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i + 1 == 18 {
                let (first, rest) = l.split_once(';').expect("a row");
                format!("{first};\"{rest}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let (records, errors) = split(read_csv(&name("plan.csv"), broken.as_bytes(), &Mapping::default()));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0.line, Some(18));
    assert!(errors[0].1.contains("a quote opened at line 18"), "{errors:?}");
    assert!(
        errors[0].1.contains("lines 19–24 were read into one cell"),
        "{errors:?}"
    );
    // Rows 4 to 17 are records; 18 to 24 (the last, a row of sums) the error.
    assert_eq!(records.len(), 14);
    assert_eq!(records.last().map(|(s, _)| s.line), Some(Some(17)));

    // On the first row, where the parser sees rows of two cells only, and
    // the commas of the file (`90910000-9, 90919200-4`) could have made
    // `,` look like the delimiter.
    let broken = text.replacen("\nLK-2025-01;", "\nLK-2025-01;\"", 1);
    let (records, errors) = split(read_csv(&name("plan.csv"), broken.as_bytes(), &Mapping::default()));
    assert!(records.is_empty(), "{records:?}");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0.line, Some(4));
    assert!(
        errors[0]
            .1
            .starts_with("a quote opened at line 4 in column B (Tittel) is never closed; lines 5–24 were read"),
        "{errors:?}"
    );
}

#[test]
fn a_quoted_cell_with_line_breaks_is_still_one_cell() {
    let text = "Nr;Tittel;Anslått verdi;Kommentar\n\
                1;\"Stoler\nog bord\";100;\"Første linje\nandre linje, med komma\n\"\"sitat\"\"\"\n\
                2;b;200;\"Én; to\"\n";
    let (records, errors) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].1.title.as_deref(), Some("Stoler\nog bord"));
    assert_eq!(records[1].0, Source::line(name("p.csv"), 6));
}

#[test]
fn a_stray_quote_in_the_header_row_says_so() {
    let text = "Nr;\"Tittel;Anslått verdi\nA1;t1;100\nA2;t2;200\n";
    let (records, errors) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert!(records.is_empty());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.contains("a quote opened at line 1"), "{errors:?}");
}

#[test]
fn windows_line_ends_give_the_right_lines_and_cells() {
    let text = "Nr;Tittel;Anslått verdi\r\nA1;t1;100\r\nA2;t2;tusen\r\n\r\nA3;\"to\r\nlinjer\";300\r\nA4;t4;400\r\n";
    let (records, errors) = split(read_csv(&name("p.csv"), text.as_bytes(), &Mapping::default()));
    assert!(errors.is_empty(), "{errors:?}");
    let lines: Vec<Option<u64>> = records.iter().map(|(s, _)| s.line).collect();
    assert_eq!(lines, [Some(2), Some(3), Some(5), Some(7)]);
    let w = warnings(&records[1].1);
    assert!(w.iter().any(|w| w.contains("C3 (Anslått verdi)")), "{w:?}");
    // Excel's "Unicode text": UTF-16, tabs, CRLF.
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "Nr\tTittel\tAnslått verdi\r\nU1\tt1\t100\r\nU2\tt2\ttusen\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let (records, _) = split(read_csv(&name("u.txt"), &utf16, &Mapping::default()));
    assert_eq!(records[1].0, Source::line(name("u.txt"), 3));
    let w = warnings(&records[1].1);
    assert!(w.iter().any(|w| w.contains("C3 (Anslått verdi)")), "{w:?}");
}

// ------------------------------------------------------------------ delimiters and encodings

#[test]
fn delimiters_are_detected() {
    let semicolon = "Nr;Tittel;Anslått verdi\n1;Stoler, kontor;1 300 000,50\n2;Bord;2,5 MNOK\n";
    let comma = "Nr,Tittel,Anslått verdi\n1,\"Stoler, kontor\",\"1 300 000,50\"\n2,Bord,2500000\n";
    let tab = "Nr\tTittel\tAnslått verdi\n1\tStoler, kontor\t1 300 000,50\n2\tBord\t2500000\n";
    let excel_hint = "sep=,\nNr,Tittel,Anslått verdi\n1,\"Stoler, kontor\",\"1 300 000,50\"\n2,Bord,2500000\n";
    for text in [semicolon, comma, tab, excel_hint] {
        let rs = csv(text);
        assert_eq!(rs.len(), 2, "{text}");
        assert_eq!(rs[0].title.as_deref(), Some("Stoler, kontor"), "{text}");
        assert_eq!(amount(&rs[0]).as_deref(), Some("1300000.50 NOK"), "{text}");
        assert_eq!(
            rs[1].estimated_value.map(|m| m.amount),
            Some(2_500_000.into()),
            "{text}"
        );
    }
}

#[test]
fn utf8_with_and_without_bom() {
    let text = "Nr;Tittel;Anslått verdi\n1;Strøm;400 000\n";
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
    for bytes in [text.as_bytes().to_vec(), with_bom] {
        let (records, errors) = split(read_csv(&name("p.csv"), &bytes, &Mapping::default()));
        assert!(errors.is_empty());
        let r = &records[0].1;
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.id.as_deref(), Some("1"), "the BOM is not part of the first header");
        assert_eq!(amount(r).as_deref(), Some("400000 NOK"));
    }
    // UTF-16 with a BOM (Excel's "Unicode text", tab-separated).
    let utf16: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(
            "Nr\tTittel\tAnslått verdi\r\n1\tStrøm\t400 000\r\n"
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        )
        .collect();
    let (records, _) = split(read_csv(&name("p.txt"), &utf16, &Mapping::default()));
    assert_eq!(records[0].1.title.as_deref(), Some("Strøm"));
}

#[test]
fn windows_1252_is_decoded_and_said() {
    let bytes = std::fs::read(root().join("tests/fixtures/tables/windows-1252.csv")).expect("the fixture");
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is not UTF-8");
    let (records, errors) = split(read_csv(&name("w.csv"), &bytes, &Mapping::default()));
    assert!(errors.is_empty(), "{errors:?}");
    let r = &records[0].1;
    assert_eq!(
        amount(r).as_deref(),
        Some("400000 NOK"),
        "`Anslått verdi` is recognised"
    );
    assert_eq!(r.title.as_deref(), Some("Kontorstoler, rådhuset"));
    assert_eq!(r.buyer.name.as_deref(), Some("Lillestrøm kommune"));
    assert_eq!(
        r.procedure,
        anskaff::schema::Domain::Procedure.code("open"),
        "Åpen anbudskonkurranse"
    );
    assert_eq!(r.warnings.len(), 1);
    assert_eq!(r.warnings[0].field, "encoding");
    assert!(r.warnings[0].message.contains("Windows-1252"));
    assert!(records[1].1.warnings.is_empty(), "said once per file");
}

#[test]
fn broken_utf8_is_an_error_not_garbled_text() {
    let mut bytes = "Nr;Tittel;Anslått verdi\n1;Strøm;400 000\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"2;Str\xF8m;1\n");
    let (records, errors) = split(read_csv(&name("p.csv"), &bytes, &Mapping::default()));
    assert!(records.is_empty());
    assert!(errors[0].1.contains("invalid bytes at line 3"), "{errors:?}");
    let (_, errors) = split(read_csv(
        &name("p.csv"),
        b"Nr;Tittel\n1;\x81\x8D\n",
        &Mapping::default(),
    ));
    assert!(errors[0].1.contains("neither UTF-8 nor Windows-1252"), "{errors:?}");
}

// ------------------------------------------------------------------ XLSX cells

#[test]
fn xlsx_numbers_text_and_dates() {
    let d = date(2025, 3, 17);
    let wb = xlsx::workbook(
        &[xlsx::sheet(
            "Plan 2025",
            vec![
                vec![
                    s("Nr"),
                    s("Tittel"),
                    s("Org.nr"),
                    s("CPV"),
                    s("Anslått verdi"),
                    s("Kunngjøringsdato"),
                    s("Miljøvekt"),
                    s("Rammeavtale"),
                    s("Varighet (år)"),
                ],
                vec![
                    X::N(1.0, 0),
                    X::Inline("Vaskemidler".into()),
                    X::N(820710592.0, 0),
                    X::N(9310000.0, 0),
                    X::N(1300000.5, xlsx::THOUSANDS_2),
                    X::N(serial(d), xlsx::DATE),
                    X::N(0.3, xlsx::PERCENT),
                    X::B(true),
                    X::N(4.0, 0),
                ],
                vec![
                    s("2"),
                    s("Papir"),
                    s("820 710 592"),
                    s("30197630-1"),
                    s("1 300 000,50"),
                    s("17.03.2025"),
                    s("30 %"),
                    s("Nei"),
                    s("4"),
                ],
                vec![
                    s("3"),
                    s("Toner"),
                    X::Empty,
                    X::Empty,
                    X::N(0.1 + 0.2, 0),
                    X::N(serial(d), 0), // a serial day without a date format
                    X::N(30.0, 0),
                    X::N(0.0, 0),
                    X::Empty,
                ],
                vec![
                    s("4"),
                    s("Tid"),
                    X::Empty,
                    X::Empty,
                    X::B(true),
                    X::N(0.5, xlsx::DATE), // a time
                    X::N(1.5, xlsx::PERCENT),
                    X::N(2.0, 0),
                    X::Empty,
                ],
            ],
        )],
        false,
    );
    let (records, errors) = xlsx_records(&wb);
    assert!(errors.is_empty(), "{errors:?}");
    let r = &records[0].1;
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(records[0].0.locator.as_deref(), Some("Plan 2025!row 2"));
    assert_eq!(r.id.as_deref(), Some("1"), "a number as an id");
    assert_eq!(r.buyer.id.as_deref(), Some("820710592"));
    assert_eq!(r.cpv, Some(vec!["09310000".into()]), "the leading zero a number lost");
    assert_eq!(amount(r).as_deref(), Some("1300000.5 NOK"), "exact, from an f64");
    assert_eq!(r.date, Some(d));
    assert_eq!(
        r.award_criteria
            .as_ref()
            .and_then(|c| c[0].weight)
            .map(|w| w.to_string())
            .as_deref(),
        Some("30")
    );
    assert_eq!(r.framework, Some(true));
    assert_eq!(r.duration_months.map(|m| m.to_string()).as_deref(), Some("48"));

    let r2 = &records[1].1;
    assert!(r2.warnings.is_empty(), "{:?}", r2.warnings);
    assert_eq!(
        r2.estimated_value.map(|m| m.amount),
        r.estimated_value.map(|m| m.amount)
    );
    assert_eq!(r2.date, Some(d));
    assert_eq!(r2.cpv, Some(vec!["30197630".into()]));
    assert_eq!(r2.framework, Some(false));

    let r3 = &records[2].1;
    assert!(r3.warnings.is_empty(), "{:?}", r3.warnings);
    assert_eq!(
        amount(r3).as_deref(),
        Some("0.3 NOK"),
        "what Excel shows, not 0.30000000000000004"
    );
    assert_eq!(r3.date, Some(d));
    assert_eq!(
        r3.award_criteria
            .as_ref()
            .and_then(|c| c[0].weight)
            .map(|w| w.to_string())
            .as_deref(),
        Some("30")
    );
    assert_eq!(r3.framework, Some(false));

    let r4 = &records[3].1;
    let w = warnings(r4);
    assert_eq!(w.len(), 4, "{w:?}");
    assert!(
        w[0].starts_with("estimated_value: 'Plan 2025'!E5 (Anslått verdi): the value TRUE is not an amount"),
        "{w:?}"
    );
    assert!(w[1].contains("a time, not a date"), "{w:?}");
    assert!(w[2].contains("between 0 and 100"), "{w:?}");
    assert!(w[3].contains("is not yes or no"), "{w:?}");
}

#[test]
fn xlsx_sheets_hidden_sheets_lists_and_1904_dates() {
    let plan = |id: &str, day: f64| {
        vec![
            vec![X::Empty, s("Tittel"), s("Anslått verdi"), s("Dato")],
            vec![],
            vec![X::Empty, s(id), X::N(100.0, 0), X::N(day, xlsx::DATE)],
        ]
    };
    let mut hidden = xlsx::sheet("Skjult", plan("hidden", 45000.0));
    hidden.hidden = true;
    let lists = xlsx::sheet(
        "Lister",
        vec![
            vec![s("Kategori"), s("Prosedyre"), s("Status")],
            vec![s("Varer"), s("Åpen anbudskonkurranse"), s("Planlagt")],
        ],
    );
    let wb = xlsx::workbook(
        &[
            xlsx::sheet("Oppvekst", plan("Skolebøker", 45000.0)),
            lists,
            hidden,
            xlsx::sheet("Helse", plan("Bandasjer", 45001.0)),
        ],
        true,
    );
    let (records, errors) = xlsx_records(&wb);
    assert!(errors.is_empty(), "{errors:?}");
    let got: Vec<_> = records
        .iter()
        .map(|(s, r)| {
            (
                s.locator.clone().unwrap_or_default(),
                r.id.clone().unwrap_or_default(),
                r.title.clone(),
                r.date,
            )
        })
        .collect();
    // 45000 in the 1904 system is 2027-03-16 (46462 in the 1900 system).
    assert_eq!(
        got,
        [
            (
                "Oppvekst!row 3".to_string(),
                "plan:Oppvekst:3".to_string(),
                Some("Skolebøker".to_string()),
                Some(date(2027, 3, 16))
            ),
            (
                "Helse!row 3".to_string(),
                "plan:Helse:3".to_string(),
                Some("Bandasjer".to_string()),
                Some(date(2027, 3, 17))
            ),
        ]
    );

    let only_lists = xlsx::workbook(
        &[xlsx::sheet(
            "Lister",
            vec![vec![s("Kategori"), s("Prosedyre")], vec![s("Varer"), s("Åpen")]],
        )],
        false,
    );
    let (records, errors) = xlsx_records(&only_lists);
    assert!(records.is_empty());
    assert!(
        errors[0].1.contains("no sheet holds a table of procurements"),
        "{errors:?}"
    );
}

// ------------------------------------------------------------------ the example plans

fn policies() -> Policies {
    Policies::load(&[root().join("policies")], &[]).expect("the bundled policies load")
}

fn example(ext: &str) -> Split {
    let path = format!("examples/plans/anskaffelsesplan-2025.{ext}");
    let bytes = std::fs::read(root().join(&path)).expect("the example plan");
    split(read_table(&name(&path), &bytes, &Mapping::default()))
}

#[test]
fn example_csv_imports() {
    let (records, errors) = example("csv");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 20);
    for (_, r) in &records {
        assert!(r.warnings.is_empty(), "{:?}: {:?}", r.id, r.warnings);
    }
    let (src, r) = &records[0];
    assert_eq!(src.line, Some(4));
    assert_eq!(r.id.as_deref(), Some("LK-2025-01"));
    assert_eq!(r.title.as_deref(), Some("Elektriske varebiler til Teknisk drift"));
    assert_eq!(r.buyer.id.as_deref(), Some("820 710 592"));
    assert_eq!(r.buyer.kind, anskaff::schema::Domain::BuyerKind.code("municipal"));
    assert_eq!(amount(r).as_deref(), Some("4800000 NOK"));
    assert_eq!(r.date, Some(date(2025, 2, 10)));
    assert_eq!(r.cpv, Some(vec!["34144900".into()]));
    assert_eq!(r.lots.as_ref().map(Vec::len), Some(2));

    let r = &records[1].1;
    assert_eq!(r.cpv, Some(vec!["90910000".into(), "90919200".into()]));
    assert_eq!(r.duration_months.map(|d| d.to_string()).as_deref(), Some("48"));
    assert_eq!(
        r.labour.max_subcontractor_levels.map(|d| d.to_string()).as_deref(),
        Some("2")
    );
    assert_eq!(r.stage, anskaff::schema::Domain::Stage.code("notice"));

    let r = &records[17].1;
    assert_eq!(r.id.as_deref(), Some("LK-2025-18"));
    assert_eq!(amount(r).as_deref(), Some("2400000.50 NOK"));
    assert_eq!(r.lots.as_ref().map(Vec::len), Some(0));
    assert_eq!(r.lots_justification.as_deref(), Some("Én tjeneste for alle ansatte"));
}

#[test]
fn example_xlsx_imports() {
    let (records, errors) = example("xlsx");
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 20);
    for (_, r) in &records {
        assert!(r.warnings.is_empty(), "{:?}: {:?}", r.id, r.warnings);
    }
    let (src, r) = &records[2];
    assert_eq!(src.locator.as_deref(), Some("Anskaffelsesplan!row 6"));
    assert_eq!(r.id.as_deref(), Some("MK-2025-03"));
    assert_eq!(r.category, anskaff::schema::Domain::Category.code("works"));
    assert_eq!(amount(r).as_deref(), Some("38000000 NOK"));
    assert_eq!(
        r.award_criteria
            .as_ref()
            .and_then(|c| c[0].weight)
            .map(|w| w.to_string())
            .as_deref(),
        Some("20")
    );

    let r = &records[14].1;
    assert_eq!(r.id.as_deref(), Some("MK-2025-15"));
    assert_eq!(
        r.rationale.as_deref(),
        Some("FOA § 13-3 e (uforutsette, tvingende omstendigheter)")
    );
    assert_eq!(r.date, Some(date(2025, 1, 7)));
    assert_eq!(r.procedure, anskaff::schema::Domain::Procedure.code("direct"));

    let r = &records[16].1;
    assert_eq!(r.id.as_deref(), Some("MK-2025-17"));
    assert_eq!(amount(r).as_deref(), Some("850000 NOK"));
    assert_eq!(r.date, Some(date(2025, 11, 3)));
    assert_eq!(
        r.buyer.id.as_deref(),
        Some("920817521"),
        "a number cell in the workbook"
    );
}

#[test]
fn example_plans_give_the_same_records() {
    let (csv_records, _) = example("csv");
    let (xlsx_records, _) = example("xlsx");
    assert_eq!(csv_records.len(), xlsx_records.len());
    for ((_, a), (_, b)) in csv_records.iter().zip(&xlsx_records) {
        // The workbook is the same plan for Moss kommune, and holds the
        // organisation number as a number.
        let mut a: Record = a.clone();
        a.buyer.id = a.buyer.id.map(|s| as_moss(&s).replace(' ', ""));
        a.id = a.id.map(|s| as_moss(&s));
        a.buyer.name = a.buyer.name.map(|s| as_moss(&s));
        assert_eq!(canonical_json::to_json(&a), canonical_json::to_json(b));
    }
}

#[test]
fn example_plan_verdicts() {
    let p = policies();
    let engine = Engine::new(&p.plan, Lang::En);
    let (records, _) = example("csv");
    let mut evaluated = std::collections::HashMap::new();
    for (i, (source, record)) in records.into_iter().enumerate() {
        let out = engine.evaluate(record, source, i as u64).expect("a record with an id");
        evaluated.insert(out.evaluated.id.clone(), out.evaluated);
    }
    let outcome = |record: &str, rule: &str| {
        let rid = p.plan.rule_index(rule).expect("a rule");
        evaluated[record].finding(rid).map(|f| f.outcome)
    };
    let status = |record: &str| evaluated[record].status;
    use Outcome::*;
    assert_eq!(status("LK-2025-01"), Status::Compliant);
    assert_eq!(outcome("LK-2025-01", "FOA-7-9-CLIMATE"), Some(Pass));
    assert_eq!(outcome("LK-2025-01", "FOA-19-4-LOTS"), Some(Pass));
    assert_eq!(outcome("LK-2025-02", "FOA-8-13-SUBCONTRACTORS"), Some(Pass));
    assert_eq!(status("LK-2025-03"), Status::NonCompliant);
    assert_eq!(outcome("LK-2025-03", "FOA-7-9-CLIMATE"), Some(Fail));
    assert_eq!(outcome("LK-2025-03", "FOA-8-13-SUBCONTRACTORS"), Some(Fail));
    assert_eq!(outcome("LK-2025-04", "FOA-5-3-NOTICE"), Some(NotApplicable));
    assert_eq!(outcome("LK-2025-07", "FOA-19-4-LOTS"), Some(Pass), "justified");
    assert_eq!(
        outcome("LK-2025-08", "FOA-7-9-CLIMATE"),
        Some(Unknown),
        "no weight given"
    );
    assert_eq!(
        outcome("LK-2025-09", "FOA-7-9-CLIMATE"),
        Some(Pass),
        "requirements in the specification"
    );
    assert_eq!(status("LK-2025-14"), Status::NonCompliant);
    assert_eq!(outcome("LK-2025-14", "FOA-5-3-NOTICE"), Some(Fail));
    assert_eq!(outcome("LK-2025-14", "FOA-EEA-PROCEDURE"), Some(Fail));
    assert_eq!(outcome("LK-2025-15", "FOA-5-3-NOTICE"), Some(Pass), "legal basis given");
    assert_eq!(status("LK-2025-15"), Status::Incomplete);
    assert_eq!(outcome("LK-2025-18", "FOA-19-4-LOTS"), Some(Pass));
    assert_eq!(status("LK-2025-19"), Status::Incomplete, "no value yet");
    assert_eq!(status("LK-2025-20"), Status::Compliant);
    // Viken's strategy ended with 2023.
    assert_eq!(outcome("LK-2025-01", "VIKEN-KLIMA-1"), Some(NotApplicable));
}

/// The example workbook: the example CSV's plan, made Moss kommune's (ids
/// `MK-…`, its name and organisation number), so that the two example
/// plans can be checked together without one counting the other twice.
fn as_moss(text: &str) -> String {
    text.replace("LK-2025-", "MK-2025-")
        .replace("Lillestrøm kommune", "Moss kommune")
        .replace("820 710 592", "920 817 521")
}

/// The workbook the example CSV describes (see [`as_moss`]), cell by cell:
/// amounts, dates, counts and organisation numbers as numbers (some weights
/// as percent cells), everything else as text.
fn example_workbook() -> Vec<u8> {
    let text = std::fs::read_to_string(root().join("examples/plans/anskaffelsesplan-2025.csv")).expect("the CSV");
    let text = as_moss(&text);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(';').collect()).collect();
    let header = rows[2].clone();
    let number = |t: &str| -> f64 {
        t.trim_start_matches("kr ")
            .replace(' ', "")
            .replace(',', ".")
            .parse()
            .unwrap_or_else(|_| panic!("a number: {t}"))
    };
    let mut sheet_rows = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut cells = Vec::new();
        for (c, cell) in row.iter().enumerate() {
            let cell = cell.trim();
            let column = if r > 2 { header[c] } else { "" };
            cells.push(if cell.is_empty() {
                X::Empty
            } else if column.starts_with("Anslått verdi") {
                let v = number(cell);
                X::N(
                    v,
                    if v.fract() == 0.0 {
                        xlsx::THOUSANDS
                    } else {
                        xlsx::THOUSANDS_2
                    },
                )
            } else if column == "Kunngjøringsdato" {
                let d = NaiveDate::parse_from_str(cell, "%d.%m.%Y").expect("a date");
                X::N(serial(d), xlsx::DATE)
            } else if column == "Org.nr"
                || column.starts_with("Varighet")
                || column.starts_with("Antall")
                || column.starts_with("Ledd")
                || (column == "CPV" && cell.len() == 8 && cell.chars().all(|c| c.is_ascii_digit()))
            {
                X::N(number(cell), xlsx::GENERAL)
            } else if column.starts_with("Miljøvekt") {
                // Alternate rows as percent cells (0.3 shown as 30 %).
                if r % 2 == 0 {
                    X::N(number(cell) / 100.0, xlsx::PERCENT)
                } else {
                    X::N(number(cell), xlsx::GENERAL)
                }
            } else {
                s(cell)
            });
        }
        sheet_rows.push(cells);
    }
    xlsx::workbook(&[xlsx::sheet("Anskaffelsesplan", sheet_rows)], false)
}

#[test]
fn example_xlsx_is_the_csv_as_a_workbook() {
    let committed = std::fs::read(root().join("examples/plans/anskaffelsesplan-2025.xlsx")).expect("the workbook");
    assert!(
        committed == example_workbook(),
        "the example workbook is out of date: cargo test --test input_table -- --ignored write_example_xlsx"
    );
}

#[test]
#[ignore = "writes examples/plans/anskaffelsesplan-2025.xlsx"]
fn write_example_xlsx() {
    std::fs::write(
        root().join("examples/plans/anskaffelsesplan-2025.xlsx"),
        example_workbook(),
    )
    .expect("written");
}

// ------------------------------------------------------------------ garbage in, no panic

/// A small deterministic generator, so failures repeat.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn truncated_workbooks_are_errors_not_panics() {
    let wb = std::fs::read(root().join("examples/plans/anskaffelsesplan-2025.xlsx")).expect("the workbook");
    let step = (wb.len() / 97).max(1);
    for cut in (0..wb.len())
        .step_by(step)
        .chain([1, 2, 3, 4, 30, wb.len() - 22, wb.len() - 1])
    {
        let raws = read_xlsx(&name("cut.xlsx"), &wb[..cut], &Mapping::default());
        assert!(!raws.is_empty(), "cut at {cut}: nothing at all");
        let raws = read_table(&name("cut.xlsx"), &wb[..cut], &Mapping::default());
        assert!(!raws.is_empty(), "cut at {cut}");
    }
    // Damaged bytes inside the archive.
    let mut rng = Rng(0x5eed);
    for _ in 0..60 {
        let mut damaged = wb.clone();
        for _ in 0..8 {
            let i = (rng.next() as usize) % damaged.len();
            damaged[i] = rng.next() as u8;
        }
        let _ = read_xlsx(&name("bad.xlsx"), &damaged, &Mapping::default());
    }
}

#[test]
fn random_bytes_are_errors_not_panics() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    for n in [0, 1, 2, 3, 7, 64, 500, 4096] {
        for _ in 0..20 {
            let bytes = rng.bytes(n);
            let _ = read_csv(&name("r.csv"), &bytes, &Mapping::default());
            let _ = read_xlsx(&name("r.xlsx"), &bytes, &Mapping::default());
            let mut zipish = b"PK\x03\x04".to_vec();
            zipish.extend_from_slice(&bytes);
            let raws = read_xlsx(&name("r.xlsx"), &zipish, &Mapping::default());
            assert!(matches!(raws[0].payload, Payload::Error(_)));
        }
    }
    // Random text in every column of a real header.
    let header = "Nr;Tittel;Anslått verdi;Kunngjøringsdato;Miljøvekt;CPV;Prosedyre;Varighet;Antall delkontrakter;\
                  Tildelingskriterier;Kjøretøy;Rammeavtale";
    let alphabet: Vec<char> = "0123456789 ,.;-+%kr NOKmill.åøæ/\"\n\tÅpen ja x".chars().collect();
    for _ in 0..300 {
        let line: String = (0..80)
            .map(|_| alphabet[(rng.next() as usize) % alphabet.len()])
            .collect();
        let text = format!("{header}\n{line}\n");
        let _ = read_csv(&name("r.csv"), text.as_bytes(), &Mapping::default());
    }
}
