//! `kubectl etcd backup NAME [--to URL] [--wait]`: asks the operator for a snapshot (an
//! EtcdBackup) and, with `--wait`, follows it to the end. `--download FILE` instead streams a
//! snapshot through the Kubernetes API to a local file (see `download`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use shared::crd::{BackupPhase, EtcdBackup, EtcdBackupSpec, StorageLocation};

use super::store_flags::StoreFlags;
use crate::client::{ApiError, ConnectError, Connection, KubeArgs, describe, is_invalid, parse_duration};
use crate::download::{self, DownloadError};
use crate::exit::Outcome;
use crate::output::table::human_bytes;
use crate::wait;

/// Back up a cluster now.
#[derive(clap::Args)]
#[command(mut_group("StoreFlags", |group| group.requires("to")))]
#[command(after_help = "Examples:\n  \
    kubectl etcd backup demo --to s3://backups/etcd --credentials-secret s3-creds --wait\n  \
    kubectl etcd backup demo --wait                     # to the cluster's spec.backup.destination\n  \
    kubectl etcd backup demo --download demo.db -o json  # to this machine, through the API\n\n\
    --download writes FILE.part, fsyncs and checks it, then renames it to FILE: an interrupted \
    download leaves no FILE. Exit codes: 0 stored, 1 error, 3 refused, 5 no member answers, \
    6 --wait timed out, 7 the local file could not be written.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Where to store the snapshot: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix
    /// or file:///path (a volume of the operator). Defaults to the cluster's
    /// spec.backup.destination.
    #[arg(long, value_name = "URL", conflicts_with = "download")]
    to: Option<String>,

    #[command(flatten)]
    store: StoreFlags,

    /// Name of the EtcdBackup to create (default: <cluster>-<UTC time>).
    #[arg(long, value_name = "NAME", conflicts_with = "download")]
    backup_name: Option<String>,

    /// Wait until the snapshot is stored (or failed).
    #[arg(long, conflicts_with = "download")]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 10m.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    timeout: Duration,

    /// Stream a snapshot to this local file through the Kubernetes API instead.
    #[arg(long, value_name = "FILE")]
    download: Option<PathBuf>,

    /// json prints the EtcdBackup (or, with --download, what was written) as JSON.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<Format>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Json,
}

/// Why the backup could not be requested.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The cluster could not be read.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The EtcdBackup could not be created or read.
    #[error("{0}")]
    Backup(String),
    /// The operator reported a failure.
    #[error("backup {name} failed: {reason}: {message}")]
    Failed {
        /// The EtcdBackup.
        name: String,
        /// Its reason.
        reason: String,
        /// Its message.
        message: String,
    },
    /// Printing failed.
    #[error("cannot print: {0}")]
    Print(String),
}

/// The destination the flags name.
fn destination(args: &Args) -> Option<StorageLocation> {
    args.to.as_deref().map(|url| args.store.location(url))
}

/// `<cluster>-<UTC time>`, a valid object name.
fn default_name(cluster: &str, now: Timestamp) -> String {
    format!("{cluster}-{}", now.strftime("%Y%m%d-%H%M%S"))
}

/// A one-line account of a stored snapshot.
fn stored_line(name: &str, info: &shared::crd::SnapshotInfo, took: Duration) -> String {
    format!(
        "etcdbackup/{name}: {} ({} bytes) at revision {} from {} (etcd {}) in {:.1}s\n  location {}\n  sha256   {}",
        human_bytes(info.size_bytes),
        info.size_bytes,
        info.revision,
        info.member.as_deref().unwrap_or("?"),
        info.etcd_version,
        took.as_secs_f64(),
        info.location,
        info.sha256
    )
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, BackupError> {
    let connection = Connection::open(kube).await?;
    if let Some(file) = &args.download {
        return download_to(&connection, args, file).await;
    }
    let cluster = connection.get(&args.name).await?;
    let Some(destination) = destination(args).or(cluster.spec.backup.map(|b| b.destination)) else {
        eprintln!(
            "refused: etcdcluster {} has no spec.backup.destination: give --to URL; nothing was changed",
            args.name
        );
        return Ok(Outcome::Refused);
    };
    let name = args.backup_name.clone().unwrap_or_else(|| default_name(&args.name, Timestamp::now()));
    let backup = EtcdBackup::new(
        &name,
        EtcdBackupSpec {
            cluster_name: args.name.clone(),
            destination,
            schedule: None,
            retention: None,
            suspend: false,
        },
    );
    let backups: Api<EtcdBackup> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let started = Instant::now();
    match backups.create(&PostParams::default(), &backup).await {
        Ok(_) => eprintln!("etcdbackup/{name} created"),
        Err(e) if is_invalid(&e) => {
            eprintln!("refused: {}; nothing was changed", describe(&e));
            return Ok(Outcome::Refused);
        }
        Err(e) => {
            return Err(BackupError::Backup(format!("cannot create etcdbackup {name}: {}", describe(&e))));
        }
    }
    if !args.wait {
        return Ok(Outcome::Success);
    }
    let backup = wait::until_final(&connection, backups, &name, started, args.timeout)
        .await
        .map_err(BackupError::Backup)?;
    let Some(backup) = backup else { return Ok(Outcome::TimedOut) };
    let status = backup.status.clone().unwrap_or_default();
    if args.output == Some(Format::Json) {
        println!("{}", serde_json::to_string_pretty(&backup).map_err(|e| BackupError::Print(e.to_string()))?);
    }
    match (status.phase, status.snapshot) {
        (Some(BackupPhase::Succeeded), Some(info)) => {
            if args.output.is_none() {
                println!("{}", stored_line(&name, &info, started.elapsed()));
            }
            Ok(Outcome::Success)
        }
        _ => {
            let reason = status.reason.unwrap_or_default();
            let message = status.message.unwrap_or_default();
            if reason == "NoHealthyMember" {
                eprintln!("backup {name} failed: {reason}: {message}");
                return Ok(Outcome::Unavailable);
            }
            Err(BackupError::Failed { name, reason, message })
        }
    }
}

async fn download_to(
    connection: &Connection,
    args: &Args,
    file: &std::path::Path,
) -> Result<Outcome, BackupError> {
    // The cluster must exist: "not found" is an error, not an unavailable cluster.
    connection.get(&args.name).await?;
    let started = Instant::now();
    match download::download(&connection.client, &connection.namespace, &args.name, file).await {
        Ok(done) => {
            if args.output == Some(Format::Json) {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&done).map_err(|e| BackupError::Print(e.to_string()))?
                );
            } else {
                println!(
                    "{}: {} ({} bytes) at revision {} from {} (etcd {}) in {:.1}s\n  sha256 {}",
                    done.file,
                    human_bytes(i64::try_from(done.size_bytes).unwrap_or(i64::MAX)),
                    done.size_bytes,
                    done.revision,
                    done.member,
                    done.etcd_version,
                    started.elapsed().as_secs_f64(),
                    done.sha256
                );
            }
            Ok(Outcome::Success)
        }
        Err(error @ DownloadError::Unavailable { .. }) => {
            eprintln!("error: {error}");
            Ok(Outcome::Unavailable)
        }
        Err(error @ (DownloadError::Io { .. } | DownloadError::Interrupted(..))) => {
            eprintln!("error: {error}");
            Ok(Outcome::IoFailed)
        }
        Err(error) => Err(BackupError::Backup(error.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_valid_object_names() {
        let now: Timestamp = "2025-03-04T05:06:07Z".parse().unwrap();
        assert_eq!(default_name("demo", now), "demo-20250304-050607");
    }
}
