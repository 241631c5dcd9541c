//! Tables: procurement plans kept as CSV or Excel (XLSX) files, with
//! Norwegian or English headers and Norwegian number and date formats, read
//! into canonical records. `docs/inputs.md (CSV and Excel)` describes for users what
//! is read and how; this file is the authority on the details.
//!
//! Every data row is one record. Columns are matched to canonical fields by
//! their header ([`Mapping`]). A cell that cannot be converted becomes a
//! data-quality warning naming its sheet, cell and column, and the field is
//! left missing; the record is still produced. Only a file or sheet that
//! cannot be read as a table at all, or a CSV row the CSV parser rejects, is
//! an input error ([`Payload::Error`]).
//!
//! Amounts never pass through floating point on the way to a record: CSV
//! text is parsed as decimal text, and an XLSX number cell (an `f64`) is
//! read as the decimal Excel shows, rounded to 15 significant digits.

use crate::finding::Source;
use crate::input::canonical;
use crate::input::{Payload, Raw};
use crate::record::{Criterion, DataWarning, Exemption, ExtraValue, Lot, Record, Vehicle};
use crate::schema::{Access, Domain, FIELDS, FieldDef, FieldType, ItemField, ItemKind, ListField, Scalar};
use crate::value::{Currency, Money};
use calamine::{DataRef, Reader, SheetType, SheetVisible, Xlsx};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization;

// ------------------------------------------------------------------ targets

/// What a column is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Target {
    /// A canonical field, by its index in [`FIELDS`].
    Field(usize),
    /// The currency of the row's amounts.
    Currency,
    /// The weight of an award criterion of this type (a code of
    /// [`Domain::CriterionType`]); each such column adds one criterion.
    Weight(u8),
    /// A known column that holds nothing anskaff reads (comments).
    Ignore,
    /// A field the policies declare, by its slot.
    Extra(u8, &'static str, FieldType),
}

impl Target {
    fn parse(name: &str) -> Result<Target, String> {
        let name = name.trim();
        if name == "ignore" || name == "-" {
            return Ok(Target::Ignore);
        }
        if name == "currency" {
            return Ok(Target::Currency);
        }
        if let Some(kind) = name.strip_prefix("weight.")
            && let Some(code) = Domain::CriterionType.code(kind)
        {
            return Ok(Target::Weight(code));
        }
        if let Some(i) = FIELDS.iter().position(|f| f.path == name) {
            return Ok(Target::Field(i));
        }
        let names = Target::all_names();
        let hint = crate::diag::did_you_mean(name, names.iter().map(String::as_str))
            .map(|h| format!("; {h}"))
            .unwrap_or_default();
        Err(format!(
            "`{name}` is not a field anskaff can read from a table{hint} (a canonical field path such as \
             `estimated_value` or `buyer.kind`, `currency`, `weight.environment` and the like, or `ignore`)"
        ))
    }

    fn all_names() -> Vec<String> {
        let mut names: Vec<String> = FIELDS.iter().map(|f| f.path.to_string()).collect();
        names.push("currency".into());
        names.push("ignore".into());
        names.extend(Domain::CriterionType.values().iter().map(|v| format!("weight.{v}")));
        names
    }

    /// The field a warning about this column names.
    fn path(self) -> &'static str {
        match self {
            Target::Field(i) => FIELDS.get(i).map(|f| f.path).unwrap_or("?"),
            Target::Currency => "currency",
            Target::Weight(_) => "award_criteria",
            Target::Ignore => "-",
            Target::Extra(_, path, _) => path,
        }
    }

    /// The name a mapping uses: a field path, `currency`, `weight.TYPE`.
    fn name(self) -> String {
        match self {
            Target::Weight(k) => format!("weight.{}", Domain::CriterionType.value(k)),
            Target::Ignore => "ignore".into(),
            other => other.path().to_string(),
        }
    }

    fn ty(self) -> Option<FieldType> {
        match self {
            Target::Field(i) => FIELDS.get(i).map(|f| f.ty),
            Target::Extra(_, _, ty) => Some(ty),
            _ => None,
        }
    }

    fn is_money(self) -> bool {
        self.ty() == Some(FieldType::Money)
    }

    /// Columns that make a sheet a table of procurements.
    fn is_key(self) -> bool {
        match self {
            Target::Field(i) => matches!(
                FIELDS.get(i).map(|f| f.access),
                Some(Access::Scalar(
                    Scalar::Id | Scalar::Title | Scalar::EstimatedValue | Scalar::AwardedValue
                ))
            ),
            _ => false,
        }
    }
}

// ------------------------------------------------------------------ built-in names

/// Header names, by target. Matching ignores case, spaces and the
/// punctuation `. : * _ - – ? '`; a part in brackets or a trailing unit
/// (`(NOK)`, `eks. mva`, `(MNOK)`, `(%)`, `(år)`) is understood and may be
/// left out.
const HEADERS: &[(&str, &str)] = &[
    (
        "id",
        "ID | Saksnr | Saksnummer | Anskaffelsesnr | Anskaffelsesnummer | Anskaffelses-ID | Referanse | \
        Referansenr | Ref | Løpenr | Løpenummer | Record id | Reference | Procurement id",
    ),
    (
        "stage",
        "Status | Fase | Stadium | Anskaffelsesstatus | Status anskaffelse | Stage",
    ),
    (
        "title",
        "Tittel | Anskaffelse | Navn på anskaffelsen | Anskaffelsens navn | Anskaffelsens tittel | \
        Hva skal anskaffes | Kontraktsgjenstand | Title | Procurement | Procurement title | Subject",
    ),
    (
        "buyer.id",
        "Org.nr | Organisasjonsnummer | Oppdragsgivers org.nr | Oppdragsgiver org.nr | Org.nr oppdragsgiver | \
        Oppdragsgivers organisasjonsnummer | Buyer id | Buyer org no | Organisation number | Organization number | \
        Org no",
    ),
    (
        "buyer.name",
        "Oppdragsgiver | Oppdragsgivers navn | Oppdragsgivernavn | Buyer | Buyer name | Contracting authority",
    ),
    (
        "buyer.kind",
        "Virksomhetstype | Type oppdragsgiver | Oppdragsgivertype | Oppdragsgiverkategori | Type virksomhet | \
        Buyer kind | Buyer type",
    ),
    (
        "buyer.unit",
        "Enhet | Avdeling | Sektor | Tjenesteområde | Seksjon | Etat | Kommunalområde | Ansvarlig enhet | \
        Bestillende enhet | Unit | Department",
    ),
    (
        "date",
        "Kunngjøringsdato | Dato | Planlagt kunngjøring | Planlagt kunngjøringsdato | Dato for kunngjøring | \
        Utlysningsdato | Planlagt utlysning | Publiseringsdato | Date | Notice date | Publication date",
    ),
    (
        "category",
        "Kategori | Anskaffelsestype | Type anskaffelse | Anskaffelsens art | Kontraktstype | Type kontrakt | \
        Kontraktsart | Category | Contract type | Procurement type",
    ),
    (
        "cpv",
        "CPV | CPV-kode | CPV-koder | Hoved-CPV | CPV hovedkode | CPV code | CPV codes | Main CPV",
    ),
    (
        "procedure",
        "Prosedyre | Anskaffelsesprosedyre | Konkurranseform | Anskaffelsesform | Prosedyre/konkurranseform | \
        Type prosedyre | Valgt prosedyre | Procedure | Procedure type | Award procedure",
    ),
    (
        "estimated_value",
        "Anslått verdi | Estimert verdi | Anslått kontraktsverdi | Estimert kontraktsverdi | Anslått totalverdi | \
        Estimert totalverdi | Anslått samlet verdi | Antatt verdi | Forventet verdi | Anslått beløp | \
        Estimert beløp | Estimated value | Estimated contract value",
    ),
    (
        "awarded_value",
        "Tildelt verdi | Kontraktsverdi | Avtalt verdi | Faktisk verdi | Kontraktssum | Tildelt beløp | \
        Faktisk beløp | Fakturert beløp | Awarded value | Contract value | Award value",
    ),
    (
        "framework",
        "Rammeavtale | Er rammeavtale | Framework | Framework agreement",
    ),
    (
        "duration_months",
        "Varighet | Avtaleperiode | Kontraktsperiode | Løpetid | Avtalens varighet | Kontraktens varighet | \
        Varighet inkl. opsjoner | Antall måneder | Duration | Contract duration",
    ),
    (
        "supplier.id",
        "Leverandørens org.nr | Leverandør org.nr | Org.nr leverandør | Leverandørens organisasjonsnummer | \
        Leverandør organisasjonsnummer | Supplier id | Supplier org no | Supplier organisation number",
    ),
    (
        "supplier.name",
        "Leverandør | Leverandørens navn | Leverandørnavn | Valgt leverandør | Tildelt leverandør | Avtalepart | \
        Supplier | Supplier name | Contractor",
    ),
    (
        "lots",
        "Antall delkontrakter | Delkontrakter | Antall lots | Lots | Number of lots | Delt i delkontrakter",
    ),
    (
        "lots_justification",
        "Begrunnelse for ikke oppdeling | Begrunnelse ikke oppdeling | Begrunnelse for ikke å dele opp | \
        Begrunnelse for ikke å dele i delkontrakter | Begrunnelse manglende oppdeling | Begrunnelse oppdeling | \
        Begrunnelse delkontrakter | Lots justification | Reason for not dividing into lots",
    ),
    (
        "award_criteria",
        "Tildelingskriterier | Tildelingskriterier og vekt | Kriterier | Award criteria | Criteria",
    ),
    (
        "weight.environment",
        "Miljøvekt | Miljø (%) | Miljøvekting | Vekt miljø | Vekting miljø | Klima og miljø (%) | \
        Miljø og klima (%) | Klima (%) | Klimavekt | Vekt klima og miljø | Vekt klima | Miljøkriterium (%) | \
        Environment weight | Environment (%) | Climate (%)",
    ),
    (
        "weight.price",
        "Prisvekt | Pris (%) | Vekt pris | Vekting pris | Price weight | Price (%)",
    ),
    (
        "weight.quality",
        "Kvalitetsvekt | Kvalitet (%) | Vekt kvalitet | Vekting kvalitet | Quality weight | Quality (%)",
    ),
    (
        "weight.cost",
        "Kostnadsvekt | Kostnad (%) | LCC (%) | Livssykluskostnad (%) | Vekt kostnad | Vekt LCC | Cost weight | \
        Cost (%)",
    ),
    (
        "weight.social",
        "Sosiale hensyn (%) | Vekt sosiale hensyn | Samfunnsansvar (%) | Social weight | Social (%)",
    ),
    (
        "weight.innovation",
        "Innovasjon (%) | Vekt innovasjon | Innovation weight | Innovation (%)",
    ),
    (
        "environment.spec_requirements",
        "Miljøkrav | Miljøkrav i kravspesifikasjon | Miljøkrav i kravspesifikasjonen | \
        Klimakrav i kravspesifikasjon | Miljøkrav i spesifikasjon | Klima- og miljøkrav | \
        Environmental requirements | Spec requirements",
    ),
    (
        "environment.justification",
        "Begrunnelse miljø | Miljøbegrunnelse | Begrunnelse for miljøkrav | Begrunnelse klima og miljø | \
        Begrunnelse miljøkrav | Begrunnelse for unntak fra miljøvekting | Environment justification",
    ),
    (
        "environment.exemption",
        "Unntak miljø | Unntak fra miljøvekting | Unntak fra klimavekting | Unntaksgrunn miljø | Unntak § 7-9 | \
        Environment exemption",
    ),
    ("vehicles", "Kjøretøy | Kjøretøyer | Vehicles"),
    ("vehicles[].class", "Kjøretøyklasse | Kjøretøykategori | Vehicle class"),
    (
        "vehicles[].count",
        "Antall kjøretøy | Vehicle count | Number of vehicles",
    ),
    (
        "vehicles[].fuel",
        "Drivstoff | Energibærer | Drivlinje | Drivstoff/energibærer | Fuel",
    ),
    (
        "construction.fossil_free_site",
        "Fossilfri byggeplass | Fossilfri bygge- og anleggsplass | Fossilfri anleggsplass | Fossil-free site | \
        Fossil free site",
    ),
    (
        "ecommerce.ordering",
        "E-handel | Elektronisk bestilling | E-ordre | EHF ordre | E-commerce | Ecommerce",
    ),
    (
        "ecommerce.einvoice",
        "EHF-faktura | E-faktura | Elektronisk faktura | EHF | E-invoice | Einvoice",
    ),
    (
        "lcc.assessed",
        "LCC | LCC vurdert | Livssykluskostnader vurdert | Livssykluskostnad vurdert | LCC-vurdering | \
        LCC assessed",
    ),
    (
        "labour.max_subcontractor_levels",
        "Ledd underleverandører | Maks ledd underleverandører | Antall ledd | Maks antall ledd | Maks ledd | \
        Ledd i leverandørkjeden | Max subcontractor levels | Subcontractor levels",
    ),
    (
        "labour.apprentices",
        "Lærlinger | Lærlingkrav | Krav om lærlinger | Lærlingklausul | Apprentices",
    ),
    (
        "labour.wages_via_bank",
        "Lønn via bank | Lønn til bankkonto | Lønn via bankkonto | Krav om lønn via bank | Wages via bank",
    ),
    (
        "rationale",
        "Hjemmel | Rettslig grunnlag | Begrunnelse direkteanskaffelse | Begrunnelse for direkteanskaffelse | \
        Hjemmel for direkteanskaffelse | Hjemmel for unntak | Unntakshjemmel | Lovhjemmel | Rationale | \
        Legal basis",
    ),
    (
        "notice_id",
        "Doffin-referanse | Doffin ref | Doffin-ID | Doffin-nummer | Doffin | Kunngjøringsnummer | \
        Kunngjørings-ID | Notice id | TED | OCID",
    ),
    (
        "exemptions",
        "Godkjente unntak | Godkjent unntak | Unntak fra regel | Unntak fra regler | Unntak (regel) | Exemptions | \
        Exemption rule",
    ),
    (
        "exemptions[].reason",
        "Begrunnelse for unntak | Unntaksbegrunnelse | Begrunnelse unntak | Exemption reason",
    ),
    (
        "exemptions[].approved_by",
        "Unntak godkjent av | Godkjent av | Approved by",
    ),
    (
        "exemptions[].expires",
        "Unntak gyldig til | Unntaket utløper | Unntak utløper | Gyldig til | Expires | Exemption expires",
    ),
    ("currency", "Valuta | Valutakode | Currency"),
    (
        "ignore",
        "Kommentar | Kommentarer | Merknad | Merknader | Notat | Notater | Comment | Comments | Note | Notes | \
        Ansvarlig | Kontaktperson | Kontakt | Saksbehandler | Innkjøpsrådgiver | Rådgiver | Responsible",
    ),
];

/// Header names used only when no column has one of the names above for
/// the same field: a table with both `Tittel` and `Beskrivelse` reads the
/// title from `Tittel`.
const FALLBACK_HEADERS: &[(&str, &str)] = &[
    ("id", "Nr | Nummer | # | No | Number | Lnr"),
    (
        "title",
        "Navn | Beskrivelse | Kort beskrivelse | Prosjekt | Prosjektnavn | Name | Description",
    ),
    ("buyer.name", "Organisasjon | Organisation | Organization"),
    ("buyer.unit", "Virksomhet"),
    (
        "date",
        "Tildelingsdato | Kontraktsdato | Kontraktsinngåelse | Planlagt kontraktsinngåelse | Oppstart | \
        Planlagt oppstart | Kontraktsstart | Avtalestart | Startdato | Bestillingsdato | Kjøpsdato | \
        Innkjøpsdato | Award date | Contract date | Start date",
    ),
    ("category", "Type | Art"),
    (
        "estimated_value",
        "Verdi | Total verdi | Totalverdi | Samlet verdi | Beløp | Value | Amount",
    ),
];

