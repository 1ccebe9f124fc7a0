//! Snapshot destinations through `object_store`: S3 and S3-compatible stores, Google Cloud
//! Storage, Azure Blob Storage, and local paths, all named by URL. Credentials come from a
//! Secret (in the operator) or from the environment (in a restoring member's init container),
//! under the same key names.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreScheme, RetryConfig};
use shared::crd::StorageLocation;

use super::plan::{Failure, classify_store_error};

/// Credential keys a Secret (or the environment) may hold, by store.
pub const CREDENTIAL_KEYS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GOOGLE_SERVICE_ACCOUNT_KEY",
    "AZURE_STORAGE_ACCOUNT_NAME",
    "AZURE_STORAGE_ACCOUNT_KEY",
];

/// An opened destination: the store and the path the URL names in it.
#[derive(Clone, Debug)]
pub struct Opened {
    /// The store.
    pub store: Arc<dyn ObjectStore>,
    /// The URL's path inside the store (a folder for a destination, an object for a source).
    pub path: Path,
    /// The URL, as given.
    pub url: String,
}

impl Opened {
    /// The path of `key` below this destination.
    pub fn child(&self, key: &str) -> Path {
        let mut path = self.path.clone();
        for part in key.split('/').filter(|p| !p.is_empty()) {
            path = path.clone().join(part);
        }
        path
    }
}

/// How long one request to a store may take (a whole snapshot download is one request), and
/// how long connecting may take: an unreachable store fails in seconds, not minutes.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(900);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

fn client_options(location: &StorageLocation) -> ClientOptions {
    let options = ClientOptions::new().with_timeout(REQUEST_TIMEOUT).with_connect_timeout(CONNECT_TIMEOUT);
    let allow_http = location.s3.as_ref().is_some_and(|s3| s3.allow_http)
        || location.azure.as_ref().is_some_and(|azure| azure.allow_http)
        || location.gcs.as_ref().is_some_and(|gcs| gcs.allow_http);
    options.with_allow_http(allow_http)
}

fn retry() -> RetryConfig {
    RetryConfig { max_retries: 3, retry_timeout: Duration::from_secs(30), ..RetryConfig::default() }
}

fn invalid(url: &str, message: impl std::fmt::Display) -> Failure {
    Failure::new("InvalidDestination", format!("{url}: {message}"))
}

/// Opens the store a location names, with `credentials` (keys as in [`CREDENTIAL_KEYS`]).
/// Nothing is contacted yet.
pub fn open(location: &StorageLocation, credentials: &BTreeMap<String, String>) -> Result<Opened, Failure> {
    let url = location.url.trim_end_matches('/');
    let parsed = url::Url::parse(url).map_err(|e| invalid(url, e))?;
    let (scheme, path) = ObjectStoreScheme::parse(&parsed).map_err(|e| invalid(url, e))?;
    let path = Path::parse(path).map_err(|e| invalid(url, e))?;
    let credential = |key: &str| credentials.get(key).filter(|v| !v.is_empty());
    let store: Arc<dyn ObjectStore> = match scheme {
        ObjectStoreScheme::Local => Arc::new(LocalFileSystem::new()),
        ObjectStoreScheme::AmazonS3 => {
            let mut builder = AmazonS3Builder::new()
                .with_url(url)
                .with_region("us-east-1")
                .with_client_options(client_options(location))
                .with_retry(retry());
            if let Some(s3) = &location.s3 {
                if let Some(endpoint) = &s3.endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                if let Some(region) = &s3.region {
                    builder = builder.with_region(region);
                }
                builder = builder.with_virtual_hosted_style_request(!s3.force_path_style);
            }
            if let Some(v) = credential("AWS_ACCESS_KEY_ID") {
                builder = builder.with_access_key_id(v);
            }
            if let Some(v) = credential("AWS_SECRET_ACCESS_KEY") {
                builder = builder.with_secret_access_key(v);
            }
            if let Some(v) = credential("AWS_SESSION_TOKEN") {
                builder = builder.with_token(v);
            }
            Arc::new(builder.build().map_err(|e| invalid(url, e))?)
        }
        ObjectStoreScheme::GoogleCloudStorage => {
            let mut builder = GoogleCloudStorageBuilder::new()
                .with_url(url)
                .with_client_options(client_options(location))
                .with_retry(retry());
            if let Some(endpoint) = location.gcs.as_ref().and_then(|g| g.endpoint.as_deref()) {
                builder = builder.with_base_url(endpoint.trim_end_matches('/'));
            }
            if let Some(v) = credential("GOOGLE_SERVICE_ACCOUNT_KEY") {
                builder = builder.with_service_account_key(v);
            }
            Arc::new(builder.build().map_err(|e| invalid(url, e))?)
        }
        ObjectStoreScheme::MicrosoftAzure => {
            let mut builder = MicrosoftAzureBuilder::new()
                .with_url(url)
                .with_client_options(client_options(location))
                .with_retry(retry());
            if let Some(endpoint) = location.azure.as_ref().and_then(|a| a.endpoint.clone()) {
                builder = builder.with_endpoint(endpoint);
            }
            if let Some(v) = credential("AZURE_STORAGE_ACCOUNT_NAME") {
                builder = builder.with_account(v);
            }
            if let Some(v) = credential("AZURE_STORAGE_ACCOUNT_KEY") {
                builder = builder.with_access_key(v);
            }
            Arc::new(builder.build().map_err(|e| invalid(url, e))?)
        }
        other => {
            return Err(invalid(
                url,
                format!("{other:?} is not a supported destination: use s3://, gs://, az:// or file://"),
            ));
        }
    };
    Ok(Opened { store, path, url: url.to_string() })
}

