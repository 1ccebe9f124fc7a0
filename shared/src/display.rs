//! How durations read for people, shared by the plugin's output and the sandbox's tables.

use std::time::Duration;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        let d = |s| human_duration(Duration::from_secs(s));
        assert_eq!(d(5), "5s");
        assert_eq!(d(125), "2m5s");
        assert_eq!(d(600), "10m");
        assert_eq!(d(3 * 3600 + 120), "3h2m");
        assert_eq!(d(30 * 3600), "30h");
        assert_eq!(d(3 * 86400 + 3600), "3d1h");
        assert_eq!(d(400 * 86400), "400d");
        assert_eq!(d(3 * 365 * 86400 + 86400), "3y1d");
    }
}
