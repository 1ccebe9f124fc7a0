//! Snapshots in motion: from a member's maintenance API into a store, and from a store into
//! a file, each streamed piece by piece through a [`SnapshotHasher`], so no snapshot is ever
//! held in memory whole.

use std::time::Duration;

use etcd_client::{Client, ConnectOptions};
use futures::StreamExt;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{GetResultPayload, ObjectStoreExt};
use shared::snapshot::{SnapshotDigest, SnapshotHasher, SnapshotSource};
use shared::tls::ClientCredentials;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::plan::Failure;
use super::store::{Opened, store_failure};

const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const CALL_TIMEOUT: Duration = Duration::from_secs(3);
/// A snapshot stream that sends nothing for this long has stalled.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Bytes buffered before a part is uploaded (and the most held in memory at once).
pub const PART_SIZE: usize = 8 * 1024 * 1024;

/// Asks every member for its status: the candidates to take a snapshot from. Members that do
/// not answer are left out.
pub async fn candidates(
    endpoints: &[(String, String)],
    tls: Option<&ClientCredentials>,
) -> Vec<SnapshotSource> {
    let mut found = Vec::new();
    for (member, url) in endpoints {
        let options = crate::etcd::connect_options(tls);
        let Ok(mut client) = Client::connect([url.as_str()], Some(options)).await else { continue };
        let Ok(Ok(status)) = tokio::time::timeout(CALL_TIMEOUT, client.status()).await else { continue };
        found.push(SnapshotSource {
            member: member.clone(),
            url: url.clone(),
            revision: status.header().map(|h| h.revision()).unwrap_or_default(),
            applied_index: status.raft_applied_index(),
            version: status.version().to_string(),
            learner: status.is_learner(),
        });
    }
    found
}

/// Streams a snapshot from the member at `url` into `sink`, and returns its digest. The sink
/// is flushed, not shut down: the caller completes it once the digest is checked.
pub async fn stream_from_member<W>(
    url: &str,
    sink: &mut W,
    tls: Option<&ClientCredentials>,
) -> Result<SnapshotDigest, Failure>
where
    W: AsyncWrite + Unpin,
{
    let failed = |what: String| Failure::new("SnapshotFailed", format!("snapshot from {url}: {what}"));
    // No per-call timeout: a snapshot stream lasts as long as the database takes to send.
    // A stall is caught between pieces instead.
    let options = ConnectOptions::new()
        .with_connect_timeout(CONNECT_TIMEOUT)
        .with_keep_alive(Duration::from_secs(10), Duration::from_secs(10));
    let options = match tls {
        Some(credentials) => options.with_tls(crate::etcd::tls_options(credentials)),
        None => options,
    };
    let mut client = Client::connect([url], Some(options)).await.map_err(|e| failed(e.to_string()))?;
    let mut stream = client.snapshot().await.map_err(|e| failed(e.to_string()))?;
    let mut hasher = SnapshotHasher::new();
    loop {
        let message = tokio::time::timeout(STALL_TIMEOUT, stream.message())
            .await
            .map_err(|_| failed(format!("nothing received for {} s", STALL_TIMEOUT.as_secs())))?
            .map_err(|e| failed(e.to_string()))?;
        let Some(message) = message else { break };
        let blob = message.blob();
        hasher.update(blob);
        sink.write_all(blob)
            .await
            .map_err(|e| Failure::new("StoreError", format!("writing the snapshot: {e}")))?;
    }
    sink.flush().await.map_err(|e| Failure::new("StoreError", format!("writing the snapshot: {e}")))?;
    let digest = hasher.finish();
    if let Some(problem) = digest.problem(None) {
        return Err(failed(problem));
    }
    Ok(digest)
}

