//! The seed members of a cluster restored from a snapshot: three init containers build
//! each one's data folder before etcd starts.
//!
//! 1. `fetch-snapshot` (the operator's image, `etcd-operator snapshot fetch`) downloads the
//!    snapshot into the data volume (`restore/snapshot.db`, written as `.part`, fsynced,
//!    checked against etcd's appended hash and the recorded SHA-256, then renamed);
//! 2. `restore-snapshot` (the etcd image of the cluster's version) runs `etcdutl snapshot
//!    restore` (`etcdctl` for 3.4) into a staging folder, with the member's name, peer URL,
//!    the whole initial cluster and the new cluster's token, so the restored cluster gets
//!    new member and cluster IDs (every initial member restores the same way and all start
//!    together, as etcd documents for a multi-member restore);
//! 3. `install-snapshot` (`etcd-operator snapshot install`) records the cluster token in
//!    `restore/installed-for`, then moves the staging folder to the data folder.
//!
//! Every step can run again (a kubelet re-runs init containers when it recreates a Pod's
//! sandbox): a verified snapshot file is kept and not fetched twice, the staging folder is
//! made anew, and data already installed is never replaced.
//!
//! Member data the seed did not install itself (no `installed-for`, or another cluster's
//! token: a claim an earlier cluster of the same name left behind) is never replaced nor
//! started on: every step refuses it with `DataExists` before writing anything. The restore
//! controller refuses such claims before it creates the cluster; this is the last guard.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{
    Container, ContainerPort, EnvFromSource, EnvVar, Pod, SecretEnvSource, VolumeMount,
};
use shared::crd::StorageLocation;
use shared::names;
use shared::snapshot::SnapshotDigest;
use shared::version::EtcdVersion;

use super::super::backup::plan::Failure;
use super::super::backup::{snapshot, store};

/// Folder of the restore's files on the data volume.
pub const RESTORE_DIR: &str = "/var/lib/etcd/restore";
/// The verified snapshot.
pub const SNAPSHOT_FILE: &str = "/var/lib/etcd/restore/snapshot.db";
/// Where `snapshot restore` writes before the data is installed.
pub const STAGING_DIR: &str = "/var/lib/etcd/restore/data";
/// Beside the staging folder: the cluster token of the restore that installed the data
/// folder's member data, written before the data is moved into place.
pub const INSTALLED_FOR: &str = "installed-for";
/// The operator binary in its image.
pub const OPERATOR_BINARY: &str = "/usr/local/bin/etcd-operator";

/// Where the seed's snapshot comes from.
#[derive(Clone, Copy, Debug)]
pub enum SeedSource<'a> {
    /// Fetched from a store (`fetch-snapshot`).
    Fetch(&'a StorageLocation),
    /// Uploaded by the plugin (`receive-snapshot` waits for it on [`names::UPLOAD_PORT`]).
    Upload,
}

/// What the seed's init containers need to know.
#[derive(Clone, Copy, Debug)]
pub struct Seed<'a> {
    /// The member.
    pub member: &'a str,
    /// Its peer URL.
    pub peer_url: &'a str,
    /// `--initial-cluster` of the restored cluster (every member that starts from the
    /// snapshot, this one included), as etcd's own flag writes it.
    pub initial_cluster: &'a str,
    /// The new cluster's token.
    pub token: &'a str,
    /// The etcd image of the cluster's version.
    pub etcd_image: &'a str,
    /// The cluster's version (`3.5.1`).
    pub version: &'a str,
    /// The operator's image.
    pub operator_image: &'a str,
    /// Where the snapshot comes from.
    pub source: SeedSource<'a>,
    /// Its SHA-256, when recorded.
    pub sha256: Option<&'a str>,
}

fn data_mount(volume: &str) -> Vec<VolumeMount> {
    vec![VolumeMount {
        name: volume.to_string(),
        mount_path: names::DATA_MOUNT.to_string(),
        ..VolumeMount::default()
    }]
}

