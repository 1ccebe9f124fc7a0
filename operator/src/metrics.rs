//! Prometheus metrics and the health endpoints (`/metrics`, `/healthz`, `/readyz`), served
//! over HTTP.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels naming a cluster.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClusterLabels {
    /// Namespace.
    pub namespace: String,
    /// Cluster name.
    pub cluster: String,
}

/// Labels of a reconcile's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    /// `ok` or `error`.
    pub outcome: String,
}

/// Labels of a membership change.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChangeLabels {
    /// The step, e.g. `AddLearner`.
    pub change: String,
}

/// Labels of a failed reconcile.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// Namespace.
    pub namespace: String,
    /// Cluster name.
    pub cluster: String,
    /// What failed, e.g. `kubernetes` or `etcd` (`ReconcileError::reason`).
    pub reason: String,
}

/// Labels naming an EtcdBackup.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BackupLabels {
    /// Namespace.
    pub namespace: String,
    /// The cluster it backs up.
    pub cluster: String,
    /// The EtcdBackup's name.
    pub backup: String,
}

/// Labels of a backup attempt's outcome.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BackupOutcomeLabels {
    /// Namespace.
    pub namespace: String,
    /// The cluster it backs up.
    pub cluster: String,
    /// The EtcdBackup's name.
    pub backup: String,
    /// `succeeded` or `failed`.
    pub outcome: String,
}

/// What the operator counts.
pub struct Metrics {
    registry: Mutex<Registry>,
    /// Reconciles by outcome.
    pub reconciles: Family<OutcomeLabels, Counter>,
    /// Membership changes carried out, by kind.
    pub membership_changes: Family<ChangeLabels, Counter>,
    /// Healthy voting members per cluster.
    pub healthy_members: Family<ClusterLabels, Gauge>,
    /// Desired members per cluster.
    pub desired_members: Family<ClusterLabels, Gauge>,
    /// 1 when the cluster has quorum, else 0.
    pub available: Family<ClusterLabels, Gauge>,
    /// Reconciles that failed, by cluster and reason.
    pub reconcile_errors: Family<ErrorLabels, Counter>,
    /// Backup attempts, by outcome.
    pub backups: Family<BackupOutcomeLabels, Counter>,
    /// When a backup's newest snapshot was stored (Unix seconds), from its status.
    pub backup_last_success: Family<BackupLabels, Gauge>,
    /// Size of a backup's newest snapshot in bytes, from its status.
    pub backup_last_size: Family<BackupLabels, Gauge>,
    /// Member defragmentations, by outcome.
    pub defragmentations: Family<DefragLabels, Counter>,
    /// Bytes given back by defragmentations, per cluster.
    pub defrag_reclaimed_bytes: Family<ClusterLabels, Counter>,
    /// Set once the controller runs (this replica leads).
    pub leading: AtomicBool,
}

/// Labels of a finished defragmentation of one member.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DefragLabels {
    /// Namespace.
    pub namespace: String,
    /// Cluster name.
    pub cluster: String,
    /// `ok` or `error`.
    pub outcome: String,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("etcd_operator");
        let reconciles = Family::<OutcomeLabels, Counter>::default();
        let membership_changes = Family::<ChangeLabels, Counter>::default();
        let healthy_members = Family::<ClusterLabels, Gauge>::default();
        let desired_members = Family::<ClusterLabels, Gauge>::default();
        let available = Family::<ClusterLabels, Gauge>::default();
        registry.register("reconciles", "Reconciles of EtcdClusters, by outcome", reconciles.clone());
        registry.register(
            "membership_changes",
            "Membership changes carried out, by kind",
            membership_changes.clone(),
        );
        registry.register("healthy_members", "Healthy voting members of a cluster", healthy_members.clone());
        registry.register(
            "desired_members",
            "Desired members of a cluster (spec.size)",
            desired_members.clone(),
        );
        registry.register("cluster_available", "1 when the cluster has quorum", available.clone());
        let reconcile_errors = Family::<ErrorLabels, Counter>::default();
        let backups = Family::<BackupOutcomeLabels, Counter>::default();
        let backup_last_success = Family::<BackupLabels, Gauge>::default();
        let backup_last_size = Family::<BackupLabels, Gauge>::default();
        registry.register(
            "reconcile_errors",
            "Reconciles of EtcdClusters that failed (retried after 5 s), by reason",
            reconcile_errors.clone(),
        );
        registry.register("backups", "Backup attempts, by outcome", backups.clone());
        registry.register(
            "backup_last_success_timestamp_seconds",
            "When the newest snapshot of an EtcdBackup was stored (Unix time)",
            backup_last_success.clone(),
        );
        registry.register(
            "backup_last_size_bytes",
            "Size of the newest snapshot of an EtcdBackup",
            backup_last_size.clone(),
        );
        let defragmentations = Family::<DefragLabels, Counter>::default();
        let defrag_reclaimed_bytes = Family::<ClusterLabels, Counter>::default();
        registry.register(
            "defragmentations",
            "Member defragmentations, by outcome",
            defragmentations.clone(),
        );
        registry.register(
            "defrag_reclaimed_bytes",
            "Bytes of database files given back by defragmentations",
            defrag_reclaimed_bytes.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            reconciles,
            membership_changes,
            healthy_members,
            desired_members,
            available,
            reconcile_errors,
            backups,
            backup_last_success,
            backup_last_size,
            defragmentations,
            defrag_reclaimed_bytes,
            leading: AtomicBool::new(false),
        }
    }
}

impl Metrics {
    /// The metrics in Prometheus' text format.
    pub fn render(&self) -> String {
        let registry = self.registry.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &registry);
        text
    }
}

/// `/metrics`, `/healthz` (the process runs) and `/readyz` (this replica leads and reconciles).
pub fn router(metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .with_state(metrics)
}

async fn render(State(metrics): State<Arc<Metrics>>) -> Response {
    ([("content-type", "application/openmetrics-text; version=1.0.0; charset=utf-8")], metrics.render())
        .into_response()
}

async fn ready(State(metrics): State<Arc<Metrics>>) -> Response {
    if metrics.leading.load(Ordering::Relaxed) {
        (StatusCode::OK, "leading").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "standing by: another replica leads").into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_in_the_text_format() {
        let metrics = Metrics::default();
        metrics.reconciles.get_or_create(&OutcomeLabels { outcome: "ok".into() }).inc();
        let labels = ClusterLabels { namespace: "db".into(), cluster: "demo".into() };
        metrics.healthy_members.get_or_create(&labels).set(3);
        let defrag = DefragLabels { namespace: "db".into(), cluster: "demo".into(), outcome: "ok".into() };
        metrics.defragmentations.get_or_create(&defrag).inc();
        let text = metrics.render();
        assert!(
            text.contains(
                "etcd_operator_defragmentations_total{namespace=\"db\",cluster=\"demo\",outcome=\"ok\"} 1"
            ),
            "{text}"
        );
        assert!(text.contains("etcd_operator_reconciles_total{outcome=\"ok\"} 1"), "{text}");
        assert!(
            text.contains("etcd_operator_healthy_members{namespace=\"db\",cluster=\"demo\"} 3"),
            "{text}"
        );
    }
}
