//! `cargo xtask doc`: the workspace's API documentation with every cross-crate link rendered.
//!
//! rustdoc links to another workspace crate only when that crate's pages already exist in
//! `target/doc`, and `cargo doc --workspace --no-deps` does not wait for them (each crate waits
//! for its dependencies' metadata only), so some links come out as literal `[text]`, differently
//! from run to run (rust-lang/rust#106011). This documents the workspace in dependency layers
//! (a crate after every workspace crate it depends on), then checks every index page for a link
//! left as text.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// The workspace members in layers: each depends (normal dependencies) only on earlier ones.
fn layers(root: &Path) -> Result<Vec<Vec<String>>, String> {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps", "--locked"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cargo metadata: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let meta: Value =
        serde_json::from_slice(&out.stdout).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages = meta["packages"].as_array().ok_or("no packages")?;
    let names: BTreeSet<String> = packages
        .iter()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        let local = p["dependencies"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["kind"].is_null()) // normal dependencies (not dev, not build)
            .filter_map(|d| d["name"].as_str())
            .filter(|d| names.contains(*d))
            .map(str::to_owned)
            .collect();
        deps.insert(name, local);
    }
    let mut done = BTreeSet::new();
    let mut layers = Vec::new();
    while done.len() < deps.len() {
        let layer: Vec<String> = deps
            .iter()
            .filter(|(n, d)| !done.contains(*n) && d.iter().all(|x| done.contains(x)))
            .map(|(n, _)| n.clone())
            .collect();
        if layer.is_empty() {
            return Err("a dependency cycle among workspace crates".into());
        }
        done.extend(layer.iter().cloned());
        layers.push(layer);
    }
    Ok(layers)
}

/// Every `[<code>name</code>]` (a link rustdoc left as text) on the index pages of our crates.
fn unresolved_links(doc: &Path, crates: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for krate in crates {
        let mut stack = vec![doc.join(krate.replace('-', "_"))];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.file_name().is_some_and(|n| n == "index.html") {
                    let html = std::fs::read_to_string(&path).unwrap_or_default();
                    for (i, _) in html.match_indices("[<code>") {
                        let rest = &html[i + 7..];
                        if let Some(end) = rest.find("</code>]") {
                            let name = &rest[..end];
                            if !name.is_empty()
                                && name
                                    .chars()
                                    .all(|c| c.is_alphanumeric() || "_:".contains(c))
                            {
                                found.push(format!("{}: [{name}]", path.display()));
                            }
                        }
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// Documents the workspace layer by layer (`extra` goes to the last `cargo doc`, e.g. `--open`).
pub(crate) fn run(root: &Path, extra: &[String]) -> Result<(), String> {
    let layers = layers(root)?;
    let last = layers.len() - 1;
    for (i, layer) in layers.iter().enumerate() {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.args(["doc", "--locked", "--no-deps", "--all-features"])
            .current_dir(root)
            .env("RUSTDOCFLAGS", "-Dwarnings");
        for p in layer {
            cmd.args(["-p", p]);
        }
        if i == last {
            cmd.args(extra);
        }
        eprintln!("xtask doc: layer {}: {}", i + 1, layer.join(" "));
        let status = cmd.status().map_err(|e| format!("cargo doc: {e}"))?;
        if !status.success() {
            return Err(format!("cargo doc failed ({status})"));
        }
    }
    let all: Vec<String> = layers.into_iter().flatten().collect();
    // Where cargo put the pages: $CARGO_TARGET_DIR (relative to the root) or target/.
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), |t| root.join(t));
    let doc = target.join("doc");
    if !doc.is_dir() {
        return Err(format!("no documentation in {}", doc.display()));
    }
    let left = unresolved_links(&doc, &all);
    if left.is_empty() {
        Ok(())
    } else {
        Err(format!("links rendered as text:\n{}", left.join("\n")))
    }
}
