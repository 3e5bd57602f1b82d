//! `clawbox-fake-upstream`: the testkit's fake provider as a process, for tests that drive the
//! built gateway with real SDKs and for benchmarks. Prints `listening on http://127.0.0.1:PORT`.
//! `--hosted`: a fake hosted gateway (no key needed); `--oauth`: the fake OpenAI sign-in server
//! and ChatGPT Codex backend.

use std::net::SocketAddr;

use clawbox_testkit::{FakeOAuth, FakeUpstream};

#[tokio::main]
async fn main() {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut require_auth = true;
    let mut oauth = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let port = args.next().and_then(|p| p.parse().ok());
                addr.set_port(port.unwrap_or_else(|| usage()));
            }
            "--hosted" => require_auth = false,
            "--oauth" => oauth = true,
            _ => usage(),
        }
    }
    if oauth {
        // The OpenAI sign-in server and the ChatGPT Codex backend, on a port of its own.
        let fake = FakeOAuth::start().await;
        println!("listening on {}", fake.url());
        let _ = tokio::signal::ctrl_c().await;
        return;
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
    eprintln!("usage: clawbox-fake-upstream [--port PORT] [--hosted | --oauth]");
    std::process::exit(2)
}