/// Streams a snapshot from `source` to `key` under `destination`. The object appears only once
/// it is complete and its hash checked; a failed upload is aborted, leaving nothing behind.
pub async fn upload(
    source: &SnapshotSource,
    destination: &Opened,
    key: &str,
    tls: Option<&ClientCredentials>,
) -> Result<(Path, SnapshotDigest), Failure> {
    let path = destination.child(key);
    let url = super::plan::join_url(&destination.url, key);
    let mut writer = BufWriter::with_capacity(destination.store.clone(), path.clone(), PART_SIZE);
    let streamed = stream_from_member(&source.url, &mut writer, tls).await;
    let digest = match streamed {
        Ok(digest) => digest,
        Err(failure) => {
            let _ = writer.abort().await;
            // A write error surfaces from the writer as an io::Error wrapping the store's error.
            return Err(if failure.reason == "StoreError" {
                Failure::new(
                    super::plan::classify_store_error(&failure.message),
                    format!("writing {url}: {}", failure.message),
                )
            } else {
                failure
            });
        }
    };
    // A failed shutdown has already given up the upload (a writer cannot be aborted after
    // it): a single put leaves nothing, an unfinished multipart upload is the store's to
    // expire (S3 lifecycle rule `AbortIncompleteMultipartUpload`).
    if let Err(e) = writer.shutdown().await {
        let text = e.to_string();
        // Writing an object finds nothing missing but its bucket.
        if e.kind() == std::io::ErrorKind::NotFound {
            return Err(Failure::new(
                "BucketNotFound",
                format!("writing {url}: {}: create the bucket, or fix the URL", text.trim_end()),
            ));
        }
        return Err(Failure::new(
            super::plan::classify_store_error(&format!("{text} {e:?}")),
            format!("writing {url}: {text}"),
        ));
    }
    Ok((path, digest))
}

/// Bytes read from a local file at once. object_store's local store reads 8 KiB per trip to a
/// blocking thread, about 33,000 trips for a 257 MiB snapshot.
const LOCAL_PIECE: usize = 1024 * 1024;

/// Reads the object at `opened` through the hasher into `sink` (or only hashes it, without a
/// sink), and returns its digest.
pub async fn read_object<W>(opened: &Opened, mut sink: Option<&mut W>) -> Result<SnapshotDigest, Failure>
where
    W: AsyncWrite + Unpin,
{
    let result =
        opened.store.get(&opened.path).await.map_err(|e| store_failure("reading", &opened.url, &e))?;
    let mut hasher = SnapshotHasher::new();
    match result.payload {
        GetResultPayload::File(file, _) => {
            let mut file = tokio::fs::File::from_std(file);
            let mut buffer = vec![0; LOCAL_PIECE];
            loop {
                let read = file.read(&mut buffer).await.map_err(|e| {
                    let text = format!("reading {} failed: {e}", opened.url);
                    Failure::new(super::plan::classify_store_error(&text), text)
                })?;
                if read == 0 {
                    break;
                }
                take_piece(&buffer[..read], &mut hasher, &mut sink).await?;
            }
        }
        GetResultPayload::Stream(mut stream) => {
            while let Some(piece) = stream.next().await {
                let piece = piece.map_err(|e| store_failure("reading", &opened.url, &e))?;
                take_piece(&piece, &mut hasher, &mut sink).await?;
            }
        }
    }
    if let Some(sink) = sink.as_mut() {
        sink.flush()
            .await
            .map_err(|e| Failure::new("WriteFailed", format!("writing the snapshot locally: {e}")))?;
    }
    Ok(hasher.finish())
}

/// Hashes the next `piece` of a snapshot being read, and writes it to `sink` when there is one.
async fn take_piece<W>(
    piece: &[u8],
    hasher: &mut SnapshotHasher,
    sink: &mut Option<&mut W>,
) -> Result<(), Failure>
where
    W: AsyncWrite + Unpin,
{
    hasher.update(piece);
    if let Some(sink) = sink.as_mut() {
        sink.write_all(piece)
            .await
            .map_err(|e| Failure::new("WriteFailed", format!("writing the snapshot locally: {e}")))?;
    }
    Ok(())
}

/// Reads and checks the snapshot at `opened`: it must exist, end with a matching etcd hash, and
/// have `expected_sha256` when given.
pub async fn verify(opened: &Opened, expected_sha256: Option<&str>) -> Result<SnapshotDigest, Failure> {
    let digest = read_object::<tokio::io::Sink>(opened, None).await?;
    match digest.problem(expected_sha256) {
        None => Ok(digest),
        Some(problem) => Err(Failure::new("SnapshotCorrupt", format!("{}: {problem}", opened.url))),
    }
}
