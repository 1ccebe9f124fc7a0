//! `spec.etcd`: the etcd server settings the operator passes to every member as flags.
//!
//! A change of `spec.etcd` is rolled out like a patch upgrade: one member at a time,
//! followers first, the leader last after its leadership moved, each step gated on every
//! member being healthy and caught up (`shared::plan::rollout`).

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// etcd's heartbeat interval when none is given, in milliseconds.
pub const ETCD_DEFAULT_HEARTBEAT_MS: i64 = 100;
/// etcd's election timeout when none is given, in milliseconds.
pub const ETCD_DEFAULT_ELECTION_MS: i64 = 1000;
/// The election timeout must be at least this many heartbeat intervals (etcd's tuning
/// guide asks for 5 to 10; below that, a slow heartbeat starts an election).
pub const ELECTION_HEARTBEATS: i64 = 5;

/// The etcd flags each setting maps to, in the order [`EtcdSettings::flags`] writes them:
/// a member Pod's settings are the flags of its etcd container that start with one of these.
pub const SETTING_FLAGS: &[&str] = &[
    "--quota-backend-bytes=",
    "--auto-compaction-mode=",
    "--auto-compaction-retention=",
    "--snapshot-count=",
    "--heartbeat-interval=",
    "--election-timeout=",
];

/// Settings of the etcd server on every member. Unset fields keep etcd's own defaults,
/// except auto-compaction, which the operator always turns on (periodic, 1h).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(has(self.electionTimeoutMs) ? self.electionTimeoutMs : 1000) >= 5 * (has(self.heartbeatIntervalMs) ? self.heartbeatIntervalMs : 100)")
    .message("electionTimeoutMs must be at least 5 times heartbeatIntervalMs (etcd's defaults are 1000 and 100): raise the election timeout or lower the heartbeat interval")
    .reason(Reason::FieldValueInvalid))]
pub struct EtcdSettings {
    /// Backend space quota (`--quota-backend-bytes`), a Kubernetes quantity from `16Mi` to
    /// `8Gi`, e.g. `4Gi`. Unset: etcd's default, 2 GiB. When the database reaches it, etcd
    /// raises a NOSPACE alarm and accepts only reads and deletes until space is freed (see
    /// `spec.maintenance.recoverNoSpace`). Keep it below the volume size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[0-9]+(Ki|Mi|Gi)?$"), length(max = 16))]
    #[x_kube(validation = Rule::new("quantity(self).compareTo(quantity('16Mi')) >= 0 && quantity(self).compareTo(quantity('8Gi')) <= 0")
        .message("quotaBackendBytes must be between 16Mi and 8Gi (etcd's suggested maximum)")
        .reason(Reason::FieldValueInvalid))]
    pub quota_backend_bytes: Option<String>,

    /// Automatic compaction of the key history. Defaults to periodic, keeping 1 hour.
    #[serde(default)]
    pub auto_compaction: AutoCompaction,

    /// Applied entries between two raft snapshots (`--snapshot-count`), 100 to 10000000.
    /// Unset: etcd's default (100000). Lower values use less memory and make followers
    /// that fall behind catch up from a snapshot sooner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 100, max = 10_000_000))]
    pub snapshot_count: Option<i64>,

    /// Heartbeat interval in milliseconds (`--heartbeat-interval`), 10 to 5000; about the
    /// round-trip time between members. Unset: etcd's default (100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 10, max = 5000))]
    pub heartbeat_interval_ms: Option<i64>,

    /// Election timeout in milliseconds (`--election-timeout`), 50 to 50000, at least 5
    /// heartbeat intervals. Unset: etcd's default (1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 50, max = 50000))]
    pub election_timeout_ms: Option<i64>,
}

/// How etcd compacts the key history on its own.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("self.mode == 'Periodic' ? self.retention.matches('^([0-9]+|([0-9]+(ms|s|m|h))+)$') : self.retention.matches('^[0-9]+$')")
    .message("retention is a duration such as 1h or 30m (or whole hours) for Periodic, and a number of revisions for Revision")
    .reason(Reason::FieldValueInvalid))]
pub struct AutoCompaction {
    /// `Periodic` (default): keep the history of the last `retention` (a duration).
    /// `Revision`: keep the last `retention` revisions.
    #[serde(default)]
    pub mode: CompactionMode,

