//! The pure part of backups: where a snapshot goes, when a schedule runs next, which
//! snapshots retention keeps, and what a failure is called. No I/O, no clock: the time is
//! always passed in.

use std::time::Duration;

use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use k8s_openapi::jiff::{Timestamp, tz::TimeZone};
use shared::crd::Retention;

/// Why a schedule or a retention rule cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The cron expression does not parse.
    #[error("schedule {schedule:?} is not a cron expression: {message}")]
    Schedule {
        /// The expression.
        schedule: String,
        /// The parser's complaint.
        message: String,
    },
    /// The cron expression never fires after the given time.
    #[error("schedule {0:?} has no next time")]
    NoNextTime(String),
    /// `maxAge` does not parse.
    #[error("retention maxAge {0:?} is not a duration like 36h or 7d")]
    MaxAge(String),
}

/// The object key of a snapshot under the destination URL:
/// `<cluster>/<backup>-<UTC time>-rev<revision>.db`. Keys of one backup sort by time.
pub fn snapshot_key(cluster: &str, backup: &str, at: Timestamp, revision: i64) -> String {
    format!("{cluster}/{}{}-rev{revision}.db", key_prefix(backup), at.strftime("%Y%m%dT%H%M%SZ"))
}

/// What every key of one EtcdBackup's snapshots starts with, after `<cluster>/`.
pub fn key_prefix(backup: &str) -> String {
    format!("{backup}-")
}

/// When the snapshot named `file_name` (the last part of a key) was taken, if it is one of
/// `backup`'s: `<backup>-<UTC time>-rev<revision>.db`. Keys of other backups, even ones whose
/// name starts with this one's, do not match.
pub fn parse_key(backup: &str, file_name: &str) -> Option<Timestamp> {
    let rest = file_name.strip_prefix(&key_prefix(backup))?.strip_suffix(".db")?;
    let (time, revision) = rest.split_once("-rev")?;
    if time.len() != 16 || revision.is_empty() || !revision.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parsed = k8s_openapi::jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", time).ok()?;
    parsed.to_zoned(TimeZone::UTC).ok().map(|z| z.timestamp())
}

/// The URL of a key under a destination URL (`s3://b/p` + `demo/x.db` = `s3://b/p/demo/x.db`).
pub fn join_url(base: &str, key: &str) -> String {
    format!("{}/{key}", base.trim_end_matches('/'))
}

/// Parses a schedule: five fields, or six with leading seconds, or a nickname (`@daily`).
pub fn parse_schedule(schedule: &str) -> Result<Cron, PlanError> {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
        .parse(schedule)
        .map_err(|e| PlanError::Schedule { schedule: schedule.to_string(), message: e.to_string() })
}

/// The first time the schedule fires strictly after `after` (UTC).
pub fn next_run(schedule: &str, after: Timestamp) -> Result<Timestamp, PlanError> {
    let cron = parse_schedule(schedule)?;
    let zoned = after.to_zoned(TimeZone::UTC);
    cron.find_next_occurrence(&zoned, false)
        .map(|z| z.timestamp())
        .map_err(|_| PlanError::NoNextTime(schedule.to_string()))
}

/// Parses `maxAge` (`90s`, `30m`, `36h`, `7d`).
pub fn parse_max_age(text: &str) -> Result<Duration, PlanError> {
    let bad = || PlanError::MaxAge(text.to_string());
    let split = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let unit_seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(unit_seconds).map(Duration::from_secs).ok_or_else(bad)
}

/// One stored snapshot as retention sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its key (or URL).
    pub key: String,
    /// When it was stored.
    pub at: Timestamp,
}

/// What retention decided: keys to keep (newest first) and keys to delete.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionPlan {
    /// Kept, newest first.
    pub keep: Vec<String>,
    /// To delete.
    pub delete: Vec<String>,
}

