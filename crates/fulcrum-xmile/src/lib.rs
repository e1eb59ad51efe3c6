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
//! [`read_layout`] reads the diagram a file saves (`<views>`) apart from the model, for drawing it.
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
mod layout;
mod macros;
mod reader;
mod resource;
mod writer;

pub use layout::read_layout;
pub use writer::{unwritable, write};

use fulcrum_model::{Diagnostics, Model};

/// Reads an XMILE file. `Err` means the file is not XML at all (or not XMILE); otherwise the
/// model comes back with every problem found in its structure (the resolver finds the rest). A
/// module whose model is in another file (`resource="..."`) is refused: see [`read_with`].
pub fn read(text: &str) -> Result<(Model, Diagnostics), Diagnostics> {
    read_inner(text, None)
}

/// As [`read`], and a module of the file whose model is in another file (`<module name="m"
/// resource="m.xmile">`, XMILE 4.7.1) reads it: `resources` gives that file's text (the caller
/// decides where a resource is, and reads it; this crate reads no file), or why it cannot. The
/// module takes the other file's model of the module's name, else its unnamed root model, as if
/// this file held it; every problem in it is reported where this file names the other file.
/// A model read from another file may have modules that name a third file (relative to the
/// second file's folder), and so on; a chain of files that leads back to a file it is reading is
/// refused at the resource.
pub fn read_with(
    text: &str,
    resources: &dyn Fn(&str) -> Result<String, String>,
) -> Result<(Model, Diagnostics), Diagnostics> {
    read_inner(text, Some(resources))
}

/// Gives the text of another file a model names, or why it cannot.
type Resources<'r> = &'r dyn Fn(&str) -> Result<String, String>;