/// The credentials in a Secret's data, by key; `Err` when it holds none of [`CREDENTIAL_KEYS`].
pub fn credentials_from_secret(
    name: &str,
    data: &BTreeMap<String, k8s_openapi::ByteString>,
) -> Result<BTreeMap<String, String>, Failure> {
    let found: BTreeMap<String, String> = data
        .iter()
        .filter(|(k, _)| CREDENTIAL_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).trim().to_string()))
        .collect();
    if found.is_empty() {
        return Err(Failure::new(
            "CredentialsInvalid",
            format!("Secret {name} holds none of the credential keys {}", CREDENTIAL_KEYS.join(", ")),
        ));
    }
    Ok(found)
}

/// The credentials in this process's environment (a restoring member's init container gets
/// them from the Secret as variables of the same names).
pub fn credentials_from_env() -> BTreeMap<String, String> {
    CREDENTIAL_KEYS
        .iter()
        .filter_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()).map(|v| (k.to_string(), v)))
        .collect()
}

/// A store error as a failure with a reason.
pub fn store_failure(what: &str, url: &str, error: &object_store::Error) -> Failure {
    let reason = match error {
        object_store::Error::NotFound { .. } => "SnapshotNotFound",
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. } => {
            "AccessDenied"
        }
        other => classify_store_error(&format!("{other} {other:?}")),
    };
    let advice = match reason {
        "AccessDenied" => ": check the credentials Secret and the bucket's permissions",
        "StoreUnreachable" => ": check the endpoint and the network between the operator and the store",
        "BucketNotFound" => ": create the bucket, or fix the URL",
        _ => "",
    };
    Failure::new(reason, format!("{what} {url} failed: {error}{advice}"))
}

