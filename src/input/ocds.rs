//! Open Contracting Data Standard (OCDS 1.0/1.1) input: release packages,
//! record packages, single releases, compiled and versioned releases, JSON
//! Lines of any of these, and several JSON documents back to back.
//!
//! Every contracting process (`ocid`) in a file becomes one canonical
//! record. The releases of a process are merged in date order (a simplified
//! OCDS merge, see [`merge`]), or the `compiledRelease` of a record is used.
//! Conversion problems are data-quality warnings on the record; only a
//! document that cannot be read at all is an input error.
//!
//! `docs/inputs.md (OCDS)` documents the mapping field by field, and what is
//! lost or simplified.

use crate::finding::Source;
use crate::input::canonical::{parse_date, parse_decimal};
use crate::input::{Payload, Raw, json_error};
use crate::record::{Buyer, Criterion, Lot, Party, Record};
use crate::schema::Domain;
use crate::value::{Currency, Money};
use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

// ------------------------------------------------------------------ API

/// Whether JSON text looks like OCDS (a release or record package, a
/// release, a record, or JSONL of releases). Only the first JSON document
/// is looked at.
pub fn looks_like_ocds(bytes: &[u8]) -> bool {
    let Ok(decoded) = decode(bytes) else {
        return false;
    };
    let text = decoded.text.as_ref();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    match stream.next() {
        Some(Ok(raw)) => raw_is_ocds(raw, true),
        // A broken or truncated document: judge by its beginning.
        Some(Err(_)) => {
            let mut end = text.len().min(64 * 1024);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text[..end].contains("\"ocid\"")
        }
        None => false,
    }
}

/// Read OCDS JSON (any shape above) into canonical records: one per
/// contracting process (ocid), in the order the processes first appear.
pub fn read(file: &Arc<str>, bytes: &[u8]) -> Vec<Raw> {
    let file_error = |message: String| {
        vec![Raw {
            source: Source {
                file: file.clone(),
                line: None,
                locator: None,
            },
            payload: Payload::Error(message),
        }]
    };
    let decoded = match decode(bytes) {
        Ok(d) => d,
        Err(message) => return file_error(message),
    };
    let text = decoded.text.as_ref();
    if text.trim().is_empty() {
        return file_error("the file holds no OCDS data".into());
    }
    let mut reader = Collect::new(file.clone(), text);
    reader.documents();
    reader.finish(decoded.note)
}

/// Read several OCDS files as one input, so that the releases of a process
/// spread over files (one release per file is common) make one record.
/// Records are named after `name` (the folder) and their ocid; errors after
/// the file they are in.
pub fn read_many(name: &Arc<str>, files: &[(Arc<str>, Vec<u8>)]) -> Vec<Raw> {
    let mut slots = Vec::new();
    let mut processes = HashMap::new();
    let mut order = 0;
    let mut converted = false;
    for (file, bytes) in files {
        let decoded = match decode(bytes) {
            Ok(d) => d,
            Err(message) => {
                slots.push(Slot::Error(
                    Source {
                        file: file.clone(),
                        line: None,
                        locator: None,
                    },
                    message,
                ));
                continue;
            }
        };
        converted |= decoded.note.is_some();
        let text = decoded.text.as_ref();
        let mut part = Collect {
            slots,
            processes,
            order,
            ..Collect::new(file.clone(), text)
        };
        part.documents();
        (slots, processes, order) = (part.slots, part.processes, part.order);
    }
    let note = converted.then(|| "some of the files are not UTF-8; they were read as ISO-8859-1 (Latin-1)".to_string());
    Collect {
        slots,
        processes,
        order,
        ..Collect::new(name.clone(), "")
    }
    .finish(note)
}

// ------------------------------------------------------------------ JSON tree

/// A JSON value that keeps numbers as the text they were written in, so
/// that amounts never pass through floating point.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(BTreeMap<String, J>),
}

/// Deeper nesting than this is refused (no real OCDS comes close).
const MAX_DEPTH: usize = 96;

impl J {
    /// The value of `key`; `null` counts as absent.
    fn get(&self, key: &str) -> Option<&J> {
        match self {
            J::Obj(m) => m.get(key).filter(|v| !matches!(v, J::Null)),
            _ => None,
        }
    }

    fn at(&self, path: &[&str]) -> Option<&J> {
        path.iter().try_fold(self, |j, key| j.get(key))
    }

    /// A string's text, trimmed; an empty string counts as absent.
    fn str(&self) -> Option<&str> {
        match self {
            J::Str(s) => Some(s.trim()).filter(|s| !s.is_empty()),
            _ => None,
        }
    }

    /// A string or a number as text (ids are often written as numbers).
    fn text(&self) -> Option<String> {
        match self {
            J::Num(n) => Some(n.clone()),
            other => other.str().map(str::to_string),
        }
    }

    fn arr(&self) -> Option<&[J]> {
        match self {
            J::Arr(a) => Some(a),
            _ => None,
        }
    }

    fn is_obj(&self) -> bool {
        matches!(self, J::Obj(_))
    }

    fn describe(&self) -> String {
        match self {
            J::Null => "null".into(),
            J::Bool(b) => format!("`{b}`"),
            J::Num(n) => format!("the number `{n}`"),
            J::Str(s) => format!("the text {}", quote(s)),
            J::Arr(_) => "a list".into(),
            J::Obj(_) => "an object".into(),
        }
    }
}

fn quote(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() > MAX {
        let cut: String = s.chars().take(MAX).collect();
        format!("\"{cut}…\"")
    } else {
        format!("\"{s}\"")
    }
}

/// Parse one JSON value (its exact text) into a tree. Each nested value is
/// taken as raw text first, so that a number's digits are kept as written.
fn parse_j(text: &str, depth: usize) -> Result<J, serde_json::Error> {
    if depth > MAX_DEPTH {
        return Err(de::Error::custom(format!(
            "the JSON is nested more than {MAX_DEPTH} levels deep"
        )));
    }
    Ok(match text.as_bytes().first() {
        Some(b'{') => serde_json::Deserializer::from_str(text).deserialize_map(TreeVisitor { depth })?,
        Some(b'[') => serde_json::Deserializer::from_str(text).deserialize_seq(TreeVisitor { depth })?,
        Some(b'"') => {
            let body = &text[1..text.len().saturating_sub(1).max(1)];
            let s = if body.contains('\\') {
                serde_json::from_str::<String>(text)?
            } else {
                body.to_string()
            };
            J::Str(repair(s))
        }
        Some(b't') => J::Bool(true),
        Some(b'f') => J::Bool(false),
        Some(b'n') => J::Null,
        _ => J::Num(text.to_string()),
    })
}

struct TreeVisitor {
    depth: usize,
}

impl<'de> Visitor<'de> for TreeVisitor {
    type Value = J;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<J, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(Node { depth: self.depth + 1 })?;
            out.insert(key, value);
        }
        Ok(J::Obj(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<J, A::Error> {
        let mut out = Vec::new();
        while let Some(value) = seq.next_element_seed(Node { depth: self.depth + 1 })? {
            out.push(value);
        }
        Ok(J::Arr(out))
    }
}

struct Node {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Node {
    type Value = J;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<J, D::Error> {
        let raw: &'de RawValue = serde::Deserialize::deserialize(d)?;
        parse_j(raw.get(), self.depth).map_err(de::Error::custom)
    }
}

// ------------------------------------------------------------------ encoding

struct Decoded<'a> {
    text: Cow<'a, str>,
    /// Said on every record when the text had to be converted.
    note: Option<String>,
}

/// The text of the file. JSON is UTF-8; a file that is not is read as
/// ISO-8859-1 (in its Windows-1252 form) only when it holds no UTF-8
/// multi-byte sequence at all, so that a UTF-8 file with one bad byte is
/// rejected rather than turned into mojibake.
fn decode(bytes: &[u8]) -> Result<Decoded<'_>, String> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom..];
        if encoding == encoding_rs::UTF_8 {
            return std::str::from_utf8(body)
                .map(|t| Decoded {
                    text: Cow::Borrowed(t),
                    note: None,
                })
                .map_err(|e| not_utf8(body, &e));
        }
        return match encoding.decode_without_bom_handling_and_without_replacement(body) {
            Some(text) => Ok(Decoded { text, note: None }),
            None => Err(format!(
                "the file starts with a {} byte-order mark but is not valid {}",
                encoding.name(),
                encoding.name()
            )),
        };
    }
    match std::str::from_utf8(bytes) {
        Ok(t) => Ok(Decoded {
            text: Cow::Borrowed(t),
            note: None,
        }),
        Err(e) if has_utf8_sequence(bytes) => Err(not_utf8(bytes, &e)),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            Ok(Decoded {
                text,
                note: Some(
                    "the file is not UTF-8; it was read as ISO-8859-1 (Latin-1), the only encoding that fits it".into(),
                ),
            })
        }
    }
}

