//! The files that Vensim's GET functions read: spreadsheets (`.xlsx`, `.xls`, `.xlsm`, `.ods`,
//! through calamine) and text tables (`.csv`, `.tab`, `.txt`), found next to the model.
//!
//! A cell is named as Vensim names it: `C5` (column letters, row number), `C5*` (the values run
//! down the column instead of across the row), or a workbook's defined name (`value1`, `time`),
//! which stands for the cells it covers. A time row or column is a row number (`'4'`), a column
//! letter (`'A'`) or a defined name. Every problem is a [`DataError`] the translator places at the
//! GET call, so that a missing file, sheet or cell is never read as a zero.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};

/// Why a GET function's data could not be read.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DataError {
    pub message: String,
    pub help: Option<String>,
}

impl DataError {
    fn new(message: impl Into<String>) -> DataError {
        DataError { message: message.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> DataError {
        self.help = Some(help.into());
        self
    }
}

/// One sheet's cells: rows of optional values (numbers, or text kept to report it).
#[derive(Clone, Debug, Default)]
struct Grid {
    /// `cells[row][column]`, from A1.
    cells: Vec<Vec<Cell>>,
}

#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

impl Grid {
    fn get(&self, row: usize, column: usize) -> &Cell {
        self.cells.get(row).and_then(|r| r.get(column)).unwrap_or(&Cell::Empty)
    }

    fn rows(&self) -> usize {
        self.cells.len()
    }

    fn columns(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// A file's sheets and defined names.
#[derive(Clone, Debug, Default)]
struct Book {
    sheets: Vec<(String, Grid)>,
    /// Defined names and the cells they cover.
    names: Vec<(String, Defined)>,
    /// Text tables have one sheet, whatever name a call gives it.
    single_sheet: bool,
}

/// The files read so far, by path, so that a file named by many calls is read once.
pub(crate) struct Files {
    directory: Option<PathBuf>,
    books: HashMap<PathBuf, Result<Book, DataError>>,
    /// The run-time data files, as given.
    data_files: Vec<PathBuf>,
    /// Their series by column (`name[e1,e2]` canonical), read at the first need.
    columns: Option<Result<HashMap<String, Series>, DataError>>,
    /// The model's file references: `?name` and the file it stands for.
    references: Vec<(String, String)>,
}

/// The cells a defined name covers: its sheet, top-left and bottom-right (row, column).
#[derive(Clone, Debug)]
struct Defined {
    sheet: String,
    from: (usize, usize),
    to: (usize, usize),
}

/// A block of cells a call names: where it starts, its extent if a defined name gave one, and
/// whether its values run down the columns (`*`).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Block {
    row: usize,
    column: usize,
    end: Option<(usize, usize)>,
    transposed: bool,
}

/// A time row, column, or block.
enum Axis {
    Row(usize),
    Column(usize),
    Block(Block),
}

/// A series of (time, value) points, in the order the file gives them.
pub(crate) type Series = (Vec<f64>, Vec<f64>);

impl Files {
    pub(crate) fn new(directory: Option<PathBuf>, data_files: Vec<PathBuf>) -> Files {
        Files { directory, books: HashMap::new(), data_files, columns: None, references: Vec::new() }
    }

    /// These files with the model's file references (`?name`, the file it stands for), which
    /// Vensim keeps in its settings as `30:?name=file.xlsx`.
    pub(crate) fn with_references(mut self, references: Vec<(String, String)>) -> Files {
        self.references = references;
        self
    }

    /// Were run-time data files given?
    pub(crate) fn has_run_time_data(&self) -> bool {
        !self.data_files.is_empty()
    }

    /// The run-time data files, as a list for a message.
    pub(crate) fn run_time_files(&self) -> String {
        self.data_files.iter().map(|f| format!("`{}`", f.display())).collect::<Vec<_>>().join(", ")
    }

    /// The series the run-time data files give the variable `key` (see [`column_key`]); `None`
    /// when no file has its column. `Err` when a file cannot be read.
    pub(crate) fn run_time_series(&mut self, key: &str) -> Result<Option<Series>, DataError> {
        if self.columns.is_none() {
            let directory = self.directory.clone().unwrap_or_default();
            let mut columns = HashMap::new();
            let mut result = Ok(());
            for file in &self.data_files {
                let path = directory.join(file);
                let shown = file.display().to_string();
                match load(&path, &shown) {
                    Ok(book) => {
                        let found = book.sheets.first().map(|(_, grid)| table_columns(grid)).unwrap_or_default();
                        for (key, series) in found {
                            columns.entry(key).or_insert(series);
                        }
                    }
                    Err(error) => {
                        result = Err(error);
                        break;
                    }
                }
            }
            self.columns = Some(result.map(|()| columns));
        }
        match &self.columns {
            Some(Ok(columns)) => Ok(columns.get(key).cloned()),
            Some(Err(error)) => Err(error.clone()),
            None => Ok(None),
        }
    }

    fn book(&mut self, file: &str) -> Result<&Book, DataError> {
        let Some(directory) = &self.directory else {
            return Err(DataError::new(format!("`{file}` cannot be found: the model was read without its directory"))
                .help(
                    "read the model from its file (fulcrum_vensim::read_file) so that data files are found next to it",
                ));
        };
        // `?name` stands for the file the model's settings give it (Vensim's Model>Settings>XLS
        // Files); names are matched regardless of case, as Vensim's names are.
        let file = if file.trim().starts_with('?') {
            let name = file.trim();
            match self.references.iter().find(|(reference, _)| reference.eq_ignore_ascii_case(name)) {
                Some((_, referenced)) => referenced.clone(),
                None => {
                    let known: Vec<String> = self.references.iter().map(|(r, f)| format!("`{r}` (`{f}`)")).collect();
                    let help = if known.is_empty() {
                        "the model's settings (after `///---\\\\\\`) give no file references: add a line \
                         `30:?name=file.xlsx`, as Vensim's Model>Settings>XLS Files writes it, or name the file itself"
                            .to_owned()
                    } else {
                        format!("the model's settings give {}; add `30:{name}=file.xlsx` after them", known.join(", "))
                    };
                    return Err(DataError::new(format!("the file reference `{name}` is not in the model's settings"))
                        .help(help));
                }
            }
        } else {
            file.to_owned()
        };
        let path = directory.join(file.replace('\\', "/"));
        let book = self.books.entry(path.clone()).or_insert_with(|| load(&path, &file));
        book.as_ref().map_err(Clone::clone)
    }

    /// `count` series whose times are on `time` and whose first value is at `cell`: one per row
    /// after it when the times run across a row, one per column when they run down a column.
    /// Points whose time or value is not a number are left out.
    pub(crate) fn series(
        &mut self,
        file: &str,
        sheet: &str,
        time: &str,
        cell: &str,
        count: usize,
    ) -> Result<Vec<Series>, DataError> {
        let book = self.book(file)?;
        let grid = sheet_of(book, file, sheet)?;
        let first = block(book, sheet, cell)?;
        let axis = match time_axis(time) {
            Some(axis) => axis,
            None => Axis::Block(block(book, sheet, time)?),
        };
        // The times as (position along the series, time), and which way the series run.
        let (across, times): (bool, Vec<(usize, Cell)>) = match axis {
            Axis::Row(row) => (true, (first.column..grid.columns()).map(|c| (c, grid.get(row, c).clone())).collect()),
            Axis::Column(column) => {
                (false, (first.row..grid.rows()).map(|r| (r, grid.get(r, column).clone())).collect())
            }
            Axis::Block(block) => {
                let (end_row, end_column) = block.end.unwrap_or((block.row, grid.columns().saturating_sub(1)));
                if end_row == block.row {
                    (true, (block.column..=end_column).map(|c| (c, grid.get(block.row, c).clone())).collect())
                } else {
                    (false, (block.row..=end_row).map(|r| (r, grid.get(r, block.column).clone())).collect())
                }
            }
        };
        let mut all = Vec::with_capacity(count);
        for index in 0..count {
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            for (position, time) in &times {
                let value = if across {
                    grid.get(first.row.saturating_add(index), *position)
                } else {
                    grid.get(*position, first.column.saturating_add(index))
                };
                if let (Cell::Number(x), Cell::Number(y)) = (time, value) {
                    xs.push(*x);
                    ys.push(*y);
                }
            }
            if xs.is_empty() {
                let (row, column) = if across {
                    (first.row.saturating_add(index), first.column)
                } else {
                    (first.row, first.column.saturating_add(index))
                };
                let line = if across { "row" } else { "column" };
                let read = if count == 1 {
                    format!("the series is read along the {line} from `{cell}`")
                } else {
                    format!("{count} series are read, one per {line}, the first from `{cell}`")
                };
                let times = match time_axis(time) {
                    Some(Axis::Row(row)) => format!("row {}", row.saturating_add(1)),
                    Some(Axis::Column(column)) => format!("column {}", column_letters(column)),
                    _ => format!("`{time}`"),
                };
                return Err(DataError::new(format!(
                    "no data at {} of {}: the {line} from there holds no number at a time given in {times}",
                    cell_name(row, column),
                    place(book, file, sheet)
                ))
                .help(read));
            }
            all.push((xs, ys));
        }
        Ok(all)
    }

    /// `rows × columns` numbers from `cell`: row by row across the sheet, or down the columns
    /// when the cell is written `C5*`.
    pub(crate) fn constants(
        &mut self,
        file: &str,
        sheet: &str,
        cell: &str,
        rows: usize,
        columns: usize,
    ) -> Result<Vec<f64>, DataError> {
        let book = self.book(file)?;
        let grid = sheet_of(book, file, sheet)?;
        let start = block(book, sheet, cell)?;
        let mut values = Vec::with_capacity(rows * columns);
        for row in 0..rows {
            for column in 0..columns {
                let (r, c) = if start.transposed {
                    (start.row.saturating_add(column), start.column.saturating_add(row))
                } else {
                    (start.row.saturating_add(row), start.column.saturating_add(column))
                };
                match grid.get(r, c) {
                    Cell::Number(value) => values.push(*value),
                    other => {
                        let found = match other {
                            Cell::Text(text) => format!("the text `{text}`"),
                            _ => "nothing".to_owned(),
                        };
                        let read = if rows * columns == 1 {
                            format!("one value is read, from `{cell}`")
                        } else {
                            format!(
                                "{} values are read from `{cell}` on: {rows} row(s) of {columns}{}",
                                rows * columns,
                                if start.transposed { ", turned down the columns (`*`)" } else { "" }
                            )
                        };
                        return Err(DataError::new(format!(
                            "cell {} of {} holds {found}, not a number",
                            cell_name(r, c),
                            place(book, file, sheet)
                        ))
                        .help(read));
                    }
                }
            }
        }
        Ok(values)
    }

    /// The text of the cells from `first` to `last` (a row or a column), for GET DIRECT SUBSCRIPT.
    /// An empty `last` reads on across the row until the first empty cell; column letters alone
    /// (the first cell's column) read on down the column, a row number alone (its row) across
    /// the row, to the first empty cell (as Vensim reads SDEverywhere's `directsubs` model:
    /// `'A2', 'A'` down column A, `'A2', '2'` across row 2).
    pub(crate) fn names(&mut self, file: &str, sheet: &str, first: &str, last: &str) -> Result<Vec<String>, DataError> {
        let book = self.book(file)?;
        let grid = sheet_of(book, file, sheet)?;
        let start = block(book, sheet, first)?;
        let last = last.trim();
        let down_to_blank = !last.is_empty() && last.chars().all(|c| c.is_ascii_alphabetic());
        let across_to_blank = !last.is_empty() && last.chars().all(|c| c.is_ascii_digit());
        let end = if last.is_empty() {
            None
        } else if down_to_blank {
            Some((grid.rows().saturating_sub(1), start.column))
        } else if across_to_blank {
            Some((start.row, grid.columns().saturating_sub(1)))
        } else {
            let end = block(book, sheet, last)?;
            Some((end.row, end.column))
        };
        let to_blank = end.is_none() || down_to_blank || across_to_blank;
        let (end_row, end_column) = end.unwrap_or((start.row, grid.columns().saturating_sub(1)));
        let across = end_row == start.row && !down_to_blank;
        let cells: Vec<(usize, usize)> = if across {
            (start.column..=end_column.max(start.column)).map(|c| (start.row, c)).collect()
        } else {
            (start.row..=end_row.max(start.row)).map(|r| (r, start.column)).collect()
        };
        let mut names = Vec::new();
        for (row, column) in cells {
            match grid.get(row, column) {
                Cell::Text(text) => names.push(text.trim().to_owned()),
                Cell::Number(value) => names.push(number_text(*value)),
                Cell::Empty if to_blank => break,
                Cell::Empty => {
                    return Err(DataError::new(format!(
                        "cell {} of {} is empty: no element name",
                        cell_name(row, column),
                        place(book, file, sheet)
                    )));
                }
            }
        }
        if names.is_empty() {
            return Err(DataError::new(format!("no element names at `{first}` of {}", place(book, file, sheet))));
        }
        Ok(names)
    }
}

/// Where a cell is: `sheet `Sheet1` of `input.xlsx``, or the file alone for a text table.
fn place(book: &Book, file: &str, sheet: &str) -> String {
    if book.single_sheet { format!("`{file}`") } else { format!("sheet `{sheet}` of `{file}`") }
}

/// How a variable or column is matched: `name[e1,e2]` with each part canonical.
pub(crate) fn column_key(name: &str, elements: &[String]) -> String {
    let canonical = |text: &str| fulcrum_model::CanonicalName::new(text.trim().trim_matches('"')).as_str().to_owned();
    if elements.is_empty() {
        canonical(name)
    } else {
        let elements: Vec<String> = elements.iter().map(|e| canonical(e)).collect();
        format!("{}[{}]", canonical(name), elements.join(","))
    }
}

/// The series of a table as Vensim exports a run: `Time` and the variables' names down the first
/// column with times across the first row, or the names across the first row with times down
/// the first column. Cells that are not numbers are left out.
fn table_columns(grid: &Grid) -> Vec<(String, Series)> {
    let name_of = |cell: &Cell| match cell {
        Cell::Text(text) => {
            let text = text.trim().trim_matches('"');
            match text.split_once('[') {
                Some((name, rest)) => {
                    let elements: Vec<String> =
                        rest.trim_end().trim_end_matches(']').split(',').map(|e| e.trim().to_owned()).collect();
                    Some(column_key(name, &elements))
                }
                None => Some(column_key(text, &[])),
            }
        }
        _ => None,
    };
    // Names across the first row when its second cell is a name.
    let across = matches!(grid.get(0, 1), Cell::Text(_));
    let (lines, length) = if across { (grid.columns(), grid.rows()) } else { (grid.rows(), grid.columns()) };
    let cell = |line: usize, position: usize| if across { grid.get(position, line) } else { grid.get(line, position) };
    let mut columns = Vec::new();
    for line in 1..lines {
        let Some(key) = name_of(cell(line, 0)) else { continue };
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for position in 1..length {
            if let (Cell::Number(x), Cell::Number(y)) = (cell(0, position), cell(line, position)) {
                xs.push(*x);
                ys.push(*y);
            }
        }
        if !xs.is_empty() {
            columns.push((key, (xs, ys)));
        }
    }
    columns
}

/// A number as an element name: `1`, not `1.0`.
fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 { format!("{}", value as i64) } else { format!("{value}") }
}

fn load(path: &Path, file: &str) -> Result<Book, DataError> {
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).unwrap_or_default();
    match extension.as_str() {
        "csv" | "tab" | "txt" => {
            let text = std::fs::read_to_string(path).map_err(|error| {
                DataError::new(format!("cannot read the data file `{file}`: {error}")).help(looked_in(path))
            })?;
            let separator = if extension == "csv" { ',' } else { '\t' };
            Ok(Book {
                sheets: vec![(String::new(), text_grid(&text, separator))],
                names: Vec::new(),
                single_sheet: true,
            })
        }
        "xlsx" | "xlsm" | "xlsb" | "xls" | "xla" | "ods" => {
            if !path.is_file() {
                return Err(DataError::new(format!("the data file `{file}` does not exist")).help(looked_in(path)));
            }
            let mut workbook = open_workbook_auto(path)
                .map_err(|error| DataError::new(format!("cannot read the workbook `{file}`: {error}")))?;
            let names = workbook
                .defined_names()
                .iter()
                .filter_map(|(name, formula)| Some((name.clone(), defined_range(formula)?)))
                .collect();
            let mut sheets = Vec::new();
            for sheet in workbook.sheet_names() {
                let range = workbook
                    .worksheet_range(&sheet)
                    .map_err(|error| DataError::new(format!("cannot read sheet `{sheet}` of `{file}`: {error}")))?;
                let mut grid = Grid::default();
                if let Some((top, left)) = range.start() {
                    let (top, left) = (top as usize, left as usize);
                    for (r, row) in range.rows().enumerate() {
                        for (c, data) in row.iter().enumerate() {
                            let cell = match data {
                                Data::Int(value) => Cell::Number(*value as f64),
                                Data::Float(value) => Cell::Number(*value),
                                Data::String(text) => match text.trim().parse::<f64>() {
                                    Ok(value) if value.is_finite() => Cell::Number(value),
                                    _ => Cell::Text(text.clone()),
                                },
                                Data::Bool(value) => Cell::Number(f64::from(u8::from(*value))),
                                Data::Empty => Cell::Empty,
                                other => Cell::Text(other.to_string()),
                            };
                            put(&mut grid, top + r, left + c, cell);
                        }
                    }
                }
                sheets.push((sheet, grid));
            }
            Ok(Book { sheets, names, single_sheet: false })
        }
        _ => Err(DataError::new(format!("`{file}` is not a data file fulcrum reads"))
            .help("data files are spreadsheets (.xlsx, .xls, .ods) or text tables (.csv, .tab)")),
    }
}

fn looked_in(path: &Path) -> String {
    format!("looked for {}", path.display())
}

fn put(grid: &mut Grid, row: usize, column: usize, cell: Cell) {
    if cell == Cell::Empty {
        return;
    }
    if grid.cells.len() <= row {
        grid.cells.resize(row + 1, Vec::new());
    }
    if let Some(cells) = grid.cells.get_mut(row) {
        if cells.len() <= column {
            cells.resize(column + 1, Cell::Empty);
        }
        if let Some(slot) = cells.get_mut(column) {
            *slot = cell;
        }
    }
}

/// A text table: one row per line, cells split at the separator.
fn text_grid(text: &str, separator: char) -> Grid {
    let mut grid = Grid::default();
    for (row, line) in text.lines().enumerate() {
        for (column, field) in line.split(separator).enumerate() {
            let field = field.trim().trim_matches('"');
            let cell = if field.is_empty() {
                Cell::Empty
            } else {
                match field.parse::<f64>() {
                    Ok(value) if value.is_finite() => Cell::Number(value),
                    _ => Cell::Text(field.to_owned()),
                }
            };
            put(&mut grid, row, column, cell);
        }
    }
    grid
}

fn sheet_of<'b>(book: &'b Book, file: &str, sheet: &str) -> Result<&'b Grid, DataError> {
    if book.single_sheet || sheet.trim() == "*" {
        return book
            .sheets
            .first()
            .map(|(_, grid)| grid)
            .ok_or_else(|| DataError::new(format!("`{file}` has no sheets")));
    }
    book.sheets
        .iter()
        .find(|(name, _)| name.trim().eq_ignore_ascii_case(sheet.trim()))
        .map(|(_, grid)| grid)
        .ok_or_else(|| {
            let names: Vec<String> = book.sheets.iter().map(|(name, _)| format!("`{name}`")).collect();
            DataError::new(format!("`{file}` has no sheet `{sheet}`"))
                .help(format!("its sheets are {}; `*` names the first", names.join(", ")))
        })
}