/// The init containers of a seed member whose data volume is `volume`.
pub fn init_containers(seed: &Seed, volume: &str) -> Vec<Container> {
    let first = match seed.source {
        SeedSource::Fetch(location) => fetch_container(seed, location, volume),
        SeedSource::Upload => receive_container(seed, volume),
    };
    // etcdutl took over `snapshot restore` in 3.5; 3.4 has it in etcdctl (API v3).
    let use_etcdctl = seed.version.parse::<EtcdVersion>().is_ok_and(|v| v < EtcdVersion::new(3, 5, 0));
    let (tool, env) = if use_etcdctl {
        (
            "/usr/local/bin/etcdctl",
            Some(vec![EnvVar { name: "ETCDCTL_API".into(), value: Some("3".into()), value_from: None }]),
        )
    } else {
        ("/usr/local/bin/etcdutl", None)
    };
    let restore = Container {
        name: RESTORE_CONTAINER.to_string(),
        image: Some(seed.etcd_image.to_string()),
        command: Some(vec![tool.to_string()]),
        args: Some(vec![
            "snapshot".to_string(),
            "restore".to_string(),
            SNAPSHOT_FILE.to_string(),
            format!("--name={}", seed.member),
            format!("--initial-cluster={}", seed.initial_cluster),
            format!("--initial-cluster-token={}", seed.token),
            format!("--initial-advertise-peer-urls={}", seed.peer_url),
            format!("--data-dir={STAGING_DIR}"),
        ]),
        env,
        volume_mounts: Some(data_mount(volume)),
        ..Container::default()
    };
    let install = Container {
        name: "install-snapshot".to_string(),
        image: Some(seed.operator_image.to_string()),
        command: Some(vec![OPERATOR_BINARY.to_string()]),
        args: Some(vec![
            "snapshot".to_string(),
            "install".to_string(),
            format!("--staging={STAGING_DIR}"),
            format!("--data-dir={}", names::DATA_DIR),
            format!("--token={}", seed.token),
        ]),
        volume_mounts: Some(data_mount(volume)),
        ..Container::default()
    };
    let mut containers = vec![first, restore, install];
    // A failed step's last log lines become its termination message, which the restore's
    // status then quotes.
    for container in &mut containers {
        container.termination_message_policy = Some("FallbackToLogsOnError".to_string());
    }
    containers
}

/// The arguments both ways of getting the snapshot share: the file, the staging folder, the
/// data folder and token they guard, the checksum.
fn snapshot_file_args(seed: &Seed) -> Vec<String> {
    let mut args = vec![
        format!("--out={SNAPSHOT_FILE}"),
        format!("--staging={STAGING_DIR}"),
        format!("--data-dir={}", names::DATA_DIR),
        format!("--token={}", seed.token),
    ];
    if let Some(sha) = seed.sha256 {
        args.push(format!("--sha256={sha}"));
    }
    args
}

/// `fetch-snapshot`: downloads the snapshot from its store, credentials from the Secret.
fn fetch_container(seed: &Seed, location: &StorageLocation, volume: &str) -> Container {
    let mut args = vec![
        "snapshot".to_string(),
        "fetch".to_string(),
        format!("--source={}", serde_json::to_string(location).unwrap_or_default()),
    ];
    args.extend(snapshot_file_args(seed));
    Container {
        name: "fetch-snapshot".to_string(),
        image: Some(seed.operator_image.to_string()),
        command: Some(vec![OPERATOR_BINARY.to_string()]),
        args: Some(args),
        env_from: location.credentials_secret.as_ref().map(|name| {
            vec![EnvFromSource {
                secret_ref: Some(SecretEnvSource { name: name.clone(), optional: Some(false) }),
                ..EnvFromSource::default()
            }]
        }),
        volume_mounts: Some(data_mount(volume)),
        ..Container::default()
    }
}

/// `receive-snapshot`: waits for the plugin to upload the snapshot through a port-forward.
fn receive_container(seed: &Seed, volume: &str) -> Container {
    let mut args = vec![
        "snapshot".to_string(),
        "receive".to_string(),
        format!("--listen=0.0.0.0:{}", names::UPLOAD_PORT),
    ];
    args.extend(snapshot_file_args(seed));
    Container {
        name: names::UPLOAD_CONTAINER.to_string(),
        image: Some(seed.operator_image.to_string()),
        command: Some(vec![OPERATOR_BINARY.to_string()]),
        args: Some(args),
        ports: Some(vec![ContainerPort {
            name: Some("upload".to_string()),
            container_port: i32::from(names::UPLOAD_PORT),
            ..ContainerPort::default()
        }]),
        volume_mounts: Some(data_mount(volume)),
        ..Container::default()
    }
}

