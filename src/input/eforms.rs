//! Doffin and TED eForms notices (UBL 2.3 XML) as canonical records.
//!
//! One notice file is one record. The XML is parsed with quick-xml into a
//! small element tree; elements are found by their local name, so the
//! namespace prefixes (`cbc:`, `cac:`, `efac:`, `efbc:`, `efext:`) do not
//! matter. `docs/inputs.md (eForms)` lists every mapping, what is lost, and the
//! data-quality warnings a notice can give.
//!
//! Nothing here panics on any input: a file that is not XML, or not an
//! eForms notice, is one [`Payload::Error`]; a value that cannot be read is
//! a data-quality warning and a missing field.

use crate::finding::Source;
use crate::input::{Payload, Raw};
use crate::record::{Criterion, Environment, Lot, Record};
use crate::schema::Domain;
use crate::value::{Currency, Money};
use chrono::{Months, NaiveDate};
use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use rust_decimal::Decimal;
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::Arc;

/// Read one eForms notice into canonical records: normally one record per notice.
pub fn read(file: &Arc<str>, bytes: &[u8]) -> Vec<Raw> {
    let source = |locator: Option<String>| Source {
        file: file.clone(),
        line: None,
        locator,
    };
    let parsed = decode(bytes).and_then(|text| {
        let start = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
        if !start.starts_with('<') {
            let head: String = start.chars().take(30).collect();
            return Err(format!(
                "not an eForms notice: the file is not XML (it begins with \"{head}\")"
            ));
        }
        parse(&text).map_err(|broken| match first_element(&text) {
            // Broken, and not a notice anyway (HTML, say): say the latter.
            Some(name) if !NOTICE_ROOTS.contains(&name.rsplit(':').next().unwrap_or("")) => {
                format!("not an eForms notice: the root element is <{name}>")
            }
            _ => broken,
        })
    });
    let root = match parsed {
        Ok(root) => root,
        Err(message) => {
            return vec![Raw {
                source: source(None),
                payload: Payload::Error(message),
            }];
        }
    };
    if let Err(message) = check_root(&root) {
        return vec![Raw {
            source: source(None),
            payload: Payload::Error(message),
        }];
    }
    let record = Notice::new(&root).into_record();
    let locator = record.id.clone().or_else(|| record.notice_id.clone());
    vec![Raw {
        source: source(locator),
        payload: Payload::Record(Box::new(record)),
    }]
}

// ------------------------------------------------------------------ XML

/// Elements nested deeper than this are refused (no eForms notice comes
/// close; it keeps a hostile file from exhausting the stack).
const MAX_DEPTH: usize = 200;

/// An XML element: its local name, attributes by local name, its own text
/// and its child elements.
#[derive(Debug, Default)]
struct Element {
    name: String,
    /// The name as written (`cbc:ID`), for messages.
    qname: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Every element reached by following `path` (local names) from here,
    /// through all repeated elements on the way, in document order.
    fn all<'s>(&'s self, path: &[&str]) -> Vec<&'s Element> {
        let mut current: Vec<&'s Element> = vec![self];
        for step in path {
            current = current
                .iter()
                .flat_map(|e| e.children.iter().filter(|c| c.name == *step))
                .collect();
            if current.is_empty() {
                break;
            }
        }
        current
    }

    fn first<'s>(&'s self, path: &[&str]) -> Option<&'s Element> {
        self.all(path).into_iter().next()
    }

    /// The trimmed text of the first element at `path`, if not empty.
    fn text_at<'s>(&'s self, path: &[&str]) -> Option<&'s str> {
        self.all(path).into_iter().map(Element::trimmed).find(|t| !t.is_empty())
    }

    fn trimmed(&self) -> &str {
        self.text.trim()
    }

    /// The eForms extension block (`ext:UBLExtensions/…/efext:EformsExtension`).
    fn extension(&self) -> Option<&Element> {
        self.first(&["UBLExtensions", "UBLExtension", "ExtensionContent", "EformsExtension"])
    }

    /// Direct children named `name` that carry `listName="list"`.
    fn coded<'a>(&'a self, name: &'a str, list: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.kids(name).filter(move |c| c.attr("listName") == Some(list))
    }
}

/// The text of a multilingual element: Norwegian (`NOR`, `NOB`, `NNO`) if
/// given, else the first non-empty one.
fn pick_text(elements: &[&Element]) -> Option<String> {
    let nonempty: Vec<&&Element> = elements.iter().filter(|e| !e.trimmed().is_empty()).collect();
    let norwegian = nonempty.iter().find(|e| {
        e.attr("languageID")
            .is_some_and(|l| ["NOR", "NOB", "NNO"].iter().any(|n| n.eq_ignore_ascii_case(l.trim())))
    });
    norwegian.or(nonempty.first()).map(|e| e.trimmed().to_string())
}

/// A value from the notice for a message: at most 60 characters.
fn clip(text: &str) -> String {
    clip_at(text, 60)
}

fn clip_at(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let head: String = text.chars().take(max).collect();
        format!("{}…", head.trim_end())
    }
}

/// Runs of white space as one space.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file as text: UTF-8 (with or without a byte-order mark), UTF-16 with
/// a byte-order mark, or the encoding the XML declaration names.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("not an eForms notice: the file is empty".into());
    }
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes.get(bom..).unwrap_or_default());
        if had_errors {
            return Err(format!("the file is not valid {} text", encoding.name()));
        }
        return Ok(text);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    // Not UTF-8: honour the encoding the XML declaration names.
    let mut reader = Reader::from_reader(bytes);
    let declared = match reader.read_event() {
        Ok(Event::Decl(decl)) => decl.encoding().and_then(Result::ok).map(|e| e.into_owned()),
        _ => None,
    };
    match declared {
        Some(label) => match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
            Some(encoding) => {
                let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
                if had_errors {
                    Err(format!(
                        "the file is not valid {label} text, as its XML declaration says"
                    ))
                } else {
                    Ok(Cow::Owned(text.into_owned()))
                }
            }
            None => Err(format!(
                "the XML declaration names the encoding \"{label}\", which anskaff does not know"
            )),
        },
        None => Err("the file is not UTF-8 text and its XML declaration names no encoding".into()),
    }
}

/// Text that was UTF-8, read as Windows-1252 and written as UTF-8 again
/// (`SYKEHUSINNKJÃ˜P` for `SYKEHUSINNKJØP`), as it was; `None` when the
/// text is not of that kind.
fn repair_mojibake(text: &str) -> Option<String> {
    if !text.contains(['Ã', 'Â']) {
        return None;
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(text);
    if unmappable {
        return None;
    }
    let fixed = String::from_utf8(bytes.into_owned()).ok()?;
    (fixed != text).then_some(fixed)
}

/// "line L, column C" of byte `pos` in `text`.
fn place(text: &str, pos: u64) -> String {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    let before = text.as_bytes().get(..pos).unwrap_or_default();
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map(|i| i + 1).unwrap_or(0);
    let column = String::from_utf8_lossy(before.get(line_start..).unwrap_or_default())
        .chars()
        .count()
        + 1;
    format!("line {line}, column {column}")
}

fn element(start: &BytesStart<'_>) -> Result<Element, String> {
    let qname = start.name();
    let mut el = Element {
        name: start.local_name().as_ref().to_string(),
        qname: qname.as_ref().to_string(),
        ..Element::default()
    };
    for attr in start.attributes() {
        let attr = attr.map_err(|e| format!("a broken attribute in <{}>: {e}", el.qname))?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("a broken attribute value in <{}>: {e}", el.qname))?;
        el.attrs
            .push((attr.key.local_name().as_ref().to_string(), value.into_owned()));
    }
    Ok(el)
}