/// The block a cell argument names: `C5`, `C5*`, or a defined name (with `*` too).
fn block(book: &Book, sheet: &str, text: &str) -> Result<Block, DataError> {
    let trimmed = text.trim();
    let (name, transposed) = match trimmed.strip_suffix('*') {
        Some(name) => (name.trim(), true),
        None => (trimmed, false),
    };
    // A name defined in the workbook (one on the call's sheet first), else a cell.
    let matches: Vec<&Defined> =
        book.names.iter().filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, defined)| defined).collect();
    let chosen =
        matches.iter().find(|d| d.sheet.eq_ignore_ascii_case(sheet.trim())).or_else(|| matches.first()).copied();
    match (chosen, cell_position(name)) {
        (Some(defined), _) => {
            Ok(Block { row: defined.from.0, column: defined.from.1, end: Some(defined.to), transposed })
        }
        (None, Some((row, column))) => Ok(Block { row, column, end: None, transposed }),
        (None, None) => {
            Err(DataError::new(format!("`{text}` is neither a cell like C5 nor a name defined in the workbook"))
                .help("a cell is column letters and a row number; `*` after it reads down the column"))
        }
    }
}

/// `C5` → (4, 2): zero-based row and column.
pub(crate) fn cell_position(text: &str) -> Option<(usize, usize)> {
    let text = text.trim().replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    let column = column_number(letters)?;
    let row: usize = digits.parse().ok()?;
    Some((row.checked_sub(1)?, column))
}

