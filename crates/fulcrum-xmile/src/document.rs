//! Parsing the XML, tolerating what real exports do wrong.
//!
//! Many exported files use the `isee:` prefix without declaring it, which makes them
//! namespace-invalid XML that strict parsers reject. Before parsing, every prefix used but not
//! declared gets a declaration added to the root element; positions after the insertion are
//! shifted back so diagnostics point into the file as it is.

use fulcrum_model::syntax::Span;
use fulcrum_model::{Code, Diagnostic};

/// The text as parsed, and how to map its positions back to the file.
pub(crate) struct Prepared {
    pub text: String,
    /// Bytes dropped from the start of the file (a byte-order mark).
    dropped: usize,
    /// Where declarations were inserted into `text`, and how many bytes.
    insertion: Option<(usize, usize)>,
    /// Text from other files inserted into the file (after the byte-order mark is dropped):
    /// where, how many bytes, and the place in the file everything inside it is reported at.
    splices: Vec<(usize, usize, Span)>,
}

/// A model from another file, to be read as if the file held it: inserted at `at` (a position in
/// the file), and reported at `span` (where the file names the other file).
pub(crate) struct Splice {
    pub at: usize,
    pub text: String,
    pub span: Span,
}

impl Prepared {
    /// Declares undeclared namespace prefixes on the root element and drops a byte-order mark.
    pub(crate) fn new(original: &str) -> Prepared {
        Prepared::with_splices(original, Vec::new())
    }

    /// As [`Prepared::new`], with text from other files inserted, in order of position.
    pub(crate) fn with_splices(original: &str, mut inserted: Vec<Splice>) -> Prepared {
        let stripped = original.strip_prefix('\u{feff}').unwrap_or(original);
        let dropped = original.len() - stripped.len();
        inserted.sort_by_key(|splice| splice.at);
        let mut combined = String::with_capacity(stripped.len());
        let mut splices = Vec::with_capacity(inserted.len());
        let mut copied = 0;
        for splice in inserted {
            let at = splice.at.saturating_sub(dropped).clamp(copied, stripped.len());
            combined.push_str(&stripped[copied..at]);
            splices.push((combined.len(), splice.text.len(), splice.span));
            combined.push_str(&splice.text);
            copied = at;
        }
        combined.push_str(&stripped[copied..]);
        let mut prepared = Prepared::declare_prefixes(&combined, dropped);
        prepared.splices = splices;
        prepared
    }

    fn declare_prefixes(text: &str, dropped: usize) -> Prepared {
        let missing: Vec<String> =
            used_prefixes(text).into_iter().filter(|p| !text.contains(&format!("xmlns:{p}="))).collect();
        match root_tag_name_end(text) {
            Some(at) if !missing.is_empty() => {
                let declarations: String = missing
                    .iter()
                    .map(|prefix| format!(" xmlns:{prefix}=\"urn:fulcrum:undeclared:{prefix}\""))
                    .collect();
                let mut fixed = String::with_capacity(text.len() + declarations.len());
                fixed.push_str(&text[..at]);
                fixed.push_str(&declarations);
                fixed.push_str(&text[at..]);
                Prepared { text: fixed, dropped, insertion: Some((at, declarations.len())), splices: Vec::new() }
            }
            _ => Prepared { text: text.to_owned(), dropped, insertion: None, splices: Vec::new() },
        }
    }

    /// The span in the original file of a byte range in the parsed text; a range inside text
    /// from another file is reported where the file names that file.
    pub(crate) fn span(&self, range: std::ops::Range<usize>) -> Span {
        match (self.original(range.start), self.original(range.end)) {
            (Err(span), _) => span,
            (Ok(start), Ok(end)) => Span::new(start, end),
            (Ok(start), Err(_)) => Span::new(start, start),
        }
    }

    /// Does the byte range lie in text from another file?
    pub(crate) fn is_spliced(&self, range: std::ops::Range<usize>) -> bool {
        self.original(range.start).is_err() || self.original(range.end).is_err()
    }

    fn original(&self, position: usize) -> Result<usize, Span> {
        let mut position = match self.insertion {
            Some((at, length)) if position >= at + length => position - length,
            Some((at, _)) if position > at => at,
            _ => position,
        };
        let mut shift = 0;
        for &(at, length, span) in &self.splices {
            if position >= at + length {
                shift += length;
            } else if position >= at && length > 0 {
                return Err(span);
            }
        }
        position -= shift;
        Ok(position + self.dropped)
    }
}

