//! Reads Vensim models (`.mdl`) into fulcrum's [`fulcrum_model::Model`].
//!
//! [`read`] turns a file's text into the same IR the native and XMILE readers make, so checks,
//! simulation and conversion to TOML are shared; [`read_with`] and [`read_file`] also find the
//! data files the model names. The reader has four stages, one module each:
//!
//! - `sections`: the file's layout. Definitions end with `|` and have three parts,
//!   `equation ~ units [min, max] ~ documentation`; group headers (`****` … `.Name`) are
//!   skipped; `:MACRO:` … `:END OF MACRO:` mark macro bodies; everything after `\\\---///` is
//!   the sketch, except the simulation settings line `15:`, the units equivalences
//!   `22:Person,People` (unit definitions with aliases, for the unit checker) and the file
//!   references `30:?name=file` that `'?name'` in a GET XLS or GET DIRECT call stands for. The model does not read the
//!   sketch; [`read_sketch`] reads it apart, for the diagram.
//! - `lexer`: tokens of an equation, with spans in the file. `{comments}` and `\` line
//!   continuations are whitespace; unquoted names may contain spaces (`Birth rate`).
//! - `parser`: one definition: `lhs = expression`, lookups `name((x,y), ...)`, subscript ranges
//!   (`dim: a, (b1-b3) -> other`), copies (`<->`), `:EXCEPT:`, number lists, `TABBED ARRAY`,
//!   `WITH LOOKUP`, data variables. Expressions are built directly as fulcrum's
//!   [`fulcrum_model::syntax::Expr`] with Vensim's precedence (`-2^2` is -4).
//! - `translate` (with `functions`): definitions of one name become one variable (apply-to-all
//!   or element by element), `INTEG` makes a stock whose rate is split into its flows, Vensim's
//!   functions become fulcrum's built-ins, and the time settings come from `INITIAL TIME`,
//!   `FINAL TIME`, `TIME STEP` and `SAVEPER`. The model gets [`fulcrum_model::Dialect::Vensim`].
//!
//! - `data` (used by `translate`): the files that data variables and the GET XLS / GET DIRECT
//!   functions read, relative to [`Options::directory`]. Constants become numbers, lookups
//!   graphical functions, and data series graphical functions of `Time` whose kind follows the
//!   keyword (`:INTERPOLATE:`, the default for data read from a file; `:HOLD BACKWARD:`, `:RAW:`
//!   and `:LOOK FORWARD:` are step tables, the raw one `:NA:` between its points), so the model
//!   needs no file once read.
//!
//! [`read_changes`] reads a Vensim changes file (`.cin`): constant and lookup definitions one per
//! line, read by the same lexer and parser, as [`fulcrum_model::changes::Change`]s that
//! [`fulcrum_model::changes::apply`] applies to any model.
//!
//! Every problem is a [`fulcrum_model::Diagnostic`] with a span in the file and a code in the
//! `E07xx` range (or a general one); all are reported in one pass, and no input makes the
//! reader panic. A missing data file, sheet or cell is an `E0708` at the GET call. Functions
//! fulcrum cannot compute yet (FIND ZERO, QUEUE AGE, GET VDF DATA, ...) are reported by name
//! where they are called.
//!
//! ```
//! let text = "{UTF-8}
//! Cash = INTEG(Income - Spending, 100) ~ dollars ~ |
//! Income = 5 ~ dollars/month [0, 10] ~ Money in. |
//! Spending = Cash * 0.01 ~ dollars/month ~ |
//! INITIAL TIME = 0 ~ month ~ |
//! FINAL TIME = 12 ~ month ~ |
//! TIME STEP = 0.25 ~ month ~ |
//! SAVEPER = TIME STEP ~ month ~ |
//! ";
//! let (model, diagnostics) = fulcrum_vensim::read(text).unwrap();
//! assert!(diagnostics.0.is_empty());
//! assert_eq!(model.sim.dt, 0.25);
//! let fulcrum_model::VariableKind::Stock { inflows, outflows, .. } = &model.variables[0].kind else {
//!     panic!("Cash is a stock")
//! };
//! assert_eq!((inflows[0].name.as_str(), outflows[0].name.as_str()), ("Income", "Spending"));
//! ```