/// The name of the init container that runs `snapshot restore`.
pub const RESTORE_CONTAINER: &str = "restore-snapshot";

/// Whether `pod`'s `snapshot restore` failed because the staging folder is there: a retry
/// meeting an earlier attempt's leftovers (`etcdutl` says `data-dir "…" not empty or could
/// not be read`, 3.4's `etcdctl` says `data-dir "…" exists`; the termination message holds
/// the last log lines). A kubelet re-runs only the failed init container, never
/// `fetch-snapshot`, which clears the folder, so such a Pod can never finish its seed: the
/// planner makes it again ([`shared::plan::membership::Step::ReseedMember`]).
pub fn blocked_by_leftovers(pod: &Pod) -> bool {
    let refusal = format!("data-dir \"{STAGING_DIR}\"");
    let statuses = pod.status.as_ref().and_then(|s| s.init_container_statuses.as_deref()).unwrap_or_default();
    statuses.iter().filter(|s| s.name == RESTORE_CONTAINER).any(|status| {
        let terminated = [status.state.as_ref(), status.last_state.as_ref()]
            .into_iter()
            .flatten()
            .filter_map(|state| state.terminated.as_ref())
            .find(|t| t.exit_code != 0);
        let running = status.state.as_ref().is_some_and(|s| s.running.is_some());
        !running
            && terminated.and_then(|t| t.message.as_deref()).is_some_and(|message| {
                message.lines().any(|line| {
                    line.contains(&refusal) && (line.contains("not empty") || line.ends_with("exists"))
                })
            })
    })
}

fn io_failure(what: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::new("WriteFailed", format!("{what} {}: {e}", path.display()))
}

/// A sibling path with `suffix` appended to the file name.
pub fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// The data folder a seed fills, and the token of the cluster it fills it for.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    /// etcd's data folder.
    pub data_dir: &'a Path,
    /// The new cluster's token (unique per EtcdCluster object).
    pub token: &'a str,
}

/// What a seed finds in its data folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// No member data: the seed installs its own.
    Nothing,
    /// Member data this seed installed for the same cluster (an earlier run of its steps).
    Installed,
}

/// Where the token of the installed data is recorded: beside `staging`.
pub fn installed_for_path(staging: &Path) -> PathBuf {
    staging.with_file_name(INSTALLED_FOR)
}

/// Looks at `target`'s data folder: nothing there, or data this seed installed for the same
/// cluster token. Any other member data (left by an earlier cluster on a claim it kept, or
/// installed for another cluster) fails with `DataExists`: it may hold writes newer than the
/// snapshot and is neither replaced nor started on.
pub fn check_data_dir(staging: &Path, target: Target) -> Result<Found, Failure> {
    let member = target.data_dir.join("member");
    let present = std::fs::symlink_metadata(&member)
        .map(|_| true)
        .or_else(|e| if e.kind() == std::io::ErrorKind::NotFound { Ok(false) } else { Err(e) })
        .map_err(|e| io_failure("looking at", &member, e))?;
    if !present {
        return Ok(Found::Nothing);
    }
    let record = installed_for_path(staging);
    let installed_for = match std::fs::read_to_string(&record) {
        Ok(text) => Some(text.trim().to_string()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_failure("reading", &record, e)),
    };
    if installed_for.as_deref() == Some(target.token) {
        return Ok(Found::Installed);
    }
    let whose = match installed_for {
        Some(other) => format!("that a restore installed for another cluster (token {other})"),
        None => "that no restore installed (a cluster wrote it)".to_string(),
    };
    Err(Failure::new(
        "DataExists",
        format!(
            "{} already holds member data {whose}, not this restore's (token {}): the volume was left behind by \
             an earlier cluster of this name and may hold writes newer than the snapshot, so it is neither \
             replaced nor started on. Delete this cluster, copy what you need from the member's \
             PersistentVolumeClaim and delete the claim, or restore under another name",
            target.data_dir.display(),
            target.token
        ),
    ))
}

