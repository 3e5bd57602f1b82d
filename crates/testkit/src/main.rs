//! `clawbox-fake-upstream`: the testkit's fake provider as a process, for tests that drive the
//! built gateway with real SDKs and for benchmarks. Prints `listening on http://127.0.0.1:PORT`.

use std::net::SocketAddr;

use clawbox_testkit::FakeUpstream;

#[tokio::main]
async fn main() {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut require_auth = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let port = args.next().and_then(|p| p.parse().ok());
                addr.set_port(port.unwrap_or_else(|| usage()));
            }
            "--hosted" => require_auth = false,
            _ => usage(),
        }
    }
    let fake = match FakeUpstream::start_on(addr, require_auth).await {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot listen on {addr}: {e}");
            std::process::exit(1);
        }
    };
    println!("listening on {}", fake.url());
    let _ = tokio::signal::ctrl_c().await;
}

fn usage() -> ! {
    eprintln!("usage: clawbox-fake-upstream [--port PORT] [--hosted]");
    std::process::exit(2)
}