/// Parse the whole document into its root element.
fn parse(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let broken = |pos: u64, what: String| format!("not well-formed XML ({}): {what}", place(text, pos));
    loop {
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => return Err(broken(reader.error_position(), e.to_string())),
        };
        let pos = reader.buffer_position();
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() && stack.is_empty() => {
                return Err(broken(
                    pos,
                    format!("a second root element <{}> after the first", start.name().as_ref()),
                ));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(broken(pos, format!("elements are nested more than {MAX_DEPTH} deep")));
                }
                stack.push(element(&start).map_err(|e| broken(pos, e))?);
            }
            Event::Empty(start) => {
                let el = element(&start).map_err(|e| broken(pos, e))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::End(end) => {
                let Some(mut el) = stack.pop() else {
                    return Err(broken(pos, format!("</{}> closes nothing", end.name().as_ref())));
                };
                if let Some(fixed) = repair_mojibake(&el.text) {
                    el.text = fixed;
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => match stack.last_mut() {
                Some(top) => top.text.push_str(&t.xml10_content()),
                None if t.xml10_content().trim().is_empty() => {}
                None => return Err(broken(pos, "text outside the root element".into())),
            },
            Event::CData(c) => match stack.last_mut() {
                Some(top) => top.text.push_str(&c.xml10_content()),
                None => return Err(broken(pos, "character data outside the root element".into())),
            },
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => match &*r {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "apos" => "'".into(),
                        "quot" => "\"".into(),
                        // An entity only a DTD could define: kept as written.
                        other => format!("&{other};"),
                    },
                    Err(e) => return Err(broken(pos, e.to_string())),
                };
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&resolved),
                    None => return Err(broken(pos, "an entity reference outside the root element".into())),
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(format!("the XML ends too early: <{}> is not closed", open.qname));
    }
    root.ok_or_else(|| "not an eForms notice: the file holds no XML element".to_string())
}

/// The name of the first element, as written, if the XML gets that far.
fn first_element(text: &str) -> Option<String> {
    let mut reader = Reader::from_str(text);
    loop {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return Some(e.name().as_ref().to_string()),
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

const NOTICE_ROOTS: [&str; 3] = ["ContractNotice", "ContractAwardNotice", "PriorInformationNotice"];

fn check_root(root: &Element) -> Result<(), String> {
    if NOTICE_ROOTS.contains(&root.name.as_str()) {
        return Ok(());
    }
    let hint = match root.name.as_str() {
        "TED_EXPORT" | "TED_ESENDERS" => " (TED's pre-eForms format, which anskaff does not read)",
        "BusinessRegistrationInformationNotice" => " (a business registration notice, not a procurement)",
        _ => "",
    };
    Err(format!(
        "not an eForms notice: the root element is <{}>{hint}; an eForms notice is a <ContractNotice>, <ContractAwardNotice> or <PriorInformationNotice>",
        root.qname
    ))
}

// ------------------------------------------------------------------ values

fn code(domain: Domain, value: &str) -> Option<u8> {
    domain.code(value)
}

/// An amount element (`currencyID` attribute) as money. `Ok(None)` for an
/// empty element; `Err` says what is wrong.
fn money_of(el: &Element) -> Result<Option<Money>, String> {
    let text = el.trimmed();
    if text.is_empty() {
        return Ok(None);
    }
    let amount = Decimal::from_str(text)
        .map_err(|_| format!("the amount \"{}\" in <{}> is not a number", clip(text), el.qname))?;
    let currency = match el.attr("currencyID") {
        Some(c) => Currency::parse(c).ok_or_else(|| format!("`{c}` is not a three-letter currency code"))?,
        None => return Err(format!("the amount {text} in <{}> has no currency", el.qname)),
    };
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(format!("the amount {text} in <{}> is negative", el.qname));
    }
    Ok(Some(Money::new(amount, currency)))
}

/// `Some(date)` from `2023-08-18`, `2023-08-18+02:00`, `2024-09-20Z`.
fn date_of(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let head = t.get(..10)?;
    let rest = t.get(10..)?;
    let zone_ok = rest.is_empty()
        || rest == "Z"
        || ((rest.starts_with('+') || rest.starts_with('-'))
            && rest.len() == 6
            && rest.as_bytes().get(3) == Some(&b':'));
    if !zone_ok {
        return None;
    }
    NaiveDate::parse_from_str(head, "%Y-%m-%d").ok()
}

/// A Norwegian organisation number (nine digits) from the forms notices use:
/// `984 661 185`, `NO943184097MVA`, `826.723.122`.
fn norwegian_org_number(text: &str) -> Option<String> {
    let mut t: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-'))
        .collect();
    t.make_ascii_uppercase();
    let t = t.strip_prefix("NO").unwrap_or(&t);
    let t = t.strip_suffix("MVA").unwrap_or(t);
    (t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.to_string())
}

fn round2(d: Decimal) -> Decimal {
    d.round_dp(2).normalize()
}

/// Whole calendar months from `start` to `end` (both days included), plus
/// the days left over as thirtieths of a month.
fn months_between(start: NaiveDate, end: NaiveDate) -> Option<Decimal> {
    let end_excl = end.succ_opt()?;
    if end_excl <= start {
        return None;
    }
    let mut months: u32 = 0;
    while let Some(next) = start.checked_add_months(Months::new(months + 1)) {
        if next > end_excl || months > 12_000 {
            break;
        }
        months += 1;
    }
    let base = start.checked_add_months(Months::new(months))?;
    let rest = (end_excl - base).num_days();
    let fraction = Decimal::from(rest).checked_div(Decimal::from(30))?;
    Some(round2(Decimal::from(months) + fraction))
}

// ------------------------------------------------------------------ the notice

/// One organisation of `efac:Organizations`.
struct Org<'a> {
    company: &'a Element,
    group_lead: bool,
}

impl Org<'_> {
    fn name(&self) -> Option<String> {
        pick_text(&self.company.all(&["PartyName", "Name"])).map(|n| one_line(&n))
    }

    fn country(&self) -> Option<&str> {
        self.company
            .text_at(&["PostalAddress", "Country", "IdentificationCode"])
    }
}

struct Notice<'a> {
    root: &'a Element,
    ext: Option<&'a Element>,
    orgs: HashMap<&'a str, Org<'a>>,
    rec: Record,
}

