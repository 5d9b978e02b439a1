//! Charts as images: daily revenue (bars, left axis in ₹) and paid orders (line, right
//! axis). Pure: data in, bytes out, no I/O. Text is drawn with DejaVu Sans, embedded in the
//! binary (`assets/fonts/`), so a PNG renders the same on a bare server without any system
//! font. The chart carries no words, only dates (`dd/mm`), rupees and counts, so it reads in
//! every language; whoever shows it says what it is (the caption in chat, the dashboard page).
//! Coordinates are `f64` for drawing only; money stays `Money` until it becomes a label.
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::domain::report::DayPoint;
use crate::domain::Money;

/// Size of the PNG, in pixels (and of the SVG, in user units).
pub const WIDTH: u32 = 1000;
pub const HEIGHT: u32 = 500;

/// DejaVu Sans (Bitstream Vera licence with public-domain changes; see
/// `assets/fonts/LICENSE-DejaVu.txt`). It has the ₹ sign.
static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

const BARS: RGBColor = RGBColor(0x4c, 0x8b, 0xf5);
const LINE: RGBColor = RGBColor(0xe8, 0x6a, 0x1a);
const INK: RGBColor = RGBColor(0x33, 0x33, 0x33);

#[derive(Debug, thiserror::Error)]
#[error("drawing the chart failed: {0}")]
pub struct ChartError(String);

fn register_font() -> Result<(), ChartError> {
    static REGISTER: Once = Once::new();
    let mut result = Ok(());
    REGISTER.call_once(|| {
        if plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_err() {
            result = Err(ChartError("the embedded font does not load".into()));
        }
    });
    result
}

/// The daily chart as a PNG of `WIDTH` x `HEIGHT` pixels.
pub fn daily_png(points: &[DayPoint]) -> Result<Vec<u8>, ChartError> {
    register_font()?;
    let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, points).map_err(|e| ChartError(e.to_string()))?;
        root.present().map_err(|e| ChartError(e.to_string()))?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| ChartError(e.to_string()))?;
    writer.write_image_data(&rgb).map_err(|e| ChartError(e.to_string()))?;
    writer.finish().map_err(|e| ChartError(e.to_string()))?;
    Ok(out)
}

/// The same chart as an SVG document (its text uses the viewer's sans-serif font).
pub fn daily_svg(points: &[DayPoint]) -> Result<String, ChartError> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        draw(&root, points).map_err(|e| ChartError(e.to_string()))?;
        root.present().map_err(|e| ChartError(e.to_string()))?;
    }
    Ok(svg)
}

