//! `kubectl etcd backups [NAME]`: the backups of a cluster (or of every cluster, in one
//! namespace or all), newest first, with each stored snapshot's size, revision, etcd
//! version, age and location.

use k8s_openapi::jiff::Timestamp;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use shared::crd::{EtcdBackup, SnapshotInfo, StorageLocation};

use crate::client::{ConnectError, Connection, KubeArgs, describe};
use crate::exit::Outcome;
use crate::output::color::{Palette, Tone};
use crate::output::format::{self, TableFormat};
use crate::output::structured;
use crate::output::table::{self, NONE, age, human_bytes};

/// List the backups of a cluster, or of every cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd backups demo\n  \
    kubectl etcd backups demo -o wide               # adds MEMBER and SHA256\n  \
    kubectl etcd backups -A                         # every cluster's, in every namespace\n  \
    kubectl etcd backups demo -o json | jq '.[0].snapshot.location'\n  \
    kubectl etcd backups demo -o name | xargs kubectl describe")]
pub struct Args {
    /// Name of the EtcdCluster; without it, the backups of every cluster.
    name: Option<String>,

    /// List the backups of every namespace.
    #[arg(short = 'A', long)]
    all_namespaces: bool,

    /// wide adds MEMBER and SHA256; json and yaml print the rows as an array, newest
    /// first; name prints etcdbackup/NAME lines.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<TableFormat>,

    /// Leave out the header line of the table.
    #[arg(long)]
    no_headers: bool,
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
    namespace: String,
    cluster: String,
    backup: String,
    phase: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    snapshot: Option<SnapshotInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

/// The backups of the cluster `cluster` (every cluster's for `None`).
fn of_cluster<'a>(
    backups: &'a [EtcdBackup],
    cluster: Option<&'a str>,
) -> impl Iterator<Item = &'a EtcdBackup> {
    backups.iter().filter(move |b| cluster.is_none_or(|name| b.spec.cluster_name == name))
}

/// Every stored snapshot of the backups (the newest and, for schedules, the retained
/// ones), newest first; backups with none yet show their phase.
fn rows<'a>(backups: impl Iterator<Item = &'a EtcdBackup>) -> Vec<Row> {
    let mut rows = Vec::new();
    for backup in backups {
        let status = backup.status.clone().unwrap_or_default();
        let phase = status.phase.map_or_else(|| "Pending".to_string(), |p| format!("{p:?}"));
        let mut snapshots: Vec<SnapshotInfo> = status.retained.clone();
        if let Some(newest) = &status.snapshot
            && !snapshots.iter().any(|s| s.location == newest.location)
        {
            snapshots.insert(0, newest.clone());
        }
        let row = |snapshot: Option<SnapshotInfo>, reason: Option<String>| Row {
            namespace: backup.namespace().unwrap_or_default(),
            cluster: backup.spec.cluster_name.clone(),
            backup: backup.name_any(),
            phase: phase.clone(),
            snapshot,
            reason,
        };
        if snapshots.is_empty() {
            rows.push(row(None, status.reason.clone()));
        }
        rows.extend(snapshots.into_iter().map(|snapshot| row(Some(snapshot), None)));
    }
    rows.sort_by(|a, b| {
        let time = |r: &Row| r.snapshot.as_ref().and_then(|s| s.completed_at.as_ref()).map(|t| t.0);
        time(b).cmp(&time(a)).then_with(|| (&a.namespace, &a.backup).cmp(&(&b.namespace, &b.backup)))
    });
    rows
}

/// A stored snapshot a restore can start from, newest first: the backup that recorded it,
/// where it is, and whether it is that backup's newest (which `restore --from BACKUP` takes).
pub(crate) struct Restorable {
    /// The EtcdBackup.
    pub backup: String,
    /// The cluster it backs up.
    pub cluster: String,
    /// What was recorded about the snapshot.
    pub snapshot: SnapshotInfo,
    /// Whether it is the backup's newest snapshot.
    pub newest: bool,
    /// The backup's destination (its store options and credentials), to read it from.
    pub destination: StorageLocation,
}

/// Every stored snapshot of `backups`, newest first, as [`Restorable`]s.
pub(crate) fn restorable(backups: &[EtcdBackup]) -> Vec<Restorable> {
    rows(backups.iter())
        .into_iter()
        .filter_map(|row| {
            let backup = backups.iter().find(|b| b.name_any() == row.backup)?;
            let snapshot = row.snapshot?;
            let newest = backup.status.as_ref().and_then(|s| s.snapshot.as_ref()).map(|s| &s.location)
                == Some(&snapshot.location);
            Some(Restorable {
                backup: row.backup,
                cluster: row.cluster,
                snapshot,
                newest,
                destination: backup.spec.destination.clone(),
            })
        })
        .collect()
}

/// The EtcdBackups of the connection's namespace.
pub(crate) async fn of_namespace(connection: &Connection) -> Result<Vec<EtcdBackup>, String> {
    let api: Api<EtcdBackup> = Api::namespaced(connection.client.clone(), &connection.namespace);
    Ok(api
        .list(&ListParams::default())
        .await
        .map_err(|e| format!("cannot list etcdbackups: {}", describe(&e)))?
        .items)
}

/// Which columns and whether the header line is shown.
#[derive(Clone, Copy)]
struct View {
    /// NAMESPACE first (with -A).
    namespace: bool,
    /// CLUSTER (when no cluster was named).
    cluster: bool,
    /// MEMBER and SHA256 at the end.
    wide: bool,
    headers: bool,
}

