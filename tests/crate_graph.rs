//! Dependencies point one way: model ← xmile, model ← vensim, model ← sim ← explore ← sensitivity ← report ← cli. A crate may only
//! depend on the crates listed for it here (see ARCHITECTURE.md). The Python bindings (fulcrum-py)
//! sit beside the command line: they read models and run them through the same libraries, and no
//! crate depends on them.

use crate::root;

const ALLOWED: &[(&str, &[&str])] = &[
    ("fulcrum-model", &[]),
    ("fulcrum-xmile", &["fulcrum-model"]),
    ("fulcrum-vensim", &["fulcrum-model"]),
    ("fulcrum-sim", &["fulcrum-model"]),
    ("fulcrum-explore", &["fulcrum-model", "fulcrum-sim"]),
    ("fulcrum-sensitivity", &["fulcrum-model", "fulcrum-sim", "fulcrum-explore"]),
    ("fulcrum-report", &["fulcrum-model", "fulcrum-sim", "fulcrum-explore", "fulcrum-sensitivity"]),
    ("fulcrum-py", &["fulcrum-model", "fulcrum-xmile", "fulcrum-vensim", "fulcrum-sim", "fulcrum-explore"]),
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
