//! The time a log line states, for ordering the members' lines (`kubectl etcd logs`) and
//! for the sandbox's `sinceSeconds`: etcd 3.5's JSON lines (`"ts":"2026-12-06T03:50:00.123Z"`),
//! etcd 3.4's capnslog lines (`2026-12-06 03:50:00.123456 I | ...`) and the operator's
//! tracing lines (`2026-12-06T03:50:00.123456Z  INFO ...`) all state one.

/// The time `line` states, as `YYYY-MM-DDTHH:MM:SS[.fraction]` (UTC as the line states
/// it; these compare as text), or `None` for a line that states none.
pub fn line_time(line: &str) -> Option<String> {
    let text = match line.find("\"ts\":\"") {
        Some(at) if line.trim_start().starts_with('{') => &line[at + 6..],
        _ => line.trim_start(),
    };
    let bytes = text.as_bytes();
    let digits =
        |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    let shaped = digits(0..4)
        && bytes.get(4) == Some(&b'-')
        && digits(5..7)
        && bytes.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(bytes.get(10), Some(b'T' | b' '))
        && digits(11..13)
        && bytes.get(13) == Some(&b':')
        && digits(14..16)
        && bytes.get(16) == Some(&b':')
        && digits(17..19);
    if !shaped {
        return None;
    }
    let fraction = match bytes.get(19) {
        Some(b'.') => 1 + bytes[20..].iter().take_while(|b| b.is_ascii_digit()).count(),
        _ => 0,
    };
    Some(format!("{}T{}", &text[..10], &text[11..19 + fraction]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_and_operator_lines_state_their_time() {
        let v35 =
            r#"{"level":"info","ts":"2026-12-06T03:50:00.123Z","caller":"etcdserver/server.go:1","msg":"x"}"#;
        assert_eq!(line_time(v35).as_deref(), Some("2026-12-06T03:50:00.123"));
        let v34 = "2026-12-06 03:50:00.123456 I | etcdserver: published";
        assert_eq!(line_time(v34).as_deref(), Some("2026-12-06T03:50:00.123456"));
        let operator = "2026-12-06T03:50:01.5Z  INFO etcd_operator: reconciled";
        assert_eq!(line_time(operator).as_deref(), Some("2026-12-06T03:50:01.5"));
        assert_eq!(line_time("2026-12-06T03:50:02 no fraction").as_deref(), Some("2026-12-06T03:50:02"));
        assert!(line_time(v34) > line_time(v35), "times compare as text");
        for none in ["", "panic: boom", "goroutine 1 [running]:", "2026-12-06", r#"{"msg":"no ts"}"#] {
            assert_eq!(line_time(none), None, "{none}");
        }
    }
}
