//! `clawbox-gateway provision`: setup links and QR codes for a room of trainees. Reads a CSV
//! (the flags give room-wide values a column can override), prints each trainee's link and QR
//! code, and with `--out` writes the room's files (clawbox-provision's room.rs says which).

use std::io::Write;
use std::path::PathBuf;

use clap::builder::{PossibleValuesParser, TypedValueParser};

use clawbox_gateway::config::Mode;
use clawbox_provision::{Provision, Trainee, file_names, qr, read_csv, terminal_qr, write_files};

#[derive(clap::Args)]
pub struct ProvisionArgs {
    /// A CSV of trainees: a header row with user_id, and optionally name, hosted_url and mode
    #[arg(value_name = "CSV")]
    csv: Option<PathBuf>,

    /// One trainee's user id (instead of a CSV)
    #[arg(long, conflicts_with = "csv")]
    user_id: Option<String>,

    /// The hosted ClawBox address for everyone (a CSV column overrides it per row)
    #[arg(long, value_name = "URL")]
    hosted_url: Option<String>,

    /// The mode for everyone (a CSV column overrides it per row)
    #[arg(long, value_parser = PossibleValuesParser::new(Mode::NAMES)
          .try_map(|s| s.parse::<Mode>()))]
    mode: Option<Mode>,

    /// Write each trainee's QR code (PNG) and provisioning file (JSON), links.csv and
    /// cards.html (to print), here
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Print only the links, without QR codes in the terminal
    #[arg(long)]
    no_qr: bool,
}

pub fn run_provision(args: &ProvisionArgs) -> Result<(), String> {
    let room = Provision {
        user_id: None,
        hosted_url: args.hosted_url.clone(),
        mode: args.mode.map(|m| m.as_str().to_owned()),
    };
    let trainees = match (&args.csv, &args.user_id) {
        (Some(path), _) => read_csv(path, &room)?,
        (None, Some(id)) => vec![Trainee {
            name: None,
            provision: Provision {
                user_id: Some(id.clone()),
                ..room
            }
            .checked()
            .map_err(|e| e.to_string())?,
        }],
        (None, None) => {
            return Err(
                "give a CSV of trainees (a header row with user_id, and optionally \
                        name, hosted_url and mode) or --user-id for one"
                    .into(),
            );
        }
    };
    let files = args
        .out
        .as_deref()
        .map(|dir| file_names(dir, &trainees))
        .transpose()?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for t in &trainees {
        let link = t.provision.link();
        let code = qr(&link)?;
        let who = t.provision.user_id.as_deref().unwrap_or("(no user id)");
        let name = t
            .name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default();
        let _ = writeln!(out, "{who}{name}\n{link}");
        if !args.no_qr {
            let _ = writeln!(out, "{}", terminal_qr(&code));
        }
        let _ = writeln!(out);
    }
    if let (Some(dir), Some(files)) = (&args.out, files) {
        write_files(dir, &trainees, &files)?;
        let _ = writeln!(
            out,
            "Wrote {n} QR codes, {n} provisioning files, links.csv and cards.html (print it) to {dir}",
            n = trainees.len(),
            dir = dir.display()
        );
    }
    Ok(())
}
