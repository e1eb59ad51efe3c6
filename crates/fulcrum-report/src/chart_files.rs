//! Charts added to a finished sweep's folder (`bands-VARIABLE.svg`), listed in its
//! `manifest.json` with their SHA-256 like the sweep's other files.

use std::fs;
use std::path::Path;

use crate::ReportError;
use crate::sweep::{FileDigest, Manifest};

/// Writes each `(file name, SVG text)` into the sweep folder `directory` and lists it in the
/// folder's manifest (once: a name listed already gets the new digest). Each chart is written
/// atomically before the manifest is rewritten, so the manifest never vouches for a file that is
/// not there with those bytes.
pub fn add_to_sweep(directory: &Path, charts: &[(String, String)]) -> Result<(), ReportError> {
    let manifest_path = directory.join("manifest.json");
    let json = fs::read(&manifest_path).map_err(|source| ReportError::Read { path: manifest_path.clone(), source })?;
    let mut manifest: Manifest = serde_json::from_slice(&json).map_err(|source| ReportError::Json {
        path: manifest_path.clone(),
        what: "not a sweep manifest",
        source,
    })?;
    for (name, svg) in charts {
        crate::write_atomically(&directory.join(name), |out| out.write_all(svg.as_bytes()))?;
        let digest = FileDigest::of(name.clone(), svg.as_bytes());
        match manifest.files.iter_mut().find(|file| file.path == *name) {
            Some(listed) => *listed = digest,
            None => manifest.files.push(digest),
        }
    }
    let mut json = serde_json::to_vec_pretty(&manifest)
        .map_err(|error| ReportError::Io { path: manifest_path.clone(), source: error.into() })?;
    json.push(b'\n');
    crate::write_atomically(&manifest_path, |out| out.write_all(&json))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn charts_are_listed_once_with_their_digests() {
        let directory = tempfile::tempdir().unwrap();
        let manifest = serde_json::json!({
            "tool": "fulcrum", "version": "0", "model": {"path": "m.toml", "sha256": "00"},
            "experiment": {"path": "e.toml", "sha256": "11"}, "intervention": null, "seed": 1,
            "sampler": "lhs", "samples": 2, "grid_points": 1, "grid": [], "design_runs": 2, "runs": [0, 2],
            "time": {"start": 0.0, "stop": 1.0, "dt": 1.0, "save_step": 1.0, "method": "euler"},
            "outcomes": [], "bands": ["x"], "quantiles": "exact", "failures": 0,
            "files": [{"path": "bands.csv", "sha256": "22"}]
        });
        fs::write(directory.path().join("manifest.json"), manifest.to_string()).unwrap();
        let charts = vec![("bands-x.svg".to_owned(), "<svg/>".to_owned())];
        add_to_sweep(directory.path(), &charts).unwrap();
        add_to_sweep(directory.path(), &[("bands-x.svg".to_owned(), "<svg></svg>".to_owned())]).unwrap();
        let read: Manifest =
            serde_json::from_slice(&fs::read(directory.path().join("manifest.json")).unwrap()).unwrap();
        let paths: Vec<&str> = read.files.iter().map(|file| file.path.as_str()).collect();
        assert_eq!(paths, ["bands.csv", "bands-x.svg"]);
        assert_eq!(read.files[1], FileDigest::of("bands-x.svg", b"<svg></svg>"));
        assert_eq!(fs::read_to_string(directory.path().join("bands-x.svg")).unwrap(), "<svg></svg>");
    }
}
