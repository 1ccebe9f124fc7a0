//! Tables as kubectl prints them (no borders, columns three spaces apart, headers in
//! capitals) and the cell formats they share: ages and byte sizes.

use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

use crate::output::color::{Palette, Tone};

/// What kubectl prints for a value that is not there.
pub const NONE: &str = "<none>";

/// Renders rows under `headers` (left out when `headers` is `None`), kubectl style, each
/// line ending in a newline. Nothing for no rows and no headers.
pub fn render(headers: Option<&[&str]>, rows: &[Vec<String>]) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING).set_content_arrangement(ContentArrangement::Disabled).force_no_tty();
    if let Some(headers) = headers {
        table.set_header(headers.to_vec());
    }
    for row in rows {
        table.add_row(row.clone());
    }
    let columns = table.column_count();
    for column in table.column_iter_mut() {
        let right = if column.index + 1 == columns { 0 } else { 3 };
        column.set_padding((0, right));
    }
    table.lines().map(|line| format!("{}\n", line.trim_end())).collect()
}

/// [`render`], with each data row painted in the tone `tone_of` gives its index (whole
/// lines are painted, so the columns stay aligned).
pub fn render_toned(
    headers: Option<&[&str]>,
    rows: &[Vec<String>],
    tone_of: impl Fn(usize) -> Option<Tone>,
    palette: Palette,
) -> String {
    let header_lines = usize::from(headers.is_some());
    render(headers, rows)
        .lines()
        .enumerate()
        .map(|(at, line)| {
            let tone = at.checked_sub(header_lines).and_then(&tone_of);
            format!("{}\n", palette.paint_if(line, tone))
        })
        .collect()
}

/// Prefixes every line of `text` with `indent` spaces.
pub fn indent(text: &str, indent: usize) -> String {
    text.lines().map(|line| format!("{:indent$}{line}\n", "")).collect()
}

/// Time since `time`, as kubectl's AGE column shows it (`45s`, `3m20s`, `5h`, `12d`);
/// `<unknown>` without a time.
pub fn age(time: Option<&Time>, now: Timestamp) -> String {
    let Some(time) = time else { return "<unknown>".into() };
    let seconds = now.as_second() - time.0.as_second();
    if seconds < -1 {
        return "<invalid>".into();
    }
    human_duration(Duration::from_secs(u64::try_from(seconds).unwrap_or(0)))
}

pub use shared::display::human_duration;

/// A byte count as etcdctl prints DB sizes (decimal units, go-humanize's `Bytes`):
/// `0 B`, `20 kB`, `1.2 MB`, `25 MB`.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 10 {
        return format!("{bytes} B");
    }
    #[allow(clippy::cast_precision_loss)] // sizes far below 2^52 bytes display exactly enough
    let value = bytes as f64;
    let exponent = (value.log10() / 3.0).floor().clamp(0.0, 6.0);
    let scaled = (value / 1000f64.powf(exponent) * 10.0 + 0.5).floor() / 10.0;
    // `exponent` is a whole number in 0..=6.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let unit = UNITS[exponent as usize];
    if scaled < 10.0 { format!("{scaled:.1} {unit}") } else { format!("{scaled:.0} {unit}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_look_like_kubectl() {
        let rows = vec![
            vec!["demo".to_string(), "3".into(), "3/3".into()],
            vec!["a-much-longer-name".to_string(), "5".into(), "4/5".into()],
        ];
        assert_eq!(
            render(Some(&["NAME", "SIZE", "READY"]), &rows),
            "NAME                 SIZE   READY\n\
             demo                 3      3/3\n\
             a-much-longer-name   5      4/5\n"
        );
        assert_eq!(render(None, &rows[..1]), "demo   3   3/3\n");
        assert_eq!(indent("a\nb\n", 2), "  a\n  b\n");
    }

    #[test]
    fn toned_rows_are_painted_whole_and_the_header_never() {
        use crate::output::color::{ColorChoice, Surroundings};
        let rows = vec![vec!["ok".to_string(), "1".into()], vec!["broken".to_string(), "2".into()]];
        let bad_second = |at: usize| (at == 1).then_some(Tone::Bad);
        let surroundings = Surroundings { terminal: false, no_color: false, dumb_terminal: false };
        let palette = Palette::new(ColorChoice::Always, surroundings);
        assert_eq!(
            render_toned(Some(&["NAME", "N"]), &rows, bad_second, palette),
            "NAME     N\nok       1\n\x1b[31mbroken   2\x1b[0m\n"
        );
        assert_eq!(render_toned(None, &rows, bad_second, palette), "ok       1\n\x1b[31mbroken   2\x1b[0m\n");
        assert_eq!(render_toned(None, &rows, bad_second, Palette::PLAIN), render(None, &rows));
    }

    #[test]
    fn bytes_like_etcdctl() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(9), "9 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(20480), "20 kB");
        assert_eq!(human_bytes(1_234_567), "1.2 MB");
        assert_eq!(human_bytes(25_000_000), "25 MB");
        assert_eq!(human_bytes(2_147_483_648), "2.1 GB");
    }

    #[test]
    fn ages_like_kubectl() {
        let now = Timestamp::from_second(1_000_000).expect("valid");
        let then = Time(Timestamp::from_second(1_000_000 - 45).expect("valid"));
        assert_eq!(age(Some(&then), now), "45s");
        assert_eq!(age(None, now), "<unknown>");
    }
}
