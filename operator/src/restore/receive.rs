//! `etcd-operator snapshot receive`: the seed's first init container when the snapshot is a
//! file on a workstation (`kubectl etcd restore NEW --from FILE`).
//!
//! It serves one HTTP endpoint, `PUT /snapshot`, which the plugin reaches through the API
//! server's port-forward (or a person with `kubectl port-forward` and `curl -T`). The body is
//! streamed to `snapshot.db.part` while its SHA-256 and etcd's appended hash are computed; the
//! file is synced and renamed only when both match. A bad upload is answered `422` with the
//! reason and the receiver keeps waiting for a good one; a good one is answered `201` and the
//! container exits 0, so the restore goes on. Only one upload runs at a time.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;
use futures::StreamExt;
use shared::names;
use shared::snapshot::{SnapshotDigest, SnapshotHasher};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Mutex, watch};

use super::seed::{Target, commit, prepare, with_suffix};
use crate::backup::plan::Failure;

/// What the receiver knows while it waits.
struct Receiver {
    sha256: String,
    out: PathBuf,
    /// Held while an upload is written, so two cannot interleave.
    busy: Mutex<()>,
    /// Set to the digest of the snapshot once one was received and checked.
    received: watch::Sender<Option<SnapshotDigest>>,
}

/// Waits up to `wait` for the snapshot with `sha256` on `listen`, and writes it to `out`
/// (clearing `staging` first). Refuses (`DataExists`) before listening when `target` holds
/// member data the seed did not install. Returns what it did, for the log.
pub async fn receive(
    listen: SocketAddr,
    sha256: &str,
    out: &Path,
    staging: &Path,
    target: Target<'_>,
    wait: Duration,
) -> Result<String, Failure> {
    if let Some(kept) = prepare(Some(sha256), out, staging, target).await? {
        return Ok(kept);
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Failure::new("ListenFailed", format!("listening on {listen}: {e}")))?;
    let (sender, mut received) = watch::channel(None);
    let receiver = Arc::new(Receiver {
        sha256: sha256.to_ascii_lowercase(),
        out: out.to_path_buf(),
        busy: Mutex::new(()),
        received: sender,
    });
    let routes = Router::new().route(names::UPLOAD_PATH, put(upload)).with_state(receiver);
    eprintln!(
        "waiting up to {} s for the snapshot (sha256 {sha256}) on {listen}{}",
        wait.as_secs(),
        names::UPLOAD_PATH
    );
    let done = async move {
        let _ = received.wait_for(Option::is_some).await;
    };
    let served = tokio::time::timeout(wait, axum::serve(listener, routes).with_graceful_shutdown(done)).await;
    match served {
        Ok(Ok(())) => Ok(format!("received the snapshot into {}", out.display())),
        Ok(Err(e)) => Err(Failure::new("ListenFailed", format!("serving on {listen}: {e}"))),
        Err(_) => Err(Failure::new(
            "UploadTimedOut",
            format!(
                "no snapshot was uploaded within {} s: run `kubectl etcd restore ... --from FILE` again to \
                 upload it, or delete the EtcdRestore and its EtcdCluster",
                wait.as_secs()
            ),
        )),
    }
}

