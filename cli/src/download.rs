//! `kubectl etcd backup NAME --download FILE`: a snapshot to a workstation through the
//! Kubernetes API, with no route to the members needed.
//!
//! Each member is reached through the API server's `pods/portforward` subresource
//! ([`crate::members::forward`]).
//! The member with the highest revision gives the snapshot, which is written to `FILE.part`,
//! fsynced, checked (etcd's appended hash), and only then renamed to FILE. An interrupted or
//! failed download removes `FILE.part`; a file named FILE is always a whole, checked snapshot.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_client::SnapshotResponse;
use k8s_openapi::api::core::v1::Pod;
use kube::{Api, ResourceExt};
use shared::names;
use shared::snapshot::{SnapshotDigest, SnapshotHasher, SnapshotSource, choose_source};
use shared::tls::ClientCredentials;

use crate::members::{forward, member_pods};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// A snapshot stream that sends nothing for this long has stalled.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// No member answered through the API.
    #[error("no member of {cluster} answers ({pods} member Pods): {detail}")]
    Unavailable {
        /// The cluster.
        cluster: String,
        /// Its member Pods.
        pods: usize,
        /// What was seen.
        detail: String,
    },
    /// The API refused.
    #[error("listing the member Pods of {0}: {1}")]
    Api(String, String),
    /// The snapshot stream failed or was damaged.
    #[error("snapshot from {member}: {message}")]
    Snapshot {
        /// The member.
        member: String,
        /// What went wrong.
        message: String,
    },
    /// The local file could not be written.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was done.
        what: &'static str,
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// Ctrl-C.
    #[error("interrupted; {0} was removed and no {1} was written")]
    Interrupted(String, String),
}

/// What was downloaded.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Downloaded {
    /// The file written.
    pub file: String,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// Its SHA-256.
    pub sha256: String,
    /// The revision of the member when the snapshot started.
    pub revision: i64,
    /// The member it came from.
    pub member: String,
    /// Its etcd version.
    pub etcd_version: String,
}

async fn status_of(member: &str, url: &str, tls: Option<&ClientCredentials>) -> Option<SnapshotSource> {
    let options = crate::credentials::connect_options(tls, CONNECT_TIMEOUT, Some(CALL_TIMEOUT));
    let mut client = crate::grpc::connect(&[url], options).await.ok()?;
    let status = tokio::time::timeout(CALL_TIMEOUT, client.status()).await.ok()?.ok()?;
    Some(SnapshotSource {
        member: member.to_string(),
        url: url.to_string(),
        revision: status.header().map(|h| h.revision()).unwrap_or_default(),
        applied_index: status.raft_applied_index(),
        version: status.version().to_string(),
        learner: status.is_learner(),
    })
}

/// `FILE.part`.
pub fn part_path(file: &Path) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    file.with_file_name(name)
}

/// Downloads a snapshot of `cluster` to `file`, over TLS with `tls`.
pub async fn download(
    client: &kube::Client,
    namespace: &str,
    cluster: &str,
    file: &Path,
    tls: Option<&ClientCredentials>,
) -> Result<Downloaded, DownloadError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let members =
        member_pods(&pods, cluster).await.map_err(|e| DownloadError::Api(cluster.into(), e.to_string()))?;
    let mut forwards = Vec::new();
    let mut candidates = Vec::new();
    for pod in members.iter().filter(|p| p.status.as_ref().and_then(|s| s.pod_ip.as_ref()).is_some()) {
        let Ok(forward) = forward(&pods, &pod.name_any(), names::CLIENT_PORT, tls.is_some()).await else {
            continue;
        };
        if let Some(source) = status_of(&pod.name_any(), &forward.url, tls).await {
            candidates.push(source);
        }
        forwards.push(forward);
    }
    let source = choose_source(&candidates).cloned().ok_or_else(|| DownloadError::Unavailable {
        cluster: cluster.to_string(),
        pods: members.len(),
        detail: format!("{} answered a status request through the API", candidates.len()),
    })?;
    let part = part_path(file);
    let io = |what: &'static str, path: &Path| {
        let path = path.display().to_string();
        move |source| DownloadError::Io { what, path, source }
    };
    let mut out = tokio::fs::File::create(&part).await.map_err(io("creating", &part))?;
    let streamed = tokio::select! {
        streamed = stream(&source, &mut out, tls) => streamed,
        _ = tokio::signal::ctrl_c() => Err(DownloadError::Interrupted(part.display().to_string(), file.display().to_string())),
    };
    let synced = match streamed {
        Ok(digest) => out.sync_all().await.map(|()| digest).map_err(io("syncing", &part)),
        Err(e) => Err(e),
    };
    drop(out);
    let digest = match synced {
        Ok(digest) => digest,
        Err(error) => {
            let _ = tokio::fs::remove_file(&part).await;
            return Err(error);
        }
    };
    if let Err(error) = tokio::fs::rename(&part, file).await {
        let _ = tokio::fs::remove_file(&part).await;
        return Err(DownloadError::Io {
            what: "renaming to",
            path: file.display().to_string(),
            source: error,
        });
    }
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(folder) = std::fs::File::open(parent)
    {
        let _ = folder.sync_all();
    }
    drop(forwards);
    Ok(Downloaded {
        file: file.display().to_string(),
        size_bytes: digest.size,
        sha256: digest.sha256,
        revision: source.revision,
        member: source.member,
        etcd_version: source.version,
    })
}

