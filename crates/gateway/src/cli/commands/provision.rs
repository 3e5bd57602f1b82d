//! `clawbox-gateway provision`: setup links and QR codes for a room of trainees. Reads a CSV
//! (a header row with `user_id`, and optionally `name`, `hosted_url`, `mode`; the flags give
//! room-wide values a column can override), prints each trainee's link and QR code, and with
//! `--out` writes `<user id>.png` (the QR code, to print), `<user id>.json` (the same values as a
//! provisioning file), `links.csv` (everything in one sheet) and `cards.html` (a card per
//! trainee with their code, name, id and link, to print and cut).

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use qrcode::{EcLevel, QrCode};

use crate::config::Mode;
use crate::provision::Provision;

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
    #[arg(long, value_enum)]
    mode: Option<Mode>,

    /// Write each trainee's QR code (PNG) and provisioning file (JSON), links.csv and
    /// cards.html (to print), here
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,

    /// Print only the links, without QR codes in the terminal
    #[arg(long)]
    no_qr: bool,
}

/// One row of the room: who, and what their link carries.
struct Trainee {
    name: Option<String>,
    provision: Provision,
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

fn read_csv(path: &Path, room: &Provision) -> Result<Vec<Trainee>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_path(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("{}: {e}", path.display()))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for (i, h) in headers.iter().enumerate() {
        if !matches!(h.as_str(), "user_id" | "name" | "hosted_url" | "mode") {
            return Err(format!(
                "{}: unknown column `{h}` (known: user_id, name, hosted_url, mode)",
                path.display()
            ));
        }
        if headers[..i].contains(h) {
            return Err(format!(
                "{}: the column `{h}` appears twice",
                path.display()
            ));
        }
    }
    if !headers.iter().any(|h| h == "user_id") {
        return Err(format!(
            "{}: the first row must name the columns, with a user_id column (e.g. `user_id,name`)",
            path.display()
        ));
    }
    let mut trainees = Vec::new();
    let mut seen = HashSet::new();
    for row in reader.records() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        // The line the row starts on (a quoted cell may span several).
        let line = row.position().map_or(0, csv::Position::line);
        let cells: BTreeMap<&str, &str> = headers
            .iter()
            .map(String::as_str)
            .zip(row.iter())
            .filter(|(_, v)| !v.is_empty())
            .collect();
        let pick = |col: &str, room: &Option<String>| {
            cells
                .get(col)
                .map(|v| (*v).to_owned())
                .or_else(|| room.clone())
        };
        let provision = Provision {
            user_id: cells.get("user_id").map(|v| (*v).to_owned()),
            hosted_url: pick("hosted_url", &room.hosted_url),
            mode: pick("mode", &room.mode),
        };
        if provision.user_id.is_none() {
            return Err(format!(
                "{} line {line}: the user_id is empty",
                path.display()
            ));
        }
        let provision = provision
            .checked()
            .map_err(|e| format!("{} line {line}: {e}", path.display()))?;
        if !seen.insert(provision.user_id.clone()) {
            return Err(format!(
                "{} line {line}: the user id `{}` is given twice; each trainee needs their own",
                path.display(),
                provision.user_id.as_deref().unwrap_or_default()
            ));
        }
        trainees.push(Trainee {
            name: cells.get("name").map(|v| (*v).to_owned()),
            provision,
        });
    }
    if trainees.is_empty() {
        return Err(format!(
            "{}: no trainees below the header row",
            path.display()
        ));
    }
    Ok(trainees)
}

/// A file name per trainee from their user id: letters, digits, `.`, `-` and `_` kept, anything
/// else `_`; names Windows reserves get a `_` in front. Two ids that would share a name (also
/// on a file system that ignores case) are refused before anything is written.
fn file_names(dir: &Path, trainees: &[Trainee]) -> Result<Vec<String>, String> {
    let mut seen = HashSet::new();
    trainees
        .iter()
        .map(|t| {
            let id = t.provision.user_id.as_deref().unwrap_or("trainee");
            let mut stem: String = id
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            if stem.starts_with('.') || is_reserved_on_windows(&stem) {
                stem.insert(0, '_');
            }
            let folded = stem.to_lowercase();
            if !seen.insert(folded.clone()) || folded == "links" {
                return Err(format!(
                    "the user id `{id}` would be written to {} like another one; make the ids \
                     differ in letters or digits",
                    dir.join(format!("{stem}.png")).display()
                ));
            }
            Ok(stem)
        })
        .collect()
}

/// CON, NUL, COM1… name devices on Windows, whatever the extension.
fn is_reserved_on_windows(stem: &str) -> bool {
    let base = stem
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (base.len() == 4
            && (base.starts_with("COM") || base.starts_with("LPT"))
            && base.as_bytes()[3].is_ascii_digit())
}

