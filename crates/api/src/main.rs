//! The `broker` binary: see `broker --help`.

fn main() -> std::process::ExitCode {
    broker_api::cli::main()
}
