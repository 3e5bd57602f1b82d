//! The project folder as a boundary. Every path an agent names — in an `fs/*` request, in a
//! permission request's locations or raw input — is resolved here before ClawBox acts on it:
//! `..` is refused outright, relative paths are taken from the project folder, symlinks are
//! resolved, and what is left must lie inside the (canonical) folder.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::Error;

/// The canonical project folder an agent session is confined to.
#[derive(Debug, Clone)]
pub struct ProjectRoot {
    root: PathBuf,
}

impl ProjectRoot {
    /// The folder must exist; it is canonicalised (symlinks resolved) once, here.
    pub fn new(dir: &Path) -> Result<ProjectRoot, Error> {
        let root = std::fs::canonicalize(dir).map_err(|error| Error::Project {
            path: dir.to_path_buf(),
            message: format!("cannot open it ({error})"),
        })?;
        if !root.is_dir() {
            return Err(Error::Project {
                path: dir.to_path_buf(),
                message: "it is not a folder".into(),
            });
        }
        Ok(ProjectRoot { root })
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `path` as a real path inside the project, or why not. The file need not exist (a write
    /// may create it); its nearest existing ancestor is canonicalised, so a symlink anywhere
    /// on the way out of the folder is caught.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, String> {
        if path.as_os_str().is_empty() {
            return Err("the path is empty".into());
        }
        if path
            .components()
            .any(|part| matches!(part, Component::ParentDir))
        {
            return Err("paths with `..` are refused".into());
        }
        // Agents expand these themselves (Claude Code turns `~/x` into the home folder's x):
        // read as a folder named `~` inside the project, they would pass for inside.
        let text = path.to_string_lossy();
        if text.starts_with('~') || text.contains('$') {
            return Err("paths with `~` or `$` are refused".into());
        }
        let joined = if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        };
        let mut existing = joined.as_path();
        let mut rest = Vec::new();
        let real = loop {
            match std::fs::canonicalize(existing) {
                Ok(real) => break real,
                // A symlink whose target does not exist: writing through it would create the
                // target, wherever it points.
                Err(_) if std::fs::symlink_metadata(existing).is_ok() => {
                    return Err("it is a link to something that does not exist".into());
                }
                // A symlink whose target does not exist: writing through it would create the
                // target, wherever it points.
                Err(_) if std::fs::symlink_metadata(existing).is_ok() => {
                    return Err("it is a link to something that does not exist".into());
                }
                Err(_) => {
                    let (Some(parent), Some(name)) = (existing.parent(), existing.file_name())
                    else {
                        return Err("no part of the path exists".into());
                    };
                    rest.push(name.to_owned());
                    existing = parent;
                }
            }
        };
        let mut resolved = real;
        for name in rest.into_iter().rev() {
            resolved.push(name);
        }
        if resolved.starts_with(&self.root) {
            Ok(resolved)
        } else {
            Err(format!(
                "it is outside the project folder {}",
                self.root.display()
            ))
        }
    }

    /// The first path in `paths` that is not inside the project, with the reason.
    pub fn first_outside<'a>(&self, paths: &'a [String]) -> Option<(&'a str, String)> {
        paths.iter().find_map(|path| {
            self.resolve(Path::new(path))
                .err()
                .map(|why| (path.as_str(), why))
        })
    }

    /// `path` relative to the project, for showing (falls back to the path as given).
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

/// The file paths a tool call names: its `locations`, and the paths in its raw input that agents
/// are known to use (`file_path`/`path`/`notebook_path`, Codex's `changes` map, and the files of
/// an `apply_patch` text). An agent applying an approved patch itself writes wherever these
/// point, so a permission is judged on all of them.
pub fn paths_in(locations: &[PathBuf], raw_input: Option<&Value>) -> Vec<String> {
    let mut paths: Vec<String> = locations
        .iter()
        .map(|path| path.display().to_string())
        .collect();
    if let Some(input) = raw_input {
        collect(input, &mut paths, 0);
    }
    paths.sort();
    paths.dedup();
    paths
}

const PATH_KEYS: [&str; 9] = [
    "file_path",
    "filePath",
    "path",
    "notebook_path",
    "move_path",
    "movePath",
    "cwd",
    "dir",
    "workdir",
];
const PATCH_MARKERS: [&str; 4] = [
    "*** Add File: ",
    "*** Update File: ",
    "*** Delete File: ",
    "*** Move to: ",
];

