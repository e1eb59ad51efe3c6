//! Every bundled model checks clean, runs, and is documented.

use crate::{bundled_models, fulcrum, stderr, stdout};

#[test]
fn every_bundled_model_checks_and_runs() {
    let models = bundled_models();
    assert!(models.len() >= 3, "models/ holds the bundled models");
    for model in models {
        let path = model.to_str().expect("utf-8 path");
        let check = fulcrum(&["check", path]);
        assert!(check.status.success(), "{path}: {}", stderr(&check));
        assert!(stderr(&check).is_empty(), "{path} has warnings: {}", stderr(&check));
        let run = fulcrum(&["run", path]);
        assert!(run.status.success(), "{path}: {}", stderr(&run));
        assert!(stdout(&run).lines().count() > 2, "{path}");
        for method in ["rk2", "rk4"] {
            let run = fulcrum(&["run", path, "--method", method]);
            assert!(run.status.success(), "{path} with {method}: {}", stderr(&run));
        }
    }
}

#[test]
fn every_bundled_model_has_a_readme_describing_its_stocks() {
    for model in bundled_models() {
        let folder = model.parent().expect("folder");
        let readme = std::fs::read_to_string(folder.join("README.md")).unwrap_or_default();
        assert!(readme.contains("## Stocks"), "{} needs a README with a Stocks section", folder.display());
        assert!(readme.contains("## Expected behavior"), "{} needs an Expected behavior section", folder.display());
    }
}
