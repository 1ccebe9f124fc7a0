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

    /// The kubeconfig file, for kubectl (`KUBECONFIG=...`).
    pub fn kubeconfig(&self) -> std::path::PathBuf {
        self.sandbox.kubeconfig_path()
    }

    /// The sandbox's folder.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    /// Stops the sandbox and removes its folder.
    pub async fn stop(self) {
        self.sandbox.stop().await;
    }
}
