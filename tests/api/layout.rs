//! The shape of the code, checked: arrows between layers point down only, no module imports one
//! that imports it back, no file (outside its tests) is over about 700 lines and no function over
//! about 120. It reads the source only.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 720;
const MAX_FUNCTION_LINES: usize = 125;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    out.sort();
    out
}

/// The lines of a file before its `#[cfg(test)]` module.
fn production_lines(text: &str) -> Vec<&str> {
    text.lines()
        .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
        .collect()
}

/// The module path of a source file: `src/services/payruns/gather.rs` is `services::payruns::gather`.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(root().join("src")).expect("under src");
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts.join("::")
}

/// The modules a file imports, `crate::…` and `super::…` alike, as far as a module path goes:
/// `crate::db::pay::X` names `db::pay`, the longest prefix that is a module of the crate.
fn imports(module: &str, text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p).to_string();
    for line in production_lines(text) {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        for (marker, base) in [("crate::", String::new()), ("super::", parent.clone())] {
            let mut rest = line;
            while let Some(i) = rest.find(marker) {
                let before = rest[..i].chars().last();
                rest = &rest[i + marker.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let path: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                    .collect();
                let mut segments: Vec<&str> = base.split("::").filter(|s| !s.is_empty()).collect();
                segments.extend(path.split("::").filter(|s| !s.is_empty()));
                for n in (1..=segments.len()).rev() {
                    let candidate = segments[..n].join("::");
                    if modules.contains(&candidate) {
                        out.insert(candidate);
                        break;
                    }
                }
            }
        }
    }
    out
}

#[test]
fn layers_point_down_and_no_module_imports_one_that_imports_it_back() {
    let files = sources();
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    let graph: BTreeMap<String, BTreeSet<String>> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).expect("a source file");
            let me = module_of(f);
            let mut deps = imports(&me, &text, &modules);
            deps.retain(|d| d != &me && !me.starts_with(&format!("{d}::")));
            (me, deps)
        })
        .collect();
    let mut problems = Vec::new();
    // A module and one it imports must not import each other (a parent and its own child aside).
    for (a, deps) in &graph {
        for b in deps {
            if b.starts_with(&format!("{a}::")) {
                continue;
            }
            if graph.get(b).is_some_and(|d| d.contains(a)) && a < b {
                problems.push(format!("{a} and {b} import each other"));
            }
        }
    }
    // The layers: the domain imports no shell; the database layer no use case or HTTP; the
    // services no HTTP; nothing below the HTTP layers imports them.
    let forbidden: [(&str, &[&str]); 6] = [
        (
            "domain",
            &[
                "db", "services", "api", "web", "http", "mail", "export", "app",
            ],
        ),
        ("db", &["services", "api", "web", "http", "app"]),
        ("services", &["api", "web", "http", "app"]),
        ("mail", &["services", "api", "web", "http", "app"]),
        ("export", &["services", "api", "web", "http", "db", "app"]),
        (
            "web",
            &[
                "api::sessions",
                "api::payruns",
                "api::members",
                "api::meetings",
            ],
        ),
    ];
    for (module, deps) in &graph {
        for (layer, banned) in forbidden {
            if module == layer || module.starts_with(&format!("{layer}::")) {
                for dep in deps {
                    if banned
                        .iter()
                        .any(|b| dep == b || dep.starts_with(&format!("{b}::")))
                    {
                        problems.push(format!("{module} (in {layer}) imports {dep}"));
                    }
                }
            }
        }
    }
    for f in &files {
        let text = std::fs::read_to_string(f).expect("a source file");
        let module = module_of(f);
        if module.starts_with("domain") || module.starts_with("services") {
            for line in production_lines(&text) {
                if line.contains("actix") {
                    problems.push(format!("{module} uses actix: {}", line.trim()));
                }
            }
        }
        if module.starts_with("domain") {
            for line in production_lines(&text) {
                if line.contains("diesel") {
                    problems.push(format!("{module} uses diesel: {}", line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The functions of a file outside its tests, with their length in lines: from the `fn` line to
/// the closing brace at the same indentation.
fn functions(text: &str) -> Vec<(String, usize)> {
    let lines = production_lines(text);
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let head = trimmed
            .trim_start_matches("pub ")
            .trim_start_matches("pub(crate) ")
            .trim_start_matches("pub(super) ")
            .trim_start_matches("async ")
            .trim_start_matches("const ");
        let Some(rest) = head.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let close = format!("{}}}", " ".repeat(indent));
        let end = lines[i + 1..]
            .iter()
            .position(|l| l.trim_end() == close)
            .map_or(lines.len(), |p| i + 1 + p);
        out.push((name, end - i + 1));
    }
    out
}

#[test]
fn files_and_functions_stay_short_enough_to_read() {
    let mut problems = Vec::new();
    for f in sources() {
        let text = std::fs::read_to_string(&f).expect("a source file");
        let name = f.strip_prefix(root()).unwrap_or(&f).display().to_string();
        let n = production_lines(&text).len();
        if n > MAX_FILE_LINES {
            problems.push(format!("{name}: {n} lines outside its tests"));
        }
        for (function, lines) in functions(&text) {
            if lines > MAX_FUNCTION_LINES {
                problems.push(format!("{name}: fn {function} is {lines} lines"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checks_can_fail() {
    let long = format!("fn big() {{\n{}}}\n", "    let x = 1;\n".repeat(200));
    assert_eq!(functions(&long), [("big".to_string(), 202)]);
    let modules: BTreeSet<String> = ["db".to_string(), "db::pay".to_string()].into();
    assert_eq!(
        imports(
            "services::x",
            "use crate::db::pay::{self as rows};\nuse crate::db::now;",
            &modules
        ),
        BTreeSet::from(["db".to_string(), "db::pay".to_string()])
    );
    let modules: BTreeSet<String> = ["services".to_string(), "services::pdf".to_string()].into();
    assert_eq!(
        imports("services::statements", "use super::pdf;", &modules),
        BTreeSet::from(["services::pdf".to_string()])
    );
    assert_eq!(
        module_of(&root().join("src/services/payruns/mod.rs")),
        "services::payruns"
    );
}
