//! The alerting rules, as a PrometheusRule. The member rules are etcd's own
//! (`contrib/mixin/alerts/alerts.libsonnet` in etcd-io/etcd) adapted to how members are
//! scraped here: `job` = [`MEMBERS_JOB`], and a cluster is `namespace` + `cluster`, so
//! rules group by those rather than by `job`. Where etcd's rules count members through
//! Prometheus' `up` (members down, too few members), the operator's own view replaces them:
//! it knows the desired size and judges health as etcd's `/health` does.

use serde_json::{Value, json};

use super::{MEMBERS_JOB, MONITORING_API_VERSION, OPERATOR_JOB, metadata};

/// One alerting rule.
pub struct Alert {
    /// The alert's name.
    pub name: &'static str,
    /// Its PromQL expression.
    pub expr: String,
    /// How long the expression must hold before the alert fires; `None`: at once.
    pub for_: Option<&'static str>,
    /// `warning` or `critical`.
    pub severity: &'static str,
    /// One line.
    pub summary: &'static str,
    /// What is wrong and what to do, with the series' labels.
    pub description: &'static str,
}

impl Alert {
    fn to_json(&self) -> Value {
        let mut rule = json!({
            "alert": self.name,
            "expr": self.expr,
            "labels": {"severity": self.severity},
            "annotations": {"summary": self.summary, "description": self.description},
        });
        if let Some(for_) = self.for_ {
            rule["for"] = json!(for_);
        }
        rule
    }
}

/// The selector of every member series.
fn members() -> String {
    format!("job=\"{MEMBERS_JOB}\"")
}

/// The 99th percentile of a member histogram over 5 minutes, per member.
fn p99(histogram: &str) -> String {
    format!(
        "histogram_quantile(0.99, sum by (namespace, cluster, pod, le) (rate({histogram}_bucket{{{}}}[5m])))",
        members()
    )
}

/// gRPC codes that mean the server failed the request (as etcd's rules count them).
pub const FAILED_GRPC_CODES: &str =
    "Unknown|FailedPrecondition|ResourceExhausted|Internal|Unavailable|DataLoss|DeadlineExceeded";

/// The percentage of a member's gRPC requests that failed, per method, over 5 minutes.
fn failed_grpc_percent() -> String {
    let m = members();
    format!(
        "100 * sum by (namespace, cluster, pod, grpc_method) (rate(grpc_server_handled_total{{{m}, grpc_code=~\"{FAILED_GRPC_CODES}\"}}[5m]))\n  / sum by (namespace, cluster, pod, grpc_method) (rate(grpc_server_handled_total{{{m}}}[5m]))"
    )
}

