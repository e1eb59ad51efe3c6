//! Dependencies point one way: model ← xmile, model ← vensim, model ← sim ← loops ← explore ← sensitivity ← decide ← report ← cli,
//! explore ← calibrate ← report. A crate may only
//! depend on the crates listed for it here (see ARCHITECTURE.md). The Python bindings (fulcrum-py)
//! sit beside the command line: they read models and run them through the same libraries, and no
//! crate depends on them.

use crate::root;

const ALLOWED: &[(&str, &[&str])] = &[
    ("fulcrum-model", &[]),
    ("fulcrum-xmile", &["fulcrum-model"]),
    ("fulcrum-vensim", &["fulcrum-model"]),
    ("fulcrum-sim", &["fulcrum-model"]),
    // The xmile reader only for its tests, which read Stella's reference model.
    ("fulcrum-loops", &["fulcrum-model", "fulcrum-sim", "fulcrum-xmile"]),
    ("fulcrum-explore", &["fulcrum-model", "fulcrum-sim", "fulcrum-loops"]),
    ("fulcrum-sensitivity", &["fulcrum-model", "fulcrum-sim", "fulcrum-loops", "fulcrum-explore"]),
    ("fulcrum-calibrate", &["fulcrum-model", "fulcrum-sim", "fulcrum-explore"]),
    ("fulcrum-decide", &["fulcrum-model", "fulcrum-sim", "fulcrum-loops", "fulcrum-explore", "fulcrum-sensitivity"]),
    (
        "fulcrum-report",
        &[
            "fulcrum-model",
            "fulcrum-xmile",
            "fulcrum-vensim",
            "fulcrum-sim",
            "fulcrum-loops",
            "fulcrum-explore",
            "fulcrum-sensitivity",
            "fulcrum-calibrate",
            "fulcrum-decide",
        ],
    ),
    (
        "fulcrum-py",
        &[
            "fulcrum-model",
            "fulcrum-xmile",
            "fulcrum-vensim",
            "fulcrum-sim",
            "fulcrum-loops",
            "fulcrum-explore",
            "fulcrum-sensitivity",
            "fulcrum-calibrate",
            "fulcrum-decide",
            "fulcrum-report",
        ],
    ),
];

fn internal_dependencies(manifest: &str) -> Vec<String> {
    let table: toml::Table = manifest.parse().expect("valid Cargo.toml");
    let mut names = Vec::new();
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(dependencies) = table.get(section).and_then(|value| value.as_table()) {
            names.extend(dependencies.keys().filter(|name| name.starts_with("fulcrum-")).cloned());
        }
    }
    names
}

#[test]
fn library_crates_depend_only_on_the_crates_before_them() {
    for (krate, allowed) in ALLOWED {
        let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
        for dependency in internal_dependencies(&manifest) {
            assert!(allowed.contains(&dependency.as_str()), "{krate} must not depend on {dependency}");
        }
    }
}

#[test]
fn nothing_depends_on_the_python_bindings() {
    let root_manifest = std::fs::read_to_string(root().join("Cargo.toml")).expect("manifest");
    assert!(
        !internal_dependencies(&root_manifest).iter().any(|name| name == "fulcrum-py"),
        "the CLI must not depend on fulcrum-py"
    );
    for (krate, _) in ALLOWED {
        let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
        assert!(
            !internal_dependencies(&manifest).iter().any(|name| name == "fulcrum-py"),
            "{krate} must not depend on fulcrum-py"
        );
    }
}

#[test]
fn heavy_dependencies_stay_at_the_edges() {
    // The command-line crates (clap, miette, anyhow) never enter the library crates.
    for (krate, _) in ALLOWED {
        let manifest = std::fs::read_to_string(root().join("crates").join(krate).join("Cargo.toml")).expect("manifest");
        let table: toml::Table = manifest.parse().expect("valid Cargo.toml");
        let dependencies = table.get("dependencies").and_then(|d| d.as_table()).cloned().unwrap_or_default();
        for edge in ["clap", "miette", "anyhow", "indicatif"] {
            assert!(!dependencies.contains_key(edge), "{krate} must not depend on {edge}");
        }
    }
}

