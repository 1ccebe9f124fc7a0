//! The Grafana dashboard "etcd (kubectl-etcd)": one EtcdCluster at a time (variables
//! `namespace` and `cluster`), the operator's view of it on top (health, quorum, backups,
//! reconcile errors), then the members' own figures as etcd's mixin dashboard shows them
//! (database size against the quota, disk sync latency, leader changes, requests, raft
//! proposals, peer round trips, memory, traffic).

use serde_json::{Value, json};

use super::{CLUSTER_LABEL, MEMBERS_JOB};

/// The dashboard's UID, stable so that Grafana replaces it on every load.
pub const UID: &str = "kubectl-etcd-cluster";

/// The selector of the chosen cluster's member series.
fn members() -> String {
    format!("job=\"{MEMBERS_JOB}\", namespace=\"$namespace\", {CLUSTER_LABEL}=\"$cluster\"")
}

/// The selector of the operator's series about the chosen cluster.
fn operator() -> String {
    format!("namespace=\"$namespace\", {CLUSTER_LABEL}=\"$cluster\"")
}

/// A query of a panel, with its legend.
fn target(expr: String, legend: &str) -> Value {
    json!({"datasource": {"type": "prometheus", "uid": "${datasource}"}, "expr": expr, "legendFormat": legend, "refId": ""})
}

/// Where a panel sits: (x, y, width, height) on Grafana's 24-column grid.
type Place = (u32, u32, u32, u32);

/// A panel of `kind` (`stat` or `timeseries`) showing `targets` in `unit`.
fn panel(kind: &str, title: &str, unit: &str, (x, y, w, h): Place, targets: Vec<Value>) -> Value {
    let targets: Vec<Value> = targets
        .into_iter()
        .zip('A'..)
        .map(|(mut t, id)| {
            t["refId"] = json!(id.to_string());
            t
        })
        .collect();
    json!({
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": targets,
    })
}

/// A variable filled from the label values of a series.
fn query_variable(name: &str, label: &str, query: String) -> Value {
    json!({
        "name": name,
        "label": label,
        "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": query, "refId": format!("{name}-values")},
        "refresh": 2,
        "sort": 1,
    })
}

/// The panels, from the top.
fn panels() -> Vec<Value> {
    let (m, o) = (members(), operator());
    let rate = "$__rate_interval";
    vec![
        panel(
            "stat",
            "Healthy members",
            "none",
            (0, 0, 6, 5),
            vec![
                target(format!("etcd_operator_healthy_members{{{o}}}"), "healthy"),
                target(format!("etcd_operator_desired_members{{{o}}}"), "desired"),
            ],
        ),
        panel(
            "stat",
            "Quorum (1 = available)",
            "none",
            (6, 0, 6, 5),
            vec![target(format!("etcd_operator_cluster_available{{{o}}}"), "available")],
        ),
        panel(
            "stat",
            "Members with a leader",
            "none",
            (12, 0, 6, 5),
            vec![target(format!("sum(etcd_server_has_leader{{{m}}})"), "with a leader")],
        ),
        panel(
            "stat",
            "Since the last successful backup",
            "s",
            (18, 0, 6, 5),
            vec![target(
                format!("time() - max(etcd_operator_backup_last_success_timestamp_seconds{{{o}}})"),
                "since the last backup",
            )],
        ),
        panel(
            "timeseries",
            "Database size and quota",
            "bytes",
            (0, 5, 8, 8),
            vec![
                target(format!("etcd_mvcc_db_total_size_in_bytes{{{m}}}"), "{{pod}} size"),
                target(format!("etcd_mvcc_db_total_size_in_use_in_bytes{{{m}}}"), "{{pod}} in use"),
                target(format!("max(etcd_server_quota_backend_bytes{{{m}}})"), "quota"),
            ],
        ),
        panel(
            "timeseries",
            "Disk sync duration (p99)",
            "s",
            (8, 5, 8, 8),
            vec![
                target(
                    format!(
                        "histogram_quantile(0.99, sum by (pod, le) (rate(etcd_disk_wal_fsync_duration_seconds_bucket{{{m}}}[{rate}])))"
                    ),
                    "{{pod}} WAL fsync",
                ),
                target(
                    format!(
                        "histogram_quantile(0.99, sum by (pod, le) (rate(etcd_disk_backend_commit_duration_seconds_bucket{{{m}}}[{rate}])))"
                    ),
                    "{{pod}} backend commit",
                ),
            ],
        ),
        panel(
            "timeseries",
            "Leader changes (per hour)",
            "none",
            (16, 5, 8, 8),
            vec![target(format!("increase(etcd_server_leader_changes_seen_total{{{m}}}[1h])"), "{{pod}}")],
        ),
        panel(
            "timeseries",
            "gRPC requests",
            "reqps",
            (0, 13, 8, 8),
            vec![
                target(
                    format!("sum(rate(grpc_server_started_total{{{m}, grpc_type=\"unary\"}}[{rate}]))"),
                    "requests",
                ),
                target(
                    format!(
                        "sum(rate(grpc_server_handled_total{{{m}, grpc_type=\"unary\", grpc_code=~\"{}\"}}[{rate}]))",
                        super::rules::FAILED_GRPC_CODES
                    ),
                    "failed",
                ),
            ],
        ),
        panel(
            "timeseries",
            "Raft proposals",
            "ops",
            (8, 13, 8, 8),
            vec![
                target(
                    format!("sum(rate(etcd_server_proposals_committed_total{{{m}}}[{rate}]))"),
                    "committed",
                ),
                target(format!("sum(rate(etcd_server_proposals_failed_total{{{m}}}[{rate}]))"), "failed"),
                target(format!("max(etcd_server_proposals_pending{{{m}}})"), "pending"),
            ],
        ),
        panel(
            "timeseries",
            "Peer round trip time (p99)",
            "s",
            (16, 13, 8, 8),
            vec![target(
                format!(
                    "histogram_quantile(0.99, sum by (pod, To, le) (rate(etcd_network_peer_round_trip_time_seconds_bucket{{{m}}}[{rate}])))"
                ),
                "{{pod}} to {{To}}",
            )],
        ),
        panel(
            "timeseries",
            "Memory",
            "bytes",
            (0, 21, 8, 8),
            vec![target(format!("process_resident_memory_bytes{{{m}}}"), "{{pod}}")],
        ),
        panel(
            "timeseries",
            "Client traffic",
            "Bps",
            (8, 21, 8, 8),
            vec![
                target(
                    format!(
                        "sum by (pod) (rate(etcd_network_client_grpc_received_bytes_total{{{m}}}[{rate}]))"
                    ),
                    "{{pod}} in",
                ),
                target(
                    format!("sum by (pod) (rate(etcd_network_client_grpc_sent_bytes_total{{{m}}}[{rate}]))"),
                    "{{pod}} out",
                ),
            ],
        ),
        panel(
            "timeseries",
            "Operator: reconcile errors and membership changes",
            "none",
            (16, 21, 8, 8),
            vec![
                target(
                    format!(
                        "sum by (reason) (increase(etcd_operator_reconcile_errors_total{{{o}}}[{rate}]))"
                    ),
                    "error: {{reason}}",
                ),
                target(
                    format!("sum by (change) (increase(etcd_operator_membership_changes_total[{rate}]))"),
                    "{{change}} (all clusters)",
                ),
            ],
        ),
        panel(
            "timeseries",
            "Backups",
            "none",
            (0, 29, 12, 8),
            vec![target(
                format!("sum by (backup, outcome) (increase(etcd_operator_backups_total{{{o}}}[1h]))"),
                "{{backup}} {{outcome}} (per hour)",
            )],
        ),
        panel(
            "timeseries",
            "Newest snapshot size",
            "bytes",
            (12, 29, 12, 8),
            vec![target(format!("etcd_operator_backup_last_size_bytes{{{o}}}"), "{{backup}}")],
        ),
    ]
}

