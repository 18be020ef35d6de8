//! The crate graph carries the architecture (ARCHITECTURE.md, "Invariants"):
//! these tests fail when a dependency edge breaks it.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use ecabinet_tests::workspace_root;

/// Workspace package name -> names of its normal (non-dev, non-build) dependencies.
fn dependency_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let mut graph = BTreeMap::new();
    for pkg in meta["packages"].as_array().expect("packages") {
        let deps = pkg["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .map(|d| d["name"].as_str().unwrap_or_default().to_string())
            .collect();
        graph.insert(pkg["name"].as_str().unwrap_or_default().to_string(), deps);
    }
    graph
}

fn check_absent(graph: &BTreeMap<String, BTreeSet<String>>, pkg: &str, forbidden: &[&str]) {
    let Some(deps) = graph.get(pkg) else { return };
    for f in forbidden {
        assert!(!deps.contains(*f), "{pkg} must not depend on {f}");
    }
}

#[test]
fn model_is_pure() {
    let graph = dependency_graph();
    let model = graph.get("ecabinet-model").expect("model crate exists");
    let allowed: BTreeSet<&str> = ["thiserror", "sha2", "uuid"].into();
    for dep in model {
        assert!(
            allowed.contains(dep.as_str()),
            "ecabinet-model must stay free of IO and serialisation, but depends on {dep}"
        );
    }
}

#[test]
fn only_the_shell_knows_tauri() {
    let graph = dependency_graph();
    for (pkg, deps) in &graph {
        if pkg != "ecabinet-app" {
            assert!(
                !deps.iter().any(|d| d.starts_with("tauri")),
                "{pkg} depends on tauri; only src-tauri may"
            );
        }
    }
}

#[test]
fn the_server_never_depends_on_client_crates() {
    let graph = dependency_graph();
    check_absent(
        &graph,
        "ecabinet-server",
        &[
            "ecabinet-store",
            "ecabinet-sync",
            "ecabinet-pdf",
            "ecabinet-app",
        ],
    );
}

#[test]
fn core_crates_do_not_depend_on_the_shell() {
    let graph = dependency_graph();
    for pkg in graph.keys().filter(|p| p.as_str() != "ecabinet-app") {
        check_absent(&graph, pkg, &["ecabinet-app"]);
    }
}

/// One crate's modules and the modules each one names (`crate::…`,
/// `super::…`), outside comments and the unit tests at a file's end. A node
/// is a top-level module, or one level deeper under a folder of peers such
/// as the server's `routes` or the shell's `commands`.
struct Modules {
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl Modules {
    fn of(src: &str, peers: &[&str]) -> Self {
        let root = workspace_root().join(src);
        let mut files = Vec::new();
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("source folder reads") {
                let path = entry.expect("folder entry").path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let node = |path: &[String]| -> Option<String> {
            let first = path.first()?;
            match path.get(1) {
                Some(second) if peers.contains(&first.as_str()) => {
                    Some(format!("{first}::{second}"))
                }
                _ => Some(first.clone()),
            }
        };
        let mut files_by_node: Vec<(String, Vec<String>, String)> = Vec::new();
        for file in files {
            let rel = file.strip_prefix(&root).expect("under the source folder");
            let mut path: Vec<String> = rel
                .iter()
                .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned())
                .collect();
            if path.last().is_some_and(|l| l == "mod") {
                path.pop();
            }
            if path.len() == 1 && (path[0] == "lib" || path[0] == "main") || path[0] == "bin" {
                continue;
            }
            let Some(me) = node(&path) else { continue };
            let text = std::fs::read_to_string(&file).expect("source reads");
            let code: String = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            files_by_node.push((me, path, code));
        }
        let known: BTreeSet<String> = files_by_node.iter().map(|(n, _, _)| n.clone()).collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (me, path, code) in &files_by_node {
            let entry = edges.entry(me.clone()).or_default();
            for (base, rest) in [
                ("crate::", Vec::new()),
                ("super::", path[..path.len() - 1].to_vec()),
            ] {
                for named in paths_after(code, base) {
                    let mut full = rest.clone();
                    full.extend(named);
                    if let Some(target) = node(&full) {
                        if &target != me && known.contains(&target) {
                            entry.insert(target);
                        }
                    }
                }
            }
        }
        Modules { edges }
    }

    /// A cycle of imports, if there is one, as `a -> b -> … -> a`.
    fn cycle(&self) -> Option<String> {
        fn visit<'a>(
            m: &'a Modules,
            at: &'a str,
            stack: &mut Vec<&'a str>,
            done: &mut BTreeSet<&'a str>,
        ) -> Option<String> {
            if let Some(i) = stack.iter().position(|s| *s == at) {
                let mut ring = stack[i..].to_vec();
                ring.push(at);
                return Some(ring.join(" -> "));
            }
            if !done.insert(at) {
                return None;
            }
            stack.push(at);
            for next in m.edges.get(at).into_iter().flatten() {
                if let Some(c) = visit(m, next, stack, done) {
                    return Some(c);
                }
            }
            stack.pop();
            None
        }
        let mut done = BTreeSet::new();
        self.edges
            .keys()
            .find_map(|k| visit(self, k, &mut Vec::new(), &mut done))
    }
}

