//! Vensim changes files (`.cin`): WORLD3-03's thirteen scenario files, read, applied to a run
//! (`fulcrum run --changes`) and compared as an experiment's interventions (`changes =`).

use std::path::{Path, PathBuf};

use fulcrum_model::changes::ChangeValue;

use crate::conformance::suite_or_skip;
use crate::{fulcrum, stderr, stdout};

fn world3() -> PathBuf {
    crate::root().join("..").join("shared").join("vensim").join("world3-03")
}

fn scenario_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("the WORLD3 folder")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.extension().is_some_and(|e| e.eq_ignore_ascii_case("cin")))
        .collect();
    files.sort();
    files
}

/// A run as columns by name: the header, then one row of numbers per saved time.
fn table(csv: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|row| row.expect("a row").iter().map(|cell| cell.parse().expect("a number")).collect())
        .collect();
    (header, rows)
}

fn run(args: &[&str]) -> (Vec<String>, Vec<Vec<f64>>) {
    let output = fulcrum(args);
    assert!(output.status.success(), "fulcrum {}: {}", args.join(" "), stderr(&output));
    table(&stdout(&output))
}

#[test]
fn every_world3_changes_file_is_read_and_applies_to_the_model() {
    let Some(_) = suite_or_skip("every_world3_changes_file_is_read_and_applies_to_the_model") else { return };
    let folder = world3();
    let files = scenario_files(&folder);
    assert_eq!(files.len(), 13, "W303S02 to W303S13 and W303IFIO");
    let model_bytes = std::fs::read(folder.join("wrld3-03.mdl")).expect("WORLD3");
    let (model, _) = fulcrum_vensim::read(&fulcrum_vensim::decode(model_bytes)).expect("WORLD3 reads");
    let mut counts = Vec::new();
    for file in &files {
        let text = fulcrum_vensim::decode(std::fs::read(file).expect("readable"));
        let changes = fulcrum_vensim::read_changes(&text)
            .unwrap_or_else(|diagnostics| panic!("{}: {diagnostics:?}", file.display()));
        let tables = changes.iter().filter(|c| matches!(c.value, ChangeValue::Table { .. })).count();
        counts.push((file.file_name().expect("a name").to_string_lossy().into_owned(), changes.len(), tables));
        let mut changed = model.clone();
        fulcrum_model::changes::apply(&mut changed, &changes)
            .unwrap_or_else(|diagnostics| panic!("{}: {diagnostics:?}", file.display()));
        let mut switchable = model.clone();
        fulcrum_model::changes::switchable(&mut switchable, &changes)
            .unwrap_or_else(|diagnostics| panic!("{}: {diagnostics:?}", file.display()));
        fulcrum_model::resolve(&switchable).unwrap_or_else(|diagnostics| panic!("{}: {diagnostics:?}", file.display()));
    }
    let counted: Vec<(&str, usize, usize)> = counts.iter().map(|(name, n, t)| (name.as_str(), *n, *t)).collect();
    // Definitions and lookups among them, counted by hand in the files.
    assert_eq!(
        counted,
        [
            ("W303IFIO.CIN", 15, 8),
            ("W303S02.CIN", 1, 0),
            ("W303S03.CIN", 2, 1),
            ("W303S04.CIN", 3, 2),
            ("W303S05.CIN", 4, 2),
            ("W303S06.CIN", 5, 3),
            ("W303S07.CIN", 6, 3),
            ("W303S08.CIN", 3, 0),
            ("W303S09.CIN", 5, 0),
            ("W303S10.CIN", 12, 6),
            ("W303S11.CIN", 14, 6),
            ("W303S12.CIN", 14, 6),
            ("W303S13.CIN", 14, 6),
        ]
    );
}