/// `A` → 0, `AA` → 26.
fn column_number(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 || !letters.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut number = 0usize;
    for letter in letters.chars() {
        number = number * 26 + (letter.to_ascii_uppercase() as usize - 'A' as usize + 1);
    }
    Some(number - 1)
}

/// A time row (`'4'`) or column (`'A'`); `None` for a defined name.
fn time_axis(text: &str) -> Option<Axis> {
    let text = text.trim();
    if let Ok(row) = text.parse::<usize>() {
        return row.checked_sub(1).map(Axis::Row);
    }
    column_number(text).map(Axis::Column)
}

/// `Sheet1!$E$2:$I$2` or `'tab 1'!$C$5` → (sheet, top-left, bottom-right).
fn defined_range(formula: &str) -> Option<Defined> {
    let (sheet, cells) = formula.trim().trim_start_matches('=').rsplit_once('!')?;
    let sheet = sheet.trim_matches('\'').to_owned();
    let (from, to) = match cells.split_once(':') {
        Some((from, to)) => (cell_position(from)?, cell_position(to)?),
        None => {
            let cell = cell_position(cells)?;
            (cell, cell)
        }
    };
    Some(Defined { sheet, from, to })
}

/// `C5` for (4, 2).
pub(crate) fn cell_name(row: usize, column: usize) -> String {
    format!("{}{}", column_letters(column), row.saturating_add(1))
}

/// `C` for 2.
fn column_letters(column: usize) -> String {
    let mut letters = Vec::new();
    let mut number = column.saturating_add(1);
    while number > 0 {
        let remainder = (number - 1) % 26;
        letters.push(char::from(b'A' + remainder as u8));
        number = (number - 1) / 26;
    }
    letters.reverse();
    letters.into_iter().collect()
}