fn collect(value: &Value, paths: &mut Vec<String>, depth: usize) {
    // Raw input is the agent's; bound the walk so a hostile one cannot recurse ClawBox away.
    if depth > 8 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if PATH_KEYS.contains(&key.as_str())
                    && let Value::String(path) = item
                {
                    paths.push(path.clone());
                }
                if key == "changes"
                    && let Value::Object(changes) = item
                {
                    paths.extend(changes.keys().cloned());
                }
                if key == "paths"
                    && let Value::Array(listed) = item
                {
                    paths.extend(listed.iter().filter_map(Value::as_str).map(str::to_owned));
                }
                // A search pattern that starts at the root or the home folder names where it looks.
                if key == "pattern"
                    && let Value::String(pattern) = item
                    && (pattern.starts_with('/') || pattern.starts_with('~'))
                {
                    paths.push(pattern.clone());
                }
                collect(item, paths, depth + 1);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect(item, paths, depth + 1)),
        Value::String(text) if text.contains("*** Begin Patch") => {
            for line in text.lines() {
                if let Some(path) = PATCH_MARKERS
                    .iter()
                    .find_map(|marker| line.strip_prefix(marker))
                {
                    paths.push(path.trim().to_owned());
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_outside_and_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let project = dir.path().join("project");
        std::fs::create_dir_all(project.join("src")).expect("mkdir");
        std::fs::write(dir.path().join("secret.txt"), "x").expect("write");
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), project.join("link.txt"))
            .expect("symlink");
        std::os::unix::fs::symlink(dir.path(), project.join("up")).expect("symlink");
        let root = ProjectRoot::new(&project).expect("root");

        assert!(
            root.resolve(Path::new("src/new.rs")).is_ok(),
            "a new file inside"
        );
        assert!(
            root.resolve(&project.join("src/a/b/c.txt")).is_ok(),
            "new folders inside"
        );
        assert!(
            root.resolve(Path::new("../secret.txt"))
                .unwrap_err()
                .contains("..")
        );
        assert!(root.resolve(&project.join("src/../../secret.txt")).is_err());
        assert!(
            root.resolve(&dir.path().join("secret.txt"))
                .unwrap_err()
                .contains("outside")
        );
        assert!(
            root.resolve(Path::new("link.txt")).is_err(),
            "a symlink to a file outside"
        );
        assert!(
            root.resolve(Path::new("up/secret.txt")).is_err(),
            "through a symlinked folder"
        );
        assert!(
            root.resolve(Path::new("up/new.txt")).is_err(),
            "a new file through a symlinked folder"
        );
        assert!(root.resolve(Path::new("/etc/passwd")).is_err());
        assert!(root.resolve(Path::new("")).is_err());
        assert!(
            root.resolve(Path::new("~/.aws/credentials"))
                .unwrap_err()
                .contains('~')
        );
        assert!(root.resolve(Path::new("$HOME/.ssh")).is_err());
        // A dangling link: writing through it would create its target outside.
        std::os::unix::fs::symlink(dir.path().join("not-yet.txt"), project.join("dangling.md"))
            .expect("symlink");
        assert!(
            root.resolve(Path::new("dangling.md"))
                .unwrap_err()
                .contains("does not exist")
        );
    }

    #[test]
    fn paths_from_locations_raw_input_and_patches() {
        let raw = serde_json::json!({
            "file_path": "/p/a.txt",
            "changes": { "/p/b.txt": { "add": { "content": "x" } } },
            "nested": [{ "input": "*** Begin Patch\n*** Add File: ../c.txt\n+x\n*** Update File: d.txt\n*** Move to: /tmp/e.txt\n*** End Patch\n" }]
        });
        let paths = paths_in(&[PathBuf::from("/p/loc.txt")], Some(&raw));
        assert_eq!(
            paths,
            [
                "../c.txt",
                "/p/a.txt",
                "/p/b.txt",
                "/p/loc.txt",
                "/tmp/e.txt",
                "d.txt"
            ]
        );
        let search = serde_json::json!({"pattern": "/home/*/.ssh/*", "path": "~/.aws", "paths": ["x", "/y"], "cwd": "/z"});
        assert_eq!(
            paths_in(&[], Some(&search)),
            ["/home/*/.ssh/*", "/y", "/z", "x", "~/.aws"]
        );
        let relative = serde_json::json!({"pattern": "**/*.rs"});
        assert!(
            paths_in(&[], Some(&relative)).is_empty(),
            "a relative pattern stays in the folder"
        );
    }
}
