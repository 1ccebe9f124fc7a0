//! `kubectl etcd restore NEW --from FILE`: a snapshot on a workstation sent to the seed member
//! of the new cluster, through the Kubernetes API, with no route to the Pods needed.
//!
//! The file is checked here first (etcd's appended hash; its SHA-256 is what the restore
//! records), so a damaged file is refused before anything is created. The seed's
//! `receive-snapshot` init container then takes `PUT /snapshot` on its upload port, reached
//! through the API server's `pods/portforward`, checks the bytes against that SHA-256 and
//! etcd's hash again, and only then lets the restore go on.

use std::path::Path;
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::Pod;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use shared::names;
use shared::snapshot::{SnapshotDigest, SnapshotHasher};
use tokio::io::AsyncReadExt;

/// Why an upload failed.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// The local file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file is not a usable snapshot.
    #[error("{path} cannot be restored: {problem}")]
    Unusable {
        /// The file.
        path: String,
        /// What is wrong with it.
        problem: String,
    },
    /// The seed member refused the snapshot.
    #[error("{pod} refused the snapshot ({status}): {message}")]
    Refused {
        /// The seed Pod.
        pod: String,
        /// The HTTP status.
        status: u16,
        /// Its answer.
        message: String,
    },
    /// The API refused.
    #[error("listing the member Pods of {cluster}: {message}")]
    Api {
        /// The cluster.
        cluster: String,
        /// What the API said.
        message: String,
    },
    /// No seed member took the upload in time.
    #[error("no member of {cluster} took the upload within {seconds:.0} s: {last}")]
    TimedOut {
        /// The cluster.
        cluster: String,
        /// How long was waited.
        seconds: f64,
        /// The last thing seen.
        last: String,
    },
}

/// Reads `file` whole and returns its digest; refuses a file that is not a sound snapshot.
pub async fn check(file: &Path) -> Result<SnapshotDigest, UploadError> {
    let read_error = |source| UploadError::Read { path: file.display().to_string(), source };
    let mut input = tokio::fs::File::open(file).await.map_err(read_error)?;
    let mut hasher = SnapshotHasher::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buffer).await.map_err(read_error)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    let digest = hasher.finish();
    match digest.problem(None) {
        None => Ok(digest),
        Some(problem) => Err(UploadError::Unusable { path: file.display().to_string(), problem }),
    }
}

/// The seed Pod of `cluster` whose upload container runs, if there is one yet, or what holds
/// it up.
fn receiving(pods: &[Pod]) -> Result<String, String> {
    for pod in pods {
        let statuses =
            pod.status.as_ref().and_then(|s| s.init_container_statuses.clone()).unwrap_or_default();
        if let Some(status) = statuses.iter().find(|s| s.name == names::UPLOAD_CONTAINER) {
            let state = status.state.clone().unwrap_or_default();
            if state.running.is_some() {
                return Ok(pod.name_any());
            }
            let waiting = state.waiting.and_then(|w| w.reason).unwrap_or_else(|| "not running".into());
            return Err(format!("{} {}: {waiting}", pod.name_any(), names::UPLOAD_CONTAINER));
        }
    }
    Err(format!("no Pod with a {} init container yet", names::UPLOAD_CONTAINER))
}