// ------------------------------------------------------------------ built-in values

/// Words for the codes of enumerated fields, besides the codes themselves.
/// Matching ignores case and punctuation (`bygge- og anlegg` is `bygge og
/// anlegg`); a part in brackets may be added (`direkteanskaffelse (under
/// 100 000)`).
const VALUES: &[(Domain, &str, &str)] = &[
    (
        Domain::Category,
        "goods",
        "varer | vare | varekjøp | varekontrakt | supplies | supply",
    ),
    (
        Domain::Category,
        "services",
        "tjenester | tjeneste | tjenestekjøp | tjenestekontrakt | service",
    ),
    (
        Domain::Category,
        "works",
        "bygge- og anlegg | bygg og anlegg | bygg- og anlegg | bygge- og anleggsarbeid | \
        bygge- og anleggsarbeider | bygge- og anleggskontrakt | bygg | anlegg | entreprise | construction | \
        building works",
    ),
    (
        Domain::Procedure,
        "open",
        "åpen anbudskonkurranse | åpen tilbudskonkurranse | åpen konkurranse | åpen prosedyre | åpen | \
        open procedure",
    ),
    (
        Domain::Procedure,
        "restricted",
        "begrenset anbudskonkurranse | begrenset tilbudskonkurranse | begrenset konkurranse | \
        begrenset prosedyre | begrenset | restricted procedure",
    ),
    (
        Domain::Procedure,
        "negotiated",
        "konkurranse med forhandling | konkurranse med forhandling etter forutgående kunngjøring | \
        competitive procedure with negotiation | negotiated procedure",
    ),
    (
        Domain::Procedure,
        "negotiated_without_notice",
        "konkurranse med forhandling uten forutgående kunngjøring | konkurranse med forhandling uten kunngjøring | \
        forhandling uten kunngjøring | forhandling uten forutgående kunngjøring | negotiated without notice | \
        negotiated without prior publication | negotiated procedure without prior publication",
    ),
    (
        Domain::Procedure,
        "competitive_dialogue",
        "konkurransepreget dialog | competitive dialogue",
    ),
    (
        Domain::Procedure,
        "innovation_partnership",
        "innovasjonspartnerskap | innovation partnership",
    ),
    (
        Domain::Procedure,
        "direct",
        "direkteanskaffelse | direkte anskaffelse | direktekjøp | direkte kjøp | direkte tildeling | direkte | \
        direct award | direct purchase",
    ),
    (
        Domain::Procedure,
        "below_threshold",
        "under terskelverdi | under terskelverdien | under nasjonal terskelverdi | \
        anskaffelse under terskelverdi | konkurranse under terskelverdi | forenklet konkurranse | \
        below threshold | below national threshold",
    ),
    (
        Domain::Procedure,
        "framework_call_off",
        "avrop | avrop på rammeavtale | avrop fra rammeavtale | avrop på eksisterende rammeavtale | \
        minikonkurranse | call-off | framework call-off",
    ),
    (
        Domain::Stage,
        "planned",
        "planlagt | under planlegging | planlegging | ikke startet | ikke påbegynt | plan | not started",
    ),
    (
        Domain::Stage,
        "notice",
        "kunngjort | utlyst | i konkurranse | konkurranse pågår | published | announced",
    ),
    (
        Domain::Stage,
        "award",
        "tildelt | tildeling | meddelt tildeling | awarded",
    ),
    (
        Domain::Stage,
        "contract",
        "kontrakt | kontrakt signert | kontrakt inngått | avtale inngått | inngått | signert | signed",
    ),
    (
        Domain::BuyerKind,
        "state",
        "stat | statlig | statlig oppdragsgiver | staten | central government",
    ),
    (Domain::BuyerKind, "county", "fylkeskommune | fylkeskommunal | fylke"),
    (
        Domain::BuyerKind,
        "municipal",
        "kommune | kommunal | kommunalt foretak | kf | municipality",
    ),
    (
        Domain::BuyerKind,
        "public_body",
        "offentligrettslig organ | offentlig organ | interkommunalt selskap | iks | helseforetak | \
        body governed by public law",
    ),
    (
        Domain::BuyerKind,
        "utility",
        "forsyningsvirksomhet | forsyning | utilities",
    ),
    (Domain::CriterionType, "price", "pris | laveste pris"),
    (
        Domain::CriterionType,
        "cost",
        "kostnad | kostnader | livssykluskostnad | livssykluskostnader | lcc | totalkostnad | life cycle cost",
    ),
    (Domain::CriterionType, "quality", "kvalitet"),
    (
        Domain::CriterionType,
        "environment",
        "miljø | klima | klima og miljø | miljø og klima | klimagassutslipp | climate",
    ),
    (
        Domain::CriterionType,
        "social",
        "sosiale hensyn | sosialt | samfunnsansvar",
    ),
    (Domain::CriterionType, "innovation", "innovasjon"),
    (
        Domain::Fuel,
        "electric",
        "el | elektrisk | elektriske | elektrisitet | batterielektrisk | batterielektriske | elbil | elbiler | bev",
    ),
    (Domain::Fuel, "hydrogen", "h2 | brenselcelle"),
    (Domain::Fuel, "biogas", "biogass"),
    (Domain::Fuel, "hvo100", "hvo 100"),
    (Domain::Fuel, "ed95", "ed 95"),
    (Domain::Fuel, "petrol", "bensin | gasoline"),
    (Domain::Fuel, "natural_gas", "naturgass | lng | cng"),
    (Domain::Fuel, "hybrid", "hybrid"),
    (
        Domain::Fuel,
        "plugin_hybrid",
        "ladbar hybrid | ladehybrid | plug-in hybrid | plugin hybrid | phev",
    ),
];

/// Award criterion types guessed from a criterion's name, by a part of it.
const CRITERION_HINTS: &[(&str, &str)] = &[
    ("livssyklus", "cost"),
    ("lcc", "cost"),
    ("kostnad", "cost"),
    ("cost", "cost"),
    ("pris", "price"),
    ("price", "price"),
    ("miljø", "environment"),
    ("klima", "environment"),
    ("utslipp", "environment"),
    ("environment", "environment"),
    ("climate", "environment"),
    ("kvalitet", "quality"),
    ("quality", "quality"),
    ("sosial", "social"),
    ("social", "social"),
    ("samfunn", "social"),
    ("lærling", "social"),
    ("innovasjon", "innovation"),
    ("innovation", "innovation"),
];

/// Fields whose blank cell, in a column that is there, is the empty text
/// rather than a missing field: the justifications rules ask for.
const BLANK_IS_EMPTY_TEXT: &[Scalar] = &[Scalar::Rationale, Scalar::LotsJustification, Scalar::EnvJustification];

const YES: &[&str] = &["ja", "j", "yes", "y", "true", "sann", "x", "✓", "✔", "1"];
const NO: &[&str] = &["nei", "n", "no", "false", "usann", "0"];

/// First cells of a row of totals, which is not a procurement.
const TOTAL_ROWS: &[&str] = &[
    "sum",
    "summer",
    "total",
    "totalt",
    "totals",
    "sumtotalt",
    "totalsum",
    "ialt",
    "sumialt",
    "samlet",
    "grandtotal",
];

// ------------------------------------------------------------------ normalising

/// A header as a lookup key: NFC, lower case, without spaces and the
/// punctuation people vary (`Org.nr.` = `Org nr` = `orgnr`).
fn key(s: &str) -> String {
    s.nfc()
        .flat_map(char::to_lowercase)
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '.' | ':' | '*' | '_' | '-' | '–' | '—' | '?' | '\'' | '’' | '"')
        })
        .collect()
}

/// A value as a lookup key: NFC, lower case, punctuation as single spaces
/// (`Bygge- og anlegg` = `bygge og anlegg`).
fn value_key(s: &str) -> String {
    let lower: String = s.nfc().flat_map(char::to_lowercase).collect();
    let spaced: String = lower
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '&' || c == '✓' || c == '✔' {
                c
            } else {
                ' '
            }
        })
        .collect();
    spaced.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Text without the parts in brackets.
fn without_brackets(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Every kind of space as a plain space, trimmed.
fn plain_spaces(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn quote(s: &str) -> String {
    const MAX: usize = 60;
    let flat = s.replace(['\n', '\r'], " ");
    if flat.chars().count() > MAX {
        let cut: String = flat.chars().take(MAX).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{flat}\"")
    }
}

// ------------------------------------------------------------------ units in headers and cells

/// What a header says about its values: `(MNOK)`, `eks. mva`, `(%)`, `(år)`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Unit {
    scale: Option<Decimal>,
    currency: Option<Currency>,
    incl_vat: bool,
    percent: bool,
    years: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Qual {
    ExclVat,
    InclVat,
    Currency(Currency),
    Scale(Decimal, Option<Currency>),
    Percent,
    Months,
    Years,
    YesNo,
}

fn million() -> Decimal {
    Decimal::from(1_000_000)
}

fn thousand() -> Decimal {
    Decimal::from(1000)
}

/// A qualifier in a header, by its [`key`].
fn qualifier(k: &str) -> Option<Qual> {
    let nok = Some(Currency::NOK);
    Some(match k {
        "eksmva" | "eksklmva" | "ekskmva" | "eksklusivmva" | "eksklusivtmva" | "eksmoms" | "exmva" | "exclvat"
        | "exvat" | "excludingvat" | "utenmva" | "eksklusivemva" => Qual::ExclVat,
        "inklmva" | "inkmva" | "inklusivmva" | "inklusivemva" | "medmva" | "inclvat" | "includingvat" | "inklmoms" => {
            Qual::InclVat
        }
        "kr" | "nok" | "nkr" | "kroner" | "ikr" | "inok" | "ikroner" => Qual::Currency(Currency::NOK),
        "mnok" | "imnok" | "mkr" | "imkr" | "millkr" | "imillkr" | "millnok" | "imillnok" | "millionerkr"
        | "imillionerkr" | "imillionerkroner" => Qual::Scale(million(), nok),
        "mill" | "imill" | "millioner" | "imillioner" => Qual::Scale(million(), None),
        "1000kr" | "i1000kr" | "1000nok" | "i1000nok" | "tnok" | "itnok" | "knok" | "iknok" | "tusenkr"
        | "itusenkr" | "itusenkroner" => Qual::Scale(thousand(), nok),
        "tusen" | "itusen" | "1000" | "i1000" => Qual::Scale(thousand(), None),
        "%" | "i%" | "prosent" | "iprosent" | "percent" | "pct" | "vekt%" | "vekti%" => Qual::Percent,
        "mnd" | "imnd" | "måneder" | "imåneder" | "måned" | "md" | "months" | "inmonths" | "month" => Qual::Months,
        "år" | "iår" | "years" | "inyears" | "year" => Qual::Years,
        "ja/nei" | "janei" | "yes/no" | "yesno" | "j/n" | "y/n" => Qual::YesNo,
        other => {
            const CODES: &[&str] = &["eur", "sek", "dkk", "usd", "gbp", "chf"];
            let code = other.strip_prefix('i').filter(|c| CODES.contains(c)).unwrap_or(other);
            match code {
                "€" | "i€" => Qual::Currency(Currency::parse("EUR")?),
                c if CODES.contains(&c) => Qual::Currency(Currency::parse(c)?),
                _ => return None,
            }
        }
    })
}

impl Unit {
    fn apply(&mut self, q: Qual) {
        match q {
            Qual::ExclVat | Qual::YesNo | Qual::Months => {}
            Qual::InclVat => self.incl_vat = true,
            Qual::Currency(c) => self.currency = Some(c),
            Qual::Scale(s, c) => {
                self.scale = Some(s);
                if c.is_some() {
                    self.currency = c;
                }
            }
            Qual::Percent => self.percent = true,
            Qual::Years => self.years = true,
        }
    }
}

/// Take known qualifiers from the end of `tokens` (greedily, longest
/// first), leaving at least `keep` tokens.
fn strip_qualifiers(tokens: &mut Vec<String>, keep: usize, unit: &mut Unit) {
    'outer: while tokens.len() > keep {
        let room = tokens.len() - keep;
        for len in (1..=room.min(4)).rev() {
            let joined: String = tokens[tokens.len() - len..].concat();
            let k = key(&joined);
            if k.is_empty() {
                tokens.truncate(tokens.len() - len);
                continue 'outer;
            }
            if let Some(q) = qualifier(&k) {
                unit.apply(q);
                tokens.truncate(tokens.len() - len);
                continue 'outer;
            }
        }
        break;
    }
}

/// A header's lookup keys and unit.
#[derive(Debug, Clone)]
struct Header {
    full: String,
    base: String,
    unit: Unit,
}

fn split_tokens(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

fn parse_header(h: &str) -> Header {
    let lower: String = h.nfc().flat_map(char::to_lowercase).collect();
    let mut unit = Unit::default();
    // The parts in brackets: each is a list of qualifiers.
    let mut depth = 0usize;
    let mut group = String::new();
    for c in lower.chars() {
        match c {
            '(' | '[' => {
                if depth == 0 {
                    group.clear();
                } else {
                    group.push(' ');
                }
                depth += 1;
            }
            ')' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let mut tokens = split_tokens(&group);
                    while !tokens.is_empty() {
                        let before = tokens.len();
                        strip_qualifiers(&mut tokens, 0, &mut unit);
                        if tokens.len() == before {
                            // Not a qualifier: words that describe the column.
                            tokens.pop();
                        }
                    }
                } else {
                    group.push(' ');
                }
            }
            _ if depth > 0 => group.push(c),
            _ => {}
        }
    }
    let mut tokens = split_tokens(&without_brackets(&lower));
    strip_qualifiers(&mut tokens, 1, &mut unit);
    Header {
        full: key(h),
        base: key(&tokens.join(" ")),
        unit,
    }
}

// ------------------------------------------------------------------ the mapping

/// How columns map to canonical fields, how words map to codes, and what
/// fills fields the table leaves out.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// Header key → target and rank: 0 the user's, 1 a declared field's
    /// path; the built-in names come after these ([`builtin`]).
    headers: HashMap<String, (Target, u8)>,
    /// The user's words for codes, per domain, by [`value_key`].
    values: HashMap<Domain, HashMap<String, u8>>,
    /// Values for fields a row leaves empty, as cell text.
    defaults: Vec<(Target, String)>,
    /// The currency of amounts that do not say theirs.
    currency: Currency,
    /// The fields the policies declare: read from columns named by their paths.
    extras: crate::schema::Extras,
}

/// The built-in header names and words for codes, made once, when a table
/// is first read: a run over JSON never pays for them.
struct Builtin {
    /// Header key → target and rank: 1 a built-in name, 2 a built-in
    /// fallback name.
    headers: HashMap<String, (Target, u8)>,
    values: HashMap<Domain, HashMap<String, u8>>,
}

