//! Backups to Google Cloud Storage and a restore from it, on the sandbox with real etcd and
//! fake-gcs-server started by the test (reached by the operator and by the seed Pods at the
//! sandbox's gateway, through `destination.gcs.endpoint`): the snapshot is listed, read back
//! and checked by etcdutl, restores into 3 members with every key, and a missing bucket is
//! reported. fake-gcs-server checks no credentials (any bearer token is accepted), so a wrong
//! key cannot be tested against it; the missing bucket stands in for the store refusing.
//!
//! Runs as root (the sandbox's node), as CI does; needs fake-gcs-server (`scripts/prereqs.sh`).

mod backup_support;
mod common;

use std::collections::BTreeMap;

use backup_support::{
    Filled, GCS_EMULATOR_KEY, GcsServer, backup_refused, backup_stored, check_stored, cluster_with_keys,
    gcs_secret, restore_and_compare,
};
use futures::StreamExt;
use serde_json::json;
use shared::crd::StorageLocation;

#[tokio::test]
async fn back_up_to_google_cloud_storage_and_restore() {
    let Filled { sb, operator, written, .. } = cluster_with_keys(1, "3.5.30", 2_000, "gs").await;

    let gateway = sb.sandbox.node.as_ref().expect("node").gateway();
    let gcs = GcsServer::start(gateway, "snapshots").await;
    gcs_secret(&sb.client, "gcs-credentials", GCS_EMULATOR_KEY).await;
    let at = |url: &str| json!({"url": url, "credentialsSecret": "gcs-credentials", "gcs": {"endpoint": gcs.endpoint, "allowHttp": true}});
    let destination = at("gs://snapshots/etcd");
    let info = backup_stored(&sb.client, "to-gcs", &destination).await;
    assert!(info.location.starts_with("gs://snapshots/etcd/demo/to-gcs-"), "{}", info.location);

    // Listed (as retention lists a scheduled backup's snapshots) and read back through the
    // same store code, into a file for etcdutl.
    let credentials =
        BTreeMap::from([("GOOGLE_SERVICE_ACCOUNT_KEY".to_string(), GCS_EMULATOR_KEY.to_string())]);
    let location: StorageLocation = serde_json::from_value(destination.clone()).expect("location");
    let stored = etcd_operator::backup::store::open(&location, &credentials).expect("store opens");
    let listed: Vec<String> = stored
        .store
        .list(Some(&stored.child("demo")))
        .map(|meta| meta.expect("listing").location.to_string())
        .collect()
        .await;
    assert_eq!(listed, [info.location.trim_start_matches("gs://snapshots/")], "{listed:?}");
    check_stored(&destination, &credentials, &info, "3.5.30").await;

    // Every seed Pod fetches it from the emulator too.
    let took =
        restore_and_compare(&sb.client, "from-gcs", json!({"backup": "to-gcs"}), 3, "3.5.30", &written).await;
    println!("restored from gs:// into 3 members, 2,000 keys equal on each, in {:.1} s", took.as_secs_f64());

    // A bucket that does not exist is refused by the store and said so.
    backup_refused(&sb.client, "missing", &at("gs://no-such-bucket/etcd"), "BucketNotFound").await;

    operator.abort();
    gcs.stop().await;
    sb.stop().await;
}
