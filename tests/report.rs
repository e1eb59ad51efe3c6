//! `fulcrum report`: one self-contained HTML page from output folders of every kind.

use std::path::Path;

use crate::{fulcrum, root, stderr};

const EXPERIMENT: &str = "models/ai_lever/experiment.toml";

/// Writes a small output folder of each kind for the bundled AI model into `scratch`, from the
/// repository root (so that the manifests' `models/ai_lever/experiment.toml` is found again).
fn outputs_of_every_kind(scratch: &Path) -> Vec<(&'static str, String)> {
    let folder = |name: &str| scratch.join(name).to_str().expect("utf-8").to_owned();
    std::fs::create_dir_all(scratch.join("run")).expect("run folder");
    let run_csv = scratch.join("run/run.csv").to_str().expect("utf-8").to_owned();
    let run_svg = scratch.join("run/run.svg").to_str().expect("utf-8").to_owned();
    let commands: [(&str, Vec<String>); 5] = [
        ("sweep", vec!["sweep".into(), EXPERIMENT.into(), "-o".into(), folder("sweep"), "--runs".into(), "20".into()]),
        (
            "leverage",
            vec![
                "leverage".into(),
                EXPERIMENT.into(),
                "-o".into(),
                folder("leverage"),
                "--futures".into(),
                "10".into(),
                "--no-cross-check".into(),
            ],
        ),
        (
            "compare",
            vec!["compare".into(), EXPERIMENT.into(), "-o".into(), folder("compare"), "--futures".into(), "8".into()],
        ),
        (
            "sensitivity",
            vec![
                "sensitivity".into(),
                EXPERIMENT.into(),
                "--method".into(),
                "oat".into(),
                "-o".into(),
                folder("sensitivity"),
            ],
        ),
        (
            "run",
            vec![
                "run".into(),
                "--experiment".into(),
                EXPERIMENT.into(),
                "-o".into(),
                run_csv,
                "--chart".into(),
                run_svg,
            ],
        ),
    ];
    commands
        .into_iter()
        .map(|(kind, args)| {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = fulcrum(&args);
            assert!(output.status.success(), "{kind}: {}", stderr(&output));
            (kind, folder(kind))
        })
        .collect()
}

/// Writes the report of `folders` and returns its text.
fn report(folders: &[&str], page: &Path) -> String {
    let mut args = vec!["report"];
    args.extend(folders);
    args.extend(["-o", page.to_str().expect("utf-8")]);
    let output = fulcrum(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::read_to_string(page).expect("the page is written")
}

/// The SVG files of a folder, with their text.
fn charts_of(folder: &str) -> Vec<(String, String)> {
    let mut charts: Vec<(String, String)> = std::fs::read_dir(folder)
        .expect("folder")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "svg"))
        .map(|path| (path.display().to_string(), std::fs::read_to_string(&path).expect("svg text")))
        .collect();
    charts.sort();
    charts
}

/// Nothing on the page points outside it.
fn assert_self_contained(page: &str) {
    for external in ["http", "src=", "href=", "url(", "@import", "<link", "<script", "<iframe", "<img"] {
        assert!(!page.contains(external), "the page holds `{external}`");
    }
}