fn not_utf8(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let at = e.valid_up_to();
    let byte = bytes.get(at).copied().unwrap_or(0);
    format!(
        "the file is not valid UTF-8 (byte 0x{byte:02X} at offset {at}) and also holds UTF-8 text, so its encoding \
         cannot be told; convert it to UTF-8"
    )
}

/// Whether `bytes` hold at least one well-formed UTF-8 multi-byte sequence.
fn has_utf8_sequence(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().any(|(i, &b)| {
        let len = match b {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            0xF0..=0xF4 => 4,
            _ => return false,
        };
        bytes
            .get(i..i + len)
            .is_some_and(|seq| std::str::from_utf8(seq).is_ok())
    })
}

// ------------------------------------------------------------------ shapes

/// Whether a JSON document is OCDS; `nested` allows one level of list.
fn raw_is_ocds(raw: &RawValue, nested: bool) -> bool {
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'[') => {
            nested
                && serde_json::from_str::<Vec<&RawValue>>(text)
                    .ok()
                    .and_then(|items| items.first().map(|first| raw_is_ocds(first, false)))
                    .unwrap_or(false)
        }
        Some(b'{') => {
            let Ok(keys) = serde_json::from_str::<HashMap<String, &RawValue>>(text) else {
                return false;
            };
            if ["ocid", "compiledRelease", "versionedRelease"]
                .iter()
                .any(|k| keys.contains_key(*k))
            {
                return true;
            }
            let package_meta = ["publisher", "publishedDate", "version", "uri", "extensions"]
                .iter()
                .any(|k| keys.contains_key(*k));
            for list in ["releases", "records"] {
                let Some(items) = keys.get(list) else { continue };
                let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(items.get()) else {
                    continue;
                };
                let first = items
                    .first()
                    .map(|f| serde_json::from_str::<HashMap<String, &RawValue>>(f.get()));
                match first {
                    Some(Ok(first))
                        if ["ocid", "compiledRelease", "releases", "versionedRelease"]
                            .iter()
                            .any(|k| first.contains_key(*k)) =>
                    {
                        return true;
                    }
                    None if package_meta => return true,
                    _ => {}
                }
            }
            false
        }
        _ => false,
    }
}

/// One contracting process while the file is read.
#[derive(Default)]
struct Process {
    /// Compiled (or versioned, flattened) releases of records: (date, order, release).
    compiled: Vec<(Option<i64>, usize, J)>,
    /// The release ids that the records' compiled releases already hold.
    covered: HashSet<String>,
    /// Releases given on their own, or inside a record without a compiled release.
    releases: Vec<(Option<i64>, usize, J)>,
}

enum Slot {
    Process(String),
    Error(Source, String),
}

/// Collects the processes of one file.
struct Collect<'t> {
    file: Arc<str>,
    text: &'t str,
    lines: LineCounter<'t>,
    slots: Vec<Slot>,
    processes: HashMap<String, Process>,
    order: usize,
}

impl<'t> Collect<'t> {
    fn new(file: Arc<str>, text: &'t str) -> Self {
        Collect {
            file,
            text,
            lines: LineCounter::new(text.as_bytes()),
            slots: Vec::new(),
            processes: HashMap::new(),
            order: 0,
        }
    }

    fn line_of(&mut self, raw: &str) -> u64 {
        let offset = (raw.as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        self.lines.line_at(offset)
    }

    fn error_at(&mut self, raw: &str, message: String) {
        let line = self.line_of(raw);
        self.slots
            .push(Slot::Error(Source::line(self.file.clone(), line), message));
    }

    /// Every JSON document in the text. After broken JSON the rest of a
    /// pretty-printed file is lost; in JSON Lines reading goes on at the
    /// next line.
    fn documents(&mut self) {
        let text = self.text;
        let mut start = 0;
        let mut one_per_line = true;
        let mut read_any = false;
        while start < text.len() {
            let rest = &text[start..];
            let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<&RawValue>();
            let resume = loop {
                match stream.next() {
                    None => break None,
                    Some(Ok(raw)) => {
                        read_any = true;
                        if raw.get().contains('\n') {
                            one_per_line = false;
                        }
                        self.document(raw.get(), true);
                    }
                    Some(Err(e)) => {
                        let before = self.lines.line_at(start);
                        let line = before + (e.line() as u64).saturating_sub(1);
                        self.slots
                            .push(Slot::Error(Source::line(self.file.clone(), line), json_error(&e)));
                        if !(read_any && one_per_line) {
                            break None;
                        }
                        // Go on after the line the error is on.
                        break rest
                            .match_indices('\n')
                            .nth(e.line().saturating_sub(1))
                            .map(|(i, _)| start + i + 1);
                    }
                }
            };
            match resume {
                Some(next) if next > start => start = next,
                _ => break,
            }
        }
    }

    /// One JSON document (or one element of a top-level list).
    fn document(&mut self, raw: &'t str, top: bool) {
        const NOT_OCDS: &str = "not an OCDS document: expected a release package (`releases`), a record package \
                                (`records`), a release or a record (`ocid`)";
        match raw.as_bytes().first() {
            Some(b'[') if top => match serde_json::from_str::<Vec<&RawValue>>(raw) {
                Ok(items) => {
                    for item in items {
                        self.document(item.get(), false);
                    }
                }
                Err(e) => self.error_at(raw, json_error(&e)),
            },
            Some(b'{') => {
                let keys = match serde_json::from_str::<HashMap<String, &RawValue>>(raw) {
                    Ok(k) => k,
                    Err(e) => return self.error_at(raw, json_error(&e)),
                };
                let is_record = keys.contains_key("compiledRelease")
                    || keys.contains_key("versionedRelease")
                    || (keys.contains_key("releases") && keys.contains_key("ocid"));
                if is_record {
                    self.record(raw);
                } else if let Some(records) = keys.get("records") {
                    self.package(records.get(), "records", |me, item| me.record(item));
                } else if let Some(releases) = keys.get("releases") {
                    self.package(releases.get(), "releases", |me, item| me.release(item));
                } else if keys.contains_key("ocid") {
                    self.release(raw);
                } else {
                    self.error_at(raw, NOT_OCDS.into());
                }
            }
            _ => self.error_at(raw, NOT_OCDS.into()),
        }
    }

    fn package(&mut self, list: &'t str, name: &str, mut each: impl FnMut(&mut Self, &'t str)) {
        match serde_json::from_str::<Vec<&RawValue>>(list) {
            Ok(items) => {
                for item in items {
                    each(self, item.get());
                }
            }
            Err(_) => self.error_at(list, format!("the package's `{name}` is not a list")),
        }
    }

    fn tree(&mut self, raw: &'t str) -> Option<J> {
        match parse_j(raw, 0) {
            Ok(j) => Some(j),
            Err(e) => {
                let message = match e.classify() {
                    serde_json::error::Category::Data => {
                        let text = e.to_string();
                        format!(
                            "cannot read this document: {}",
                            text.split(" at line ").next().unwrap_or(&text)
                        )
                    }
                    _ => json_error(&e),
                };
                self.error_at(raw, message);
                None
            }
        }
    }

