//! Reads XMILE models (`.xmile`, `.stmx`, `.xml`): the OASIS interchange standard that Stella and
//! Vensim export.
//!
//! [`read`] turns a file's text into the same [`fulcrum_model::Model`] the native reader makes,
//! so everything downstream (checks, simulation, conversion to TOML) is shared. It accepts what
//! real exports contain: both XMILE namespaces, undeclared vendor prefixes, variables with or
//! without a `<variables>` wrapper, modules (flattened to `module.variable` names), expression
//! macros, arrays (apply-to-all, per-element, Vensim's number lists), graphical functions given
//! by `xscale` or `xpts` with any separator, and the `<behavior>` non-negative defaults. Files from
//! Vensim get its conventions ([`fulcrum_model::Dialect::Vensim`]). Unknown vendor elements are
//! ignored. Every problem is a diagnostic with a position in the file; nothing panics.
//!
//! ```
//! let text = r#"<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">
//!   <header><vendor>Example</vendor><product version="1">Hand</product></header>
//!   <sim_specs><start>0</start><stop>10</stop><dt>1</dt></sim_specs>
//!   <model><variables>
//!     <stock name="Cash"><eqn>100</eqn><inflow>Income</inflow></stock>
//!     <flow name="Income"><eqn>5</eqn></flow>
//!   </variables></model>
//! </xmile>"#;
//! let (model, diagnostics) = fulcrum_xmile::read(text).unwrap();
//! assert!(diagnostics.0.is_empty());
//! assert_eq!(model.variables.len(), 2);
//! ```

mod document;
mod macros;
mod reader;

use fulcrum_model::{Diagnostics, Model};

/// Reads an XMILE file. `Err` means the file is not XML at all (or not XMILE); otherwise the
/// model comes back with every problem found in its structure (the resolver finds the rest).
pub fn read(text: &str) -> Result<(Model, Diagnostics), Diagnostics> {
    let prepared = document::Prepared::new(text);
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let document = match roxmltree::Document::parse_with_options(&prepared.text, options) {
        Ok(document) => document,
        Err(error) => return Err(Diagnostics(vec![document::syntax_error(&prepared, &error)])),
    };
    let mut reader = reader::Reader::new(&prepared);
    let model = reader.document(document.root_element());
    let mut diagnostics = reader.diagnostics;
    if model.variables.is_empty() && diagnostics.has_errors() {
        return Err(diagnostics);
    }
    diagnostics.sort();
    Ok((model, diagnostics))
}
