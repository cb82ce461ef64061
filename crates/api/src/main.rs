//! The `broker` binary: see `broker --help`.

/// mimalloc instead of glibc malloc: the server allocates small, short-lived buffers on many
/// threads (runtime workers, SQLite's connection threads), where glibc's arenas spent about a
/// sixth of need creation's CPU time (measured with `perf`; see bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    broker_api::cli::main()
}