mod changes;
mod data;
mod functions;
mod lexer;
mod parser;
mod sections;
mod sketch;
mod translate;

#[cfg(test)]
mod tests;

pub use changes::read_changes;
use fulcrum_model::{Code, Diagnostic, Diagnostics, Model};
pub use sketch::read_sketch;

/// The text of a `.mdl` file's bytes: UTF-8 when they are valid UTF-8, else each byte as the
/// Windows-1252 character it stands for (Vensim wrote that before its `{UTF-8}` header), so
/// names with accents keep their letters. Hand-written: a table of 32 characters needs no crate.
pub fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => error.into_bytes().into_iter().map(windows_1252).collect(),
    }
}

/// The character a Windows-1252 byte stands for (the bytes it leaves undefined as themselves).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// How to read a model: where its data files are.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Options {
    /// The folder the GET functions' files are named relative to, the model's own; without
    /// one, a GET function is reported, since its file cannot be found.
    pub directory: Option<std::path::PathBuf>,
    /// The data files that give data variables without an equation (`name ~ units ~ doc |`)
    /// their values, as Vensim takes them when a run starts: `.tab` or `.csv` tables, as Vensim
    /// exports a run, with a `Time` column and a column per variable (`name[element, ...]`), or
    /// the same turned (times across the first row). Relative paths start at `directory`; the
    /// first file with a variable's column gives it.
    pub data_files: Vec<std::path::PathBuf>,
}

impl Options {
    /// Options for a model whose data files are in `directory`.
    pub fn in_directory(directory: impl Into<std::path::PathBuf>) -> Options {
        Options { directory: Some(directory.into()), data_files: Vec::new() }
    }

    /// These options with run-time data files (see [`Options::data_files`]).
    pub fn with_data_files(mut self, files: impl IntoIterator<Item = std::path::PathBuf>) -> Options {
        self.data_files.extend(files);
        self
    }
}

/// Reads a `.mdl` file from its text, with no data files (see [`read_with`]). `Err` means
/// nothing in it could be read as a model (no definitions at all, or only broken ones);
/// otherwise the model comes back with every problem found in it (the resolver finds the rest).
pub fn read(text: &str) -> Result<(Model, Diagnostics), Diagnostics> {
    read_with(text, &Options::default())
}

/// Reads the `.mdl` file at `path`: its text (see [`decode`]), with its data files found next
/// to it. The outer `Err` is a file that cannot be read.
pub fn read_file(path: &std::path::Path) -> std::io::Result<Result<(Model, Diagnostics), Diagnostics>> {
    let text = decode(std::fs::read(path)?);
    let directory = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
    Ok(read_with(&text, &Options::in_directory(directory)))
}

/// Reads a `.mdl` file's text with [`Options`]: data files are looked for in
/// `options.directory`.
pub fn read_with(text: &str, options: &Options) -> Result<(Model, Diagnostics), Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let layout = sections::layout(text, &mut diagnostics);
    let files = data::Files::new(options.directory.clone(), options.data_files.clone())
        .with_references(layout.file_references.clone());
    let model = translate::model(text, &layout, &mut diagnostics, files);
    if model.variables.is_empty() {
        if !diagnostics.has_errors() {
            diagnostics.push(
                Diagnostic::new(Code::MdlSyntax, "the file holds no Vensim definitions")
                    .at(Some(fulcrum_model::syntax::Span::new(0, 0)))
                    .with_help("a .mdl file is a list of `name = equation ~ units ~ documentation |`"),
            );
        }
        diagnostics.sort();
        return Err(diagnostics);
    }
    diagnostics.sort();
    // An equation written once for several elements is checked once per element; say it once.
    diagnostics.0.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    Ok((model, diagnostics))
}
