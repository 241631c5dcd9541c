//! Tools for policy authors: a formatter, a validator, a test runner with
//! coverage, and a diff between two versions of a policy. Each is a library
//! module here; `src/cli` only parses arguments and prints.

pub mod diff;
pub mod fmt;
pub mod interval;
pub mod test;
pub mod validate;

use std::path::{Path, PathBuf};

/// Every file below `paths` whose name ends with `suffix`, in name order
/// (a path that names a file is taken as it is). Hidden directories and
/// build output (`target`) are not searched. Paths that cannot be read are
/// returned as messages.
pub fn find_files(paths: &[PathBuf], suffix: &str) -> (Vec<PathBuf>, Vec<String>) {
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut visited = std::collections::HashSet::new();
            visited.extend(std::fs::canonicalize(path));
            walk(path, suffix, &mut found, &mut problems, &mut visited);
        } else if path.is_file() {
            found.push(path.clone());
        } else {
            problems.push(format!("`{}`: no such file or directory", path.display()));
        }
    }
    // `./x.policy` is shown as `x.policy`.
    let found = found
        .into_iter()
        .map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p))
        .collect::<Vec<_>>();
    (dedup(found), problems)
}

fn walk(
    dir: &Path,
    suffix: &str,
    found: &mut Vec<PathBuf>,
    problems: &mut Vec<String>,
    visited: &mut std::collections::HashSet<PathBuf>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("cannot read directory `{}`: {e}", dir.display()));
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            // A symbolic link back up the tree is followed once, not forever.
            let first_visit = std::fs::canonicalize(&path).is_ok_and(|real| visited.insert(real));
            if !name.starts_with('.') && name != "target" && first_visit {
                walk(&path, suffix, found, problems, visited);
            }
        } else if name.ends_with(suffix) {
            found.push(path);
        }
    }
}

fn dedup(mut paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    paths.retain(|p| seen.insert(p.clone()));
    paths
}
