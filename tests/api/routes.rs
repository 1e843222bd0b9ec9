//! Every place the code sends people, and every endpoint the docs name, is served by a route. This
//! reads the source and the docs only: the routes declared with `web::resource(...)` (under
//! `/api/v1` in `src/api/`), the links built for emails (`"{}/path?..."`), the portal's own links,
//! form actions and redirects, and `GET /api/v1/...` in README.md and docs/.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a folder of the project") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path reduced to its shape: no query or fragment, no trailing slash, every `{param}`, id or
/// `$VAR` as `{}`.
fn shape(p: &str) -> String {
    let p = p.split(['?', '#']).next().unwrap_or_default();
    let p = p.trim_end_matches('/');
    let p = if p.is_empty() { "/" } else { p };
    p.split('/')
        .map(|seg| {
            let id_like = seg.len() == 36 && seg.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
            if seg.starts_with('{') || seg.starts_with('$') || seg.starts_with('<') || id_like {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The quoted strings that follow `marker` in `text` (`resource("/a")`, `resource(["/a", "/b"])`).
fn quoted_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(marker) {
        rest = &rest[i + marker.len()..];
        let args = rest.trim_start();
        let list = if let Some(inner) = args.strip_prefix('[') {
            &inner[..inner.find(']').unwrap_or(0)]
        } else {
            &args[..args.find(')').unwrap_or(0)]
        };
        let mut parts = list.split('"');
        parts.next();
        while let Some(s) = parts.next() {
            out.push(s);
            parts.next();
        }
    }
    out
}

fn routes() -> BTreeSet<String> {
    let mut sources = Vec::new();
    files(&root().join("src"), "rs", &mut sources);
    let mut shapes = BTreeSet::new();
    for f in &sources {
        let text = std::fs::read_to_string(f).expect("a source file");
        let in_api = f.starts_with(root().join("src/api"));
        let declared = [
            quoted_after(&text, "resource("),
            quoted_after(&text, "web::redirect("),
            quoted_after(&text, "SwaggerUi::new("),
        ];
        for p in declared.concat() {
            shapes.insert(shape(p));
            if in_api {
                shapes.insert(shape(&format!("/api/v1{p}")));
            }
        }
    }
    shapes
}

/// Paths in `text` that start right after `prefix` and run to `end`.
fn paths_after(text: &str, prefix: &str, end: char) -> Vec<String> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let path = &rest[..rest.find(end)?];
            path.starts_with('/').then(|| path.to_string())
        })
        .collect()
}

#[test]
fn every_link_form_redirect_and_documented_endpoint_has_a_route() {
    let served = routes();
    assert!(served.contains("/api/v1/pay-runs/{}"), "{served:?}");
    let mut sources = Vec::new();
    files(&root().join("src"), "rs", &mut sources);
    let mut missing = Vec::new();
    for f in &sources {
        let text = std::fs::read_to_string(f).expect("a source file");
        let name = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        let mut wanted: Vec<String> = Vec::new();
        // Links for emails: "{}/path?..." and "{base_url}/path".
        for (i, _) in text.match_indices("\"{") {
            let rest = &text[i + 2..];
            let Some(close) = rest.find('}') else {
                continue;
            };
            let name_ok = rest[..close]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c == '_');
            let after = &rest[close + 1..];
            if name_ok && after.starts_with('/') {
                let end = after.find(['"', '?', '#']).unwrap_or(after.len());
                wanted.push(after[..end].to_string());
            }
        }
        if f.starts_with(root().join("src/web")) {
            wanted.extend(paths_after(&text, "href=\"", '"'));
            wanted.extend(paths_after(&text, "action=\"", '"'));
            wanted.extend(paths_after(&text, "redirect(\"", '"'));
            // maud: href={ "/runs/" (id) } and action={ "/runs/" (id) "/approve" }.
            for marker in ["href={ \"", "action={ \""] {
                for (i, _) in text.match_indices(marker) {
                    let rest = &text[i + marker.len() - 1..];
                    let Some(end) = rest.find('}') else { continue };
                    let expr = &rest[..end];
                    let joined: String = expr
                        .split('"')
                        .enumerate()
                        .map(|(n, part)| {
                            if n % 2 == 1 {
                                part.to_string()
                            } else if part.trim().is_empty() {
                                String::new()
                            } else {
                                "{}".into()
                            }
                        })
                        .collect();
                    if joined.starts_with('/') {
                        wanted.push(joined);
                    }
                }
            }
        }
        for path in wanted {
            let p = shape(&path);
            if p.contains('.') && !p.ends_with(".css") && !p.ends_with(".svg") {
                continue;
            }
            if !served.contains(&p) {
                missing.push(format!("{name}: a link to {path} that no route serves"));
            }
        }
    }
    let mut docs = vec![root().join("README.md")];
    files(&root().join("docs"), "md", &mut docs);
    for f in &docs {
        let text = std::fs::read_to_string(f).expect("a document");
        let name = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            for (i, _) in text.match_indices(&format!("{method} ")) {
                let before = text[..i].chars().last();
                if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                    continue;
                }
                let rest = text[i + method.len() + 1..].trim_start_matches('`');
                if !rest.starts_with('/') {
                    continue;
                }
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "_-/{}.".contains(c)))
                    .unwrap_or(rest.len());
                let path = rest[..end].trim_end_matches('.');
                let candidates = if path.starts_with("/api/")
                    || ["/health", "/ready", "/metrics"].contains(&path)
                {
                    vec![shape(path)]
                } else {
                    vec![shape(path), shape(&format!("/api/v1{path}"))]
                };
                if !candidates.iter().any(|c| served.contains(c)) {
                    missing.push(format!(
                        "{name}: {method} {path} is documented but no route serves it"
                    ));
                }
            }
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn shapes_ignore_ids_and_queries() {
    assert_eq!(shape("/runs/{id}/export?format=csv"), "/runs/{}/export");
    assert_eq!(
        shape("/api/v1/members/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/"),
        "/api/v1/members/{}"
    );
    assert_eq!(shape("/"), "/");
    assert_eq!(
        quoted_after("resource([\"/a\", \"/b\"])", "resource("),
        ["/a", "/b"]
    );
}