/// Sends `file` (of `size` bytes) to the seed member of `cluster`, waiting up to `timeout`
/// for it to listen. Returns the seed Pod's name.
pub async fn upload(
    client: &kube::Client,
    namespace: &str,
    cluster: &str,
    file: &Path,
    size: u64,
    timeout: Duration,
) -> Result<String, UploadError> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = ListParams::default().labels(&names::selector_string(&names::selector_labels(cluster)));
    let started = Instant::now();
    let mut last = String::from("nothing seen yet");
    while started.elapsed() < timeout {
        let members = pods
            .list(&selector)
            .await
            .map_err(|e| UploadError::Api { cluster: cluster.to_string(), message: e.to_string() })?;
        match receiving(&members.items) {
            Ok(pod) => match send(&pods, &pod, file, size).await {
                Ok(()) => return Ok(pod),
                Err(Attempt::Refused(status, message)) => {
                    return Err(UploadError::Refused { pod, status, message });
                }
                Err(Attempt::Broken(why)) => last = format!("{pod}: {why}"),
            },
            Err(why) => last = why,
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(UploadError::TimedOut {
        cluster: cluster.to_string(),
        seconds: started.elapsed().as_secs_f64(),
        last,
    })
}

/// How one attempt to send the file ended, when it did not succeed.
enum Attempt {
    /// The receiver answered with an error: trying again would not help.
    Refused(u16, String),
    /// The connection failed: the receiver may not listen yet.
    Broken(String),
}

/// One `PUT /snapshot` to `pod` through a port-forward.
async fn send(pods: &Api<Pod>, pod: &str, file: &Path, size: u64) -> Result<(), Attempt> {
    let broken = |what: &str, e: &dyn std::fmt::Display| Attempt::Broken(format!("{what}: {e}"));
    let mut forwarder =
        pods.portforward(pod, &[names::UPLOAD_PORT]).await.map_err(|e| broken("port-forward", &e))?;
    let stream = forwarder
        .take_stream(names::UPLOAD_PORT)
        .ok_or_else(|| Attempt::Broken("port-forward gave no stream".into()))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| broken("connecting", &e))?;
    let driver = tokio::spawn(connection);
    let input = tokio::fs::File::open(file).await.map_err(|e| broken("opening the file", &e))?;
    let frames = tokio_util::io::ReaderStream::with_capacity(input, 256 * 1024).map_ok(Frame::data);
    let request = http::Request::put(names::UPLOAD_PATH)
        .header(http::header::HOST, "seed")
        .header(http::header::CONTENT_LENGTH, size)
        .body(StreamBody::new(frames))
        .map_err(|e| broken("building the request", &e))?;
    let response = sender.send_request(request).await.map_err(|e| broken("sending", &e));
    let outcome = match response {
        Ok(response) => {
            let status = response.status();
            let text = match response.into_body().collect().await {
                Ok(body) => String::from_utf8_lossy(&body.to_bytes()).trim().to_string(),
                Err(e) => e.to_string(),
            };
            if status.is_success() { Ok(()) } else { Err(Attempt::Refused(status.as_u16(), text)) }
        }
        Err(attempt) => Err(attempt),
    };
    driver.abort();
    drop(forwarder);
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, container: &str, state: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "status": {"initContainerStatuses": [{"name": container, "image": "x", "imageID": "", "ready": false,
                "restartCount": 0, "state": state}]},
        }))
        .unwrap()
    }

    #[test]
    fn only_a_running_receiver_takes_the_upload() {
        let running = pod("new-0", names::UPLOAD_CONTAINER, serde_json::json!({"running": {}}));
        assert_eq!(receiving(&[running]), Ok("new-0".to_string()));
        let pulling =
            pod("new-0", names::UPLOAD_CONTAINER, serde_json::json!({"waiting": {"reason": "ErrImagePull"}}));
        assert_eq!(receiving(&[pulling]), Err("new-0 receive-snapshot: ErrImagePull".to_string()));
        let other = pod("new-0", "fetch-snapshot", serde_json::json!({"running": {}}));
        assert!(receiving(&[other]).is_err_and(|e| e.contains("no Pod with a receive-snapshot")));
    }

    #[tokio::test]
    async fn a_damaged_file_is_refused_before_anything_is_sent() {
        use sha2::Digest as _;
        let root = tempfile::tempdir().unwrap();
        let mut bytes = vec![3u8; 1024];
        let hash = sha2::Sha256::digest(&bytes);
        bytes.extend_from_slice(&hash);
        let good = root.path().join("good.db");
        std::fs::write(&good, &bytes).unwrap();
        assert!(check(&good).await.is_ok_and(|d| d.size == 1056));
        bytes[10] ^= 1;
        let bad = root.path().join("bad.db");
        std::fs::write(&bad, &bytes).unwrap();
        assert!(check(&bad).await.is_err_and(|e| e.to_string().contains("integrity hash")));
        let missing = check(&root.path().join("none.db")).await;
        assert!(missing.is_err_and(|e| matches!(e, UploadError::Read { .. })));
    }
}
