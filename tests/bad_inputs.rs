//! The bad-input corpus: every file in a folder of tests/bad_inputs/ is one broken input, read the
//! way tests/bad_inputs/cases.toml says for its folder. Each must be refused with its documented
//! exit code, without a panic, a signal or a hang, writing nothing, and with what it prints on
//! standard error as in its snapshot, tests/snapshots/bad_inputs_FOLDER_CASE.snap. Every message
//! it prints must have a diagnostic code and a file:line(:column) location, unless cases.toml
//! excuses the case with a reason; and the corpus must have as many cases as README.md says.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::root;

/// A case that runs longer than this is taken to hang; generous for a debug build on a busy
/// machine, where the slowest case takes well under a second.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The keys a folder's table in cases.toml may have, and those of a case's description.
const FOLDER_KEYS: [&str; 8] = ["descriptions", "prepare", "run", "exit", "exits", "pending", "no_code", "no_location"];
const DESCRIPTION_KEYS: [&str; 7] = ["prepare", "run", "exit", "remove", "write", "edit", "redigest"];

/// One case: its folder's settings, overridden by its description where the folder has them.
struct Case {
    folder: String,
    name: String,
    /// The case's file, from the repository root.
    file: String,
    prepare: Vec<Vec<String>>,
    run: Vec<String>,
    exit: i32,
    /// In a folder of descriptions, the case's own: how to break the prepared files.
    description: Option<toml::Table>,
    /// Why what it prints may have no diagnostic code, if it may not.
    no_code: Option<Excuse>,
    /// Why what it prints may have no file:line location, if it may not.
    no_location: Option<Excuse>,
}

fn corpus() -> PathBuf {
    root().join("tests").join("bad_inputs")
}

fn table<'a>(value: &'a toml::Value, what: &str) -> &'a toml::Table {
    value.as_table().unwrap_or_else(|| panic!("{what} must be a table"))
}

fn string_list(value: &toml::Value, what: &str) -> Vec<String> {
    let list = value.as_array().unwrap_or_else(|| panic!("{what} must be a list of strings"));
    list.iter().map(|item| item.as_str().unwrap_or_else(|| panic!("{what} must be strings")).to_owned()).collect()
}

fn commands(value: &toml::Value, what: &str) -> Vec<Vec<String>> {
    let list = value.as_array().unwrap_or_else(|| panic!("{what} must be a list of command lines"));
    list.iter().map(|command| string_list(command, what)).collect()
}

fn exit_code(value: &toml::Value, what: &str) -> i32 {
    value
        .as_integer()
        .and_then(|code| i32::try_from(code).ok())
        .unwrap_or_else(|| panic!("{what} must be an exit code"))
}

fn check_keys(table: &toml::Table, allowed: &[&str], what: &str) {
    for key in table.keys() {
        assert!(allowed.contains(&key.as_str()), "{what}: unknown key `{key}` (expected one of {allowed:?})");
    }
}

/// The names listed under `key` of a folder's table (`exits`, `pending`).
fn names(folder: &toml::Table, key: &str, what: &str) -> BTreeSet<String> {
    folder.get(key).map_or_else(BTreeSet::new, |value| table(value, what).keys().cloned().collect())
}

/// Why a case may print a message without a code or without a location.
struct Excuse {
    reason: String,
    /// Given for this case (rather than for its whole folder), so it must still apply.
    own: bool,
}

/// The excuse of a case from `key` (`no_code`, `no_location`): the folder's, when the key is a
/// reason for every case of the folder, or the case's own in a table of them.
fn excuse(folder: &toml::Table, key: &str, name: &str, what: &str) -> Option<Excuse> {
    match folder.get(key)? {
        toml::Value::String(reason) => Some(Excuse { reason: reason.clone(), own: false }),
        toml::Value::Table(cases) => cases.get(name).map(|reason| {
            let reason = reason.as_str().unwrap_or_else(|| panic!("{what}: `{key}` gives a reason")).to_owned();
            Excuse { reason, own: true }
        }),
        _ => panic!("{what}: `{key}` is a reason, or a table of cases and reasons"),
    }
}

