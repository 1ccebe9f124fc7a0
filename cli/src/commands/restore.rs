//! `kubectl etcd restore NEWNAME --from BACKUP|URL|FILE [--size N] [--version V] [--wait]`:
//! creates an EtcdRestore; the operator checks the snapshot, then creates the cluster NEWNAME
//! seeded from it. A local FILE is checked here, then uploaded to the seed member. On a
//! terminal, without `--yes`, a missing source is chosen from the namespace's backups, a URL
//! or a local file, then the size and version (with their defaults); what will be checked
//! and the new cluster are shown and confirmed before anything is created.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use std::path::PathBuf;

use kube::api::PostParams;
use kube::{Api, ResourceExt};
use shared::crd::{
    DEFAULT_SIZE, EtcdBackup, EtcdRestore, EtcdRestoreSpec, RestorePhase, SnapshotInfo, SnapshotSource,
    StorageLocation, StorageSpec, TlsSpec,
};
use shared::plan::preview::ScalePreview;
use shared::snapshot::SnapshotDigest;
use shared::version::{EtcdVersion, default_version, restored_cluster_version};

use super::store_flags::StoreFlags;
use crate::client::{ConnectError, Connection, KubeArgs, describe, is_invalid, parse_duration};
use crate::exit::Outcome;
use crate::output::table::human_bytes;
use crate::prompt::{self, PromptError};
use crate::wait;

/// What the command says when the person stops it.
const NOT_DONE: &str = "not restored";

