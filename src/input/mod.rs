//! Record readers: every input format becomes a stream of canonical records,
//! each with its source, or an input error with its source.
//!
//! Readers hand out batches of [`Raw`] items; JSON text is parsed into
//! records by the engine's worker threads, so that parsing, the costliest
//! step, runs on all cores.

pub mod canonical;
pub mod eforms;
pub mod ocds;
pub mod table;

use crate::finding::Source;
use crate::record::Record;
use serde_json::value::RawValue;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// JSON text: a range of a block of input shared by many items, so that
/// reading does not copy or allocate per record.
#[derive(Clone)]
pub struct Text {
    block: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl Text {
    pub fn new(block: Arc<Vec<u8>>, start: usize, end: usize) -> Text {
        let end = end.min(block.len());
        Text {
            block,
            start: start.min(end),
            end,
        }
    }

    pub fn from_vec(bytes: Vec<u8>) -> Text {
        let end = bytes.len();
        Text {
            block: Arc::new(bytes),
            start: 0,
            end,
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.block[self.start..self.end]
    }
}

/// One input item before evaluation.
pub enum Payload {
    /// A canonical record in JSON, still to be parsed.
    Json(Text),
    /// A record a reader has already built.
    Record(Box<Record>),
    /// Input that could not be read as a record.
    Error(String),
}

pub struct Raw {
    pub source: Source,
    pub payload: Payload,
}

impl Raw {
    /// Parse the payload into a record, reading the fields in `want`, or say
    /// why not.
    pub fn into_record(self, want: &crate::schema::Want) -> (Source, Result<Record, String>) {
        let result = match self.payload {
            Payload::Json(text) => canonical::parse_record_with(text.bytes(), want).map_err(|e| json_error(&e)),
            Payload::Record(r) => Ok(*r),
            Payload::Error(e) => Err(e),
        };
        (self.source, result)
    }
}

/// An input error message from a JSON error, in words.
pub fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let text = e.to_string();
    // serde_json appends " at line L column C"; the source already says
    // where the record is, the column is worth keeping.
    let what = text.split(" at line ").next().unwrap_or(&text);
    let col = if e.column() > 0 {
        format!(" (column {})", e.column())
    } else {
        String::new()
    };
    match e.classify() {
        Category::Eof => format!("the JSON ends too early{col}: {what}"),
        Category::Syntax => format!("not valid JSON{col}: {what}"),
        Category::Data => format!("not a record{col}: {what}"),
        Category::Io => format!("cannot read: {what}"),
    }
}

/// What the user named as input.
#[derive(Debug, Clone)]
pub enum InputSpec {
    Path(PathBuf),
    Stdin,
    /// Standard input, kept in a file to be read more than once; shown as `-`.
    Kept(PathBuf),
    /// Bytes held in memory (e.g. the body of a request to `anskaff serve`):
    /// never written to disk. Cheap to clone, so a run can read it twice.
    Memory(Memory),
}

/// Input held in memory, shown under `name`.
#[derive(Debug, Clone)]
pub struct Memory {
    /// Shown as the input's file in reports and input errors.
    pub name: Arc<str>,
    pub bytes: Arc<[u8]>,
    /// The format; `None` goes by `name`'s extension, as for a file.
    pub format: Option<InputFormat>,
}

impl InputSpec {
    pub fn parse(arg: &str) -> InputSpec {
        if arg == "-" {
            InputSpec::Stdin
        } else {
            InputSpec::Path(PathBuf::from(arg))
        }
    }

    pub fn display(&self) -> String {
        match self {
            InputSpec::Path(p) => p.display().to_string(),
            InputSpec::Stdin | InputSpec::Kept(_) => "-".to_string(),
            InputSpec::Memory(m) => m.name.to_string(),
        }
    }
}

/// The input formats anskaff reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputFormat {
    /// Canonical records: JSON Lines (`.jsonl`).
    Jsonl,
    /// Canonical records: JSON (`.json`).
    Json,
    /// eForms notices (Doffin, TED): XML.
    Eforms,
    /// Open Contracting Data Standard: JSON or JSON Lines.
    Ocds,
    /// A table with a header row: CSV.
    Csv,
    /// A table with a header row: an Excel workbook.
    Xlsx,
}

/// How inputs are read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Read every file as this format, whatever its name says.
    pub format: Option<InputFormat>,
    /// How table columns map to record fields.
    pub mapping: Arc<table::Mapping>,
    /// The fields the policies declare, read beside the canonical ones.
    pub extras: crate::schema::Extras,
}