/// Rules on what the members export.
pub fn member_alerts() -> Vec<Alert> {
    let m = members();
    vec![
        Alert {
            name: "EtcdNoLeader",
            expr: format!("etcd_server_has_leader{{{m}}} == 0"),
            for_: Some("1m"),
            severity: "critical",
            summary: "An etcd member has no leader.",
            description: "Member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} has no leader: it serves no writes and no linearizable reads. Check `kubectl etcd status {{ $labels.cluster }} -n {{ $labels.namespace }}`.",
        },
        Alert {
            name: "EtcdHighNumberOfLeaderChanges",
            expr: format!(
                "max by (namespace, cluster) (increase(etcd_server_leader_changes_seen_total{{{m}}}[15m])) >= 4"
            ),
            for_: Some("5m"),
            severity: "warning",
            summary: "An etcd cluster changes leader often.",
            description: "EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} saw {{ $value }} leader changes within 15 minutes. Frequent elections point to too little CPU or disk, high network latency, or members being restarted.",
        },
        Alert {
            name: "EtcdDatabaseQuotaLowSpace",
            expr: format!(
                "100 * etcd_mvcc_db_total_size_in_bytes{{{m}}} / etcd_server_quota_backend_bytes{{{m}}} > 80"
            ),
            for_: Some("10m"),
            severity: "warning",
            summary: "An etcd member's database is more than 80% of its quota.",
            description: "The database of member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} is {{ $value | humanize }}% of its quota. At 100% etcd raises the NOSPACE alarm and refuses writes: compact and defragment, or delete data.",
        },
        Alert {
            name: "EtcdDatabaseQuotaLowSpace",
            expr: format!(
                "100 * etcd_mvcc_db_total_size_in_bytes{{{m}}} / etcd_server_quota_backend_bytes{{{m}}} > 95"
            ),
            for_: Some("10m"),
            severity: "critical",
            summary: "An etcd member's database is nearly full.",
            description: "The database of member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} is {{ $value | humanize }}% of its quota. At 100% etcd raises the NOSPACE alarm and refuses writes: compact and defragment now, or delete data.",
        },
        Alert {
            name: "EtcdExcessiveDatabaseGrowth",
            expr: format!(
                "predict_linear(etcd_mvcc_db_total_size_in_bytes{{{m}}}[4h], 4 * 3600) > etcd_server_quota_backend_bytes{{{m}}}"
            ),
            for_: Some("10m"),
            severity: "warning",
            summary: "An etcd member's database will reach its quota within 4 hours.",
            description: "At the growth of the last 4 hours, the database of member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} reaches its quota within 4 hours, and etcd then refuses writes.",
        },
        Alert {
            name: "EtcdDatabaseHighFragmentationRatio",
            expr: format!(
                "(etcd_mvcc_db_total_size_in_use_in_bytes{{{m}}} / etcd_mvcc_db_total_size_in_bytes{{{m}}}) < 0.5\n  and etcd_mvcc_db_total_size_in_use_in_bytes{{{m}}} > 104857600"
            ),
            for_: Some("10m"),
            severity: "warning",
            summary: "Less than half of an etcd member's database file is in use.",
            description: "Member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} uses {{ $value | humanizePercentage }} of its database file; defragmenting it gives the rest back (https://etcd.io/docs/v3.5/op-guide/maintenance/#defragmentation).",
        },
        Alert {
            name: "EtcdHighFsyncDurations",
            expr: format!("{} > 0.5", p99("etcd_disk_wal_fsync_duration_seconds")),
            for_: Some("10m"),
            severity: "warning",
            summary: "An etcd member's WAL fsyncs are slow.",
            description: "The 99th percentile of WAL fsyncs on member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} is {{ $value }} s. etcd needs a disk with low fsync latency; slow fsyncs cause missed heartbeats and elections.",
        },
        Alert {
            name: "EtcdHighFsyncDurations",
            expr: format!("{} > 1", p99("etcd_disk_wal_fsync_duration_seconds")),
            for_: Some("10m"),
            severity: "critical",
            summary: "An etcd member's WAL fsyncs are very slow.",
            description: "The 99th percentile of WAL fsyncs on member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} is {{ $value }} s. Move the member to a faster disk (spec.storage.storageClassName).",
        },
        Alert {
            name: "EtcdHighCommitDurations",
            expr: format!("{} > 0.25", p99("etcd_disk_backend_commit_duration_seconds")),
            for_: Some("10m"),
            severity: "warning",
            summary: "An etcd member's backend commits are slow.",
            description: "The 99th percentile of backend commits on member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} is {{ $value }} s: the disk is too slow for the load.",
        },
        Alert {
            name: "EtcdHighNumberOfFailedProposals",
            expr: format!("rate(etcd_server_proposals_failed_total{{{m}}}[15m]) > 5"),
            for_: Some("15m"),
            severity: "warning",
            summary: "An etcd member fails many raft proposals.",
            description: "Member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} fails {{ $value }} proposals a second (averaged over 15 minutes). Failed proposals come from leader elections or a lost quorum.",
        },
        Alert {
            name: "EtcdHighNumberOfFailedGRPCRequests",
            expr: format!("{} > 1", failed_grpc_percent()),
            for_: Some("10m"),
            severity: "warning",
            summary: "An etcd member fails more than 1% of its gRPC requests.",
            description: "{{ $value }}% of {{ $labels.grpc_method }} requests failed on member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }}.",
        },
        Alert {
            name: "EtcdHighNumberOfFailedGRPCRequests",
            expr: format!("{} > 5", failed_grpc_percent()),
            for_: Some("5m"),
            severity: "critical",
            summary: "An etcd member fails more than 5% of its gRPC requests.",
            description: "{{ $value }}% of {{ $labels.grpc_method }} requests failed on member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }}.",
        },
        Alert {
            name: "EtcdMemberCommunicationSlow",
            expr: format!(
                "histogram_quantile(0.99, sum by (namespace, cluster, pod, To, le) (rate(etcd_network_peer_round_trip_time_seconds_bucket{{{m}}}[5m]))) > 0.15"
            ),
            for_: Some("10m"),
            severity: "warning",
            summary: "Round trips between etcd members are slow.",
            description: "The 99th percentile of round trips from member {{ $labels.pod }} of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} to its peer {{ $labels.To }} is {{ $value }} s.",
        },
    ]
}