/// Scenario 2 doubles the nonrenewable resources: the constant and the stock start at 2e12
/// instead of 1e12, nothing else differs at the start, and the run is the one `--set` gives.
#[test]
fn scenario_2_changes_the_initial_resources_and_nothing_else() {
    let Some(_) = suite_or_skip("scenario_2_changes_the_initial_resources_and_nothing_else") else { return };
    let folder = world3();
    let model = folder.join("wrld3-03.mdl");
    let model = model.to_str().expect("utf-8");
    let changes = folder.join("W303S02.CIN");
    let (header, base) = run(&["run", model]);
    let (changed_header, changed) = run(&["run", model, "--changes", changes.to_str().expect("utf-8")]);
    let (_, set) = run(&["run", model, "--set", "initial nonrenewable resources=2e12"]);
    assert_eq!(header, changed_header);
    assert_eq!(changed, set, "the changes file is the same run as --set");
    let column = |name: &str| header.iter().position(|h| h.eq_ignore_ascii_case(name)).expect(name);
    let constant = column("initial nonrenewable resources");
    let stock = column("nonrenewable resources");
    assert!(base.iter().all(|row| row[constant] == 1e12));
    assert!(changed.iter().all(|row| row[constant] == 2e12));
    assert_eq!((base[0][stock], changed[0][stock]), (1e12, 2e12));
    // At the start only the resources and what is proportional to them differ.
    let differing: Vec<&str> = (1..header.len())
        .filter(|&c| base[0][c].to_bits() != changed[0][c].to_bits())
        .map(|c| header[c].as_str())
        .collect();
    assert_eq!(differing, ["initial nonrenewable resources", "Nonrenewable Resources"]);
    let population = column("population");
    assert_eq!(base[0][population], 1.6e9);
    assert_eq!(base[0][population], changed[0][population]);
    // Twice the resources last longer: more remain at the end.
    let last = base.len() - 1;
    assert!(changed[last][stock] > 2.0 * base[last][stock]);
}

/// A lookup from a changes file is the model with the table written into it.
#[test]
fn a_changed_lookup_is_the_model_with_that_table() {
    let Some(_) = suite_or_skip("a_changed_lookup_is_the_model_with_that_table") else { return };
    let folder = world3();
    let text = std::fs::read_to_string(folder.join("wrld3-03.mdl")).expect("WORLD3 is UTF-8");
    let original = "persistent pollution technology change mult table  ( \r\n            (-1,0),(0,0) )";
    assert_eq!(text.matches(original).count(), 1, "WORLD3's table as written");
    let scratch = tempfile::tempdir().expect("temp dir");
    let edited = scratch.path().join("edited.mdl");
    let table = "persistent pollution technology change mult table ((-1,-0.03),(0,0))";
    std::fs::write(&edited, text.replace(original, table)).expect("written");
    let changes = scratch.path().join("table.cin");
    std::fs::write(&changes, format!("{table}\n")).expect("written");
    let vars = "persistent pollution index,population,industrial output";
    let model = folder.join("wrld3-03.mdl");
    let (_, base) = run(&["run", model.to_str().expect("utf-8"), "--vars", vars]);
    let (_, with_changes) =
        run(&["run", model.to_str().expect("utf-8"), "--changes", changes.to_str().expect("utf-8"), "--vars", vars]);
    let (_, written) = run(&["run", edited.to_str().expect("utf-8"), "--vars", vars]);
    assert_eq!(with_changes, written);
    assert_ne!(with_changes, base, "the table matters");
}

/// Later changes files override earlier ones, and `--set` overrides them all.
#[test]
fn later_changes_files_override_earlier_ones() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let first = scratch.path().join("first.cin");
    let second = scratch.path().join("second.cin");
    std::fs::write(&first, "Room Temperature = 20\nCharacteristic Time = 5\n").expect("written");
    std::fs::write(&second, "room temperature = 30\n").expect("written");
    let model = "tests/vensim/teacup.MDL";
    let vars = ["--vars", "Room Temperature,Characteristic Time", "--stop", "1", "--dt", "1"];
    let with = |files: &[&Path], extra: &[&str]| {
        let mut args = vec!["run", model];
        for file in files {
            args.extend(["--changes", file.to_str().expect("utf-8")]);
        }
        args.extend(vars);
        args.extend(extra);
        run(&args).1.remove(0)
    };
    assert_eq!(with(&[&first], &[]), [0.0, 20.0, 5.0]);
    assert_eq!(with(&[&first, &second], &[]), [0.0, 30.0, 5.0]);
    assert_eq!(with(&[&second, &first], &[]), [0.0, 20.0, 5.0]);
    assert_eq!(with(&[&first, &second], &["--set", "Room Temperature=40"]), [0.0, 40.0, 5.0]);
}