/// The format a file's name says, if it says one.
fn format_of(path: &Path) -> Option<InputFormat> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "jsonl" | "ndjson" => Some(InputFormat::Jsonl),
        "json" => Some(InputFormat::Json),
        "xml" => Some(InputFormat::Eforms),
        "csv" | "tsv" => Some(InputFormat::Csv),
        "xlsx" | "xlsm" => Some(InputFormat::Xlsx),
        _ => None,
    }
}

/// Reads every input in turn and yields batches of raw items in input order.
pub struct Reader {
    queue: std::collections::VecDeque<Pending>,
    current: Option<Current>,
    batch: usize,
    options: ReadOptions,
}

enum Pending {
    File(PathBuf, Option<InputFormat>),
    /// OCDS files of one folder, read together (name, files).
    OcdsGroup(Arc<str>, Vec<PathBuf>),
    Stdin,
    Kept(PathBuf),
    Memory(Memory),
    Error(Source, String),
}

enum Current {
    Lines(Lines),
    Items(std::vec::IntoIter<Raw>),
}

/// JSON Lines read in large blocks; each line is a range of its block.
struct Lines {
    file: Arc<str>,
    reader: Box<dyn Read + Send>,
    /// Lines read so far.
    line: u64,
    block: Arc<Vec<u8>>,
    /// Where the next line starts in `block`.
    pos: usize,
    eof: bool,
}

/// How much is read at a time.
const BLOCK: usize = 1 << 20;

enum Next {
    Line(Raw),
    Blank,
    Error(Raw),
    End,
}

impl Lines {
    fn new(file: Arc<str>, reader: Box<dyn Read + Send>) -> Lines {
        Lines {
            file,
            reader,
            line: 0,
            block: Arc::new(Vec::new()),
            pos: 0,
            eof: false,
        }
    }

    fn next(&mut self) -> Next {
        loop {
            let rest = &self.block[self.pos..];
            if let Some(nl) = memchr::memchr(b'\n', rest) {
                let (start, end) = (self.pos, self.pos + nl);
                self.pos = end + 1;
                return self.item(start, end);
            }
            if self.eof {
                if rest.is_empty() {
                    return Next::End;
                }
                let (start, end) = (self.pos, self.block.len());
                self.pos = end;
                return self.item(start, end);
            }
            // Move the unfinished line to a new block and read more after it.
            let mut next = Vec::with_capacity(BLOCK.max(rest.len() * 2));
            next.extend_from_slice(rest);
            let filled = next.len();
            next.resize(filled + BLOCK, 0);
            let mut got = filled;
            loop {
                match self.reader.read(&mut next[got..]) {
                    Ok(0) => {
                        self.eof = true;
                        break;
                    }
                    Ok(n) => {
                        got += n;
                        if got == next.len() || memchr::memchr(b'\n', &next[got - n..got]).is_some() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        self.eof = true;
                        self.block = Arc::new(Vec::new());
                        self.pos = 0;
                        let source = Source::line(self.file.clone(), self.line + 1);
                        return Next::Error(Raw {
                            source,
                            payload: Payload::Error(format!("cannot read: {e}")),
                        });
                    }
                }
            }
            next.truncate(got);
            self.block = Arc::new(next);
            self.pos = 0;
        }
    }

    fn item(&mut self, mut start: usize, end: usize) -> Next {
        self.line += 1;
        if self.line == 1 && self.block[start..end].starts_with(b"\xEF\xBB\xBF") {
            start += 3;
        }
        if self.block[start..end].iter().all(u8::is_ascii_whitespace) {
            return Next::Blank;
        }
        let source = Source::line(self.file.clone(), self.line);
        Next::Line(Raw {
            source,
            payload: Payload::Json(Text::new(self.block.clone(), start, end)),
        })
    }
}

impl Reader {
    /// A reader over `inputs`; directories are expanded to the record files
    /// below them, in name order.
    pub fn new(inputs: &[InputSpec], batch: usize, options: ReadOptions) -> Reader {
        let mut queue = std::collections::VecDeque::new();
        for input in inputs {
            match input {
                InputSpec::Stdin => queue.push_back(Pending::Stdin),
                InputSpec::Kept(p) => queue.push_back(Pending::Kept(p.clone())),
                InputSpec::Memory(m) => queue.push_back(Pending::Memory(m.clone())),
                InputSpec::Path(p) if p.is_dir() => {
                    let mut files = Vec::new();
                    expand_dir(p, &mut files, &mut queue);
                    group_ocds(p, files, options.format, &mut queue);
                }
                InputSpec::Path(p) => queue.push_back(Pending::File(p.clone(), format_of(p))),
            }
        }
        Reader {
            queue,
            current: None,
            batch: batch.max(1),
            options,
        }
    }

