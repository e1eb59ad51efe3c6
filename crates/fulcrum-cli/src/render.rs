//! Diagnostics for people: the file, the line, a caret under the span, the hint.

use std::io::IsTerminal;

use fulcrum_model::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report};

/// Renders diagnostics against the file they are about. Plain ASCII without colour unless
/// standard error is a terminal, so that output in files and tests is stable.
pub fn render(diagnostics: &[Diagnostic], file_name: &str, source: &str) -> String {
    let theme = if std::io::stderr().is_terminal() { GraphicalTheme::unicode() } else { GraphicalTheme::none() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_links(false);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report =
            Report::new(to_miette(diagnostic)).with_source_code(NamedSource::new(file_name, source.to_owned()));
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out.push_str(&format!("{}: {}\n", diagnostic.code, diagnostic.message));
        }
    }
    out
}

fn to_miette(diagnostic: &Diagnostic) -> MietteDiagnostic {
    let severity = match diagnostic.severity() {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
    };
    let mut labels = Vec::new();
    if let Some(span) = diagnostic.span {
        labels.push(LabeledSpan::new_primary_with_span(diagnostic.label.clone(), span.start()..span.end()));
    }
    for (span, note) in &diagnostic.related {
        labels.push(LabeledSpan::new_with_span(Some(note.clone()), span.start()..span.end()));
    }
    let mut rendered = MietteDiagnostic::new(diagnostic.message.clone())
        .with_code(diagnostic.code.as_str())
        .with_severity(severity)
        .with_labels(labels);
    if let Some(help) = &diagnostic.help {
        rendered = rendered.with_help(help.clone());
    }
    rendered
}
