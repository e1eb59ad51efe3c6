//! The file's layout: definitions separated by `|`, each `equation ~ units ~ documentation`;
//! group headers (`****` … `.Name`); `:MACRO:` … `:END OF MACRO:` around macro bodies; and the
//! sketch and settings after `\\\---///`, of which only the simulation settings line, the unit
//! equivalences (`22:Person,People`), the file references (`30:?name=file`) and the time label
//! (`35:Date` with the year, month and day of the start time in `37:` to `39:`) are read.

use fulcrum_model::syntax::Span;
use fulcrum_model::{Code, Diagnostic, Diagnostics};

/// One definition's parts, as spans in the file.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    /// The equation: everything before the first `~`.
    pub equation: Span,
    /// Between the first and second `~`.
    pub units: Option<Span>,
    /// Between the second `~` and the `|`.
    pub doc: Option<Span>,
    /// Inside the macro with this index in [`Layout::macros`], if any.
    pub in_macro: Option<usize>,
}

/// A `:MACRO: name(inputs : outputs)` header, where its definitions are.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MacroHeader {
    /// From after `:MACRO:` to the closing parenthesis.
    pub header: Span,
    /// The whole `:MACRO:` marker and header.
    pub span: Span,
}

/// What the file holds, in order.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Layout {
    pub entries: Vec<Entry>,
    pub macros: Vec<MacroHeader>,
    /// The settings line `15:...` (simulation settings), if the file has one.
    pub settings_line: Option<Span>,
    /// The file references of the settings (`30:?name=file.xlsx`, Vensim's Model>Settings>XLS
    /// Files): `?name` and the file it stands for, in GET XLS and GET DIRECT calls.
    pub file_references: Vec<(String, String)>,
    /// The unit equivalences of the settings (`22:Person,People,Persons`, Vensim's
    /// Model>Settings>Units Equiv): names of one unit, the first its name, and the line.
    pub unit_equivalences: Vec<(Vec<String>, Span)>,
    /// The time label of the settings (Vensim's Model>Settings>Time Bounds): the lines `35:`
    /// (the kind of label, `Date` for a date) to `39:` (for a date: `37:` the year, `38:` the
    /// month, `39:` the day of the start time), as the number before the colon, the text after
    /// it, and the line.
    pub time_label: Vec<(u32, String, Span)>,
}

/// The sketch starts at `\\\---///`; some hand-edited files have fewer backslashes.
const SKETCH_MARKER: &str = "---///";
const SETTINGS_MARKER: &str = "///---\\\\\\";