    /// The next batch; empty when all input is read.
    pub fn next_batch(&mut self) -> Vec<Raw> {
        let mut out = Vec::with_capacity(self.batch);
        while out.len() < self.batch {
            match self.current.as_mut() {
                Some(Current::Items(items)) => match items.next() {
                    Some(item) => out.push(item),
                    None => self.current = None,
                },
                Some(Current::Lines(lines)) => match lines.next() {
                    Next::Line(raw) => out.push(raw),
                    Next::Blank => {}
                    Next::Error(raw) => {
                        out.push(raw);
                        self.current = None;
                    }
                    Next::End => self.current = None,
                },
                None => match self.queue.pop_front() {
                    Some(p) => self.open(p, &mut out),
                    None => break,
                },
            }
        }
        out
    }

    fn open(&mut self, pending: Pending, out: &mut Vec<Raw>) {
        match pending {
            Pending::Error(source, message) => out.push(Raw {
                source,
                payload: Payload::Error(message),
            }),
            Pending::Stdin => {
                self.current = Some(Current::Lines(Lines::new(Arc::from("-"), Box::new(io::stdin()))));
            }
            Pending::OcdsGroup(name, paths) => {
                let mut files = Vec::with_capacity(paths.len());
                for path in paths {
                    let file: Arc<str> = Arc::from(path.display().to_string());
                    match std::fs::read(&path) {
                        Ok(bytes) => files.push((file, bytes)),
                        Err(e) => out.push(Raw {
                            source: Source {
                                file,
                                line: None,
                                locator: None,
                            },
                            payload: Payload::Error(format!("cannot read: {}", io_reason(&e))),
                        }),
                    }
                }
                self.current = Some(Current::Items(ocds::read_many(&name, &files).into_iter()));
            }
            Pending::Memory(m) => self.open_memory(m, out),
            Pending::Kept(path) => match File::open(&path) {
                Ok(f) => self.current = Some(Current::Lines(Lines::new(Arc::from("-"), Box::new(f)))),
                Err(e) => out.push(Raw {
                    source: Source {
                        file: Arc::from("-"),
                        line: None,
                        locator: None,
                    },
                    payload: Payload::Error(format!("cannot read standard input again: {e}")),
                }),
            },
            Pending::File(path, named) => {
                let name: Arc<str> = Arc::from(path.display().to_string());
                let file_error = |message: String| Raw {
                    source: Source {
                        file: name.clone(),
                        line: None,
                        locator: None,
                    },
                    payload: Payload::Error(message),
                };
                if !path.exists() {
                    out.push(file_error("cannot open: no such file".into()));
                    return;
                }
                let Some(format) = self.options.format.or(named) else {
                    out.push(file_error(
                        "unknown input format: anskaff reads `.jsonl` and `.json` (canonical records or OCDS), `.xml` (eForms), `.csv` and `.xlsx`; name the format with --input-format".into(),
                    ));
                    return;
                };
                let mut file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        out.push(file_error(format!("cannot open: {}", io_reason(&e))));
                        return;
                    }
                };
                if format == InputFormat::Jsonl {
                    // Canonical JSON Lines stream; OCDS lines are read whole,
                    // since one process may span many lines.
                    let mut head = vec![0u8; 64 * 1024];
                    let n = read_up_to(&mut file, &mut head);
                    head.truncate(n);
                    let first_line = head
                        .split(|&b| b == b'\n')
                        .find(|l| !l.iter().all(u8::is_ascii_whitespace));
                    let ocds = self.options.format.is_none() && first_line.is_some_and(ocds::looks_like_ocds);
                    let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(file));
                    if !ocds {
                        self.current = Some(Current::Lines(Lines::new(name, rest)));
                        return;
                    }
                    let mut bytes = Vec::new();
                    if let Err(e) = BufReader::new(rest).read_to_end(&mut bytes) {
                        out.push(file_error(format!("cannot read: {}", io_reason(&e))));
                        return;
                    }
                    self.current = Some(Current::Items(ocds::read(&name, &bytes).into_iter()));
                    return;
                }
                let mut bytes = Vec::new();
                if let Err(e) = BufReader::new(file).read_to_end(&mut bytes) {
                    out.push(file_error(format!("cannot read: {}", io_reason(&e))));
                    return;
                }
                let items = match format {
                    InputFormat::Json if self.options.format.is_none() && ocds::looks_like_ocds(&bytes) => {
                        ocds::read(&name, &bytes)
                    }
                    InputFormat::Json | InputFormat::Jsonl => json_documents(name, bytes),
                    InputFormat::Ocds => ocds::read(&name, &bytes),
                    InputFormat::Eforms => eforms::read(&name, &bytes),
                    InputFormat::Csv => table::read_csv(&name, &bytes, &self.options.mapping),
                    InputFormat::Xlsx => table::read_xlsx(&name, &bytes, &self.options.mapping),
                };
                self.current = Some(Current::Items(items.into_iter()));
            }
        }
    }
}