fn write_files(dir: &Path, trainees: &[Trainee], stems: &[String]) -> Result<(), String> {
    let fail = |p: &Path, e: &dyn std::fmt::Display| format!("cannot write {}: {e}", p.display());
    std::fs::create_dir_all(dir).map_err(|e| fail(dir, &e))?;
    let sheet_path = dir.join("links.csv");
    let mut sheet = csv::Writer::from_path(&sheet_path).map_err(|e| fail(&sheet_path, &e))?;
    let header = ["user_id", "name", "link", "qr_code", "provisioning_file"];
    let mut cards = String::from(CARDS_HEAD);
    sheet
        .write_record(header)
        .map_err(|e| fail(&sheet_path, &e))?;
    for (t, stem) in trainees.iter().zip(stems) {
        let link = t.provision.link();
        let png_path = dir.join(format!("{stem}.png"));
        std::fs::write(&png_path, png(&qr(&link)?)?).map_err(|e| fail(&png_path, &e))?;
        let json_path = dir.join(format!("{stem}.json"));
        let json = serde_json::to_string_pretty(&t.provision).map_err(|e| e.to_string())?;
        std::fs::write(&json_path, json + "\n").map_err(|e| fail(&json_path, &e))?;
        sheet
            .write_record([
                t.provision.user_id.as_deref().unwrap_or_default(),
                t.name.as_deref().unwrap_or_default(),
                &link,
                &format!("{stem}.png"),
                &format!("{stem}.json"),
            ])
            .map_err(|e| fail(&sheet_path, &e))?;
        cards.push_str(&card(t, stem, &link));
    }
    sheet.flush().map_err(|e| fail(&sheet_path, &e))?;
    cards.push_str("</body>\n</html>\n");
    let cards_path = dir.join("cards.html");
    std::fs::write(&cards_path, cards).map_err(|e| fail(&cards_path, &e))
}

const CARDS_HEAD: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ClawBox setup cards</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1cm; }
.card { display: flex; gap: 1cm; align-items: center; border: 1px dashed #888; padding: 0.6cm;
  margin-bottom: 0.6cm; break-inside: avoid; }
.card img { width: 5cm; height: 5cm; image-rendering: pixelated; }
.card h2 { margin: 0 0 0.2cm; }
.card code { word-break: break-all; font-size: 0.8em; }
</style>
</head>
<body>
"#;

/// One trainee's card: their code, who they are, and the link for those who click rather than
/// scan.
fn card(t: &Trainee, stem: &str, link: &str) -> String {
    let id = t.provision.user_id.as_deref().unwrap_or_default();
    let name = t.name.as_deref().unwrap_or(id);
    let address = t
        .provision
        .hosted_url
        .as_deref()
        .map(|u| format!("<p>Your workshop's ClawBox: <b>{}</b></p>\n", html(u)))
        .unwrap_or_default();
    format!(
        "<section class=\"card\">\n<img src=\"{png}\" alt=\"QR code of the setup link\">\n<div>\n\
         <h2>{name}</h2>\n<p>Your user id: <b>{id}</b></p>\n{address}\
         <p>With ClawBox installed, open this link on your computer (or scan the code with its \
         camera):</p>\n<p><code>{link}</code></p>\n</div>\n</section>\n",
        png = html(&format!("{stem}.png")),
        name = html(name),
        id = html(id),
        link = html(link),
    )
}

/// Text for HTML: names come from a spreadsheet.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn qr(link: &str) -> Result<QrCode, String> {
    // Medium error correction: survives a crumpled printout, still a small code.
    QrCode::with_error_correction_level(link, EcLevel::M)
        .map_err(|e| format!("cannot make a QR code of {link}: {e}"))
}

/// Two rows of modules per character, dark on light, with the quiet zone phones need.
fn terminal_qr(code: &QrCode) -> String {
    code.render::<qrcode::render::unicode::Dense1x2>()
        .dark_color(qrcode::render::unicode::Dense1x2::Light)
        .light_color(qrcode::render::unicode::Dense1x2::Dark)
        .quiet_zone(true)
        .build()
}

/// Pixels per module, and the quiet zone in modules (the standard's four).
const SCALE: usize = 8;
const QUIET: usize = 4;

/// A black-on-white grayscale PNG of the code, large enough to scan from a printed page.
fn png(code: &QrCode) -> Result<Vec<u8>, String> {
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in colors.iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let (mx, my) = (i % modules + QUIET, i / modules + QUIET);
            for y in my * SCALE..(my + 1) * SCALE {
                pixels[y * side + mx * SCALE..y * side + (mx + 1) * SCALE].fill(0);
            }
        }
    }
    let mut bytes = Vec::new();
    let side = u32::try_from(side).map_err(|_| "the QR code is too large".to_owned())?;
    let mut encoder = png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(bytes)
}