fn builtin() -> &'static Builtin {
    static BUILTIN: std::sync::OnceLock<Builtin> = std::sync::OnceLock::new();
    BUILTIN.get_or_init(|| {
        let mut headers = HashMap::new();
        for (rank, table) in [(2u8, FALLBACK_HEADERS), (1u8, HEADERS)] {
            for (name, aliases) in table {
                let Ok(target) = Target::parse(name) else { continue };
                for alias in aliases.split('|') {
                    headers.insert(key(alias), (target, rank));
                }
            }
        }
        // Every field path, and every target name, is a header too.
        for name in Target::all_names() {
            if let Ok(target) = Target::parse(&name)
                && target != Target::Ignore
            {
                headers.insert(key(&name), (target, 1));
            }
        }
        let mut values: HashMap<Domain, HashMap<String, u8>> = HashMap::new();
        for (domain, code, words) in VALUES {
            let Some(c) = domain.code(code) else { continue };
            let table = values.entry(*domain).or_default();
            for w in words.split('|') {
                table.insert(value_key(w), c);
            }
        }
        for domain in Domain::ALL {
            let table = values.entry(domain).or_default();
            for (i, v) in domain.values().iter().enumerate() {
                if let Ok(c) = u8::try_from(i) {
                    table.insert(value_key(v), c);
                }
            }
        }
        Builtin { headers, values }
    })
}

impl Default for Mapping {
    /// The built-in header names (Norwegian and English) for every field.
    fn default() -> Self {
        Mapping {
            headers: HashMap::new(),
            values: HashMap::new(),
            defaults: Vec::new(),
            currency: Currency::NOK,
            extras: crate::schema::Extras::from([]),
        }
    }
}

/// The mapping file (`docs/inputs.md (CSV and Excel)`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    columns: BTreeMap<String, String>,
    #[serde(default)]
    values: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    defaults: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    currency: Option<String>,
}

impl Mapping {
    /// Read the fields the policies declare, each from a column named by
    /// its path (and from columns `--map` names for it). Call before
    /// [`Mapping::with`], so that a mapping can name a declared field.
    pub fn with_extras(mut self, extras: &crate::schema::Extras) -> Self {
        for (slot, e) in extras.iter().enumerate() {
            if let Ok(slot) = u8::try_from(slot) {
                self.headers.insert(key(e.path), (Target::Extra(slot, e.path, e.ty), 1));
            }
        }
        self.extras = extras.clone();
        self
    }

    /// The target called `name`: a declared field or [`Target::parse`].
    fn target(&self, name: &str) -> Result<Target, String> {
        let name = name.trim();
        match self.extras.iter().enumerate().find(|(_, e)| e.path == name) {
            Some((slot, e)) => Ok(Target::Extra(
                u8::try_from(slot).map_err(|e| e.to_string())?,
                e.path,
                e.ty,
            )),
            None => Target::parse(name),
        }
    }

    /// Add or override a `header = field` pair (from `--map "Anslått
    /// verdi=estimated_value"`). `field` is a canonical field path,
    /// `currency`, `weight.TYPE` (a criterion weight) or `ignore`.
    pub fn with(mut self, header: &str, field: &str) -> Result<Self, String> {
        let k = key(header);
        if k.is_empty() {
            return Err(format!("the header in `{header}={field}` is empty"));
        }
        let target = self.target(field)?;
        self.headers.insert(k, (target, 0));
        Ok(self)
    }

    /// Read `word` in a column of `field` (an enumerated field such as
    /// `procedure`) as the code `code`.
    pub fn with_value(mut self, field: &str, word: &str, code: &str) -> Result<Self, String> {
        let domain = match self.target(field)?.ty() {
            Some(FieldType::Code(d)) => d,
            _ => {
                let coded: Vec<&str> = FIELDS
                    .iter()
                    .filter(|f| matches!(f.ty, FieldType::Code(_)))
                    .map(|f| f.path)
                    .collect();
                return Err(format!(
                    "`{field}` has no fixed set of values; values can be given for {}",
                    coded.join(", ")
                ));
            }
        };
        let Some(c) = domain.code(code) else {
            let hint = crate::diag::did_you_mean(code, domain.values().iter().copied())
                .map(|h| format!("; {h}"))
                .unwrap_or_else(|| format!("; known values: {}", domain.values().join(", ")));
            return Err(format!(
                "`{code}` is not {}{hint}",
                crate::diag::indefinite(domain.name())
            ));
        };
        let k = value_key(word);
        if k.is_empty() {
            return Err(format!("the word for `{code}` is empty"));
        }
        self.values.entry(domain).or_default().insert(k, c);
        Ok(self)
    }

    /// Fill `field` with `value` (written as in a cell) in every row whose
    /// own cell for it is empty or missing.
    pub fn with_default(mut self, field: &str, value: &str) -> Result<Self, String> {
        let target = self.target(field)?;
        match target {
            Target::Ignore => return Err("`ignore` cannot have a value".into()),
            Target::Currency => return self.with_currency(value),
            _ => {}
        }
        // Check the value once, as a cell.
        let mut row = RowState::new(&self);
        let cell = Cell::text(value);
        row.apply(target, &cell, &Unit::default(), field, &|| "the default".into());
        if let Some(w) = row.rec.warnings.first() {
            return Err(format!("the default for `{field}`: {}", w.message));
        }
        self.defaults.retain(|(t, _)| *t != target);
        self.defaults.push((target, value.to_string()));
        Ok(self)
    }

    /// The currency of amounts that do not say theirs (NOK unless set).
    pub fn with_currency(mut self, code: &str) -> Result<Self, String> {
        self.currency = Currency::parse(code).ok_or_else(|| format!("`{code}` is not a three-letter currency code"))?;
        Ok(self)
    }

    /// Read a mapping file: a JSON object with `columns` (header → field),
    /// `values` (field → word → code), `defaults` (field → value) and
    /// `currency`, all optional. `docs/inputs.md (CSV and Excel)` shows an example.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        Mapping::default().and_file(path)
    }

    /// This mapping with a mapping file's entries on top.
    pub fn and_file(self, path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let text = std::fs::read(path).map_err(|e| format!("{shown}: cannot read the mapping file: {e}"))?;
        let file: MappingFile = serde_json::from_slice(&text)
            .map_err(|e| format!("{shown}: not a mapping file: {e} (see docs/inputs.md (CSV and Excel))"))?;
        let mut m = self;
        if let Some(c) = &file.currency {
            m = m.with_currency(c).map_err(|e| format!("{shown}: currency: {e}"))?;
        }
        for (header, field) in &file.columns {
            m = m
                .with(header, field)
                .map_err(|e| format!("{shown}: columns: \"{header}\": {e}"))?;
        }
        for (field, words) in &file.values {
            for (word, code) in words {
                m = m
                    .with_value(field, word, code)
                    .map_err(|e| format!("{shown}: values: {field}: \"{word}\": {e}"))?;
            }
        }
        for (field, value) in &file.defaults {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                other => return Err(format!("{shown}: defaults: {field}: expected a text, found {other}")),
            };
            m = m
                .with_default(field, &text)
                .map_err(|e| format!("{shown}: defaults: {e}"))?;
        }
        Ok(m)
    }

    fn lookup(&self, h: &Header) -> Option<(Target, u8)> {
        let pct = if h.unit.percent && !h.base.is_empty() {
            format!("{}(%)", h.base)
        } else {
            String::new()
        };
        [&h.full, &pct, &h.base]
            .into_iter()
            .filter(|k| !k.is_empty())
            .find_map(|k| {
                self.headers
                    .get(k.as_str())
                    .or_else(|| builtin().headers.get(k.as_str()))
                    .copied()
            })
    }

    /// The code of `text` in `domain`: the user's words, the codes, the
    /// built-in words; then the same without a part in brackets.
    fn code(&self, domain: Domain, text: &str) -> Option<u8> {
        if let Some(c) = domain.code(text) {
            return Some(c);
        }
        let find = |k: &str| {
            self.values
                .get(&domain)
                .and_then(|t| t.get(k))
                .or_else(|| builtin().values.get(&domain).and_then(|t| t.get(k)))
                .copied()
        };
        find(&value_key(text)).or_else(|| {
            let bare = without_brackets(text);
            if bare.trim().is_empty() || bare == text {
                None
            } else {
                find(&value_key(&bare))
            }
        })
    }

    fn known_words(&self, domain: Domain) -> Vec<String> {
        let mut words: Vec<String> = self
            .values
            .get(&domain)
            .into_iter()
            .chain(builtin().values.get(&domain))
            .flat_map(|t| t.keys().cloned())
            .collect();
        words.sort();
        words.dedup();
        words
    }

    /// The built-in names of all columns, for suggestions.
    fn header_names(&self) -> Vec<&'static str> {
        HEADERS
            .iter()
            .chain(FALLBACK_HEADERS)
            .filter(|(n, _)| *n != "ignore")
            .flat_map(|(_, a)| a.split('|').map(str::trim))
            .collect()
    }
}

// ------------------------------------------------------------------ cells

/// One cell, from either format.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    /// An XLSX number cell, and whether it is formatted as a percentage.
    Number(f64, bool),
    Int(i64),
    Bool(bool),
    Date(NaiveDate),
    /// An XLSX date cell that is not a date (a time, a duration, out of range).
    BadDate(String),
    /// An XLSX error value such as `#N/A`.
    Error(String),
}

impl Cell {
    /// A text cell, trimmed and in NFC; blank and `-` are empty.
    fn text(s: &str) -> Cell {
        let t = s.trim();
        if t.is_empty() || matches!(t, "-" | "–" | "—") {
            Cell::Empty
        } else {
            Cell::Text(t.nfc().collect())
        }
    }

    fn is_empty(&self) -> bool {
        matches!(self, Cell::Empty)
    }

    fn describe(&self) -> String {
        match self {
            Cell::Empty => "an empty cell".into(),
            Cell::Text(s) => quote(s),
            Cell::Number(f, _) => format!(
                "the number {}",
                decimal_from_f64(*f)
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| f.to_string())
            ),
            Cell::Int(i) => format!("the number {i}"),
            Cell::Bool(b) => format!("the value {}", if *b { "TRUE" } else { "FALSE" }),
            Cell::Date(d) => format!("the date {}", d.format("%d.%m.%Y")),
            Cell::BadDate(s) => s.clone(),
            Cell::Error(e) => format!("the Excel error {e}"),
        }
    }

    /// The cell as text, as a header or a text field reads it.
    fn as_text(&self) -> Option<String> {
        match self {
            Cell::Empty | Cell::BadDate(_) | Cell::Error(_) => None,
            Cell::Text(s) => Some(s.clone()),
            Cell::Number(f, _) => decimal_from_f64(*f).map(|d| d.to_string()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Bool(b) => Some(if *b { "true" } else { "false" }.to_string()),
            Cell::Date(d) => Some(d.to_string()),
        }
    }
}

/// The decimal Excel shows for a number cell: the `f64` rounded to 15
/// significant digits (Excel's own precision), so that `0.1 + 0.2` is 0.3
/// and 1300000.5 is exactly 1300000.5. `None` for NaN, infinities and
/// numbers a `Decimal` cannot hold.
fn decimal_from_f64(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    if f == 0.0 {
        return Some(Decimal::ZERO);
    }
    let text = format!("{f:.14e}");
    Decimal::from_scientific(&text).ok().map(|d| d.normalize())
}

// ------------------------------------------------------------------ numbers

#[derive(Debug, Clone, Copy, PartialEq)]
enum Word {
    Currency(Currency),
    Scale(Decimal, Option<Currency>),
    Percent,
    Months,
    Years,
    /// `ca.`, `inntil`: an estimate; read as the number.
    About,
    ExclVat,
    InclVat,
}

fn word(w: &str) -> Option<Word> {
    let k = w
        .trim_matches(|c: char| c == '.' || c == ',' || c == ':')
        .to_lowercase();
    let nok = Some(Currency::NOK);
    Some(match k.as_str() {
        "kr" | "nok" | "nkr" | "kroner" | "krone" | ",-" => Word::Currency(Currency::NOK),
        "€" | "euro" => Word::Currency(Currency::parse("EUR")?),
        "$" => Word::Currency(Currency::parse("USD")?),
        "£" => Word::Currency(Currency::parse("GBP")?),
        "eur" | "sek" | "dkk" | "usd" | "gbp" | "chf" => Word::Currency(Currency::parse(&k)?),
        "mill" | "million" | "millioner" | "millions" | "mio" => Word::Scale(million(), None),
        "mnok" | "mkr" => Word::Scale(million(), nok),
        "mrd" | "milliard" | "milliarder" => Word::Scale(Decimal::from(1_000_000_000), None),
        "tusen" | "thousand" => Word::Scale(thousand(), None),
        "tnok" | "knok" => Word::Scale(thousand(), nok),
        "%" | "prosent" | "percent" => Word::Percent,
        "mnd" | "md" | "måned" | "måneder" | "month" | "months" => Word::Months,
        "år" | "year" | "years" => Word::Years,
        "ca" | "cirka" | "omtrent" | "approx" | "~" | "inntil" | "opptil" | "maks" | "max" | "estimert" => Word::About,
        "eks" | "ekskl" | "eksl" | "excl" | "ex" | "mva" | "moms" | "vat" | "eksmva" | "eks.mva" | "ekskl.mva" => {
            Word::ExclVat
        }
        "inkl" | "incl" | "inkl.mva" | "inklmva" => Word::InclVat,
        _ => return None,
    })
}

/// A number written in a cell, with the words around it.
struct Quantity {
    value: Decimal,
    words: Vec<Word>,
}

/// Why a text is not a number.
enum NumError {
    NotANumber,
    Ambiguous,
    UnknownWord(String),
}

/// The digits of a number as people write them in Norway (and elsewhere):
/// `1 300 000`, `1.300.000,50`, `1 300 000,50`, `1300000.50`,
/// `1,300,000.50`. A single `.` before exactly three digits (`1.300`) is
/// ambiguous and refused.
fn parse_digits(core: &str) -> Result<Decimal, NumError> {
    let core = core.split(' ').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ");
    if !core.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '.' | ',')) {
        return Err(NumError::NotANumber);
    }
    let commas = core.matches(',').count();
    let dots = core.matches('.').count();
    let spaces = core.contains(' ');
    let (decimal, thousands): (Option<char>, Option<char>) = match (commas, dots) {
        (0, 0) => (None, spaces.then_some(' ')),
        (c, d) if c > 0 && d > 0 => {
            let last_comma = core.rfind(',').unwrap_or(0);
            let last_dot = core.rfind('.').unwrap_or(0);
            let (dec, th, dec_count) = if last_comma > last_dot {
                (',', '.', c)
            } else {
                ('.', ',', d)
            };
            if dec_count != 1 || spaces {
                return Err(NumError::NotANumber);
            }
            (Some(dec), Some(th))
        }
        (1, 0) => (Some(','), spaces.then_some(' ')),
        (_, 0) => {
            if spaces {
                return Err(NumError::NotANumber);
            }
            (None, Some(','))
        }
        (0, 1) => {
            let (int, frac) = core.split_once('.').unwrap_or((&core, ""));
            let short = (1..=3).contains(&int.len()) && int != "0";
            if frac.len() == 3 && (spaces || short) {
                return Err(NumError::Ambiguous);
            }
            (Some('.'), spaces.then_some(' '))
        }
        _ => {
            if spaces {
                return Err(NumError::NotANumber);
            }
            (None, Some('.'))
        }
    };
    let (int, frac) = match decimal {
        Some(d) => core.split_once(d).unwrap_or((&core, "")),
        None => (core.as_str(), ""),
    };
    if int.is_empty() || (decimal.is_some() && frac.is_empty()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(NumError::NotANumber);
    }
    let digits: String = match thousands {
        Some(t) => {
            let groups: Vec<&str> = int.split(t).collect();
            let ok = groups.iter().enumerate().all(|(i, g)| {
                g.chars().all(|c| c.is_ascii_digit())
                    && if i == 0 {
                        (1..=3).contains(&g.len())
                    } else {
                        g.len() == 3
                    }
            });
            if !ok || (groups.len() < 2 && t != ' ') {
                return Err(NumError::NotANumber);
            }
            groups.concat()
        }
        None => int.to_string(),
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(NumError::NotANumber);
    }
    let text = if frac.is_empty() {
        digits
    } else {
        format!("{digits}.{frac}")
    };
    if text.len() > 30 {
        return Err(NumError::NotANumber);
    }
    Decimal::from_str_exact(&text).map_err(|_| NumError::NotANumber)
}

