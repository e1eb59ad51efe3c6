//! The `fulcrum` command.

fn main() -> std::process::ExitCode {
    fulcrum_cli::main()
}