    fn process(&mut self, ocid: &str) -> &mut Process {
        if !self.processes.contains_key(ocid) {
            self.slots.push(Slot::Process(ocid.to_string()));
        }
        self.processes.entry(ocid.to_string()).or_default()
    }

    fn next_order(&mut self) -> usize {
        self.order += 1;
        self.order
    }

    /// A release on its own, in a package, or inside a record.
    fn release(&mut self, raw: &'t str) {
        if !raw.starts_with('{') {
            return self.error_at(raw, "a release must be a JSON object".into());
        }
        let Some(tree) = self.tree(raw) else { return };
        let release = flatten(tree);
        let Some(ocid) = release.get("ocid").and_then(J::text) else {
            return self.error_at(
                raw,
                "a release without an `ocid` cannot be assigned to a contracting process".into(),
            );
        };
        let date = release.get("date").and_then(J::str).and_then(instant);
        let order = self.next_order();
        self.process(&ocid).releases.push((date, order, release));
    }

    /// A record: its compiled release, else its embedded releases, else its
    /// versioned release.
    fn record(&mut self, raw: &'t str) {
        if !raw.starts_with('{') {
            return self.error_at(raw, "a record must be a JSON object".into());
        }
        let Some(record) = self.tree(raw) else { return };
        let releases = record.get("releases").and_then(J::arr).unwrap_or(&[]);
        let compiled = record
            .get("compiledRelease")
            .filter(|c| c.is_obj())
            .cloned()
            .map(flatten);
        let versioned = record
            .get("versionedRelease")
            .filter(|c| c.is_obj())
            .cloned()
            .map(flatten);
        let ocid = record
            .get("ocid")
            .and_then(J::text)
            .or_else(|| compiled.as_ref().and_then(|c| c.get("ocid")).and_then(J::text))
            .or_else(|| versioned.as_ref().and_then(|c| c.get("ocid")).and_then(J::text))
            .or_else(|| releases.iter().find_map(|r| r.get("ocid").and_then(J::text)));
        let Some(ocid) = ocid else {
            return self.error_at(
                raw,
                "a record without an `ocid` cannot be assigned to a contracting process".into(),
            );
        };
        // Linked releases ({url, date, tag}) carry no data.
        let embedded: Vec<&J> = releases
            .iter()
            .filter(|r| r.is_obj() && (r.get("url").is_none() || r.get("ocid").is_some()))
            .collect();
        let covered: Vec<String> = releases.iter().filter_map(|r| r.get("id").and_then(J::text)).collect();
        if let Some(c) = compiled.or(if embedded.is_empty() { versioned } else { None }) {
            let date = c.get("date").and_then(J::str).and_then(instant);
            let order = self.next_order();
            let p = self.process(&ocid);
            p.compiled.push((date, order, c));
            p.covered.extend(covered);
        } else if !embedded.is_empty() {
            for r in embedded {
                let r = flatten(r.clone());
                let date = r.get("date").and_then(J::str).and_then(instant);
                let order = self.next_order();
                self.process(&ocid).releases.push((date, order, r));
            }
        } else {
            self.error_at(
                raw,
                format!(
                    "the record `{ocid}` has no compiledRelease and no embedded releases (its releases are only \
                     links, which anskaff does not download)"
                ),
            );
        }
    }

    fn finish(mut self, note: Option<String>) -> Vec<Raw> {
        let mut out = Vec::with_capacity(self.slots.len());
        for slot in std::mem::take(&mut self.slots) {
            match slot {
                Slot::Error(source, message) => out.push(Raw {
                    source,
                    payload: Payload::Error(message),
                }),
                Slot::Process(ocid) => {
                    let Some(p) = self.processes.remove(&ocid) else {
                        continue;
                    };
                    let release = compile(p);
                    let mut record = to_record(&ocid, &release);
                    if let Some(note) = &note {
                        record.warn("encoding", note.clone());
                    }
                    out.push(Raw {
                        source: Source {
                            file: self.file.clone(),
                            line: None,
                            locator: Some(ocid),
                        },
                        payload: Payload::Record(Box::new(record)),
                    });
                }
            }
        }
        out
    }
}

/// Line numbers of increasing byte offsets, counted once.
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, offset: usize) -> u64 {
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        let end = offset.min(self.text.len());
        self.line += self.text[self.offset..end].iter().filter(|&&b| b == b'\n').count() as u64;
        self.offset = end;
        self.line
    }
}

/// A release date as seconds, for ordering releases.
fn instant(text: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc().timestamp());
    }
    parse_date(text)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

// ------------------------------------------------------------------ merging

/// A versioned value (`[{releaseID, releaseDate, releaseTag, value}, …]`)
/// becomes its latest value, anywhere in the tree.
fn flatten(j: J) -> J {
    match j {
        J::Arr(items) if is_versioned(&items) => match items.into_iter().last() {
            Some(J::Obj(mut last)) => last.remove("value").map(flatten).unwrap_or(J::Null),
            _ => J::Null,
        },
        J::Arr(items) => J::Arr(items.into_iter().map(flatten).collect()),
        J::Obj(m) => J::Obj(m.into_iter().map(|(k, v)| (k, flatten(v))).collect()),
        other => other,
    }
}

fn is_versioned(items: &[J]) -> bool {
    !items.is_empty()
        && items.iter().all(|i| match i {
            J::Obj(m) => m.contains_key("value") && (m.contains_key("releaseID") || m.contains_key("releaseDate")),
            _ => false,
        })
}

/// The compiled release of a process: the records' compiled releases and
/// the loose releases, in date order (undated first; on the same date a
/// compiled release before a loose one, then in file order), merged.
fn compile(p: Process) -> J {
    let Process {
        compiled,
        covered,
        releases,
    } = p;
    let mut all: Vec<(Option<i64>, u8, usize, J)> = compiled.into_iter().map(|(d, o, j)| (d, 0, o, j)).collect();
    all.extend(
        releases
            .into_iter()
            .filter(|(_, _, r)| r.get("id").and_then(J::text).is_none_or(|id| !covered.contains(&id)))
            .map(|(d, o, j)| (d, 1, o, j)),
    );
    all.sort_by_key(|a| (a.0, a.1, a.2));
    let mut out = J::Obj(BTreeMap::new());
    for (_, _, _, release) in all {
        merge(&mut out, release);
    }
    out
}

/// The simplified OCDS merge: objects are merged key by key; a list whose
/// elements (old and new) are all objects with an `id` is merged element by
/// element by id; any other value (lists included) is replaced; `null`
/// removes.
fn merge(into: &mut J, new: J) {
    match (into, new) {
        (J::Obj(old), J::Obj(new)) => {
            for (key, value) in new {
                match old.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        old.insert(key, value);
                    }
                }
            }
        }
        (J::Arr(old), J::Arr(new)) if identified(old) && identified(&new) => {
            for item in new {
                let id = id_of(&item);
                match old.iter_mut().find(|o| id_of(o) == id) {
                    Some(slot) => merge(slot, item),
                    None => old.push(item),
                }
            }
        }
        (slot, new) => *slot = new,
    }
}

fn id_of(j: &J) -> Option<String> {
    j.get("id").and_then(J::text)
}

fn identified(items: &[J]) -> bool {
    items.iter().all(|i| i.is_obj() && id_of(i).is_some())
}

// ------------------------------------------------------------------ mapping

fn code(domain: Domain, value: &str) -> Option<u8> {
    domain.code(value)
}