/// Prefixes used in element or attribute names, like `isee` in `<isee:prefs` or
/// `isee:save_interval=`.
fn used_prefixes(text: &str) -> Vec<String> {
    let mut prefixes: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let starts_name = bytes[i] == b'<' || bytes[i].is_ascii_whitespace();
        if starts_name {
            let mut j = i + 1;
            if bytes[i] == b'<' && j < bytes.len() && bytes[j] == b'/' {
                j += 1;
            }
            let start = j;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] == b'-') {
                j += 1;
            }
            if j > start
                && j < bytes.len()
                && bytes[j] == b':'
                && j + 1 < bytes.len()
                && bytes[j + 1].is_ascii_alphabetic()
            {
                let prefix = &text[start..j];
                if prefix != "xmlns" && prefix != "xml" && !prefixes.iter().any(|p| p == prefix) {
                    prefixes.push(prefix.to_owned());
                }
            }
        }
        i += 1;
    }
    prefixes
}

/// The position right after the root element's name, where attributes can be added.
fn root_tag_name_end(text: &str) -> Option<usize> {
    let mut search = 0;
    loop {
        let open = search + text[search..].find('<')?;
        let rest = &text[open + 1..];
        if rest.starts_with('?') || rest.starts_with('!') {
            search = open + 1;
            continue;
        }
        let name_length = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        return Some(open + 1 + name_length);
    }
}

/// A parse error as a diagnostic at its position in the file.
pub(crate) fn syntax_error(prepared: &Prepared, error: &roxmltree::Error) -> Diagnostic {
    let position = error.pos();
    let offset = offset_of(&prepared.text, position.row as usize, position.col as usize);
    let span = prepared.span(offset..offset);
    Diagnostic::new(Code::FileSyntax, format!("invalid XML: {error}")).at(Some(span))
}

/// Byte offset of a 1-based row and column (columns count characters).
fn offset_of(text: &str, row: usize, col: usize) -> usize {
    let line_start: usize = text.split_inclusive('\n').take(row.saturating_sub(1)).map(str::len).sum();
    let line = &text[line_start.min(text.len())..];
    line_start + line.char_indices().nth(col.saturating_sub(1)).map_or(line.len(), |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undeclared_prefixes_are_declared_and_positions_map_back() {
        let original =
            "<xmile version=\"1.0\">\n<isee:prefs a=\"1\"/>\n<sim_specs isee:save_interval=\"1\"/>\n</xmile>";
        let prepared = Prepared::new(original);
        assert!(roxmltree::Document::parse(&prepared.text).is_ok());
        let at = prepared.text.find("<sim_specs").expect("present");
        let span = prepared.span(at..at + 10);
        assert_eq!(&original[span.start()..span.end()], "<sim_specs");
    }

    #[test]
    fn spliced_text_is_reported_where_the_file_names_it_and_later_positions_map_back() {
        let original = "\u{feff}<xmile><module resource=\"m.xml\"/><isee:x/></xmile>";
        let named = original.find("m.xml").expect("present");
        let span = Span::new(named, named + 5);
        let at = original.find("</xmile>").expect("present");
        let splice = Splice { at, text: "<model name=\"m\"><aux/></model>".to_owned(), span };
        let prepared = Prepared::with_splices(original, vec![splice]);
        assert!(roxmltree::Document::parse(&prepared.text).is_ok(), "{}", prepared.text);
        // Inside the inserted model: the resource attribute.
        let inside = prepared.text.find("<aux/>").expect("inserted");
        assert_eq!(prepared.span(inside..inside + 6), span);
        assert!(prepared.is_spliced(inside..inside + 6));
        // After it: the closing tag where the file has it; before it, the module.
        let closing = prepared.text.find("</xmile>").expect("present");
        let mapped = prepared.span(closing..closing + 8);
        assert_eq!(&original[mapped.start()..mapped.end()], "</xmile>");
        let module = prepared.text.find("<module").expect("present");
        let mapped = prepared.span(module..module + 7);
        assert_eq!(&original[mapped.start()..mapped.end()], "<module");
        assert!(!prepared.is_spliced(module..module + 7));
    }

    #[test]
    fn declared_prefixes_are_left_alone() {
        let original = "<xmile xmlns:isee=\"http://iseesystems.com/XMILE\"><isee:prefs/></xmile>";
        let prepared = Prepared::new(original);
        assert_eq!(prepared.text, original);
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let original = "\u{feff}<xmile><model/></xmile>";
        let prepared = Prepared::new(original);
        let at = prepared.text.find("<model").expect("present");
        let span = prepared.span(at..at + 6);
        assert_eq!(&original[span.start()..span.end()], "<model");
    }
}
