//! Finding and reading policy files: directories, imports, cycles.
//!
//! Policies are named on the command line as files or directories (every
//! `*.policy` below it, in name order). An `import` is resolved relative to
//! the importing file. Each file is read once, however often it is imported.

use crate::diag::{Diagnostic, FileId, SourceMap};
use crate::syntax::{self, ast};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

pub struct LoadedFile {
    /// The path as shown to people (relative, `..` resolved).
    pub display: String,
    pub file: FileId,
    pub ast: ast::PolicyFile,
    /// Files this one imports, as indices into [`Loaded::files`].
    pub imports: Vec<usize>,
}

pub struct Loaded {
    pub sources: SourceMap,
    /// Imports come before the files that import them.
    pub files: Vec<LoadedFile>,
    /// The organisation register's files (`.toml`), imported or found in a
    /// directory of policies, each once.
    pub registers: Vec<crate::register::RegisterFile>,
}

/// Whether `path` is an organisation register file: TOML, but not a policy
/// test (`*.test.toml`).
pub fn is_register_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".toml") && !name.ends_with(crate::authoring::test::SUFFIX)
}

/// Read the policies at `paths` and everything they import.
/// On failure, the diagnostics and the sources they point into.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, (Vec<Diagnostic>, SourceMap)> {
    load_with(paths, None)
}

/// Load a policy given as text (named `name`, its imports read relative to
/// `name`'s directory), e.g. from a test or an editor buffer.
pub fn load_text(name: &str, text: &str) -> Result<Loaded, (Vec<Diagnostic>, SourceMap)> {
    load_with(&[PathBuf::from(name)], Some(text))
}

fn load_with(paths: &[PathBuf], text: Option<&str>) -> Result<Loaded, (Vec<Diagnostic>, SourceMap)> {
    let mut loader = Loader {
        given: text.map(str::to_string),
        ..Loader::default()
    };
    let mut roots = Vec::new();
    for path in paths {
        if text.is_none() && path.is_dir() {
            let mut found = Vec::new();
            let mut visited = HashSet::new();
            visited.extend(std::fs::canonicalize(path));
            collect_policies(path, &mut found, &mut loader.diags, &mut visited);
            if found.is_empty() {
                loader.diags.push(Diagnostic::error(format!(
                    "no `.policy` files in directory `{}`",
                    path.display()
                )));
            }
            loader.from_directory.extend(
                found
                    .iter()
                    .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| tidy(p))),
            );
            roots.extend(found);
        } else {
            roots.push(path.clone());
        }
    }
    for root in roots {
        if is_register_file(&root) {
            loader.register_file(&root, None);
        } else {
            loader.file(&root, None);
        }
    }
    if loader.diags.iter().any(Diagnostic::is_error) {
        return Err((loader.diags, loader.sources));
    }
    let sources = loader.sources;
    let registers = loader.registers;
    let files = match loader.files.into_iter().collect::<Option<Vec<_>>>() {
        Some(f) => f,
        None => {
            let d = Diagnostic::error("internal error: a policy file was left half loaded");
            return Err((vec![d], sources));
        }
    };
    if let Err(d) = check_unique_ids(&files) {
        return Err((d, sources));
    }
    // Order the files so that every import precedes its importers.
    let mut order = Vec::with_capacity(files.len());
    let mut placed = vec![false; files.len()];
    fn place(i: usize, files: &[LoadedFile], placed: &mut [bool], order: &mut Vec<usize>) {
        if placed[i] {
            return;
        }
        placed[i] = true;
        for &j in &files[i].imports {
            place(j, files, placed, order);
        }
        order.push(i);
    }
    for i in 0..files.len() {
        place(i, &files, &mut placed, &mut order);
    }
    let mut new_index = vec![0; files.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    let mut slots: Vec<Option<LoadedFile>> = files.into_iter().map(Some).collect();
    let files = order
        .iter()
        .filter_map(|&old| slots[old].take())
        .map(|mut f| {
            f.imports = f.imports.iter().map(|&i| new_index[i]).collect();
            f
        })
        .collect();
    Ok(Loaded {
        sources,
        files,
        registers,
    })
}

fn collect_policies(dir: &Path, out: &mut Vec<PathBuf>, diags: &mut Vec<Diagnostic>, visited: &mut HashSet<PathBuf>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(Diagnostic::error(format!(
                "cannot read directory `{}`: {e}",
                dir.display()
            )));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            // A link back up the tree would make the walk endless.
            let Ok(real) = std::fs::canonicalize(&path) else {
                continue;
            };
            if visited.insert(real) {
                collect_policies(&path, out, diags, visited);
            }
        } else if path.extension().is_some_and(|e| e == "policy") || is_register_file(&path) {
            out.push(path);
        }
    }
}