#[test]
fn a_report_from_each_kind_of_folder_holds_its_sections_and_embeds_every_chart() {
    let scratch = tempfile::tempdir().expect("scratch");
    let folders = outputs_of_every_kind(scratch.path());
    let always = ["id=\"question\"", "id=\"assumptions\"", "id=\"findings\"", "id=\"settings\""];
    for (kind, folder) in &folders {
        let page = report(&[folder], &scratch.path().join(format!("{kind}.html")));
        assert_self_contained(&page);
        for section in always {
            assert!(page.contains(section), "{kind}: no {section}");
        }
        let own = match *kind {
            "sweep" => "id=\"fan-charts\"",
            "leverage" => "id=\"leverage\"",
            "compare" => "id=\"comparison\"",
            "sensitivity" => "id=\"sensitivity\"",
            _ => "id=\"run-charts\"",
        };
        assert!(page.contains(own), "{kind}: no {own}");
        let charts = charts_of(folder);
        assert!(!charts.is_empty(), "{kind} wrote no chart");
        assert_eq!(page.matches("<svg").count(), charts.len(), "{kind}: one <svg> per chart file");
        for (path, svg) in &charts {
            // Everything after the opening tag, which the page rewrites (no namespace, a label).
            let body = svg.split_once('\n').map_or("", |(_, body)| body).trim_end();
            assert!(body.len() > 100 && page.contains(body), "{kind}: {path} is not embedded");
        }
        if *kind == "run" {
            assert!(page.contains("a run's CSV names no model file or units"), "a run says what it does not record");
        } else {
            // The assumptions and the model, read from the experiment the manifest records.
            for expected in
                ["Base AI Capability", "triangular 0.250 to 0.550", "cases/person/month", "Autonomy Envelope"]
            {
                assert!(page.contains(expected), "{kind}: no `{expected}`");
            }
            // The settings that reproduce it: the seed, the version, the experiment's digest.
            let seed = if *kind == "sweep" { "seed" } else { "settings.seed" };
            assert!(page.contains(&format!("<dt>{seed}</dt><dd><code>2025</code></dd>")), "{kind}: no seed");
            assert!(page.contains("<dt>version</dt>"), "{kind}: no version");
            let manifest = std::fs::read_to_string(Path::new(folder).join("manifest.json")).expect("manifest");
            let digest =
                manifest.split("\"sha256\": \"").nth(2).and_then(|rest| rest.split('"').next()).expect("a digest");
            assert!(page.contains(&format!("<dt>experiment.sha256</dt><dd><code>{digest}</code></dd>")), "{kind}");
        }
        // The findings are the folder's own summary.md (every heading of it on the page); a run
        // writes none, and the page says so and states no finding of its own.
        match std::fs::read_to_string(Path::new(folder).join("summary.md")) {
            Ok(summary) => {
                assert_ne!(*kind, "run", "a run writes no summary.md");
                assert!(!page.contains("has no summary.md"), "{kind}");
                let headings: Vec<&str> = summary.lines().filter_map(|line| line.strip_prefix("## ")).collect();
                assert!(!headings.is_empty(), "{kind}: summary.md has no outcome headings");
                for heading in headings {
                    assert!(page.contains(&format!(">{heading}</h")), "{kind}: no `{heading}` from summary.md");
                }
            }
            Err(_) => {
                assert_eq!(*kind, "run", "every analysis folder and whole sweep writes summary.md");
                assert!(page.contains("has no summary.md"), "{kind}");
            }
        }
    }
    // Each outcome's chart comes right after its table, even where names share words (`cost per
    // case at month 60` and `mean cost per case`), with what the outcome measures above it.
    for kind in ["leverage", "compare", "sensitivity"] {
        let page = std::fs::read_to_string(scratch.path().join(format!("{kind}.html"))).expect("page");
        let prefix = match kind {
            "compare" => "comparison",
            other => other,
        };
        let at = |text: &str| page.find(text).unwrap_or_else(|| panic!("{kind}: no `{text}`"));
        let table = at("<h3>mean cost per case</h3>");
        let chart = at(&format!("<figcaption>{prefix}-mean-cost-per-case.svg</figcaption>"));
        let next = at("<h3>peak delivery time</h3>");
        assert!(table < chart && chart < next, "{kind}: the chart of mean cost per case is not after its table");
        assert!(page[table..chart].contains("mean of Cost per Case, in $/case; lower is better"), "{kind}");
    }
    let compare = std::fs::read_to_string(scratch.path().join("compare.html")).expect("page");
    // The options with their costs (AI as a tool: $1,080,000), in the table and the assumptions.
    assert!(compare.matches("1,080,000").count() >= 2, "the option comparison shows the costs");
    assert!(compare.contains("Beats baseline in"));
    let (_, baseline_row) =
        compare.split_once("<td data-label=\"Option\">baseline</td>").expect("the baseline is a row of the comparison");
    let (baseline_row, _) = baseline_row.split_once("</tr>").expect("the row ends");
    assert!(
        baseline_row.contains("<td data-label=\"Beats baseline in\" class=\"number\">—</td>"),
        "the baseline is not said to beat itself in some share of futures: {baseline_row}"
    );

    let all: Vec<&str> = folders.iter().map(|(_, folder)| folder.as_str()).collect();
    let page = report(&all, &scratch.path().join("all.html"));
    assert_self_contained(&page);
    let every_chart: usize = folders.iter().map(|(_, folder)| charts_of(folder).len()).sum();
    assert_eq!(page.matches("<svg").count(), every_chart);
    // One experiment, shown once, however many folders hold its results.
    assert_eq!(page.matches("What is not known: the uncertain ranges").count(), 1);
}