/// A criterion's type code and weight.
type TypeAndWeight = (Option<u8>, Option<Decimal>);

/// One lot's award criteria and climate information, as the notice gives it.
#[derive(Debug, Clone, PartialEq)]
struct LotCriteria {
    lot: String,
    criteria: Vec<Criterion>,
    environment: Environment,
    warnings: Vec<(String, String)>,
}

impl LotCriteria {
    /// The summed weight of the environment criteria; `None` when one of
    /// them has no weight.
    fn environment_weight(&self) -> Option<Decimal> {
        let env = code(Domain::CriterionType, "environment");
        self.criteria
            .iter()
            .filter(|c| c.kind == env)
            .try_fold(Decimal::ZERO, |sum, c| c.weight.and_then(|w| sum.checked_add(w)))
    }

    /// What a rule sees: types and weights in order, and the environment
    /// fields (names and warnings aside).
    fn substance(&self) -> (Vec<TypeAndWeight>, &Environment) {
        (
            self.criteria
                .iter()
                .map(|c| (c.kind, c.weight.map(|w| w.normalize())))
                .collect(),
            &self.environment,
        )
    }
}

impl<'a> Notice<'a> {
    fn new(root: &'a Element) -> Self {
        let ext = root.extension();
        let mut orgs = HashMap::new();
        if let Some(ext) = ext {
            for org in ext.all(&["Organizations", "Organization"]) {
                let group_lead = org.text_at(&["GroupLeadIndicator"]) == Some("true");
                for company in org.kids("Company") {
                    if let Some(id) = company.text_at(&["PartyIdentification", "ID"]) {
                        orgs.entry(id).or_insert(Org { company, group_lead });
                    }
                }
            }
        }
        Notice {
            root,
            ext,
            orgs,
            rec: Record::default(),
        }
    }

    fn into_record(mut self) -> Record {
        self.ids();
        self.stage();
        self.title();
        self.buyer();
        self.date();
        self.category();
        self.cpv();
        self.procedure();
        self.values_and_lots();
        self.framework();
        self.duration();
        self.criteria();
        self.rationale();
        self.results();
        self.rec
    }