/// Create a new cluster from a snapshot.
#[derive(clap::Args, Clone)]
#[command(after_help = "Examples:\n  \
    kubectl etcd restore demo2 --from demo-20250101-020000 --wait      # an EtcdBackup\n  \
    kubectl etcd restore demo2 --from s3://backups/etcd/demo/x.db --version 3.5.30 \\\n      \
    --credentials-secret s3-creds --s3-endpoint http://minio:9000 --s3-path-style --size 3 --wait\n\n\
    kubectl etcd restore demo2 --from ./demo.db --version 3.5.30 --wait  # a local file\n\n\
    kubectl etcd restore demo2      # on a terminal: choose a backup, the size and version, confirm\n\n\
    On a terminal without --yes, what the flags leave out is asked: the snapshot (from the \
    namespace's backups, a URL or a local file), the size (default 3) and the version (default: \
    the snapshot's); what will be checked and the new cluster are shown and confirmed (declining \
    or Ctrl-C exits 8 and creates nothing). Without a terminal --from is required (exit 2). The snapshot is checked (its SHA-256 and etcd's own hash) before anything is created: a \
    missing or damaged snapshot fails the restore with a reason and creates no cluster. A local \
    FILE (a path with a '/', or a file that exists) is checked here, then uploaded through the \
    API server to the new cluster's first member, which checks it again; run the same command \
    again to resume an interrupted upload.")]
pub struct Args {
    /// Name of the new EtcdCluster.
    name: String,

    /// An EtcdBackup name (its newest snapshot), a snapshot URL (s3://, gs://, az://; the
    /// members fetch it, so a file:// path is refused in a cluster: copy it here and give
    /// the FILE), or a local snapshot FILE to upload. Chosen on a terminal when left out.
    #[arg(long, value_name = "BACKUP|URL|FILE")]
    from: Option<String>,

    /// Number of voting members of the new cluster (1 to 9; default 3, asked on a terminal).
    #[arg(long)]
    size: Option<i32>,

    /// etcd version of the new cluster (default: the snapshot's, when the backup recorded it;
    /// for a FILE, the newest supported version, which also restores snapshots of the minor
    /// before it). Asked on a terminal when left out.
    #[arg(long)]
    version: Option<String>,

    /// Expected SHA-256 of the snapshot file.
    #[arg(long)]
    sha256: Option<String>,

    #[command(flatten)]
    store: StoreFlags,

    /// Name of the EtcdRestore (default: restore-<NEWNAME>).
    #[arg(long, value_name = "NAME")]
    restore_name: Option<String>,

    /// Serve TLS in the new cluster, with certificates the operator issues (its spec.tls).
    #[arg(long)]
    tls: bool,

    /// Restore without asking or showing what will be created.
    #[arg(short = 'y', long)]
    yes: bool,

    /// Wait until the new cluster runs at its size (or the restore fails).
    #[arg(long)]
    wait: bool,

    /// How long --wait waits.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = parse_duration)]
    timeout: Duration,
}

/// Why the restore could not be requested.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused or failed.
    #[error("{0}")]
    Api(String),
    /// The snapshot file could not be uploaded.
    #[error(transparent)]
    Upload(#[from] crate::upload::UploadError),
    /// A question could not be asked.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The operator reported a failure.
    #[error("restore {name} failed: {reason}: {message}")]
    Failed {
        /// The EtcdRestore.
        name: String,
        /// Its reason.
        reason: String,
        /// Its message.
        message: String,
    },
}

/// What `--from` names.
#[derive(Debug, PartialEq)]
enum From<'a> {
    /// An EtcdBackup.
    Backup(&'a str),
    /// A snapshot URL.
    Url(&'a str),
    /// A local file.
    File(&'a std::path::Path),
}

/// A URL has a scheme; a FILE has a '/' or exists; anything else names an EtcdBackup (whose
/// name cannot hold a '/').
fn from_of(text: &str) -> From<'_> {
    let path = std::path::Path::new(text);
    if text.contains("://") {
        From::Url(text)
    } else if text.contains('/') || path.is_file() {
        From::File(path)
    } else {
        From::Backup(text)
    }
}

/// The snapshot to restore, once a FILE was checked here.
enum Snapshot {
    /// An EtcdBackup (its newest snapshot).
    Backup(String),
    /// A snapshot URL.
    Url(String),
    /// A checked local file, to upload.
    Upload(PathBuf, SnapshotDigest),
    /// A snapshot a backup retained (not its newest), where that backup stored it.
    Retained(Box<(StorageLocation, SnapshotInfo)>),
}

/// The `source` of the EtcdRestore.
fn source(args: &Args, snapshot: &Snapshot) -> SnapshotSource {
    match snapshot {
        Snapshot::Upload(_, digest) => {
            SnapshotSource { backup: None, location: None, upload: true, sha256: Some(digest.sha256.clone()) }
        }
        Snapshot::Url(url) => SnapshotSource {
            backup: None,
            location: Some(args.store.location(url)),
            upload: false,
            sha256: args.sha256.clone(),
        },
        Snapshot::Backup(name) => SnapshotSource {
            backup: Some(name.clone()),
            location: None,
            upload: false,
            sha256: args.sha256.clone(),
        },
        Snapshot::Retained(retained) => SnapshotSource {
            backup: None,
            location: Some(retained.0.clone()),
            upload: false,
            sha256: Some(retained.1.sha256.clone()),
        },
    }
}

/// The EtcdRestore to create. An uploaded FILE gets the newest supported version unless
/// `--version` names one (the operator cannot read a version from it before it arrives).
fn restore_object(args: &Args, snapshot: &Snapshot) -> EtcdRestore {
    let name = restore_name(args);
    let version = match &args.version {
        Some(version) => Some(version.clone()),
        None if matches!(snapshot, Snapshot::Upload(..)) => {
            Some(shared::version::default_version().to_string())
        }
        None => None,
    };
    EtcdRestore::new(
        &name,
        EtcdRestoreSpec {
            cluster_name: args.name.clone(),
            source: source(args, snapshot),
            size: args.size.unwrap_or(DEFAULT_SIZE),
            version,
            storage: StorageSpec::default(),
            tls: args.tls.then(TlsSpec::default),
        },
    )
}

/// `--restore-name`, else `restore-<NEWNAME>`.
fn restore_name(args: &Args) -> String {
    args.restore_name.clone().unwrap_or_else(|| format!("restore-{}", args.name))
}

/// Checks a local FILE: a sound snapshot with the `--sha256` given, if one was.
async fn check_file(path: &std::path::Path, expected: Option<&str>) -> Result<SnapshotDigest, String> {
    let digest = crate::upload::check(path).await.map_err(|e| e.to_string())?;
    match digest.problem(expected) {
        Some(problem) => Err(format!("{} cannot be restored: {problem}", path.display())),
        None => Ok(digest),
    }
}

/// Runs the command: resolves `--from` (checking a FILE here) or, on a terminal, asks for
/// what the flags left out and confirms; creates the EtcdRestore, uploads a FILE, and with
/// `--wait` follows the restore to its end.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, RestoreError> {
    if let Some(reason) = args.version.as_deref().and_then(refuse_version) {
        eprintln!("refused: {reason}; nothing was changed");
        return Ok(Outcome::Refused);
    }
    let asking = prompt::may_ask(args.yes);
    let given = match (&args.from, asking) {
        (Some(from), _) => match resolve(from, args.sha256.as_deref()).await {
            ControlFlow::Continue(snapshot) => Some(snapshot),
            ControlFlow::Break(outcome) => return Ok(outcome),
        },
        (None, true) => None,
        (None, false) => return Ok(prompt::missing_argument("--from <BACKUP|URL|FILE>")),
    };
    let connection = Connection::open(kube).await?;
    let mut args = args.clone();
    let snapshot = if asking {
        let backups = super::backups::of_namespace(&connection).await.map_err(RestoreError::Api)?;
        let snapshot = match given {
            Some(snapshot) => snapshot,
            None => prompt::answered!(choose_source(&backups, &args, &connection.namespace).await),
        };
        let recorded = recorded(&backups, &snapshot);
        if args.size.is_none() {
            let question = format!("Members of the new etcdcluster {}", args.name);
            let size = prompt::answered!(
                super::scale::choose_size(question, DEFAULT_SIZE, "default", NOT_DONE).await
            );
            args.size = Some(size);
        }
        if args.version.is_none() {
            args.version = Some(prompt::answered!(choose_version(recorded.as_ref()).await));
        }
        eprint!("{}", preview_text(&args, &connection.namespace, &snapshot, recorded.as_ref()));
        let question = format!("Restore into the new etcdcluster {} now?", args.name);
        prompt::answered!(prompt::go_ahead(question, true, NOT_DONE).await);
        snapshot
    } else {
        given.ok_or_else(|| RestoreError::Api("no snapshot to restore".to_string()))?
    };
    let args = &args;
    let restore = restore_object(args, &snapshot);
    let api: Api<EtcdRestore> = Api::namespaced(connection.client.clone(), &connection.namespace);
    let started = Instant::now();
    if let ControlFlow::Break(outcome) = create(&api, &restore, &snapshot).await? {
        return Ok(outcome);
    }
    if let Snapshot::Upload(path, digest) = &snapshot {
        upload(&connection, args, path, digest, started).await?;
    }
    if !args.wait {
        return Ok(Outcome::Success);
    }
    wait(&connection, api, &restore_name(args), args, started).await
}

/// One line of the snapshot list: the cluster, when it was taken, its size, revision, etcd
/// version, a short SHA-256 and the backup that holds it.
fn source_choice(snapshot: &SnapshotInfo, cluster: &str, backup: &str) -> String {
    let taken = snapshot
        .completed_at
        .as_ref()
        .map_or_else(|| "?".to_string(), |t| t.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string());
    format!(
        "{cluster}  {taken}  {}  rev {}  etcd {}  sha256 {}  (etcdbackup/{backup})",
        human_bytes(snapshot.size_bytes),
        snapshot.revision,
        snapshot.etcd_version,
        snapshot.sha256.get(..12).unwrap_or(&snapshot.sha256)
    )
}

/// A snapshot URL as the flags and the API server take it: `Err` says what is wrong.
fn check_url(args: &Args, url: &str) -> Result<String, String> {
    let url = url.trim().to_string();
    let restore = restore_object(args, &Snapshot::Url(url.clone()));
    super::validate::as_the_api_server_would(&restore)?;
    Ok(url)
}

/// Asks for the snapshot: one of the namespace's stored backups (newest first), a URL, or a
/// local file, which is checked before the next question.
async fn choose_source(backups: &[EtcdBackup], args: &Args, namespace: &str) -> prompt::Answer<Snapshot> {
    let stored = super::backups::restorable(backups);
    if stored.is_empty() {
        eprintln!("No stored backups in namespace {namespace}.");
    }
    let mut items: Vec<String> =
        stored.iter().map(|s| source_choice(&s.snapshot, &s.cluster, &s.backup)).collect();
    items.push("a snapshot URL: s3://, gs:// or az:// (the members fetch it)".to_string());
    items.push("a snapshot file on this machine (uploaded through the Kubernetes API)".to_string());
    let question = format!("Snapshot to restore into the new etcdcluster {}", args.name);
    let index = match prompt::answer(prompt::choose(question, items, 0).await, NOT_DONE)? {
        ControlFlow::Continue(index) => index,
        ControlFlow::Break(outcome) => return Ok(ControlFlow::Break(outcome)),
    };
    let listed = stored.len();
    if let Some(chosen) = stored.into_iter().nth(index) {
        return Ok(ControlFlow::Continue(if chosen.newest {
            Snapshot::Backup(chosen.backup)
        } else {
            let location = StorageLocation { url: chosen.snapshot.location.clone(), ..chosen.destination };
            Snapshot::Retained(Box::new((location, chosen.snapshot)))
        }));
    }
    if index == listed {
        let flags = args.clone();
        let check = move |answer: &str| check_url(&flags, answer);
        return Ok(prompt::answer(prompt::text("Snapshot URL".into(), None, check).await, NOT_DONE)?
            .map_continue(Snapshot::Url));
    }
    loop {
        let is_file = |answer: &str| {
            let path = PathBuf::from(answer.trim());
            if path.is_file() { Ok(path) } else { Err(format!("{} is not a file", path.display())) }
        };
        let path = match prompt::answer(prompt::text("Snapshot file".into(), None, is_file).await, NOT_DONE)?
        {
            ControlFlow::Continue(path) => path,
            ControlFlow::Break(outcome) => return Ok(ControlFlow::Break(outcome)),
        };
        match check_file(&path, args.sha256.as_deref()).await {
            Ok(digest) => return Ok(ControlFlow::Continue(Snapshot::Upload(path, digest))),
            Err(problem) => eprintln!("{problem}: choose another file"),
        }
    }
}

/// What the backup recorded about the snapshot, when it comes from one.
fn recorded(backups: &[EtcdBackup], snapshot: &Snapshot) -> Option<SnapshotInfo> {
    match snapshot {
        Snapshot::Backup(name) => backups
            .iter()
            .find(|b| b.name_any() == *name)
            .and_then(|b| b.status.as_ref())
            .and_then(|s| s.snapshot.clone()),
        Snapshot::Retained(retained) => Some(retained.1.clone()),
        Snapshot::Url(_) | Snapshot::Upload(..) => None,
    }
}

/// The version a restore starts at without `--version`, by the operator's rule: the one the
/// snapshot recorded (left for its fixed patch when etcd advises against it), else the
/// newest supported version.
fn default_restore_version(recorded: Option<&SnapshotInfo>) -> EtcdVersion {
    recorded
        .and_then(|info| info.etcd_version.parse::<EtcdVersion>().ok())
        .and_then(|version| restored_cluster_version(version, false, false).ok())
        .unwrap_or_else(default_version)
}

/// Asks for the new cluster's version, checked by the rules of a new cluster's version.
async fn choose_version(recorded: Option<&SnapshotInfo>) -> prompt::Answer<String> {
    let default = default_restore_version(recorded);
    let tested: Vec<String> =
        shared::version::recommended_versions().iter().map(ToString::to_string).collect();
    let question = format!("etcd version of the new cluster (tested: {})", tested.join(", "));
    let check = |answer: &str| match refuse_version(answer.trim()) {
        Some(reason) => Err(reason),
        None => Ok(answer.trim().trim_start_matches('v').to_string()),
    };
    prompt::answer(prompt::text(question, Some(default.to_string()), check).await, NOT_DONE)
}

/// What is shown before the confirmation: the snapshot, what is checked before any member
/// starts, and the new cluster (at the version the operator's rule gives).
fn preview_text(
    args: &Args,
    namespace: &str,
    snapshot: &Snapshot,
    recorded: Option<&SnapshotInfo>,
) -> String {
    let from = match snapshot {
        Snapshot::Backup(name) => format!("etcdbackup/{name} (its newest snapshot)"),
        Snapshot::Retained(retained) => retained.0.url.clone(),
        Snapshot::Url(url) => url.clone(),
        Snapshot::Upload(path, digest) => format!(
            "{} ({}), uploaded through the Kubernetes API to the first member",
            path.display(),
            human_bytes(i64::try_from(digest.size).unwrap_or(i64::MAX))
        ),
    };
    let mut text = format!(
        "Restore into a new etcdcluster {} in namespace {namespace}:\n  from     {from}\n",
        args.name
    );
    if let Some(info) = recorded {
        text.push_str(&format!(
            "           of {}: revision {}, {}, etcd {}, taken {}\n",
            info.member.as_deref().unwrap_or("the cluster"),
            info.revision,
            human_bytes(info.size_bytes),
            info.etcd_version,
            info.completed_at.as_ref().map_or_else(|| "?".to_string(), |t| t.0.to_string())
        ));
    }
    let expected = match (snapshot, recorded, &args.sha256) {
        (Snapshot::Upload(_, digest), ..) => {
            Some((digest.sha256.clone(), "checked here, again by the member"))
        }
        (_, _, Some(given)) => Some((given.clone(), "as --sha256 says")),
        (_, Some(info), None) => Some((info.sha256.clone(), "as the backup recorded")),
        _ => None,
    };
    text.push_str(&match expected {
        Some((sha, why)) => format!("  checked  SHA-256 {sha} ({why}) and etcd's own integrity hash\n"),
        None => {
            "  checked  etcd's own integrity hash (its SHA-256 is recorded on the EtcdRestore)\n".to_string()
        }
    });
    text.push_str("           before any member starts; a snapshot that fails creates no cluster\n");
    let restore = restore_object(args, snapshot);
    let version = restore
        .spec
        .version
        .as_deref()
        .and_then(|v| v.parse::<EtcdVersion>().ok())
        .and_then(|v| restored_cluster_version(v, true, false).ok())
        .map_or_else(|| "the snapshot's version".to_string(), |v| v.to_string());
    let voters = usize::try_from(restore.spec.size).unwrap_or_default();
    text.push_str(&format!(
        "  new      {}; tolerates {} failed members\n",
        super::create::wizard::members_and_storage(restore.spec.size, &version, &restore.spec.storage),
        ScalePreview::tolerates(voters)
    ));
    text
}

/// Why `--version` cannot be the new cluster's version, by the rules a new cluster's version
/// follows (`shared::version::check_new_cluster_version`), or `None`.
fn refuse_version(text: &str) -> Option<String> {
    match text.parse::<shared::version::EtcdVersion>() {
        Ok(version) => {
            shared::version::check_new_cluster_version(version, false).err().map(|e| e.to_string())
        }
        Err(error) => Some(error.to_string()),
    }
}

/// What `--from` names; a FILE is checked first, and one that cannot be restored is refused
/// (exit 3) before anything is sent.
async fn resolve(from: &str, sha256: Option<&str>) -> ControlFlow<Outcome, Snapshot> {
    match from_of(from) {
        From::File(path) => match check_file(path, sha256).await {
            Ok(digest) => {
                eprintln!(
                    "{} is a sound snapshot: {} bytes, sha256 {}",
                    path.display(),
                    digest.size,
                    digest.sha256
                );
                ControlFlow::Continue(Snapshot::Upload(path.to_path_buf(), digest))
            }
            Err(error) => {
                eprintln!("refused: {error}; nothing was changed");
                ControlFlow::Break(Outcome::Refused)
            }
        },
        From::Backup(name) => ControlFlow::Continue(Snapshot::Backup(name.to_string())),
        From::Url(url) => ControlFlow::Continue(Snapshot::Url(url.to_string())),
    }
}

/// Creates the EtcdRestore. One that exists with the same spec is taken as an earlier,
/// interrupted upload of the same FILE, to resume; an invalid one is refused (exit 3).
async fn create(
    api: &Api<EtcdRestore>,
    restore: &EtcdRestore,
    snapshot: &Snapshot,
) -> Result<ControlFlow<Outcome>, RestoreError> {
    let name = restore.name_any();
    let uploading = matches!(snapshot, Snapshot::Upload(..));
    match api.create(&PostParams::default(), restore).await {
        Ok(_) => eprintln!("etcdrestore/{name} created"),
        // The same upload again: an earlier run was interrupted before the upload finished.
        Err(kube::Error::Api(ref status))
            if status.code == 409
                && uploading
                && api.get_opt(&name).await.ok().flatten().is_some_and(|r| r.spec == restore.spec) =>
        {
            eprintln!("etcdrestore/{name} exists with this snapshot: resuming its upload");
        }
        Err(e) if is_invalid(&e) => {
            eprintln!("refused: {}; nothing was changed", describe(&e));
            return Ok(ControlFlow::Break(Outcome::Refused));
        }
        Err(e) => {
            return Err(RestoreError::Api(format!("cannot create etcdrestore {name}: {}", describe(&e))));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Sends the checked FILE to the new cluster's seed member, which checks it again.
async fn upload(
    connection: &Connection,
    args: &Args,
    path: &std::path::Path,
    digest: &SnapshotDigest,
    started: Instant,
) -> Result<(), RestoreError> {
    eprintln!("uploading {} ({} bytes) to the first member of {}", path.display(), digest.size, args.name);
    let pod = crate::upload::upload(
        &connection.client,
        &connection.namespace,
        &args.name,
        path,
        digest.size,
        args.timeout,
    )
    .await?;
    eprintln!("{pod} received and checked the snapshot ({:.1}s)", started.elapsed().as_secs_f64());
    Ok(())
}

/// Follows the EtcdRestore `name` until it succeeded (the new cluster runs at its size) or
/// failed, or `--timeout` after `started` (exit 6).
async fn wait(
    connection: &Connection,
    api: Api<EtcdRestore>,
    name: &str,
    args: &Args,
    started: Instant,
) -> Result<Outcome, RestoreError> {
    let restore =
        wait::until_final(connection, api, name, started, args.timeout).await.map_err(RestoreError::Api)?;
    let Some(restore) = restore else { return Ok(Outcome::TimedOut) };
    let status = restore.status.unwrap_or_default();
    if status.phase == Some(RestorePhase::Succeeded) {
        println!(
            "etcdcluster/{} restored from revision {} (sha256 {}) in {:.1}s: {} members running",
            args.name,
            status.revision.map_or_else(|| "?".to_string(), |r| r.to_string()),
            status.sha256.as_deref().unwrap_or("?"),
            started.elapsed().as_secs_f64(),
            args.size.unwrap_or(DEFAULT_SIZE)
        );
        return Ok(Outcome::Success);
    }
    Err(RestoreError::Failed {
        name: name.to_string(),
        reason: status.reason.unwrap_or_default(),
        message: status.message.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn a_version_a_new_cluster_must_not_start_at_is_refused_before_anything_is_sent() {
        assert_eq!(refuse_version("3.5.30"), None);
        let advised = refuse_version("3.5.1").expect("refused");
        assert!(advised.contains("must not hold data") && advised.contains("Choose 3.5.30"), "{advised}");
        assert!(refuse_version("3.5").is_some_and(|r| r.contains("MAJOR.MINOR.PATCH")));
    }

    /// The source as the API receives it.
    fn source_json(args: &Args, snapshot: &Snapshot) -> Value {
        serde_json::to_value(source(args, snapshot)).unwrap()
    }

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn parse(words: &[&str]) -> Args {
        let mut all = vec!["restore"];
        all.extend_from_slice(words);
        Cli::try_parse_from(all).unwrap().args
    }

    #[test]
    fn a_name_is_a_backup_and_a_url_a_location() {
        assert_eq!(
            source_json(&parse(&["new", "--from", "nightly"]), &Snapshot::Backup("nightly".into())),
            json!({"backup": "nightly"})
        );
        let url = parse(&[
            "new",
            "--from",
            "s3://b/x.db",
            "--credentials-secret",
            "c",
            "--s3-endpoint",
            "http://m:9000",
            "--s3-path-style",
            "--sha256",
            "ab",
        ]);
        assert_eq!(
            source_json(&url, &Snapshot::Url("s3://b/x.db".into())),
            json!({"location": {"url": "s3://b/x.db", "credentialsSecret": "c",
                "s3": {"endpoint": "http://m:9000", "forcePathStyle": true, "allowHttp": false}}, "sha256": "ab"})
        );
    }

    #[test]
    fn a_path_or_an_existing_file_is_a_file_to_upload() {
        assert_eq!(from_of("nightly"), From::Backup("nightly"));
        assert_eq!(from_of("s3://b/x.db"), From::Url("s3://b/x.db"));
        assert_eq!(from_of("./x.db"), From::File(std::path::Path::new("./x.db")));
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("snap.db");
        std::fs::write(&file, b"x").unwrap();
        let text = file.display().to_string();
        assert_eq!(from_of(&text), From::File(&file));
        let sha = "a".repeat(64);
        let digest =
            SnapshotDigest { sha256: sha.clone(), size: 1, etcd_hash: shared::snapshot::EtcdHash::Valid };
        assert_eq!(
            source_json(&parse(&["new", "--from", &text]), &Snapshot::Upload(file.clone(), digest)),
            json!({"upload": true, "sha256": sha})
        );
    }

    #[tokio::test]
    async fn a_file_must_match_the_sha256_given() {
        use sha2::Digest as _;
        let root = tempfile::tempdir().unwrap();
        let mut bytes = vec![5u8; 512];
        let hash = sha2::Sha256::digest(&bytes);
        bytes.extend_from_slice(&hash);
        let file = root.path().join("snap.db");
        std::fs::write(&file, &bytes).unwrap();
        let sha = shared::snapshot::hex(&sha2::Sha256::digest(&bytes));
        assert!(check_file(&file, Some(&sha)).await.is_ok_and(|d| d.sha256 == sha));
        assert!(check_file(&file, None).await.is_ok());
        let wrong = check_file(&file, Some(&"0".repeat(64))).await;
        assert!(wrong.is_err_and(|e| e.contains("cannot be restored") && e.contains("SHA-256")));
    }
}