#[test]
fn text_from_the_model_the_experiment_and_a_summary_is_escaped() {
    let scratch = tempfile::tempdir().expect("scratch");
    let model = std::fs::read_to_string(root().join("models/teacup/model.toml")).expect("teacup");
    let model = model.replace("name = \"Teacup\"", "name = \"Tea <cup> & \\\"co\\\"\"");
    assert!(model.contains("Tea <cup>"), "the model's name is replaced");
    std::fs::write(scratch.path().join("model.toml"), model).expect("model");
    let experiment = r#"# Is <b>this</b> escaped?
model = "model.toml"

[sampling]
runs = 8
seed = 1

[[uncertain]]
name = "Room Temperature"
distribution = "uniform"
min = 60
max = 80

[[outcome]]
name = "final <temp>"
variable = "Teacup Temperature"
statistic = "final"
better = "lower"
"#;
    std::fs::write(scratch.path().join("experiment.toml"), experiment).expect("experiment");
    let sweep = scratch.path().join("sweep");
    let experiment_path = scratch.path().join("experiment.toml");
    let output = fulcrum(&["sweep", experiment_path.to_str().expect("utf-8"), "-o", sweep.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::write(sweep.join("summary.md"), "# Findings\n\n- the tea <script>cools</script> & **settles**\n")
        .expect("summary");
    let page = report(&[sweep.to_str().expect("utf-8")], &scratch.path().join("report.html"));
    assert!(page.contains("<title>Tea &lt;cup&gt; &amp; &quot;co&quot;: results</title>"), "the title is escaped");
    assert!(page.contains("Is &lt;b&gt;this&lt;/b&gt; escaped?"), "the experiment's question is escaped");
    assert!(page.contains("final &lt;temp&gt;"), "the outcome's name is escaped");
    assert!(page.contains("<li>the tea &lt;script&gt;cools&lt;/script&gt; &amp; <strong>settles</strong></li>"));
    for raw in ["<cup>", "<b>this", "<temp>", "<script"] {
        assert!(!page.contains(raw), "`{raw}` reached the page unescaped");
    }
}

#[test]
fn a_folder_fulcrum_did_not_write_is_an_error_naming_it() {
    let scratch = tempfile::tempdir().expect("scratch");
    let page = scratch.path().join("report.html");
    let page_arg = page.to_str().expect("utf-8");
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        let output = fulcrum(&["report", "models/teacup", "-o", page_arg]);
        assert_eq!(output.status.code(), Some(1));
        insta::assert_snapshot!("report_not_an_output_folder", stderr(&output));
        let output = fulcrum(&["report", "models/no-such-folder", "-o", page_arg]);
        assert_eq!(output.status.code(), Some(1));
        insta::assert_snapshot!("report_no_such_folder", stderr(&output));
    });
    assert!(!page.exists(), "no page is written");
}

#[test]
fn a_chart_changed_since_it_was_written_is_refused_with_its_name() {
    let scratch = tempfile::tempdir().expect("scratch");
    let sweep = scratch.path().join("sweep");
    let output = fulcrum(&["sweep", EXPERIMENT, "-o", sweep.to_str().expect("utf-8"), "--runs", "4"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let chart = sweep.join("bands-output-per-person.svg");
    let svg = std::fs::read_to_string(&chart).expect("fan chart");
    std::fs::write(&chart, svg.replace("</svg>", "<script>alert(1)</script></svg>")).expect("changed");
    let page = scratch.path().join("report.html");
    let output = fulcrum(&["report", sweep.to_str().expect("utf-8"), "-o", page.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("bands-output-per-person.svg: changed since fulcrum wrote it"), "{message}");
    assert!(!page.exists(), "no page is written");
}