/// A number with its words: `kr 400 000`, `400 000,-`, `2,3 MNOK`,
/// `NOK 1,3 mill.`, `30 %`, `48 mnd`.
fn parse_quantity(text: &str) -> Result<Quantity, NumError> {
    let s = plain_spaces(text).replace('−', "-");
    let (Some(first), Some(last)) = (
        s.find(|c: char| c.is_ascii_digit()),
        s.rfind(|c: char| c.is_ascii_digit()),
    ) else {
        return Err(NumError::NotANumber);
    };
    let pre = &s[..first];
    let core = &s[first..=last];
    let mut post = &s[last + 1..];
    let mut words = Vec::new();
    for marker in [",-", ",–", ",—", ".-"] {
        if let Some(rest) = post.strip_prefix(marker) {
            post = rest;
            words.push(Word::Currency(Currency::NOK));
            break;
        }
    }
    for w in pre.split_whitespace().chain(post.split_whitespace()) {
        match word(w) {
            Some(x) => words.push(x),
            None if w.len() > 1 && w.ends_with('%') && word(&w[..w.len() - 1]).is_some() => {
                words.push(Word::Percent);
            }
            None => return Err(NumError::UnknownWord(w.to_string())),
        }
    }
    let mut value = parse_digits(core)?;
    for w in &words {
        if let Word::Scale(s, _) = w {
            value = value.checked_mul(*s).ok_or(NumError::NotANumber)?;
        }
    }
    Ok(Quantity { value, words })
}

fn num_why(text: &str, e: NumError, what: &str) -> String {
    match e {
        NumError::Ambiguous => format!(
            "{} is ambiguous: is the `.` a decimal point or a thousands separator? Write it without the dot, or with a decimal comma",
            quote(text)
        ),
        NumError::UnknownWord(w) => format!("{} is not {what} (unknown word {})", quote(text), quote(&w)),
        NumError::NotANumber => format!("{} is not {what}", quote(text)),
    }
}

// ------------------------------------------------------------------ dates

const MONTHS: &[&[&str]] = &[
    &["januar", "jan", "january"],
    &["februar", "feb", "february"],
    &["mars", "mar", "march"],
    &["april", "apr"],
    &["mai", "may"],
    &["juni", "jun", "june"],
    &["juli", "jul", "july"],
    &["august", "aug"],
    &["september", "sep", "sept"],
    &["oktober", "okt", "oct", "october"],
    &["november", "nov"],
    &["desember", "des", "dec", "december"],
];

fn month_number(w: &str) -> Option<u32> {
    let w = w.trim_end_matches('.').to_lowercase();
    MONTHS
        .iter()
        .position(|names| names.contains(&w.as_str()))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// An Excel serial day number as a date; only 1990–2099, so that a year or
/// an amount in a date column is not taken for a date.
fn date_from_serial(serial: f64, is_1904: bool) -> Option<NaiveDate> {
    let base = if is_1904 { 1462.0 } else { 0.0 };
    let days = serial + base;
    if !(32874.0..73051.0).contains(&days) {
        return None;
    }
    let (y, m, d, ..) =
        calamine::ExcelDateTime::new(days, calamine::ExcelDateTimeType::DateTime, false).to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
}

fn year_of(s: &str) -> Option<i32> {
    match s.len() {
        4 => s.parse().ok(),
        2 => s.parse::<i32>().ok().map(|y| 2000 + y),
        _ => None,
    }
}

/// `17.03.2025`, `17.3.2025`, `17.03.25`, `17/3/2025`, `2025-03-17`,
/// `2025-03-17T10:00`, `20250317`, `17. mars 2025`, an Excel serial day.
fn parse_date_text(text: &str, is_1904: bool) -> Result<NaiveDate, String> {
    let t = plain_spaces(text);
    if let Some(d) = canonical::parse_date(&t) {
        return Ok(d);
    }
    let not_a_date = || format!("{} is not a date", quote(text));
    let invalid = || format!("{} is not a valid date", quote(text));
    let month_only = || {
        format!(
            "{} names a month, a quarter or a year, not a day; write the day, e.g. 01.03.2025",
            quote(text)
        )
    };
    let tokens: Vec<&str> = t.split_whitespace().collect();
    let Some(first) = tokens.first() else {
        return Err(not_a_date());
    };
    // A time after the date is ignored.
    let time_after =
        tokens.len() == 2 && tokens[1].chars().all(|c| c.is_ascii_digit() || c == ':') && tokens[1].contains(':');
    if tokens.len() == 1 || time_after {
        if first.chars().all(|c| c.is_ascii_digit()) {
            return match first.len() {
                8 => {
                    let (y, m, d) = (&first[..4], &first[4..6], &first[6..]);
                    match (y.parse(), m.parse(), d.parse()) {
                        (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d).ok_or_else(invalid),
                        _ => Err(not_a_date()),
                    }
                }
                5 => first
                    .parse::<f64>()
                    .ok()
                    .and_then(|n| date_from_serial(n, is_1904))
                    .ok_or_else(not_a_date),
                4 => Err(month_only()),
                _ => Err(not_a_date()),
            };
        }
        let parts: Vec<&str> = first.split(['.', '/', '-']).collect();
        let digits = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit());
        if parts.iter().all(|p| digits(p)) {
            match parts.as_slice() {
                [d, m, y] if d.len() <= 2 && m.len() <= 2 => {
                    let y = year_of(y).ok_or_else(not_a_date)?;
                    return match (d.parse(), m.parse()) {
                        (Ok(d), Ok(m)) => NaiveDate::from_ymd_opt(y, m, d).ok_or_else(invalid),
                        _ => Err(not_a_date()),
                    };
                }
                [y, m, d] if y.len() == 4 && m.len() <= 2 && d.len() <= 2 => {
                    return match (y.parse(), m.parse(), d.parse()) {
                        (Ok(y), Ok(m), Ok(d)) => NaiveDate::from_ymd_opt(y, m, d).ok_or_else(invalid),
                        _ => Err(not_a_date()),
                    };
                }
                [a, b] if (a.len() == 4 && b.len() <= 2) || (a.len() <= 2 && b.len() == 4) => return Err(month_only()),
                _ => {}
            }
        }
        if first.starts_with(['q', 'Q']) {
            return Err(month_only());
        }
        return Err(not_a_date());
    }
    // 17. mars 2025, 17 mar. 2025, mars 2025, 2. kvartal 2025
    let lower: Vec<String> = tokens.iter().map(|s| s.to_lowercase()).collect();
    match lower.as_slice() {
        [d, m, y] if month_number(m).is_some() => {
            let day: u32 = d.trim_end_matches('.').parse().map_err(|_| not_a_date())?;
            let year = year_of(y).ok_or_else(not_a_date)?;
            let month = month_number(m).ok_or_else(not_a_date)?;
            NaiveDate::from_ymd_opt(year, month, day).ok_or_else(invalid)
        }
        [m, y] if month_number(m).is_some() && year_of(y).is_some() => Err(month_only()),
        [_, q, y] if (q.starts_with("kvartal") || q == "quarter") && year_of(y).is_some() => Err(month_only()),
        [q, y] if q.starts_with('q') && year_of(y).is_some() => Err(month_only()),
        _ => Err(not_a_date()),
    }
}

// ------------------------------------------------------------------ one row

/// Everything a row builds besides the record's scalar fields.
struct RowState<'m> {
    mapping: &'m Mapping,
    rec: Record,
    /// The row's currency from its currency column: `Err` if unreadable.
    currency: Result<Option<Currency>, ()>,
    is_1904: bool,
    /// Targets with a non-empty cell in this row.
    touched: HashSet<Target>,
    lot: Option<Lot>,
    criterion: Option<Criterion>,
    vehicle: Option<Vehicle>,
    exemption: Option<Exemption>,
    exemption_failed: bool,
    /// Rule ids from an `exemptions` column.
    exemption_rules: Vec<String>,
    lots: Option<Vec<Lot>>,
    lots_failed: bool,
    criteria: Vec<Criterion>,
    /// Criteria from weight columns (`Miljøvekt`).
    weights: Vec<Criterion>,
    criteria_seen: bool,
    vehicles: Vec<Vehicle>,
    vehicles_seen: bool,
}

enum Conv {
    Text(String),
    Bool(bool),
    Num(Decimal),
    Money(Money),
    Pct(Decimal),
    Date(NaiveDate),
    Code(u8),
}

impl Conv {
    fn into_extra(self) -> Option<ExtraValue> {
        Some(match self {
            Conv::Text(t) => ExtraValue::Text(t),
            Conv::Bool(b) => ExtraValue::Bool(b),
            Conv::Num(n) => ExtraValue::Num(n),
            Conv::Money(m) => ExtraValue::Money(m),
            Conv::Pct(p) => ExtraValue::Pct(p),
            Conv::Date(d) => ExtraValue::Date(d),
            Conv::Code(_) => return None,
        })
    }
}

impl<'m> RowState<'m> {
    fn new(mapping: &'m Mapping) -> Self {
        RowState {
            mapping,
            rec: Record::default(),
            currency: Ok(None),
            is_1904: false,
            touched: HashSet::new(),
            lot: None,
            criterion: None,
            vehicle: None,
            exemption: None,
            exemption_failed: false,
            exemption_rules: Vec::new(),
            lots: None,
            lots_failed: false,
            criteria: Vec::new(),
            weights: Vec::new(),
            criteria_seen: false,
            vehicles: Vec::new(),
            vehicles_seen: false,
        }
    }

    fn warn(&mut self, target: Target, at: &dyn Fn() -> String, why: String) {
        self.rec.warn(target.path(), format!("{}: {why}", at()));
    }

    /// Read one cell into the record.
    fn apply(&mut self, target: Target, cell: &Cell, unit: &Unit, header: &str, at: &dyn Fn() -> String) {
        if cell.is_empty() {
            // A blank justification in a justification column is a
            // justification not given: the empty text, which rules such
            // as `rationale != ""` can decide on.
            if let Target::Field(i) = target
                && let Some(FieldDef {
                    access: Access::Scalar(s),
                    ..
                }) = FIELDS.get(i)
                && BLANK_IS_EMPTY_TEXT.contains(s)
            {
                assign(&mut self.rec, *s, Conv::Text(String::new()));
            }
            return;
        }
        self.touched.insert(target);
        match target {
            Target::Ignore => {}
            Target::Extra(slot, path, ty) => {
                let value = match ty {
                    FieldType::TextList => cell.as_text().map(|t| {
                        ExtraValue::Texts(
                            t.split([',', ';', '\n'])
                                .map(str::trim)
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect(),
                        )
                    }),
                    _ => match self.convert(ty, false, cell, unit) {
                        Ok(v) => v.into_extra(),
                        Err(why) => {
                            self.warn(target, at, why);
                            None
                        }
                    },
                };
                if let Some(v) = value {
                    self.rec.set_extra(slot, path, v);
                }
            }
            Target::Currency => {} // read before the other columns
            Target::Weight(kind) => {
                self.criteria_seen = true;
                let weight = match self.percent(cell) {
                    Ok(w) => Some(w),
                    Err(why) => {
                        self.warn(target, at, why);
                        None
                    }
                };
                self.weights.push(Criterion {
                    name: Some(header.to_string()),
                    kind: Some(kind),
                    weight,
                });
            }
            Target::Field(i) => {
                let Some(def) = FIELDS.get(i) else { return };
                match def.access {
                    Access::List(list) => self.apply_list(target, list, cell, at),
                    Access::Scalar(s) => match self.convert(def.ty, s == Scalar::DurationMonths, cell, unit) {
                        Ok(v) => assign(&mut self.rec, s, v),
                        Err(why) => self.warn(target, at, why),
                    },
                    Access::Item(kind, field) => match self.convert(def.ty, false, cell, unit) {
                        Ok(v) => self.assign_item(kind, field, v),
                        Err(why) => {
                            self.warn(target, at, why);
                            self.item_failed(kind);
                        }
                    },
                }
            }
        }
    }

    fn item_failed(&mut self, kind: ItemKind) {
        match kind {
            ItemKind::Lot => {
                self.lot.get_or_insert_with(Lot::default);
            }
            ItemKind::Criterion => {
                self.criterion.get_or_insert_with(Criterion::default);
            }
            ItemKind::Vehicle => {
                self.vehicle.get_or_insert_with(Vehicle::default);
            }
            // An exemption whose expiry or rule cannot be read would waive
            // the rule for ever, or the wrong rule: it is not read at all.
            ItemKind::Exemption => self.exemption_failed = true,
            // Participants are read from one column of names (below).
            ItemKind::Participant => {}
        }
    }

    fn assign_item(&mut self, kind: ItemKind, field: ItemField, v: Conv) {
        match (kind, field, v) {
            (ItemKind::Lot, ItemField::LotId, Conv::Text(t)) => self.lot.get_or_insert_with(Lot::default).id = Some(t),
            (ItemKind::Lot, ItemField::LotTitle, Conv::Text(t)) => {
                self.lot.get_or_insert_with(Lot::default).title = Some(t)
            }
            (ItemKind::Lot, ItemField::LotValue, Conv::Money(m)) => {
                self.lot.get_or_insert_with(Lot::default).estimated_value = Some(m)
            }
            (ItemKind::Criterion, ItemField::CriterionName, Conv::Text(t)) => {
                self.criterion.get_or_insert_with(Criterion::default).name = Some(t)
            }
            (ItemKind::Criterion, ItemField::CriterionType, Conv::Code(c)) => {
                self.criterion.get_or_insert_with(Criterion::default).kind = Some(c)
            }
            (ItemKind::Criterion, ItemField::CriterionWeight, Conv::Pct(p)) => {
                self.criterion.get_or_insert_with(Criterion::default).weight = Some(p)
            }
            (ItemKind::Vehicle, ItemField::VehicleClass, Conv::Text(t)) => {
                self.vehicle.get_or_insert_with(Vehicle::default).class = Some(t)
            }
            (ItemKind::Vehicle, ItemField::VehicleCount, Conv::Num(n)) => {
                self.vehicle.get_or_insert_with(Vehicle::default).count = Some(n)
            }
            (ItemKind::Vehicle, ItemField::VehicleFuel, Conv::Code(c)) => {
                self.vehicle.get_or_insert_with(Vehicle::default).fuel = Some(c)
            }
            (ItemKind::Exemption, ItemField::ExemptionRule, Conv::Text(t)) => {
                self.exemption_rules.extend(rule_ids(&t));
                self.exemption.get_or_insert_with(Exemption::default);
            }
            (ItemKind::Exemption, ItemField::ExemptionReason, Conv::Text(t)) => {
                self.exemption.get_or_insert_with(Exemption::default).reason = Some(t)
            }
            (ItemKind::Exemption, ItemField::ExemptionApprovedBy, Conv::Text(t)) => {
                self.exemption.get_or_insert_with(Exemption::default).approved_by = Some(t)
            }
            (ItemKind::Exemption, ItemField::ExemptionExpires, Conv::Date(d)) => {
                self.exemption.get_or_insert_with(Exemption::default).expires = Some(d)
            }
            _ => {}
        }
    }