    /// The procedure-level `cac:ProcurementProject`.
    fn project(&self) -> Option<&'a Element> {
        self.root.child("ProcurementProject")
    }

    /// The lots (and the parts of a prior information notice), not the
    /// groups of lots.
    fn lots(&self) -> Vec<&'a Element> {
        self.root
            .kids("ProcurementProjectLot")
            .filter(|l| l.child("ID").and_then(|id| id.attr("schemeName")) != Some("LotsGroup"))
            .collect()
    }

    fn lot_id(lot: &Element, index: usize) -> String {
        lot.text_at(&["ID"])
            .map(str::to_string)
            .unwrap_or_else(|| format!("#{}", index + 1))
    }

    // ---- id, stage, title, date

    fn ids(&mut self) {
        let id = self.root.text_at(&["ID"]).map(str::to_string);
        let version = self.root.text_at(&["VersionID"]);
        match &id {
            Some(id) => {
                self.rec.notice_id = Some(id.clone());
                self.rec.id = Some(match version {
                    Some(v) => format!("{id}-{v}"),
                    None => id.clone(),
                });
            }
            None => self.rec.warn("id", "the notice has no notice identifier (cbc:ID)"),
        }
    }

    fn stage(&mut self) {
        let type_code = self.root.text_at(&["NoticeTypeCode"]);
        let by_type = type_code.and_then(|t| match t {
            "pin-only" | "pin-buyer" | "pin-rtl" | "pin-tran" => Some("planned"),
            "pin-cfc-standard" | "pin-cfc-social" | "qu-sy" | "cn-standard" | "cn-social" | "cn-desg" | "subco" => {
                Some("notice")
            }
            "veat" | "can-standard" | "can-social" | "can-desg" | "can-tran" => Some("award"),
            "can-modif" => Some("contract"),
            _ => None,
        });
        let by_root = match self.root.name.as_str() {
            "PriorInformationNotice" => "planned",
            "ContractAwardNotice" => "award",
            _ => "notice",
        };
        if let (Some(t), None) = (type_code, by_type) {
            self.rec.warn(
                "stage",
                format!(
                    "unknown notice type \"{}\" (BT-02); the stage is taken from the root element <{}>",
                    clip(t),
                    self.root.name
                ),
            );
        }
        self.rec.stage = code(Domain::Stage, by_type.unwrap_or(by_root));
    }

    fn title(&mut self) {
        if let Some(project) = self.project() {
            self.rec.title = pick_text(&project.all(&["Name"])).map(|t| one_line(&t));
        }
    }

    fn date(&mut self) {
        match self.root.text_at(&["IssueDate"]) {
            Some(text) => match date_of(text) {
                Some(d) => self.rec.date = Some(d),
                None => self.rec.warn(
                    "date",
                    format!("the issue date (BT-05) \"{}\" is not a date YYYY-MM-DD", clip(text)),
                ),
            },
            None => self.rec.warn("date", "the notice has no issue date (BT-05)"),
        }
    }

    // ---- buyer

    fn buyer(&mut self) {
        let parties: Vec<&Element> = self.root.kids("ContractingParty").collect();
        let refs: Vec<Option<&str>> = parties
            .iter()
            .map(|p| p.text_at(&["Party", "PartyIdentification", "ID"]))
            .collect();
        let lead = refs
            .iter()
            .position(|r| r.and_then(|r| self.orgs.get(r)).is_some_and(|o| o.group_lead))
            .unwrap_or(0);
        let Some(party) = parties.get(lead) else { return };
        let org = refs.get(lead).copied().flatten().and_then(|r| self.orgs.get(r));
        if let Some(org) = org {
            self.rec.buyer.name = org.name();
            self.rec.buyer.unit = org.company.text_at(&["PostalAddress", "Department"]).map(one_line);
            let norwegian = org.country().is_none_or(|c| c == "NOR");
            if let Some(id) = org.company.text_at(&["PartyLegalEntity", "CompanyID"]) {
                self.rec.buyer.id = self.org_number("buyer.id", id, norwegian);
            }
        } else if let Some(Some(r)) = refs.get(lead) {
            self.rec.warn(
                "buyer",
                format!("the buyer refers to the organisation {r}, which the notice does not list"),
            );
        }
        self.rec.buyer.kind = self.buyer_kind(party);
        // Several buyers (a joint procurement), unless they are one
        // organisation named twice.
        let mut buyers: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for r in &refs {
            let org = r.and_then(|r| self.orgs.get(r));
            let name = org.and_then(Org::name).unwrap_or_else(|| "?".into());
            let key = org
                .and_then(|o| o.company.text_at(&["PartyLegalEntity", "CompanyID"]))
                .map(|id| norwegian_org_number(id).unwrap_or_else(|| one_line(id)))
                .unwrap_or_else(|| name.to_lowercase());
            if seen.insert(key) {
                buyers.push(name);
            }
        }
        if buyers.len() > 1 {
            let names = buyers;
            let chosen = self.rec.buyer.name.clone().unwrap_or_else(|| "?".into());
            self.rec.warn(
                "buyer",
                format!(
                    "joint procurement: the notice names {} buyers ({}); the record's buyer is {chosen}{}",
                    names.len(),
                    shorten_list(&names, 5),
                    if lead == 0 { ", the first" } else { ", the group leader" }
                ),
            );
        }
    }

    /// A Norwegian organisation number as nine digits; another country's
    /// id as written; a text without digits is no id.
    fn org_number(&mut self, field: &str, text: &str, norwegian: bool) -> Option<String> {
        if let Some(digits) = norwegian_org_number(text) {
            return Some(digits);
        }
        if !text.chars().any(|c| c.is_ascii_digit()) {
            self.rec.warn(
                field,
                format!("the organisation number \"{}\" holds no digits", clip(text)),
            );
            return None;
        }
        if norwegian {
            self.rec.warn(
                field,
                format!(
                    "\"{}\" is not a Norwegian organisation number (nine digits); kept as written",
                    clip(text)
                ),
            );
        }
        Some(one_line(text))
    }

    /// BT-11 buyer legal type, else BT-740 buyer contracting type.
    fn buyer_kind(&mut self, party: &Element) -> Option<u8> {
        let types = party.all(&["ContractingPartyType", "PartyTypeCode"]);
        let legal = types
            .iter()
            .find(|t| t.attr("listName") == Some("buyer-legal-type"))
            .map(|t| t.trimmed())
            .filter(|t| !t.is_empty());
        let contracting = types
            .iter()
            .find(|t| t.attr("listName") == Some("buyer-contracting-type"))
            .map(|t| t.trimmed());
        let Some(legal) = legal else {
            return (contracting == Some("cont-ent"))
                .then(|| code(Domain::BuyerKind, "utility"))
                .flatten();
        };
        let name = self.rec.buyer.name.clone().unwrap_or_default();
        let kind = match legal {
            "cga" | "body-pl-cga" | "org-sub-cga" => "state",
            "ra" | "org-sub-ra" => "county",
            "la" | "org-sub-la" => "municipal",
            "body-pl" | "body-pl-la" | "body-pl-ra" => "public_body",
            "pub-undert" | "pub-undert-cga" | "pub-undert-la" | "pub-undert-ra" | "spec-rights-entity" => "utility",
            "rl-aut" => match local_kind_from_name(&name) {
                Some(k) => k,
                None => {
                    self.rec.warn(
                        "buyer.kind",
                        format!("the buyer legal type (BT-11) is `rl-aut` (regional or local authority) and the name \"{name}\" does not say which"),
                    );
                    return None;
                }
            },
            "org-sub" | "grp-p-aut" | "def-cont" | "int-org" | "eu-int-org" | "eu-ins-bod-ag" => {
                self.rec.warn(
                    "buyer.kind",
                    format!("the buyer legal type (BT-11) `{legal}` has no counterpart among state, county, municipal, public_body, utility"),
                );
                return None;
            }
            other => {
                self.rec.warn(
                    "buyer.kind",
                    format!("unknown buyer legal type (BT-11) \"{}\"", clip(other)),
                );
                return None;
            }
        };
        // `ra` and `la` are often chosen the wrong way round (a municipality
        // as `ra`); the name of a Norwegian county or municipality decides.
        if matches!(legal, "ra" | "la")
            && let Some(named) = local_kind_from_name(&name)
            && named != kind
        {
            self.rec.warn(
                "buyer.kind",
                format!(
                    "the buyer legal type (BT-11) `{legal}` means a {} authority, but the buyer is \"{name}\"; read as {named}",
                    if legal == "ra" { "regional (county)" } else { "local (municipal)" }
                ),
            );
            return code(Domain::BuyerKind, named);
        }
        code(Domain::BuyerKind, kind)
    }

    // ---- category, CPV, procedure

    fn category(&mut self) {
        let of = |pp: &Element| {
            pp.kids("ProcurementTypeCode")
                .find(|c| c.attr("listName").is_none_or(|l| l == "contract-nature"))
                .map(|c| c.trimmed().to_string())
                .filter(|t| !t.is_empty())
        };
        let mut nature = self.project().and_then(of);
        if nature.is_none() {
            let lot_natures: Vec<String> = self
                .lots()
                .iter()
                .filter_map(|l| l.child("ProcurementProject").and_then(of))
                .collect();
            if let Some(first) = lot_natures.first()
                && lot_natures.iter().all(|n| n == first)
            {
                nature = Some(first.clone());
            }
        }
        let Some(nature) = nature else { return };
        match nature.as_str() {
            "supplies" => self.rec.category = code(Domain::Category, "goods"),
            "services" => self.rec.category = code(Domain::Category, "services"),
            "works" => self.rec.category = code(Domain::Category, "works"),
            other => self.rec.warn(
                "category",
                format!("unknown contract nature (BT-23) \"{}\"", clip(other)),
            ),
        }
    }

    fn cpv(&mut self) {
        let mut projects: Vec<&Element> = self.project().into_iter().collect();
        projects.extend(self.lots().iter().filter_map(|l| l.child("ProcurementProject")));
        let mut codes: Vec<String> = Vec::new();
        let mut bad: Vec<String> = Vec::new();
        let (mut seen, mut seen_bad): (HashSet<String>, HashSet<String>) = (HashSet::new(), HashSet::new());
        for pp in projects {
            let main = pp.all(&["MainCommodityClassification", "ItemClassificationCode"]);
            let additional = pp.all(&["AdditionalCommodityClassification", "ItemClassificationCode"]);
            for c in main.into_iter().chain(additional) {
                if c.attr("listName").is_some_and(|l| l != "cpv") {
                    continue;
                }
                let text = c.trimmed();
                if text.is_empty() {
                    continue;
                }
                // A check digit (`34136000-9`) is dropped.
                let digits = text.split('-').next().unwrap_or(text).trim();
                if digits.len() == 8 && digits.bytes().all(|b| b.is_ascii_digit()) {
                    if seen.insert(digits.to_string()) {
                        codes.push(digits.to_string());
                    }
                } else if seen_bad.insert(text.to_string()) {
                    bad.push(text.to_string());
                }
            }
        }
        for b in bad {
            self.rec.warn(
                "cpv",
                format!("\"{}\" is not a CPV code (eight digits); left out", clip(&b)),
            );
        }
        if !codes.is_empty() {
            self.rec.cpv = Some(codes);
        }
    }

    fn procedure(&mut self) {
        let Some(text) = self.root.text_at(&["TenderingProcess", "ProcedureCode"]) else {
            return;
        };
        let canonical = match text {
            "open" => "open",
            "restricted" => "restricted",
            "neg-w-call" => "negotiated",
            "neg-wo-call" => "negotiated_without_notice",
            "comp-dial" => "competitive_dialogue",
            "innovation" => "innovation_partnership",
            "oth-single" | "oth-mult" | "comp-tend" => {
                let what = match text {
                    "oth-single" => "another single-stage procedure",
                    "oth-mult" => "another multi-stage procedure",
                    _ => "competitive tendering (public passenger transport)",
                };
                self.rec.warn(
                    "procedure",
                    format!("the procedure type (BT-105) `{text}` ({what}) has no canonical counterpart"),
                );
                return;
            }
            other => {
                self.rec.warn(
                    "procedure",
                    format!("unknown procedure type (BT-105) \"{}\"", clip(other)),
                );
                return;
            }
        };
        self.rec.procedure = code(Domain::Procedure, canonical);
    }

    // ---- values and lots

    /// BT-27 (estimated value) of a procurement project, else BT-271
    /// (framework maximum value); an amount of zero is "not given".
    fn estimated(&mut self, pp: &Element, field: &str) -> Option<Money> {
        let total = pp.child("RequestedTenderTotal")?;
        let candidates = [
            total.child("EstimatedOverallContractAmount"),
            total.extension().and_then(|e| e.child("FrameworkMaximumAmount")),
        ];
        for el in candidates.into_iter().flatten() {
            match money_of(el) {
                Ok(Some(m)) if m.amount.is_zero() => {
                    self.rec.warn(
                        field,
                        format!(
                            "the notice gives an estimated value of 0 {}, read as not given",
                            m.currency
                        ),
                    );
                    return None;
                }
                Ok(Some(m)) => return Some(m),
                Ok(None) => {}
                Err(e) => {
                    self.rec.warn(field, e);
                    return None;
                }
            }
        }
        None
    }

    fn values_and_lots(&mut self) {
        let total = self.project().and_then(|pp| self.estimated(pp, "estimated_value"));
        let lots_el = self.lots();
        let mut lots = Vec::with_capacity(lots_el.len());
        for (i, lot) in lots_el.iter().enumerate() {
            let pp = lot.child("ProcurementProject");
            let field = format!("lots[{i}].estimated_value");
            lots.push(Lot {
                id: Some(Self::lot_id(lot, i)),
                title: pp.and_then(|pp| pick_text(&pp.all(&["Name"]))).map(|t| one_line(&t)),
                estimated_value: pp.and_then(|pp| self.estimated(pp, &field)),
            });
        }
        // The sum of the lot values, when every lot has one in one currency.
        let sum = lots.iter().try_fold(None::<Money>, |acc, l| {
            let v = l.estimated_value?;
            match acc {
                None => Some(Some(v)),
                Some(a) if a.currency == v.currency => {
                    a.amount.checked_add(v.amount).map(|s| Some(Money::new(s, a.currency)))
                }
                Some(_) => None,
            }
        });
        let sum = sum.flatten();
        match (total, sum) {
            (Some(t), Some(s)) if t.currency == s.currency && t.amount != s.amount => self.rec.warn(
                "estimated_value",
                format!(
                    "the lot values add up to {} {}, but the notice's estimated total (BT-27) is {} {}",
                    s.amount.normalize(),
                    s.currency,
                    t.amount.normalize(),
                    t.currency
                ),
            ),
            _ => {}
        }
        self.rec.estimated_value = total.or(sum);
        if !lots.is_empty() {
            self.rec.lots = Some(lots);
        }
    }

    fn framework(&mut self) {
        let lots = self.lots();
        let codes: Vec<Option<&str>> = lots
            .iter()
            .map(|l| {
                l.child("TenderingProcess")
                    .and_then(|tp| {
                        tp.all(&["ContractingSystem", "ContractingSystemTypeCode"])
                            .into_iter()
                            .find(|c| c.attr("listName") == Some("framework-agreement"))
                    })
                    .map(Element::trimmed)
            })
            .collect();
        let mut any_framework = false;
        let mut all_none = !codes.is_empty();
        for c in &codes {
            match c {
                Some("fa-wo-rc" | "fa-w-rc" | "fa-mix") => any_framework = true,
                Some("none") => {}
                Some(other) => {
                    self.rec.warn(
                        "framework",
                        format!("unknown framework agreement code (BT-765) \"{}\"", clip(other)),
                    );
                    all_none = false;
                }
                None => all_none = false,
            }
        }
        if any_framework {
            self.rec.framework = Some(true);
        } else if all_none {
            self.rec.framework = Some(false);
        }
    }

    fn duration(&mut self) {
        let from_project = self.project().and_then(|pp| self.duration_of(pp));
        if from_project.is_some() {
            self.rec.duration_months = from_project;
            return;
        }
        let lots: Vec<&Element> = self
            .lots()
            .iter()
            .filter_map(|l| l.child("ProcurementProject"))
            .collect();
        let durations: Vec<Decimal> = lots.iter().filter_map(|pp| self.duration_of(pp)).collect();
        self.rec.duration_months = durations.into_iter().max();
    }

    /// BT-36 (duration and unit) or BT-536/BT-537 (start and end dates) in months.
    fn duration_of(&mut self, pp: &Element) -> Option<Decimal> {
        let period = pp.child("PlannedPeriod")?;
        if let Some(measure) = period.child("DurationMeasure") {
            let text = measure.trimmed();
            let Ok(n) = Decimal::from_str(text) else {
                self.rec.warn(
                    "duration_months",
                    format!("the duration (BT-36) \"{}\" is not a number", clip(text)),
                );
                return None;
            };
            let unit = measure.attr("unitCode").unwrap_or("").trim();
            let months = match unit {
                "MONTH" => Some(n),
                "YEAR" => n.checked_mul(Decimal::from(12)),
                "DAY" => n
                    .checked_mul(Decimal::from(12))
                    .and_then(|x| x.checked_div(Decimal::from(365))),
                "WEEK" => n
                    .checked_mul(Decimal::from(84))
                    .and_then(|x| x.checked_div(Decimal::from(365))),
                other => {
                    self.rec.warn(
                        "duration_months",
                        format!("unknown duration unit (BT-36) \"{}\"", clip(other)),
                    );
                    return None;
                }
            };
            return months.map(round2);
        }
        let start = period.text_at(&["StartDate"]).and_then(date_of);
        let end = period.text_at(&["EndDate"]).and_then(date_of);
        match (start, end) {
            (Some(s), Some(e)) => {
                let m = months_between(s, e);
                if m.is_none() {
                    self.rec.warn(
                        "duration_months",
                        format!("the contract period ends ({e}) before it starts ({s})"),
                    );
                }
                m
            }
            _ => None,
        }
    }

    // ---- award criteria

    fn criteria(&mut self) {
        let lots = self.lots();
        let per_lot: Vec<(String, Option<LotCriteria>)> = lots
            .iter()
            .enumerate()
            .map(|(i, lot)| {
                let id = Self::lot_id(lot, i);
                let c = lot_criteria(lot, &id);
                (id, c)
            })
            .collect();
        let given: Vec<&LotCriteria> = per_lot.iter().filter_map(|(_, c)| c.as_ref()).collect();
        let Some(first) = given.first() else { return };
        let without: Vec<&str> = per_lot
            .iter()
            .filter(|(_, c)| c.is_none())
            .map(|(id, _)| id.as_str())
            .collect();
        if !without.is_empty() {
            self.rec.warn(
                "award_criteria",
                format!(
                    "lots {} give award criteria, but {} {} none; the record's criteria are left missing",
                    shorten_list(&given.iter().map(|c| c.lot.clone()).collect::<Vec<_>>(), 5),
                    shorten_list(&without.iter().map(|s| s.to_string()).collect::<Vec<_>>(), 5),
                    if without.len() == 1 { "gives" } else { "give" }
                ),
            );
            return;
        }
        let chosen: &LotCriteria = if given.iter().all(|c| c.substance() == first.substance()) {
            first
        } else {
            // The binding lot for a rule every lot must meet: an unknown
            // environment weight first, else the lowest weight; on a tie,
            // one without specification requirements or an exemption.
            let key = |c: &LotCriteria| {
                let w = c.environment_weight();
                let alternative = c.environment.spec_requirements == Some(true) || c.environment.exemption.is_some();
                (w.is_some(), w.unwrap_or(Decimal::ZERO), alternative)
            };
            let Some(lowest) = given.iter().copied().min_by(|a, b| key(a).cmp(&key(b))) else {
                return;
            };
            let weight = match lowest.environment_weight() {
                Some(w) => format!("{} %", w.normalize()),
                None => "not known".into(),
            };
            self.rec.warn(
                "award_criteria",
                format!(
                    "the lots have different award criteria; the record has those of lot {}, the lot with the lowest environment weight ({weight})",
                    lowest.lot
                ),
            );
            lowest
        };
        for (field, message) in &chosen.warnings {
            self.rec.warn(field.clone(), message.clone());
        }
        self.rec.award_criteria = Some(chosen.criteria.clone());
        self.rec.environment = chosen.environment.clone();
    }

    // ---- rationale

    fn rationale(&mut self) {
        let Some(tp) = self.root.child("TenderingProcess") else {
            return;
        };
        let procedure = tp.text_at(&["ProcedureCode"]);
        let is_direct = procedure == Some("neg-wo-call") || self.root.text_at(&["NoticeTypeCode"]) == Some("veat");
        let mut parts: Vec<String> = Vec::new();
        for pj in tp.kids("ProcessJustification") {
            let code_el = pj.kids("ProcessReasonCode").next();
            let list = code_el.and_then(|c| c.attr("listName"));
            let relevant = match list {
                Some("direct-award-justification") => true,
                None => code_el.is_none() && is_direct,
                Some(_) => false,
            };
            if !relevant {
                continue;
            }
            let code_text = code_el.map(Element::trimmed).filter(|t| !t.is_empty());
            let reason = pick_text(&pj.kids("ProcessReason").collect::<Vec<_>>());
            let part = match (code_text, reason) {
                (Some(c), Some(r)) => format!("{c}: {r}"),
                (Some(c), None) => c.to_string(),
                (None, Some(r)) => r,
                (None, None) => continue,
            };
            parts.push(part);
        }
        if !parts.is_empty() {
            self.rec.rationale = Some(parts.join("\n"));
        }
    }

    // ---- results: winners and awarded value

    fn results(&mut self) {
        let Some(result) = self.ext.and_then(|e| e.child("NoticeResult")) else {
            return;
        };
        let tenders: HashMap<&str, &Element> = result
            .kids("LotTender")
            .filter_map(|t| t.text_at(&["ID"]).map(|id| (id, t)))
            .collect();
        let parties: HashMap<&str, &Element> = result
            .kids("TenderingParty")
            .filter_map(|p| p.text_at(&["ID"]).map(|id| (id, p)))
            .collect();
        // Winning tenders: those a concluded contract refers to, else the
        // single tender of each lot result with a chosen winner.
        let mut winning: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for sc in result.kids("SettledContract") {
            for t in sc.kids("LotTender").filter_map(|t| t.text_at(&["ID"])) {
                if seen.insert(t) {
                    winning.push(t);
                }
            }
        }
        if winning.is_empty() {
            for lr in result.kids("LotResult") {
                let chosen = lr
                    .coded("TenderResultCode", "winner-selection-status")
                    .any(|c| c.trimmed() == "selec-w");
                let refs: Vec<&str> = lr.kids("LotTender").filter_map(|t| t.text_at(&["ID"])).collect();
                if let ([t], true) = (refs.as_slice(), chosen)
                    && seen.insert(t)
                {
                    winning.push(t);
                }
            }
        }
        self.supplier(&winning, &tenders, &parties);
        self.awarded_value(result, &winning, &tenders);
    }

    fn supplier(&mut self, winning: &[&str], tenders: &HashMap<&str, &Element>, parties: &HashMap<&str, &Element>) {
        // The winning organisations; a group of tenderers counts as its leader.
        let mut orgs: Vec<&str> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let mut unresolved = false;
        for t in winning {
            let party = tenders
                .get(t)
                .and_then(|t| t.text_at(&["TenderingParty", "ID"]))
                .and_then(|p| parties.get(p));
            let Some(party) = party else {
                unresolved = true;
                continue;
            };
            let tenderers: Vec<&Element> = party.kids("Tenderer").collect();
            let leaders: Vec<&Element> = tenderers
                .iter()
                .copied()
                .filter(|t| t.text_at(&["GroupLeadIndicator"]) == Some("true"))
                .collect();
            let members = if leaders.len() == 1 { leaders } else { tenderers };
            for m in members {
                match m.text_at(&["ID"]) {
                    Some(id) => {
                        if seen.insert(id) {
                            orgs.push(id);
                        }
                    }
                    None => unresolved = true,
                }
            }
        }
        match orgs.as_slice() {
            [] if unresolved => self.rec.warn(
                "supplier",
                "the winning tender's tenderer cannot be found in the notice",
            ),
            [] => {}
            [one] => match self.orgs.get(one) {
                Some(org) => {
                    self.rec.supplier.name = org.name();
                    let norwegian = org.country().is_none_or(|c| c == "NOR");
                    if let Some(id) = org.company.text_at(&["PartyLegalEntity", "CompanyID"]) {
                        self.rec.supplier.id = self.org_number("supplier.id", id, norwegian);
                    }
                    if self.rec.supplier.id.is_some() && self.rec.supplier.id == self.rec.buyer.id {
                        self.rec.warn(
                            "supplier.id",
                            "the winner has the buyer's own organisation number; the notice probably names the buyer in place of the supplier",
                        );
                    }
                }
                None => self.rec.warn(
                    "supplier",
                    format!("the winner is the organisation {one}, which the notice does not list"),
                ),
            },
            many => {
                let names: Vec<String> = many
                    .iter()
                    .map(|o| self.orgs.get(o).and_then(Org::name).unwrap_or_else(|| o.to_string()))
                    .collect();
                self.rec.warn(
                    "supplier",
                    format!(
                        "{} winners ({}); a record has one supplier, so it is left missing",
                        many.len(),
                        shorten_list(&names, 5)
                    ),
                );
            }
        }
    }

    /// BT-161 notice value, else BT-118 framework maximum value, else the
    /// sum of the winning tenders' values (BT-720).
    fn awarded_value(&mut self, result: &Element, winning: &[&str], tenders: &HashMap<&str, &Element>) {
        for name in ["TotalAmount", "OverallMaximumFrameworkContractsAmount"] {
            let Some(el) = result.child(name) else { continue };
            match money_of(el) {
                Ok(Some(m)) if m.amount.is_zero() => {
                    self.rec.warn(
                        "awarded_value",
                        format!("the notice gives a value of 0 {}, read as not given", m.currency),
                    );
                }
                Ok(Some(m)) => {
                    self.rec.awarded_value = Some(m);
                    return;
                }
                Ok(None) => {}
                Err(e) => self.rec.warn("awarded_value", e),
            }
        }
        if winning.is_empty() {
            return;
        }
        let mut sum: Option<Money> = None;
        for t in winning {
            let value = tenders
                .get(t)
                .and_then(|t| t.first(&["LegalMonetaryTotal", "PayableAmount"]))
                .map(money_of);
            let v = match value {
                Some(Ok(Some(v))) => v,
                Some(Err(e)) => {
                    self.rec.warn("awarded_value", e);
                    return;
                }
                _ => return,
            };
            sum = match sum {
                None => Some(v),
                Some(s) if s.currency == v.currency => {
                    s.amount.checked_add(v.amount).map(|a| Money::new(a, s.currency))
                }
                Some(s) => {
                    self.rec.warn(
                        "awarded_value",
                        format!(
                            "the winning tenders are in different currencies ({} and {})",
                            s.currency, v.currency
                        ),
                    );
                    return;
                }
            };
        }
        self.rec.awarded_value = sum.filter(|s| !s.amount.is_zero());
    }
}

