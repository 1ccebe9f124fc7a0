//! A running sandbox: the API emulator on a local port, its controllers, and a kubeconfig
//! that kubectl and kube-rs use to reach it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::api::controllers;
use crate::api::kube_version::{DEFAULT_VERSION, KubeVersion};
use crate::api::server::{ApiServer, router};
use crate::api::store::DEFAULT_HISTORY;
use crate::faults;
use crate::node::agent::NodeAgent;
use crate::node::netns::NetError;
use crate::tls::{SandboxTls, TlsError};

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The port could not be bound.
    #[error(
        "cannot listen on 127.0.0.1:{port}: {source} (is another sandbox using it? choose another with --port)"
    )]
    Bind {
        /// The port asked for.
        port: u16,
        /// The cause.
        source: std::io::Error,
    },
    /// The folder for the kubeconfig, data and logs could not be made.
    #[error("cannot use {dir} for the sandbox's files: {source}")]
    Dir {
        /// The folder.
        dir: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The node agent could not start (it needs root and iproute2).
    #[error("the node agent cannot start: {0} (the sandbox runs Pods as root, in network namespaces)")]
    Node(#[from] NetError),
    /// The in-cluster HTTPS endpoint could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The API did not answer its health check.
    #[error("the API at {address} did not answer /healthz within 10 s")]
    NotAnswering {
        /// Where it should have answered.
        address: String,
    },
}

/// Why a client for the sandbox could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The kubeconfig did not load.
    #[error("the sandbox's kubeconfig is not usable: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    /// The client could not be built.
    #[error("cannot build a client: {0}")]
    Client(#[from] kube::Error),
}

/// How a sandbox starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// Port of the API on 127.0.0.1 (0 picks a free one).
    pub port: u16,
    /// Changes kept for watches to resume from.
    pub history: usize,
    /// Run Pods (the node agent); without it Pods stay Pending, as in a cluster with no nodes.
    pub node: bool,
    /// Authorize requests made with a Pod's service account token against the stored
    /// Roles, ClusterRoles and bindings (`--enforce-rbac`); see [`crate::api::auth`].
    pub enforce_rbac: bool,
    /// Run each container in a root of its own (the image's files, its volumes, `/dev`,
    /// `/tmp`) as its securityContext's user, volumes owned by the Pod's `fsGroup`
    /// (`--isolate-containers`); see [`crate::node::isolation`].
    pub isolate_containers: bool,
    /// The Kubernetes version to report and behave as (`--kube-version`): which CRD
    /// fields and CEL libraries it has; see [`crate::api::kube_version`].
    pub kube_version: KubeVersion,
}

/// Set (to anything) to make [`Options::default`] enforce RBAC, so a whole test suite runs
/// against the refusals of a real cluster without changing its tests.
pub const ENFORCE_RBAC_ENV: &str = "ETCD_SANDBOX_ENFORCE_RBAC";
/// Set (to anything) to make [`Options::default`] isolate containers.
pub const ISOLATE_CONTAINERS_ENV: &str = "ETCD_SANDBOX_ISOLATE_CONTAINERS";

impl Default for Options {
    /// Port 0, the default history, a node; RBAC and isolation off unless
    /// [`ENFORCE_RBAC_ENV`] / [`ISOLATE_CONTAINERS_ENV`] are set.
    fn default() -> Self {
        Options {
            port: 0,
            history: DEFAULT_HISTORY,
            node: true,
            enforce_rbac: std::env::var_os(ENFORCE_RBAC_ENV).is_some(),
            isolate_containers: std::env::var_os(ISOLATE_CONTAINERS_ENV).is_some(),
            kube_version: DEFAULT_VERSION,
        }
    }
}

/// The locally built `etcd-operator`, which the operator's image runs:
/// `$ETCD_SANDBOX_OPERATOR_BIN`, else beside this program (or one folder up, for tests).
pub fn operator_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ETCD_SANDBOX_OPERATOR_BIN") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).take(2).map(|dir| dir.join("etcd-operator")).find(|p| p.exists())
}

/// A sandbox running inside this process.
pub struct Sandbox {
    /// The API server state (for tests and fault injection).
    pub server: Arc<ApiServer>,
    /// The node agent, when the sandbox runs Pods.
    pub node: Option<NodeAgent>,
    /// The in-cluster endpoint (`https://gateway:port`) and its CA, when the sandbox runs Pods.
    pub in_cluster: Option<(String, SandboxTls)>,
    address: SocketAddr,
    dir: PathBuf,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts the API on `127.0.0.1:port` (0 picks a free port) and the node agent,
    /// keeping files in `dir`, and writes `dir/kubeconfig` once the API answers.
    pub async fn start(dir: &Path, port: u16) -> Result<Sandbox, StartError> {
        Sandbox::start_with(dir, Options { port, ..Options::default() }).await
    }