    fn apply_list(&mut self, target: Target, list: ListField, cell: &Cell, at: &dyn Fn() -> String) {
        match list {
            ListField::Cpv => match cpv_codes(cell) {
                Ok(codes) => self.rec.cpv = Some(codes),
                Err(why) => self.warn(target, at, why),
            },
            ListField::Lots => match self.lots_of(cell) {
                Ok(lots) => self.lots = Some(lots),
                Err(why) => {
                    self.lots_failed = true;
                    self.warn(target, at, why);
                }
            },
            ListField::AwardCriteria => {
                self.criteria_seen = true;
                match cell {
                    Cell::Text(t) => {
                        let (criteria, problems) = self.criteria_of(t);
                        self.criteria.extend(criteria);
                        for p in problems {
                            self.warn(target, at, p);
                        }
                    }
                    other => {
                        self.criteria.push(Criterion::default());
                        self.warn(
                            target,
                            at,
                            format!(
                                "{} is not a list of award criteria such as \"Pris 70 %, Miljø 30 %\"",
                                other.describe()
                            ),
                        );
                    }
                }
            }
            ListField::Vehicles => {
                self.vehicles_seen = true;
                match cell {
                    Cell::Text(t) => {
                        let (vehicles, problems) = self.vehicles_of(t);
                        self.vehicles.extend(vehicles);
                        for p in problems {
                            self.warn(target, at, p);
                        }
                    }
                    other => {
                        self.vehicles.push(Vehicle::default());
                        self.warn(
                            target,
                            at,
                            format!(
                                "{} is not a list of vehicles such as \"4 N1 elektrisk; 2 M1 hydrogen\"",
                                other.describe()
                            ),
                        );
                    }
                }
            }
            ListField::Exemptions => match cell.as_text() {
                Some(t) if !rule_ids(&t).is_empty() => {
                    self.exemption_rules.extend(rule_ids(&t));
                    self.exemption.get_or_insert_with(Exemption::default);
                }
                _ => {
                    self.exemption_failed = true;
                    self.warn(target, at, format!("{} is not a list of rule ids", cell.describe()));
                }
            },
            // "Steinkjer kommune; 944 000 111": names, or organisation
            // numbers, separated by semicolons.
            ListField::Participants => match cell.as_text() {
                Some(t) => {
                    let parties = t
                        .split(';')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(|p| {
                            let number = p.chars().all(|c| c.is_ascii_digit() || c.is_whitespace());
                            crate::record::Party {
                                id: number.then(|| p.to_string()),
                                name: (!number).then(|| p.to_string()),
                            }
                        })
                        .collect();
                    self.rec.participants = Some(parties);
                }
                None => self.warn(
                    target,
                    at,
                    format!(
                        "{} is not a list of participants such as \"Steinkjer kommune; Verdal kommune\"",
                        cell.describe()
                    ),
                ),
            },
        }
    }

    fn convert(&self, ty: FieldType, duration: bool, cell: &Cell, unit: &Unit) -> Result<Conv, String> {
        match ty {
            FieldType::Text => cell
                .as_text()
                .map(Conv::Text)
                .ok_or_else(|| format!("{} is not a text", cell.describe())),
            FieldType::Bool => flag(cell).map(Conv::Bool),
            FieldType::Number if duration => months(cell, unit).map(Conv::Num),
            FieldType::Number => number(cell).map(Conv::Num),
            FieldType::Money => self.money(cell, unit).map(Conv::Money),
            FieldType::Percent => self.percent(cell).map(Conv::Pct),
            FieldType::Date => self.date(cell).map(Conv::Date),
            FieldType::Code(domain) => self.code(domain, cell).map(Conv::Code),
            FieldType::TextList | FieldType::Items(_) => Err(format!("{} cannot be read here", cell.describe())),
        }
    }

    fn money(&self, cell: &Cell, unit: &Unit) -> Result<Money, String> {
        let Ok(row_currency) = self.currency else {
            return Err("the row's currency cannot be read".into());
        };
        if unit.incl_vat {
            return Err(format!(
                "{}: the column holds values including VAT; anskaff needs values excluding VAT",
                cell.describe()
            ));
        }
        let scale = unit.scale.unwrap_or(Decimal::ONE);
        let (amount, cell_currency) = match cell {
            Cell::Number(f, _) => (
                decimal_from_f64(*f)
                    .and_then(|d| d.checked_mul(scale))
                    .ok_or_else(|| format!("{} cannot be held exactly", cell.describe()))?,
                None,
            ),
            Cell::Int(i) => (
                Decimal::from(*i)
                    .checked_mul(scale)
                    .ok_or_else(|| format!("{} cannot be held exactly", cell.describe()))?,
                None,
            ),
            Cell::Text(t) => {
                let q = parse_quantity(t).map_err(|e| num_why(t, e, "an amount"))?;
                let mut currency = None;
                let mut scaled = false;
                for w in &q.words {
                    match w {
                        Word::Currency(c) | Word::Scale(_, Some(c)) if currency.is_some_and(|x| x != *c) => {
                            return Err(format!("{} names two currencies", quote(t)));
                        }
                        Word::Currency(c) => currency = Some(*c),
                        Word::Scale(_, c) => {
                            scaled = true;
                            currency = currency.or(*c);
                        }
                        Word::About | Word::ExclVat => {}
                        Word::InclVat => {
                            return Err(format!("{} includes VAT; anskaff needs values excluding VAT", quote(t)));
                        }
                        Word::Percent | Word::Months | Word::Years => {
                            return Err(format!("{} is not an amount", quote(t)));
                        }
                    }
                }
                let amount = if scaled {
                    q.value
                } else {
                    q.value
                        .checked_mul(scale)
                        .ok_or_else(|| format!("{} cannot be held exactly", quote(t)))?
                };
                (amount, currency)
            }
            other => return Err(format!("{} is not an amount", other.describe())),
        };
        if amount.is_sign_negative() && !amount.is_zero() {
            return Err(format!("{} is negative", cell.describe()));
        }
        let stated = [
            (cell_currency, "the cell"),
            (unit.currency, "the column header"),
            (row_currency, "the currency column"),
        ];
        let mut currency: Option<(Currency, &str)> = None;
        for (c, by) in stated {
            let Some(c) = c else { continue };
            match currency {
                Some((x, first)) if x != c => {
                    return Err(format!("{}: {first} says {x}, but {by} says {c}", cell.describe()));
                }
                Some(_) => {}
                None => currency = Some((c, by)),
            }
        }
        let currency = currency.map(|(c, _)| c);
        Ok(Money::new(amount, currency.unwrap_or(self.mapping.currency)))
    }

    /// A weight in percent: `30`, `30 %`, `12,5 %`; an XLSX cell formatted
    /// as a percentage holds 0.3 for 30 %.
    fn percent(&self, cell: &Cell) -> Result<Decimal, String> {
        let value = match cell {
            Cell::Number(f, pct) => {
                let d = decimal_from_f64(*f).ok_or_else(|| format!("{} is not a percentage", cell.describe()))?;
                if *pct {
                    d.checked_mul(Decimal::from(100))
                        .ok_or_else(|| format!("{} is not a percentage", cell.describe()))?
                        .normalize()
                } else {
                    d
                }
            }
            Cell::Int(i) => Decimal::from(*i),
            Cell::Text(t) => {
                let q = parse_quantity(t).map_err(|e| num_why(t, e, "a percentage"))?;
                if q.words.iter().any(|w| *w != Word::Percent) {
                    return Err(format!("{} is not a percentage", quote(t)));
                }
                q.value
            }
            other => return Err(format!("{} is not a percentage", other.describe())),
        };
        if value > Decimal::from(100) || value.is_sign_negative() {
            return Err(format!("{} is not a percentage between 0 and 100", cell.describe()));
        }
        Ok(value.normalize())
    }

    fn date(&self, cell: &Cell) -> Result<NaiveDate, String> {
        match cell {
            Cell::Date(d) => Ok(*d),
            Cell::Text(t) => parse_date_text(t, self.is_1904),
            Cell::Number(f, _) => {
                date_from_serial(*f, self.is_1904).ok_or_else(|| format!("{} is not a date", cell.describe()))
            }
            Cell::Int(i) => {
                date_from_serial(*i as f64, self.is_1904).ok_or_else(|| format!("{} is not a date", cell.describe()))
            }
            other => Err(format!("{} is not a date", other.describe())),
        }
    }

    fn code(&self, domain: Domain, cell: &Cell) -> Result<u8, String> {
        let text = match cell {
            Cell::Text(t) => t,
            other => {
                return Err(format!(
                    "{} is not {}",
                    other.describe(),
                    crate::diag::indefinite(domain.name())
                ));
            }
        };
        if let Some(c) = self.mapping.code(domain, text) {
            return Ok(c);
        }
        if domain == Domain::Fuel
            && let Some(c) = fuel_in_word(self.mapping, text)
        {
            return Ok(c);
        }
        let words = self.mapping.known_words(domain);
        let hint = crate::diag::did_you_mean(&value_key(text), words.iter().map(String::as_str))
            .map(|h| format!("; {h}"))
            .unwrap_or_else(|| format!("; known values: {}", domain.values().join(", ")));
        Err(format!(
            "{} is not {}{hint}",
            quote(text),
            crate::diag::indefinite(domain.name())
        ))
    }

    /// `3` (three lots), `0` or `nei` (not divided), or lot titles separated
    /// by `;` or line breaks.
    fn lots_of(&self, cell: &Cell) -> Result<Vec<Lot>, String> {
        const MAX: u32 = 1000;
        let numbered = |n: u32| {
            (1..=n)
                .map(|i| Lot {
                    id: Some(i.to_string()),
                    ..Lot::default()
                })
                .collect::<Vec<_>>()
        };
        let count = |d: Decimal, shown: &str| -> Result<Vec<Lot>, String> {
            match u32::try_from(d) {
                Ok(n) if d.fract().is_zero() && n <= MAX => Ok(numbered(n)),
                _ => Err(format!("{shown} is not a number of lots (0 to {MAX})")),
            }
        };
        match cell {
            Cell::Int(i) => count(Decimal::from(*i), &cell.describe()),
            Cell::Number(f, _) => count(decimal_from_f64(*f).unwrap_or(Decimal::NEGATIVE_ONE), &cell.describe()),
            Cell::Bool(false) => Ok(Vec::new()),
            Cell::Text(t) => {
                let k = value_key(t);
                if let Ok(q) = parse_quantity(t)
                    && q.words.is_empty()
                {
                    return count(q.value, &quote(t));
                }
                if NO.contains(&k.as_str()) || k == "ingen" || k == "none" {
                    return Ok(Vec::new());
                }
                if YES.contains(&k.as_str()) {
                    return Err(format!(
                        "{} says the procurement is divided, but not into how many lots; write the number",
                        quote(t)
                    ));
                }
                let mut words = k.split(' ');
                if let Some(n) = words.next().and_then(|w| w.parse::<u32>().ok())
                    && words.all(|w| {
                        matches!(
                            w,
                            "delkontrakter" | "delkontrakt" | "lots" | "lot" | "deler" | "del" | "stk" | "stykk"
                        )
                    })
                {
                    return count(Decimal::from(n), &quote(t));
                }
                let titles: Vec<&str> = t
                    .split([';', '\n', '|'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect();
                Ok(titles
                    .iter()
                    .enumerate()
                    .map(|(i, title)| Lot {
                        id: Some((i + 1).to_string()),
                        title: Some(title.to_string()),
                        estimated_value: None,
                    })
                    .collect())
            }
            other => Err(format!("{} is not a number of lots", other.describe())),
        }
    }

    /// `Pris 70 %, Miljø 30 %`, `Pris: 60; Kvalitet: 20; Klima 20`,
    /// `70 % pris + 30 % miljø`.
    fn criteria_of(&self, text: &str) -> (Vec<Criterion>, Vec<String>) {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for item in split_items(text) {
            let cleaned: String = item.chars().filter(|c| !matches!(c, '(' | ')')).collect();
            let cleaned = plain_spaces(&cleaned);
            let (name, weight_text) = split_number(&cleaned);
            let name = name
                .trim_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '-' | '–' | '='))
                .to_string();
            let weight = match weight_text {
                Some(w) => match self.percent(&Cell::Text(w.clone())) {
                    Ok(p) => Some(p),
                    Err(why) => {
                        problems.push(format!("criterion {}: {why}", quote(&item)));
                        None
                    }
                },
                None => {
                    problems.push(format!("criterion {} has no weight", quote(&item)));
                    None
                }
            };
            let kind = self.criterion_kind(&name);
            if kind.is_none() {
                problems.push(format!(
                    "cannot tell the type of criterion {} (price, cost, quality, environment, social, innovation)",
                    quote(&name)
                ));
            }
            out.push(Criterion {
                name: (!name.is_empty()).then_some(name),
                kind,
                weight,
            });
        }
        if out.is_empty() {
            problems.push(format!("{} lists no award criteria", quote(text)));
            out.push(Criterion::default());
        }
        (out, problems)
    }

    fn criterion_kind(&self, name: &str) -> Option<u8> {
        if let Some(c) = self.mapping.code(Domain::CriterionType, name) {
            return Some(c);
        }
        let k = value_key(name);
        CRITERION_HINTS
            .iter()
            .find(|(part, _)| k.contains(part))
            .and_then(|(_, code)| Domain::CriterionType.code(code))
    }

    /// `4 N1 elektrisk; 2 M1 hydrogen`, `10 elbiler`.
    fn vehicles_of(&self, text: &str) -> (Vec<Vehicle>, Vec<String>) {
        let mut out = Vec::new();
        let mut problems = Vec::new();
        for item in split_items(text) {
            let mut v = Vehicle::default();
            let words: Vec<String> = item
                .split_whitespace()
                .map(|w| {
                    w.trim_matches(|c: char| matches!(c, '(' | ')' | ',' | '.' | ':'))
                        .to_string()
                })
                .filter(|w| !w.is_empty())
                .collect();
            let mut i = 0;
            while i < words.len() {
                let w = &words[i];
                let pair = words.get(i + 1).map(|n| format!("{w} {n}"));
                if v.count.is_none()
                    && let Ok(Quantity { value, words: ws }) = parse_quantity(w)
                    && ws.is_empty()
                {
                    v.count = Some(value);
                } else if v.class.is_none() && is_vehicle_class(w) {
                    v.class = Some(vehicle_class(w));
                } else if v.fuel.is_none()
                    && let Some(c) = pair.as_deref().and_then(|p| self.mapping.code(Domain::Fuel, p))
                {
                    v.fuel = Some(c);
                    i += 1;
                } else if v.fuel.is_none()
                    && let Some(c) = self
                        .mapping
                        .code(Domain::Fuel, w)
                        .or_else(|| fuel_in_word(self.mapping, w))
                {
                    v.fuel = Some(c);
                }
                i += 1;
            }
            if v.fuel.is_none() {
                problems.push(format!(
                    "vehicle {}: no fuel found (e.g. elektrisk, biogass, diesel)",
                    quote(&item)
                ));
            }
            out.push(v);
        }
        if out.is_empty() {
            problems.push(format!("{} lists no vehicles", quote(text)));
            out.push(Vehicle::default());
        }
        (out, problems)
    }