/// Finds the definitions of a file. Problems of layout (a definition without its `|`, a macro
/// that is never closed) go to `diagnostics`.
pub(crate) fn layout(text: &str, diagnostics: &mut Diagnostics) -> Layout {
    let equations_end = text
        .match_indices(SKETCH_MARKER)
        .map(|(index, _)| index)
        .find(|&index| text.get(..index).is_some_and(|before| before.ends_with('\\')))
        .map(|index| text.get(..index).map_or(index, |before| before.trim_end_matches('\\').len()))
        .unwrap_or(text.len());
    let mut layout = Layout::default();
    if let Some(settings) = text.get(equations_end..).and_then(|rest| rest.find(SETTINGS_MARKER)) {
        let settings_start = equations_end + settings;
        let mut offset = settings_start;
        for line in text.get(settings_start..).unwrap_or("").split_inclusive('\n') {
            let trimmed = line.trim_end();
            if trimmed.starts_with("15:") {
                layout.settings_line = Some(Span::new(offset, offset + trimmed.len()));
            }
            if let Some(names) = trimmed.strip_prefix("22:") {
                let names: Vec<String> =
                    names.split(',').map(str::trim).filter(|name| !name.is_empty()).map(str::to_owned).collect();
                if !names.is_empty() {
                    layout.unit_equivalences.push((names, Span::new(offset, offset + trimmed.len())));
                }
            }
            if let Some((key, value)) = trimmed.split_once(':')
                && let Ok(key) = key.parse::<u32>()
                && (35..=39).contains(&key)
            {
                layout.time_label.push((key, value.trim().to_owned(), Span::new(offset, offset + trimmed.len())));
            }
            if let Some((name, file)) = trimmed.strip_prefix("30:").and_then(|reference| reference.split_once('='))
                && name.trim().starts_with('?')
            {
                layout.file_references.push((name.trim().to_owned(), file.trim().to_owned()));
            }
            offset += line.len();
        }
    }
    let mut scanner = Scanner { text, pos: 0, end: equations_end };
    let mut open_macro: Option<usize> = None;
    loop {
        scanner.skip_space();
        if scanner.pos >= scanner.end {
            break;
        }
        if scanner.starts_with_marker(":MACRO:") {
            let start = scanner.pos;
            scanner.pos += ":MACRO:".len();
            let header_start = scanner.pos;
            let header_end = scanner.macro_header_end();
            scanner.pos = header_end;
            if let Some(previous) = open_macro {
                diagnostics.push(
                    Diagnostic::new(Code::MdlMacro, "a macro starts inside another macro")
                        .at(Some(Span::new(start, start + ":MACRO:".len())))
                        .with_related(layout.macros.get(previous).map(|m| m.span), "the open macro")
                        .with_help("end the first macro with :END OF MACRO: before starting the next"),
                );
            }
            open_macro = Some(layout.macros.len());
            layout
                .macros
                .push(MacroHeader { header: Span::new(header_start, header_end), span: Span::new(start, header_end) });
            continue;
        }
        if scanner.starts_with_marker(":END OF MACRO:") {
            let start = scanner.pos;
            scanner.pos += ":END OF MACRO:".len();
            if open_macro.take().is_none() {
                diagnostics.push(
                    Diagnostic::new(Code::MdlMacro, ":END OF MACRO: without a macro to end")
                        .at(Some(Span::new(start, scanner.pos))),
                );
            }
            continue;
        }
        let start = scanner.pos;
        let (equation_end, stop) = scanner.until_tilde_or_bar(true);
        let equation = Span::new(start, equation_end);
        let mut entry = Entry { equation, units: None, doc: None, in_macro: open_macro };
        let mut terminated = stop == Some('|');
        if stop == Some('~') {
            let units_start = scanner.pos;
            let (units_end, stop) = scanner.until_tilde_or_bar(false);
            entry.units = Some(Span::new(units_start, units_end));
            terminated = stop == Some('|');
            if stop == Some('~') {
                let doc_start = scanner.pos;
                let (doc_end, stop) = scanner.until_bar();
                entry.doc = Some(Span::new(doc_start, doc_end));
                terminated = stop;
            }
        }
        let is_group = text.get(start..).is_some_and(|rest| rest.starts_with('*'));
        if !terminated {
            diagnostics.push(
                Diagnostic::new(Code::MdlSyntax, "this definition does not end with `|`")
                    .at(Some(Span::new(start, start + first_line_length(text, start, scanner.end))))
                    .with_help("every definition is `name = equation ~ units ~ documentation |`"),
            );
        }
        if !is_group {
            layout.entries.push(entry);
        }
    }
    if let Some(open) = open_macro.and_then(|index| layout.macros.get(index)) {
        diagnostics.push(
            Diagnostic::new(Code::MdlMacro, "this macro is never closed with :END OF MACRO:")
                .at(Some(open.span))
                .with_help("add :END OF MACRO: after the macro's last definition"),
        );
    }
    layout
}

fn first_line_length(text: &str, start: usize, end: usize) -> usize {
    let rest = text.get(start..end).unwrap_or("");
    rest.find('\n').unwrap_or(rest.len()).max(1).min(rest.len())
}

struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        self.text.get(self.pos..self.end).unwrap_or("")
    }

    /// Skips whitespace and `{...}` comments between definitions (the `{UTF-8}` header among them).
    fn skip_space(&mut self) {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            let skipped = rest.len() - trimmed.len();
            let comment_end = trimmed.starts_with('{').then(|| crate::lexer::comment_length(trimmed));
            self.pos += skipped;
            match comment_end {
                Some(Some(length)) => self.pos += length,
                Some(None) => self.pos = self.end,
                None => return,
            }
        }
    }

    fn starts_with_marker(&self, marker: &str) -> bool {
        self.rest().get(..marker.len()).is_some_and(|head| head.eq_ignore_ascii_case(marker))
    }

    /// The end of `name(inputs : outputs)`: after the parenthesis that closes the first one, or
    /// the end of the line when there is none.
    fn macro_header_end(&self) -> usize {
        let rest = self.rest();
        let mut depth = 0usize;
        for (index, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => {
                    depth -= 1;
                    if depth == 0 {
                        return self.pos + index + 1;
                    }
                }
                '\n' if depth == 0 && index > 0 && rest.get(..index).is_some_and(|h| !h.trim().is_empty()) => {
                    return self.pos + index;
                }
                '~' | '|' => return self.pos + index,
                _ => {}
            }
        }
        self.end
    }

    /// Moves past the next `~` or `|` outside comments (and, in an equation, outside quotes);
    /// returns where the part ends and which stopped it (`None` at the end of the equations).
    fn until_tilde_or_bar(&mut self, in_equation: bool) -> (usize, Option<char>) {
        let mut quoted = false;
        let mut chars = self.rest().char_indices().peekable();
        let base = self.pos;
        while let Some((index, c)) = chars.next() {
            match c {
                '"' if in_equation => quoted = !quoted,
                // A quoted name never spans lines: an unclosed quote is reported by the lexer
                // without swallowing the definitions after it.
                '\n' if quoted => quoted = false,
                '\\' if quoted => {
                    chars.next();
                }
                '{' if in_equation && !quoted => {
                    let mut depth = 1usize;
                    for (_, inner) in chars.by_ref() {
                        match inner {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            _ => {}
                        }
                        if depth == 0 {
                            break;
                        }
                    }
                }
                '~' | '|' if !quoted => {
                    self.pos = base + index + 1;
                    return (base + index, Some(c));
                }
                _ => {}
            }
        }
        self.pos = self.end;
        (self.end, None)
    }

    /// Moves past the next `|`; says whether there was one.
    fn until_bar(&mut self) -> (usize, bool) {
        match self.rest().find('|') {
            Some(index) => {
                let end = self.pos + index;
                self.pos = end + 1;
                (end, true)
            }
            None => {
                self.pos = self.end;
                (self.end, false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(text: &str, span: Option<Span>) -> Option<&str> {
        span.and_then(|s| text.get(s.start()..s.end())).map(str::trim)
    }

    #[test]
    fn definitions_groups_macros_and_the_sketch() {
        let text = "{UTF-8}\nx = 1 {a ~ comment}\n\t~\tPeople [0,10]\n\t~\tThe x.\n\t|\n\n\
            ********************************************************\n\t.Control\n\
            ****************************************~\n\t\tSimulation Control Parameters\n\t|\n\
            :MACRO: M(a, b : c)\nM = a + b ~ ~ |\nc = a ~~|\n:END OF MACRO:\n\
            y = \"q~|\" ~~|\n\\\\\\---/// Sketch information\nz = 2 ~ ~ |\n///---\\\\\\\n:L<%^E!@\n15:0,0,0,0,0,0\n";
        let mut diagnostics = Diagnostics::default();
        let layout = layout(text, &mut diagnostics);
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let equations: Vec<_> = layout.entries.iter().map(|e| slice(text, Some(e.equation)).unwrap_or("")).collect();
        assert_eq!(equations, ["x = 1 {a ~ comment}", "M = a + b", "c = a", "y = \"q~|\""]);
        assert_eq!(slice(text, layout.entries[0].units), Some("People [0,10]"));
        assert_eq!(slice(text, layout.entries[0].doc), Some("The x."));
        assert_eq!(layout.entries[1].in_macro, Some(0));
        assert_eq!(layout.entries[3].in_macro, None);
        assert_eq!(slice(text, Some(layout.macros[0].header)), Some("M(a, b : c)"));
        assert_eq!(slice(text, layout.settings_line), Some("15:0,0,0,0,0,0"));
    }

    #[test]
    fn a_missing_bar_and_an_open_macro_are_reported() {
        let mut diagnostics = Diagnostics::default();
        layout(":MACRO: M(a)\nM = a ~ ~ |\nx = 1 ~ units", &mut diagnostics);
        let codes: Vec<_> = diagnostics.0.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::MdlSyntax, Code::MdlMacro]);
    }
}