/// The dashboard, as Grafana's JSON model.
pub fn dashboard() -> Value {
    let namespaces = format!("label_values(etcd_server_has_leader{{job=\"{MEMBERS_JOB}\"}}, namespace)");
    let clusters = format!(
        "label_values(etcd_server_has_leader{{job=\"{MEMBERS_JOB}\", namespace=\"$namespace\"}}, {CLUSTER_LABEL})"
    );
    json!({
        "uid": UID,
        "title": "etcd (kubectl-etcd)",
        "description": "One EtcdCluster run by the kubectl-etcd operator: the operator's view of it, then its members' figures. Generated by `etcd-operator monitoring`.",
        "tags": ["etcd", "kubectl-etcd"],
        "editable": true,
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "timezone": "",
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus"},
            query_variable("namespace", "Namespace", namespaces),
            query_variable("cluster", "EtcdCluster", clusters),
        ]},
        "panels": panels(),
    })
}

/// Every PromQL expression of the dashboard: the panels' queries and the variables' series
/// (the selector inside `label_values(...)`), with Grafana's variables left in.
pub fn expressions(dashboard: &Value) -> Vec<String> {
    let panels = dashboard["panels"].as_array().into_iter().flatten();
    let queries =
        panels.flat_map(|p| p["targets"].as_array().into_iter().flatten()).filter_map(|t| t["expr"].as_str());
    let variables = dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["query"]["query"].as_str())
        .filter_map(|q| q.strip_prefix("label_values(")?.rsplit_once(',').map(|(series, _)| series));
    queries.chain(variables).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_do_not_overlap_and_fit_the_grid() {
        let dashboard = dashboard();
        let places: Vec<(u64, u64, u64, u64)> = dashboard["panels"]
            .as_array()
            .expect("panels")
            .iter()
            .map(|p| {
                let g = &p["gridPos"];
                let n = |k: &str| g[k].as_u64().expect("a number");
                (n("x"), n("y"), n("w"), n("h"))
            })
            .collect();
        for (i, a) in places.iter().enumerate() {
            assert!(a.0 + a.2 <= 24, "panel {i} is wider than the grid");
            for b in &places[i + 1..] {
                let apart = a.0 + a.2 <= b.0 || b.0 + b.2 <= a.0 || a.1 + a.3 <= b.1 || b.1 + b.3 <= a.1;
                assert!(apart, "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn every_query_and_variable_series_is_listed() {
        let dashboard = dashboard();
        let expressions = expressions(&dashboard);
        let targets: usize = dashboard["panels"]
            .as_array()
            .expect("panels")
            .iter()
            .map(|p| p["targets"].as_array().expect("targets").len())
            .sum();
        assert_eq!(expressions.len(), targets + 2, "every query and the two variables' series");
        assert!(expressions.contains(&"etcd_server_has_leader{job=\"kubectl-etcd\"}".to_string()));
    }
}