    /// Put the row's lists together, fill defaults, and make the id.
    fn finish(mut self) -> Record {
        for (target, text) in self.mapping.defaults.clone() {
            if !self.touched.contains(&target) {
                let cell = Cell::text(&text);
                self.apply(target, &cell, &Unit::default(), &target.name(), &|| {
                    "the default".into()
                });
            }
        }
        let rec = &mut self.rec;
        if let Some(c) = self.criterion.take() {
            self.criteria.push(c);
            self.criteria_seen = true;
        }
        if self.criteria_seen {
            // A weight column and a criteria cell may both give the weight
            // of one type: the column is read, and a difference reported.
            let mut criteria = std::mem::take(&mut self.criteria);
            let weights = std::mem::take(&mut self.weights);
            let total = |cs: &[Criterion], kind: u8| -> Option<Decimal> {
                // Too large to add up is no total, as a missing weight is.
                cs.iter()
                    .filter(|c| c.kind == Some(kind))
                    .try_fold(Decimal::ZERO, |sum, c| sum.checked_add(c.weight?))
            };
            let mut kinds: Vec<u8> = weights.iter().filter_map(|c| c.kind).collect();
            kinds.dedup();
            for kind in kinds {
                if criteria.iter().any(|c| c.kind == Some(kind)) {
                    let (a, b) = (total(&criteria, kind), total(&weights, kind));
                    if a != b {
                        let shown = |d: Option<Decimal>| d.map(|d| format!("{d} %")).unwrap_or_else(|| "?".into());
                        rec.warn(
                            "award_criteria",
                            format!(
                                "the award criteria give {} a weight of {}, the weight column {}; the column is read",
                                Domain::CriterionType.value(kind),
                                shown(a),
                                shown(b)
                            ),
                        );
                    }
                    criteria.retain(|c| c.kind != Some(kind));
                }
            }
            criteria.extend(weights);
            rec.award_criteria = Some(criteria);
        }
        if let Some(v) = self.vehicle.take() {
            self.vehicles.push(v);
            self.vehicles_seen = true;
        }
        if self.vehicles_seen {
            rec.vehicles = Some(std::mem::take(&mut self.vehicles));
        }
        if !self.lots_failed {
            let mut lots = self.lots.take();
            if let Some(l) = self.lot.take() {
                lots.get_or_insert_with(Vec::new).push(l);
            }
            rec.lots = lots;
        }
        if let Some(e) = self.exemption.take()
            && !self.exemption_failed
        {
            let rules = std::mem::take(&mut self.exemption_rules);
            if rules.is_empty() {
                rec.warn("exemptions", "an exemption without the rule it waives is not read");
            } else {
                rec.exemptions = Some(
                    rules
                        .into_iter()
                        .map(|r| Exemption {
                            rule: Some(r),
                            ..e.clone()
                        })
                        .collect(),
                );
            }
        }
        // A plan's buyer is often only named: "… kommune" is a
        // municipality, "… fylkeskommune" a county.
        if rec.buyer.kind.is_none()
            && !self.touched.iter().any(|t| t.path() == "buyer.kind")
            && let Some(name) = &rec.buyer.name
        {
            let last = name.split_whitespace().last().map(|w| w.to_lowercase());
            rec.buyer.kind = match last.as_deref() {
                Some("kommune") => Domain::BuyerKind.code("municipal"),
                Some("fylkeskommune") => Domain::BuyerKind.code("county"),
                _ => None,
            };
        }
        self.rec
    }
}

fn assign(rec: &mut Record, s: Scalar, v: Conv) {
    match (s, v) {
        (Scalar::Id, Conv::Text(t)) => rec.id = Some(t),
        (Scalar::Stage, Conv::Code(c)) => rec.stage = Some(c),
        (Scalar::Title, Conv::Text(t)) => rec.title = Some(t),
        (Scalar::BuyerId, Conv::Text(t)) => rec.buyer.id = Some(t),
        (Scalar::BuyerName, Conv::Text(t)) => rec.buyer.name = Some(t),
        (Scalar::BuyerKind, Conv::Code(c)) => rec.buyer.kind = Some(c),
        (Scalar::BuyerUnit, Conv::Text(t)) => rec.buyer.unit = Some(t),
        (Scalar::Date, Conv::Date(d)) => rec.date = Some(d),
        (Scalar::Category, Conv::Code(c)) => rec.category = Some(c),
        (Scalar::Procedure, Conv::Code(c)) => rec.procedure = Some(c),
        (Scalar::EstimatedValue, Conv::Money(m)) => rec.estimated_value = Some(m),
        (Scalar::AwardedValue, Conv::Money(m)) => rec.awarded_value = Some(m),
        (Scalar::Framework, Conv::Bool(b)) => rec.framework = Some(b),
        (Scalar::DurationMonths, Conv::Num(n)) => rec.duration_months = Some(n),
        (Scalar::SupplierId, Conv::Text(t)) => rec.supplier.id = Some(t),
        (Scalar::SupplierName, Conv::Text(t)) => rec.supplier.name = Some(t),
        (Scalar::LotsJustification, Conv::Text(t)) => rec.lots_justification = Some(t),
        (Scalar::EnvSpecRequirements, Conv::Bool(b)) => rec.environment.spec_requirements = Some(b),
        (Scalar::EnvJustification, Conv::Text(t)) => rec.environment.justification = Some(t),
        (Scalar::EnvExemption, Conv::Text(t)) => rec.environment.exemption = Some(t),
        (Scalar::FossilFreeSite, Conv::Bool(b)) => rec.fossil_free_site = Some(b),
        (Scalar::EcommerceOrdering, Conv::Bool(b)) => rec.ecommerce_ordering = Some(b),
        (Scalar::EcommerceEinvoice, Conv::Bool(b)) => rec.ecommerce_einvoice = Some(b),
        (Scalar::LccAssessed, Conv::Bool(b)) => rec.lcc_assessed = Some(b),
        (Scalar::MaxSubcontractorLevels, Conv::Num(n)) => rec.labour.max_subcontractor_levels = Some(n),
        (Scalar::Apprentices, Conv::Bool(b)) => rec.labour.apprentices = Some(b),
        (Scalar::WagesViaBank, Conv::Bool(b)) => rec.labour.wages_via_bank = Some(b),
        (Scalar::Rationale, Conv::Text(t)) => rec.rationale = Some(t),
        (Scalar::NoticeId, Conv::Text(t)) => rec.notice_id = Some(t),
        _ => {}
    }
}

fn flag(cell: &Cell) -> Result<bool, String> {
    match cell {
        Cell::Bool(b) => Ok(*b),
        Cell::Int(1) => Ok(true),
        Cell::Int(0) => Ok(false),
        Cell::Number(f, _) if *f == 1.0 => Ok(true),
        Cell::Number(f, _) if *f == 0.0 => Ok(false),
        Cell::Text(t) => {
            let k = value_key(t);
            if YES.contains(&k.as_str()) || t.trim() == "✓" || t.trim() == "✔" {
                Ok(true)
            } else if NO.contains(&k.as_str()) {
                Ok(false)
            } else {
                Err(format!("{} is not yes or no (ja/nei)", quote(t)))
            }
        }
        other => Err(format!("{} is not yes or no (ja/nei)", other.describe())),
    }
}

fn number(cell: &Cell) -> Result<Decimal, String> {
    match cell {
        Cell::Int(i) => Ok(Decimal::from(*i)),
        Cell::Number(f, _) => decimal_from_f64(*f).ok_or_else(|| format!("{} is not a number", cell.describe())),
        Cell::Text(t) => match parse_quantity(t) {
            Ok(q) if q.words.is_empty() => Ok(q.value.normalize()),
            Ok(_) => Err(format!("{} is not a number", quote(t))),
            Err(e) => Err(num_why(t, e, "a number")),
        },
        other => Err(format!("{} is not a number", other.describe())),
    }
}

/// A duration in months: `48`, `48 mnd`, `4 år`, `2+1+1 år`; a header in
/// years (`Varighet (år)`) counts bare numbers as years.
fn months(cell: &Cell, unit: &Unit) -> Result<Decimal, String> {
    let too_long = || format!("{} is not a duration anskaff can hold", cell.describe());
    let in_months = |d: Decimal, years: bool| {
        if years {
            d.checked_mul(Decimal::from(12)).ok_or_else(too_long)
        } else {
            Ok(d)
        }
    };
    match cell {
        Cell::Int(_) | Cell::Number(..) => Ok(in_months(number(cell)?, unit.years)?.normalize()),
        Cell::Text(t) => {
            let bad = || format!("{} is not a duration in months or years", quote(t));
            let mut values = Vec::new();
            let mut stated: Option<bool> = None;
            for part in t.split('+') {
                let q = parse_quantity(part).map_err(|_| bad())?;
                let mut years = None;
                for w in &q.words {
                    match w {
                        Word::Years => years = Some(true),
                        Word::Months => years = Some(false),
                        _ => return Err(bad()),
                    }
                }
                if years.is_some() {
                    stated = years;
                }
                values.push((q.value, years));
            }
            let default = stated.unwrap_or(unit.years);
            let mut total = Decimal::ZERO;
            for (v, years) in values {
                total = total
                    .checked_add(in_months(v, years.unwrap_or(default))?)
                    .ok_or_else(too_long)?;
            }
            Ok(total.normalize())
        }
        other => Err(format!("{} is not a duration", other.describe())),
    }
}

/// CPV codes separated by `,`, `;`, `/`, `|` or spaces; `34136000-9` is
/// read as `34136000`; a 7-digit code gets back the leading zero a
/// spreadsheet took (`9310000` → `09310000`); words without digits (the
/// code's description) are passed over.
fn cpv_codes(cell: &Cell) -> Result<Vec<String>, String> {
    let text = match cell {
        Cell::Text(t) => t.clone(),
        Cell::Int(i) => i.to_string(),
        Cell::Number(f, _) => decimal_from_f64(*f).map(|d| d.to_string()).unwrap_or_default(),
        other => return Err(format!("{} is not a CPV code", other.describe())),
    };
    let mut codes = Vec::new();
    let mut bad = Vec::new();
    for token in text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '/' | '|')) {
        let token = token.trim_matches(|c: char| matches!(c, '(' | ')' | '.' | ':'));
        if token.is_empty() || !token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let code = match token.split_once('-') {
            Some((code, check)) if check.len() == 1 && check.chars().all(|c| c.is_ascii_digit()) => code,
            _ => token,
        };
        if code.chars().all(|c| c.is_ascii_digit()) && code.len() == 8 {
            codes.push(code.to_string());
        } else if code.chars().all(|c| c.is_ascii_digit()) && code.len() == 7 {
            codes.push(format!("0{code}"));
        } else {
            bad.push(token.to_string());
        }
    }
    if !bad.is_empty() {
        let list: Vec<String> = bad.iter().map(|b| quote(b)).collect();
        return Err(format!(
            "{} is not a CPV code (8 digits, such as 34136000)",
            list.join(", ")
        ));
    }
    if codes.is_empty() {
        return Err(format!("{} holds no CPV code", cell.describe()));
    }
    Ok(codes)
}

