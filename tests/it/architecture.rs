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