/// `a, b, c and 4 more`
fn shorten_list(items: &[String], max: usize) -> String {
    if items.len() <= max {
        items.join(", ")
    } else {
        format!("{} and {} more", items[..max].join(", "), items.len() - max)
    }
}

/// `county` or `municipal` when the name is that of a Norwegian county
/// (`… fylkeskommune`) or municipality (`… kommune`).
fn local_kind_from_name(name: &str) -> Option<&'static str> {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    if words.iter().any(|w| w.ends_with("fylkeskommune")) {
        Some("county")
    } else if words.contains(&"kommune") {
        Some("municipal")
    } else {
        None
    }
}

/// The unit a weight is given in (BT-5421).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WeightUnit {
    Percent,
    Points,
    Decimal,
    Rank,
    /// A code anskaff does not know (already warned about).
    Unknown,
}

/// How the notice writes one criterion's weight.
#[derive(Debug, Clone, Copy)]
struct Weight {
    unit: WeightUnit,
    /// The middle of a range rather than an exact figure.
    mid: bool,
    value: Option<Decimal>,
}

/// A criterion name: BT-734 name, else BT-540 description (shortened).
fn criterion_name(sub: &Element) -> Option<String> {
    if let Some(name) = pick_text(&sub.kids("Name").collect::<Vec<_>>()) {
        return Some(one_line(&name));
    }
    let description = one_line(&pick_text(&sub.kids("Description").collect::<Vec<_>>())?);
    Some(clip_at(&description, 100))
}