/// The module paths named after each `base` in `code`: `crate::a::b` gives
/// `[a, b]`, `crate::{a, b::c}` gives `[a]` and `[b, c]`.
fn paths_after(code: &str, base: &str) -> Vec<Vec<String>> {
    fn ident(s: &str) -> (&str, &str) {
        let end = s
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(s.len());
        (&s[..end], &s[end..])
    }
    /// Paths in `s` (a path or a `{…}` group), prefixed with `prefix`.
    fn read(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let s = s.trim_start();
        if let Some(group) = s.strip_prefix('{') {
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        read(&group[start..i], prefix.clone(), out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        read(&group[start..i], prefix.clone(), out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let (name, tail) = ident(s);
        if name.is_empty() || name == "self" {
            if !prefix.is_empty() {
                out.push(prefix);
            }
            return;
        }
        let mut path = prefix;
        path.push(name.to_owned());
        match tail.strip_prefix("::") {
            Some(more) => read(more, path, out),
            None => out.push(path),
        }
    }
    let mut out = Vec::new();
    for (i, _) in code.match_indices(base) {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        read(&code[i + base.len()..], Vec::new(), &mut out);
    }
    out
}

#[test]
fn no_module_imports_itself_through_a_ring() {
    let mut rings = Vec::new();
    for (src, peers) in [
        ("crates/server/src", &["routes"][..]),
        ("crates/sync/src", &[][..]),
        ("crates/store/src", &[][..]),
        ("crates/pdf/src", &[][..]),
        ("crates/cli/src", &[][..]),
        ("src-tauri/src", &["commands"][..]),
    ] {
        let modules = Modules::of(src, peers);
        assert!(!modules.edges.is_empty(), "{src}: modules found");
        if let Some(ring) = modules.cycle() {
            rings.push(format!("{src}: {ring}"));
        }
    }
    assert!(rings.is_empty(), "import cycles: {rings:#?}");
}

#[test]
fn route_modules_never_import_other_route_modules() {
    let modules = Modules::of("crates/server/src", &["routes"]);
    let mut breaks = Vec::new();
    for (from, to) in &modules.edges {
        if from.starts_with("routes::") {
            breaks.extend(
                to.iter()
                    .filter(|t| t.starts_with("routes::"))
                    .map(|t| format!("{from} -> {t}")),
            );
        }
    }
    assert!(
        modules
            .edges
            .keys()
            .filter(|k| k.starts_with("routes::"))
            .count()
            > 5
    );
    assert!(
        breaks.is_empty(),
        "route modules importing route modules: {breaks:?}"
    );
}

/// The store owns the cache's schema: no other client crate holds a SQL
/// statement or reaches into the cache's transaction (`Store::read`/`write`
/// are for the store's own typed queries and for tests).
#[test]
fn only_the_store_holds_cache_sql() {
    const SIGNS: [&str; 8] = [
        "SELECT ",
        "INSERT INTO",
        "DELETE FROM",
        "UPDATE ",
        "prepare_cached(",
        "query_row(",
        ".read(|",
        ".write(|",
    ];
    let mut found = Vec::new();
    let mut files = 0;
    for src in [
        "src-tauri/src",
        "crates/sync/src",
        "crates/cli/src",
        "crates/pdf/src",
    ] {
        let mut dirs = vec![workspace_root().join(src)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("source folder reads") {
                let path = entry.expect("folder entry").path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                files += 1;
                let text = std::fs::read_to_string(&path).expect("source reads");
                for (n, line) in text
                    .lines()
                    .take_while(|l| l.trim() != "#[cfg(test)]")
                    .enumerate()
                    .filter(|(_, l)| !l.trim_start().starts_with("//"))
                {
                    if let Some(sign) = SIGNS.iter().find(|s| line.contains(*s)) {
                        found.push(format!("{}:{}: {sign}", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(files > 20, "client sources found: {files}");
    assert!(found.is_empty(), "cache SQL outside the store: {found:#?}");
}

/// The shell's view modules read the cache and nothing else: they take a
/// `&Store`, never the app's state (which holds the session, the PDF engine
/// and the open documents), so a view cannot open, sync or keep anything.
#[test]
fn shell_view_modules_take_a_store_never_the_app_state() {
    for file in ["src-tauri/src/views.rs", "src-tauri/src/floor.rs"] {
        let text = std::fs::read_to_string(workspace_root().join(file)).expect("source reads");
        let code: Vec<&str> = text
            .lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect();
        assert!(
            code.iter().any(|l| l.contains("&Store")),
            "{file}: no view over a &Store found"
        );
        let uses: Vec<&&str> = code.iter().filter(|l| l.contains("AppState")).collect();
        assert!(uses.is_empty(), "{file} reaches for AppState: {uses:#?}");
    }
}