/// WORLD3's scenarios compared as an experiment's interventions, each naming its changes file
/// relative to the experiment: every option's outcome is the run `fulcrum run --changes` gives.
#[test]
fn world3_scenarios_compare_through_changes_files() {
    let Some(_) = suite_or_skip("world3_scenarios_compare_through_changes_files") else { return };
    let folder = world3();
    let scratch = tempfile::tempdir().expect("temp dir");
    let scenarios = ["W303S02.CIN", "W303S03.CIN", "W303S06.CIN", "W303S10.CIN"];
    for name in scenarios {
        std::fs::copy(folder.join(name), scratch.path().join(name)).expect("copied");
    }
    let model = folder.join("wrld3-03.mdl").canonicalize().expect("WORLD3 is there");
    let mut experiment = format!(
        "model = {:?}\n[sampling]\nruns = 1\n\
         [[outcome]]\nname = \"population in 2100\"\nvariable = \"population\"\nstatistic = \"final\"\nbetter = \"higher\"\n\
         [[outcome]]\nname = \"peak pollution\"\nvariable = \"persistent pollution index\"\nstatistic = \"max\"\nbetter = \"lower\"\n",
        model.display().to_string()
    );
    for name in scenarios {
        experiment.push_str(&format!("[[intervention]]\nname = \"{name}\"\nchanges = \"{name}\"\n"));
    }
    let experiment_path = scratch.path().join("scenarios.toml");
    std::fs::write(&experiment_path, experiment).expect("written");
    let out = scratch.path().join("out");
    let output = fulcrum(&[
        "compare",
        experiment_path.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--futures",
        "1",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(out.join("comparison.csv")).expect("comparison.csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("a row")).collect();
    // One future, and nothing uncertain: each option is one run of the model.
    for (option, changes) in std::iter::once(("baseline", None)).chain(scenarios.iter().map(|n| (*n, Some(*n)))) {
        let mut args = vec!["run".to_owned(), model.display().to_string()];
        if let Some(name) = changes {
            args.extend(["--changes".to_owned(), scratch.path().join(name).display().to_string()]);
        }
        args.extend(["--vars".to_owned(), "population,persistent pollution index".to_owned()]);
        let (_, single) = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let final_population = single.last().expect("rows")[1];
        let peak_pollution = single.iter().map(|row| row[2]).fold(f64::MIN, f64::max);
        let mean = |outcome: &str| -> f64 {
            let row = rows.iter().find(|row| &row[0] == outcome && &row[1] == option).expect("a row per option");
            row[3].parse().expect("a mean")
        };
        assert_eq!(mean("population in 2100"), final_population, "{option}");
        // The maximum is taken over every step, the single run's over the saved ones.
        assert!(mean("peak pollution") >= peak_pollution, "{option}");
        assert!((mean("peak pollution") - peak_pollution).abs() <= 1e-6 * peak_pollution, "{option}");
    }
}

/// Elements of an arrayed constant by a range and a number list, and one element's table of an
/// arrayed lookup; a change of the whole arrayed lookup, an element the range lacks and a list
/// of the wrong length are refused at their lines.
#[test]
fn arrayed_constants_and_lookups_change_element_by_element() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = scratch.path().join("arrayed.mdl");
    std::fs::write(
        &model,
        "R: north, south ~~|\ntab[north]((0,0),(10,10)) ~~|\ntab[south]((0,0),(10,20)) ~~|\nc[R] = 1, 2 ~~|\n\
         y[R] = tab[R](Time) * c[R] ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n",
    )
    .expect("written");
    let good = scratch.path().join("good.cin");
    std::fs::write(&good, "tab[south]((0,0),(10,100))\nc[R] = 5, 6\n").expect("written");
    let model = model.to_str().expect("utf-8");
    let (header, rows) = run(&["run", model, "--changes", good.to_str().expect("utf-8"), "--vars", "y,c"]);
    assert_eq!(header, ["time", "y[north]", "y[south]", "c[north]", "c[south]"]);
    // At time 1: north reads its own table (1) times 5, south the new one (10) times 6.
    assert_eq!(rows[1], [1.0, 5.0, 60.0, 5.0, 6.0]);
    let bad = scratch.path().join("bad.cin");
    std::fs::write(&bad, "tab((0,0),(10,100))\nc[east] = 5\nc = 1, 2, 3\n").expect("written");
    let output = fulcrum(&["run", model, "--changes", bad.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    for (code, line) in [("E0003", "bad.cin:1:1"), ("E0102", "bad.cin:2:1"), ("E0003", "bad.cin:3:1")] {
        assert!(message.contains(code) && message.contains(line), "{code} at {line}:\n{message}");
    }
}

/// A string constant (`:IS:`) in a changes file sets the model's string constant of that name,
/// which no equation reads, so the run is the model's; a name the model has no string constant
/// of is an error at its line.
#[test]
fn a_changes_file_sets_string_constants() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = scratch.path().join("strings.mdl");
    std::fs::write(
        &model,
        "title :IS: 'base case' ~~|\nc = 2 ~~|\ny = c * 10 ~~|\n\
         INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n",
    )
    .expect("written");
    let changes = scratch.path().join("strings.cin");
    std::fs::write(&changes, "title :IS: 'high case'\nc = 3\n").expect("written");
    let model = model.to_str().expect("utf-8");
    let (_, rows) = run(&["run", model, "--changes", changes.to_str().expect("utf-8"), "--vars", "y"]);
    assert_eq!(rows[0], [0.0, 30.0]);
    std::fs::write(&changes, "c = 3\ntitl :IS: 'high case'\n").expect("written");
    let output = fulcrum(&["run", model, "--changes", changes.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("E0102") && message.contains("strings.cin:2:1") && message.contains("`title`"),
        "{message}"
    );
}

/// `:EXCEPT:` in a changes file, as in the modeling language: every element of the range but
/// those listed.
#[test]
fn a_changes_file_leaves_out_the_elements_after_except() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = scratch.path().join("except.mdl");
    std::fs::write(
        &model,
        "R: north, south, east ~~|\nc[R] = 1, 2, 3 ~~|\ny[R] = c[R] * 10 ~~|\n\
         INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n",
    )
    .expect("written");
    let changes = scratch.path().join("except.cin");
    std::fs::write(&changes, "c[R] :EXCEPT: [south] = 5\n").expect("written");
    let model = model.to_str().expect("utf-8");
    let (header, rows) = run(&["run", model, "--changes", changes.to_str().expect("utf-8"), "--vars", "y"]);
    assert_eq!(header, ["time", "y[north]", "y[south]", "y[east]"]);
    assert_eq!(rows[0], [0.0, 50.0, 20.0, 50.0]);
    std::fs::write(&changes, "c[R] :EXCEPT: [R] = 5\n").expect("written");
    let output = fulcrum(&["run", model, "--changes", changes.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("except.cin:1:1"), "{}", stderr(&output));
}

/// A changes file's time settings change the run's time axis.
#[test]
fn time_settings_in_a_changes_file_change_the_time_axis() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let changes = scratch.path().join("time.cin");
    std::fs::write(&changes, "FINAL TIME = 3\nTIME STEP = 0.5\nSAVEPER = 1\n").expect("written");
    let (_, rows) =
        run(&["run", "tests/vensim/teacup.MDL", "--changes", changes.to_str().expect("utf-8"), "--vars", "TIME STEP"]);
    assert_eq!(rows, [[0.0, 0.5], [1.0, 0.5], [2.0, 0.5], [3.0, 0.5]]);
}

/// An intervention with a changes file and a start time switches to the changed lookup part-way:
/// the same as the model until then, different after.
#[test]
fn a_changes_file_applies_part_way_with_the_interventions_start() {
    let Some(_) = suite_or_skip("a_changes_file_applies_part_way_with_the_interventions_start") else { return };
    let folder = world3();
    let scratch = tempfile::tempdir().expect("temp dir");
    std::fs::copy(folder.join("W303S03.CIN"), scratch.path().join("W303S03.CIN")).expect("copied");
    let model = folder.join("wrld3-03.mdl").canonicalize().expect("WORLD3 is there");
    let experiment = scratch.path().join("later.toml");
    std::fs::write(
        &experiment,
        format!(
            "model = {:?}\n[[intervention]]\nname = \"from 2000\"\nchanges = \"W303S03.CIN\"\nstart = 2000\n\
             [[outcome]]\nvariable = \"population\"\n",
            model.display().to_string()
        ),
    )
    .expect("written");
    let vars = "persistent pollution technology change mult table choice,persistent pollution index";
    let experiment = experiment.to_str().expect("utf-8");
    let (_, later) = run(&["run", "--experiment", experiment, "--intervention", "from 2000", "--vars", vars]);
    let (_, base) = run(&["run", "--experiment", experiment, "--vars", vars]);
    for (row, base) in later.iter().zip(&base) {
        let (time, choice, pollution) = (row[0], row[1], row[2]);
        assert_eq!(choice, if time < 2000.0 { 0.0 } else { 1.0 }, "at {time}");
        if time <= 2000.0 {
            assert_eq!(pollution, base[2], "at {time}");
        }
    }
    let last = later.len() - 1;
    assert!(later[last][2] < 0.5 * base[last][2], "the changed table lowers pollution by 2100");
}

/// A model with an arrayed lookup (called at the equation's own element and at a named one) and
/// lookups written inside equations (`WITH LOOKUP`), scalar and one per element.
const LOOKUPS_MODEL: &str = "R: north, south ~~|\ntab[north]((0,0),(10,10)) ~~|\ntab[south]((0,0),(10,20)) ~~|\n\
     y[R] = tab[R](Time) ~~|\nw = LOOKUP(tab[south], Time) ~~|\nz = WITH LOOKUP(Time, ((0,0),(10,5))) ~~|\n\
     v[north] = WITH LOOKUP(Time, ((0,1),(10,2))) ~~|\nv[south] = WITH LOOKUP(Time, ((0,3),(10,4))) ~~|\n\
     INITIAL TIME = 0 ~~|\nFINAL TIME = 10 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";

/// An experiment's interventions change one element of an arrayed lookup, several elements at
/// once, and lookups inside equations, each through its own changes file; every option's run is
/// the one `fulcrum run --changes` gives with the same file, bit for bit, and `compare` sees it.
#[test]
fn interventions_change_elements_of_arrayed_lookups_and_lookups_inside_equations() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = scratch.path().join("lookups.mdl");
    std::fs::write(&model, LOOKUPS_MODEL).expect("written");
    let files = [
        ("south", "tab[south]((0,0),(10,100))\n"),
        ("both", "tab[north]((0,0),(10,50))\ntab[south]((0,0),(10,100))\n"),
        ("inside", "z((0,0),(10,50))\nv[south]((0,0),(10,30))\n"),
        ("again", "z((0,0),(10,50))\n"),
        ("other", "z((0,10),(10,0))\ntab[north]((0,5),(10,5))\nv[north]((0,7),(10,7))\n"),
    ];
    let mut experiment = "model = \"lookups.mdl\"\n[[outcome]]\nvariable = \"z\"\nstatistic = \"final\"\n\
         [[outcome]]\nname = \"north\"\nvariable = \"y[north]\"\nstatistic = \"final\"\n"
        .to_owned();
    for (name, text) in files {
        std::fs::write(scratch.path().join(format!("{name}.cin")), text).expect("written");
        experiment.push_str(&format!("[[intervention]]\nname = \"{name}\"\nchanges = \"{name}.cin\"\n"));
    }
    let experiment_path = scratch.path().join("lookups.toml");
    std::fs::write(&experiment_path, experiment).expect("written");
    let (model, experiment) = (model.to_str().expect("utf-8"), experiment_path.to_str().expect("utf-8"));
    let vars = "y,w,z,v";
    let (header, base) = run(&["run", model, "--vars", vars]);
    assert_eq!(header, ["time", "y[north]", "y[south]", "w", "z", "v[north]", "v[south]"]);
    let (_, experiment_base) = run(&["run", "--experiment", experiment, "--vars", vars]);
    assert_eq!(experiment_base, base, "the baseline reads the model's own tables");
    let mut finals = Vec::new();
    for (name, _) in files {
        let cin = scratch.path().join(format!("{name}.cin"));
        let (_, single) = run(&["run", model, "--changes", cin.to_str().expect("utf-8"), "--vars", vars]);
        let (_, option) = run(&["run", "--experiment", experiment, "--intervention", name, "--vars", vars]);
        assert_eq!(option, single, "{name}");
        assert_ne!(option, base, "{name} changes something");
        finals.push((name, single[10][4], single[10][1]));
    }
    // At time 10 each table gives its last point: the changed elements and only those.
    let at_10 = |name: &str| run(&["run", model, "--changes", &format!("{}/{name}.cin", scratch.path().display())]).1;
    assert_eq!(at_10("south")[10][1..7], [10.0, 100.0, 100.0, 5.0, 2.0, 4.0]);
    assert_eq!(at_10("both")[10][1..7], [50.0, 100.0, 100.0, 5.0, 2.0, 4.0]);
    assert_eq!(at_10("inside")[10][1..7], [10.0, 20.0, 20.0, 50.0, 2.0, 30.0]);
    assert_eq!(at_10("other")[10][1..7], [5.0, 20.0, 20.0, 0.0, 7.0, 4.0]);
    let out = scratch.path().join("out");
    let output = fulcrum(&["compare", experiment, "-o", out.to_str().expect("utf-8"), "--futures", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(out.join("comparison.csv")).expect("comparison.csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("a row")).collect();
    let mean = |outcome: &str, option: &str| -> f64 {
        let row = rows.iter().find(|row| &row[0] == outcome && &row[1] == option).expect("a row per option");
        row[3].parse().expect("a mean")
    };
    assert_eq!((mean("z", "baseline"), mean("north", "baseline")), (base[10][4], base[10][1]));
    for (name, z, north) in finals {
        assert_eq!((mean("z", name), mean("north", name)), (z, north), "{name}");
    }
}

/// In an experiment a changes file's time setting must agree with the time axis every option
/// shares: restating it changes nothing, another value is an error at its line with a hint, and
/// it is accepted once the experiment's `[sim]` says the same.
#[test]
fn time_settings_in_an_experiments_changes_file_must_agree_with_its_time_axis() {
    let scratch = tempfile::tempdir().expect("temp dir");
    std::fs::write(scratch.path().join("lookups.mdl"), LOOKUPS_MODEL).expect("written");
    std::fs::write(scratch.path().join("same.cin"), "FINAL TIME = 10\nTIME STEP = 1\nz((0,0),(10,50))\n")
        .expect("written");
    std::fs::write(scratch.path().join("longer.cin"), "z((0,0),(10,50))\nFINAL TIME = 20\n").expect("written");
    let write = |name: &str, sim: &str, cin: &str| {
        let path = scratch.path().join(name);
        std::fs::write(
            &path,
            format!(
                "model = \"lookups.mdl\"\n{sim}[[outcome]]\nvariable = \"z\"\n\
                 [[intervention]]\nname = \"scenario\"\nchanges = \"{cin}\"\n"
            ),
        )
        .expect("written");
        path.to_str().expect("utf-8").to_owned()
    };
    let vars = ["--vars", "z,FINAL TIME"];
    let same = write("same.toml", "", "same.cin");
    let (_, option) = run(&[&["run", "--experiment", &same, "--intervention", "scenario"][..], &vars].concat());
    let single = scratch.path().join("same.cin");
    let (_, changed) =
        run(&[
            &[
                "run",
                &format!("{}/lookups.mdl", scratch.path().display()),
                "--changes",
                single.to_str().expect("utf-8"),
            ][..],
            &vars,
        ]
        .concat());
    assert_eq!(option, changed, "restating the time axis changes nothing");
    assert_eq!(option.len(), 11);
    let longer = write("longer.toml", "", "longer.cin");
    let output = fulcrum(&["run", "--experiment", &longer, "--intervention", "scenario"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    for expected in ["longer.cin:2:1", "E0", "stop = 10", "set `stop = 20` in the experiment's [sim] section"] {
        assert!(message.contains(expected), "{expected}:\n{message}");
    }
    let agreed = write("agreed.toml", "[sim]\nstop = 20\n", "longer.cin");
    let (_, option) = run(&[&["run", "--experiment", &agreed, "--intervention", "scenario"][..], &vars].concat());
    assert_eq!(option.len(), 21);
    assert_eq!(option[20], [20.0, 50.0, 20.0], "z's new table, held past its last point");
}

/// The manifests of a sweep, a design and an analysis record the changes files an experiment
/// names with the SHA-256 of their bytes, so that a changed file is another experiment: shards
/// run before and after the change do not merge, and a design sampled before it is refused.
#[test]
fn manifests_record_the_changes_files_and_refuse_work_from_other_ones() {
    use sha2::{Digest, Sha256};
    let scratch = tempfile::tempdir().expect("temp dir");
    std::fs::write(scratch.path().join("lookups.mdl"), LOOKUPS_MODEL).expect("written");
    let cin = scratch.path().join("scenario.cin");
    std::fs::write(&cin, "z((0,0),(10,50))\n").expect("written");
    let experiment = scratch.path().join("e.toml");
    std::fs::write(
        &experiment,
        "model = \"lookups.mdl\"\n[sampling]\nruns = 2000\n[[outcome]]\nvariable = \"z\"\n\
         [[intervention]]\nname = \"scenario\"\nchanges = \"scenario.cin\"\n",
    )
    .expect("written");
    let (experiment, dir) = (experiment.to_str().expect("utf-8"), scratch.path());
    let out = |name: &str| dir.join(name).to_str().expect("utf-8").to_owned();
    let succeed = |args: &[&str]| {
        let output = fulcrum(args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    };
    let recorded = |manifest: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(dir.join(manifest)).expect("a manifest");
        serde_json::from_str::<serde_json::Value>(&text).expect("JSON")["changes"].clone()
    };
    let digest = |bytes: &[u8]| format!("{:x}", Sha256::digest(bytes));
    let first = digest(&std::fs::read(&cin).expect("readable"));
    let sweep = ["sweep", experiment, "--intervention", "scenario", "--shard"];
    succeed(&[&sweep[..], &["1/2", "-o", &out("one")]].concat());
    succeed(&["sample", "sweep", experiment, "-o", &out("design")]);
    succeed(&["compare", experiment, "-o", &out("compare"), "--futures", "10"]);
    for manifest in ["one/manifest.json", "design/design.json", "compare/manifest.json"] {
        assert_eq!(recorded(manifest), serde_json::json!([{ "path": "scenario.cin", "sha256": first }]), "{manifest}");
    }
    // The same experiment file, another scenario.
    std::fs::write(&cin, "z((0,0),(10,60))\n").expect("written");
    succeed(&[&sweep[..], &["2/2", "-o", &out("two")]].concat());
    let second = digest(&std::fs::read(&cin).expect("readable"));
    assert_ne!(first, second);
    assert_eq!(recorded("two/manifest.json")[0]["sha256"], second.as_str());
    let merged = fulcrum(&["merge", &out("one"), &out("two"), "-o", &out("merged")]);
    assert_eq!(merged.status.code(), Some(1), "{}", stderr(&merged));
    assert!(stderr(&merged).contains("`changes`"), "{}", stderr(&merged));
    let from_design = fulcrum(&["sweep", experiment, "--design", &out("design"), "-o", &out("designed")]);
    assert!(!from_design.status.success());
    let message = stderr(&from_design);
    assert!(message.contains("changes files") && message.contains("scenario.cin"), "{message}");
    // Back to the file the design was sampled with, it runs.
    std::fs::write(&cin, "z((0,0),(10,50))\n").expect("written");
    succeed(&["sweep", experiment, "--design", &out("design"), "-o", &out("designed")]);
}

/// A lever with a changes file is a switch, a new constant of its name: at 0 the model runs as
/// written, at 1 (an intervention may set it) as `fulcrum run --changes` runs it, bit for bit;
/// leverage moves it from not applied to applied, so its score is (Y1 − Y0)/(Y1 + Y0).
#[test]
fn a_lever_with_a_changes_file_switches_the_file_on_and_off() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = scratch.path().join("switch.mdl");
    std::fs::write(
        &model,
        "R: north, south ~~|\ntab[north]((0,0),(10,10)) ~~|\ntab[south]((0,0),(10,20)) ~~|\nk = 2 ~~|\nu = 1 ~~|\n\
         y[R] = tab[R](Time) * k ~~|\nw = WITH LOOKUP(Time, ((0,0),(10,5))) ~~|\nz = w * u ~~|\n\
         INITIAL TIME = 0 ~~|\nFINAL TIME = 10 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n",
    )
    .expect("written");
    let cin = scratch.path().join("scenario.cin");
    std::fs::write(&cin, "k = 3\ntab[south]((0,0),(10,100))\nw((0,0),(10,50))\n").expect("written");
    let experiment = scratch.path().join("levers.toml");
    std::fs::write(
        &experiment,
        "model = \"switch.mdl\"\n[sampling]\nruns = 10\n\
         [[uncertain]]\nname = \"u\"\ndistribution = \"uniform\"\nmin = 0.5\nmax = 1.5\n\
         [[lever]]\nname = \"scenario\"\nchanges = \"scenario.cin\"\ncost_per_unit = 100\n\
         [[intervention]]\nname = \"on\"\nset = { scenario = 1 }\n\
         [[outcome]]\nvariable = \"z\"\nstatistic = \"final\"\nbetter = \"higher\"\n\
         [[outcome]]\nname = \"south\"\nvariable = \"y[south]\"\nstatistic = \"final\"\n",
    )
    .expect("written");
    let (model, experiment) = (model.to_str().expect("utf-8"), experiment.to_str().expect("utf-8"));
    let vars = "y,z,k";
    let (_, plain) = run(&["run", model, "--vars", vars]);
    let (_, changed) = run(&["run", model, "--changes", cin.to_str().expect("utf-8"), "--vars", vars]);
    let (_, off) = run(&["run", "--experiment", experiment, "--vars", vars]);
    let (_, on) = run(&["run", "--experiment", experiment, "--intervention", "on", "--vars", vars]);
    assert_eq!(off, plain, "switched off, the model as written");
    assert_eq!(on, changed, "switched on, the changes file applied");
    assert_ne!(on, off);
    let out = scratch.path().join("leverage");
    let output = fulcrum(&["leverage", experiment, "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(out.join("leverage.csv")).expect("leverage.csv");
    let header = reader.headers().expect("a header").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("a row")).collect();
    let score = |outcome: &str| -> f64 {
        let row = rows.iter().find(|row| &row[0] == outcome && &row[1] == "scenario").expect("a row");
        row[column("score")].parse().expect("a score")
    };
    // z ends at 5u and 50u, y[south] at 20 × 2 and 100 × 3, whatever the future.
    assert!((score("z") - 45.0 / 55.0).abs() < 1e-12, "{}", score("z"));
    assert!((score("south") - 260.0 / 340.0).abs() < 1e-12, "{}", score("south"));
    let total: f64 = rows[0][column("total_index")].parse().expect("the cross-check's index");
    assert!(total > 0.5, "the switch is all that varies z's share of the variance: {total}");
    let summary = std::fs::read_to_string(out.join("summary.md")).expect("summary.md");
    assert!(summary.contains("scenario: applying its changes file raises z by 900%"), "{summary}");
    assert!(summary.contains("Applying it costs 100"), "{summary}");
    // A lever named as a variable the model has is refused at the lever.
    let clash = scratch.path().join("clash.toml");
    std::fs::write(
        &clash,
        "model = \"switch.mdl\"\n[[lever]]\nname = \"k\"\nchanges = \"scenario.cin\"\n[[outcome]]\nvariable = \"z\"\n",
    )
    .expect("written");
    let output = fulcrum(&["run", "--experiment", clash.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("clash.toml:3:8") && message.contains("lever `k` applies a changes file"), "{message}");
    // So is a file that changes a constant the experiment varies, at the file's line.
    std::fs::write(scratch.path().join("uncertain.cin"), "{the future}\nu = 2\n").expect("written");
    let varied = scratch.path().join("varied.toml");
    let text = std::fs::read_to_string(experiment).expect("readable");
    std::fs::write(&varied, text.replace("changes = \"scenario.cin\"", "changes = \"uncertain.cin\""))
        .expect("written");
    let output = fulcrum(&["run", "--experiment", varied.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("uncertain.cin:2:1") && message.contains("varied or set by the experiment"), "{message}");
}

/// WORLD3's scenario 6 (constants and lookups) as a switch lever: off, the model's run; on, the
/// run `fulcrum run --changes W303S06.CIN` gives, bit for bit.
#[test]
fn world3_scenario_6_as_a_lever_is_its_changes_file_when_switched_on() {
    let Some(_) = suite_or_skip("world3_scenario_6_as_a_lever_is_its_changes_file_when_switched_on") else { return };
    let folder = world3();
    let scratch = tempfile::tempdir().expect("temp dir");
    std::fs::copy(folder.join("W303S06.CIN"), scratch.path().join("W303S06.CIN")).expect("copied");
    let model = folder.join("wrld3-03.mdl").canonicalize().expect("WORLD3 is there");
    let experiment = scratch.path().join("lever.toml");
    std::fs::write(
        &experiment,
        format!(
            "model = {:?}\n[[lever]]\nname = \"scenario 6\"\nchanges = \"W303S06.CIN\"\n\
             [[intervention]]\nname = \"on\"\nset = {{ \"scenario 6\" = 1 }}\n[[outcome]]\nvariable = \"population\"\n",
            model.display().to_string()
        ),
    )
    .expect("written");
    let (model, experiment) = (model.to_str().expect("utf-8"), experiment.to_str().expect("utf-8"));
    let cin = scratch.path().join("W303S06.CIN");
    let vars = "population,persistent pollution index,industrial output,food per capita";
    let (_, plain) = run(&["run", model, "--vars", vars]);
    let (_, changed) = run(&["run", model, "--changes", cin.to_str().expect("utf-8"), "--vars", vars]);
    let (_, off) = run(&["run", "--experiment", experiment, "--vars", vars]);
    let (_, on) = run(&["run", "--experiment", experiment, "--intervention", "on", "--vars", vars]);
    assert_eq!(off, plain);
    assert_eq!(on, changed);
    assert_ne!(on, off);
}