/// `etcd-operator snapshot fetch`: makes `out` a verified copy of the snapshot at `source`
/// (credentials from the environment), and clears `staging` for `snapshot restore`. A verified
/// copy already there is kept. Refuses (`DataExists`) when `target` holds member data it did
/// not install. Returns what it did, for the log.
pub async fn fetch(
    source: &StorageLocation,
    sha256: Option<&str>,
    out: &Path,
    staging: &Path,
    target: Target<'_>,
) -> Result<String, Failure> {
    if let Some(kept) = prepare(sha256, out, staging, target).await? {
        return Ok(kept);
    }
    let opened = store::open(source, &store::credentials_from_env())?;
    let part = with_suffix(out, ".part");
    let mut file = tokio::fs::File::create(&part).await.map_err(|e| io_failure("creating", &part, e))?;
    let read = snapshot::read_object(&opened, Some(&mut file)).await;
    let digest = commit(file, &part, out, read, sha256, &opened.url).await?;
    Ok(format!(
        "fetched {} ({} bytes, sha256 {}) into {}",
        opened.url,
        digest.size,
        digest.sha256,
        out.display()
    ))
}

/// Readies the seed's folders: refuses member data in `target` that the seed did not install
/// ([`check_data_dir`]), clears `staging` for `snapshot restore` and creates the folder of
/// `out`. Returns what it found when a verified copy of the snapshot is already at `out` (an
/// init container that runs again need not fetch or receive it twice).
pub async fn prepare(
    sha256: Option<&str>,
    out: &Path,
    staging: &Path,
    target: Target<'_>,
) -> Result<Option<String>, Failure> {
    check_data_dir(staging, target)?;
    if tokio::fs::try_exists(staging).await.unwrap_or(false) {
        tokio::fs::remove_dir_all(staging).await.map_err(|e| io_failure("removing", staging, e))?;
    }
    if let Some(parent) = out.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(|e| io_failure("creating", parent, e))?;
    }
    if tokio::fs::try_exists(out).await.unwrap_or(false) {
        let local = store::open(&file_location(out), &Default::default())?;
        if let Ok(digest) = snapshot::verify(&local, sha256).await {
            return Ok(Some(format!(
                "{} is already here and verified ({} bytes, sha256 {})",
                out.display(),
                digest.size,
                digest.sha256
            )));
        }
    }
    Ok(None)
}

/// Finishes a snapshot written to `part` through `file`: syncs it, and renames it to `out`
/// only when it was read whole and is sound (etcd's hash, and `sha256` when given). Anything
/// else removes `part`, so `out` is always a whole, checked snapshot. `from` names the source
/// in messages.
pub async fn commit(
    file: tokio::fs::File,
    part: &Path,
    out: &Path,
    read: Result<SnapshotDigest, Failure>,
    sha256: Option<&str>,
    from: &str,
) -> Result<SnapshotDigest, Failure> {
    let synced = file.sync_all().await;
    drop(file);
    let checked = match (read, synced) {
        (Err(failure), _) => Err(failure),
        (_, Err(e)) => Err(io_failure("syncing", part, e)),
        (Ok(digest), Ok(())) => match digest.problem(sha256) {
            Some(problem) => Err(Failure::new("SnapshotCorrupt", format!("{from}: {problem}"))),
            None => Ok(digest),
        },
    };
    match checked {
        Ok(digest) => {
            tokio::fs::rename(part, out).await.map_err(|e| io_failure("renaming", part, e))?;
            Ok(digest)
        }
        Err(failure) => {
            let _ = tokio::fs::remove_file(part).await;
            Err(failure)
        }
    }
}

fn file_location(path: &Path) -> StorageLocation {
    StorageLocation { url: format!("file://{}", path.display()), ..StorageLocation::default() }
}

