//! `kubectl etcd backup NAME [--to URL] [--wait]`: asks the operator for a snapshot (an
//! EtcdBackup) and, with `--wait`, follows it to the end. `--download FILE` instead streams a
//! snapshot through the Kubernetes API to a local file (see `download`). On a terminal,
//! without `--yes`, a missing destination is chosen (the cluster's configured one, a URL or a
//! local file), and where the snapshot goes is shown and confirmed first.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use shared::crd::{BackupPhase, EtcdBackup, EtcdBackupSpec, EtcdCluster, StorageLocation};

use super::store_flags::StoreFlags;
use crate::client::{ApiError, ConnectError, Connection, KubeArgs, describe, is_invalid, parse_duration};
use crate::download::{self, DownloadError};
use crate::exit::Outcome;
use crate::output::table::human_bytes;
use crate::prompt::{self, PromptError};
use crate::wait;

/// Back up a cluster now.
#[derive(clap::Args)]
#[command(mut_group("StoreFlags", |group| group.requires("to")))]
#[command(after_help = "Examples:\n  \
    kubectl etcd backup demo --to s3://backups/etcd --credentials-secret s3-creds --wait\n  \
    kubectl etcd backup demo --wait                     # to the cluster's spec.backup.destination\n  \
    kubectl etcd backup demo --download demo.db -o json  # to this machine, through the API\n  \
    kubectl etcd backup demo                            # on a terminal: choose where, see it, confirm\n\n\
    On a terminal without --yes, a missing destination is chosen from the cluster's \
    spec.backup.destination, a URL or a local file, and where the snapshot goes is shown and \
    confirmed (declining or Ctrl-C exits 8 and changes nothing). Without a terminal, a cluster \
    without spec.backup.destination needs --to or --download (exit 2). --download writes FILE.part, fsyncs and checks it, then renames it to FILE: an interrupted \
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

    /// Back up without showing where or asking.
    #[arg(short = 'y', long)]
    yes: bool,

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
    /// A question could not be asked.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// A TLS cluster's client credentials could not be read.
    #[error(transparent)]
    Credentials(#[from] crate::credentials::CredentialsReadError),
}

/// What the command says when the person stops it.
const NOT_DONE: &str = "not backed up";

/// Where the snapshot goes.
#[derive(Clone, Debug, PartialEq)]
enum Destination {
    /// An EtcdBackup that the operator stores there.
    Store(StorageLocation),
    /// A download through the Kubernetes API to this local file.
    Download(PathBuf),
}

/// A destination URL as the flags and the API server take it: `Err` says what is wrong.
fn check_url(cluster: &str, store: &StoreFlags, url: &str) -> Result<StorageLocation, String> {
    let location = store.location(url.trim());
    let backup = EtcdBackup::new(
        &default_name(cluster, Timestamp::now()),
        EtcdBackupSpec {
            cluster_name: cluster.to_string(),
            destination: location.clone(),
            schedule: None,
            retention: None,
            suspend: false,
        },
    );
    super::validate::as_the_api_server_would(&backup)?;
    Ok(location)
}