/// Rule ids separated by `,`, `;` or spaces.
fn rule_ids(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';'))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Items of a list in one cell: separated by `;`, `+`, line breaks, or a
/// `,` that is not a decimal comma.
fn split_items(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut items = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let decimal_comma =
            c == ',' && i > 0 && chars[i - 1].is_ascii_digit() && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        if matches!(c, ';' | '+' | '\n' | '\r') || (c == ',' && !decimal_comma) {
            items.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    items.push(current);
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A name and the number at its end (or start): `Miljø 30 %` →
/// (`Miljø`, `30 %`); `70 % pris` → (`pris`, `70 %`).
fn split_number(item: &str) -> (String, Option<String>) {
    let is_num = |c: char| c.is_ascii_digit() || matches!(c, ',' | '.' | ' ' | '%');
    let trimmed = item.trim();
    let tail_start = trimmed
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_num(*c))
        .last()
        .map(|(i, _)| i);
    if let Some(i) = tail_start {
        let tail = trimmed[i..].trim();
        if tail.chars().any(|c| c.is_ascii_digit()) {
            return (trimmed[..i].to_string(), Some(tail.to_string()));
        }
    }
    let head_end = trimmed
        .char_indices()
        .take_while(|(_, c)| is_num(*c))
        .last()
        .map(|(i, c)| i + c.len_utf8());
    if let Some(j) = head_end {
        let head = trimmed[..j].trim();
        if head.chars().any(|c| c.is_ascii_digit()) {
            return (trimmed[j..].to_string(), Some(head.to_string()));
        }
    }
    (trimmed.to_string(), None)
}

/// `N1`, `M3`, `L3e`, `O2`.
fn is_vehicle_class(w: &str) -> bool {
    let b = w.as_bytes();
    (b.len() == 2 || (b.len() == 3 && matches!(b[2], b'e' | b'E' | b'G' | b'g')))
        && matches!(b[0].to_ascii_uppercase(), b'L' | b'M' | b'N' | b'O')
        && (b'1'..=b'7').contains(&b[1])
}

fn vehicle_class(w: &str) -> String {
    let mut out: String = w[..2].to_ascii_uppercase();
    if let Some(rest) = w.get(2..) {
        out.push_str(&rest.to_ascii_lowercase());
    }
    out
}

/// A fuel inside a compound word: `elbiler`, `biogassbusser`, `dieselbil`.
fn fuel_in_word(mapping: &Mapping, w: &str) -> Option<u8> {
    const VEHICLE_WORDS: &[&str] = &[
        "bil",
        "biler",
        "buss",
        "busser",
        "varebil",
        "varebiler",
        "lastebil",
        "lastebiler",
        "kjøretøy",
        "drevet",
        "drevne",
        "drift",
    ];
    let k = value_key(w).replace(' ', "");
    for split in (2..k.len()).filter(|i| k.is_char_boundary(*i)) {
        let (head, tail) = k.split_at(split);
        if VEHICLE_WORDS.contains(&tail)
            && let Some(c) = mapping.code(Domain::Fuel, head)
        {
            return Some(c);
        }
    }
    None
}

// ------------------------------------------------------------------ tables

/// A column that is read.
#[derive(Debug, Clone)]
struct Column {
    index: usize,
    header: String,
    target: Target,
    unit: Unit,
}

/// How a sheet's header row maps its columns.
struct Layout {
    columns: Vec<Column>,
    id_column: Option<usize>,
    currency_column: Option<usize>,
    /// Absolute indexes of columns without a header.
    unnamed: HashSet<usize>,
    /// Warnings about the layout, for the sheet's first record.
    notes: Vec<DataWarning>,
}

/// Excel's name of a column: 0 → A, 26 → AA.
fn column_letters(mut i: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// How a sheet is named in a cell reference: `Ark1!`, `'Plan 2025'!`.
fn sheet_prefix(sheet: Option<&str>) -> String {
    match sheet {
        None => String::new(),
        Some(s) if s.chars().all(|c| c.is_alphanumeric() || c == '_') => format!("{s}!"),
        Some(s) => format!("'{}'!", s.replace('\'', "''")),
    }
}

/// What the header candidates of a row map to: (recognised, has a key column).
fn header_score(cells: &[Cell], mapping: &Mapping) -> (usize, bool) {
    let mut n = 0;
    let mut key_col = false;
    for c in cells {
        if let Some(t) = c.as_text()
            && let Some((target, rank)) = mapping.lookup(&parse_header(&t))
            && target != Target::Ignore
        {
            n += 1;
            // A fallback title (Navn, Beskrivelse) is also in lists of
            // values; it does not make a table of procurements.
            let fallback_title = rank > 1 && target.path() == "title";
            key_col |= target.is_key() && !fallback_title;
        }
    }
    (n, key_col)
}

/// Rows searched for the header row.
const HEADER_SEARCH: usize = 20;

/// The header row among the first rows: the first that names at least two
/// fields, one of them the id, the title or a value.
fn find_header(rows: &[(u64, RowCells)], mapping: &Mapping) -> Option<usize> {
    rows.iter()
        .enumerate()
        .filter(|(_, (_, r))| matches!(r, Ok(c) if c.iter().any(|x| !x.is_empty())))
        .take(HEADER_SEARCH)
        .find(|(_, (_, r))| match r {
            Ok(cells) => {
                let (n, key_col) = header_score(cells, mapping);
                n >= 2 && key_col
            }
            Err(_) => false,
        })
        .map(|(i, _)| i)
}

fn layout(cells: &[Cell], header_row: u64, sheet: Option<&str>, mapping: &Mapping) -> Layout {
    let prefix = sheet_prefix(sheet);
    let mut notes = Vec::new();
    let mut unnamed = HashSet::new();
    let mut candidates: Vec<(Column, u8)> = Vec::new();
    let names = mapping.header_names();
    for (index, cell) in cells.iter().enumerate() {
        let Some(text) = cell.as_text() else {
            unnamed.insert(index);
            continue;
        };
        let at = format!("{prefix}{}{header_row}", column_letters(index));
        let h = parse_header(&text);
        match mapping.lookup(&h) {
            Some((Target::Ignore, _)) => {}
            Some((target, rank)) if target.is_money() && h.unit.incl_vat && rank > 0 => {
                notes.push(DataWarning {
                    field: text.clone(),
                    message: format!(
                        "{at}: the column holds values including VAT and is not read: thresholds apply to values \
                         excluding VAT. Add a column excluding VAT, or map this one with --map \"{text}={}\" if it \
                         does hold values excluding VAT",
                        target.path()
                    ),
                });
            }
            Some((target, rank)) => {
                let mut unit = h.unit;
                // The user said what the column is.
                unit.incl_vat &= rank > 0;
                candidates.push((
                    Column {
                        index,
                        header: text.clone(),
                        target,
                        unit,
                    },
                    rank,
                ))
            }
            None => {
                let hint = crate::diag::did_you_mean(&text, names.iter().copied())
                    .map(|h| format!("{h} "))
                    .unwrap_or_default();
                notes.push(DataWarning {
                    field: text.clone(),
                    message: format!(
                        "{at}: the column is not read; {hint}map it with --map \"{text}=FIELD\", or silence this with \
                         --map \"{text}=ignore\""
                    ),
                });
            }
        }
    }
    // One column per target: the user's name before a built-in one before
    // a fallback name, then the leftmost.
    let mut columns: Vec<Column> = Vec::new();
    let mut best: HashMap<Target, (u8, usize)> = HashMap::new();
    for (i, (col, rank)) in candidates.iter().enumerate() {
        match best.get(&col.target) {
            Some((r, _)) if *r <= *rank => {}
            _ => {
                best.insert(col.target, (*rank, i));
            }
        }
    }
    for (i, (col, _)) in candidates.iter().enumerate() {
        let Some((_, winner)) = best.get(&col.target) else {
            continue;
        };
        if *winner == i {
            columns.push(col.clone());
        } else {
            let w = &candidates[*winner].0;
            notes.push(DataWarning {
                field: col.header.clone(),
                message: format!(
                    "{prefix}{}{header_row}: the column is not read: column {} (\"{}\") is read as `{}`",
                    column_letters(col.index),
                    column_letters(w.index),
                    w.header,
                    col.target.path()
                ),
            });
        }
    }
    let find = |t: Target| columns.iter().position(|c| c.target == t);
    let id_column = FIELDS
        .iter()
        .position(|f| f.path == "id")
        .and_then(|i| find(Target::Field(i)));
    let currency_column = find(Target::Currency);
    Layout {
        columns,
        id_column,
        currency_column,
        unnamed,
        notes,
    }
}

type RowCells = Result<Vec<Cell>, String>;

/// Where a table comes from.
struct Origin<'a> {
    file: &'a Arc<str>,
    /// The file name without extension, for made-up ids.
    stem: String,
    sheet: Option<&'a str>,
    is_1904: bool,
}

impl Origin<'_> {
    fn source(&self, row: u64) -> Source {
        match self.sheet {
            None => Source::line(self.file.clone(), row),
            Some(s) => Source {
                file: self.file.clone(),
                line: None,
                locator: Some(format!("{s}!row {row}")),
            },
        }
    }

    /// A row as messages name it: `line 3`, `Ark1!row 3`.
    fn row_name(&self, row: u64) -> String {
        match self.sheet {
            None => format!("line {row}"),
            Some(s) => format!("{}row {row}", sheet_prefix(Some(s))),
        }
    }

    fn made_up_id(&self, row: u64) -> String {
        match self.sheet {
            None => format!("{}:{row}", self.stem),
            Some(s) => format!("{}:{s}:{row}", self.stem),
        }
    }
}

fn stem_of(file: &str) -> String {
    Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or(file)
        .to_string()
}

fn file_error(file: &Arc<str>, locator: Option<String>, message: String) -> Raw {
    Raw {
        source: Source {
            file: file.clone(),
            line: None,
            locator,
        },
        payload: Payload::Error(message),
    }
}

/// Whether a row is a row of totals: its first cell says `Sum` or `Totalt`.
fn is_total_row(cells: &[Cell]) -> bool {
    cells
        .iter()
        .find(|c| !c.is_empty())
        .and_then(|c| match c {
            Cell::Text(t) => Some(TOTAL_ROWS.contains(&key(t).as_str())),
            _ => None,
        })
        .unwrap_or(false)
}

/// The records of one table (a CSV file or a sheet), or why it holds none.
fn read_rows(
    rows: Vec<(u64, RowCells)>,
    origin: &Origin<'_>,
    mapping: &Mapping,
    mut file_notes: Vec<DataWarning>,
) -> Result<Vec<Raw>, String> {
    let Some(h) = find_header(&rows, mapping) else {
        return Err(no_header_reason(&rows, mapping));
    };
    let (header_row, header_cells) = match &rows[h] {
        (n, Ok(cells)) => (*n, cells.clone()),
        (_, Err(e)) => return Err(e.clone()),
    };
    let layout = layout(&header_cells, header_row, origin.sheet, mapping);
    let prefix = sheet_prefix(origin.sheet);
    file_notes.extend(layout.notes.iter().cloned());
    if layout.id_column.is_none() {
        let first = rows[h + 1..].iter().map(|(n, _)| *n).next().unwrap_or(header_row + 1);
        file_notes.push(DataWarning {
            field: "id".into(),
            message: format!(
                "{}: no id column (ID, Nr, Saksnr, Referanse, …): each record is named after the file and its \
                 row, such as \"{}\"",
                origin.row_name(header_row),
                origin.made_up_id(first)
            ),
        });
    }
    // Values in columns without a header, once per column, at the first
    // cell that holds one.
    let width = header_cells.len();
    let mut unnamed_with_data: BTreeMap<usize, u64> = BTreeMap::new();
    for (row, cells) in &rows[h + 1..] {
        let Ok(cells) = cells else { continue };
        for (i, cell) in cells.iter().enumerate() {
            if !cell.is_empty() && (i >= width || layout.unnamed.contains(&i)) {
                unnamed_with_data.entry(i).or_insert(*row);
            }
        }
    }
    for (i, row) in unnamed_with_data {
        file_notes.push(DataWarning {
            field: column_letters(i),
            message: format!(
                "{prefix}{}{row}: column {} has values but no header; they are not read",
                column_letters(i),
                column_letters(i)
            ),
        });
    }

    let mut out = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut notes = Some(file_notes);
    for (row, cells) in rows.into_iter().skip(h + 1) {
        let cells = match cells {
            Ok(c) => c,
            Err(e) => {
                out.push(Raw {
                    source: origin.source(row),
                    payload: Payload::Error(e),
                });
                continue;
            }
        };
        if cells.iter().all(Cell::is_empty) || is_total_row(&cells) {
            continue;
        }
        let mut record = build(&cells, row, &layout, origin, mapping);
        if let Some(id) = &record.id {
            if let Some(first) = ids.get(id) {
                let message = format!("{} is also the id of row {first}", quote(id));
                record.warn("id", message);
            } else {
                ids.insert(id.clone(), row);
            }
        }
        if let Some(mut n) = notes.take() {
            n.append(&mut record.warnings);
            record.warnings = n;
        }
        out.push(Raw {
            source: origin.source(row),
            payload: Payload::Record(Box::new(record)),
        });
    }
    Ok(out)
}

fn no_header_reason(rows: &[(u64, RowCells)], mapping: &Mapping) -> String {
    let first = rows.iter().find_map(|(n, r)| {
        r.as_ref()
            .ok()
            .filter(|c| c.iter().any(|x| !x.is_empty()))
            .map(|c| (n, c))
    });
    match first {
        None => "the table holds no rows".into(),
        Some((n, cells)) => {
            let headers: Vec<String> = cells
                .iter()
                .filter_map(Cell::as_text)
                .map(|t| quote(&t))
                .take(12)
                .collect();
            let (recognised, _) = header_score(cells, mapping);
            format!(
                "no header row found in the first {HEADER_SEARCH} rows: a header row names at least two fields, one \
                 of them the id, the title or a value (e.g. Nr, Tittel, Anslått verdi); row {n} has {} ({recognised} \
                 recognised). Map other headers with --map \"HEADER=FIELD\"",
                headers.join(", ")
            )
        }
    }
}

/// One record from one row.
fn build(cells: &[Cell], row: u64, layout: &Layout, origin: &Origin<'_>, mapping: &Mapping) -> Record {
    let prefix = sheet_prefix(origin.sheet);
    let mut state = RowState::new(mapping);
    state.is_1904 = origin.is_1904;
    let empty = Cell::Empty;
    let cell_of = |c: &Column| cells.get(c.index).unwrap_or(&empty);
    let at_of = |c: &Column| {
        let (index, header) = (c.index, c.header.clone());
        let prefix = prefix.clone();
        move || format!("{prefix}{}{row} ({header})", column_letters(index))
    };
    // The currency first: the amounts need it.
    if let Some(ci) = layout.currency_column
        && let Some(col) = layout.columns.get(ci)
    {
        let cell = cell_of(col);
        if !cell.is_empty() {
            state.touched.insert(Target::Currency);
            let code = cell.as_text().and_then(|t| match key(&t).as_str() {
                "kr" | "kroner" | "nok" | "nkr" => Some(Currency::NOK),
                "€" | "euro" => Currency::parse("EUR"),
                _ => Currency::parse(&t),
            });
            match code {
                Some(c) => state.currency = Ok(Some(c)),
                None => {
                    state.currency = Err(());
                    let at = at_of(col);
                    state.warn(
                        Target::Currency,
                        &at,
                        format!(
                            "{} is not a currency code (NOK, EUR, SEK, …); the amounts of this row are not read",
                            cell.describe()
                        ),
                    );
                }
            }
        }
    }
    for (i, col) in layout.columns.iter().enumerate() {
        if Some(i) == layout.currency_column {
            continue;
        }
        let at = at_of(col);
        state.apply(col.target, cell_of(col), &col.unit, &col.header, &at);
    }
    let id_ok = state.rec.id.as_deref().is_some_and(|s| !s.trim().is_empty());
    let mut rec = state.finish();
    if !id_ok {
        let made = origin.made_up_id(row);
        if let Some(col) = layout.id_column.and_then(|i| layout.columns.get(i)) {
            let at = format!("{prefix}{}{row} ({})", column_letters(col.index), col.header);
            let cell = cell_of(col);
            let what = if cell.is_empty() {
                "no id".to_string()
            } else {
                cell.describe()
            };
            // Replace a conversion warning on the id with this one.
            rec.warnings.retain(|w| w.field != "id");
            rec.warn("id", format!("{at}: {what}; the record is called {}", quote(&made)));
        }
        rec.id = Some(made);
    }
    rec
}

// ------------------------------------------------------------------ CSV

/// The text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, or
/// Windows-1252 when the bytes are not UTF-8 (said in a warning). Bytes
/// that are neither are an error, never garbled text.
fn decode(bytes: &[u8]) -> Result<(String, Option<String>), String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(|s| (s.to_string(), None)).map_err(|e| {
            format!(
                "the file says it is UTF-8 but is not: invalid bytes at line {}",
                line_at(rest, e.valid_up_to())
            )
        });
    }
    for (bom, encoding) in [
        (&b"\xFF\xFE"[..], encoding_rs::UTF_16LE),
        (&b"\xFE\xFF"[..], encoding_rs::UTF_16BE),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            return encoding
                .decode_without_bom_handling_and_without_replacement(rest)
                .map(|s| (s.into_owned(), None))
                .ok_or_else(|| "the file says it is UTF-16 but is not".to_string());
        }
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return Err("this is a zip archive (an XLSX workbook?), not a CSV file".into());
    }
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err("this is an old Excel (.xls) workbook, not a CSV file; save it as .xlsx or CSV".into());
    }
    if bytes.contains(&0) {
        return Err("this is not a text file (it holds NUL bytes)".into());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok((s.to_string(), None)),
        Err(e) => {
            // Mostly UTF-8 with a few bad bytes is a damaged file, not
            // another encoding.
            let multibyte = String::from_utf8_lossy(bytes)
                .chars()
                .filter(|c| !c.is_ascii() && *c != '\u{FFFD}')
                .count();
            if multibyte > 0 {
                return Err(format!(
                    "the file is UTF-8 with invalid bytes at line {}; it is not read rather than garbled",
                    line_at(bytes, e.valid_up_to())
                ));
            }
            // Bytes Windows-1252 leaves undefined mean another encoding.
            if let Some(i) = bytes.iter().position(|b| matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D)) {
                return Err(format!(
                    "the file is neither UTF-8 nor Windows-1252 (byte 0x{:02X} at line {}); save it as \"CSV UTF-8\"",
                    bytes[i],
                    line_at(bytes, i)
                ));
            }
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok((
                text.into_owned(),
                Some(
                    "the file is not UTF-8; it was read as Windows-1252 (ISO-8859-1), the encoding of older Excel \
                     CSV exports. Save it as \"CSV UTF-8\" to be sure letters such as æ, ø and å are right"
                        .into(),
                ),
            ))
        }
    }
}