/// The canonical record of one compiled release.
fn to_record(ocid: &str, rel: &J) -> Record {
    let mut r = Record {
        id: Some(ocid.to_string()),
        notice_id: Some(ocid.to_string()),
        ..Record::default()
    };
    let tender = rel.get("tender").filter(|t| t.is_obj());
    if let Some(t) = rel.get("tender").filter(|t| !t.is_obj()) {
        r.warn(
            "estimated_value",
            format!(
                "tender: expected an object, found {}; the tender is not read",
                t.describe()
            ),
        );
    }
    let parties: &[J] = rel.get("parties").and_then(J::arr).unwrap_or(&[]);
    let awards = objects(rel, "awards", "awarded_value", &mut r);
    let contracts = objects(rel, "contracts", "awarded_value", &mut r);

    r.stage = if !contracts.is_empty() {
        code(Domain::Stage, "contract")
    } else if !awards.is_empty() {
        code(Domain::Stage, "award")
    } else if tender.is_some() {
        code(Domain::Stage, "notice")
    } else {
        code(Domain::Stage, "planned")
    };

    r.title = tender
        .and_then(|t| t.get("title"))
        .and_then(J::str)
        .or_else(|| awards.iter().find_map(|(_, a)| a.get("title").and_then(J::str)))
        .or_else(|| contracts.iter().find_map(|(_, c)| c.get("title").and_then(J::str)))
        .map(str::to_string);

    r.buyer = buyer(rel, tender, parties, &mut r);

    // Active awards: status active, or no status.
    let active: Vec<(usize, &J)> = awards
        .iter()
        .copied()
        .filter(|(i, a)| match a.get("status").and_then(J::str) {
            None | Some("active") => true,
            Some("pending" | "cancelled" | "unsuccessful") => false,
            Some(other) => {
                r.warn(
                    "awarded_value",
                    format!(
                        "awards[{i}].status: `{other}` is not an OCDS award status; the award is counted as active"
                    ),
                );
                true
            }
        })
        .collect();
    let signed: Vec<(usize, &J)> = contracts
        .iter()
        .copied()
        .filter(|(_, c)| c.get("status").and_then(J::str) != Some("cancelled"))
        .collect();

    r.date = date(rel, &active, &signed, &mut r);

    if let Some(t) = tender {
        r.category = category(t, &mut r);
        r.cpv = cpv(t, &awards, &contracts, &mut r);
        let (procedure, framework_named) = procedure(t, &mut r);
        r.procedure = procedure;
        r.rationale = t.get("procurementMethodRationale").and_then(J::str).and_then(|text| {
            if is_placeholder(text) {
                r.warn(
                    "rationale",
                    format!(
                        "tender.procurementMethodRationale: {} is a placeholder, not a legal basis",
                        quote(text)
                    ),
                );
                None
            } else {
                Some(text.to_string())
            }
        });
        r.estimated_value = t
            .get("value")
            .and_then(|v| money(v, "tender.value", "estimated_value", &mut r));
        r.lots = lots(t, &mut r);
        r.award_criteria = award_criteria(t, &mut r);
        r.framework = framework(t, framework_named);
    } else {
        r.cpv = cpv(&J::Null, &awards, &contracts, &mut r);
    }

    r.awarded_value = awarded_value(&active, &signed, &mut r);
    r.supplier = supplier(&active, parties, &mut r);
    r
}

/// The objects of the list `key` of the release, with their index; a value
/// that is not a list of objects is a warning on `field`.
fn objects<'a>(rel: &'a J, key: &str, field: &str, r: &mut Record) -> Vec<(usize, &'a J)> {
    match rel.get(key) {
        None => Vec::new(),
        Some(J::Arr(items)) => items
            .iter()
            .enumerate()
            .filter(|(i, item)| {
                let ok = item.is_obj();
                if !ok {
                    r.warn(
                        field,
                        format!(
                            "{key}[{i}]: expected an object, found {}; it is not read",
                            item.describe()
                        ),
                    );
                }
                ok
            })
            .collect(),
        Some(other) => {
            r.warn(
                field,
                format!(
                    "{key}: expected a list of objects, found {}; the {key} are not read",
                    other.describe()
                ),
            );
            Vec::new()
        }
    }
}

// ---- organisations

/// An organisation reference resolved against `parties`: its organisation
/// number (or other id) and its name.
fn organisation(reference: &J, parties: &[J], field: &str, path: &str, r: &mut Record) -> Party {
    let ref_id = reference.get("id").and_then(J::text);
    let party = ref_id.as_deref().and_then(|id| {
        parties
            .iter()
            .find(|p| p.get("id").and_then(J::text).as_deref() == Some(id))
    });
    let identifier = |j: Option<&J>| j.and_then(|j| j.at(&["identifier", "id"])).and_then(J::text);
    let norwegian = [party, Some(reference)].into_iter().flatten().any(is_norwegian);
    let additional = |j: Option<&J>| {
        j.filter(|_| norwegian)
            .and_then(|j| j.get("additionalIdentifiers"))
            .and_then(J::arr)
            .unwrap_or(&[])
            .iter()
            .filter_map(|a| a.get("id").and_then(J::text))
            .find(|id| norwegian_org_number(id).is_some())
    };
    let candidates = [
        identifier(party),
        identifier(Some(reference)),
        additional(party),
        additional(Some(reference)),
        ref_id.clone(),
    ];
    let mut skipped: Option<String> = None;
    let id = candidates.into_iter().flatten().find(|id| {
        let usable = !is_local_id(id) && !is_placeholder(id);
        if !usable && skipped.is_none() {
            skipped = Some(id.clone());
        }
        usable
    });
    if id.is_none()
        && let Some(skipped) = skipped
    {
        let why = if is_local_id(&skipped) {
            "an id local to the notice (an eForms technical id)"
        } else {
            "a placeholder"
        };
        r.warn(
            field,
            format!("{path}: the id `{skipped}` is {why}, not an organisation number; the id is left missing"),
        );
    }
    let id = id.map(|id| {
        let marked = {
            let t = id.trim().to_ascii_uppercase();
            t.ends_with("MVA")
                || t.strip_prefix("NO")
                    .is_some_and(|rest| rest.starts_with(|c: char| c == ' ' || c.is_ascii_digit()))
        };
        match norwegian_org_number(&id) {
            Some(digits) if norwegian || marked => digits,
            _ => id,
        }
    });
    let name = reference
        .get("name")
        .and_then(J::str)
        .or_else(|| party.and_then(|p| p.get("name")).and_then(J::str))
        .or_else(|| party.and_then(|p| p.at(&["identifier", "legalName"])).and_then(J::str))
        .or_else(|| reference.at(&["identifier", "legalName"]).and_then(J::str))
        .map(str::to_string);
    Party { id, name }
}