/// The award criteria of one lot (BT-539, BT-734, BT-540, BT-5421, BT-541),
/// or `None` when the lot gives no criterion type at all.
fn lot_criteria(lot: &Element, lot_id: &str) -> Option<LotCriteria> {
    let subs = lot.all(&[
        "TenderingTerms",
        "AwardingTerms",
        "AwardingCriterion",
        "SubordinateAwardingCriterion",
    ]);
    let overall = lot
        .all(&["TenderingTerms", "AwardingTerms", "AwardingCriterion", "Description"])
        .first()
        .map(|d| one_line(d.trimmed()))
        .filter(|d| !d.is_empty());
    let mut criteria: Vec<Criterion> = Vec::new();
    let mut weights: Vec<Option<Weight>> = Vec::new();
    let mut environment = Environment::default();
    let mut warnings: Vec<(String, String)> = Vec::new();
    let mut typed = false;
    let mut env_code = false;
    for sub in subs {
        let type_code = sub.text_at(&["AwardingCriterionTypeCode"]);
        let description = pick_text(&sub.kids("Description").collect::<Vec<_>>());
        let weight = sub.extension().and_then(|e| {
            e.kids("AwardCriterionParameter")
                .find(|p| p.coded("ParameterCode", "number-weight").next().is_some())
                .map(|p| {
                    (
                        p.text_at(&["ParameterCode"]).unwrap_or(""),
                        p.text_at(&["ParameterNumeric"]),
                    )
                })
        });
        let weight = match weight {
            None => None,
            Some((unit_code, number)) => {
                let (unit, mid) = match unit_code {
                    "per-exa" => (WeightUnit::Percent, false),
                    "per-mid" => (WeightUnit::Percent, true),
                    "poi-exa" => (WeightUnit::Points, false),
                    "poi-mid" => (WeightUnit::Points, true),
                    "dec-exa" => (WeightUnit::Decimal, false),
                    "dec-mid" => (WeightUnit::Decimal, true),
                    "ord-imp" => (WeightUnit::Rank, false),
                    other => {
                        warnings.push((
                            "award_criteria".into(),
                            format!(
                                "lot {lot_id}: unknown kind of weight (BT-5421) \"{}\"; the weight is left missing",
                                clip(other)
                            ),
                        ));
                        (WeightUnit::Unknown, false)
                    }
                };
                let value = match number {
                    Some(n) => match Decimal::from_str(n) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            warnings.push((
                                "award_criteria".into(),
                                format!("lot {lot_id}: the weight (BT-541) \"{}\" is not a number", clip(n)),
                            ));
                            None
                        }
                    },
                    None => None,
                };
                Some(Weight { unit, mid, value })
            }
        };
        let kind = match type_code {
            Some("price") => code(Domain::CriterionType, "price"),
            Some("cost") => code(Domain::CriterionType, "cost"),
            Some("quality") => code(Domain::CriterionType, "quality"),
            Some("quality-nor-env-criteria") => code(Domain::CriterionType, "environment"),
            Some("quality-nor-env-spec") => {
                env_code = true;
                environment.spec_requirements = Some(true);
                environment.justification = merge(environment.justification.take(), description.clone());
                // Only a weighted entry is also a criterion (of quality).
                if weight.and_then(|w| w.value).is_none_or(|v| v.is_zero()) {
                    continue;
                }
                code(Domain::CriterionType, "quality")
            }
            Some(c) if c == "quality-nor-env-none" || c.starts_with("quality-nor-env-exempt-") => {
                env_code = true;
                environment.exemption = Some(c.to_string());
                environment.justification = merge(environment.justification.take(), description.clone());
                if weight.and_then(|w| w.value).is_none_or(|v| v.is_zero()) {
                    continue;
                }
                code(Domain::CriterionType, "quality")
            }
            Some(other) => {
                warnings.push((
                    "award_criteria".into(),
                    format!(
                        "lot {lot_id}: unknown award criterion type (BT-539) \"{}\"",
                        clip(other)
                    ),
                ));
                None
            }
            None => None,
        };
        if type_code.is_some() {
            typed = true;
        }
        criteria.push(Criterion {
            name: criterion_name(sub),
            kind,
            weight: None,
        });
        weights.push(weight);
    }
    if !typed && !env_code {
        return None;
    }
    apply_weights(&mut criteria, &weights, lot_id, overall.as_deref(), &mut warnings);
    // Criteria are given but no climate code: the notice does not say that
    // requirements in the specification replace weighted criteria.
    if environment.spec_requirements.is_none() {
        environment.spec_requirements = Some(false);
    }
    Some(LotCriteria {
        lot: lot_id.to_string(),
        criteria,
        environment,
        warnings,
    })
}

