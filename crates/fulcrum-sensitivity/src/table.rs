//! The analyses' tables (sensitivity.csv, leverage.csv, comparison.csv) as typed columns: the
//! column names live here with the tables, the report crate writes them as CSV and a binding
//! can hand them to a data frame column by column.

/// A table of named, typed columns of equal length.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultTable {
    /// The columns, in order.
    pub columns: Vec<Column>,
}

/// One column of a [`ResultTable`].
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Its name, the CSV header's.
    pub name: &'static str,
    /// Its values.
    pub values: Values,
}

/// A column's values, one per row.
#[derive(Clone, Debug, PartialEq)]
pub enum Values {
    /// Text (names of outcomes, parameters, measures).
    Text(Vec<String>),
    /// Numbers; NaN where there is none (an empty CSV cell).
    Number(Vec<f64>),
    /// Yes or no (`true`/`false` in CSV).
    Flag(Vec<bool>),
    /// Ranks and counts; `None` where there is none (an empty CSV cell).
    Count(Vec<Option<usize>>),
}

impl Values {
    /// How many rows.
    pub fn len(&self) -> usize {
        match self {
            Values::Text(values) => values.len(),
            Values::Number(values) => values.len(),
            Values::Flag(values) => values.len(),
            Values::Count(values) => values.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ResultTable {
    /// The column names, in order: the CSV header.
    pub fn header(&self) -> Vec<&'static str> {
        self.columns.iter().map(|column| column.name).collect()
    }

    /// How many rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, |column| column.values.len())
    }

    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&Values> {
        self.columns.iter().find(|column| column.name == name).map(|column| &column.values)
    }
}

impl Column {
    /// A text column.
    pub fn text(name: &'static str, values: impl IntoIterator<Item = String>) -> Column {
        Column { name, values: Values::Text(values.into_iter().collect()) }
    }

    /// A number column.
    pub fn number(name: &'static str, values: impl IntoIterator<Item = f64>) -> Column {
        Column { name, values: Values::Number(values.into_iter().collect()) }
    }

    /// A flag column.
    pub fn flag(name: &'static str, values: impl IntoIterator<Item = bool>) -> Column {
        Column { name, values: Values::Flag(values.into_iter().collect()) }
    }

    /// A count column.
    pub fn count(name: &'static str, values: impl IntoIterator<Item = Option<usize>>) -> Column {
        Column { name, values: Values::Count(values.into_iter().collect()) }
    }
}
