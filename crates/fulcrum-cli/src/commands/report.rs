//! `fulcrum report`: the library writes the page; this only maps its errors to exit codes.

use fulcrum_report::ReportError;
use fulcrum_report::html_report::write_report;

use crate::CliError;
use crate::args::ReportArgs;

pub fn report(args: &ReportArgs) -> Result<(), CliError> {
    write_report(&args.folders, &args.output).map_err(|error| match error {
        ReportError::Io { .. } | ReportError::Read { .. } => CliError::Io(anyhow::Error::new(error)),
        other => CliError::Input(other.to_string()),
    })
}