/// Every case of the corpus, pending ones included, in folder and file order.
fn cases() -> Vec<(Case, bool)> {
    let text = fs::read_to_string(corpus().join("cases.toml")).expect("tests/bad_inputs/cases.toml");
    let folders: toml::Table = text.parse().expect("tests/bad_inputs/cases.toml is valid TOML");
    let on_disk: BTreeSet<String> = fs::read_dir(corpus())
        .expect("tests/bad_inputs")
        .map(|entry| entry.expect("readable").path())
        .filter(|path| path.is_dir())
        .map(|path| path.file_name().expect("name").to_string_lossy().into_owned())
        .collect();
    let listed: BTreeSet<String> = folders.keys().cloned().collect();
    assert_eq!(on_disk, listed, "every folder of tests/bad_inputs is in cases.toml, and only those");

    let mut all = Vec::new();
    for (folder, settings) in &folders {
        let settings = table(settings, folder);
        check_keys(settings, &FOLDER_KEYS, &format!("cases.toml [{folder}]"));
        let described = settings.get("descriptions").is_some_and(|value| value.as_bool() == Some(true));
        let exits = settings.get("exits").map(|value| table(value, "exits").clone()).unwrap_or_default();
        let pending = names(settings, "pending", "pending");
        let mut files: Vec<PathBuf> = fs::read_dir(corpus().join(folder))
            .expect("a folder of cases")
            .map(|entry| entry.expect("readable").path())
            .collect();
        files.sort();
        let mut seen = BTreeSet::new();
        for path in files {
            let file_name = path.file_name().expect("name").to_string_lossy().into_owned();
            assert!(path.is_file(), "{folder}/{file_name}: cases are files");
            let name = path.file_stem().expect("name").to_string_lossy().into_owned();
            assert!(seen.insert(name.clone()), "{folder}/{name}: two cases with one name");
            let file = format!("tests/bad_inputs/{folder}/{file_name}");
            let what = format!("{folder}/{name}");
            let description = described.then(|| {
                let text = fs::read_to_string(&path).unwrap_or_else(|_| panic!("{what}: not text"));
                let description: toml::Table = text.parse().unwrap_or_else(|error| panic!("{what}: {error}"));
                check_keys(&description, &DESCRIPTION_KEYS, &what);
                description
            });
            let setting =
                |key: &str| description.as_ref().and_then(|d| d.get(key)).or_else(|| settings.get(key)).cloned();
            let prepare = setting("prepare").map_or_else(Vec::new, |value| commands(&value, &what));
            let run =
                setting("run").map(|value| string_list(&value, &what)).unwrap_or_else(|| panic!("{what}: no `run`"));
            let exit = match exits.get(&name) {
                Some(code) => exit_code(code, &what),
                None => exit_code(&setting("exit").unwrap_or_else(|| panic!("{what}: no `exit`")), &what),
            };
            let no_code = excuse(settings, "no_code", &name, &what);
            let no_location = excuse(settings, "no_location", &name, &what);
            let case = Case {
                folder: folder.clone(),
                name: name.clone(),
                file,
                prepare,
                run,
                exit,
                description,
                no_code,
                no_location,
            };
            all.push((case, pending.contains(&name)));
        }
        let excused = |key: &str| match settings.get(key) {
            Some(toml::Value::Table(cases)) => cases.keys().cloned().collect(),
            _ => BTreeSet::new(),
        };
        let (no_code, no_location) = (excused("no_code"), excused("no_location"));
        for name in names(settings, "exits", "exits").iter().chain(&pending).chain(&no_code).chain(&no_location) {
            assert!(seen.contains(name), "cases.toml [{folder}] names `{name}`, which is not a case");
        }
    }
    all
}