/// Rules on what the operator exports.
pub fn operator_alerts() -> Vec<Alert> {
    vec![
        Alert {
            name: "EtcdClusterUnavailable",
            expr: "etcd_operator_cluster_available == 0".to_string(),
            for_: Some("3m"),
            severity: "critical",
            summary: "An etcd cluster has lost its quorum.",
            description: "EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} is not available: too few members are healthy for a quorum, and the operator does nothing destructive on its own. See `kubectl etcd status {{ $labels.cluster }} -n {{ $labels.namespace }}`; restoring from a backup is the way back when the members' data is lost.",
        },
        Alert {
            name: "EtcdClusterMembersDown",
            expr: "etcd_operator_healthy_members < etcd_operator_desired_members".to_string(),
            for_: Some("15m"),
            severity: "warning",
            summary: "An etcd cluster runs fewer healthy members than its size.",
            description: "EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} has had {{ $value }} healthy voting members, fewer than its spec.size, for 15 minutes: it tolerates fewer failures than it should. See `kubectl etcd status {{ $labels.cluster }} -n {{ $labels.namespace }}` and the cluster's Events.",
        },
        Alert {
            name: "EtcdOperatorReconcileErrors",
            expr: "sum by (namespace, cluster, reason) (increase(etcd_operator_reconcile_errors_total[15m])) > 5"
                .to_string(),
            for_: Some("15m"),
            severity: "warning",
            summary: "The etcd operator keeps failing to reconcile a cluster.",
            description: "Reconciles of EtcdCluster {{ $labels.namespace }}/{{ $labels.cluster }} keep failing ({{ $labels.reason }}): changes to it are not carried out. The operator's log says why (`kubectl logs -n <operator namespace> deploy/etcd-operator`).",
        },
        Alert {
            name: "EtcdBackupFailed",
            expr: "increase(etcd_operator_backups_total{outcome=\"failed\"}[1h]) > 0".to_string(),
            for_: None,
            severity: "warning",
            summary: "An etcd backup failed.",
            description: "EtcdBackup {{ $labels.namespace }}/{{ $labels.backup }} of cluster {{ $labels.cluster }} failed within the last hour. `kubectl describe etcdbackup {{ $labels.backup }} -n {{ $labels.namespace }}` shows the reason.",
        },
        Alert {
            name: "EtcdOperatorDown",
            expr: format!("absent(up{{job=\"{OPERATOR_JOB}\"}} == 1)"),
            for_: Some("10m"),
            severity: "warning",
            summary: "The etcd operator is not running.",
            description: "Prometheus has not scraped a running etcd operator for 10 minutes: clusters are not healed, scaled, upgraded or backed up meanwhile.",
        },
    ]
}

/// The PrometheusRule `etcd`: the member rules in the group `etcd`, the operator's in
/// `etcd-operator`.
pub fn prometheus_rule() -> Value {
    let group = |name: &str, alerts: Vec<Alert>| json!({"name": name, "rules": alerts.iter().map(Alert::to_json).collect::<Vec<_>>()});
    json!({
        "apiVersion": MONITORING_API_VERSION,
        "kind": "PrometheusRule",
        "metadata": metadata("etcd", &[]),
        "spec": {"groups": [group("etcd", member_alerts()), group("etcd-operator", operator_alerts())]},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_brief_s_alerts_are_there_with_a_severity_and_text() {
        let alerts: Vec<Alert> = member_alerts().into_iter().chain(operator_alerts()).collect();
        let names: Vec<&str> = alerts.iter().map(|a| a.name).collect();
        for wanted in [
            "EtcdNoLeader",
            "EtcdHighNumberOfLeaderChanges",
            "EtcdDatabaseQuotaLowSpace",
            "EtcdHighFsyncDurations",
            "EtcdHighCommitDurations",
            "EtcdHighNumberOfFailedProposals",
            "EtcdClusterUnavailable",
            "EtcdBackupFailed",
        ] {
            assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
        }
        for alert in &alerts {
            assert!(["warning", "critical"].contains(&alert.severity), "{}", alert.name);
            assert!(!alert.summary.is_empty() && !alert.description.is_empty(), "{}", alert.name);
        }
        let quota = alerts.iter().find(|a| a.name == "EtcdDatabaseQuotaLowSpace").expect("quota alert");
        assert!(quota.expr.contains(
            "etcd_mvcc_db_total_size_in_bytes{job=\"kubectl-etcd\"} / etcd_server_quota_backend_bytes"
        ));
    }
}
