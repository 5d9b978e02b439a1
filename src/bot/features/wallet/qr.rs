//! The UPI link as a QR code PNG, for scanning with any UPI app.
use qrcode::{Color, EcLevel, QrCode};

/// Pixels per QR module, and the blank border in modules that scanners need.
const SCALE: u32 = 8;
const QUIET_ZONE: u32 = 4;

pub fn png(link: &str) -> Result<Vec<u8>, String> {
    let code = QrCode::with_error_correction_level(link.as_bytes(), EcLevel::M).map_err(|e| e.to_string())?;
    let modules = code.width() as u32;
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE) * SCALE;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, color) in colors.iter().enumerate() {
        if *color != Color::Dark {
            continue;
        }
        let (mx, my) = (i as u32 % modules, i as u32 / modules);
        for dy in 0..SCALE {
            for dx in 0..SCALE {
                let (x, y) = ((mx + QUIET_ZONE) * SCALE + dx, (my + QUIET_ZONE) * SCALE + dy);
                pixels[(y * side + x) as usize] = 0;
            }
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&pixels).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}
