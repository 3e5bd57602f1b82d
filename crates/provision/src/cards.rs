//! `cards.html`: a printable card per trainee with their QR code, name, user id, hosted address
//! and link. Names come from a spreadsheet, so every value is escaped.

use crate::room::Trainee;

pub(crate) const CARDS_HEAD: &str = r#"<!doctype html>
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

pub(crate) const CARDS_END: &str = "</body>\n</html>\n";

/// One trainee's card: their code, who they are, and the link for those who click rather than
/// scan.
pub(crate) fn card(t: &Trainee, stem: &str, link: &str) -> String {
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
