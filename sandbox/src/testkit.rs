//! Test support: a sandbox per test, on a free port in a temporary folder, so end-to-end
//! tests run in parallel without interfering.

use crate::instance::{ClientError, Options, Sandbox, StartError};

/// A sandbox that lives as long as the test holds it; its folder is removed afterwards.
pub struct TestSandbox {
    /// The running sandbox.
    pub sandbox: Sandbox,
    /// A kube-rs client for it.
    pub client: kube::Client,
    dir: tempfile::TempDir,
}

/// Why a test sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum TestSandboxError {
    /// No temporary folder.
    #[error("cannot create a temporary folder: {0}")]
    TempDir(std::io::Error),
    /// The sandbox did not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The client could not be built.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The API refused a request.
    #[error("the sandbox's API refused: {0}")]
    Api(#[from] kube::Error),
    /// The etcd build asked for is not installed.
    #[error(transparent)]
    Build(#[from] crate::etcd_builds::BuildError),
    /// etcdctl could not run, or failed.
    #[error("etcdctl {args}: {message}")]
    Etcdctl {
        /// Its arguments.
        args: String,
        /// What went wrong (its stderr).
        message: String,
    },
}

impl TestSandbox {
    /// Starts a sandbox on a free port, API only: Pods stay Pending.
    pub async fn start() -> Result<TestSandbox, TestSandboxError> {
        TestSandbox::start_with(Options { node: false, ..Options::default() }).await
    }

    /// Starts a sandbox that runs Pods (needs root, as in CI).
    pub async fn start_with_node() -> Result<TestSandbox, TestSandboxError> {
        TestSandbox::start_with(Options::default()).await
    }

    /// Starts an API-only sandbox that keeps only `history` changes for watches.
    pub async fn start_with_history(history: usize) -> Result<TestSandbox, TestSandboxError> {
        TestSandbox::start_with(Options { node: false, history, ..Options::default() }).await
    }

    /// Starts a sandbox as `options` say (the port is always a free one).
    pub async fn start_with(options: Options) -> Result<TestSandbox, TestSandboxError> {
        let dir = tempfile::Builder::new()
            .prefix("etcd-sandbox-test-")
            .tempdir()
            .map_err(TestSandboxError::TempDir)?;
        let sandbox = Sandbox::start_with(dir.path(), Options { port: 0, ..options }).await?;
        let client = sandbox.client().await?;
        Ok(TestSandbox { sandbox, client, dir })
    }

    /// Creates the project's CustomResourceDefinitions (the sandbox establishes them at once).
    pub async fn install_crds(&self) -> Result<(), TestSandboxError> {
        use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
        let crds: kube::Api<CustomResourceDefinition> = kube::Api::all(self.client.clone());
        for crd in shared::crd::definitions() {
            crds.create(&kube::api::PostParams::default(), &crd).await?;
        }
        Ok(())
    }

    /// The kubeconfig file, for kubectl (`KUBECONFIG=...`).
    pub fn kubeconfig(&self) -> std::path::PathBuf {
        self.sandbox.kubeconfig_path()
    }

    /// The sandbox's folder.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// The requests the sandbox's API has served so far, by verb, resource and client;
    /// take two and subtract ([`RequestCounts::since`]) to count a window.
    ///
    /// [`RequestCounts::since`]: crate::api::requests::RequestCounts::since
    pub fn requests(&self) -> crate::api::requests::RequestCounts {
        self.sandbox.server.requests.snapshot()
    }

    /// Stops the sandbox and removes its folder.
    pub async fn stop(self) {
        self.sandbox.stop().await;
    }
}

/// Runs `etcdctl` of etcd `version` against the member at `ip` (client port 2379) and
/// returns what it printed.
pub async fn etcdctl(version: &str, ip: &str, args: &[&str]) -> Result<String, TestSandboxError> {
    let build = crate::etcd_builds::locate(version)?;
    let mut command = tokio::process::Command::new(build.etcdctl());
    command.env("ETCDCTL_API", "3").arg(format!("--endpoints=http://{ip}:2379")).arg("--command-timeout=5s");
    let out = output_of(command.args(args), &args.join(" ")).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// `etcdutl snapshot status -w json` of etcd `version` (3.5 or later) on a snapshot file:
/// etcd's own content hash, revision, key count and size.
pub async fn snapshot_status(
    version: &str,
    file: &std::path::Path,
) -> Result<serde_json::Value, TestSandboxError> {
    let build = crate::etcd_builds::locate(version)?;
    let described = format!("etcdutl snapshot status {}", file.display());
    let mut command = tokio::process::Command::new(build.dir.join("etcdutl"));
    let out = output_of(command.args(["snapshot", "status", "-w", "json"]).arg(file), &described).await?;
    serde_json::from_slice(&out)
        .map_err(|e| TestSandboxError::Etcdctl { args: described, message: e.to_string() })
}

/// What `command` printed on stdout, or its stderr as the error when it fails.
async fn output_of(
    command: &mut tokio::process::Command,
    described: &str,
) -> Result<Vec<u8>, TestSandboxError> {
    let failed = |message: String| TestSandboxError::Etcdctl { args: described.to_string(), message };
    let out = command.output().await.map_err(|e| failed(e.to_string()))?;
    if !out.status.success() {
        return Err(failed(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    Ok(out.stdout)
}
