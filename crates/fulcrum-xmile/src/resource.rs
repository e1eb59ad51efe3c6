//! Modules whose model is in another file (`<module resource="...">`, XMILE 4.7.1): the other
//! file's model is read as if the file held it, inserted before the file's closing tag.

use fulcrum_model::name::CanonicalName;
use fulcrum_model::{Code, Diagnostic, Diagnostics};

use crate::document::{Prepared, Splice};

fn options<'a>() -> roxmltree::ParsingOptions<'a> {
    roxmltree::ParsingOptions { allow_dtd: true, ..roxmltree::ParsingOptions::default() }
}

/// Most files a chain of `resource=` may run through: deeper is surely a loop the paths hide
/// (`a/../a.xmile`).
const MAX_CHAIN: usize = 32;

/// For each module of the file that names another file: the model to insert, under the module's
/// name (canonical), and every module name whose file was asked for (read or not: a failure has
/// been reported in `diagnostics`). A model read from another file may have modules that name a
/// third file, relative to the second's folder, and so on: each is read in turn and inserted the
/// same way, and a file that names a file already being read (a cycle) is an error.
pub(crate) fn splices(
    text: &str,
    load: &dyn Fn(&str) -> Result<String, String>,
    diagnostics: &mut Diagnostics,
) -> (Vec<(CanonicalName, Splice)>, Vec<CanonicalName>) {
    let mut chain = Chain { load, diagnostics, splices: Vec::new(), handled: Vec::new(), files: Vec::new() };
    let plain = Prepared::new(text);
    // A file that is not XML is reported when it is read for good.
    let Ok(document) = roxmltree::Document::parse_with_options(&plain.text, options()) else {
        return (chain.splices, chain.handled);
    };
    let root = document.root_element();
    // Inserted models go right before the root's closing tag.
    let Some(closing) = plain.text[..root.range().end].rfind("</") else {
        return (chain.splices, chain.handled);
    };
    let at = plain.span(closing..closing).start();
    for module in root.descendants().filter(|node| node.tag_name().name() == "module") {
        let (Some(name), Some(resource)) = (module.attribute("name"), module.attribute_node("resource")) else {
            continue;
        };
        let span = plain.span(resource.range_value());
        chain.module(name, resource.value(), Place { at, span }, &mut Vec::new());
    }
    (chain.splices, chain.handled)
}

/// Where the models read go in the file, and where what is wrong in them is reported: the
/// `resource` attribute of the file's own module that leads to them.
#[derive(Clone, Copy)]
struct Place {
    at: usize,
    span: fulcrum_model::syntax::Span,
}

struct Chain<'l, 'd> {
    load: &'l dyn Fn(&str) -> Result<String, String>,
    diagnostics: &'d mut Diagnostics,
    splices: Vec<(CanonicalName, Splice)>,
    handled: Vec<CanonicalName>,
    /// The file each handled module's model came from, in `handled`'s order.
    files: Vec<String>,
}

impl Chain<'_, '_> {
    /// Reads module `name`'s model from `file`, and then the files its own modules name.
    /// `reading` is the chain of files that led here.
    fn module(&mut self, name: &str, file: &str, place: Place, reading: &mut Vec<String>) {
        let key = CanonicalName::new(name);
        let refuse = |code: Code, message: String| Diagnostic::new(code, message).at(Some(place.span));
        if let Some(index) = self.handled.iter().position(|handled| *handled == key) {
            // One model per module name: the same file again is the same model.
            if self.files[index] != file {
                self.diagnostics.push(
                    refuse(
                        Code::Unsupported,
                        format!(
                            "two modules named `{name}` take their models from different files, `{}` and `{file}`",
                            self.files[index]
                        ),
                    )
                    .with_help("give the modules different names"),
                );
            }
            return;
        }
        self.handled.push(key.clone());
        self.files.push(file.to_owned());
        if reading.iter().any(|earlier| earlier == file) || reading.len() >= MAX_CHAIN {
            let mut files = reading.clone();
            files.push(file.to_owned());
            self.diagnostics.push(
                refuse(
                    Code::Unsupported,
                    format!("module `{name}` names `{file}`, a file already being read: {}", files.join(" → ")),
                )
                .with_help("a model cannot contain itself through the files its modules name"),
            );
            return;
        }
        let other = match (self.load)(file) {
            Ok(other) => other,
            Err(why) => {
                self.diagnostics.push(
                    refuse(Code::InvalidValue, format!("module `{name}` names `{file}`, which cannot be read: {why}"))
                        .with_help("resource is a path relative to the folder of the model that names it"),
                );
                return;
            }
        };
        let other = Prepared::new(&other);
        let other_document = match roxmltree::Document::parse_with_options(&other.text, options()) {
            Ok(other_document) => other_document,
            Err(error) => {
                self.diagnostics.push(refuse(
                    Code::FileSyntax,
                    format!("`{file}`, module `{name}`'s model, is not valid XML: {error}"),
                ));
                return;
            }
        };
        let models: Vec<roxmltree::Node<'_, '_>> =
            other_document.root_element().children().filter(|node| node.tag_name().name() == "model").collect();
        let chosen = models
            .iter()
            .find(|model| model.attribute("name").is_some_and(|n| CanonicalName::new(n) == key))
            .or_else(|| models.iter().find(|model| model.attribute("name").is_none()));
        let Some(model) = chosen else {
            self.diagnostics.push(refuse(
                Code::UnknownName,
                format!("`{file}` has neither a model `{name}` nor an unnamed one for module `{name}`"),
            ));
            return;
        };
        let inner = match (model.first_child(), model.last_child()) {
            (Some(first), Some(last)) => &other.text[first.range().start..last.range().end],
            _ => "",
        };
        let text = format!("<model name=\"{}\">{inner}</model>", escape(name));
        self.splices.push((key, Splice { at: place.at, text, span: place.span }));
        // The modules of the model read name files relative to its own file's folder.
        reading.push(file.to_owned());
        for module in model.descendants().filter(|node| node.tag_name().name() == "module") {
            let (Some(inner_name), Some(resource)) = (module.attribute("name"), module.attribute("resource")) else {
                continue;
            };
            let next = relative_to(file, resource);
            self.module(inner_name, &next, place, reading);
        }
        reading.pop();
    }
}

/// `resource` as named from a model in `file`: relative to `file`'s folder, unless absolute.
fn relative_to(file: &str, resource: &str) -> String {
    // `file://` as the standard writes it (4.7.1) is a path all the same.
    let file = file.strip_prefix("file://").unwrap_or(file);
    let resource = resource.strip_prefix("file://").unwrap_or(resource);
    let resource_path = std::path::Path::new(resource);
    if resource_path.is_absolute() {
        return resource.to_owned();
    }
    match std::path::Path::new(file).parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder.join(resource_path).to_string_lossy().into_owned(),
        _ => resource.to_owned(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('"', "&quot;").replace('<', "&lt;")
}