/// `a/b/../c` → `a/c`, without touching the file system.
fn tidy(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[derive(Default)]
struct Loader {
    sources: SourceMap,
    files: Vec<Option<LoadedFile>>,
    by_path: HashMap<PathBuf, usize>,
    /// Files being loaded, to detect import cycles.
    stack: Vec<usize>,
    /// Display names of files, also while they are half loaded.
    names: HashMap<usize, String>,
    /// The text of the first file, when given rather than read.
    given: Option<String>,
    /// Files found by listing a directory (their canonical paths).
    from_directory: HashSet<PathBuf>,
    diags: Vec<Diagnostic>,
    registers: Vec<crate::register::RegisterFile>,
    register_paths: std::collections::HashSet<PathBuf>,
}

impl Loader {
    /// Load `path` (imported at `from`, if given); its index, if it loaded.
    fn file(&mut self, path: &Path, from: Option<(FileId, ast::Span)>) -> Option<usize> {
        let display = tidy(path);
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| display.clone());
        if let Some(&i) = self.by_path.get(&key) {
            if self.stack.contains(&i) {
                let chain: Vec<String> = self.stack[self.stack.iter().position(|&s| s == i).unwrap_or(0)..]
                    .iter()
                    .map(|&s| self.name_of(s))
                    .chain(std::iter::once(display.display().to_string()))
                    .collect();
                let mut d = Diagnostic::error("import cycle").note(format!("the chain: {}", chain.join(" → ")));
                if let Some((file, span)) = from {
                    d = d.at(
                        file,
                        span,
                        "this import leads back to a file that is still being loaded",
                    );
                }
                self.diags
                    .push(d.help("a policy may build on another, but two policies cannot import each other"));
            }
            return Some(i);
        }
        let read = match self.given.take() {
            Some(t) => Ok(t.into_bytes()),
            // An import, or a file found in a directory, must be a regular
            // file: a policy cannot make anskaff read a device (`/dev/zero`
            // never ends) or wait on a named pipe. A file named on the
            // command line may be a pipe (`--policy <(…)`).
            None if (from.is_some() || self.from_directory.contains(&key))
                && std::fs::metadata(path).is_ok_and(|m| !m.is_file()) =>
            {
                Err(std::io::Error::other("not a regular file"))
            }
            None => std::fs::read(path),
        };
        let what = if from.is_some() {
            "cannot read imported policy"
        } else {
            "cannot read policy"
        };
        let text = self.text(read, &display, from, what)?;
        let file = self.sources.add(display.display().to_string(), text);
        let index = self.files.len();
        self.files.push(None);
        self.by_path.insert(key, index);
        self.names.insert(index, display.display().to_string());
        let parsed = match syntax::parse_policy(self.sources.text(file), file) {
            Ok(p) => p,
            Err(d) => {
                self.diags.push(d);
                return None;
            }
        };
        self.stack.push(index);
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut imports = Vec::new();
        for item in &parsed.items {
            let ast::Item::Import(target) = item else { continue };
            let path = base.join(&target.node);
            if is_register_file(&path) {
                self.register_file(&path, Some((file, target.span)));
            } else if let Some(i) = self.file(&path, Some((file, target.span))) {
                imports.push(i);
            }
        }
        self.stack.pop();
        self.files[index] = Some(LoadedFile {
            display: display.display().to_string(),
            file,
            ast: parsed,
            imports,
        });
        Some(index)
    }

    /// The text of a file as read, or an error (`what` says what could not
    /// be read) at the import.
    fn text(
        &mut self,
        read: std::io::Result<Vec<u8>>,
        display: &Path,
        from: Option<(FileId, ast::Span)>,
        what: &str,
    ) -> Option<String> {
        match read.map(String::from_utf8) {
            Ok(Ok(t)) => Some(t),
            Ok(Err(e)) => {
                let offset = e.utf8_error().valid_up_to();
                self.error_at(
                    from,
                    format!(
                        "`{}` is not UTF-8 text (bad byte at offset {offset})",
                        display.display()
                    ),
                );
                None
            }
            Err(e) => {
                self.error_at(from, format!("{what} `{}`: {}", display.display(), io_reason(&e)));
                None
            }
        }
    }

    /// Read an organisation register file (checked with the policies).
    fn register_file(&mut self, path: &Path, from: Option<(FileId, ast::Span)>) {
        let display = tidy(path);
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| display.clone());
        if !self.register_paths.insert(key) {
            return;
        }
        let Some(text) = self.text(std::fs::read(path), &display, from, "cannot read register file") else {
            return;
        };
        let file = self.sources.add(display.display().to_string(), text);
        self.registers.push(crate::register::RegisterFile {
            file,
            display: display.display().to_string(),
        });
    }

    fn name_of(&self, i: usize) -> String {
        self.names.get(&i).cloned().unwrap_or_default()
    }

    fn error_at(&mut self, from: Option<(FileId, ast::Span)>, message: String) {
        let mut d = Diagnostic::error(message);
        if let Some((file, span)) = from {
            d = d.at(file, span, "imported here");
        }
        self.diags.push(d);
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => e.to_string(),
    }
}

fn check_unique_ids(files: &[LoadedFile]) -> Result<(), Vec<Diagnostic>> {
    let mut seen: HashMap<&str, &LoadedFile> = HashMap::new();
    let mut diags = Vec::new();
    for f in files {
        let id = f.ast.header.id.node.as_str();
        if let Some(first) = seen.get(id) {
            diags.push(
                Diagnostic::error(format!("two policy files have the id `{id}`"))
                    .at(f.file, f.ast.header.id.span, "second file with this id")
                    .also(first.file, first.ast.header.id.span, "first file with this id")
                    .help("give each policy its own id"),
            );
        } else {
            seen.insert(id, f);
        }
    }
    if diags.is_empty() { Ok(()) } else { Err(diags) }
}
