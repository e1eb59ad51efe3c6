//! Diagnostics as users see them: each broken model in tests/diagnostics/ is checked, and what
//! `fulcrum check` prints is compared with its snapshot in tests/snapshots/.

use crate::{fulcrum, root, stderr};

#[test]
fn broken_models_get_located_diagnostics_with_stable_codes() {
    let folder = root().join("tests").join("diagnostics");
    let mut cases: Vec<_> = std::fs::read_dir(&folder)
        .expect("tests/diagnostics exists")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml" || e == "xmile" || e == "xml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 15, "the diagnostics corpus has its cases");
    for case in cases {
        let name = case.file_stem().expect("name").to_string_lossy().into_owned();
        let file = case.file_name().expect("name").to_string_lossy().into_owned();
        let relative = format!("tests/diagnostics/{file}");
        let output = fulcrum(&["check", &relative]);
        let code = output.status.code();
        assert_eq!(code, Some(1), "{name} must fail the check: {}", stderr(&output));
        assert!(!stderr(&output).contains("panicked"), "{name}");
        insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false, input_file => &case }, {
            insta::assert_snapshot!(format!("diagnostics_{name}"), stderr(&output));
        });
    }
}
