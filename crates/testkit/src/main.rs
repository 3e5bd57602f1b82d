//! `clawbox-fake-upstream`: the testkit's fake provider as a process, for tests that drive the
//! built gateway with real SDKs and for benchmarks. Prints `listening on http://127.0.0.1:PORT`.
//! `--hosted`: a fake hosted gateway (no key needed); `--oauth`: the fake OpenAI sign-in server
//! and ChatGPT Codex backend; `--base-path /compat/v1`: an OpenAI-compatible provider whose API
//! lives there; `--models a,b`: what its `GET …/models` lists; `--local-models a,b`: what its
//! `GET /api/tags` lists (a local model server).

use std::net::SocketAddr;

use clawbox_testkit::{FakeOAuth, FakeUpstream};

#[tokio::main]
async fn main() {
    let mut addr = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut require_auth = true;
    let mut oauth = false;
    let mut base_path = None;
    let mut models: Option<String> = None;
    let mut local_models: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let port = args.next().and_then(|p| p.parse().ok());
                addr.set_port(port.unwrap_or_else(|| usage()));
            }
            "--hosted" => require_auth = false,
            "--oauth" => oauth = true,
            "--base-path" => base_path = Some(args.next().unwrap_or_else(|| usage())),
            "--models" => models = Some(args.next().unwrap_or_else(|| usage())),
            "--local-models" => local_models = Some(args.next().unwrap_or_else(|| usage())),
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
    let fake = match base_path {
        Some(path) => FakeUpstream::compatible(&path).await,
        None => match FakeUpstream::start_on(addr, require_auth).await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: cannot listen on {addr}: {e}");
                std::process::exit(1);
            }
        },
    };
    if let Some(models) = models {
        let names: Vec<&str> = models.split(',').filter(|m| !m.is_empty()).collect();
        fake.set_listed_models(&names);
    }
    if let Some(models) = local_models {
        let names: Vec<&str> = models.split(',').filter(|m| !m.is_empty()).collect();
        fake.set_local_models(&names);
    }
    println!("listening on {}", fake.url());
    let _ = tokio::signal::ctrl_c().await;
}

fn usage() -> ! {
    eprintln!(
        "usage: clawbox-fake-upstream [--port PORT] [--hosted | --oauth | --base-path PATH] \
         [--models A,B] [--local-models A,B]"
    );
    std::process::exit(2)
}