/// Snapshot messages in flight between the stream and the writer: etcd sends 32 KiB each.
const WRITER_QUEUE: usize = 64;
/// The writer's buffer: one write to the file per this many bytes.
const WRITE_BUFFER: usize = 1024 * 1024;

/// Streams the snapshot from `source` into `out` through the hasher; the snapshot must end
/// with a matching etcd hash. The hashing and writing run on a blocking thread of their own,
/// beside the receiving (TLS, the port-forward, gRPC) on the command's single runtime thread.
async fn stream(
    source: &SnapshotSource,
    out: &mut tokio::fs::File,
    tls: Option<&ClientCredentials>,
) -> Result<SnapshotDigest, DownloadError> {
    let failed = |message: String| DownloadError::Snapshot { member: source.member.clone(), message };
    let writing = |source| DownloadError::Io { what: "writing", path: "the snapshot file".into(), source };
    let file = out.try_clone().await.map_err(writing)?.into_std().await;
    let options = crate::credentials::connect_options(tls, CONNECT_TIMEOUT, None);
    let mut client =
        crate::grpc::connect(&[source.url.as_str()], options).await.map_err(|e| failed(e.to_string()))?;
    let mut snapshot = client.snapshot().await.map_err(|e| failed(e.to_string()))?;
    let (pieces, received) = tokio::sync::mpsc::channel::<SnapshotResponse>(WRITER_QUEUE);
    let writer = tokio::task::spawn_blocking(move || hash_and_write(received, file));
    let receiving = async {
        loop {
            let message = tokio::time::timeout(STALL_TIMEOUT, snapshot.message())
                .await
                .map_err(|_| failed(format!("nothing received for {} s", STALL_TIMEOUT.as_secs())))?
                .map_err(|e| failed(e.to_string()))?;
            let Some(message) = message else { return Ok(()) };
            if pieces.send(message).await.is_err() {
                // The writer stopped: its error says why.
                return Ok(());
            }
        }
    };
    let received = receiving.await;
    drop(pieces);
    let written = writer.await.map_err(|e| writing(std::io::Error::other(e)))?;
    received?;
    let digest = written.map_err(writing)?;
    match digest.problem(None) {
        None => Ok(digest),
        Some(problem) => Err(failed(problem)),
    }
}

/// The writer's side of [`stream`]: hashes and writes each piece until the stream ends.
fn hash_and_write(
    mut pieces: tokio::sync::mpsc::Receiver<SnapshotResponse>,
    file: std::fs::File,
) -> std::io::Result<SnapshotDigest> {
    let mut hasher = SnapshotHasher::new();
    let mut out = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
    while let Some(piece) = pieces.blocking_recv() {
        hasher.update(piece.blob());
        out.write_all(piece.blob())?;
    }
    out.flush()?;
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_file_sits_beside_the_file() {
        assert_eq!(part_path(Path::new("/tmp/x/snap.db")), PathBuf::from("/tmp/x/snap.db.part"));
        assert_eq!(part_path(Path::new("snap.db")), PathBuf::from("snap.db.part"));
    }
}
