//! Backups to Azure Blob Storage and a restore from it, on the sandbox with real etcd and the
//! Azurite emulator started by the test (reached by the operator and by the seed Pod at the
//! sandbox's gateway, through `destination.azure.endpoint`): the snapshot is read back and
//! checked by etcdutl, restores with every key, and a wrong account key is reported.
//!
//! Runs as root (the sandbox's node), as CI does; needs Azurite (`scripts/prereqs.sh`).

mod backup_support;
mod common;

use std::collections::BTreeMap;

use backup_support::{
    AZURITE_ACCOUNT, AZURITE_KEY, AzureServer, Filled, azure_secret, backup_refused, backup_stored,
    check_stored, cluster_with_keys, restore_and_compare,
};
use serde_json::json;

#[tokio::test]
async fn back_up_to_azure_blob_storage_and_restore() {
    let Filled { sb, operator, written, .. } = cluster_with_keys(1, "3.5.30", 2_000, "az").await;

    let gateway = sb.sandbox.node.as_ref().expect("node").gateway();
    let azure = AzureServer::start(gateway, "snapshots").await;
    azure_secret(&sb.client, "azure-credentials", AZURITE_KEY).await;
    let destination = json!({
        "url": "az://snapshots/etcd",
        "credentialsSecret": "azure-credentials",
        "azure": {"endpoint": azure.endpoint, "allowHttp": true}
    });
    let info = backup_stored(&sb.client, "to-azure", &destination).await;
    assert!(info.location.starts_with("az://snapshots/etcd/demo/to-azure-"), "{}", info.location);

    // Read it back through the same store code, into a file for etcdutl.
    let credentials = BTreeMap::from([
        ("AZURE_STORAGE_ACCOUNT_NAME".to_string(), AZURITE_ACCOUNT.to_string()),
        ("AZURE_STORAGE_ACCOUNT_KEY".to_string(), AZURITE_KEY.to_string()),
    ]);
    check_stored(&destination, &credentials, &info, "3.5.30").await;

    // The seed Pod fetches it from the emulator too.
    let took =
        restore_and_compare(&sb.client, "from-azure", json!({"backup": "to-azure"}), 3, "3.5.30", &written)
            .await;
    println!("restored from az:// into 3 members, 2,000 keys equal on each, in {:.1} s", took.as_secs_f64());

    // A wrong account key is refused by the store and said so.
    azure_secret(&sb.client, "wrong-key", &AZURITE_KEY.replace('E', "F")).await;
    let wrong = json!({
        "url": "az://snapshots/etcd", "credentialsSecret": "wrong-key",
        "azure": {"endpoint": azure.endpoint, "allowHttp": true}
    });
    backup_refused(&sb.client, "wrong-key", &wrong, "AccessDenied").await;

    operator.abort();
    azure.stop().await;
    sb.stop().await;
}