fn read_inner(text: &str, resources: Option<Resources<'_>>) -> Result<(Model, Diagnostics), Diagnostics> {
    let mut found = Diagnostics::default();
    let (splices, handled) = match resources {
        Some(load) => resource::splices(text, load, &mut found),
        None => (Vec::new(), Vec::new()),
    };
    let loaded: Vec<_> = splices.iter().map(|(name, _)| name.clone()).collect();
    let prepared = document::Prepared::with_splices(text, splices.into_iter().map(|(_, splice)| splice).collect());
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() };
    let document = match roxmltree::Document::parse_with_options(&prepared.text, options) {
        Ok(document) => document,
        Err(error) => return Err(Diagnostics(vec![document::syntax_error(&prepared, &error)])),
    };
    let mut reader = reader::Reader::new(&prepared);
    reader.resources = reader::Resources { loaded, handled, readable: resources.is_some() };
    let model = reader.document(document.root_element());
    let mut diagnostics = reader.diagnostics;
    diagnostics.0.extend(found.0);
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
    fn model_units_give_the_model_its_unit_definitions() {
        let model = read(&format!(
            "{SPECS}<model_units><unit name=\"Rabbits\"><alias>Rabbit</alias><alias>bunny</alias></unit>\
             <unit name=\"models_per_year\"><eqn>models/year</eqn></unit>\
             <unit name=\"Joules\" disabled=\"true\"><alias>J</alias></unit></model_units><model/>"
        ));
        let units = |model: &Model| -> Vec<(String, Option<String>, Vec<String>, bool)> {
            model
                .unit_definitions
                .iter()
                .map(|u| (u.name.clone(), u.equation.clone(), u.aliases.clone(), u.disabled))
                .collect()
        };
        let owned = |name: &str, equation: Option<&str>, aliases: &[&str], disabled: bool| {
            (name.to_owned(), equation.map(str::to_owned), aliases.iter().map(|a| (*a).to_owned()).collect(), disabled)
        };
        assert_eq!(
            units(&model),
            [
                owned("Rabbits", None, &["Rabbit", "bunny"], false),
                owned("models per year", Some("models/year"), &[], false),
                owned("Joules", None, &["J"], true),
            ]
        );
        // Written back as XMILE, the definitions read the same.
        let (again, _) = super::read(&super::write(&model)).unwrap_or_else(|d| panic!("{d:?}"));
        assert_eq!(units(&again), units(&model));
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
            <macro name=\"EMPTY\"><parm>x</parm><variables/></macro>\
            <macro name=\"HELD\"><parm>x</parm><eqn>level</eqn><variables>\
              <stock name=\"level\"><eqn>HELD(x)</eqn></stock></variables></macro>\
            <model><variables><aux name=\"a\"><eqn>LOOP(1)</eqn></aux><aux name=\"b\"><eqn>HELD(1)</eqn></aux>\
            <aux name=\"c\"><eqn>LOOP(1, 2)</eqn></aux></variables></model></xmile>";
        let (_, diagnostics) = super::read(text).expect("XML");
        let messages: Vec<&str> = diagnostics.0.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "the macro `EMPTY` has no <eqn>",
                "macro `LOOP` calls itself without end (LOOP → LOOP), which cannot be expanded",
                "macro `HELD` calls itself without end (HELD → HELD), which cannot be expanded",
                "macro `LOOP` takes 1 arguments, but is given 2"
            ]
        );
        // Each is located: at the call, with a note at the macro.
        assert!(diagnostics.0.iter().all(|d| d.span.is_some()), "{diagnostics:?}");
        assert!(diagnostics.0[1..3].iter().all(|d| !d.related.is_empty()), "{diagnostics:?}");
    }

    #[test]
    fn stock_and_flow_macros_get_a_copy_of_their_variables_per_call() {
        let model = read(&format!(
            "{SPECS}<model><variables>\
               <aux name=\"a\"><eqn>ACCUM(1)</eqn></aux>\
               <aux name=\"b\"><eqn>ACCUM(rate * 2) + 1</eqn></aux>\
               <aux name=\"rate\"><eqn>5</eqn></aux>\
               <aux name=\"c\"><eqn>BOTH(3)</eqn></aux>\
             </variables></model>\
             <macro name=\"ACCUM\"><parm>inflow</parm><eqn>total / 1</eqn><variables>\
               <stock name=\"total\"><eqn>0</eqn><inflow>adding</inflow></stock>\
               <flow name=\"adding\"><eqn>inflow</eqn></flow></variables></macro>\
             <macro name=\"BOTH\"><parm>x</parm><eqn>ACCUM(x) - ACCUM(x)</eqn></macro>"
        ));
        assert_eq!(equation(&model, "a"), "\"ACCUM.1.total\" / 1");
        assert_eq!(equation(&model, "b"), "\"ACCUM.2.total\" / 1 + 1");
        assert_eq!(equation(&model, "ACCUM.2.inflow"), "rate * 2");
        assert_eq!(equation(&model, "ACCUM.2.adding"), "\"ACCUM.2.inflow\"");
        assert_eq!(equation(&model, "c"), "\"ACCUM.3.total\" / 1 - \"ACCUM.4.total\" / 1");
        match model.variable("ACCUM.4.total").map(|v| &v.kind) {
            Some(VariableKind::Stock { inflows, .. }) => assert_eq!(inflows[0].name, "ACCUM.4.adding"),
            other => panic!("{other:?}"),
        }
        let resolved = fulcrum_model::resolve(&model).expect("resolves");
        assert!(resolved.lookup("ACCUM.4.adding").is_some());

        // A mistake in an argument is shown at the call.
        let text = format!(
            "<xmile>{SPECS}<model><variables><aux name=\"a\"><eqn>ACCUM(missing)</eqn></aux></variables></model>\
             <macro name=\"ACCUM\"><parm>inflow</parm><eqn>total</eqn><variables>\
               <stock name=\"total\"><eqn>0</eqn><inflow>adding</inflow></stock>\
               <flow name=\"adding\"><eqn>inflow</eqn></flow></variables></macro></xmile>"
        );
        let (model, _) = super::read(&text).expect("XML");
        let diagnostics = fulcrum_model::resolve(&model).expect_err("unknown variable");
        let call = u32::try_from(text.find("ACCUM(missing)").expect("the call")).expect("small");
        let unknown = diagnostics.0.iter().find(|d| d.message.contains("missing")).expect("reported");
        assert!(unknown.span.is_some_and(|span| span.start <= call && call < span.end), "{unknown:?}");
    }

    #[test]
    fn legacy_files_without_a_variables_wrapper_read_the_same() {
        let model = read(&format!("{SPECS}<model><aux name=\"a\"><eqn>1</eqn></aux></model>"));
        assert_eq!(model.variables.len(), 1);
    }

    /// Every span of `diagnostics` lies within `text`, in order, on character boundaries, so
    /// that a caret can be drawn under it.
    fn assert_spans_inside(text: &str, diagnostics: &fulcrum_model::Diagnostics) {
        for diagnostic in &diagnostics.0 {
            for span in diagnostic.span.iter().chain(diagnostic.related.iter().map(|(span, _)| span)) {
                assert!(
                    span.start() <= span.end() && text.get(span.start()..span.end()).is_some(),
                    "span {}..{} of `{}` is not within the {}-byte text on character boundaries: {text:?}",
                    span.start(),
                    span.end(),
                    diagnostic.message,
                    text.len()
                );
            }
        }
    }

    /// Reads `text`, which is not a readable XMILE file: there must be an error (an `Err`, or
    /// diagnostics with an error), and every span must point into the text.
    fn assert_refused(text: &str) {
        let diagnostics = match super::read(text) {
            Ok((_, diagnostics)) => diagnostics,
            Err(diagnostics) => diagnostics,
        };
        assert!(diagnostics.has_errors(), "no error for {text:?}: {diagnostics:?}");
        assert_spans_inside(text, &diagnostics);
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
            "\u{feff}<xmile><model><variables><aux name=\"é\"><eqn>1 +</eqn></aux></variables></model></xmile>",
            "<xmile><model><variables><aux name=\"a\"><eqn>(</eqn></aux></variables></model></xmile>",
            "<?xml version=\"1.0\"?><xmile>\u{0}</xmile>",
            "<html><body>not a model</body></html>",
        ] {
            assert_refused(text);
        }
    }

    /// A small valid model with names outside ASCII, so that a span cutting a character in half
    /// would show.
    const VALID: &str = "<xmile version=\"1.0\" xmlns=\"http://docs.oasis-open.org/xmile/ns/XMILE/v1.0\">\
        <header><name>Théière</name><vendor>tests</vendor><product version=\"1\">hand</product></header>\
        <sim_specs><start>0</start><stop>30</stop><dt>0.25</dt></sim_specs>\
        <model><variables>\
        <stock name=\"Température du thé\"><eqn>180</eqn><outflow>\"Perte de chaleur\"</outflow></stock>\
        <flow name=\"Perte de chaleur\"><eqn>(Température_du_thé - 室温) / Characteristic_Time</eqn></flow>\
        <aux name=\"室温\"><eqn>70</eqn></aux>\
        <aux name=\"Characteristic Time\"><eqn>10</eqn></aux>\
        </variables></model></xmile>";

    /// The character boundaries of `text` strictly inside it (not 0, not its length), in order.
    fn inner_boundaries(text: &str) -> Vec<usize> {
        text.char_indices().map(|(index, _)| index).filter(|&index| index > 0).collect()
    }

    #[test]
    fn the_valid_model_reads_cleanly() {
        // The garbage below is built from this model, so it must be valid to begin with.
        let (model, diagnostics) = super::read(VALID).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        assert_eq!(model.variables.len(), 4);
    }

    /// A valid model cut short at every character boundary is not XML any more: an error, inside
    /// what is left.
    #[test]
    fn a_truncated_model_is_an_error_inside_the_text() {
        for cut in inner_boundaries(VALID) {
            assert_refused(&VALID[..cut]);
        }
    }

    /// A stray `&` (an entity reference never closed) or `<` (a tag never finished) at every
    /// character boundary of a valid model is an XML error: an error, inside the text.
    #[test]
    fn a_stray_markup_character_is_an_error_inside_the_text() {
        for at in inner_boundaries(VALID) {
            for stray in ["&", "<", "&é", "< 室"] {
                assert_refused(&format!("{}{stray}{}", &VALID[..at], &VALID[at..]));
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

        /// Any text at all: a model or diagnostics, never a panic, and spans inside the text.
        #[test]
        fn any_text_reads_or_gives_located_diagnostics(text in "(?s).{0,200}") {
            match super::read(&text) {
                Ok((_, diagnostics)) | Err(diagnostics) => assert_spans_inside(&text, &diagnostics),
            }
        }

        /// Text without markup is not XML: an error, inside the text.
        #[test]
        fn text_that_is_not_xml_is_an_error_inside_the_text(text in "[^<]{0,200}") {
            assert_refused(&text);
        }
    }
}