    /// Starts a sandbox as `options` say.
    pub async fn start_with(dir: &Path, options: Options) -> Result<Sandbox, StartError> {
        let (port, history) = (options.port, options.history);
        std::fs::create_dir_all(dir)
            .map_err(|source| StartError::Dir { dir: dir.display().to_string(), source })?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| StartError::Bind { port, source })?;
        let address = listener.local_addr().map_err(|source| StartError::Bind { port, source })?;
        let server = ApiServer::new(address.to_string(), history);
        server.enforce_rbac(options.enforce_rbac);
        server.set_kube_version(options.kube_version);
        let (stop, stopped) = watch::channel(false);
        let node_faults = Arc::new(std::sync::OnceLock::new());
        let routes = router(server.clone()).merge(faults::router(node_faults.clone()));
        let mut tasks = vec![tokio::spawn(serve_logged(listener, routes.clone(), stopped.clone()))];
        tasks.push(tokio::spawn(controllers::run(server.clone())));
        server.set_logs_dir(dir.join("logs"));
        let (node, in_cluster) = if options.node {
            let isolate = options.isolate_containers;
            match start_node(&server, dir, address.port(), isolate, routes, stopped, &mut tasks).await {
                Ok((agent, endpoint)) => {
                    let _ = node_faults.set(agent.faults());
                    (Some(agent), Some(endpoint))
                }
                Err(error) => {
                    let _ = stop.send(true);
                    for task in tasks {
                        task.abort();
                    }
                    return Err(error);
                }
            }
        } else {
            (None, None)
        };
        let sandbox = Sandbox { server, node, in_cluster, address, dir: dir.to_path_buf(), stop, tasks };
        sandbox.wait_until_answering().await?;
        let kubeconfig = sandbox.kubeconfig_path();
        std::fs::write(&kubeconfig, sandbox.kubeconfig())
            .map_err(|source| StartError::Dir { dir: kubeconfig.display().to_string(), source })?;
        Ok(sandbox)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The folder holding the kubeconfig, pod data and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the kubeconfig is written.
    pub fn kubeconfig_path(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// A kubeconfig with one context, `etcd-sandbox`, in namespace `default`.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: etcd-sandbox\n  cluster:\n    server: {}\n\
             contexts:\n- name: etcd-sandbox\n  context:\n    cluster: etcd-sandbox\n    user: etcd-sandbox\n    namespace: default\n\
             current-context: etcd-sandbox\nusers:\n- name: etcd-sandbox\n  user: {{}}\n",
            self.url()
        )
    }

    /// A kube-rs client for this sandbox, configured from its kubeconfig.
    pub async fn client(&self) -> Result<kube::Client, ClientError> {
        Ok(kube::Client::try_from(self.client_config().await?)?)
    }

    /// The kube-rs configuration [`Sandbox::client`] uses, for a caller that adjusts it
    /// (adds a `User-Agent`, say) before building its own client.
    pub async fn client_config(&self) -> Result<kube::Config, ClientError> {
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&self.kubeconfig())?;
        Ok(kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
            .await?)
    }

    async fn wait_until_answering(&self) -> Result<(), StartError> {
        for _ in 0..100 {
            if answers_health(self.address).await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(StartError::NotAnswering { address: self.url() })
    }

    /// Stops every Pod, removes the Pod network, then stops the API and the controllers.
    pub async fn stop(self) {
        if let Some(node) = self.node {
            node.shutdown().await;
        }
        let _ = self.stop.send(true);
        for task in self.tasks {
            task.abort();
            let _ = task.await;
        }
    }
}

/// Serves until `stopped` turns true, logging a failure.
async fn serve_logged<L>(listener: L, routes: axum::Router, mut stopped: watch::Receiver<bool>)
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let shutdown = async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    if let Err(error) = axum::serve(listener, routes).with_graceful_shutdown(shutdown).await {
        tracing::error!(%error, "an API listener stopped");
    }
}

/// Starts the node agent and the in-cluster HTTPS endpoint on its gateway address.
async fn start_node(
    server: &Arc<ApiServer>,
    dir: &Path,
    port: u16,
    isolate_containers: bool,
    routes: axum::Router,
    stopped: watch::Receiver<bool>,
    tasks: &mut Vec<JoinHandle<()>>,
) -> Result<(NodeAgent, (String, SandboxTls)), StartError> {
    let agent = NodeAgent::start(server.clone(), dir, port, operator_binary(), isolate_containers).await?;
    let gateway = agent.gateway();
    let tls = match SandboxTls::generate(gateway.into()) {
        Ok(tls) => tls,
        Err(error) => {
            agent.shutdown().await;
            return Err(error.into());
        }
    };
    let tcp = match tokio::net::TcpListener::bind((gateway, port)).await {
        Ok(tcp) => tcp,
        Err(source) => {
            agent.shutdown().await;
            return Err(StartError::Bind { port, source });
        }
    };
    tasks.push(tokio::spawn(serve_logged(tls.listener(tcp), routes, stopped)));
    let ca_file = dir.join("ca.crt");
    if let Err(source) = std::fs::write(&ca_file, &tls.ca_pem) {
        agent.shutdown().await;
        return Err(StartError::Dir { dir: ca_file.display().to_string(), source });
    }
    agent.trust(tls.ca_pem.clone());
    Ok((agent, (format!("https://{gateway}:{port}"), tls)))
}

/// A plain HTTP/1.1 `GET /healthz` over a fresh connection, as a client would send it.
async fn answers_health(address: SocketAddr) -> bool {
    let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else { return false };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut answer)).await;
    read.is_ok() && answer.starts_with(b"HTTP/1.1 200")
}
