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
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One input item before evaluation.
pub enum Payload {
    /// A canonical record in JSON, still to be parsed.
    Json(Vec<u8>),
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
    /// Parse the payload into a record, or say why not.
    pub fn into_record(self) -> (Source, Result<Record, String>) {
        let result = match self.payload {
            Payload::Json(bytes) => canonical::parse_record(&bytes).map_err(|e| json_error(&e)),
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
            InputSpec::Stdin => "-".to_string(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    JsonLines,
    Json,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "jsonl" | "ndjson" => Some(Format::JsonLines),
        "json" => Some(Format::Json),
        _ => None,
    }
}

/// Reads every input in turn and yields batches of raw items in input order.
pub struct Reader {
    queue: std::collections::VecDeque<Pending>,
    current: Option<Current>,
    batch: usize,
}

enum Pending {
    File(PathBuf, Option<Format>),
    Stdin,
    Error(Source, String),
}

enum Current {
    Lines {
        file: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        line: u64,
    },
    Items(std::vec::IntoIter<Raw>),
}

impl Reader {
    /// A reader over `inputs`; directories are expanded to the record files
    /// below them, in name order.
    pub fn new(inputs: &[InputSpec], batch: usize) -> Reader {
        let mut queue = std::collections::VecDeque::new();
        for input in inputs {
            match input {
                InputSpec::Stdin => queue.push_back(Pending::Stdin),
                InputSpec::Path(p) if p.is_dir() => expand_dir(p, &mut queue),
                InputSpec::Path(p) => queue.push_back(Pending::File(p.clone(), format_of(p))),
            }
        }
        Reader {
            queue,
            current: None,
            batch: batch.max(1),
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
                Some(Current::Lines { file, reader, line }) => {
                    let mut buf = Vec::new();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) => self.current = None,
                        Ok(_) => {
                            *line += 1;
                            if *line == 1 && buf.starts_with(b"\xEF\xBB\xBF") {
                                buf.drain(..3);
                            }
                            if buf.iter().all(u8::is_ascii_whitespace) {
                                continue;
                            }
                            out.push(Raw {
                                source: Source::line(file.clone(), *line),
                                payload: Payload::Json(buf),
                            });
                        }
                        Err(e) => {
                            let source = Source::line(file.clone(), *line + 1);
                            out.push(Raw {
                                source,
                                payload: Payload::Error(format!("cannot read: {e}")),
                            });
                            self.current = None;
                        }
                    }
                }
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
                let reader: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 16, io::stdin()));
                self.current = Some(Current::Lines {
                    file: Arc::from("-"),
                    reader,
                    line: 0,
                });
            }
            Pending::File(path, format) => {
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
                let Some(format) = format else {
                    out.push(file_error(
                        "unknown input format: anskaff reads `.jsonl` (one record per line) and `.json` files".into(),
                    ));
                    return;
                };
                let file = match File::open(&path) {
                    Ok(f) => f,
                    Err(e) => {
                        out.push(file_error(format!("cannot open: {}", io_reason(&e))));
                        return;
                    }
                };
                match format {
                    Format::JsonLines => {
                        let reader: Box<dyn BufRead + Send> = Box::new(BufReader::with_capacity(1 << 16, file));
                        self.current = Some(Current::Lines {
                            file: name,
                            reader,
                            line: 0,
                        });
                    }
                    Format::Json => {
                        let mut bytes = Vec::new();
                        if let Err(e) = BufReader::new(file).read_to_end(&mut bytes) {
                            out.push(file_error(format!("cannot read: {}", io_reason(&e))));
                            return;
                        }
                        self.current = Some(Current::Items(json_documents(name, &bytes).into_iter()));
                    }
                }
            }
        }
    }
}

fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}

fn expand_dir(dir: &Path, queue: &mut std::collections::VecDeque<Pending>) {
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
            expand_dir(&p, queue);
        } else if let Some(f) = format_of(&p) {
            queue.push_back(Pending::File(p, Some(f)));
        }
    }
}

/// The records in a `.json` file: one record, an array of records,
/// `{"records": [...]}`, or several such documents back to back.
fn json_documents(file: Arc<str>, bytes: &[u8]) -> Vec<Raw> {
    let mut out = Vec::new();
    let mut body = bytes;
    if body.starts_with(b"\xEF\xBB\xBF") {
        body = &body[3..];
    }
    let base = body.as_ptr() as usize;
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
                        payload: Payload::Json(item.get().as_bytes().to_vec()),
                    });
                }
            }
            None => {
                let line = lines.line_at(offset);
                out.push(Raw {
                    source: Source::line(file.clone(), line),
                    payload: Payload::Json(doc.get().as_bytes().to_vec()),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn items(bytes: &[u8]) -> Vec<(Option<u64>, bool)> {
        json_documents(Arc::from("t.json"), bytes)
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
