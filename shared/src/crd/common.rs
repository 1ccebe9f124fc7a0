//! Pieces that more than one custom resource uses: where snapshots are stored and what is
//! recorded about each one.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use serde::{Deserialize, Serialize};

/// Where snapshots are written to or read from: an object store or a local path, named by URL.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("!has(self.s3) || self.url.startsWith('s3://')")
    .message("s3 options apply only to s3:// URLs: remove `s3` or use an s3:// URL")
    .reason(Reason::FieldValueInvalid))]
#[x_kube(validation = Rule::new("!has(self.azure) || self.url.startsWith('az://')")
    .message("azure options apply only to az:// URLs: remove `azure` or use an az:// URL")
    .reason(Reason::FieldValueInvalid))]
#[x_kube(validation = Rule::new("!has(self.gcs) || self.url.startsWith('gs://')")
    .message("gcs options apply only to gs:// URLs: remove `gcs` or use a gs:// URL")
    .reason(Reason::FieldValueInvalid))]
#[x_kube(validation = Rule::new("!has(self.credentialsSecret) || !self.url.startsWith('file://')")
    .message("a file:// destination is a path mounted into the operator and takes no credentialsSecret")
    .reason(Reason::FieldValueInvalid))]
pub struct StorageLocation {
    /// Location as a URL: `s3://bucket/prefix` (AWS S3 or any S3-compatible store),
    /// `gs://bucket/prefix` (Google Cloud Storage), `az://container/prefix` (Azure Blob
    /// Storage) or `file:///path` (a volume mounted into the operator).
    #[schemars(regex(pattern = r"^(s3|gs|az|file)://\S+$"), length(max = 1024))]
    pub url: String,

    /// Name of a Secret in the same namespace holding credentials for the store. Keys for
    /// S3: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` (and optionally `AWS_SESSION_TOKEN`);
    /// for GCS: `GOOGLE_SERVICE_ACCOUNT_KEY` (the JSON key); for Azure:
    /// `AZURE_STORAGE_ACCOUNT_NAME` and `AZURE_STORAGE_ACCOUNT_KEY`. Without it the store's
    /// ambient credentials (instance or workload identity) are used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub credentials_secret: Option<String>,

    /// Options for S3-compatible stores that are not AWS S3 itself (MinIO, Ceph, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub s3: Option<S3Options>,

    /// Options for Azure Blob Storage endpoints other than the public cloud's (Azure Stack,
    /// national clouds, the Azurite emulator).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure: Option<AzureOptions>,

    /// Options for Google Cloud Storage endpoints other than Google's own (a private
    /// endpoint, an emulator such as fake-gcs-server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gcs: Option<GcsOptions>,
}

/// Connection options for Google Cloud Storage.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct GcsOptions {
    /// Base URL of the storage service, without a path: e.g.
    /// `https://storage.example.internal` or `http://fake-gcs:4443`. Empty for Google's
    /// (`https://storage.googleapis.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://\S+$"))]
    pub endpoint: Option<String>,

    /// Allow plain HTTP to the endpoint. Only for an emulator or a trusted network.
    #[serde(default)]
    pub allow_http: bool,
}

/// Connection options for Azure Blob Storage.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct AzureOptions {
    /// Blob endpoint of the storage account, with the account in the path when the service
    /// expects it: e.g. `https://myaccount.blob.core.chinacloudapi.cn` or
    /// `http://azurite:10000/devstoreaccount1`. Empty for the public cloud
    /// (`https://<account>.blob.core.windows.net`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://\S+$"))]
    pub endpoint: Option<String>,

    /// Allow plain HTTP to the endpoint. Only for an emulator or a trusted network.
    #[serde(default)]
    pub allow_http: bool,
}

/// Connection options for S3-compatible object stores.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct S3Options {
    /// Endpoint URL of the store, e.g. `https://minio.example:9000`. Empty for AWS S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^https?://\S+$"))]
    pub endpoint: Option<String>,

    /// Region of the bucket, e.g. `eu-west-1`. Most S3-compatible stores accept any value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub region: Option<String>,

    /// Address the bucket in the path (`endpoint/bucket/key`) instead of the host name
    /// (`bucket.endpoint/key`). Most self-hosted stores need this.
    #[serde(default)]
    pub force_path_style: bool,

    /// Allow plain HTTP to the endpoint. Only for stores inside a trusted network.
    #[serde(default)]
    pub allow_http: bool,
}

/// What is recorded about one snapshot once it is stored.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct SnapshotInfo {
    /// Full URL of the stored snapshot.
    pub location: String,

    /// SHA-256 of the snapshot file, 64 lowercase hex digits.
    pub sha256: String,

    /// Size of the snapshot file in bytes.
    pub size_bytes: i64,

    /// etcd revision the snapshot was taken at.
    pub revision: i64,

    /// Version of the etcd member the snapshot was taken from.
    pub etcd_version: String,

    /// Name of the member the snapshot was taken from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,

    /// When the snapshot was complete and stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,
}
