//! `kubectl etcd backups NAME`: the backups of a cluster, newest first, with each stored
//! snapshot's size, revision, etcd version, age and location.

use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use shared::crd::{EtcdBackup, SnapshotInfo};

use crate::client::{ConnectError, Connection, KubeArgs, describe};
use crate::exit::Outcome;
use crate::output::table::{self, NONE, age, human_bytes};

/// List the backups of a cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd backups demo\n  \
    kubectl etcd backups demo -o json | jq '.[0].location'")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// json prints the snapshots as a JSON array, newest first.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<Format>,

    /// Leave out the header line of the table.
    #[arg(long)]
    no_headers: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Json,
}

/// Why the backups could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum BackupsError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused or did not answer.
    #[error("cannot list etcdbackups: {0}")]
    Api(String),
    /// Printing failed.
    #[error("cannot print: {0}")]
    Print(String),
}

/// One row: a stored snapshot, or a backup without one (pending or failed).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    backup: String,
    phase: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<SnapshotInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// Every stored snapshot of the cluster's backups (the newest and, for schedules, the
/// retained ones), newest first; backups with none yet show their phase.
fn rows(backups: &[EtcdBackup], cluster: &str) -> Vec<Row> {
    let mut rows = Vec::new();
    for backup in backups.iter().filter(|b| b.spec.cluster_name == cluster) {
        let status = backup.status.clone().unwrap_or_default();
        let phase = status.phase.map_or_else(|| "Pending".to_string(), |p| format!("{p:?}"));
        let mut snapshots: Vec<SnapshotInfo> = status.retained.clone();
        if let Some(newest) = &status.snapshot
            && !snapshots.iter().any(|s| s.location == newest.location)
        {
            snapshots.insert(0, newest.clone());
        }
        if snapshots.is_empty() {
            rows.push(Row {
                backup: backup.name_any(),
                phase: phase.clone(),
                snapshot: None,
                reason: status.reason.clone(),
            });
        }
        for snapshot in snapshots {
            rows.push(Row {
                backup: backup.name_any(),
                phase: phase.clone(),
                snapshot: Some(snapshot),
                reason: None,
            });
        }
    }
    rows.sort_by(|a, b| {
        let time = |r: &Row| r.snapshot.as_ref().and_then(|s| s.completed_at.as_ref()).map(|t| t.0);
        time(b).cmp(&time(a)).then_with(|| a.backup.cmp(&b.backup))
    });
    rows
}

fn render(rows: &[Row], headers: bool, now: Timestamp) -> String {
    let columns = ["BACKUP", "PHASE", "SIZE", "REVISION", "VERSION", "AGE", "LOCATION"];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| match &row.snapshot {
            Some(s) => vec![
                row.backup.clone(),
                row.phase.clone(),
                human_bytes(s.size_bytes),
                s.revision.to_string(),
                s.etcd_version.clone(),
                age(s.completed_at.as_ref(), now),
                s.location.clone(),
            ],
            None => vec![
                row.backup.clone(),
                row.phase.clone(),
                NONE.into(),
                NONE.into(),
                NONE.into(),
                NONE.into(),
                row.reason.clone().unwrap_or_else(|| NONE.into()),
            ],
        })
        .collect();
    table::render(headers.then_some(columns.as_slice()), &cells)
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, BackupsError> {
    let connection = Connection::open(kube).await?;
    let api: Api<EtcdBackup> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let backups = api.list(&ListParams::default()).await.map_err(|e| BackupsError::Api(describe(&e)))?.items;
    let rows = rows(&backups, &args.name);
    if args.output == Some(Format::Json) {
        println!("{}", serde_json::to_string_pretty(&rows).map_err(|e| BackupsError::Print(e.to_string()))?);
    } else if rows.is_empty() {
        eprintln!("No backups of etcdcluster {} in namespace {}.", args.name, connection.namespace);
    } else {
        print!("{}", render(&rows, !args.no_headers, Timestamp::now()));
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use serde_json::json;
    use shared::crd::{BackupPhase, EtcdBackupStatus};

    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn info(name: &str, minute: u32) -> SnapshotInfo {
        SnapshotInfo {
            location: format!("s3://b/demo/{name}.db"),
            sha256: "a".repeat(64),
            size_bytes: 2_500_000,
            revision: i64::from(minute),
            etcd_version: "3.5.1".into(),
            member: None,
            completed_at: Some(Time(at(&format!("2025-01-01T00:{minute:02}:00Z")))),
        }
    }

    fn backup(name: &str, cluster: &str, status: EtcdBackupStatus) -> EtcdBackup {
        let mut b: EtcdBackup = serde_json::from_value(json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdBackup", "metadata": {"name": name},
            "spec": {"clusterName": cluster, "destination": {"url": "s3://b"}}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        b.status = Some(status);
        b
    }

    #[test]
    fn snapshots_of_the_cluster_newest_first() {
        let scheduled = EtcdBackupStatus {
            phase: Some(BackupPhase::Succeeded),
            snapshot: Some(info("s3", 30)),
            retained: vec![info("s3", 30), info("s2", 20)],
            ..EtcdBackupStatus::default()
        };
        let once = EtcdBackupStatus {
            phase: Some(BackupPhase::Succeeded),
            snapshot: Some(info("once", 25)),
            ..EtcdBackupStatus::default()
        };
        let failed = EtcdBackupStatus {
            phase: Some(BackupPhase::Failed),
            reason: Some("StoreUnreachable".into()),
            ..EtcdBackupStatus::default()
        };
        let backups = [
            backup("nightly", "demo", scheduled),
            backup("once", "demo", once),
            backup("bad", "demo", failed),
            backup("other", "prod", EtcdBackupStatus::default()),
        ];
        let rows = rows(&backups, "demo");
        let order: Vec<(&str, Option<i64>)> =
            rows.iter().map(|r| (r.backup.as_str(), r.snapshot.as_ref().map(|s| s.revision))).collect();
        assert_eq!(order, [("nightly", Some(30)), ("once", Some(25)), ("nightly", Some(20)), ("bad", None)]);
        let text = render(&rows, true, at("2025-01-01T01:00:00Z"));
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("BACKUP ") && lines[0].contains(" PHASE ") && lines[0].ends_with("LOCATION"),
            "{text}"
        );
        assert!(
            lines[1].contains("2.5 MB")
                && lines[1].contains("30m")
                && lines[1].ends_with("s3://b/demo/s3.db"),
            "{text}"
        );
        assert!(lines[4].ends_with("StoreUnreachable"), "{text}");
    }
}