/// A module's path inside its crate, from its file: `src/lib.rs` is the root (`[]`),
/// `src/a/mod.rs` and `src/a.rs` are `[a]`, `src/a/b.rs` is `[a, b]`.
fn module_of(source: &std::path::Path, file: &std::path::Path) -> Vec<String> {
    let relative = file.strip_prefix(source).expect("a file under src");
    let mut parts: Vec<String> = relative.iter().map(|part| part.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.strip_suffix(".rs").unwrap_or(&last);
    if !(parts.is_empty() && (stem == "lib" || stem == "main")) && stem != "mod" {
        parts.push(stem.to_owned());
    }
    parts
}

fn rust_files(directory: &std::path::Path, files: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<std::path::PathBuf> =
        std::fs::read_dir(directory).expect("readable").map(|entry| entry.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The paths a `crate::` or `super::` prefix starts at `text`, groups expanded:
/// `a::{b, c::d}` gives `[a, b]` and `[a, c, d]`.
fn paths_at(text: &str) -> Vec<Vec<String>> {
    fn path(chars: &[char], index: &mut usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        let mut segments = prefix;
        loop {
            while chars.get(*index).is_some_and(|c| c.is_whitespace()) {
                *index += 1;
            }
            if chars.get(*index) == Some(&'{') {
                *index += 1;
                loop {
                    path(chars, index, segments.clone(), out);
                    while chars.get(*index).is_some_and(|c| c.is_whitespace()) {
                        *index += 1;
                    }
                    match chars.get(*index) {
                        Some(',') => *index += 1,
                        Some('}') => {
                            *index += 1;
                            return;
                        }
                        _ => return,
                    }
                    while chars.get(*index).is_some_and(|c| c.is_whitespace()) {
                        *index += 1;
                    }
                    if chars.get(*index) == Some(&'}') {
                        *index += 1;
                        return;
                    }
                }
            }
            let start = *index;
            while chars.get(*index).is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                *index += 1;
            }
            if *index > start {
                segments.push(chars[start..*index].iter().collect());
            }
            if chars.get(*index) == Some(&':') && chars.get(*index + 1) == Some(&':') {
                *index += 2;
                continue;
            }
            out.push(segments);
            return;
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    path(&chars, &mut 0, Vec::new(), &mut out);
    out
}

/// Which modules of a crate use which others, by the `crate::` paths written in them (and
/// `super::` ones at the top of a file). A module's uses of its ancestors or descendants are not
/// counted: a parent is its children's front, not a peer.
fn module_edges(source: &std::path::Path) -> Vec<(Vec<String>, Vec<String>, std::path::PathBuf)> {
    let mut files = Vec::new();
    rust_files(source, &mut files);
    let modules: Vec<Vec<String>> = files.iter().map(|file| module_of(source, file)).collect();
    let mut edges = Vec::new();
    for (file, module) in files.iter().zip(&modules) {
        let text = std::fs::read_to_string(file).expect("readable source");
        // A module's tests may use whatever they check it against (a writer's tests read back
        // what it wrote): the lines of a `#[cfg(test)]` module, up to its closing brace, are
        // left out.
        let (mut test_attribute, mut in_tests) = (false, false);
        for line in text.lines() {
            if in_tests {
                in_tests = line != "}";
                continue;
            }
            if line.trim() == "#[cfg(test)]" {
                test_attribute = true;
                continue;
            }
            if test_attribute && line.starts_with("mod ") && line.ends_with('{') {
                in_tests = true;
                continue;
            }
            test_attribute = false;
            // Comments and documentation name paths without depending on them.
            let code = line.split("//").next().unwrap_or("");
            let mut found: Vec<Vec<String>> = Vec::new();
            for (at, _) in code.match_indices("crate::") {
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                found.extend(paths_at(&code[at + "crate::".len()..]));
            }
            // `use super::` inside an inline module (indented) means the file's own module.
            let trimmed = code.trim_start_matches("pub ").trim_start_matches("pub(crate) ");
            if let Some(rest) = trimmed.strip_prefix("use super::") {
                let parent = module[..module.len().saturating_sub(1)].to_vec();
                for mut path in paths_at(rest) {
                    let mut full = parent.clone();
                    full.append(&mut path);
                    found.push(full);
                }
            }
            for path in found {
                let Some(target) = (0..=path.len())
                    .rev()
                    .map(|length| path[..length].to_vec())
                    .find(|prefix| modules.contains(prefix))
                else {
                    continue;
                };
                let related = target.starts_with(module) || module.starts_with(&target);
                if !related && !edges.iter().any(|(a, b, _)| a == module && *b == target) {
                    edges.push((module.clone(), target, file.clone()));
                }
            }
        }
    }
    edges
}

/// Circles of modules not broken yet, by crate folder and the modules in them. The test fails
/// when one of them is gone too, so that the list shrinks as they are broken.
const KNOWN_CIRCLES: &[(&str, &[&str])] = &[
    // The macro expander reads a macro's body with the reader, which expands the macros it calls.
    ("fulcrum-xmile", &["macros", "reader"]),
];

#[test]
fn no_crate_has_a_circle_of_modules() {
    let mut crates: Vec<&str> = ALLOWED.iter().map(|(krate, _)| *krate).collect();
    crates.push("fulcrum-cli");
    let mut circles = Vec::new();
    let mut known_found = vec![false; KNOWN_CIRCLES.len()];
    for krate in crates {
        let source = root().join("crates").join(krate).join("src");
        let edges = module_edges(&source);
        let name = |module: &Vec<String>| if module.is_empty() { "crate".to_owned() } else { module.join("::") };
        // A circle is an edge a → b with a path back from b to a.
        for (from, to, file) in &edges {
            let mut seen = vec![to.clone()];
            let mut trail: Vec<(Vec<String>, Vec<Vec<String>>)> = vec![(to.clone(), vec![to.clone()])];
            while let Some((at, route)) = trail.pop() {
                if at == *from {
                    let names: Vec<String> = std::iter::once(from).chain(&route).map(name).collect();
                    let known = KNOWN_CIRCLES.iter().position(|(known_crate, modules)| {
                        *known_crate == krate && names.iter().all(|module| modules.contains(&module.as_str()))
                    });
                    match known {
                        Some(index) => known_found[index] = true,
                        None => circles.push(format!("{krate}: {} (from {})", names.join(" → "), file.display())),
                    }
                    break;
                }
                for (a, b, _) in &edges {
                    if *a == at && !seen.contains(b) {
                        seen.push(b.clone());
                        let mut next = route.clone();
                        next.push(b.clone());
                        trail.push((b.clone(), next));
                    }
                }
            }
        }
    }
    assert!(circles.is_empty(), "modules that use each other, directly or around a circle:\n{}", circles.join("\n"));
    for ((krate, modules), found) in KNOWN_CIRCLES.iter().zip(known_found) {
        assert!(found, "{krate}: {modules:?} no longer form a circle; remove them from KNOWN_CIRCLES");
    }
}

#[test]
fn circles_of_modules_are_found() {
    // Two sibling modules that use each other, and a child that uses its parent (not a circle).
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path();
    std::fs::create_dir_all(source.join("verbs")).expect("dir");
    std::fs::write(source.join("lib.rs"), "mod a;\nmod b;\nmod verbs;\n").expect("write");
    std::fs::write(source.join("a.rs"), "use crate::{b::Thing, verbs::run};\n").expect("write");
    std::fs::write(source.join("b.rs"), "pub struct Thing;\n// use crate::a;\n").expect("write");
    std::fs::write(source.join("verbs/mod.rs"), "pub mod run;\npub fn shared() {}\n").expect("write");
    std::fs::write(source.join("verbs/run.rs"), "use super::shared;\nfn f() { crate::a::g(); }\n").expect("write");
    let edges: Vec<(String, String)> =
        module_edges(source).into_iter().map(|(a, b, _)| (a.join("::"), b.join("::"))).collect();
    assert_eq!(
        edges,
        [("a", "b"), ("a", "verbs::run"), ("verbs::run", "a")].map(|(a, b)| (a.to_owned(), b.to_owned()))
    );
}