/// A local file to download to: a path whose folder exists, not a folder itself.
fn check_file(answer: &str) -> Result<PathBuf, String> {
    let path = PathBuf::from(answer.trim());
    if answer.trim().is_empty() {
        return Err("give a file name, e.g. demo.db".to_string());
    }
    if path.is_dir() {
        return Err(format!("{} is a folder: give a file name in it", path.display()));
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    if !folder.is_dir() {
        return Err(format!("the folder {} does not exist", folder.display()));
    }
    Ok(path)
}

/// Asks where the snapshot of `cluster` goes: its configured destination, a URL, or a file.
async fn choose_destination(cluster: &EtcdCluster, name: &str, args: &Args) -> prompt::Answer<Destination> {
    let configured = cluster.spec.backup.as_ref().map(|b| b.destination.clone());
    let mut items = Vec::new();
    if let Some(location) = &configured {
        items.push(format!("the cluster's destination (spec.backup.destination): {}", location.url));
    }
    items.push("a URL: s3://, gs://, az:// or file:// (a volume of the operator)".to_string());
    items.push("a file on this machine (downloaded through the Kubernetes API)".to_string());
    let question = format!("Where should the snapshot of etcdcluster {name} go");
    let chosen = match prompt::answer(prompt::choose(question, items, 0).await, NOT_DONE)? {
        std::ops::ControlFlow::Continue(index) => index + usize::from(configured.is_none()),
        std::ops::ControlFlow::Break(outcome) => return Ok(std::ops::ControlFlow::Break(outcome)),
    };
    Ok(match (chosen, configured) {
        (0, Some(location)) => std::ops::ControlFlow::Continue(Destination::Store(location)),
        (1, _) => {
            let (cluster, store) = (name.to_string(), args.store.clone());
            let check = move |answer: &str| check_url(&cluster, &store, answer);
            prompt::answer(prompt::text("Destination URL".into(), None, check).await, NOT_DONE)?
                .map_continue(Destination::Store)
        }
        _ => {
            let default = format!("{}.db", default_name(name, Timestamp::now()));
            prompt::answer(
                prompt::text("Local file".into(), Some(default), |a: &str| check_file(a)).await,
                NOT_DONE,
            )?
            .map_continue(Destination::Download)
        }
    })
}

/// What is shown before the confirmation: where the snapshot goes and what is recorded.
fn preview_text(cluster: &str, namespace: &str, destination: &Destination, backup_name: &str) -> String {
    match destination {
        Destination::Store(location) => {
            let credentials = location.credentials_secret.as_ref().map_or_else(
                || " with the store's ambient credentials".to_string(),
                |s| format!(" with the credentials of Secret {s}"),
            );
            format!(
                "Back up etcdcluster {cluster} in namespace {namespace}:\n  to {}{credentials}\n  as \
                 etcdbackup/{backup_name}: the operator snapshots the member with the highest revision and records \
                 the snapshot's size, revision, etcd version and SHA-256\n",
                location.url
            )
        }
        Destination::Download(file) => format!(
            "Back up etcdcluster {cluster} in namespace {namespace}:\n  to {} on this machine, through the \
             Kubernetes API (written to {}.part, checked, then renamed; nothing is created in the cluster)\n",
            file.display(),
            file.display()
        ),
    }
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
    let asking = prompt::may_ask(args.yes);
    if let (Some(file), false) = (&args.download, asking) {
        return download_to(&connection, args, file).await;
    }
    let cluster = connection.get(&args.name).await?;
    let destination = match (&args.download, destination(args)) {
        (Some(file), _) => Destination::Download(file.clone()),
        (None, Some(location)) => Destination::Store(location),
        (None, None) if asking => prompt::answered!(choose_destination(&cluster, &args.name, args).await),
        (None, None) => match cluster.spec.backup.map(|b| b.destination) {
            Some(configured) => Destination::Store(configured),
            None => {
                return Ok(prompt::missing_argument(&format!(
                    "--to <URL> (etcdcluster {} has no spec.backup.destination), or --download <FILE>",
                    args.name
                )));
            }
        },
    };
    let name = args.backup_name.clone().unwrap_or_else(|| default_name(&args.name, Timestamp::now()));
    if asking {
        eprint!("{}", preview_text(&args.name, &connection.namespace, &destination, &name));
        let question = format!("Back up etcdcluster {} now?", args.name);
        prompt::answered!(prompt::go_ahead(question, true, NOT_DONE).await);
    }
    let destination = match destination {
        Destination::Download(file) => return download_to(&connection, args, &file).await,
        Destination::Store(location) => location,
    };
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
    let cluster = connection.get(&args.name).await?;
    let tls = crate::credentials::read(&connection.client, &connection.namespace, &cluster).await?;
    let started = Instant::now();
    match download::download(&connection.client, &connection.namespace, &args.name, file, tls.as_ref()).await
    {
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
    fn destinations_are_checked_as_the_api_server_checks_them() {
        let store = StoreFlags::default();
        assert_eq!(check_url("demo", &store, " s3://b/etcd ").map(|l| l.url), Ok("s3://b/etcd".to_string()));
        let wrong = check_url("demo", &store, "http://b").expect_err("not a store URL");
        assert!(wrong.contains("should match"), "{wrong}");
        assert!(check_file("").is_err());
        assert!(check_file("/nonexistent-dir/x.db").expect_err("no folder").contains("does not exist"));
        assert!(check_file("/tmp").expect_err("a folder").contains("is a folder"));
        assert_eq!(check_file("x.db"), Ok(PathBuf::from("x.db")));
        let preview = preview_text("demo", "prod", &Destination::Download(PathBuf::from("d.db")), "unused");
        assert!(preview.contains("to d.db on this machine") && preview.contains("d.db.part"), "{preview}");
    }

    #[test]
    fn default_names_are_valid_object_names() {
        let now: Timestamp = "2025-03-04T05:06:07Z".parse().unwrap();
        assert_eq!(default_name("demo", now), "demo-20250304-050607");
    }
}