/// Runs `fulcrum ARGS` from the repository root with its output in files under `logs`, killing
/// it if it outlives [`TIMEOUT`]. Returns its status and standard error.
fn fulcrum_within_timeout(args: &[String], logs: &Path, what: &str) -> (ExitStatus, String) {
    let stdout = logs.join("stdout.txt");
    let stderr = logs.join("stderr.txt");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fulcrum"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::null())
        .stdout(File::create(&stdout).expect("log file"))
        .stderr(File::create(&stderr).expect("log file"))
        .spawn()
        .expect("the binary starts");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the process can be waited for") {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            child.kill().expect("the process can be killed");
            child.wait().expect("the process ends");
            panic!("{what}: `fulcrum {}` still runs after {TIMEOUT:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    (status, String::from_utf8_lossy(&fs::read(&stderr).expect("log file")).into_owned())
}

/// Lower-case hex SHA-256 of a file, as the manifests record it.
fn sha256_hex(path: &Path, what: &str) -> String {
    use sha2::Digest;
    let bytes = fs::read(path).unwrap_or_else(|error| panic!("{what}: {}: {error}", path.display()));
    sha2::Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Breaks the prepared files under `tmp` as a case's description says.
fn break_files(tmp: &Path, description: &toml::Table, what: &str) {
    // The files whose digest, recorded in the manifest.json beside them, must follow the edit.
    let redigest: Vec<(PathBuf, String)> = description.get("redigest").map_or_else(Vec::new, |value| {
        string_list(value, what)
            .into_iter()
            .map(|path| {
                let path = tmp.join(path);
                let before = sha256_hex(&path, what);
                (path, before)
            })
            .collect()
    });
    if let Some(remove) = description.get("remove") {
        for path in string_list(remove, what) {
            let target = tmp.join(&path);
            if target.is_dir() {
                fs::remove_dir_all(&target).expect("removable");
            } else {
                fs::remove_file(&target).unwrap_or_else(|error| panic!("{what}: cannot remove {path}: {error}"));
            }
        }
    }
    let entries = |key: &str| -> Vec<toml::Table> {
        description.get(key).map_or_else(Vec::new, |value| {
            let list = value.as_array().unwrap_or_else(|| panic!("{what}: `{key}` must be [[{key}]] tables"));
            list.iter().map(|entry| table(entry, what).clone()).collect()
        })
    };
    let path_of = |entry: &toml::Table| -> PathBuf {
        tmp.join(entry.get("path").and_then(toml::Value::as_str).unwrap_or_else(|| panic!("{what}: no `path`")))
    };
    for write in entries("write") {
        let bytes = match (write.get("text"), write.get("bytes")) {
            (Some(text), None) => text.as_str().unwrap_or_else(|| panic!("{what}: `text` is text")).as_bytes().to_vec(),
            (None, Some(bytes)) => {
                let bytes = bytes.as_array().unwrap_or_else(|| panic!("{what}: `bytes` is a list"));
                bytes.iter().map(|b| b.as_integer().and_then(|b| u8::try_from(b).ok()).expect("a byte")).collect()
            }
            _ => panic!("{what}: a [[write]] has `text` or `bytes`"),
        };
        let path = path_of(&write);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("a folder for the file");
        }
        fs::write(path, bytes).expect("writable");
    }
    for edit in entries("edit") {
        let path = path_of(&edit);
        let text = fs::read_to_string(&path).unwrap_or_else(|error| panic!("{what}: {}: {error}", path.display()));
        let string = |key: &str| edit.get(key).and_then(toml::Value::as_str).map(str::to_owned);
        let edited = match (edit.get("line"), string("text"), string("find"), string("replace")) {
            (Some(line), Some(new), None, None) => {
                let line = line.as_integer().and_then(|n| usize::try_from(n).ok()).expect("a line number");
                assert!((1..=text.lines().count()).contains(&line), "{what}: {} has no line {line}", path.display());
                let mut lines: Vec<&str> = text.split('\n').collect();
                lines[line - 1] = &new;
                lines.join("\n")
            }
            (None, None, Some(find), Some(replace)) => {
                // Exactly once, so that a change in what the command writes cannot make the
                // edit a silent no-op or an edit of something else.
                assert_eq!(text.matches(&find).count(), 1, "{what}: `{find}` must occur once in {}", path.display());
                text.replacen(&find, &replace, 1)
            }
            _ => panic!("{what}: an [[edit]] has `line` and `text`, or `find` and `replace`"),
        };
        fs::write(&path, edited).expect("writable");
    }
    for (path, before) in redigest {
        let after = sha256_hex(&path, what);
        assert_ne!(before, after, "{what}: {} is unchanged", path.display());
        let manifest = path.with_file_name("manifest.json");
        let text =
            fs::read_to_string(&manifest).unwrap_or_else(|error| panic!("{what}: {}: {error}", manifest.display()));
        assert_eq!(
            text.matches(&before).count(),
            1,
            "{what}: {} records {}'s digest once",
            manifest.display(),
            path.display()
        );
        fs::write(&manifest, text.replace(&before, &after)).expect("writable");
    }
}

/// Runs one case and checks everything but its snapshot; returns the command line and standard
/// error, both with the temporary directory written `[tmp]`.
fn run_case(case: &Case) -> (String, String) {
    let what = format!("{}/{}", case.folder, case.name);
    let scratch = tempfile::tempdir().expect("temp dir");
    let tmp = scratch.path().join("tmp");
    fs::create_dir(&tmp).expect("temp dir");
    let tmp_text = tmp.to_str().expect("a UTF-8 temporary directory");
    let fill = |args: &[String]| -> Vec<String> {
        args.iter().map(|arg| arg.replace("{case}", &case.file).replace("{tmp}", tmp_text)).collect()
    };
    for command in &case.prepare {
        let (status, stderr) = fulcrum_within_timeout(&fill(command), scratch.path(), &what);
        assert!(status.success(), "{what}: preparing with `fulcrum {}` failed: {stderr}", command.join(" "));
    }
    if let Some(description) = &case.description {
        break_files(&tmp, description, &what);
    }
    let args = fill(&case.run);
    let (status, stderr) = fulcrum_within_timeout(&args, scratch.path(), &what);
    let code = status.code().unwrap_or_else(|| panic!("{what}: killed by a signal ({status}): {stderr}"));
    assert!(!stderr.contains("panicked"), "{what} panicked: {stderr}");
    assert_eq!(code, case.exit, "{what}: exit code {code}, documented {}: {stderr}", case.exit);
    assert!(!stderr.trim().is_empty(), "{what}: refused without a word");
    assert!(!tmp.join("out").exists(), "{what}: a refused command wrote its output");
    // Quoted where a shell would need it, so that the snapshot's header can be pasted.
    let quoted: Vec<String> =
        args.iter().map(|arg| if arg.contains(' ') { format!("'{arg}'") } else { arg.clone() }).collect();
    let command = format!("fulcrum {}", quoted.join(" ")).replace(tmp_text, "[tmp]");
    (command, stderr.replace(tmp_text, "[tmp]"))
}

/// The case files of the corpus, counted by walking its folders (everything but cases.toml).
fn files_in_corpus(directory: &Path) -> usize {
    fs::read_dir(directory)
        .expect("a folder of the corpus")
        .map(|entry| entry.expect("readable").path())
        .map(
            |path| {
                if path.is_dir() { files_in_corpus(&path) } else { usize::from(path != corpus().join("cases.toml")) }
            },
        )
        .sum()
}

/// The number of cases README.md gives: "`tests/bad_inputs/` holds N broken inputs".
fn stated_in_readme() -> usize {
    let readme = fs::read_to_string(root().join("README.md")).expect("README.md");
    let (_, after) = readme.split_once("`tests/bad_inputs/` holds ").expect("README.md states the corpus's size");
    let number: String = after.chars().take_while(char::is_ascii_digit).collect();
    number.parse().expect("README.md states the corpus's size as a number")
}

/// One message printed on standard error: a diagnostic with a code (`E0102` on its own line,
/// then the message and the source frame) or a plain `error:`/`warning:` line.
#[derive(Debug)]
struct Message {
    code: Option<String>,
    text: String,
    location: Option<String>,
}

fn is_code(line: &str) -> bool {
    let mut chars = line.chars();
    matches!(chars.next(), Some('E' | 'W')) && line.len() == 5 && chars.all(|c| c.is_ascii_digit())
}

/// `FILE:LINE:COLUMN` (miette's frame) or `FILE:LINE` then `:` or `,` (a plain message), at the
/// start of `text`: the file's name has no spaces and the numbers are whole.
fn location_at_start(text: &str, frame: bool) -> Option<String> {
    // A frame's place runs to its last `]`: the temporary directory is written `[tmp]`.
    let place = if frame { text.rsplit_once(']')?.0 } else { text.split(' ').next()? };
    let place = place.trim_end_matches([':', ',']);
    let mut parts = place.rsplitn(3, ':');
    let numbers = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
    let (last, middle, first) = (parts.next()?, parts.next()?, parts.next());
    let file = if numbers(middle) { first? } else { middle };
    // A file's name has an extension; `--stop: 5` is a flag, not a place.
    let located = numbers(last) && file.contains('.') && (!frame || numbers(middle));
    located.then(|| place.to_owned())
}

/// The messages of `stderr`, without the line that ends a list of diagnostics ("error: the
/// model has 3 errors", "error: the data file has 1 error", "error: the run failed") and without progress lines ("sobol: N = ...").
fn messages(stderr: &str) -> Vec<Message> {
    let mut messages: Vec<Message> = Vec::new();
    let mut in_diagnostic = false;
    for line in stderr.lines() {
        if is_code(line) {
            messages.push(Message { code: Some(line.to_owned()), text: String::new(), location: None });
            in_diagnostic = true;
        } else if let Some(text) = line.strip_prefix("error: ").or_else(|| line.strip_prefix("warning: ")) {
            in_diagnostic = false;
            let count = text == "the run failed"
                || ["the model has ", "the experiment has ", "the changes file has ", "the data file has "]
                    .iter()
                    .any(|start| text.starts_with(start) && (text.ends_with(" error") || text.ends_with(" errors")));
            if !count {
                messages.push(Message { code: None, text: text.to_owned(), location: location_at_start(text, false) });
            }
        } else if in_diagnostic && let Some(message) = messages.last_mut() {
            if message.text.is_empty() && (line.starts_with("  x ") || line.starts_with("  ! ")) {
                line[4..].clone_into(&mut message.text);
            } else if let Some((_, frame)) = line.split_once(",-[")
                && message.location.is_none()
            {
                message.location = location_at_start(frame, true);
            }
        }
    }
    messages
}

/// Every message has a code, and a location where the input is a file, unless cases.toml
/// excuses the case with a reason; an excuse that no longer applies must go.
fn check_codes_and_locations(case: &Case, stderr: &str) {
    let what = format!("{}/{}", case.folder, case.name);
    let messages = messages(stderr);
    assert!(!messages.is_empty(), "{what}: no message found in {stderr}");
    for message in &messages {
        if case.no_code.is_none() {
            assert!(message.code.is_some(), "{what}: `{}` has no code:\n{stderr}", message.text);
            assert!(!message.text.is_empty(), "{what}: code {:?} without a message:\n{stderr}", message.code);
        }
        if case.no_location.is_none() {
            assert!(message.location.is_some(), "{what}: `{}` has no file:line location:\n{stderr}", message.text);
        }
    }
    if let Some(Excuse { reason, own: true }) = &case.no_location {
        assert!(
            messages.iter().any(|message| message.location.is_none()),
            "{what} is excused from a location ({reason}) but every message has one: remove the excuse"
        );
    }
    if let Some(Excuse { reason, own: true }) = &case.no_code {
        assert!(
            messages.iter().any(|message| message.code.is_none()),
            "{what} is excused from a code ({reason}) but every message has one: remove the excuse"
        );
    }
}

#[test]
fn every_bad_input_is_refused_with_its_exit_code_and_a_located_diagnostic() {
    let cases = cases();
    let on_disk = files_in_corpus(&corpus());
    assert_eq!(cases.len(), on_disk, "every file of tests/bad_inputs/ but cases.toml is a case");
    assert_eq!(stated_in_readme(), on_disk, "README.md's Reliability section gives the corpus's size");
    let pending: Vec<String> = cases
        .iter()
        .filter(|(_, pending)| *pending)
        .map(|(case, _)| format!("{}/{}", case.folder, case.name))
        .collect();
    assert!(pending.is_empty(), "README.md says every case runs, but {pending:?} are pending");
    for (case, _) in &cases {
        let (command, stderr) = run_case(case);
        check_codes_and_locations(case, &stderr);
        let input = root().join(&case.file);
        insta::with_settings!({
            snapshot_path => "snapshots",
            prepend_module_to_snapshot => false,
            input_file => &input,
            description => command,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("bad_inputs_{}_{}", case.folder, case.name), stderr);
        });
    }
}
