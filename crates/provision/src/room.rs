//! A room of trainees: read from a CSV (a header row with `user_id`, and optionally `name`,
//! `hosted_url`, `mode`; room-wide values fill the cells a row leaves empty), every row checked
//! as strictly as a link, and written out as `<user id>.png` (the QR code, to print),
//! `<user id>.json` (the same values as a provisioning file), `links.csv` (everything in one
//! sheet) and `cards.html` (a card per trainee, to print and cut). Bad rows are named by line
//! and nothing is written.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::Provision;
use crate::cards::{CARDS_END, CARDS_HEAD, card};
use crate::qr::{png, qr};

/// One row of the room: who, and what their link carries.
pub struct Trainee {
    pub name: Option<String>,
    pub provision: Provision,
}

/// The trainees of `path`, each row's empty cells filled from `room`.
pub fn read_csv(path: &Path, room: &Provision) -> Result<Vec<Trainee>, String> {
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
pub fn file_names(dir: &Path, trainees: &[Trainee]) -> Result<Vec<String>, String> {
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

/// Writes each trainee's QR code and provisioning file, `links.csv` and `cards.html` into `dir`,
/// under the names [`file_names`] gave.
pub fn write_files(dir: &Path, trainees: &[Trainee], stems: &[String]) -> Result<(), String> {
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
    cards.push_str(CARDS_END);
    let cards_path = dir.join("cards.html");
    std::fs::write(&cards_path, cards).map_err(|e| fail(&cards_path, &e))
}
