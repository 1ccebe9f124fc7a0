//! Tables as kubectl prints them (no borders, columns three spaces apart, headers in
//! capitals) and the cell formats they share: ages and byte sizes.

use std::time::Duration;

use comfy_table::{ContentArrangement, Table, presets};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;

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

/// kubectl's short human duration (`HumanDuration` of apimachinery).
pub fn human_duration(d: Duration) -> String {
    let seconds = d.as_secs();
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        return match seconds % 60 {
            0 => format!("{minutes}m"),
            s => format!("{minutes}m{s}s"),
        };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        return match minutes % 60 {
            0 => format!("{hours}h"),
            m => format!("{hours}h{m}m"),
        };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        return match hours % 24 {
            0 => format!("{}d", hours / 24),
            h => format!("{}d{h}h", hours / 24),
        };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        return match (hours / 24) % 365 {
            0 => format!("{}y", hours / 24 / 365),
            d => format!("{}y{d}d", hours / 24 / 365),
        };
    }
    format!("{}y", hours / 24 / 365)
}

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
        let d = |s| human_duration(Duration::from_secs(s));
        assert_eq!(d(0), "0s");
        assert_eq!(d(119), "119s");
        assert_eq!(d(200), "3m20s");
        assert_eq!(d(600), "10m");
        assert_eq!(d(3 * 3600 + 60), "3h1m");
        assert_eq!(d(20 * 3600), "20h");
        assert_eq!(d(3 * 86400 + 3600), "3d1h");
        assert_eq!(d(30 * 86400), "30d");
        assert_eq!(d(3 * 365 * 86400 + 86400), "3y1d");
        let now = Timestamp::from_second(1_000_000).expect("valid");
        let then = Time(Timestamp::from_second(1_000_000 - 45).expect("valid"));
        assert_eq!(age(Some(&then), now), "45s");
        assert_eq!(age(None, now), "<unknown>");
    }
}