/// Applies `retention` to the stored snapshots of one schedule. A snapshot is deleted only
/// when every rule that is set allows it: it is not among the `keepLast` newest, and it is
/// older than `maxAge`. The newest snapshot is never deleted, whatever the rules say.
pub fn plan_retention(
    stored: &[Stored],
    retention: Option<&Retention>,
    now: Timestamp,
) -> Result<RetentionPlan, PlanError> {
    let mut sorted: Vec<&Stored> = stored.iter().collect();
    sorted.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.key.cmp(&a.key)));
    let Some(retention) = retention else {
        return Ok(RetentionPlan { keep: sorted.iter().map(|s| s.key.clone()).collect(), delete: vec![] });
    };
    let max_age = retention.max_age.as_deref().map(parse_max_age).transpose()?;
    let keep_last = retention.keep_last.map(|n| usize::try_from(n).unwrap_or(0));
    let mut plan = RetentionPlan::default();
    for (index, snapshot) in sorted.iter().enumerate() {
        let within_count = keep_last.is_some_and(|n| index < n);
        let age = now.duration_since(snapshot.at);
        let within_age = max_age.is_some_and(|max| age.as_secs() < max.as_secs() as i64);
        if index == 0 || within_count || within_age {
            plan.keep.push(snapshot.key.clone());
        } else {
            plan.delete.push(snapshot.key.clone());
        }
    }
    Ok(plan)
}

/// A failure's reason (a CamelCase word for `status.reason`) and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `status.reason`.
    pub reason: &'static str,
    /// `status.message`: what happened and what to do.
    pub message: String,
}

impl Failure {
    /// A failure with this reason and message.
    pub fn new(reason: &'static str, message: impl Into<String>) -> Self {
        Failure { reason, message: message.into() }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.reason, self.message)
    }
}