/// `etcd-operator snapshot install`: records `target.token` beside `staging` (synced), then
/// moves the restored `staging` folder to `target.data_dir`. Data this seed installed before
/// for the same token is kept (staging is discarded); any other member data is refused with
/// `DataExists` and left as it is. Returns what it did.
pub fn install(staging: &Path, target: Target) -> Result<String, Failure> {
    let data_dir = target.data_dir;
    if check_data_dir(staging, target)? == Found::Installed {
        if staging.exists() {
            std::fs::remove_dir_all(staging).map_err(|e| io_failure("removing", staging, e))?;
        }
        return Ok(format!("{} already holds the data this restore installed; kept it", data_dir.display()));
    }
    if !staging.join("member").exists() {
        return Err(Failure::new(
            "RestoreFailed",
            format!(
                "{} holds no restored member data: the snapshot restore step did not run",
                staging.display()
            ),
        ));
    }
    // The record comes first: once member data is in place, a re-run must know it is ours.
    let record = installed_for_path(staging);
    let mut file = std::fs::File::create(&record).map_err(|e| io_failure("creating", &record, e))?;
    std::io::Write::write_all(&mut file, format!("{}\n", target.token).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| io_failure("writing", &record, e))?;
    drop(file);
    sync_folder_of(&record);
    if data_dir.exists() {
        std::fs::remove_dir_all(data_dir).map_err(|e| io_failure("removing", data_dir, e))?;
    }
    std::fs::rename(staging, data_dir).map_err(|e| io_failure("moving into place", staging, e))?;
    sync_folder_of(data_dir);
    Ok(format!("installed the restored data in {} for {}", data_dir.display(), target.token))
}

