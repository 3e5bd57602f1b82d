//! `clawbox-gateway`: the ClawBox gateway without a window, for servers, CI and benchmarks.

fn main() -> std::process::ExitCode {
    clawbox_cli::run("clawbox-gateway", std::env::args_os())
}
