//! QR codes of setup links: for the terminal, and as PNGs to print (written with `png`; no
//! image crate for one grayscale picture).

use qrcode::{EcLevel, QrCode};

/// The QR code of `link`.
pub fn qr(link: &str) -> Result<QrCode, String> {
    // Medium error correction: survives a crumpled printout, still a small code.
    QrCode::with_error_correction_level(link, EcLevel::M)
        .map_err(|e| format!("cannot make a QR code of {link}: {e}"))
}

/// Two rows of modules per character, dark on light, with the quiet zone phones need.
pub fn terminal_qr(code: &QrCode) -> String {
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
pub fn png(code: &QrCode) -> Result<Vec<u8>, String> {
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