fn merge(a: Option<String>, b: Option<String>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) if a != b => Some(format!("{a}\n{b}")),
        (Some(a), _) => Some(a),
        (None, b) => b,
    }
}

/// Weights in per cent: percentages as given; points or decimals as a
/// share of the lot's total; ranks give no weight.
fn apply_weights(
    criteria: &mut [Criterion],
    weights: &[Option<Weight>],
    lot_id: &str,
    overall: Option<&str>,
    warnings: &mut Vec<(String, String)>,
) {
    let given: Vec<Weight> = weights.iter().flatten().copied().collect();
    if given.is_empty() {
        return;
    }
    if given.iter().any(|w| w.unit == WeightUnit::Unknown) {
        return;
    }
    let says = overall
        .map(|o| format!("; the notice says: \"{}\"", clip_at(o, 200)))
        .unwrap_or_default();
    if given.iter().any(|w| w.unit == WeightUnit::Rank) {
        warnings.push((
            "award_criteria".into(),
            format!("lot {lot_id}: the criteria are ranked in order of importance (BT-5421 `ord-imp`), not weighted; the weights are left missing{says}"),
        ));
        return;
    }
    if given.iter().any(|w| w.mid) {
        warnings.push((
            "award_criteria".into(),
            format!("lot {lot_id}: the weights are the middle of a range (BT-5421 `…-mid`), not exact figures"),
        ));
    }
    let all_percent = weights.iter().all(|w| w.is_none_or(|w| w.unit == WeightUnit::Percent));
    if all_percent {
        for (c, w) in criteria.iter_mut().zip(weights) {
            c.weight = w.and_then(|w| w.value);
        }
        return;
    }
    // Points or decimals: a share of the total, if every criterion has one
    // in the same unit.
    let unit = given[0].unit;
    let complete: Option<Vec<Decimal>> = weights
        .iter()
        .map(|w| w.filter(|w| w.unit == unit).and_then(|w| w.value))
        .collect();
    let total = complete
        .as_ref()
        .and_then(|vs| vs.iter().try_fold(Decimal::ZERO, |s, v| s.checked_add(*v)));
    let (Some(values), Some(total)) = (complete, total) else {
        warnings.push((
            "award_criteria".into(),
            format!("lot {lot_id}: the weights are given in different units, or not for every criterion; they are left missing"),
        ));
        return;
    };
    if total.is_zero() {
        return;
    }
    let hundred = Decimal::from(100);
    for (c, v) in criteria.iter_mut().zip(values) {
        c.weight = v.checked_mul(hundred).and_then(|x| x.checked_div(total)).map(round2);
    }
    let unit_name = if unit == WeightUnit::Points {
        "points"
    } else {
        "decimal weights"
    };
    warnings.push((
        "award_criteria".into(),
        format!(
            "lot {lot_id}: the weights are given as {unit_name} (total {}); converted to per cent of the total",
            total.normalize()
        ),
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn organisation_numbers() {
        assert_eq!(norwegian_org_number("984 661 185").as_deref(), Some("984661185"));
        assert_eq!(norwegian_org_number("NO943184097MVA").as_deref(), Some("943184097"));
        assert_eq!(norwegian_org_number(" 826 723 122").as_deref(), Some("826723122"));
        assert_eq!(norwegian_org_number("NO 914 634 946 MVA").as_deref(), Some("914634946"));
        assert_eq!(norwegian_org_number("64983472"), None);
        assert_eq!(norwegian_org_number("Elvia AS"), None);
    }

    #[test]
    fn dates_with_zones() {
        let d = NaiveDate::from_ymd_opt(2023, 8, 18);
        assert_eq!(date_of("2023-08-18+02:00"), d);
        assert_eq!(date_of("2023-08-18Z"), d);
        assert_eq!(date_of("2023-08-18"), d);
        assert_eq!(date_of("${ISSUEDATE}"), None);
        assert_eq!(date_of("2023-08-18T10:00"), None);
        assert_eq!(date_of("2023-02-30"), None);
    }

    #[test]
    fn contract_periods_in_months() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(months_between(d(2022, 10, 1), d(2026, 9, 30)), Some(Decimal::from(48)));
        assert_eq!(months_between(d(2024, 1, 8), d(2026, 1, 7)), Some(Decimal::from(24)));
        assert_eq!(
            months_between(d(2023, 5, 2), d(2023, 6, 5)),
            Decimal::from_str("1.13").ok()
        );
        // A month from 31 January ends with February.
        assert_eq!(months_between(d(2024, 1, 31), d(2024, 2, 28)), Some(Decimal::ONE));
        assert_eq!(months_between(d(2024, 3, 1), d(2024, 2, 1)), None);
    }

    #[test]
    fn names_of_counties_and_municipalities() {
        assert_eq!(local_kind_from_name("Moss kommune"), Some("municipal"));
        assert_eq!(local_kind_from_name("Larvik kommune 918082956"), Some("municipal"));
        assert_eq!(local_kind_from_name("Vestland fylkeskommune"), Some("county"));
        assert_eq!(local_kind_from_name("Kvinesdal Kommunebygg"), None);
        assert_eq!(local_kind_from_name("OFA - Konkurranseportal"), None);
    }

    #[test]
    fn entities_and_cdata() {
        let root = parse("<a x='1 &amp; 2'>A &amp; B &#x41;<![CDATA[<c>]]></a>").unwrap();
        assert_eq!(root.text, "A & B A<c>");
        assert_eq!(root.attr("x"), Some("1 & 2"));
    }

    #[test]
    fn broken_documents() {
        assert!(parse("<a><b></a>").unwrap_err().contains("not well-formed"));
        assert_eq!(
            parse("<a><b>").unwrap_err(),
            "the XML ends too early: <b> is not closed"
        );
        assert!(parse("<a/><b/>").unwrap_err().contains("second root"));
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().contains("nested"));
    }
}
