//! The `dualcheck` binary: everything lives in the library; this only runs the CLI.

fn main() -> std::process::ExitCode {
    dualcheck_api::cli::main()
}