/// eForms technical ids (`ORG-0001`) name an organisation only within one notice.
fn is_local_id(id: &str) -> bool {
    id.strip_prefix("ORG-")
        .is_some_and(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether an organisation is Norwegian: its address is in Norway, or its
/// identifier is in a Norwegian register (`NO-BRC`, `NO-ORG`).
fn is_norwegian(org: &J) -> bool {
    let country = ["country", "countryName"]
        .iter()
        .filter_map(|k| org.at(&["address", k]).and_then(J::str))
        .any(|c| ["no", "nor", "norway", "norge", "noreg"].contains(&c.to_lowercase().as_str()));
    let scheme = org
        .at(&["identifier", "scheme"])
        .and_then(J::str)
        .is_some_and(|s| s.to_ascii_uppercase().starts_with("NO-"));
    country || scheme
}

/// Ids that publishers write when there is none ("not applicable"), and
/// Mexico's generic tax ids for the public and for foreigners.
fn is_placeholder(id: &str) -> bool {
    let folded = fold(id);
    let t = folded.trim_matches(|c: char| c == '.' || c.is_whitespace());
    matches!(
        t,
        "" | "-"
            | "0"
            | "na"
            | "n/a"
            | "none"
            | "null"
            | "no aplica"
            | "ninguno"
            | "sin rfc"
            | "xaxx010101000"
            | "xexx010101000"
    )
}

/// A Norwegian organisation number in any common form (`NO 921 693 230
/// MVA`, `921693230`) as its nine digits.
fn norwegian_org_number(id: &str) -> Option<String> {
    let t = id.trim().to_ascii_uppercase();
    let t = t.strip_prefix("NO").unwrap_or(&t);
    let t = t.trim_end().strip_suffix("MVA").unwrap_or(t);
    let digits: String = t.chars().filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}')).collect();
    (digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

fn buyer(rel: &J, tender: Option<&J>, parties: &[J], r: &mut Record) -> Buyer {
    if let Some(b) = rel.get("buyer").filter(|b| !b.is_obj()) {
        r.warn("buyer.id", format!("buyer: expected an object, found {}", b.describe()));
    }
    let with_role = |role: &str| {
        parties.iter().find(|p| {
            p.get("roles")
                .and_then(J::arr)
                .is_some_and(|roles| roles.iter().any(|x| x.str() == Some(role)))
        })
    };
    let (reference, path) = match rel.get("buyer").filter(|b| b.is_obj()) {
        Some(b) => (Some(b), "buyer"),
        None => match with_role("buyer") {
            Some(p) => (Some(p), "parties[buyer]"),
            None => match with_role("procuringEntity") {
                Some(p) => (Some(p), "parties[procuringEntity]"),
                None => (
                    tender.and_then(|t| t.get("procuringEntity")).filter(|p| p.is_obj()),
                    "tender.procuringEntity",
                ),
            },
        },
    };
    match reference {
        Some(reference) => {
            let org = organisation(reference, parties, "buyer.id", path, r);
            Buyer {
                id: org.id,
                name: org.name,
                ..Buyer::default()
            }
        }
        None => Buyer::default(),
    }
}

fn supplier(active: &[(usize, &J)], parties: &[J], r: &mut Record) -> Party {
    // (party, value of the award, award index)
    let mut found: Vec<(Party, Option<Decimal>, usize)> = Vec::new();
    for &(i, award) in active {
        let value = award
            .at(&["value", "amount"])
            .and_then(|a| a.text())
            .and_then(|t| parse_decimal(&t));
        let Some(list) = award.get("suppliers") else { continue };
        let Some(list) = list.arr() else {
            r.warn(
                "supplier",
                format!("awards[{i}].suppliers: expected a list, found {}", list.describe()),
            );
            continue;
        };
        for (j, s) in list.iter().enumerate() {
            if !s.is_obj() {
                r.warn(
                    "supplier",
                    format!("awards[{i}].suppliers[{j}]: expected an object, found {}", s.describe()),
                );
                continue;
            }
            let party = organisation(s, parties, "supplier.id", &format!("awards[{i}].suppliers[{j}]"), r);
            if party.id.is_some() || party.name.is_some() {
                found.push((party, value, i));
            }
        }
    }
    let same = |a: &Party, b: &Party| match (&a.id, &b.id) {
        (Some(x), Some(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        _ => match (&a.name, &b.name) {
            (Some(x), Some(y)) => crate::eval::normalize_name(x) == crate::eval::normalize_name(y),
            _ => false,
        },
    };
    let mut distinct: Vec<&Party> = Vec::new();
    for (p, _, _) in &found {
        if !distinct.iter().any(|d| same(d, p)) {
            distinct.push(p);
        }
    }
    match distinct.len() {
        0 => Party::default(),
        1 => found.first().map(|(p, _, _)| p.clone()).unwrap_or_default(),
        n => {
            let mut best: Option<&(Party, Option<Decimal>, usize)> = None;
            for f in &found {
                if best.is_none_or(|b| f.1.unwrap_or(Decimal::MIN) > b.1.unwrap_or(Decimal::MIN)) {
                    best = Some(f);
                }
            }
            let Some((party, _, index)) = best else {
                return Party::default();
            };
            let names: Vec<String> = distinct
                .iter()
                .map(|p| match (&p.name, &p.id) {
                    (Some(n), Some(id)) => format!("{n} ({id})"),
                    (Some(n), None) => n.clone(),
                    (None, id) => id.clone().unwrap_or_default(),
                })
                .collect();
            r.warn(
                "supplier",
                format!(
                    "the awards go to {n} suppliers ({}); the supplier of the largest award (awards[{index}]) is used",
                    names.join("; ")
                ),
            );
            party.clone()
        }
    }
}

// ---- dates

fn date(rel: &J, active: &[(usize, &J)], signed: &[(usize, &J)], r: &mut Record) -> Option<chrono::NaiveDate> {
    let earliest = |items: &[(usize, &J)], list: &str, key: &str, r: &mut Record| {
        let mut best: Option<chrono::NaiveDate> = None;
        for &(i, item) in items {
            let Some(v) = item.get(key).filter(|v| !matches!(v, J::Str(s) if s.trim().is_empty())) else {
                continue;
            };
            match v.str().and_then(parse_date) {
                Some(d) => best = Some(best.map_or(d, |b| b.min(d))),
                None => r.warn(
                    "date",
                    format!("{list}[{i}].{key}: expected a date, found {}", v.describe()),
                ),
            }
        }
        best
    };
    if let Some(d) = earliest(active, "awards", "date", r) {
        return Some(d);
    }
    if let Some(d) = earliest(signed, "contracts", "dateSigned", r) {
        return Some(d);
    }
    let v = rel.get("date")?;
    let d = v.str().and_then(parse_date);
    if d.is_none() {
        r.warn("date", format!("date: expected a date, found {}", v.describe()));
    }
    d
}

// ---- category, CPV

fn category(t: &J, r: &mut Record) -> Option<u8> {
    let from = |v: &J, path: &str, r: &mut Record| -> Option<u8> {
        let Some(s) = v.str() else {
            r.warn("category", format!("{path}: expected a text, found {}", v.describe()));
            return None;
        };
        let c = match s {
            "consultingServices" => code(Domain::Category, "services"),
            other => code(Domain::Category, other),
        };
        if c.is_none() {
            r.warn(
                "category",
                format!("{path}: `{s}` is not goods, services, works or consultingServices"),
            );
        }
        c
    };
    if let Some(v) = t.get("mainProcurementCategory") {
        return from(v, "tender.mainProcurementCategory", r);
    }
    // The lots extension: the lots' categories, when they agree.
    let lots = t.get("lots").and_then(J::arr).unwrap_or(&[]);
    let mut found: Option<u8> = None;
    for (i, lot) in lots.iter().enumerate() {
        let Some(v) = lot.get("mainProcurementCategory") else {
            continue;
        };
        let c = from(v, &format!("tender.lots[{i}].mainProcurementCategory"), r)?;
        if found.is_some_and(|f| f != c) {
            r.warn(
                "category",
                "the lots have different main procurement categories".to_string(),
            );
            return None;
        }
        found = Some(c);
    }
    found
}

/// A CPV code as its eight digits (a check digit `-9` is dropped).
fn cpv_code(id: &str) -> Option<String> {
    let id = id.trim();
    let (digits, check) = match id.split_once('-') {
        Some((d, c)) => (d, Some(c)),
        None => (id, None),
    };
    let ok = digits.len() == 8
        && digits.bytes().all(|b| b.is_ascii_digit())
        && check.is_none_or(|c| c.len() == 1 && c.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| digits.to_string())
}

fn cpv(t: &J, awards: &[(usize, &J)], contracts: &[(usize, &J)], r: &mut Record) -> Option<Vec<String>> {
    let mut sources: Vec<(String, &[J])> = Vec::new();
    if let Some(items) = t.get("items").and_then(J::arr) {
        sources.push(("tender.items".into(), items));
    }
    if sources.is_empty() {
        for (list, objs) in [("awards", awards), ("contracts", contracts)] {
            for &(i, o) in objs {
                if let Some(items) = o.get("items").and_then(J::arr) {
                    sources.push((format!("{list}[{i}].items"), items));
                }
            }
        }
    }
    let mut main: Vec<String> = Vec::new();
    let mut additional: Vec<String> = Vec::new();
    let mut seen_cpv = false;
    for (path, items) in &sources {
        for (i, item) in items.iter().enumerate() {
            let mut take = |c: &J, at: String, into: &mut Vec<String>, r: &mut Record| {
                let is_cpv = c
                    .get("scheme")
                    .and_then(J::str)
                    .is_some_and(|s| s.eq_ignore_ascii_case("cpv"));
                if !is_cpv {
                    return;
                }
                seen_cpv = true;
                match c.get("id").and_then(J::text).as_deref().map(|id| (id, cpv_code(id))) {
                    Some((_, Some(code))) => {
                        if !into.contains(&code) {
                            into.push(code);
                        }
                    }
                    Some((id, None)) => r.warn("cpv", format!("{at}: `{id}` is not a CPV code (eight digits)")),
                    None => r.warn("cpv", format!("{at}: a CPV classification without an id")),
                }
            };
            if let Some(c) = item.get("classification") {
                take(c, format!("{path}[{i}].classification"), &mut main, r);
            }
            for (k, c) in item
                .get("additionalClassifications")
                .and_then(J::arr)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                take(
                    c,
                    format!("{path}[{i}].additionalClassifications[{k}]"),
                    &mut additional,
                    r,
                );
            }
        }
    }
    if !seen_cpv {
        return None;
    }
    additional.retain(|c| !main.contains(c));
    main.extend(additional);
    Some(main)
}

// ---- procedure

/// Lower case, without accents; mojibake (UTF-8 read as Latin-1) repaired.
fn fold(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    repair(text.to_string())
        .to_lowercase()
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect()
}

/// Text that was double-encoded (UTF-8 read as Windows-1252 and stored
/// again: `AdjudicaciÃ³n`, `SYKEHUSINNKJÃ˜P`) made right. Only text that
/// becomes valid UTF-8 again is changed, so correct text is never touched.
fn repair(text: String) -> String {
    if text.is_ascii() {
        return text;
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    if unmappable || bytes.is_ascii() {
        return text;
    }
    match std::str::from_utf8(&bytes) {
        Ok(fixed) => fixed.to_string(),
        Err(_) => text,
    }
}

/// Phrases that name a procedure, in the order they are tried; every
/// part of an entry must occur in the folded text.
const PHRASES: &[(&[&str], &str)] = &[
    // Negotiated without a notice (before the "negotiated" phrases).
    (&["no preliminary announcement"], "negotiated_without_notice"),
    (&["without prior call"], "negotiated_without_notice"),
    (&["without prior publication"], "negotiated_without_notice"),
    (&["without a prior call"], "negotiated_without_notice"),
    (&["without publication"], "negotiated_without_notice"),
    (&["uten forutgaende kunngjoring"], "negotiated_without_notice"),
    (&["uten kunngjoring"], "negotiated_without_notice"),
    (&["negociada sin publicidad"], "negotiated_without_notice"),
    (&["negociere fara publicare"], "negotiated_without_notice"),
    (&["未經公開評選或公開徵求"], "negotiated_without_notice"),
    // Direct award.
    (&["adjudicacion directa"], "direct"),
    (&["adjudicaci", "directa"], "direct"),
    (&["direct award"], "direct"),
    (&["single supplier without competition"], "direct"),
    (&["single source"], "direct"),
    (&["direktekjop"], "direct"),
    (&["direkte anskaffelse"], "direct"),
    // Negotiated with a notice.
    (&["preliminary announcement"], "negotiated"),
    (&["negotiated with prior publication"], "negotiated"),
    (&["competitive negotiation"], "negotiated"),
    (&["konkurranse med forhandling"], "negotiated"),
    (&["competitive dialogue"], "competitive_dialogue"),
    (&["konkurransepreget dialog"], "competitive_dialogue"),
    (&["dialogo competitivo"], "competitive_dialogue"),
    (&["innovation partnership"], "innovation_partnership"),
    (&["innovasjonspartnerskap"], "innovation_partnership"),
    // Restricted.
    (&["restricted procedure"], "restricted"),
    (&["invitacion a cuando menos tres"], "restricted"),
    (&["invitacion a tres"], "restricted"),
    (&["begrenset anbudskonkurranse"], "restricted"),
    (&["begrenset tilbudskonkurranse"], "restricted"),
    (&["licitatie restransa"], "restricted"),
    (&["procedimiento restringido"], "restricted"),
    (&["選擇性招標"], "restricted"),
    // Open.
    (&["open procedure"], "open"),
    (&["licitacion publica"], "open"),
    (&["licitatie publica"], "open"),
    (&["apen anbudskonkurranse"], "open"),
    (&["apen tilbudskonkurranse"], "open"),
    (&["procedimiento abierto"], "open"),
    (&["公開招標"], "open"),
];

/// Phrases that say the contract is a framework agreement.
const FRAMEWORK_PHRASES: &[&str] = &[
    "framework agreement",
    "rammeavtale",
    "acuerdo marco",
    "convenio marco",
    "acord-cadru",
];

/// The procedure a free text names, if it clearly names one.
fn phrase_procedure(text: &str) -> Option<u8> {
    let folded = fold(text);
    PHRASES
        .iter()
        .find(|(parts, _)| parts.iter().all(|p| folded.contains(p)))
        .and_then(|(_, value)| code(Domain::Procedure, value))
}

fn names_framework(text: &str) -> bool {
    let folded = fold(text);
    FRAMEWORK_PHRASES.iter().any(|p| folded.contains(p))
}

/// Prozorro's (Ukraine) `procurementMethodType` codes.
fn prozorro(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "reporting" => "direct",
        "negotiation" | "negotiation.quick" => "negotiated_without_notice",
        "belowThreshold" | "aboveThresholdUA" | "aboveThresholdEU" => "open",
        "competitiveDialogueUA" | "competitiveDialogueEU" => "competitive_dialogue",
        _ => return None,
    })
}

/// The procedures an OCDS method allows its details to refine it to.
fn refines(method: &str, procedure: &str) -> bool {
    match method {
        "open" => matches!(procedure, "open" | "below_threshold"),
        "selective" => matches!(
            procedure,
            "restricted" | "negotiated" | "competitive_dialogue" | "innovation_partnership" | "framework_call_off"
        ),
        "limited" => matches!(
            procedure,
            "negotiated_without_notice" | "direct" | "negotiated" | "below_threshold"
        ),
        "direct" => matches!(procedure, "direct" | "negotiated_without_notice"),
        _ => false,
    }
}

/// The procedure, and whether the details name a framework agreement.
fn procedure(t: &J, r: &mut Record) -> (Option<u8>, bool) {
    let method_value = t.get("procurementMethod");
    let mut method: Option<(&str, u8)> = None;
    let mut from_method_text: Option<u8> = None;
    let mut framework_named = false;
    if let Some(v) = method_value {
        match v.str() {
            Some(m) => {
                let mapped = match m.to_ascii_lowercase().as_str() {
                    "open" => Some(("open", "open")),
                    "selective" => Some(("selective", "restricted")),
                    "limited" => Some(("limited", "negotiated_without_notice")),
                    "direct" => Some(("direct", "direct")),
                    _ => None,
                };
                match mapped {
                    Some((name, value)) => method = code(Domain::Procedure, value).map(|c| (name, c)),
                    None => {
                        // Some publishers write a procedure's name here.
                        from_method_text = phrase_procedure(m);
                        framework_named |= names_framework(m);
                        if from_method_text.is_none() {
                            r.warn(
                                "procedure",
                                format!(
                                    "tender.procurementMethod: {} is neither an OCDS method (open, selective, limited, \
                                     direct) nor a procedure anskaff recognises",
                                    quote(m)
                                ),
                            );
                        }
                    }
                }
            }
            None => r.warn(
                "procedure",
                format!("tender.procurementMethod: expected a text, found {}", v.describe()),
            ),
        }
    }
    // The details: procurementMethodDetails, else Prozorro's
    // procurementMethodType, else the Mexico City airport's
    // metodoDeAdquisicion.
    let details = [
        "procurementMethodDetails",
        "procurementMethodType",
        "metodoDeAdquisicion",
    ]
    .iter()
    .find_map(|k| t.get(k).and_then(J::str).map(|d| (*k, d)));
    let mut from_details: Option<u8> = None;
    if let Some((key, d)) = details {
        from_details = if key == "procurementMethodType" {
            prozorro(d).and_then(|p| code(Domain::Procedure, p))
        } else {
            phrase_procedure(d)
        };
        let framework = names_framework(d);
        framework_named |= framework;
        if from_details.is_none() && !framework {
            let fallback = match (method, from_method_text) {
                (Some((m, _)), _) => format!("the procurementMethod `{m}` is used"),
                (None, Some(_)) => "the procurementMethod's text is used".to_string(),
                (None, None) => "the procedure is left missing".to_string(),
            };
            r.warn(
                "procedure",
                format!(
                    "tender.{key}: {} names no procedure anskaff recognises; {fallback}",
                    quote(d)
                ),
            );
        }
        if let (Some((m, _)), Some(p)) = (method, from_details) {
            let p = Domain::Procedure.value(p);
            if !refines(m, p) {
                r.warn(
                    "procedure",
                    format!(
                        "tender.procurementMethod `{m}` and tender.{key} {} disagree; the details (`{p}`) are used",
                        quote(d)
                    ),
                );
            }
        }
    }
    (
        from_details.or(from_method_text).or(method.map(|(_, c)| c)),
        framework_named,
    )
}

fn framework(t: &J, named: bool) -> Option<bool> {
    let mut answer: Option<bool> = None;
    let mut look = |techniques: Option<&J>| {
        let Some(tech) = techniques else { return };
        match tech.get("hasFrameworkAgreement") {
            Some(J::Bool(true)) => answer = Some(true),
            Some(J::Bool(false)) if answer.is_none() => answer = Some(false),
            _ => {}
        }
        if tech.get("frameworkAgreement").is_some_and(J::is_obj) {
            answer = Some(true);
        }
    };
    look(t.get("techniques"));
    for lot in t.get("lots").and_then(J::arr).unwrap_or(&[]) {
        look(lot.get("techniques"));
    }
    if named { Some(true) } else { answer }
}

// ---- money

/// ISO 4217 codes: the active ones, and those of the last twenty years
/// that were replaced (older data still uses them). Precious metals and
/// test codes are left out: no procurement is priced in them.
const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BYR", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW",
    "CLF", "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CYP", "CZK", "DJF", "DKK", "DOP", "DZD", "EEK",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL",
    "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF",
    "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LTL", "LVL", "LYD", "MAD", "MDL", "MGA",
    "MKD", "MMK", "MNT", "MOP", "MRO", "MRU", "MTL", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN",
    "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB",
    "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SIT", "SKK", "SLE", "SLL", "SOS", "SRD", "SSP", "STD",
    "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD",
    "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VEF", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER",
    "ZAR", "ZMK", "ZMW", "ZWG", "ZWL",
];

/// An ISO 4217 code; lower case is accepted and upper-cased.
fn currency(text: &str) -> Option<Currency> {
    let c = Currency::parse(text)?;
    CURRENCIES.binary_search(&c.as_str()).is_ok().then_some(c)
}

/// An OCDS Value object `{amount, currency}` as money; any problem is a
/// warning on `field` and gives `None`. No amount at all is no value.
fn money(v: &J, path: &str, field: &str, r: &mut Record) -> Option<Money> {
    if !v.is_obj() {
        r.warn(
            field,
            format!(
                "{path}: expected an object with amount and currency, found {}",
                v.describe()
            ),
        );
        return None;
    }
    // An empty text is no amount, as null is.
    let amount = v
        .get("amount")
        .filter(|a| !matches!(a, J::Str(s) if s.trim().is_empty()))?;
    let text = match amount {
        J::Num(n) => n.as_str(),
        J::Str(s) => s.trim(),
        other => {
            r.warn(
                field,
                format!("{path}.amount: expected a number, found {}", other.describe()),
            );
            return None;
        }
    };
    let Some(value) = parse_decimal(text) else {
        r.warn(
            field,
            format!(
                "{path}.amount: {} is not a number anskaff can hold exactly",
                amount.describe()
            ),
        );
        return None;
    };
    if value.is_zero() {
        r.warn(field, format!("{path}.amount: an amount of 0 is not a value"));
        return None;
    }
    if value.is_sign_negative() {
        r.warn(
            field,
            format!("{path}.amount: a negative amount ({text}) is not a value"),
        );
        return None;
    }
    let Some(cur) = v.get("currency").and_then(J::str) else {
        r.warn(field, format!("{path}: the amount {text} has no currency"));
        return None;
    };
    let Some(c) = currency(cur) else {
        r.warn(
            field,
            format!("{path}.currency: `{cur}` is not an ISO 4217 currency code"),
        );
        return None;
    };
    Some(Money::new(value, c))
}

/// The sum of the values of `items` (one currency); `None` with a warning
/// when one of them is wrong or the currencies differ. `Err(())` when no
/// item has a value at all.
fn sum_values(items: &[(usize, &J)], list: &str, r: &mut Record) -> Result<Option<Money>, ()> {
    let mut total: Option<Money> = None;
    let mut any = false;
    let mut failed = false;
    for &(i, item) in items {
        let Some(v) = item.get("value") else { continue };
        if v.is_obj()
            && v.get("amount")
                .is_none_or(|a| matches!(a, J::Str(s) if s.trim().is_empty()))
        {
            continue;
        }
        any = true;
        let Some(m) = money(v, &format!("{list}[{i}].value"), "awarded_value", r) else {
            failed = true;
            continue;
        };
        total = match total {
            None => Some(m),
            Some(t) if t.currency == m.currency => match t.amount.checked_add(m.amount) {
                Some(sum) => Some(Money::new(sum, t.currency)),
                None => {
                    r.warn(
                        "awarded_value",
                        format!("the {list} add up to more than anskaff can hold exactly; their total is left missing"),
                    );
                    return Ok(None);
                }
            },
            Some(t) => {
                r.warn(
                    "awarded_value",
                    format!(
                        "the {list} are in more than one currency ({} and {}); amounts in different currencies are \
                         not added up",
                        t.currency, m.currency
                    ),
                );
                return Ok(None);
            }
        };
    }
    if !any {
        return Err(());
    }
    if failed {
        if total.is_some() {
            r.warn(
                "awarded_value",
                format!("not every one of the {list} has a value anskaff can read; their total is left missing"),
            );
        }
        return Ok(None);
    }
    Ok(total)
}

fn awarded_value(active: &[(usize, &J)], signed: &[(usize, &J)], r: &mut Record) -> Option<Money> {
    match sum_values(active, "awards", r) {
        Ok(v) => v,
        Err(()) => sum_values(signed, "contracts", r).ok().flatten(),
    }
}

// ---- lots and award criteria

fn lots(t: &J, r: &mut Record) -> Option<Vec<Lot>> {
    let v = t.get("lots")?;
    let Some(items) = v.arr() else {
        r.warn("lots", format!("tender.lots: expected a list, found {}", v.describe()));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, lot) in items.iter().enumerate() {
        if !lot.is_obj() {
            r.warn(
                "lots",
                format!("tender.lots[{i}]: expected an object, found {}", lot.describe()),
            );
            continue;
        }
        let estimated_value = lot.get("value").and_then(|v| {
            money(
                v,
                &format!("tender.lots[{i}].value"),
                &format!("lots[{i}].estimated_value"),
                r,
            )
        });
        out.push(Lot {
            id: lot.get("id").and_then(J::text),
            title: lot.get("title").and_then(J::str).map(str::to_string),
            estimated_value,
        });
    }
    Some(out)
}

/// The criteria of one `awardCriteria` object of the award criteria
/// breakdown extension; `None` when it lists none.
fn breakdown(ac: &J, path: &str, r: &mut Record) -> Option<Vec<Criterion>> {
    let list = ac.get("criteria")?.arr()?;
    let mut out = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let at = format!("{path}.criteria[{i}]");
        if !c.is_obj() {
            r.warn(
                "award_criteria",
                format!("{at}: expected an object, found {}", c.describe()),
            );
            continue;
        }
        let kind_text = c.get("type").and_then(J::str);
        let name = c.get("name").and_then(J::str);
        let numbers = c.get("numbers").and_then(J::arr).unwrap_or(&[]);
        // A description alone is free text about the criteria, not a criterion.
        if kind_text.is_none() && name.is_none() && numbers.is_empty() {
            continue;
        }
        let kind = kind_text.and_then(|k| {
            let c = match k {
                "price" | "cost" | "quality" => code(Domain::CriterionType, k),
                _ => None,
            };
            if c.is_none() {
                r.warn(
                    "award_criteria",
                    format!("{at}.type: `{k}` is not price, cost or quality"),
                );
            }
            c
        });
        let mut weight: Option<Decimal> = None;
        for (k, n) in numbers.iter().enumerate() {
            let number = n.get("number").and_then(J::text).and_then(|t| parse_decimal(&t));
            let Some(number) = number else {
                r.warn(
                    "award_criteria",
                    format!("{at}.numbers[{k}].number: not a number anskaff can hold exactly"),
                );
                continue;
            };
            let scaled = match n.get("weight").and_then(J::str) {
                Some("percentageExact" | "percentageRangeMiddle") => Some(number),
                Some("decimalExact" | "decimalRangeMiddle") => number.checked_mul(Decimal::ONE_HUNDRED),
                Some(other) => {
                    r.warn(
                        "award_criteria",
                        format!("{at}.numbers[{k}]: a weight in `{other}` is not a percentage; it is not used"),
                    );
                    None
                }
                None => {
                    r.warn(
                        "award_criteria",
                        format!("{at}.numbers[{k}]: the number {number} does not say what it is; it is not used"),
                    );
                    None
                }
            };
            if let Some(s) = scaled {
                if weight.is_some() {
                    r.warn(
                        "award_criteria",
                        format!("{at}.numbers[{k}]: a second weight ({s}); the first is used"),
                    );
                } else {
                    weight = Some(s);
                }
            }
        }
        out.push(Criterion {
            name: name
                .or_else(|| c.get("description").and_then(J::str))
                .map(str::to_string),
            kind,
            weight,
        });
    }
    (!out.is_empty()).then_some(out)
}

fn award_criteria(t: &J, r: &mut Record) -> Option<Vec<Criterion>> {
    // Per lot (the extension): the first lot's criteria, when lots differ.
    let mut chosen: Option<(usize, Vec<Criterion>)> = None;
    for (i, lot) in t.get("lots").and_then(J::arr).unwrap_or(&[]).iter().enumerate() {
        let Some(ac) = lot.get("awardCriteria").filter(|a| a.is_obj()) else {
            continue;
        };
        let mut scratch = Record::default();
        let Some(criteria) = breakdown(ac, &format!("tender.lots[{i}].awardCriteria"), &mut scratch) else {
            continue;
        };
        match &chosen {
            None => {
                r.warnings.extend(scratch.warnings);
                chosen = Some((i, criteria));
            }
            Some((first, c)) if *c != criteria => {
                r.warn(
                    "award_criteria",
                    format!(
                        "tender.lots[{i}] has other award criteria than tender.lots[{first}]; those of \
                         tender.lots[{first}] are used"
                    ),
                );
            }
            Some(_) => {}
        }
    }
    if let Some((_, c)) = chosen {
        return Some(c);
    }
    let ac = t.get("awardCriteria")?;
    if ac.is_obj() {
        return breakdown(ac, "tender.awardCriteria", r);
    }
    // The OCDS code: only the single-criterion codes say anything exact.
    let code_text = ac.str()?;
    let kind = match code_text {
        "priceOnly" | "lowestCost" => "price",
        "costOnly" => "cost",
        "qualityOnly" => "quality",
        _ => return None,
    };
    Some(vec![Criterion {
        name: Some(code_text.to_string()),
        kind: code(Domain::CriterionType, kind),
        weight: Some(Decimal::ONE_HUNDRED),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_list_is_sorted_and_checks_codes() {
        assert!(CURRENCIES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(currency("mdl").map(|c| c.to_string()), Some("MDL".to_string()));
        assert_eq!(currency("MNX"), None);
        assert_eq!(currency(""), None);
    }

    #[test]
    fn numbers_keep_their_digits() {
        let j = parse_j(r#"{"a": 12345678901234567890.123456789, "b": [1e3, "x\"y"]}"#, 0).expect("parses");
        assert_eq!(j.get("a"), Some(&J::Num("12345678901234567890.123456789".into())));
        assert_eq!(j.get("b").and_then(J::arr).map(|a| a.len()), Some(2));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse_j(&deep, 0).is_err());
    }

    #[test]
    fn very_deep_documents_are_refused_without_overflowing_the_stack() {
        let deep = "{\"ocid\": \"a\", \"x\": ".to_string() + &"[".repeat(100_000) + &"]".repeat(100_000) + "}";
        assert!(looks_like_ocds(deep.as_bytes()));
        let items = read(&Arc::from("deep.json"), deep.as_bytes());
        assert_eq!(items.len(), 1);
        assert!(
            matches!(&items[0].payload, Payload::Error(e) if e == "cannot read this document: the JSON is nested more than 96 levels deep")
        );
    }

    #[test]
    fn merge_by_id() {
        let mut a = parse_j(r#"{"awards": [{"id": "1", "value": 1}, {"id": "2"}], "tag": ["a"]}"#, 0).expect("a");
        let b = parse_j(r#"{"awards": [{"id": "1", "value": 2, "x": 3}], "tag": ["b"]}"#, 0).expect("b");
        merge(&mut a, b);
        let want = parse_j(
            r#"{"awards": [{"id": "1", "value": 2, "x": 3}, {"id": "2"}], "tag": ["b"]}"#,
            0,
        );
        assert_eq!(Ok(a), want.map_err(|e| e.to_string()));
    }

    #[test]
    fn phrases() {
        let p = |s: &str| phrase_procedure(s).map(|c| Domain::Procedure.value(c));
        assert_eq!(p("Adjudicación directa"), Some("direct"));
        assert_eq!(p("AdjudicaciÃ³n directa"), Some("direct"));
        assert_eq!(
            p("NPNA (Negotiated Procedure with No Preliminary Announcement)"),
            Some("negotiated_without_notice")
        );
        assert_eq!(
            p("NPA (Negotiated Procedure with Preliminary Announcement)"),
            Some("negotiated")
        );
        assert_eq!(p("Licitaţie publică"), Some("open"));
        assert_eq!(p("Cerere a ofertelor de preţuri"), None);
        assert_eq!(p("Se konkurransegrunnlag."), None);
    }

    #[test]
    fn double_encoded_text_is_repaired() {
        assert_eq!(repair("SYKEHUSINNKJÃ˜P HF".into()), "SYKEHUSINNKJØP HF");
        assert_eq!(repair("LicitaciÃ³n pÃºblica".into()), "Licitación pública");
        assert_eq!(repair("Licitación pública".into()), "Licitación pública");
        assert_eq!(repair("Møbler – Ålesund".into()), "Møbler – Ålesund");
        assert_eq!(repair("ՀՀ սահմանադրական".into()), "ՀՀ սահմանադրական");
    }

    #[test]
    fn org_numbers() {
        assert_eq!(norwegian_org_number("NO 921 693 230 MVA").as_deref(), Some("921693230"));
        assert_eq!(norwegian_org_number("921693230").as_deref(), Some("921693230"));
        assert_eq!(norwegian_org_number("00018357"), None);
        assert!(is_local_id("ORG-0001"));
        assert!(!is_local_id("ORG-1"));
    }

    #[test]
    fn latin1_needs_no_utf8_inside() {
        assert!(decode(b"{\"a\": \"\xd3\"}").is_ok_and(|d| d.text == "{\"a\": \"\u{d3}\"}" && d.note.is_some()));
        assert!(decode(b"{\"a\": \"\xc3\xa9\xd3\"}").is_err());
        assert!(decode("{\"a\": \"é\"}".as_bytes()).is_ok_and(|d| d.note.is_none()));
    }
}
