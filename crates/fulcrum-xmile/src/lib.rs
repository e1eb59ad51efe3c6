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

#[cfg(test)]
mod tests {
    use fulcrum_model::{Dialect, GraphKind, Method, Model, VariableKind};

    fn read(body: &str) -> Model {
        let text =
            format!("<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">{body}</xmile>");
        let (model, diagnostics) = super::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        model
    }

    fn equation(model: &Model, name: &str) -> String {
        model.variable(name).and_then(|v| v.equation.as_ref()).map(|e| e.text.clone()).unwrap_or_default()
    }

    const SPECS: &str = "<sim_specs><start>0</start><stop>10</stop><dt>1</dt></sim_specs>";

    #[test]
    fn sim_specs_with_reciprocal_dt_method_fallbacks_and_save_interval() {
        let model = read(
            "<sim_specs method=\"RK45, rk4\" time_units=\"months\" save_interval=\"0.5\"><start> 1</start><stop>9</stop><dt reciprocal=\"true\">4</dt></sim_specs><model/>",
        );
        let sim = &model.sim;
        assert_eq!((sim.start, sim.stop, sim.dt, sim.method, sim.save_step), (1.0, 9.0, 0.25, Method::Rk4, Some(0.5)));
        assert_eq!(sim.time_units.as_deref(), Some("months"));
        let gear_only = read("<sim_specs method=\"gear\"><start>0</start><stop>1</stop></sim_specs><model/>");
        assert_eq!(gear_only.sim.method, Method::Rk4);
    }

    #[test]
    fn vendor_decides_the_dialect() {
        let vensim = read(&format!("<header><vendor>Ventana Systems, xmutil</vendor></header>{SPECS}<model/>"));
        assert_eq!(vensim.dialect, Dialect::Vensim);
        let stella = read(&format!("<header><vendor>isee systems</vendor></header>{SPECS}<model/>"));
        assert_eq!(stella.dialect, Dialect::Xmile);
    }

    #[test]
    fn behavior_sets_non_negative_defaults_that_variables_override() {
        let model = read(&format!(
            "{SPECS}<behavior><stock><non_negative/></stock></behavior><model><variables>\
             <stock name=\"a\"><eqn>1</eqn></stock>\
             <stock name=\"b\"><eqn>1</eqn><non_negative> FALSE </non_negative></stock>\
             <flow name=\"f\"><eqn>1</eqn></flow></variables></model>"
        ));
        let non_negative = |name: &str| match model.variable(name).map(|v| &v.kind) {
            Some(VariableKind::Stock { non_negative, .. } | VariableKind::Flow { non_negative }) => *non_negative,
            _ => panic!("{name}"),
        };
        assert_eq!((non_negative("a"), non_negative("b"), non_negative("f")), (true, false, false));
    }

    #[test]
    fn graphical_functions_from_points_or_a_scale() {
        let model = read(&format!(
            "{SPECS}<model><variables>\
             <gf name=\"g\" type=\"extrapolate\"><xpts sep=\";\">0;1;3</xpts><ypts sep=\";\">0;2;4</ypts></gf>\
             <aux name=\"a\"><eqn>TIME</eqn><gf discrete=\"true\"><xscale min=\"0\" max=\"10\"/><ypts>1,2,3</ypts></gf></aux>\
             </variables></model>"
        ));
        let g = model.variable("g").and_then(|v| v.graph.as_ref()).expect("graph");
        assert_eq!(
            (g.kind, g.x.clone(), g.y.clone()),
            (GraphKind::Extrapolate, vec![0.0, 1.0, 3.0], vec![0.0, 2.0, 4.0])
        );
        let a = model.variable("a").and_then(|v| v.graph.as_ref()).expect("graph");
        assert_eq!((a.kind, a.x.clone()), (GraphKind::Discrete, vec![0.0, 5.0, 10.0]));
    }

    #[test]
    fn arrays_by_element_by_list_and_numbered_dimensions() {
        let model = read(&format!(
            "{SPECS}<dimensions><dim name=\"N\" size=\"2\"/><dim name=\"R\"><elem name=\"x\"/><elem name=\"y\"/></dim></dimensions>\
             <model><variables>\
             <aux name=\"grid\"><dimensions><dim name=\"N\"/><dim name=\"R\"/></dimensions><eqn>1, 2; 3, 4;</eqn></aux>\
             <aux name=\"pair\"><dimensions><dim name=\"R\"/></dimensions><eqn>5</eqn><eqn>6</eqn></aux>\
             </variables></model>"
        ));
        assert_eq!(model.dimensions[0].elements, ["1", "2"]);
        let grid = model.variable("grid").expect("grid");
        let subscripts: Vec<String> = grid.elements.iter().map(|e| e.subscript.join(",")).collect();
        assert_eq!(subscripts, ["1,x", "1,y", "2,x", "2,y"]);
        assert_eq!(grid.elements[3].equation.as_ref().and_then(|e| e.literal_value()), Some(4.0));
        let pair = model.variable("pair").expect("pair");
        assert_eq!(pair.elements.iter().map(|e| e.subscript.join(",")).collect::<Vec<_>>(), ["x", "y"]);
    }

    #[test]
    fn modules_flatten_with_their_connections() {
        let model = read(&format!(
            "{SPECS}<model><variables>\
               <module name=\"outer\"><connect to=\"outer.level\" from=\".base\"/></module>\
               <aux name=\"base\"><eqn>3</eqn></aux>\
               <aux name=\"report\"><eqn>outer.doubled + outer.inner.tripled</eqn></aux>\
             </variables></model>\
             <model name=\"outer\"><variables>\
               <aux name=\"level\" access=\"input\"><eqn>0</eqn></aux>\
               <aux name=\"doubled\" access=\"output\"><eqn>level * 2</eqn></aux>\
               <module name=\"inner\"><connect to=\"seed\" from=\"level\"/></module>\
             </variables></model>\
             <model name=\"inner\"><variables>\
               <aux name=\"seed\"><eqn>{{unconnected}}</eqn></aux>\
               <aux name=\"tripled\"><eqn>seed * 3</eqn></aux>\
             </variables></model>"
        ));
        assert_eq!(equation(&model, "outer.level"), "base");
        assert_eq!(equation(&model, "outer.doubled"), "\"outer.level\" * 2");
        assert_eq!(equation(&model, "outer.inner.seed"), "\"outer.level\"");
        assert_eq!(equation(&model, "outer.inner.tripled"), "\"outer.inner.seed\" * 3");
        let resolved = fulcrum_model::resolve(&model).expect("resolves");
        assert!(resolved.lookup("outer.inner.tripled").is_some());
    }

    #[test]
    fn expression_macros_expand_at_each_call() {
        let model = read(&format!(
            "{SPECS}<macro name=\"LOGB\"><parm>x</parm><parm>b</parm><eqn>LN(x) / LN(b)</eqn></macro>\
             <macro name=\"CUBE\"><parm>v</parm><eqn>v * v * v</eqn></macro>\
             <model><variables><aux name=\"a\"><eqn>LOGB(CUBE(2), 2) + LOGB(9, 3)</eqn></aux></variables></model>"
        ));
        assert_eq!(equation(&model, "a"), "LN(2 * 2 * 2) / LN(2) + LN(9) / LN(3)");
    }

    #[test]
    fn macro_mistakes_are_reported() {
        let text = "<xmile><sim_specs><start>0</start><stop>1</stop></sim_specs>\
            <macro name=\"LOOP\"><parm>x</parm><eqn>LOOP(x)</eqn></macro>\
            <macro name=\"STOCKY\"><parm>x</parm><variables/></macro>\
            <model><variables><aux name=\"a\"><eqn>LOOP(1)</eqn></aux><aux name=\"b\"><eqn>STOCKY(1)</eqn></aux>\
            <aux name=\"c\"><eqn>LOOP(1, 2)</eqn></aux></variables></model></xmile>";
        let (_, diagnostics) = super::read(text).expect("XML");
        let messages: Vec<&str> = diagnostics.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "macro `LOOP` expands more than 32 levels deep",
                "macro `STOCKY` is built from stocks and flows, which fulcrum does not support yet",
                "macro `LOOP` takes 1 arguments, but is given 2"
            ]
        );
    }

    #[test]
    fn legacy_files_without_a_variables_wrapper_read_the_same() {
        let model = read(&format!("{SPECS}<model><aux name=\"a\"><eqn>1</eqn></aux></model>"));
        assert_eq!(model.variables.len(), 1);
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "<",
            "<xmile",
            "<xmile></xmile>",
            "\u{feff}<xmile><model/></xmile>",
            "<x:y/>",
            "<xmile><model><variables><stock/></variables></model></xmile>",
        ] {
            let _ = super::read(text);
        }
    }
}