impl Reader {
    /// Input held in memory: read like a file of the same name and format.
    fn open_memory(&mut self, m: Memory, out: &mut Vec<Raw>) {
        let Memory { name, bytes, format } = m;
        let Some(format) = self.options.format.or(format).or_else(|| format_of(Path::new(&*name))) else {
            out.push(Raw {
                source: Source {
                    file: name,
                    line: None,
                    locator: None,
                },
                payload: Payload::Error(
                    "unknown input format: anskaff reads canonical records (JSON, JSON Lines), OCDS, eForms XML, CSV and XLSX".into(),
                ),
            });
            return;
        };
        let forced = self.options.format.is_some();
        let items = match format {
            InputFormat::Jsonl => {
                let first_line = bytes
                    .split(|&b| b == b'\n')
                    .find(|l| !l.iter().all(u8::is_ascii_whitespace));
                if forced || !first_line.is_some_and(ocds::looks_like_ocds) {
                    self.current = Some(Current::Lines(Lines::new(name, Box::new(io::Cursor::new(bytes)))));
                    return;
                }
                ocds::read(&name, &bytes)
            }
            InputFormat::Json if !forced && ocds::looks_like_ocds(&bytes) => ocds::read(&name, &bytes),
            InputFormat::Json => json_documents(name, bytes.to_vec()),
            InputFormat::Ocds => ocds::read(&name, &bytes),
            InputFormat::Eforms => eforms::read(&name, &bytes),
            InputFormat::Csv => table::read_csv(&name, &bytes, &self.options.mapping),
            InputFormat::Xlsx => table::read_xlsx(&name, &bytes, &self.options.mapping),
        };
        self.current = Some(Current::Items(items.into_iter()));
    }
}

/// Read as much as fits in `buf` (less only at the end of the input).
fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    got
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}

/// The record files below `dir`, in name order.
fn expand_dir(dir: &Path, files: &mut Vec<(PathBuf, InputFormat)>, queue: &mut std::collections::VecDeque<Pending>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            let source = Source {
                file: Arc::from(dir.display().to_string()),
                line: None,
                locator: None,
            };
            queue.push_back(Pending::Error(
                source,
                format!("cannot read directory: {}", io_reason(&e)),
            ));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(e) => paths.push(e.path()),
            Err(e) => {
                let source = Source {
                    file: Arc::from(dir.display().to_string()),
                    line: None,
                    locator: None,
                };
                queue.push_back(Pending::Error(source, format!("cannot read directory entry: {e}")));
            }
        }
    }
    paths.sort();
    for p in paths {
        if p.is_dir() {
            expand_dir(&p, files, queue);
        } else if let Some(f) = format_of(&p) {
            files.push((p, f));
        }
    }
}

/// Queue a folder's files. Its OCDS files are read together, as one input,
/// where the first of them stands; the others one by one.
fn group_ocds(
    dir: &Path,
    files: Vec<(PathBuf, InputFormat)>,
    forced: Option<InputFormat>,
    queue: &mut std::collections::VecDeque<Pending>,
) {
    let is_ocds = |path: &Path, format: InputFormat| match forced {
        Some(f) => f == InputFormat::Ocds,
        None if matches!(format, InputFormat::Json | InputFormat::Jsonl) => {
            let mut head = vec![0u8; 64 * 1024];
            let n = File::open(path).map(|mut f| read_up_to(&mut f, &mut head)).unwrap_or(0);
            head.truncate(n);
            let first = head
                .split(|&b| b == b'\n')
                .find(|l| !l.iter().all(u8::is_ascii_whitespace))
                .unwrap_or(&[]);
            ocds::looks_like_ocds(&head) || ocds::looks_like_ocds(first)
        }
        None => false,
    };
    let flags: Vec<bool> = files.iter().map(|(p, f)| is_ocds(p, *f)).collect();
    let group: Vec<PathBuf> = files
        .iter()
        .zip(&flags)
        .filter(|(_, o)| **o)
        .map(|((p, _), _)| p.clone())
        .collect();
    let mut group = (group.len() > 1).then_some(group);
    let grouped = group.is_some();
    for ((path, format), ocds) in files.into_iter().zip(flags) {
        match (ocds, grouped) {
            (true, true) => {
                if let Some(all) = group.take() {
                    queue.push_back(Pending::OcdsGroup(Arc::from(dir.display().to_string()), all));
                }
            }
            (true, false) => queue.push_back(Pending::File(path, Some(InputFormat::Ocds))),
            (false, _) => queue.push_back(Pending::File(path, Some(format))),
        }
    }
}