/// Syncs the folder holding `path`, so a new or renamed entry survives a crash (best effort:
/// some filesystems cannot sync a folder).
fn sync_folder_of(path: &Path) {
    if let Some(parent) = path.parent()
        && let Ok(folder) = std::fs::File::open(parent)
    {
        let _ = folder.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed<'a>(version: &'a str, source: &'a StorageLocation) -> Seed<'a> {
        Seed {
            member: "new-0",
            peer_url: "http://new-0.new.default.svc.cluster.local:2380",
            initial_cluster: "new-0=http://new-0.new.default.svc.cluster.local:2380,new-1=http://new-1.new.default.svc.cluster.local:2380",
            token: "new-abc",
            etcd_image: "gcr.io/etcd-development/etcd:v3.5.30",
            version,
            operator_image: "ghcr.io/kubectl-etcd/etcd-operator:v0.1.0",
            source: SeedSource::Fetch(source),
            sha256: Some("ab"),
        }
    }

    #[test]
    fn three_steps_fetch_restore_install() {
        let source = StorageLocation {
            url: "s3://b/demo/x.db".into(),
            credentials_secret: Some("creds".into()),
            ..StorageLocation::default()
        };
        let containers = init_containers(&seed("3.5.30", &source), "data");
        let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["fetch-snapshot", "restore-snapshot", "install-snapshot"]);
        let fetch = &containers[0];
        assert_eq!(fetch.image.as_deref(), Some("ghcr.io/kubectl-etcd/etcd-operator:v0.1.0"));
        let args = fetch.args.clone().unwrap_or_default();
        assert!(args.contains(&"--sha256=ab".to_string()), "{args:?}");
        assert!(args.iter().any(|a| a.starts_with("--source=") && a.contains("s3://b/demo/x.db")));
        assert_eq!(
            fetch.env_from.as_ref().and_then(|e| e[0].secret_ref.as_ref()).map(|s| s.name.as_str()),
            Some("creds")
        );
        let restore = &containers[1];
        assert_eq!(restore.command.as_deref(), Some(&["/usr/local/bin/etcdutl".to_string()][..]));
        let args = restore.args.clone().unwrap_or_default();
        for expected in [
            "--name=new-0",
            "--initial-cluster=new-0=http://new-0.new.default.svc.cluster.local:2380,new-1=http://new-1.new.default.svc.cluster.local:2380",
            "--initial-cluster-token=new-abc",
            "--data-dir=/var/lib/etcd/restore/data",
        ] {
            assert!(args.contains(&expected.to_string()), "{expected} in {args:?}");
        }
        let install = containers[2].args.clone().unwrap_or_default();
        assert!(install.contains(&"--token=new-abc".to_string()), "{install:?}");
        let fetch = containers[0].args.clone().unwrap_or_default();
        for expected in ["--token=new-abc", "--data-dir=/var/lib/etcd/data"] {
            assert!(fetch.contains(&expected.to_string()), "{expected} in {fetch:?}");
        }
        for c in &containers {
            assert_eq!(c.volume_mounts.as_ref().map(|m| m[0].mount_path.as_str()), Some(names::DATA_MOUNT));
        }
        assert!(STAGING_DIR.starts_with(names::DATA_MOUNT) && SNAPSHOT_FILE.starts_with(RESTORE_DIR));
    }

    /// A seed Pod whose `restore-snapshot` is as `status` says.
    fn with_restore_status(status: serde_json::Value) -> Pod {
        let mut status = status;
        status["name"] = RESTORE_CONTAINER.into();
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "new-1"},
            "status": {"initContainerStatuses": [
                {"name": "fetch-snapshot", "ready": true, "restartCount": 0, "image": "op", "imageID": "",
                 "state": {"terminated": {"exitCode": 0}}},
                status,
            ]}
        }))
        .expect("a Pod")
    }

    fn failed_with(message: &str) -> serde_json::Value {
        serde_json::json!({"terminated": {"exitCode": 1, "message": message}})
    }

    #[test]
    fn a_restore_retried_onto_its_own_leftovers_is_blocked_and_nothing_else_is() {
        let status = |state: serde_json::Value, last: serde_json::Value| {
            serde_json::json!({"ready": false, "restartCount": 1, "image": "etcd", "imageID": "", "state": state,
                               "lastState": last})
        };
        let backoff = serde_json::json!({"waiting": {"reason": "CrashLoopBackOff"}});
        let v35 = format!(
            "{{\"level\":\"info\"}}\nError: data-dir \"{STAGING_DIR}\" not empty or could not be read\n"
        );
        let v34 = format!("Error: data-dir \"{STAGING_DIR}\" exists\n");
        for message in [&v35, &v34] {
            let pod = with_restore_status(status(backoff.clone(), failed_with(message)));
            assert!(blocked_by_leftovers(&pod), "{message}");
            let pod = with_restore_status(status(failed_with(message), serde_json::json!({})));
            assert!(blocked_by_leftovers(&pod), "terminated now: {message}");
        }
        let running = serde_json::json!({"running": {}});
        for (state, last) in [
            // Any other failure is the kubelet's to retry.
            (backoff.clone(), failed_with("Error: snapshot file has wrong size")),
            (backoff.clone(), failed_with("Error: data-dir \"/var/lib/etcd/data\" exists")),
            (backoff, serde_json::json!({"terminated": {"exitCode": 137}})),
            // The retry runs now.
            (running, failed_with(&v35)),
        ] {
            assert!(
                !blocked_by_leftovers(&with_restore_status(status(state.clone(), last.clone()))),
                "{state} {last}"
            );
        }
        let unstarted: Pod =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "new-1"}})).expect("a Pod");
        assert!(!blocked_by_leftovers(&unstarted));
    }

    #[test]
    fn etcd_3_4_restores_with_etcdctl() {
        let source = StorageLocation { url: "file:///b/x.db".into(), ..StorageLocation::default() };
        let containers = init_containers(&seed("3.4.23", &source), "data");
        assert_eq!(containers[1].command.as_deref(), Some(&["/usr/local/bin/etcdctl".to_string()][..]));
        assert_eq!(containers[1].env.as_ref().map(|e| e[0].name.as_str()), Some("ETCDCTL_API"));
        assert_eq!(containers[0].env_from, None, "no credentials Secret");
    }

    #[test]
    fn an_uploaded_snapshot_is_received_on_the_upload_port() {
        let source = StorageLocation::default();
        let upload = Seed { source: SeedSource::Upload, ..seed("3.5.30", &source) };
        let containers = init_containers(&upload, "data");
        let names: Vec<&str> = containers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, [names::UPLOAD_CONTAINER, "restore-snapshot", "install-snapshot"]);
        let receive = &containers[0];
        let args = receive.args.clone().unwrap_or_default();
        assert_eq!(args[..3], ["snapshot", "receive", "--listen=0.0.0.0:2390"]);
        assert!(
            args.contains(&"--sha256=ab".to_string()) && args.contains(&format!("--out={SNAPSHOT_FILE}"))
        );
        assert_eq!(receive.ports.as_ref().map(|p| p[0].container_port), Some(2390));
        assert_eq!(receive.env_from, None, "no store, no credentials");
        assert!(
            containers
                .iter()
                .all(|c| c.termination_message_policy.as_deref() == Some("FallbackToLogsOnError"))
        );
    }

    #[test]
    fn install_moves_staging_once_and_never_replaces_data() {
        let root = tempfile::tempdir().unwrap();
        let (staging, data) = (root.path().join("restore/data"), root.path().join("data"));
        let ours = Target { data_dir: &data, token: "new-abc" };
        assert!(install(&staging, ours).is_err(), "nothing restored");
        std::fs::create_dir_all(staging.join("member/snap")).unwrap();
        std::fs::write(staging.join("member/snap/db"), b"restored").unwrap();
        assert!(install(&staging, ours).is_ok_and(|m| m.contains("installed")));
        assert_eq!(std::fs::read(data.join("member/snap/db")).ok().as_deref(), Some(&b"restored"[..]));
        assert_eq!(std::fs::read_to_string(installed_for_path(&staging)).ok().as_deref(), Some("new-abc\n"));
        assert!(!staging.exists());
        // A re-run of the seed's steps finds its own data and keeps it.
        assert_eq!(check_data_dir(&staging, ours).ok(), Some(Found::Installed));
        std::fs::create_dir_all(staging.join("member")).unwrap();
        assert!(install(&staging, ours).is_ok_and(|m| m.contains("kept")));
        assert_eq!(std::fs::read(data.join("member/snap/db")).ok().as_deref(), Some(&b"restored"[..]));
        assert!(!staging.exists(), "a second restore is discarded");
    }

    #[test]
    fn member_data_the_seed_did_not_install_is_refused_and_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let (staging, data) = (root.path().join("restore/data"), root.path().join("data"));
        // A volume an earlier cluster left behind: member data, no record of a restore.
        std::fs::create_dir_all(data.join("member/snap")).unwrap();
        std::fs::write(data.join("member/snap/db"), b"newer").unwrap();
        std::fs::create_dir_all(staging.join("member/snap")).unwrap();
        std::fs::write(staging.join("member/snap/db"), b"restored").unwrap();
        let target = Target { data_dir: &data, token: "new-abc" };
        let refused = install(&staging, target).err().unwrap_or_else(|| panic!("refused"));
        assert_eq!(refused.reason, "DataExists");
        for part in ["that no restore installed", "not this restore's (token new-abc)", "another name"] {
            assert!(refused.message.contains(part), "{part} in {}", refused.message);
        }
        assert_eq!(std::fs::read(data.join("member/snap/db")).ok().as_deref(), Some(&b"newer"[..]));
        assert!(!installed_for_path(&staging).exists(), "nothing recorded");
        // Data an earlier restore installed for another cluster of the same name.
        std::fs::write(installed_for_path(&staging), "new-0ld\n").unwrap();
        let refused = check_data_dir(&staging, target).err().unwrap_or_else(|| panic!("refused"));
        assert!(refused.message.contains("another cluster (token new-0ld)"), "{}", refused.message);
        assert_eq!(std::fs::read(data.join("member/snap/db")).ok().as_deref(), Some(&b"newer"[..]));
    }

    #[tokio::test]
    async fn fetching_refuses_foreign_data_before_writing_anything() {
        let root = tempfile::tempdir().unwrap();
        let (staging, data) = (root.path().join("restore/data"), root.path().join("data"));
        std::fs::create_dir_all(data.join("member")).unwrap();
        let source = StorageLocation { url: "file:///nowhere/x.db".into(), ..StorageLocation::default() };
        let out = root.path().join("restore/snapshot.db");
        let target = Target { data_dir: &data, token: "new-abc" };
        let refused = fetch(&source, None, &out, &staging, target).await;
        assert!(refused.is_err_and(|f| f.reason == "DataExists"));
        assert!(!root.path().join("restore").exists(), "nothing written");
    }
}