/// `dd/mm` of the day at index `x`, for ticks that fall on a day.
fn day_label(points: &[DayPoint], x: f64) -> String {
    let index = x.round();
    if (x - index).abs() > 0.01 || index < 0.0 {
        return String::new();
    }
    points.get(index as usize).map(|p| p.date.format("%d/%m").to_string()).unwrap_or_default()
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    points: &[DayPoint],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let days = points.len().max(1) as f64;
    let top_paise = points.iter().map(|p| p.revenue.paise()).max().unwrap_or(0).max(100);
    let top_orders = points.iter().map(|p| p.orders).max().unwrap_or(0).max(1);
    let x_range = -0.5..days - 0.5;
    let mut chart = ChartBuilder::on(root)
        .margin(20)
        .x_label_area_size(36)
        .y_label_area_size(96)
        .right_y_label_area_size(48)
        .build_cartesian_2d(x_range.clone(), 0i64..top_paise + top_paise / 10)?
        .set_secondary_coord(x_range, 0u64..top_orders + top_orders / 10 + 1);
    let label_style = (FAMILY, 15).into_font().color(&INK);
    let day = |x: &f64| day_label(points, *x);
    let rupees = |paise: &i64| Money::from_paise(*paise).to_string();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(points.len().clamp(1, 10))
        .x_label_formatter(&day)
        .y_labels(6)
        .y_label_formatter(&rupees)
        .label_style(label_style.clone())
        .axis_style(INK)
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xe6, 0xe6, 0xe6))
        .draw()?;
    let count = |n: &u64| n.to_string();
    chart
        .configure_secondary_axes()
        .y_labels(top_orders.clamp(1, 6) as usize + 1)
        .y_label_formatter(&count)
        .label_style(label_style.color(&LINE))
        .axis_style(LINE)
        .draw()?;
    chart.draw_series(points.iter().enumerate().filter(|(_, p)| p.revenue.is_positive()).map(|(i, p)| {
        let x = i as f64;
        Rectangle::new([(x - 0.35, 0), (x + 0.35, p.revenue.paise())], BARS.filled())
    }))?;
    chart.draw_secondary_series(LineSeries::new(
        points.iter().enumerate().map(|(i, p)| (i as f64, p.orders)),
        LINE.stroke_width(3),
    ))?;
    chart.draw_secondary_series(
        points.iter().enumerate().map(|(i, p)| Circle::new((i as f64, p.orders), 4, LINE.filled())),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn series(days: u32) -> Vec<DayPoint> {
        let first = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        first
            .iter_days()
            .take(days as usize)
            .enumerate()
            .map(|(i, date)| DayPoint {
                date,
                revenue: Money::from_paise((i as i64 % 5) * 135_050),
                orders: i as u64 % 4,
            })
            .collect()
    }

    /// (width, height, RGB pixels) of a PNG.
    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut pixels = vec![0; reader.output_buffer_size().expect("a size")];
        let info = reader.next_frame(&mut pixels).expect("a frame");
        assert_eq!(info.color_type, png::ColorType::Rgb);
        pixels.truncate(info.buffer_size());
        (info.width, info.height, pixels)
    }

    fn count_colour(pixels: &[u8], colour: RGBColor) -> usize {
        pixels.chunks(3).filter(|p| p == &[colour.0, colour.1, colour.2]).count()
    }

    #[test]
    fn the_png_decodes_at_its_size_with_bars_line_and_labels() {
        let (width, height, pixels) = decode(&daily_png(&series(30)).unwrap());
        assert_eq!((width, height), (WIDTH, HEIGHT));
        assert!(count_colour(&pixels, BARS) > 2_000, "bars are drawn");
        assert!(count_colour(&pixels, LINE) > 500, "the line is drawn");
        // Text is anti-aliased: grey pixels that are neither background nor a series colour.
        let ink = pixels.chunks(3).filter(|p| p[0] < 128 && p[0] == p[1] && p[1] == p[2]).count();
        assert!(ink > 1_000, "labels are drawn ({ink} dark pixels)");
    }

    #[test]
    fn an_empty_or_quiet_series_still_draws_axes() {
        for points in [Vec::new(), vec![DayPoint { date: NaiveDate::MIN, revenue: Money::ZERO, orders: 0 }]] {
            let (width, height, pixels) = decode(&daily_png(&points).unwrap());
            assert_eq!((width, height), (WIDTH, HEIGHT));
            assert_eq!(count_colour(&pixels, BARS), 0);
            let drawn = pixels.len() / 3 - count_colour(&pixels, WHITE);
            assert!(drawn > 1_000, "not blank: the axes and their labels ({drawn} pixels)");
        }
    }

    #[test]
    fn the_svg_has_the_same_chart() {
        let svg = daily_svg(&series(7)).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"), "{}", &svg[..80]);
        assert!(svg.contains(&format!("width=\"{WIDTH}\"")));
        assert!(svg.contains("01/12") && svg.contains("07/12"), "day labels");
        assert!(svg.contains("₹"), "rupee labels");
        assert!(svg.contains("<rect") && svg.contains("<polyline"), "bars and the line");
    }

    #[test]
    fn ticks_between_days_have_no_label() {
        let points = series(3);
        assert_eq!(day_label(&points, 0.0), "01/12");
        assert_eq!(day_label(&points, 2.0), "03/12");
        assert_eq!(day_label(&points, 0.5), "");
        assert_eq!(day_label(&points, 3.0), "");
        assert_eq!(day_label(&points, -1.0), "");
    }
}