/// `PUT /snapshot`.
async fn upload(State(receiver): State<Arc<Receiver>>, body: Body) -> (StatusCode, String) {
    let Ok(_guard) = receiver.busy.try_lock() else {
        return (StatusCode::CONFLICT, "another upload is in progress: wait for it to end\n".into());
    };
    if receiver.received.borrow().is_some() {
        return (StatusCode::CONFLICT, "the snapshot was already received\n".into());
    }
    match write(&receiver, body).await {
        Ok(digest) => {
            let answer = serde_json::json!({"sizeBytes": digest.size, "sha256": digest.sha256}).to_string();
            eprintln!("received {} bytes, sha256 {}", digest.size, digest.sha256);
            receiver.received.send_replace(Some(digest));
            (StatusCode::CREATED, answer + "\n")
        }
        Err(failure) => {
            eprintln!("refused an upload: {failure}");
            let status = if failure.reason == "SnapshotCorrupt" {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            (status, format!("{failure}\n"))
        }
    }
}

/// Streams the body through the hasher into `out.part`, then commits it.
async fn write(receiver: &Receiver, body: Body) -> Result<SnapshotDigest, Failure> {
    let part = with_suffix(&receiver.out, ".part");
    let mut file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| Failure::new("WriteFailed", format!("creating {}: {e}", part.display())))?;
    let read = async {
        let mut hasher = SnapshotHasher::new();
        let mut stream = body.into_data_stream();
        while let Some(piece) = stream.next().await {
            let piece =
                piece.map_err(|e| Failure::new("UploadBroken", format!("reading the upload: {e}")))?;
            hasher.update(&piece);
            file.write_all(&piece)
                .await
                .map_err(|e| Failure::new("WriteFailed", format!("writing {}: {e}", part.display())))?;
        }
        file.flush()
            .await
            .map_err(|e| Failure::new("WriteFailed", format!("writing {}: {e}", part.display())))?;
        Ok(hasher.finish())
    }
    .await;
    commit(file, &part, &receiver.out, read, Some(&receiver.sha256), "the uploaded snapshot").await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A snapshot-shaped file: 512 bytes of database, then its SHA-256.
    fn snapshot_bytes() -> Vec<u8> {
        use sha2::Digest as _;
        let mut bytes = vec![7u8; 512];
        let hash = sha2::Sha256::digest(&bytes);
        bytes.extend_from_slice(&hash);
        bytes
    }

    async fn put_raw(address: SocketAddr, body: &[u8]) -> String {
        use tokio::io::AsyncReadExt;
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "PUT /snapshot HTTP/1.1\r\nhost: x\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn refuses_a_damaged_upload_then_takes_the_good_one_and_stops() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("restore/snapshot.db");
        let staging = root.path().join("restore/data");
        std::fs::create_dir_all(staging.join("member")).unwrap();
        let good = snapshot_bytes();
        let sha = shared::snapshot::hex(&<sha2::Sha256 as sha2::Digest>::digest(&good));
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).unwrap().port();
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        let server = {
            let (out, staging, sha) = (out.clone(), staging.clone(), sha.clone());
            tokio::spawn(async move {
                let data = staging.with_file_name("none");
                let target = Target { data_dir: &data, token: "t" };
                receive(address, &sha, &out, &staging, target, Duration::from_secs(30)).await
            })
        };
        let mut damaged = good.clone();
        damaged[100] ^= 1;
        let mut answer = String::new();
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(address).await.is_ok() {
                answer = put_raw(address, &damaged).await;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(answer.starts_with("HTTP/1.1 422"), "{answer}");
        assert!(answer.contains("SnapshotCorrupt"), "{answer}");
        assert!(!out.exists() && !with_suffix(&out, ".part").exists(), "nothing kept of a bad upload");
        assert!(!staging.exists(), "staging cleared for snapshot restore");
        let answer = put_raw(address, &good).await;
        assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
        assert!(answer.contains(&sha), "{answer}");
        let result = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .unwrap_or_else(|_| panic!("the receiver did not stop after a good upload"))
            .unwrap();
        assert!(result.is_ok_and(|m| m.contains("received")));
        assert_eq!(std::fs::read(&out).ok(), Some(good));
        let data = staging.with_file_name("none");
        let target = Target { data_dir: &data, token: "t" };
        let again = receive(address, &sha, &out, &staging, target, Duration::from_secs(1)).await;
        assert!(again.is_ok_and(|m| m.contains("already here")), "a re-run keeps the verified file");
    }

    #[tokio::test]
    async fn gives_up_when_nothing_is_uploaded() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("snapshot.db");
        let waited = receive(
            ([127, 0, 0, 1], 0).into(),
            &"a".repeat(64),
            &out,
            &root.path().join("s"),
            Target { data_dir: &root.path().join("d"), token: "t" },
            Duration::from_millis(200),
        )
        .await;
        assert!(waited.is_err_and(|f| f.reason == "UploadTimedOut" && f.message.contains("--from FILE")));
    }
}
