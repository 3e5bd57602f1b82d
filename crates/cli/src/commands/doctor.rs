//! `clawbox-gateway doctor`: is everything that should work through ClawBox working? Asks the
//! running gateway each API clients use (through the current route) and checks that every
//! connected tool's configuration still points at ClawBox. Exit status 0 only when all is well.

use clawbox_auth::codex::CodexTokens;
use clawbox_auth::{Credentials, KeychainState, open_store};

use super::Place;
use super::connect::client_settings;
use clawbox_connect::Connector;
use clawbox_doctor::{CheckStep, Probe, connection_steps, doctor};
use clawbox_gateway::config::{Config, SETTINGS_FILE, SettingsLayer, load_settings_file};

pub async fn run_doctor(place: &Place, overrides: &SettingsLayer) -> Result<(), String> {
    let dir = place.data_dir().map_err(|e| e.to_string())?;
    let config = load_settings_file(&dir.join(SETTINGS_FILE))
        .and_then(|file| Config::resolve(&file, overrides))
        .map_err(|e| e.to_string())?;
    let credentials = Credentials::load(open_store(place.store_kind(), &dir));
    let signed_in = open_store(place.store_kind(), &dir)
        .ok()
        .and_then(|store| CodexTokens::load(store.as_ref()).ok().flatten())
        .is_some();
    let probe = Probe {
        base_url: format!("http://{}", config.listen),
        mode: config.mode,
        auth_mode: config.auth_mode,
        local_key: credentials.local_key(),
        saved: credentials.saved_providers(),
        signed_in,
        keychain_problem: match credentials.state() {
            KeychainState::Unavailable(reason) => Some(reason),
            KeychainState::Ready => None,
        },
        providers: clawbox_doctor::provider_checks(&config, &credentials),
    };
    println!(
        "ClawBox at {} ({} mode)",
        probe.base_url,
        config.mode.as_str()
    );
    let mut steps = doctor(&probe).await;

    let settings = client_settings(place, overrides)?;
    let verdicts = Connector::new(&dir)
        .verify(&settings)
        .map_err(|e| e.to_string())?;
    if verdicts.is_empty() {
        steps.push(CheckStep {
            ok: true,
            title: "Connected tools".into(),
            detail: "none yet (`clawbox-gateway connect …` sets one up)".into(),
            fix: None,
        });
    }
    steps.extend(connection_steps(verdicts));

    let failed = steps.iter().filter(|s| !s.ok).count();
    for s in &steps {
        println!(
            "{} {}: {}",
            if s.ok { "ok  " } else { "FAIL" },
            s.title,
            s.detail
        );
        if let Some(fix) = &s.fix {
            println!("     fix: {fix}");
        }
    }
    if failed == 0 {
        println!("All is well.");
        Ok(())
    } else {
        Err(format!("{failed} check(s) failed; see the fixes above"))
    }
}
