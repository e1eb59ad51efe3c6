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
    /// One per value: the unit in the last place the file printed it to (`0.00182` → 1e-5,
    /// `100` → 1), so that a value can be compared within the file's own rounding.
    pub last_places: Vec<Option<f64>>,
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
    let mut last_places: Vec<Vec<Option<f64>>> = vec![Vec::new(); names.len()];
    for record in records {
        let record = record.map_err(malformed)?;
        let Some(time) = record.get(0).and_then(|cell| cell.trim().parse::<f64>().ok()) else { continue };
        times.push(time);
        for (column, (cells, places)) in values.iter_mut().zip(&mut last_places).enumerate().skip(1) {
            let cell = record.get(column).map(str::trim).unwrap_or_default();
            let (value, place) = match cell.parse::<f64>() {
                _ if cell.is_empty() => (cells.last().copied().flatten(), places.last().copied().flatten()),
                Ok(value) => (Some(value), last_place(cell)),
                Err(_) => (None, None),
            };
            cells.push(value);
            places.push(place);
        }
    }
    let columns = names
        .into_iter()
        .zip(values.into_iter().zip(last_places))
        .skip(1)
        .map(|(name, (values, last_places))| Column { name, values, last_places })
        .collect();
    Ok(Expected { times, columns })
}

/// The unit in the last place of a number as written: 10^(exponent − digits after the point).
fn last_place(cell: &str) -> Option<f64> {
    let (mantissa, exponent) = match cell.find(['e', 'E']) {
        Some(at) => (&cell[..at], cell[at + 1..].parse::<i32>().ok()?),
        None => (cell, 0),
    };
    let decimals = mantissa.split_once('.').map_or(0, |(_, fraction)| fraction.len());
    let decimals = i32::try_from(decimals).ok()?;
    Some(10f64.powi(exponent.checked_sub(decimals)?))
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
        let column = |name: &str, values: Vec<Option<f64>>, last_places: Vec<Option<f64>>| Column {
            name: name.to_owned(),
            values,
            last_places,
        };
        assert_eq!(expected.columns[0], column("A", vec![Some(1.0), Some(1.0)], vec![Some(1.0), Some(1.0)]));
        assert_eq!(expected.columns[1], column("B", vec![None, Some(2.0)], vec![None, Some(1.0)]));
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
    fn the_last_printed_place_of_each_value() {
        let expected = read("t,x\n0,0.00182\n1,100\n2,1.50E+06\n3,-2.5e-3\n4,7.\n5,\n").expect("reads");
        let places = &expected.columns[0].last_places;
        let want = [1e-5, 1.0, 1e4, 1e-4, 1.0, 1.0];
        assert_eq!(places.len(), want.len());
        for (place, want) in places.iter().zip(want) {
            let place = place.expect("a place");
            assert!((place / want - 1.0).abs() < 1e-12, "{place} is not {want}");
        }
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
        assert_eq!(expected.columns, [Column { name: "x".to_owned(), values: Vec::new(), last_places: Vec::new() }]);
    }

    #[test]
    fn latin1_bytes_are_code_points() {
        assert_eq!(decode(b"time,caf\xe9".to_vec()), "time,café");
        assert_eq!(decode("time,café".as_bytes().to_vec()), "time,café");
    }
}