/// Reads the credentials Secret of `location`, if it names one.
pub async fn credentials(
    client: &kube::Client,
    namespace: &str,
    location: &StorageLocation,
) -> Result<BTreeMap<String, String>, Failure> {
    let Some(name) = &location.credentials_secret else { return Ok(BTreeMap::new()) };
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(client.clone(), namespace);
    match secrets.get_opt(name).await {
        Ok(Some(secret)) => credentials_from_secret(name, &secret.data.unwrap_or_default()),
        Ok(None) => Err(Failure::new(
            "CredentialsNotFound",
            format!("the credentials Secret {namespace}/{name} does not exist: create it"),
        )),
        Err(e) => Err(Failure::new("CredentialsNotFound", format!("reading Secret {namespace}/{name}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::ObjectStoreExt;
    use shared::crd::{GcsOptions, S3Options};

    fn location(url: &str) -> StorageLocation {
        StorageLocation { url: url.into(), ..StorageLocation::default() }
    }

    #[test]
    fn urls_open_the_right_store_and_path() {
        let local = open(&location("file:///var/backups/etcd/"), &BTreeMap::new()).unwrap();
        assert_eq!(local.path.as_ref(), "var/backups/etcd");
        assert_eq!(local.child("demo/x.db").as_ref(), "var/backups/etcd/demo/x.db");
        assert_eq!(local.url, "file:///var/backups/etcd");
        let mut s3 = location("s3://bucket/some/prefix");
        s3.s3 = Some(S3Options {
            endpoint: Some("http://127.0.0.1:9000".into()),
            region: None,
            force_path_style: true,
            allow_http: true,
        });
        let half = open(&s3, &BTreeMap::from([("AWS_ACCESS_KEY_ID".into(), "k".into())]));
        assert!(half.err().is_some_and(|f| f.message.contains("SecretAccessKey")), "half a key pair");
        let pair = BTreeMap::from([
            ("AWS_ACCESS_KEY_ID".to_string(), "k".to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), "s".to_string()),
        ]);
        let opened = open(&s3, &pair).unwrap();
        assert_eq!(opened.path.as_ref(), "some/prefix");
        assert!(format!("{}", opened.store).contains("bucket"), "{}", opened.store);
        let bad = open(&location("ftp://host/x"), &BTreeMap::new()).err().map(|f| f.reason);
        assert_eq!(bad, Some("InvalidDestination"));
    }

    /// The service-account key object_store documents for emulators: no OAuth, empty tokens.
    const EMULATOR_KEY: &str =
        r#"{"disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}"#;

    #[tokio::test]
    async fn gcs_options_set_the_endpoint_and_plain_http() {
        let key = BTreeMap::from([("GOOGLE_SERVICE_ACCOUNT_KEY".to_string(), EMULATOR_KEY.to_string())]);
        let mut gcs = location("gs://bucket/etcd/");
        gcs.gcs = Some(GcsOptions { endpoint: Some("http://127.0.0.1:1/".into()), allow_http: false });
        let opened = open(&gcs, &key).unwrap();
        assert_eq!(opened.path.as_ref(), "etcd");
        assert!(format!("{}", opened.store).contains("bucket"), "{}", opened.store);
        let refused = opened.store.head(&opened.child("x.db")).await.unwrap_err();
        assert!(format!("{refused:?}").contains("BadScheme"), "plain HTTP needs allowHttp: {refused:?}");

        gcs.gcs = Some(GcsOptions { endpoint: Some("http://127.0.0.1:1".into()), allow_http: true });
        let opened = open(&gcs, &key).unwrap();
        let error = opened.store.head(&opened.child("x.db")).await.unwrap_err();
        let failure = store_failure("reading", &opened.url, &error);
        assert_eq!(failure.reason, "StoreUnreachable", "{failure:?}");
        assert!(format!("{error:?}").contains("127.0.0.1:1"), "the endpoint is used: {error:?}");

        let bad_key = BTreeMap::from([("GOOGLE_SERVICE_ACCOUNT_KEY".to_string(), "not json".to_string())]);
        assert_eq!(open(&gcs, &bad_key).err().map(|f| f.reason), Some("InvalidDestination"));
    }

    #[test]
    fn secrets_need_a_known_key() {
        let data = BTreeMap::from([
            ("AWS_ACCESS_KEY_ID".to_string(), k8s_openapi::ByteString(b"id\n".to_vec())),
            ("unrelated".to_string(), k8s_openapi::ByteString(b"x".to_vec())),
        ]);
        let found = credentials_from_secret("s", &data).unwrap_or_default();
        assert_eq!(found, BTreeMap::from([("AWS_ACCESS_KEY_ID".to_string(), "id".to_string())]));
        let none = BTreeMap::from([("user".to_string(), k8s_openapi::ByteString(b"x".to_vec()))]);
        assert_eq!(credentials_from_secret("s", &none).err().map(|f| f.reason), Some("CredentialsInvalid"));
    }
}