/// Sorts an object store's error text into a reason a person can act on.
pub fn classify_store_error(text: &str) -> &'static str {
    let lower = text.to_ascii_lowercase();
    let any = |needles: &[&str]| needles.iter().any(|n| lower.contains(n));
    if any(&[
        "invalidaccesskeyid",
        "signaturedoesnotmatch",
        "accessdenied",
        "access denied",
        "forbidden",
        "403",
        "401",
        "unauthenticated",
        "permission denied",
        "authorization",
    ]) {
        "AccessDenied"
    } else if any(&["nosuchbucket", "bucket does not exist", "containernotfound"]) {
        "BucketNotFound"
    } else if any(&[
        "error sending request",
        "connect",
        "dns error",
        "timed out",
        "timeout",
        "connection refused",
        "unreachable",
    ]) {
        "StoreUnreachable"
    } else {
        "StoreError"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn keys_name_cluster_backup_time_and_revision() {
        let key = snapshot_key("demo", "nightly", at("2025-01-02T03:04:05.678Z"), 1234);
        assert_eq!(key, "demo/nightly-20250102T030405Z-rev1234.db");
        assert!(key.trim_start_matches("demo/").starts_with(&key_prefix("nightly")));
        assert_eq!(join_url("s3://b/p/", &key), "s3://b/p/demo/nightly-20250102T030405Z-rev1234.db");
        assert_eq!(join_url("file:///backups", "x.db"), "file:///backups/x.db");
        assert_eq!(
            parse_key("nightly", "nightly-20250102T030405Z-rev1234.db"),
            Some(at("2025-01-02T03:04:05Z"))
        );
        assert_eq!(parse_key("nightly", "nightly-2-20250102T030405Z-rev1234.db"), None, "another backup");
        assert_eq!(parse_key("nightly", "nightly-20250102T030405Z-rev.db"), None);
        assert_eq!(parse_key("nightly", "nightly-20250102T030405Z-rev1.db#1"), None, "an upload in flight");
    }

    #[test]
    fn schedules_with_and_without_seconds() {
        let now = at("2025-01-01T10:00:07Z");
        assert_eq!(next_run("*/5 * * * * *", now), Ok(at("2025-01-01T10:00:10Z")));
        assert_eq!(next_run("0 */6 * * *", now), Ok(at("2025-01-01T12:00:00Z")));
        assert_eq!(next_run("@daily", now), Ok(at("2025-01-02T00:00:00Z")));
        assert_eq!(next_run("@hourly", at("2025-01-01T10:00:00Z")), Ok(at("2025-01-01T11:00:00Z")));
        assert!(matches!(next_run("61 * * * *", now), Err(PlanError::Schedule { .. })));
        assert!(matches!(next_run("not a schedule", now), Err(PlanError::Schedule { .. })));
    }

    #[test]
    fn max_age_units() {
        assert_eq!(parse_max_age("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_max_age("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_max_age("36h"), Ok(Duration::from_secs(36 * 3600)));
        assert_eq!(parse_max_age("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["", "d", "7w", "x1h", "-1h", "99999999999999999999d"] {
            assert_eq!(parse_max_age(bad), Err(PlanError::MaxAge(bad.into())), "{bad}");
        }
    }

    fn stored(minutes_ago: &[i64], now: Timestamp) -> Vec<Stored> {
        minutes_ago
            .iter()
            .map(|m| Stored {
                key: format!("s{m}"),
                at: now.checked_sub(k8s_openapi::jiff::SignedDuration::from_mins(*m)).unwrap_or(now),
            })
            .collect()
    }

    fn retention(keep_last: Option<i32>, max_age: Option<&str>) -> Retention {
        Retention { keep_last, max_age: max_age.map(String::from) }
    }

    #[test]
    fn keep_last_keeps_exactly_the_newest() {
        let now = at("2025-01-01T12:00:00Z");
        let all = stored(&[30, 10, 20, 0], now);
        let plan = plan_retention(&all, Some(&retention(Some(2), None)), now).unwrap_or_default();
        assert_eq!(plan.keep, ["s0", "s10"]);
        assert_eq!(plan.delete, ["s20", "s30"]);
    }

    #[test]
    fn max_age_and_keep_last_both_must_allow_a_deletion() {
        let now = at("2025-01-01T12:00:00Z");
        let all = stored(&[5, 50, 100, 200], now);
        let plan = plan_retention(&all, Some(&retention(None, Some("1h"))), now).unwrap_or_default();
        assert_eq!(
            (plan.keep, plan.delete),
            (vec!["s5".into(), "s50".into()], vec!["s100".into(), "s200".into()])
        );
        let both = plan_retention(&all, Some(&retention(Some(3), Some("1h"))), now).unwrap_or_default();
        assert_eq!((both.keep.len(), both.delete), (3, vec!["s200".to_string()]));
    }

    #[test]
    fn the_newest_is_never_deleted() {
        let now = at("2025-01-01T12:00:00Z");
        let old = stored(&[600, 700], now);
        let plan = plan_retention(&old, Some(&retention(None, Some("1m"))), now).unwrap_or_default();
        assert_eq!((plan.keep, plan.delete), (vec!["s600".to_string()], vec!["s700".to_string()]));
        let none = plan_retention(&old, None, now).unwrap_or_default();
        assert_eq!(none.keep.len(), 2);
        assert!(plan_retention(&old, Some(&retention(None, Some("1w"))), now).is_err());
    }

    #[test]
    fn store_errors_are_named() {
        assert_eq!(classify_store_error("Generic S3 error: InvalidAccessKeyId"), "AccessDenied");
        assert_eq!(classify_store_error("Client error with status 403 Forbidden"), "AccessDenied");
        assert_eq!(
            classify_store_error("The specified bucket does not exist: NoSuchBucket"),
            "BucketNotFound"
        );
        assert_eq!(
            classify_store_error("error sending request for url (http://127.0.0.1:1/b): tcp connect error"),
            "StoreUnreachable"
        );
        assert_eq!(classify_store_error("something else"), "StoreError");
    }
}