/// The records in a `.json` file: one record, an array of records,
/// `{"records": [...]}`, or several such documents back to back.
fn json_documents(file: Arc<str>, bytes: Vec<u8>) -> Vec<Raw> {
    let mut out = Vec::new();
    let block = Arc::new(bytes);
    let mut body = &block[..];
    if body.starts_with(b"\xEF\xBB\xBF") {
        body = &body[3..];
    }
    let base = body.as_ptr() as usize;
    let block_base = block.as_ptr() as usize;
    let text = |raw: &RawValue| {
        let start = raw.get().as_ptr() as usize - block_base;
        Payload::Json(Text::new(block.clone(), start, start + raw.get().len()))
    };
    let mut lines = LineCounter::new(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        out.push(Raw {
            source: Source {
                file,
                line: None,
                locator: None,
            },
            payload: Payload::Error("the file holds no records".into()),
        });
        return out;
    }
    let stream = serde_json::Deserializer::from_slice(body).into_iter::<&RawValue>();
    for doc in stream {
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                let line = e.line() as u64;
                out.push(Raw {
                    source: Source::line(file.clone(), line),
                    payload: Payload::Error(json_error(&e)),
                });
                break;
            }
        };
        let offset = doc.get().as_ptr() as usize - base;
        let elements: Option<Vec<&RawValue>> = match doc.get().as_bytes().first() {
            Some(b'[') => serde_json::from_str(doc.get()).ok(),
            Some(b'{') => {
                #[derive(serde::Deserialize)]
                struct Wrapper<'a> {
                    #[serde(borrow)]
                    records: Option<&'a RawValue>,
                }
                match serde_json::from_str::<Wrapper>(doc.get()) {
                    Ok(Wrapper { records: Some(r) }) if r.get().starts_with('[') => serde_json::from_str(r.get()).ok(),
                    _ => None,
                }
            }
            _ => None,
        };
        match elements {
            Some(items) => {
                for item in items {
                    let at = item.get().as_ptr() as usize - base;
                    let line = lines.line_at(at);
                    out.push(Raw {
                        source: Source::line(file.clone(), line),
                        payload: text(item),
                    });
                }
            }
            None => {
                let line = lines.line_at(offset);
                out.push(Raw {
                    source: Source::line(file.clone(), line),
                    payload: text(doc),
                });
            }
        }
    }
    out
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

/// Every input item in order, parsed into a record with all its fields (or
/// the reason it could not be): for commands that convert or count records.
pub fn records(inputs: &[InputSpec], options: ReadOptions) -> impl Iterator<Item = (Source, Result<Record, String>)> {
    let want = crate::schema::Want {
        fields: crate::schema::FieldSet::ALL,
        extras: options.extras.clone(),
    };
    let mut reader = Reader::new(inputs, 1024, options);
    let mut batch = Vec::new().into_iter();
    std::iter::from_fn(move || {
        loop {
            if let Some(raw) = batch.next() {
                return Some(Raw::into_record(raw, &want));
            }
            let next = reader.next_batch();
            if next.is_empty() {
                return None;
            }
            batch = next.into_iter();
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(bytes: &[u8]) -> Vec<(Option<u64>, bool)> {
        json_documents(Arc::from("t.json"), bytes.to_vec())
            .into_iter()
            .map(|r| (r.source.line, matches!(r.payload, Payload::Json(_))))
            .collect()
    }

    #[test]
    fn json_shapes() {
        assert_eq!(items(b"{\"id\": \"a\"}"), [(Some(1), true)]);
        assert_eq!(
            items(b"[\n{\"id\": \"a\"},\n{\"id\": \"b\"}\n]"),
            [(Some(2), true), (Some(3), true)]
        );
        assert_eq!(items(b"{\"records\": [\n{\"id\": \"a\"}]}"), [(Some(2), true)]);
        assert_eq!(
            items(b"{\"id\": \"a\"}\n{\"id\": \"b\"}\n"),
            [(Some(1), true), (Some(2), true)]
        );
        assert_eq!(items(b"\xEF\xBB\xBF[{\"id\": \"a\"}]"), [(Some(1), true)]);
        assert_eq!(items(b"  \n"), [(None, false)]);
        assert_eq!(items(b"[{\"id\": \"a\"},\n{"), [(Some(2), false)]);
    }
}