/// The table; failed backups painted bad.
fn render(rows: &[Row], view: View, now: Timestamp, palette: Palette) -> String {
    let mut columns = vec!["BACKUP", "PHASE", "SIZE", "REVISION", "VERSION", "AGE", "LOCATION"];
    if view.cluster {
        columns.insert(0, "CLUSTER");
    }
    if view.namespace {
        columns.insert(0, "NAMESPACE");
    }
    if view.wide {
        columns.extend(["MEMBER", "SHA256"]);
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = match &row.snapshot {
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
            };
            if view.cluster {
                cells.insert(0, row.cluster.clone());
            }
            if view.namespace {
                cells.insert(0, row.namespace.clone());
            }
            if view.wide {
                let snapshot = row.snapshot.as_ref();
                cells.push(snapshot.and_then(|s| s.member.clone()).unwrap_or_else(|| NONE.into()));
                cells.push(snapshot.map_or_else(|| NONE.into(), |s| s.sha256.clone()));
            }
            cells
        })
        .collect();
    let failed = |at: usize| rows.get(at).filter(|r| r.phase == "Failed").map(|_| Tone::Bad);
    table::render_toned(view.headers.then_some(columns.as_slice()), &cells, failed, palette)
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args, palette: Palette) -> Result<Outcome, BackupsError> {
    let connection = Connection::open(kube).await?;
    let api: Api<EtcdBackup> = if args.all_namespaces {
        Api::all(connection.client.clone())
    } else {
        Api::namespaced(connection.client.clone(), &connection.namespace)
    };
    let backups = api.list(&ListParams::default()).await.map_err(|e| BackupsError::Api(describe(&e)))?.items;
    let cluster = args.name.as_deref();
    let rows = rows(of_cluster(&backups, cluster));
    if let Some(structured) = args.output.and_then(TableFormat::structured) {
        print!("{}", structured::render(&rows, structured).map_err(BackupsError::Print)?);
    } else if args.output == Some(TableFormat::Name) {
        print!("{}", format::names("etcdbackup", of_cluster(&backups, cluster).map(ResourceExt::name_any)));
    } else if rows.is_empty() {
        let place = if args.all_namespaces {
            String::new()
        } else {
            format!(" in namespace {}", connection.namespace)
        };
        match cluster {
            Some(name) => eprintln!("No backups of etcdcluster {name}{place}."),
            None => eprintln!("No etcdbackups found{place}."),
        }
    } else {
        let view = View {
            namespace: args.all_namespaces,
            cluster: cluster.is_none(),
            wide: args.output == Some(TableFormat::Wide),
            headers: !args.no_headers,
        };
        print!("{}", render(&rows, view, Timestamp::now(), palette));
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
        text.parse().unwrap()
    }

    fn info(name: &str, minute: u32) -> SnapshotInfo {
        SnapshotInfo {
            location: format!("s3://b/demo/{name}.db"),
            sha256: "a".repeat(64),
            size_bytes: 2_500_000,
            revision: i64::from(minute),
            etcd_version: "3.5.30".into(),
            member: None,
            completed_at: Some(Time(at(&format!("2025-01-01T00:{minute:02}:00Z")))),
        }
    }

    fn backup(name: &str, cluster: &str, status: EtcdBackupStatus) -> EtcdBackup {
        let mut b: EtcdBackup = serde_json::from_value(json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdBackup", "metadata": {"name": name},
            "spec": {"clusterName": cluster, "destination": {"url": "s3://b"}}
        }))
        .unwrap();
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
        let rows = rows(of_cluster(&backups, Some("demo")));
        let order: Vec<(&str, Option<i64>)> =
            rows.iter().map(|r| (r.backup.as_str(), r.snapshot.as_ref().map(|s| s.revision))).collect();
        assert_eq!(order, [("nightly", Some(30)), ("once", Some(25)), ("nightly", Some(20)), ("bad", None)]);
        let view = View { namespace: false, cluster: false, wide: false, headers: true };
        let text = render(&rows, view, at("2025-01-01T01:00:00Z"), Palette::PLAIN);
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

    #[test]
    fn every_cluster_in_every_namespace_and_wide_columns() {
        let mut snapshot = info("s3", 30);
        snapshot.member = Some("demo-1".into());
        let done = EtcdBackupStatus {
            phase: Some(BackupPhase::Succeeded),
            snapshot: Some(snapshot),
            ..EtcdBackupStatus::default()
        };
        let mut nightly = backup("nightly", "demo", done);
        nightly.metadata.namespace = Some("team-a".into());
        let mut pending = backup("other", "prod", EtcdBackupStatus::default());
        pending.metadata.namespace = Some("team-b".into());
        let backups = [nightly, pending];
        let rows = rows(of_cluster(&backups, None));
        let view = View { namespace: true, cluster: true, wide: true, headers: true };
        let text = render(&rows, view, at("2025-01-01T01:00:00Z"), Palette::PLAIN);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAMESPACE   CLUSTER   BACKUP "), "{text}");
        assert!(lines[0].ends_with("LOCATION            MEMBER   SHA256"), "{text}");
        assert!(lines[1].starts_with("team-a      demo      nightly "), "{text}");
        assert!(lines[1].ends_with(&format!("demo-1   {}", "a".repeat(64))), "{text}");
        assert!(lines[2].starts_with("team-b      prod      other     Pending "), "{text}");
        assert!(lines[2].ends_with("<none>   <none>"), "{text}");
        assert_eq!(of_cluster(&backups, Some("prod")).count(), 1);
    }
}
