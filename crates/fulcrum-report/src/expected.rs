//! Reading other tools' outputs back, to compare a run with them: the `output.csv` and
//! `output.tab` files of the system-dynamics test suite, written by Vensim, Stella or PySD.
//!
//! [`read`] takes the text (any line endings; comma- or tab-separated, whichever the header uses)
//! and returns the time column and every other column by the name written in the header. A blank
//! cell carries the value above it forward, since Vensim writes constants once; a cell that is not
//! a number is `None`; a row whose first cell is not a number (Vensim's trailing notes) is
//! skipped. [`decode`] turns a file's bytes into text, reading non-UTF-8 files as Latin-1.
//!
//! ```
//! let expected = fulcrum_report::expected::read("TIME,Stock\n0,1\n1,\n2,3\n").unwrap();
//! assert_eq!(expected.times, [0.0, 1.0, 2.0]);
//! assert_eq!(expected.columns[0].values, [Some(1.0), Some(1.0), Some(3.0)]);
//! ```

/// An expected output: the times, and the values of each column at those times.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// The first column, one entry per row read.
    pub times: Vec<f64>,
    /// Every other column of the header, in file order.
    pub columns: Vec<Column>,
}

/// One column of an expected output.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The name as written in the header, trimmed.
    pub name: String,
    /// One value per time; `None` where the cell is not a number (and nothing was above it).
    pub values: Vec<Option<f64>>,
}

/// Why an expected output could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExpectedError {
    /// There is no header line.
    #[error("the expected output is empty")]
    Empty,
    /// A line could not be split into cells.
    #[error("line {line}: {message}")]
    Malformed {
        /// The 1-based line number.
        line: u64,
        /// What the CSV reader found.
        message: String,
    },
}

/// The text of an expected-output file: UTF-8 if it is, else Latin-1 (one suite file is), whose
/// bytes are its code points.
pub fn decode(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => error.into_bytes().iter().map(|&byte| char::from(byte)).collect(),
    }
}

/// Reads an expected output (see the module's documentation).
pub fn read(text: &str) -> Result<Expected, ExpectedError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.contains('\t') { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records.next().ok_or(ExpectedError::Empty)?.map_err(malformed)?;
    let names: Vec<String> = header.iter().map(|name| name.trim().to_owned()).collect();
    let mut times = Vec::new();
    let mut values: Vec<Vec<Option<f64>>> = vec![Vec::new(); names.len()];
    for record in records {
        let record = record.map_err(malformed)?;
        let Some(time) = record.get(0).and_then(|cell| cell.trim().parse::<f64>().ok()) else { continue };
        times.push(time);
        for (column, cells) in values.iter_mut().enumerate().skip(1) {
            let cell = record.get(column).map(str::trim).unwrap_or_default();
            let value = if cell.is_empty() { cells.last().copied().flatten() } else { cell.parse::<f64>().ok() };
            cells.push(value);
        }
    }
    let columns = names.into_iter().zip(values).skip(1).map(|(name, values)| Column { name, values }).collect();
    Ok(Expected { times, columns })
}

fn malformed(error: csv::Error) -> ExpectedError {
    let line = error.position().map_or(0, csv::Position::line);
    let message = match error.into_kind() {
        csv::ErrorKind::Utf8 { err, .. } => format!("not valid UTF-8 ({err})"),
        csv::ErrorKind::Io(err) => err.to_string(),
        other => format!("{other:?}"),
    };
    ExpectedError::Malformed { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_carried_values_and_unreadable_cells() {
        let expected = read("Time, A ,B\r\n0,1,x\r\n1,,2\r\n").expect("reads");
        assert_eq!(expected.times, [0.0, 1.0]);
        assert_eq!(expected.columns.len(), 2);
        assert_eq!(expected.columns[0], Column { name: "A".to_owned(), values: vec![Some(1.0), Some(1.0)] });
        assert_eq!(expected.columns[1], Column { name: "B".to_owned(), values: vec![None, Some(2.0)] });
    }

    #[test]
    fn tab_separated_with_short_rows_and_notes() {
        let expected = read("TIME\tStock\tRate\n0\t10\t1\n0.5\t10.5\nnote: from Vensim\n").expect("reads");
        assert_eq!(expected.times, [0.0, 0.5]);
        assert_eq!(expected.columns[0].values, [Some(10.0), Some(10.5)]);
        // A short row carries the rate forward, like a blank cell.
        assert_eq!(expected.columns[1].values, [Some(1.0), Some(1.0)]);
    }

    #[test]
    fn old_mac_line_endings() {
        let expected = read("t,x\r0,1\r1,2").expect("reads");
        assert_eq!(expected.times, [0.0, 1.0]);
        assert_eq!(expected.columns[0].values, [Some(1.0), Some(2.0)]);
    }

    #[test]
    fn empty_text_is_an_error() {
        assert_eq!(read(""), Err(ExpectedError::Empty));
        assert_eq!(read("\n\n"), Err(ExpectedError::Empty));
    }

    #[test]
    fn header_only_has_no_rows() {
        let expected = read("time,x").expect("reads");
        assert!(expected.times.is_empty());
        assert_eq!(expected.columns, [Column { name: "x".to_owned(), values: Vec::new() }]);
    }

    #[test]
    fn latin1_bytes_are_code_points() {
        assert_eq!(decode(b"time,caf\xe9".to_vec()), "time,café");
        assert_eq!(decode("time,café".as_bytes().to_vec()), "time,café");
    }
}
