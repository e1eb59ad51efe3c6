//! The command line: output format, flags, exit codes.

use std::io::Read;
use std::process::{Command, Output, Stdio};

use crate::{fulcrum, root, stderr, stdout};

const TEACUP: &str = "models/teacup/model.toml";

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    reader.records().map(|record| record.expect("valid CSV").iter().map(str::to_owned).collect()).collect()
}

#[test]
fn run_writes_wide_csv_with_every_variable() {
    let output = fulcrum(&["run", TEACUP]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&stdout(&output));
    assert_eq!(rows[0], ["time", "Teacup Temperature", "Heat Loss to Room", "Room Temperature", "Characteristic Time"]);
    assert_eq!(rows.len(), 1 + 241);
    assert_eq!(rows[1], ["0", "180", "11", "70", "10"]);
    // The suite's expected output for the teacup: 178.625 after one step of 0.125.
    assert_eq!(rows[2][..2], ["0.125", "178.625"]);
}

#[test]
fn flags_set_constants_pick_variables_and_change_the_time_axis() {
    let output = fulcrum(&[
        "run",
        TEACUP,
        "--set",
        "room temperature=20",
        "--vars",
        "Teacup Temperature,Room_Temperature",
        "--dt",
        "0.5",
        "--stop",
        "2",
        "--method",
        "RK4",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&stdout(&output));
    assert_eq!(rows[0], ["time", "Teacup Temperature", "Room Temperature"]);
    assert_eq!(rows.iter().skip(1).map(|r| r[0].as_str()).collect::<Vec<_>>(), ["0", "0.5", "1", "1.5", "2"]);
    assert_eq!(rows[1][2], "20");
    // RK4 on linear decay: each step multiplies the gap to the room by the Taylor polynomial.
    let h = -0.5 / 10.0;
    let factor: f64 = 1.0 + h + h * h / 2.0 + h * h * h / 6.0 + h * h * h * h / 24.0;
    let expected = 20.0 + 160.0 * factor.powi(4);
    let actual: f64 = rows[5][1].parse().expect("number");
    assert!((actual - expected).abs() < 1e-9, "{actual} vs {expected}");
}

#[test]
fn vars_take_element_names_and_bare_array_names() {
    // An arrayed model of the conformance suite: without the suite this is skipped, except under
    // CI or FULCRUM_REQUIRE_CONFORMANCE, where it fails.
    let Some(suite) = crate::conformance::suite_or_skip("vars_take_element_names_and_bare_array_names") else { return };
    let model = suite.join("simlin-additions/tests/subscript_2d_arrays/test_subscript_2d_arrays.xmile");
    let model = model.to_str().expect("utf-8");
    let output = fulcrum(&["run", model, "--vars", "Stock A[Entry 2,Column 1], rate a", "--stop", "1"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&stdout(&output));
    let rates = (1..=3).flat_map(|e| (1..=2).map(move |c| format!("Rate A[Entry {e},Column {c}]")));
    let expected: Vec<String> =
        ["time".to_owned(), "Stock A[Entry 2,Column 1]".to_owned()].into_iter().chain(rates).collect();
    assert_eq!(rows[0], expected);
    let unknown = fulcrum(&["run", model, "--vars", "Stock B"]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn output_file_is_written_whole() {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("teacup.csv");
    let output = fulcrum(&["run", TEACUP, "--save-step", "1", "-o", path.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
    let written = std::fs::read_to_string(&path).expect("written");
    assert_eq!(csv_rows(&written).len(), 1 + 31);
    let names: Vec<String> = std::fs::read_dir(directory.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["teacup.csv"], "no temporary files are left");
}

#[test]
fn bad_flags_are_usage_errors_that_name_the_problem() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", TEACUP, "--set", "Room Temp=20"], "`Room Temp` is not a variable of the model"),
        (&["run", TEACUP, "--set", "Heat Loss to Room=2"], "`Heat Loss to Room` is not a constant of the model"),
        (&["run", TEACUP, "--set", "Room Temperature=hot"], "`hot` is not a number"),
        (&["run", TEACUP, "--set", "Room Temperature=inf"], "inf is not a finite number"),
        (&["run", TEACUP, "--dt", "-1"], "-1 must be greater than zero"),
        (&["run", TEACUP, "--dt", "0"], "0 must be greater than zero"),
        (&["run", TEACUP, "--method", "gear"], "unknown integration method `gear`"),
        (&["run", TEACUP, "--vars", "Tea Temp"], "`Tea Temp` is not a variable of the model"),
        (&["run", TEACUP, "--bogus"], "unexpected argument '--bogus'"),
        (&["explode"], "unrecognized subcommand 'explode'"),
    ];
    for (args, message) in cases {
        let output = fulcrum(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(message), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn flag_values_that_break_the_time_axis_are_command_line_errors() {
    let output = fulcrum(&["run", TEACUP, "--stop", "-5"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--stop/--dt/--save-step: the stop time (-5)"), "{}", stderr(&output));
    let output = fulcrum(&["run", TEACUP, "--save-step", "0.3"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("save_step (0.3) must be a whole multiple"), "{}", stderr(&output));
}

#[test]
fn a_run_that_blows_up_exits_3_naming_the_variable_and_time() {
    let output = fulcrum(&["run", TEACUP, "--set", "Characteristic Time=0"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("`Heat Loss to Room` became inf at time 0"), "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn missing_and_unsupported_files_are_reported() {
    let output = fulcrum(&["run", "models/nope/model.toml"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("cannot read models/nope/model.toml"), "{}", stderr(&output));
    let output = fulcrum(&["check", "README.md"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("unknown model format"), "{}", stderr(&output));
}

#[test]
fn the_model_file_is_never_overwritten() {
    let directory = tempfile::tempdir().expect("temp dir");
    let model = directory.path().join("teacup.toml");
    std::fs::copy(root().join(TEACUP), &model).expect("copy");
    let before = std::fs::read(&model).expect("read");
    let path = model.to_str().expect("utf-8 path");
    let output = fulcrum(&["run", path, "-o", path]);
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("refusing to overwrite"), "{}", stderr(&output));
    assert_eq!(std::fs::read(&model).expect("read"), before);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fulcrum"))
        .args(["run", "models/workforce/model.toml", "--dt", "0.001"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut first = [0u8; 64];
    child.stdout.as_mut().expect("stdout").read_exact(&mut first).expect("some output");
    drop(child.stdout.take());
    let status = child.wait().expect("exits");
    let mut error = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut error).expect("read");
    assert_eq!(status.code(), Some(0), "{error}");
    assert!(error.is_empty(), "{error}");
}

#[test]
fn check_summarizes_a_valid_model() {
    let output = fulcrum(&["check", "models/workforce/model.toml", "--loops", "3"]);
    assert!(output.status.success(), "{}", stderr(&output));
    insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!("check_workforce", stdout(&output));
    });
}

/// The verbs under `command` (clap's own `help` aside), with the verbs under each of them.
fn verbs(command: &clap::Command) -> Vec<(String, Vec<String>)> {
    command
        .get_subcommands()
        .filter(|verb| !verb.is_hide_set() && verb.get_name() != "help")
        .map(|verb| (verb.get_name().to_owned(), verbs(verb).into_iter().map(|(name, _)| name).collect()))
        .collect()
}

/// The names a `Commands:` list of `--help` output gives, in order.
fn listed_in_help(help: &str) -> Vec<String> {
    let (_, list) = help.split_once("\nCommands:\n").unwrap_or_else(|| panic!("no Commands: list in\n{help}"));
    list.lines()
        .take_while(|line| !line.is_empty())
        .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// The README's Commands section: the first word after `fulcrum` on each line of its synopsis
/// (`a|b|c` is three verbs), with the words after it where they are `x|y|z` sub-verbs.
fn readme_verbs() -> Vec<(String, Vec<String>)> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let (_, section) = readme.split_once("\n## Commands\n").expect("README.md has a Commands section");
    let (_, synopsis) = section.split_once("```sh\n").expect("the Commands section opens with a synopsis");
    let (synopsis, _) = synopsis.split_once("```").expect("the synopsis ends");
    let mut found: Vec<(String, Vec<String>)> = Vec::new();
    for line in synopsis.lines().filter(|line| line.starts_with("fulcrum ")) {
        let mut words = line.split_whitespace().skip(1);
        let verbs = words.next().expect("a verb");
        let after = words.next().unwrap_or("");
        for verb in verbs.split('|') {
            // `fulcrum sample sweep|sensitivity|...` names sample's own verbs; a verb's
            // arguments are upper case (MODEL) or flags.
            let sub: Vec<String> = if after.chars().next().is_some_and(|c| c.is_ascii_lowercase()) {
                after.split('|').map(str::to_owned).collect()
            } else {
                Vec::new()
            };
            match found.iter_mut().find(|(name, _)| name == verb) {
                Some((_, known)) => known.extend(sub.into_iter().filter(|s| !known.contains(s)).collect::<Vec<_>>()),
                None => found.push((verb.to_owned(), sub)),
            }
        }
    }
    found
}

#[test]
fn help_lists_the_verbs() {
    use clap::CommandFactory;
    // The verbs come from the command line's definition, so a new one is checked here too.
    let defined = verbs(&fulcrum_cli::Cli::command());
    assert!(defined.len() >= 10, "only {defined:?}");

    let output = fulcrum(&["--help"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let names: Vec<String> = defined.iter().map(|(name, _)| name.clone()).collect();
    assert_eq!(listed_in_help(&stdout(&output)), names, "`fulcrum --help` lists every verb, in order");
    for (verb, sub) in &defined {
        let output = fulcrum(&[verb, "--help"]);
        assert!(output.status.success(), "fulcrum {verb} --help: {}", stderr(&output));
        assert!(stdout(&output).contains(&format!("Usage: fulcrum {verb}")), "fulcrum {verb} --help");
        if !sub.is_empty() {
            assert_eq!(&listed_in_help(&stdout(&output)), sub, "`fulcrum {verb} --help` lists its verbs");
        }
    }

    let mut documented = readme_verbs();
    let mut defined = defined;
    documented.sort();
    defined.sort();
    for list in [&mut documented, &mut defined] {
        for (_, sub) in list.iter_mut() {
            sub.sort();
        }
    }
    assert_eq!(documented, defined, "README.md's Commands section names every verb, and only those");
}

#[test]
fn the_readme_lists_every_diagnostic_code() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let (_, section) = readme.split_once("\n### Diagnostic codes\n").expect("README.md lists the diagnostic codes");
    let table = section.split("\n#").next().expect("the section");
    let mut listed: Vec<&str> = table
        .split('|')
        .map(str::trim)
        .filter(|cell| cell.len() == 5 && (cell.starts_with('E') || cell.starts_with('W')))
        .collect();
    listed.sort_unstable();
    let mut codes: Vec<&str> = fulcrum_model::Code::ALL.iter().map(|code| code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(listed, codes, "README.md's Diagnostic codes table lists every code once, and only those");
}

#[test]
fn precision_single_rounds_every_value_to_float32_and_double_stays_the_default() {
    const MDL: &str = "tests/vensim/teacup.MDL";
    let values = |output: &Output| -> Vec<f64> {
        assert!(output.status.success(), "{}", stderr(output));
        stdout(output)
            .lines()
            .skip(1)
            .flat_map(|line| line.split(',').skip(1).map(|cell| cell.parse().expect("a number")).collect::<Vec<f64>>())
            .collect()
    };
    let default = values(&fulcrum(&["run", MDL]));
    let double = values(&fulcrum(&["run", MDL, "--precision", "double"]));
    let single = values(&fulcrum(&["run", MDL, "--precision", "single"]));
    assert_eq!(default, double);
    assert!(single.iter().all(|&value| f64::from(value as f32) == value), "{single:?}");
    assert!(double.iter().any(|&value| f64::from(value as f32) != value), "{double:?}");
    let refused = fulcrum(&["run", MDL, "--precision", "half"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("unknown precision `half` (expected double or single)"), "{}", stderr(&refused));
}

#[test]
fn a_vensim_model_runs_like_the_native_one_and_converts_without_change() {
    // The extension may be in any letter case.
    const MDL: &str = "tests/vensim/teacup.MDL";
    let vars = "Teacup Temperature,Heat Loss to Room";
    let native = fulcrum(&["run", TEACUP, "--vars", vars]);
    let vensim = fulcrum(&["run", MDL, "--vars", vars]);
    assert!(vensim.status.success(), "{}", stderr(&vensim));
    assert_eq!(stdout(&vensim), stdout(&native));
    let checked = fulcrum(&["check", MDL]);
    assert!(checked.status.success(), "{}", stderr(&checked));

    let directory = tempfile::tempdir().expect("temp dir");
    let converted = directory.path().join("teacup.toml");
    let output = fulcrum(&["convert", MDL, "-o", converted.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&converted).expect("written");
    assert!(text.contains("outflows = [\"Heat Loss to Room\"]"), "{text}");
    let again = fulcrum(&["run", converted.to_str().expect("utf-8 path")]);
    let original = fulcrum(&["run", MDL]);
    assert!(original.status.success(), "{}", stderr(&original));
    assert_eq!(stdout(&again), stdout(&original));
}

#[test]
fn a_broken_vensim_model_gets_every_problem_located() {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("broken.mdl");
    let text = "x = (1 + ~~|\ny = 1 + FIND ZERO(x, x, 1, x, 1) ~~|\nINITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\n";
    std::fs::write(&path, text).expect("written");
    let output = fulcrum(&["check", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("E0701") && message.contains("broken.mdl:1:"), "{message}");
    assert!(message.contains("E0702") && message.contains("FIND ZERO"), "{message}");
}

#[test]
fn each_call_of_a_stella_stock_and_flow_macro_keeps_its_own_stock() {
    let output = fulcrum(&["run", "tests/xmile/stella_macros.xmile", "--vars", "slow,fast,pair,regional"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&stdout(&output));
    assert_eq!(rows[0], ["time", "slow", "fast", "pair", "regional[North]", "regional[South]"]);
    // Each stock starts at 0 and gains its own rate per month: 1, 10, 2 + 6 for the pair, and
    // 1 and 5 for the two elements of the arrayed call.
    for (month, row) in rows[1..].iter().enumerate() {
        let month = month as f64;
        let values: Vec<f64> = row.iter().map(|cell| cell.parse().expect("a number")).collect();
        assert_eq!(values, [month, month, 10.0 * month, 8.0 * month, month, 5.0 * month], "month {month}");
    }
}

#[test]
fn an_xmile_model_runs_like_the_native_one_and_converts_without_change() {
    let vars = "Teacup Temperature,Heat Loss to Room";
    let native = fulcrum(&["run", TEACUP, "--vars", vars]);
    let xmile = fulcrum(&["run", "tests/xmile/teacup.xmile", "--vars", vars]);
    assert!(xmile.status.success(), "{}", stderr(&xmile));
    assert_eq!(stdout(&xmile), stdout(&native));

    let directory = tempfile::tempdir().expect("temp dir");
    let converted = directory.path().join("teacup.toml");
    let output = fulcrum(&["convert", "tests/xmile/teacup.xmile", "-o", converted.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&converted).expect("written");
    assert!(
        text.contains("[[stock]]\nname = \"Teacup Temperature\"\ninitial = 180\noutflows = [\"Heat Loss to Room\"]"),
        "{text}"
    );
    let again = fulcrum(&["run", converted.to_str().expect("utf-8 path")]);
    let original = fulcrum(&["run", "tests/xmile/teacup.xmile"]);
    assert_eq!(stdout(&again), stdout(&original));
    let checked = fulcrum(&["check", converted.to_str().expect("utf-8 path")]);
    assert!(checked.status.success(), "{}", stderr(&checked));
}

#[test]
fn an_xmile_conveyor_runs_and_converts_to_toml_and_xmile_that_run_the_same() {
    let output = fulcrum(&["run", "tests/xmile/students.xmile"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let original = stdout(&output);
    let rows = csv_rows(&original);
    assert_eq!(rows[0], ["time", "Students", "matriculating", "graduating", "attriting"]);
    // 1000 students over a 4-year belt: 250 per year. Only the first year leaks (leak_end 0.25),
    // 10% of each entering class: 25 a year. The three classes already past their first year
    // graduate whole; from year 3 on each class graduates 250 − 25 = 225.
    let column = |index: usize| rows[1..].iter().map(|row| row[index].clone()).collect::<Vec<_>>();
    assert_eq!(column(3), ["250", "250", "250", "225", "225", "225", "225", "225", "225"]);
    assert_eq!(column(4), ["25"; 9]);
    assert_eq!(column(1), ["1000", "975", "950", "925", "925", "925", "925", "925", "925"]);

    // Converted to either format, the belt and its leak are kept: the same output, byte for byte.
    let directory = tempfile::tempdir().expect("temp dir");
    for file in ["students.toml", "students.xmile"] {
        let converted = directory.path().join(file);
        let path = converted.to_str().expect("utf-8 path");
        let output = fulcrum(&["convert", "tests/xmile/students.xmile", "-o", path]);
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        let output = fulcrum(&["run", path]);
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        assert_eq!(stdout(&output), original, "{file}");
    }
}

#[test]
fn a_sum_of_30000_terms_checks_and_runs_on_a_2_mib_stack() {
    // The debug binary under a 2 MiB stack limit (its main thread's stack): a flow that is a
    // chain of 30,000 terms, in a loop with its stock, is read, checked and run.
    let scratch = tempfile::tempdir().expect("temp dir");
    let chain = format!("{} - Level", vec!["1"; 29_999].join(" + "));
    let model = scratch.path().join("long_sum.toml");
    std::fs::write(
        &model,
        format!(
            "[sim]\nstart = 0\nstop = 2\ndt = 1\n\n[[stock]]\nname = \"Level\"\ninitial = 0\ninflows = [\"Filling\"]\n\n\
             [[flow]]\nname = \"Filling\"\nequation = \"{chain}\"\n"
        ),
    )
    .expect("model written");
    let model = model.to_str().expect("utf-8");
    let small_stack = |args: &[&str]| {
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -s 2048 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_fulcrum"))
            .args(args)
            .current_dir(root())
            .output()
            .expect("sh starts")
    };
    let check = small_stack(&["check", model]);
    assert!(check.status.success(), "{}", stderr(&check));
    assert!(stdout(&check).contains("1 stock, 1 flow"), "{}", stdout(&check));
    assert!(stdout(&check).contains("Level → Filling → Level"), "{}", stdout(&check));
    let run = small_stack(&["run", model]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert_eq!(
        csv_rows(&stdout(&run)),
        [["time", "Level", "Filling"], ["0", "0", "29999"], ["1", "29999", "0"], ["2", "29999", "0"]]
    );
}

/// `fulcrum convert -o model.xmile` writes XMILE (by the name, or `--to xmile` to standard
/// output) that runs to the same output as the model it came from.
#[test]
fn convert_writes_xmile_that_runs_like_the_original() {
    let directory = tempfile::tempdir().expect("temp dir");
    let xmile = directory.path().join("teacup.xmile");
    let output = fulcrum(&["convert", TEACUP, "-o", xmile.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&xmile).expect("written");
    assert!(text.starts_with("<?xml") && text.contains("<stock name=\"Teacup Temperature\">"), "{text}");
    let to_stdout = fulcrum(&["convert", TEACUP, "--to", "xmile"]);
    assert_eq!(stdout(&to_stdout), text);
    let again = fulcrum(&["run", xmile.to_str().expect("utf-8 path")]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(stdout(&again), stdout(&fulcrum(&["run", TEACUP])));
}

#[test]
fn vensim_get_direct_data_written_with_an_equals_sign_is_data() {
    // Vensim reads `name = GET DIRECT DATA(...)` as data, as `:=` (its run of SDEverywhere's
    // `directdata_endofdata` model, which writes it so): the time row ends at its first blank
    // cell, and the value holds after the last point (30, 40, 50 and then 50 in that run).
    let directory = tempfile::tempdir().expect("temp dir");
    std::fs::write(directory.path().join("steel.csv"), "year,0,1,2,,note\nsteel,30,40,50,,text\n").expect("written");
    let model = directory.path().join("steel.mdl");
    let text = "steel = GET DIRECT DATA('steel.csv', ',', '1', 'B2') ~~|\nshown = steel ~~|\n\
                INITIAL TIME = 0 ~~|\nFINAL TIME = 3 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    std::fs::write(&model, text).expect("written");
    let output = fulcrum(&["run", model.to_str().expect("utf-8 path"), "--vars", "shown"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&stdout(&output));
    let shown: Vec<f64> = rows[1..].iter().map(|row| row[1].parse().expect("a number")).collect();
    assert_eq!(shown, [30.0, 40.0, 50.0, 50.0]);
}

#[test]
fn vensim_get_data_functions_read_the_points_of_data_read_from_a_file() {
    let directory = tempfile::tempdir().expect("temp dir");
    // Times down column A, values down column B: (0, 5), (1, 15), (2, 25), (6, 45), (8, 65).
    std::fs::write(directory.path().join("sales.csv"), "time,sales\n0,5\n1,15\n2,25\n6,45\n8,65\n").expect("written");
    let model = directory.path().join("sales.mdl");
    let text = "Sales := GET DIRECT DATA('sales.csv', ',', 'A', 'B2') ~~|\n\
                Ahead :LOOK FORWARD: := GET DIRECT DATA('sales.csv', ',', 'A', 'B2') ~~|\n\
                next year = GET DATA BETWEEN TIMES(Sales, MIN(FINAL TIME, Time + 1), 0) ~~|\n\
                forward = GET DATA BETWEEN TIMES(Sales, MIN(FINAL TIME, Time + 0.5), 1) ~~|\n\
                backward = GET DATA BETWEEN TIMES(Sales, MIN(FINAL TIME, Time + 0.5), -1) ~~|\n\
                read ahead = GET DATA AT TIME(Ahead, Time + 0.5) ~~|\n\
                most so far = GET DATA MAX(Sales, INITIAL TIME, Time) ~~|\n\
                mean = GET DATA MEAN(Sales, INITIAL TIME, FINAL TIME) ~~|\n\
                last = GET DATA LAST TIME(Sales) ~~|\n\
                points = GET DATA TOTAL POINTS(Ahead) ~~|\n\
                INITIAL TIME = 0 ~~|\nFINAL TIME = 8 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    std::fs::write(&model, text).expect("written");
    let vars = "next year,forward,backward,read ahead,most so far,mean,last,points";
    let output = fulcrum(&["run", model.to_str().expect("utf-8 path"), "--vars", vars]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&stdout(&output));
    let column =
        |index: usize| -> Vec<f64> { rows[1..].iter().map(|row| row[index].parse().expect("a number")).collect() };
    // Interpolated a year ahead (at most 8): between (2, 25) and (6, 45) at 3, 25 + 20 / 4 = 30.
    assert_eq!(column(1), [15.0, 25.0, 30.0, 35.0, 40.0, 45.0, 55.0, 65.0, 65.0]);
    // Half a year ahead, read at the whole number below: the first point at or after it, ...
    assert_eq!(column(2), [5.0, 15.0, 25.0, 45.0, 45.0, 45.0, 45.0, 65.0, 65.0]);
    // ... and the last point before it (the first point at or before the first time).
    assert_eq!(column(3), [5.0, 5.0, 15.0, 25.0, 25.0, 25.0, 25.0, 45.0, 45.0]);
    // A :LOOK FORWARD: variable read half a year ahead: the next point's value, the last beyond.
    assert_eq!(column(4), [15.0, 25.0, 45.0, 45.0, 45.0, 45.0, 65.0, 65.0, 65.0]);
    assert_eq!(column(5), [5.0, 15.0, 25.0, 25.0, 25.0, 25.0, 45.0, 45.0, 65.0]);
    // (5 + 15 + 25 + 45 + 65) / 5 = 31; the last point at 8; five points.
    assert_eq!(column(6), [31.0; 9]);
    assert_eq!(column(7), [8.0; 9]);
    assert_eq!(column(8), [5.0; 9]);
}

/// A Vensim model whose FINAL TIME is computed during the run ends where its condition says
/// (Level = 3t passes 10 at t = 4); the command-line time flags cannot replace a computed
/// setting, and XMILE cannot hold one.
#[test]
fn a_stop_time_computed_during_the_run_ends_the_run_and_is_not_overridden() {
    const MDL: &str = "tests/fixtures/final_time_by_condition.mdl";
    let output = fulcrum(&["run", MDL, "--vars", "Level,FINAL TIME"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "time,Level,FINAL TIME\n0,0,100\n1,3,100\n2,6,100\n3,9,100\n4,12,4\n");
    let output = fulcrum(&["run", MDL, "--stop", "20"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--stop: the model computes this setting during the run (`FINAL TIME`)"));
    let output = fulcrum(&["convert", MDL, "--to", "xmile"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("XMILE's sim specs cannot express"), "{}", stderr(&output));
    let output = fulcrum(&["convert", MDL, "--to", "toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("stop = \"FINAL TIME\""), "{}", stdout(&output));
}

/// `--chart` draws the run: by default the model's stocks, a panel each with its unit; with
/// `--vars`, those variables. The CSV still goes where it goes.
#[test]
fn run_chart_draws_the_stocks_or_the_chosen_variables() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let chart = scratch.path().join("run.svg");
    let output = fulcrum(&["run", "models/workforce/model.toml", "--chart", chart.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).starts_with("time,"), "the CSV on standard output");
    let svg = std::fs::read_to_string(&chart).expect("the chart is written");
    assert!(svg.contains("workforce/model.toml: stocks over time"), "its title");
    for stock in ["Vacancies", "Rookies (people)", "Experienced (people)"] {
        assert!(svg.contains(stock), "a panel for {stock}");
    }
    assert!(svg.contains("time (months)"));
    assert!(!svg.contains("Effective Capacity"), "no panel for an auxiliary");

    let output = fulcrum(&[
        "run",
        TEACUP,
        "--vars",
        "Heat Loss to Room",
        "--chart",
        chart.to_str().expect("utf-8"),
        "-o",
        scratch.path().join("run.csv").to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let svg = std::fs::read_to_string(&chart).expect("the chart is written");
    assert!(svg.contains("teacup/model.toml: chosen variables over time"));
    assert!(svg.contains("Heat Loss to Room") && !svg.contains("Teacup Temperature"));
    // The chart cannot overwrite the model.
    let output = fulcrum(&["run", TEACUP, "--chart", TEACUP]);
    assert!(!output.status.success());
}

/// `fulcrum loops` ranks the workforce model's loops, writes the three files and says which loops
/// dominate when; the shares in loop_scores.csv are those of all the loops at each time.
#[test]
fn loops_ranks_the_workforce_loops_and_names_the_dominant_ones() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("loops");
    let output = fulcrum(&["loops", "models/workforce/model.toml", "-o", out.to_str().expect("utf-8"), "--top", "15"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(printed.contains("15 feedback loops scored (all loops)"), "{printed}");
    // Demand steps up at month 12: nothing moves before, the hiring loops answer after.
    assert!(printed.contains("from 0 to 12: no loop is active"), "{printed}");
    assert!(printed.contains("B3 dominates"), "{printed}");

    let ranking = csv_rows(&std::fs::read_to_string(out.join("loops.csv")).expect("loops.csv"));
    assert_eq!(ranking[0], ["loop", "polarity", "acted", "length", "mean_abs_relative_score", "variables"]);
    assert_eq!(ranking.len(), 16);
    let shares: Vec<f64> = ranking[1..].iter().map(|row| row[4].parse().expect("a share")).collect();
    assert!(shares.windows(2).all(|pair| pair[0] >= pair[1]), "ranked by share: {shares:?}");
    let hiring = ranking.iter().find(|row| row[5] == "Vacancies -> Hiring").expect("the hiring loop");
    assert_eq!(hiring[1..4], ["balancing", "balancing", "2"]);
    // Structure and behaviour agree wherever the structure tells.
    for row in &ranking[1..] {
        assert!(row[1] == "unknown" || row[2] == "inactive" || row[1] == row[2], "{row:?}");
    }

    let scores = csv_rows(&std::fs::read_to_string(out.join("loop_scores.csv")).expect("loop_scores.csv"));
    assert_eq!(scores[0][0], "time");
    assert_eq!(scores[0][1..], ranking[1..].iter().map(|row| row[0].clone()).collect::<Vec<_>>()[..]);
    assert_eq!(scores.len(), 98, "a row per saved month, 0 to 96");
    for row in &scores[1..] {
        let total: f64 = row[1..].iter().map(|cell| cell.parse::<f64>().expect("a number").abs()).sum();
        assert!(total == 0.0 || (total - 1.0).abs() < 1e-9, "time {}: {total}", row[0]);
    }
    let chart = std::fs::read_to_string(out.join("loops.svg")).expect("loops.svg");
    assert!(chart.starts_with("<svg") && chart.contains("<polygon"), "{chart}");
}

#[test]
fn loops_refuses_an_unknown_loop_and_a_model_without_loops() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("loops");
    let out = out.to_str().expect("utf-8");
    let unknown = fulcrum(&["loops", "models/workforce/model.toml", "-o", out, "--loop", "R9"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(
        stderr(&unknown).contains("--loop: the model has no loop `R9`; its loops are B1, B2"),
        "{}",
        stderr(&unknown)
    );

    let model = scratch.path().join("open.toml");
    std::fs::write(
        &model,
        "[sim]\nstart = 0\nstop = 3\ndt = 1\n\n[[stock]]\nname = \"Level\"\ninitial = 0\ninflows = [\"Filling\"]\n\n\
         [[flow]]\nname = \"Filling\"\nequation = \"TIME\"\n",
    )
    .expect("write");
    let open = fulcrum(&["loops", model.to_str().expect("utf-8"), "-o", out]);
    assert_eq!(open.status.code(), Some(1), "{}", stderr(&open));
    assert!(stderr(&open).contains("the model has no feedback loops"), "{}", stderr(&open));
    assert!(stderr(&open).contains("hint: `fulcrum check"), "{}", stderr(&open));
}

/// A sweep's `loop_share:B1` is the share `fulcrum loops` gives the same loop in the same run:
/// with nothing uncertain every run is the baseline's, or the intervention's, and under patient
/// hiring B1 is still the baseline's capacity-gap loop.
#[test]
fn a_sweeps_loop_share_is_the_share_fulcrum_loops_gives_the_same_loop() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models/workforce/model.toml");
    let experiment = scratch.path().join("shares.toml");
    let text = format!(
        "model = {model:?}\n\n[sampling]\nruns = 2\n\n[[intervention]]\nname = \"patient hiring\"\n\
         set = {{ \"Workforce Adjustment Time\" = 12 }}\n\n[[outcome]]\nstatistic = \"loop_share:B1\"\n\n\
         [[outcome]]\nname = \"overload\"\nstatistic = \"loop_share:r1\"\n",
        model = model.to_str().expect("utf-8")
    );
    std::fs::write(&experiment, text).expect("writes");
    let experiment = experiment.to_str().expect("utf-8");
    for intervention in [None, Some("patient hiring")] {
        let (sweep_out, loops_out) = (scratch.path().join("sweep"), scratch.path().join("loops"));
        let (sweep_out, loops_out) = (sweep_out.to_str().expect("utf-8"), loops_out.to_str().expect("utf-8"));
        let mut sweep = vec!["sweep", experiment, "-o", sweep_out, "--force"];
        let mut loops = vec!["loops", "--experiment", experiment, "-o", loops_out, "--loop", "B1", "--loop", "R1"];
        if let Some(name) = intervention {
            sweep.extend(["--intervention", name]);
            loops.extend(["--intervention", name]);
        }
        let (swept, analysed) = (fulcrum(&sweep), fulcrum(&loops));
        assert!(swept.status.success(), "{}", stderr(&swept));
        assert!(analysed.status.success(), "{}", stderr(&analysed));
        let outcomes = csv_rows(&std::fs::read_to_string(scratch.path().join("sweep/outcomes.csv")).expect("csv"));
        assert_eq!(outcomes[0][1..], ["B1 share", "overload"]);
        assert_eq!(outcomes.len(), 3, "two runs");
        let ranking = csv_rows(&std::fs::read_to_string(scratch.path().join("loops/loops.csv")).expect("csv"));
        let share =
            |id: &str| ranking.iter().find(|row| row[0] == id).expect("the loop")[4].parse::<f64>().expect("a share");
        for run in &outcomes[1..] {
            let (b1, r1): (f64, f64) = (run[1].parse().expect("a share"), run[2].parse().expect("a share"));
            assert!((b1 - share("B1")).abs() < 1e-12, "{intervention:?}: {b1} vs {}", share("B1"));
            assert!((r1 - share("R1")).abs() < 1e-12, "{intervention:?}: {r1} vs {}", share("R1"));
        }
    }
}

/// `fulcrum compare` and `fulcrum leverage` say which loops each intervention, or each lever's
/// high setting, strengthens or weakens, averaged over the first `--loop-futures` futures: the
/// loops named as `fulcrum loops --experiment` names them, the change the difference of the
/// shares, the most strengthened loop first; `--loop-futures 0` writes no file.
#[test]
fn compare_and_leverage_list_the_loops_each_option_strengthens_or_weakens_over_futures() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = "models/workforce/experiment.toml";
    let nominal = scratch.path().join("nominal");
    let output = fulcrum(&["loops", "--experiment", experiment, "-o", nominal.to_str().expect("utf-8"), "--top", "30"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let named: Vec<(String, String)> =
        csv_rows(&std::fs::read_to_string(nominal.join("loops.csv")).expect("loops.csv"))[1..]
            .iter()
            .map(|row| (row[0].clone(), row.last().expect("variables").clone()))
            .collect();
    let number = |cell: &str| cell.parse::<f64>().expect("a number");
    let run = |verb: &str, folder: &str, extra: &[&str]| {
        let out = scratch.path().join(folder);
        let mut args = vec![verb, experiment, "-o", out.to_str().expect("utf-8"), "--futures", "12", "--force"];
        args.extend(extra);
        let output = fulcrum(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        out
    };
    for (verb, column, options) in [
        ("compare", "intervention", &["faster hiring", "patient hiring", "structured onboarding"][..]),
        ("leverage", "lever", &["Hiring Delay", "Workforce Adjustment Time", "Mentoring Load"][..]),
    ] {
        let extra: &[&str] =
            if verb == "leverage" { &["--no-cross-check", "--loop-futures", "3"] } else { &["--loop-futures", "3"] };
        let out = run(verb, verb, extra);
        let changes = csv_rows(&std::fs::read_to_string(out.join("loop_changes.csv")).expect("loop_changes.csv"));
        assert_eq!(
            changes[0],
            [column, "loop", "polarity", "baseline_share", "share", "change", "futures", "variables"],
            "{verb}"
        );
        for name in options {
            let rows: Vec<&Vec<String>> = changes.iter().filter(|row| row[0] == *name).collect();
            assert!(rows.len() >= 10, "{verb} {name}: {} loops", rows.len());
            for row in &rows {
                assert_eq!(row[6], "3", "{verb} {name}: averaged over three futures");
                assert!((number(&row[5]) - (number(&row[4]) - number(&row[3]))).abs() < 1e-15);
                // A loop the nominal run has keeps its id there.
                if let Some((id, _)) = named.iter().find(|(_, variables)| variables.replace(" → ", " -> ") == row[7])
                {
                    assert_eq!(&row[1], id, "{verb} {name}: {}", row[7]);
                }
            }
            assert!(rows.windows(2).all(|pair| number(&pair[0][5]) >= number(&pair[1][5])), "{verb} {name}: by change");
        }
        let manifest = std::fs::read_to_string(out.join("manifest.json")).expect("manifest.json");
        assert!(manifest.contains("\"loop_futures\": 3"), "{verb}: {manifest}");
        let find = |option: &str, id: &str| {
            number(&changes.iter().find(|row| row[0] == option && row[1] == id).expect("the loop")[5])
        };
        if verb == "compare" {
            // Patient hiring closes the capacity gap more slowly: its loop, B1, loses share.
            assert!(find("patient hiring", "B1") < 0.0);
        } else {
            // A longer hiring delay weakens the same loop.
            assert!(find("Hiring Delay", "B1") < 0.0);
        }
        let without = ["--loop-futures", "0", "--no-cross-check"];
        let skipped = run(verb, &format!("{verb} without loops"), &without[..if verb == "leverage" { 3 } else { 2 }]);
        assert!(skipped.join("manifest.json").exists(), "{verb} --loop-futures 0");
        assert!(!skipped.join("loop_changes.csv").exists(), "{verb} --loop-futures 0 writes no loop_changes.csv");
    }
}

/// A loop's share as a leverage outcome moves with the lever even when the lever's baseline is
/// not the model's value: each run's loops are scored with the lever where the run put it. With
/// births `Population × Birth Rate` and deaths `Population × Death Rate`, the births loop's
/// share is b / (b + d) at every step, whose elasticity to b is d / (b + d), between 0 and 1.
#[test]
fn a_loop_share_outcome_moves_with_a_lever_whose_baseline_differs_from_the_model() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = "[sim]\nstart = 0\nstop = 10\ndt = 1\n\n[[stock]]\nname = \"Population\"\ninitial = 100\n\
                 inflows = [\"Births\"]\noutflows = [\"Deaths\"]\n\n[[flow]]\nname = \"Births\"\n\
                 equation = \"Population * Birth_Rate\"\n\n[[flow]]\nname = \"Deaths\"\n\
                 equation = \"Population * Death_Rate\"\n\n[[constant]]\nname = \"Birth Rate\"\nvalue = 0.1\n\n\
                 [[constant]]\nname = \"Death Rate\"\nvalue = 0.05\n";
    let experiment = "model = \"births.toml\"\n[sampling]\nruns = 10\n[[uncertain]]\nname = \"Death Rate\"\n\
                      distribution = \"uniform\"\nmin = 0.01\nmax = 0.08\n[[lever]]\nname = \"Birth Rate\"\n\
                      baseline = 0.15\nmin = 0.05\nmax = 0.3\n[[outcome]]\nname = \"births share\"\n\
                      statistic = \"loop_share:R1\"\n";
    std::fs::write(scratch.path().join("births.toml"), model).expect("writes");
    std::fs::write(scratch.path().join("experiment.toml"), experiment).expect("writes");
    let out = scratch.path().join("leverage");
    let output = fulcrum(&[
        "leverage",
        scratch.path().join("experiment.toml").to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--no-cross-check",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows = csv_rows(&std::fs::read_to_string(out.join("leverage.csv")).expect("leverage.csv"));
    let score: f64 = rows[1][2].parse().expect("a score");
    // d / (b + d) for b = 0.15 and d between 0.01 and 0.08.
    assert!(score > 0.05 && score < 0.35, "the births loop's share moves with the birth rate: {score}");
}

/// WORLD3 has too many loops to list (`fulcrum check` stops at its budget), so `fulcrum loops`
/// finds the ones that matter by the strongest paths, every step, and scores those.
#[test]
fn loops_finds_the_loops_that_matter_in_world3_by_the_strongest_paths() {
    let model = root().join("..").join("shared").join("vensim").join("world3-03").join("wrld3-03.mdl");
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("loops");
    let output = fulcrum(&["loops", model.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8"), "--top", "20"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(printed.contains("feedback loops scored (loops found by the strongest paths)"), "{printed}");
    let count: usize = printed.split_whitespace().nth(1).and_then(|word| word.parse().ok()).expect("a count");
    assert!(count > 100, "{printed}");
    let ranking = csv_rows(&std::fs::read_to_string(out.join("loops.csv")).expect("loops.csv"));
    assert_eq!(ranking.len(), 21);
    let scores = csv_rows(&std::fs::read_to_string(out.join("loop_scores.csv")).expect("loop_scores.csv"));
    // 1900 to 2100 saved every half year.
    assert_eq!(scores.len(), 402);
}

/// `fulcrum loops --experiment` analyses the run `fulcrum run --experiment` makes, and an
/// intervention changes which loops matter: patient hiring (closing the gap over a year) gives
/// the capacity-gap loop a smaller share.
#[test]
fn loops_analyses_an_experiments_run_under_an_intervention() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let share_of_gap_loop = |intervention: Option<&str>| {
        let out = scratch.path().join(intervention.unwrap_or("baseline"));
        let out = out.to_str().expect("utf-8");
        let mut args = vec!["loops", "--experiment", "models/workforce/experiment.toml", "-o", out, "--top", "15"];
        if let Some(name) = intervention {
            args.extend(["--intervention", name]);
        }
        let output = fulcrum(&args);
        assert!(output.status.success(), "{}", stderr(&output));
        if let Some(name) = intervention {
            assert!(stdout(&output).contains(&format!("under `{name}`: 15 feedback loops")), "{}", stdout(&output));
        }
        let ranking =
            csv_rows(&std::fs::read_to_string(scratch.path().join(out).join("loops.csv")).expect("loops.csv"));
        let gap = "Vacancies -> Hiring -> Rookies -> Promotion -> Experienced -> Effective Capacity -> Capacity Gap -> Vacancy Creation";
        let row = ranking.iter().find(|row| row[5] == gap).expect("the capacity-gap loop");
        // Ids are the baseline's in every run: the promotion loop ranks first under patient
        // hiring and is still B2.
        assert_eq!(row[0], "B1", "{intervention:?}");
        let promotion = ranking.iter().find(|row| row[5] == "Rookies -> Promotion").expect("the promotion loop");
        assert_eq!(promotion[0], "B2", "{intervention:?}");
        (row[4].parse::<f64>().expect("a share"), ranking[1][0].clone())
    };
    let ((baseline, first), (patient, patient_first)) =
        (share_of_gap_loop(None), share_of_gap_loop(Some("patient hiring")));
    assert!(patient < baseline, "patient hiring {patient}, baseline {baseline}");
    assert_eq!((first.as_str(), patient_first.as_str()), ("B1", "B2"), "the ranking changes, the ids do not");

    let unknown = fulcrum(&[
        "loops",
        "--experiment",
        "models/workforce/experiment.toml",
        "-o",
        "unused",
        "--intervention",
        "nope",
    ]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("interventions: faster hiring, patient hiring"), "{}", stderr(&unknown));
}

#[test]
fn diagram_writes_the_svg_and_refuses_a_broken_model() {
    let directory = tempfile::tempdir().expect("temp dir");
    let svg = directory.path().join("teacup.svg");
    let output = fulcrum(&["diagram", TEACUP, "-o", svg.to_str().expect("utf-8 path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(&svg).expect("written");
    assert!(text.starts_with("<svg") && text.contains("<title>Heat Loss to Room</title>"), "{text}");
    assert_eq!(stdout(&fulcrum(&["diagram", TEACUP])), text, "standard output gets the same bytes");

    let broken = directory.path().join("broken.toml");
    std::fs::write(&broken, "[sim]\nstart = 0\nstop = 1\ndt = 1\n[[flow]]\nname = \"f\"\nequation = \"missing * 2\"\n")
        .expect("written");
    let drawn = directory.path().join("broken.svg");
    let output = fulcrum(&["diagram", broken.to_str().expect("utf-8 path"), "-o", drawn.to_str().expect("utf-8 path")]);
    assert!(!output.status.success(), "a model that does not resolve is not drawn");
    assert!(stderr(&output).contains("missing"), "the problem is named: {}", stderr(&output));
    assert!(!drawn.exists(), "nothing is written");
}

/// `fulcrum diagram --loop` draws the loop `fulcrum loops` names with that id, and refuses an id
/// the model does not have.
#[test]
fn diagram_highlights_a_loop_by_the_id_fulcrum_loops_gives_it() {
    let directory = tempfile::tempdir().expect("temp dir");
    let svg = directory.path().join("workforce.svg");
    let svg = svg.to_str().expect("utf-8 path");
    let output = fulcrum(&["diagram", "models/workforce/model.toml", "--loop", "b1", "-o", svg]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = std::fs::read_to_string(svg).expect("written");
    assert!(text.contains(&format!("stroke=\"{}\"", fulcrum_report::diagram::LOOP_COLOUR)), "{text}");

    let unknown = fulcrum(&["diagram", "models/workforce/model.toml", "--loop", "R9"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", stderr(&unknown));
    assert!(stderr(&unknown).contains("the model has no loop `R9`; its loops are B1, B2"), "{}", stderr(&unknown));
}
