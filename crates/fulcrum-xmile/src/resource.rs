//! Modules whose model is in another file (`<module resource="...">`, XMILE 4.7.1): the other
//! file's model is read as if the file held it, inserted before the file's closing tag.

use fulcrum_model::name::CanonicalName;
use fulcrum_model::{Code, Diagnostic, Diagnostics};

use crate::document::{Prepared, Splice};

fn options<'a>() -> roxmltree::ParsingOptions<'a> {
    roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() }
}

/// For each module of the file that names another file: the model to insert, under the module's
/// name (canonical), and every module name whose file was asked for (read or not: a failure has
/// been reported in `diagnostics`).
pub(crate) fn splices(
    text: &str,
    load: &dyn Fn(&str) -> Result<String, String>,
    diagnostics: &mut Diagnostics,
) -> (Vec<(CanonicalName, Splice)>, Vec<CanonicalName>) {
    let (mut splices, mut handled) = (Vec::new(), Vec::new());
    let plain = Prepared::new(text);
    // A file that is not XML is reported when it is read for good.
    let Ok(document) = roxmltree::Document::parse_with_options(&plain.text, options()) else {
        return (splices, handled);
    };
    let root = document.root_element();
    // Inserted models go right before the root's closing tag.
    let Some(closing) = plain.text[..root.range().end].rfind("</") else {
        return (splices, handled);
    };
    let at = plain.span(closing..closing).start();
    let modules = root.descendants().filter(|node| node.tag_name().name() == "module");
    for module in modules {
        let (Some(name), Some(resource)) = (module.attribute("name"), module.attribute_node("resource")) else {
            continue;
        };
        let key = CanonicalName::new(name);
        if handled.contains(&key) {
            continue;
        }
        handled.push(key.clone());
        let span = plain.span(resource.range_value());
        let file = resource.value();
        let refuse = |code: Code, message: String| Diagnostic::new(code, message).at(Some(span));
        let other = match load(file) {
            Ok(other) => other,
            Err(why) => {
                diagnostics.push(
                    refuse(Code::InvalidValue, format!("module `{name}` names `{file}`, which cannot be read: {why}"))
                        .with_help("resource is a path relative to the model's folder"),
                );
                continue;
            }
        };
        let other = Prepared::new(&other);
        let other_document = match roxmltree::Document::parse_with_options(&other.text, options()) {
            Ok(other_document) => other_document,
            Err(error) => {
                diagnostics.push(refuse(
                    Code::FileSyntax,
                    format!("`{file}`, module `{name}`'s model, is not valid XML: {error}"),
                ));
                continue;
            }
        };
        let models: Vec<roxmltree::Node<'_, '_>> =
            other_document.root_element().children().filter(|node| node.tag_name().name() == "model").collect();
        let chosen = models
            .iter()
            .find(|model| model.attribute("name").is_some_and(|n| CanonicalName::new(n) == key))
            .or_else(|| models.iter().find(|model| model.attribute("name").is_none()));
        let Some(model) = chosen else {
            diagnostics.push(refuse(
                Code::UnknownName,
                format!("`{file}` has neither a model `{name}` nor an unnamed one for module `{name}`"),
            ));
            continue;
        };
        let inner = match (model.first_child(), model.last_child()) {
            (Some(first), Some(last)) => &other.text[first.range().start..last.range().end],
            _ => "",
        };
        let text = format!("<model name=\"{}\">{inner}</model>", escape(name));
        splices.push((key, Splice { at, text, span }));
    }
    (splices, handled)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}