fn line_at(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

/// The delimiter: `sep=X` on the first line, else the one of `;`, tab and
/// `,` that splits the first rows into the same number of fields most
/// often (`;` wins ties: Norwegian Excel writes `;`). Rows are counted as
/// the CSV parser reads them and, so that a stray quote that joins the
/// rows after it does not turn the guess to another delimiter, also as
/// plain lines; the better count of the two is the delimiter's.
fn detect_delimiter(text: &str) -> u8 {
    if let Some(first) = text.lines().next()
        && let Some(sep) = first.trim().strip_prefix("sep=")
        && sep.len() == 1
    {
        return sep.as_bytes()[0];
    }
    let mut best = (b';', 0usize, 0usize);
    for d in [b';', b'\t', b','] {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(d)
            .from_reader(text.as_bytes());
        let mut counts: HashMap<usize, usize> = HashMap::new();
        for rec in rdr.records().take(30).flatten() {
            if rec.len() > 1 {
                *counts.entry(rec.len()).or_default() += 1;
            }
        }
        let mut lines: HashMap<usize, usize> = HashMap::new();
        for line in text.lines().take(30) {
            let fields = line.bytes().filter(|&b| b == d).count() + 1;
            if fields > 1 {
                *lines.entry(fields).or_default() += 1;
            }
        }
        let most = |c: HashMap<usize, usize>| c.into_iter().max_by_key(|(f, n)| (*n, *f));
        if let Some((fields, rows)) = most(counts)
            .into_iter()
            .chain(most(lines))
            .max_by_key(|(f, n)| (*n, *f))
            && (rows, fields) > (best.1, best.2)
        {
            best = (d, rows, fields);
        }
    }
    best.0
}

/// Line numbers of byte offsets in a text, counted incrementally: offsets
/// asked for in increasing order cost one pass over the text in all.
///
/// The CSV parser's own line count is off by one per row when lines end in
/// CRLF, so lines are counted here from the parser's byte positions.
struct Lines<'t> {
    text: &'t [u8],
    at: usize,
    line: u64,
}

impl<'t> Lines<'t> {
    fn new(text: &'t [u8]) -> Self {
        Lines { text, at: 0, line: 1 }
    }

    /// The 1-based line of byte `offset`.
    fn line_of(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.text.len());
        if offset < self.at {
            // Not expected (positions only grow), but stay correct.
            self.at = 0;
            self.line = 1;
        }
        self.line += self.text[self.at..offset].iter().filter(|&&b| b == b'\n').count() as u64;
        self.at = offset;
        self.line
    }
}

/// A cell of a CSV row that spans line breaks: a quoted cell, or the sign
/// of a stray quote that swallowed the rows after it.
struct Spanning {
    /// The index of the row in the rows read.
    row: usize,
    /// The index of the cell in the row.
    column: usize,
    /// The line the cell (its opening quote) starts on.
    open: u64,
    /// The last line the cell holds text from.
    last: u64,
    /// Whether the quote is closed before the end of the file.
    closed: bool,
    /// The most delimiters on one of the cell's lines after the first.
    most_delimiters: usize,
}

impl Spanning {
    fn of(cell: &str, delimiter: u8) -> Option<(usize, usize)> {
        if !cell.contains('\n') {
            return None;
        }
        let mut lines = cell.split('\n');
        lines.next()?;
        let inner: Vec<&str> = lines.collect();
        if inner.is_empty() {
            return None;
        }
        let most = inner
            .iter()
            .map(|l| l.bytes().filter(|&b| b == delimiter).count())
            .max()
            .unwrap_or(0);
        // Text after the last line break, or none when the cell ends with it.
        let breaks = inner.len() - usize::from(inner.last().is_some_and(|l| l.trim().is_empty()));
        Some((breaks, most))
    }

    /// Why the row is not read: a stray quote, said with the lines it took.
    fn message(&self, header: Option<&[Cell]>) -> String {
        let column = match header.and_then(|h| h.get(self.column)).and_then(Cell::as_text) {
            Some(name) => format!("column {} ({name})", column_letters(self.column)),
            None => format!("column {}", column_letters(self.column)),
        };
        let first = self.open + 1;
        let taken = if first >= self.last {
            format!("line {} was", self.last)
        } else {
            format!("lines {first}–{} were", self.last)
        };
        let closed = if self.closed {
            format!("is not closed until line {}", self.last)
        } else {
            "is never closed".to_string()
        };
        format!(
            "a quote opened at line {} in {column} {closed}; {taken} read into one cell. The lines look like rows \
             of the table, so the quote is probably a stray `\"`: remove it, or double it (`\"\"`) if it is part of \
             the text",
            self.open
        )
    }
}

/// The number of columns rows of a table are expected to have: the header
/// row's, else the most common number of fields on the first lines, counted
/// without regard to quotes.
fn expected_width(rows: &[(u64, RowCells)], text: &str, delimiter: u8, mapping: &Mapping) -> usize {
    if let Some(h) = find_header(rows, mapping)
        && let (_, Ok(cells)) = &rows[h]
    {
        return cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
    }
    let mut counts: HashMap<usize, usize> = HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(30) {
        *counts
            .entry(line.bytes().filter(|&b| b == delimiter).count() + 1)
            .or_default() += 1;
    }
    counts.into_iter().max_by_key(|(f, n)| (*n, *f)).map_or(0, |(f, _)| f)
}

/// Read a CSV procurement plan. Each row below the header row is a record
/// with `line` set to the row's first line.
///
/// A quoted cell whose later lines hold as many delimiters as a row of the
/// table (the header's columns less one) is taken for a stray quote that
/// swallowed the rows after it: its row is an input error naming the lines
/// taken, never a record with the rows in one cell.
pub fn read_csv(file: &Arc<str>, bytes: &[u8], mapping: &Mapping) -> Vec<Raw> {
    let (text, encoding_note) = match decode(bytes) {
        Ok(t) => t,
        Err(e) => return vec![file_error(file, None, e)],
    };
    let delimiter = detect_delimiter(&text);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows: Vec<(u64, RowCells)> = Vec::new();
    let mut spanning: Vec<Spanning> = Vec::new();
    let mut lines = Lines::new(text.as_bytes());
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The parser's position may be the line end before the
                // row (after a CR it leaves the LF for the next read).
                let mut start = record.position().map_or(0, |p| p.byte() as usize);
                while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                    start += 1;
                }
                let line = lines.line_of(start);
                let end = (rdr.position().byte() as usize).min(text.len());
                let mut open = line;
                for (column, cell) in record.iter().enumerate() {
                    if let Some((breaks, most_delimiters)) = Spanning::of(cell, delimiter) {
                        let raw = text.as_bytes().get(start..end).unwrap_or_default();
                        let unclosed = end >= text.len() && raw.iter().filter(|&&b| b == b'"').count() % 2 == 1;
                        spanning.push(Spanning {
                            row: rows.len(),
                            column,
                            open,
                            last: open + breaks as u64,
                            closed: !unclosed,
                            most_delimiters,
                        });
                    }
                    open += cell.bytes().filter(|&b| b == b'\n').count() as u64;
                }
                rows.push((line, Ok(record.iter().map(Cell::text).collect())));
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_of(p.byte() as usize));
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "the row is not valid text".to_string(),
                    _ => format!("the row cannot be read as CSV: {e}"),
                };
                rows.push((line, Err(message)));
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    // Stray quotes: a cell whose later lines look like whole rows.
    let width = expected_width(&rows, &text, delimiter, mapping);
    let header = find_header(&rows, mapping);
    let header_cells = header.and_then(|h| rows[h].1.as_ref().ok().cloned());
    let mut stray_above = None;
    for s in spanning {
        if width < 2 || s.most_delimiters + 1 < width {
            continue;
        }
        let message = s.message(header_cells.as_deref());
        match header {
            Some(h) if s.row > h => rows[s.row].1 = Err(message),
            // Lines taken above the header row are no rows of the table.
            Some(h) if s.row < h => {}
            _ => {
                stray_above.get_or_insert(message);
            }
        }
    }
    let origin = Origin {
        file,
        stem: stem_of(file),
        sheet: None,
        is_1904: false,
    };
    let notes = encoding_note
        .map(|message| {
            vec![DataWarning {
                field: "encoding".into(),
                message,
            }]
        })
        .unwrap_or_default();
    // A stray quote in the header row, or one that hides it, leaves no
    // table to read; its lines are the likely reason.
    if let Some(stray) = stray_above {
        let why = match header {
            Some(_) => "it is in the header row".to_string(),
            None => no_header_reason(&rows, mapping),
        };
        return vec![file_error(
            file,
            None,
            format!("the table cannot be read: {stray} ({why})"),
        )];
    }
    match read_rows(rows, &origin, mapping, notes) {
        Ok(out) => out,
        Err(e) => vec![file_error(file, None, e)],
    }
}

// ------------------------------------------------------------------ XLSX

fn cell_of(value: &DataRef<'_>, percent: bool) -> Cell {
    match value {
        DataRef::Empty => Cell::Empty,
        DataRef::String(s) => Cell::text(s),
        DataRef::SharedString(s) => Cell::text(s),
        DataRef::Int(i) => Cell::Int(*i),
        DataRef::Float(f) => Cell::Number(*f, percent),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => {
            if dt.is_duration() {
                Cell::BadDate("a duration, not a date".into())
            } else if dt.as_f64() < 1.0 {
                Cell::BadDate("a time, not a date".into())
            } else {
                let (y, m, d, ..) = dt.to_ymd_hms_milli();
                match NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
                    Some(date) => Cell::Date(date),
                    None => Cell::BadDate(format!("the date cell {:04}-{:02}-{:02} (no such day)", y, m, d)),
                }
            }
        }
        DataRef::DateTimeIso(s) => match canonical::parse_date(s) {
            Some(d) => Cell::Date(d),
            None => Cell::text(s),
        },
        DataRef::DurationIso(_) => Cell::BadDate("a duration, not a date".into()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    }
}

/// The most columns read from a row: Excel's own limit.
const MAX_COLUMNS: u32 = 16_384;

/// The cells of a sheet, row by row (1-based row numbers), without
/// building Excel's full rectangle.
fn sheet_rows(wb: &mut Xlsx<std::io::Cursor<&[u8]>>, name: &str) -> Result<Vec<(u64, RowCells)>, String> {
    let mut reader = wb.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    while let Some((cell, style)) = reader.next_cell_with_style_id().map_err(|e| e.to_string())? {
        let (r, c) = cell.get_position();
        if c >= MAX_COLUMNS {
            continue;
        }
        let percent = reader
            .styles()
            .get(style)
            .and_then(|s| s.number_format.as_ref())
            .is_some_and(|f| f.format_code.contains('%'));
        let value = cell_of(cell.get_value(), percent);
        if value.is_empty() {
            continue;
        }
        let row = rows.entry(r).or_default();
        let c = c as usize;
        if row.len() <= c {
            row.resize(c + 1, Cell::Empty);
        }
        row[c] = value;
    }
    Ok(rows
        .into_iter()
        .map(|(r, cells)| (u64::from(r) + 1, Ok(cells)))
        .collect())
}

fn read_workbook(file: &Arc<str>, bytes: &[u8], mapping: &Mapping) -> Vec<Raw> {
    if bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        return vec![file_error(
            file,
            None,
            "this is an old Excel (.xls) workbook or an encrypted one; save it as an unencrypted .xlsx".into(),
        )];
    }
    if !bytes.starts_with(b"PK") {
        return vec![file_error(
            file,
            None,
            "not an XLSX workbook (an XLSX file is a zip archive)".into(),
        )];
    }
    let mut wb = match Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(wb) => wb,
        Err(e) => return vec![file_error(file, None, format!("cannot read the workbook: {e}"))],
    };
    let is_1904 = wb.has_1904_epoch();
    let sheets: Vec<String> = wb
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
        .map(|s| s.name.clone())
        .collect();
    let stem = stem_of(file);
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for name in &sheets {
        let rows = match sheet_rows(&mut wb, name) {
            Ok(r) => r,
            Err(e) => {
                out.push(file_error(
                    file,
                    Some(name.clone()),
                    format!("cannot read the sheet: {e}"),
                ));
                continue;
            }
        };
        let origin = Origin {
            file,
            stem: stem.clone(),
            sheet: Some(name),
            is_1904,
        };
        match read_rows(rows, &origin, mapping, Vec::new()) {
            Ok(raws) => out.extend(raws),
            Err(why) => skipped.push(format!("{name}: {why}")),
        }
    }
    if out.is_empty() {
        let message = if sheets.is_empty() {
            "the workbook has no visible worksheet".to_string()
        } else {
            format!("no sheet holds a table of procurements: {}", skipped.join("; "))
        };
        out.push(file_error(file, None, message));
    }
    out
}

/// Read an XLSX procurement plan: every visible worksheet whose header row
/// names procurement fields; other sheets (lists of values, notes) are
/// passed over. Each row is a record with `locator` `Sheet!row N`.
pub fn read_xlsx(file: &Arc<str>, bytes: &[u8], mapping: &Mapping) -> Vec<Raw> {
    // The workbook reader is a large library fed untrusted bytes: a panic
    // in it is an unreadable file, not a crash.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_workbook(file, bytes, mapping))) {
        Ok(out) => out,
        Err(_) => vec![file_error(file, None, "cannot read the workbook: it is damaged".into())],
    }
}

/// Read a table, XLSX or CSV by its first bytes.
pub fn read_table(file: &Arc<str>, bytes: &[u8], mapping: &Mapping) -> Vec<Raw> {
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0") {
        read_xlsx(file, bytes, mapping)
    } else {
        read_csv(file, bytes, mapping)
    }
}

// ------------------------------------------------------------------ tests

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_names_are_unambiguous_and_resolve() {
        let mut seen: HashMap<String, (&str, &str)> = HashMap::new();
        for table in [HEADERS, FALLBACK_HEADERS] {
            for (target, aliases) in table {
                assert!(Target::parse(target).is_ok(), "{target}");
                for a in aliases.split('|') {
                    if let Some((t, other)) = seen.insert(key(a), (target, a)) {
                        assert_eq!(t, *target, "{a} and {other}");
                    }
                }
            }
        }
        for (domain, code, words) in VALUES {
            assert!(domain.code(code).is_some(), "{code}");
            for w in words.split('|') {
                for (d2, c2, ws2) in VALUES {
                    if d2 == domain && c2 != code {
                        assert!(!ws2.split('|').any(|x| value_key(x) == value_key(w)), "{w}");
                    }
                }
            }
        }
    }

    #[test]
    fn headers_with_units() {
        let h = parse_header("Anslått verdi (MNOK, eks. mva)");
        assert_eq!(h.base, "anslåttverdi");
        assert_eq!(h.unit.scale, Some(million()));
        assert_eq!(h.unit.currency, Some(Currency::NOK));
        let h = parse_header("Anslått verdi eks. mva");
        assert_eq!(h.base, "anslåttverdi");
        let h = parse_header("Verdi inkl. mva");
        assert!(h.unit.incl_vat);
        let h = parse_header("Miljø (%)");
        assert!(h.unit.percent);
        assert_eq!(h.base, "miljø");
        let h = parse_header("Varighet (år)");
        assert!(h.unit.years);
    }

    #[test]
    fn f64_to_decimal_is_what_excel_shows() {
        assert_eq!(decimal_from_f64(0.1 + 0.2).map(|d| d.to_string()), Some("0.3".into()));
        assert_eq!(
            decimal_from_f64(1300000.5).map(|d| d.to_string()),
            Some("1300000.5".into())
        );
        assert_eq!(
            decimal_from_f64(1299999.9999999998).map(|d| d.to_string()),
            Some("1300000".into())
        );
        assert_eq!(decimal_from_f64(f64::NAN), None);
    }
}