    /// What to keep: a duration such as `1h`, `30m` (whole hours without a unit) for
    /// `Periodic`; a number of revisions for `Revision`. `0` turns auto-compaction off.
    /// Defaults to `1h`.
    #[serde(default = "default_retention")]
    #[schemars(length(min = 1, max = 32))]
    pub retention: String,
}

impl Default for AutoCompaction {
    fn default() -> Self {
        AutoCompaction { mode: CompactionMode::Periodic, retention: default_retention() }
    }
}

fn default_retention() -> String {
    "1h".to_string()
}

/// Auto-compaction modes of etcd.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CompactionMode {
    /// Keep a time window of history.
    #[default]
    Periodic,
    /// Keep a number of revisions.
    Revision,
}

impl CompactionMode {
    /// The value of `--auto-compaction-mode`.
    pub fn flag_value(self) -> &'static str {
        match self {
            CompactionMode::Periodic => "periodic",
            CompactionMode::Revision => "revision",
        }
    }
}

impl EtcdSettings {
    /// The etcd flags of these settings, in [`SETTING_FLAGS`] order; unset fields give no
    /// flag (etcd's default). A quantity is written in bytes.
    pub fn flags(&self) -> Vec<String> {
        let mut flags = Vec::new();
        if let Some(bytes) = self.quota_backend_bytes.as_deref().and_then(quantity_bytes) {
            flags.push(format!("--quota-backend-bytes={bytes}"));
        }
        flags.push(format!("--auto-compaction-mode={}", self.auto_compaction.mode.flag_value()));
        flags.push(format!("--auto-compaction-retention={}", self.auto_compaction.retention));
        if let Some(count) = self.snapshot_count {
            flags.push(format!("--snapshot-count={count}"));
        }
        if let Some(ms) = self.heartbeat_interval_ms {
            flags.push(format!("--heartbeat-interval={ms}"));
        }
        if let Some(ms) = self.election_timeout_ms {
            flags.push(format!("--election-timeout={ms}"));
        }
        flags
    }
}

/// The settings flags among a container's `args`, in their order there.
pub fn setting_flags_of(args: &[String]) -> Vec<String> {
    args.iter().filter(|a| SETTING_FLAGS.iter().any(|f| a.starts_with(f))).cloned().collect()
}

/// Bytes of a quantity as `quotaBackendBytes` takes it (digits with an optional `Ki`, `Mi`
/// or `Gi`); `None` when it is not one.
pub fn quantity_bytes(quantity: &str) -> Option<u64> {
    let (digits, factor) = match quantity.len().checked_sub(2).map(|i| quantity.split_at(i)) {
        Some((digits, "Ki")) => (digits, 1u64 << 10),
        Some((digits, "Mi")) => (digits, 1 << 20),
        Some((digits, "Gi")) => (digits, 1 << 30),
        _ => (quantity, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_give_the_flags_the_operator_always_set() {
        assert_eq!(
            EtcdSettings::default().flags(),
            ["--auto-compaction-mode=periodic", "--auto-compaction-retention=1h"]
        );
    }

    #[test]
    fn every_setting_has_its_flag_in_order() {
        let settings = EtcdSettings {
            quota_backend_bytes: Some("16Mi".into()),
            auto_compaction: AutoCompaction { mode: CompactionMode::Revision, retention: "1000".into() },
            snapshot_count: Some(5000),
            heartbeat_interval_ms: Some(50),
            election_timeout_ms: Some(500),
        };
        let flags = settings.flags();
        assert_eq!(
            flags,
            [
                "--quota-backend-bytes=16777216",
                "--auto-compaction-mode=revision",
                "--auto-compaction-retention=1000",
                "--snapshot-count=5000",
                "--heartbeat-interval=50",
                "--election-timeout=500",
            ]
        );
        let mut args = vec!["--name=demo-0".to_string()];
        args.extend(flags.iter().cloned());
        args.push("--data-dir=/var/lib/etcd".into());
        assert_eq!(setting_flags_of(&args), flags);
    }

    #[test]
    fn quantities_in_bytes() {
        assert_eq!(quantity_bytes("16Mi"), Some(16 << 20));
        assert_eq!(quantity_bytes("8Gi"), Some(8 << 30));
        assert_eq!(quantity_bytes("4Ki"), Some(4096));
        assert_eq!(quantity_bytes("1000"), Some(1000));
        assert_eq!(quantity_bytes("1.5Gi"), None);
        assert_eq!(quantity_bytes("Mi"), None);
        assert_eq!(quantity_bytes("99999999999999Gi"), None);
    }
}
