//! The node agent: the sandbox's scheduler and kubelet in one. It binds every Pod to the
//! one node, and runs each Pod's containers as local processes in the Pod's own network
//! namespace: volumes mounted, init containers first, restartPolicy honoured with back-off,
//! readiness and liveness probes, status written back through the store, graceful deletion
//! (SIGTERM, then SIGKILL after the grace period). Hosts files make Pod and Service names
//! resolve in every Pod and, through `DIR/hosts`, for tools on the machine.
//!
//! Faults for tests: crash a Pod's containers, lose a Pod as a dead node would, cut a Pod
//! off the network.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::sync::{Notify, mpsc};

use super::dns::{self, PodName, ServiceName};
use super::exec::{NodeExecutor, RunningContainers, Started};
use super::images::{self, ImageError};
use super::isolation::{self, Isolation};
use super::netns::{NetError, Network, PodNetwork};
use super::probe::{Probe, ProbeTarget, run_probe};
use super::process::{ExitStatusInfo, ProcessSpec, RunningProcess};
use super::volumes::{self, Lookup, PreparedVolumes};
use crate::api::registry::ResourceType;
use crate::api::server::ApiServer;
use crate::api::store::{DeleteOptions, Part, name_of, now};

/// The name of the sandbox's only node.
pub const NODE_NAME: &str = "sandbox-node";

/// First restart delay; it doubles up to [`MAX_BACKOFF`]. Shorter than a kubelet's (10 s
/// to 5 min) so tests of crash recovery take seconds, not minutes.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A container that ran this long has its back-off reset.
const BACKOFF_RESET: Duration = Duration::from_secs(60);
/// How often a worker looks at its containers.
const TICK: Duration = Duration::from_millis(100);

/// Why a fault could not be injected.
#[derive(Debug, thiserror::Error)]
pub enum FaultError {
    /// The sandbox does not run that Pod.
    #[error("pod {namespace}/{name} is not running on the sandbox node")]
    NoSuchPod {
        /// Namespace.
        namespace: String,
        /// Name.
        name: String,
    },
    /// The network change failed.
    #[error(transparent)]
    Network(#[from] NetError),
    /// The node is shutting down.
    #[error("the sandbox node is stopping")]
    Stopped,
}

/// Orders a Pod's worker follows.
#[derive(Debug)]
enum Order {
    /// Stop the containers gracefully, then delete the Pod object.
    Terminate(Duration),
    /// Kill everything at once and clean up; the object is (being) removed by others.
    Lose,
    /// Kill the containers' processes (they restart by policy).
    Crash,
    /// Cut the Pod off the network, or heal it.
    Isolate(bool, tokio::sync::oneshot::Sender<Result<(), NetError>>),
    /// The Pod's container images changed: restart the changed containers with their new
    /// image, as a kubelet does.
    Images(Vec<(String, String)>),
}

struct Worker {
    namespace: String,
    name: String,
    orders: mpsc::UnboundedSender<Order>,
    terminating: bool,
    /// `(container, image)` of every container, as last sent to the worker.
    images: Vec<(String, String)>,
}

struct Shared {
    server: Arc<ApiServer>,
    network: Network,
    dir: PathBuf,
    operator_binary: Option<PathBuf>,
    isolate_containers: bool,
    api_port: u16,
    ca_pem: std::sync::OnceLock<String>,
    workers: Mutex<HashMap<String, Worker>>,
    networks: Mutex<HashMap<String, PodNetwork>>,
    written_hosts: Mutex<HashMap<String, dns::HostsEntries>>,
    hosts_changed: Notify,
    running: Arc<RunningContainers>,
}

impl Shared {
    fn pods(&self) -> Arc<ResourceType> {
        // The pods type is built in; it is always served.
        self.server.registry.lookup("", "v1", "pods").unwrap_or_else(|| unreachable!("pods are built in"))
    }
}

/// The running node agent.
pub struct NodeAgent {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl NodeAgent {
    /// Cleans up what a killed sandbox left, creates the Pod network and starts running
    /// Pods. `dir` holds volumes and logs; `api_port` is what Pods are told the API is on;
    /// `isolate_containers` gives each container a root and a user of its own (see
    /// [`super::isolation`]).
    pub async fn start(
        server: Arc<ApiServer>,
        dir: &Path,
        api_port: u16,
        operator_binary: Option<PathBuf>,
        isolate_containers: bool,
    ) -> Result<NodeAgent, NetError> {
        let stale = Network::cleanup_stale().await?;
        if !stale.is_empty() {
            tracing::info!(subnets = stale.subnets.len(), "removed what an earlier sandbox left behind");
        }
        let network = Network::create().await?;
        let shared = Arc::new(Shared {
            server,
            network,
            dir: dir.to_path_buf(),
            operator_binary,
            isolate_containers,
            api_port,
            ca_pem: std::sync::OnceLock::new(),
            workers: Mutex::new(HashMap::new()),
            networks: Mutex::new(HashMap::new()),
            written_hosts: Mutex::new(HashMap::new()),
            hosts_changed: Notify::new(),
            running: Arc::new(RunningContainers::default()),
        });
        shared.server.set_executor(Arc::new(NodeExecutor {
            running: Arc::downgrade(&shared.running),
            operator_binary: shared.operator_binary.clone(),
        }));
        register_node(&shared);
        let task = tokio::spawn(sync_loop(shared.clone()));
        Ok(NodeAgent { shared, task })
    }

    /// The gateway address of the Pod network (the machine, as Pods see it).
    pub fn gateway(&self) -> Ipv4Addr {
        self.shared.network.gateway()
    }

    /// The API's CA certificate (PEM), written into every Pod's service account folder.
    /// Pods start only once it is known.
    pub fn trust(&self, ca_pem: String) {
        let _ = self.shared.ca_pem.set(ca_pem);
        self.shared.hosts_changed.notify_one();
    }

    /// A handle for injecting faults into this node's Pods.
    pub fn faults(&self) -> Faults {
        Faults { shared: Arc::downgrade(&self.shared) }
    }

    /// Stops every Pod (SIGKILL after a short grace), then removes the Pod network.
    pub async fn shutdown(self) {
        self.task.abort();
        let _ = self.task.await;
        let orders: Vec<_> = {
            let workers = self.shared.workers.lock().unwrap_or_else(PoisonError::into_inner);
            workers.values().map(|w| w.orders.clone()).collect()
        };
        for sender in &orders {
            let _ = sender.send(Order::Lose);
        }
        // Wait for the workers to finish and drop their references to the node.
        let mut shared = self.shared;
        let mut waited = Duration::ZERO;
        let shared = loop {
            match Arc::try_unwrap(shared) {
                Ok(alone) => break alone,
                Err(still_shared) if waited < Duration::from_secs(10) => {
                    shared = still_shared;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    waited += Duration::from_millis(20);
                }
                Err(_) => {
                    tracing::warn!(
                        "pod workers still running after 10 s; the next sandbox cleans their network up"
                    );
                    return;
                }
            }
        };
        if let Err(error) = shared.network.destroy().await {
            tracing::warn!(%error, "removing the pod network failed; the next sandbox cleans it up");
        }
    }
}

/// Injects faults into the Pods the node runs (for tests and `etcd-sandbox fault`).
#[derive(Clone)]
pub struct Faults {
    shared: std::sync::Weak<Shared>,
}

impl Faults {
    /// Fault: the Pod's container processes are killed (SIGKILL) and restart by policy.
    pub fn crash(&self, namespace: &str, name: &str) -> Result<(), FaultError> {
        self.order(namespace, name, Order::Crash)
    }

    /// Fault: the Pod is lost as with a dead node: processes killed, object deleted with
    /// grace 0. Its volumes (PVC folders) stay.
    pub fn lose(&self, namespace: &str, name: &str) -> Result<(), FaultError> {
        self.order(namespace, name, Order::Lose)?;
        let shared = self.shared.upgrade().ok_or(FaultError::Stopped)?;
        let force = DeleteOptions { grace_period_seconds: Some(0), ..DeleteOptions::default() };
        match shared.server.store.delete(&shared.pods(), namespace, name, &force) {
            Ok(_) => Ok(()),
            Err(e) if e.code == 404 => Ok(()),
            Err(_) => Err(FaultError::NoSuchPod { namespace: namespace.into(), name: name.into() }),
        }
    }

    /// Fault: cut the Pod off the network (`true`) or heal it (`false`).
    pub async fn isolate(&self, namespace: &str, name: &str, isolated: bool) -> Result<(), FaultError> {
        let (done, result) = tokio::sync::oneshot::channel();
        self.order(namespace, name, Order::Isolate(isolated, done))?;
        let missing = || FaultError::NoSuchPod { namespace: namespace.into(), name: name.into() };
        result.await.map_err(|_| missing())?.map_err(FaultError::from)
    }

    fn order(&self, namespace: &str, name: &str, order: Order) -> Result<(), FaultError> {
        let shared = self.shared.upgrade().ok_or(FaultError::Stopped)?;
        let workers = shared.workers.lock().unwrap_or_else(PoisonError::into_inner);
        let worker = workers
            .values()
            .find(|w| w.namespace == namespace && w.name == name)
            .ok_or_else(|| FaultError::NoSuchPod { namespace: namespace.into(), name: name.into() })?;
        worker
            .orders
            .send(order)
            .map_err(|_| FaultError::NoSuchPod { namespace: namespace.into(), name: name.into() })
    }
}

/// Registers the one Node object, so `kubectl get nodes` and Pod placement look familiar.
fn register_node(shared: &Shared) {
    let node = json!({
        "metadata": {"name": NODE_NAME, "labels": {"kubernetes.io/hostname": NODE_NAME, "kubernetes.io/os": "linux"}},
        "spec": {},
    });
    if let Err(error) = shared.server.create_object("nodes", "", node) {
        tracing::warn!(%error, "registering the node failed");
        return;
    }
    let ready = json!({
        "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "etcd-sandbox node agent is running", "lastTransitionTime": now()}],
        "addresses": [{"type": "InternalIP", "address": shared.network.gateway().to_string()}, {"type": "Hostname", "address": NODE_NAME}],
    });
    if let Ok(nodes) = shared.server.builtin("nodes") {
        let _ =
            shared.server.store.modify(&nodes, "", NODE_NAME, Part::Status, |next| next["status"] = ready);
    }
}

/// Reacts to every change: schedules, starts and stops Pods, keeps hosts files current.
async fn sync_loop(shared: Arc<Shared>) {
    let mut changes = shared.server.store.subscribe();
    loop {
        sync(&shared);
        refresh_hosts(&shared);
        tokio::select! {
            _ = changes.recv() => {}
            _ = shared.hosts_changed.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        while changes.try_recv().is_ok() {}
    }
}

fn sync(shared: &Arc<Shared>) {
    let pods_type = shared.pods();
    let pods = shared.server.store.all_of(&pods_type.key());
    let mut workers = shared.workers.lock().unwrap_or_else(PoisonError::into_inner);
    let present: std::collections::HashSet<String> = pods.iter().map(uid_of).collect();
    for (uid, worker) in workers.iter() {
        if !present.contains(uid) {
            let _ = worker.orders.send(Order::Lose);
        }
    }
    for pod in &pods {
        let uid = uid_of(pod);
        let (namespace, name) = (namespace_of(pod).to_string(), name_of(pod).to_string());
        let deleting = pod["metadata"].get("deletionTimestamp").is_some();
        let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
        if let Some(worker) = workers.get_mut(&uid) {
            if deleting && !worker.terminating {
                worker.terminating = true;
                let grace = pod["metadata"]["deletionGracePeriodSeconds"].as_u64().unwrap_or(30);
                let _ = worker.orders.send(Order::Terminate(Duration::from_secs(grace)));
            } else if !deleting {
                let images = images_of(pod);
                if images != worker.images {
                    worker.images = images.clone();
                    let _ = worker.orders.send(Order::Images(images));
                }
            }
            continue;
        }
        if deleting {
            // Never started here: nothing to stop.
            let force = DeleteOptions { grace_period_seconds: Some(0), ..DeleteOptions::default() };
            let _ = shared.server.store.delete(&pods_type, &namespace, &name, &force);
            continue;
        }
        if node.is_empty() {
            // The scheduler's part: one node, so every Pod goes there.
            let _ = shared.server.store.modify(&pods_type, &namespace, &name, Part::Main, |next| {
                next["spec"]["nodeName"] = json!(NODE_NAME);
            });
            continue;
        }
        if node != NODE_NAME || shared.ca_pem.get().is_none() {
            continue;
        }
        let (orders, received) = mpsc::unbounded_channel();
        workers.insert(
            uid.clone(),
            Worker {
                namespace: namespace.clone(),
                name: name.clone(),
                orders,
                terminating: false,
                images: images_of(pod),
            },
        );
        let shared = shared.clone();
        tokio::spawn(async move {
            run_pod(&shared, &uid, &namespace, &name, received).await;
            shared.workers.lock().unwrap_or_else(PoisonError::into_inner).remove(&uid);
            shared.networks.lock().unwrap_or_else(PoisonError::into_inner).remove(&uid);
            shared.written_hosts.lock().unwrap_or_else(PoisonError::into_inner).remove(&uid);
            shared.hosts_changed.notify_one();
        });
    }
}

/// `(container, image)` of every container and init container of a Pod.
fn images_of(pod: &Value) -> Vec<(String, String)> {
    ["initContainers", "containers"]
        .iter()
        .flat_map(|key| pod["spec"][key].as_array().into_iter().flatten())
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["image"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn uid_of(object: &Value) -> String {
    object["metadata"]["uid"].as_str().unwrap_or_default().to_string()
}

fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or_default()
}

/// Writes every running Pod's hosts file (when it changed) and `DIR/hosts` for the machine.
fn refresh_hosts(shared: &Shared) {
    let Ok(pods_type) = shared.server.builtin("pods") else { return };
    let Ok(endpoints_type) = shared.server.builtin("endpoints") else { return };
    let pods: Vec<PodName> = shared
        .server
        .store
        .all_of(&pods_type.key())
        .iter()
        .filter(|p| p["metadata"].get("deletionTimestamp").is_none())
        .filter_map(|p| {
            let ip = p["status"]["podIP"].as_str()?.parse().ok()?;
            Some(PodName {
                namespace: namespace_of(p).into(),
                name: name_of(p).into(),
                hostname: p["spec"]["hostname"].as_str().map(String::from),
                subdomain: p["spec"]["subdomain"].as_str().map(String::from),
                ip,
            })
        })
        .collect();
    let services: Vec<ServiceName> = shared
        .server
        .store
        .all_of(&endpoints_type.key())
        .iter()
        .map(|e| ServiceName {
            namespace: namespace_of(e).into(),
            name: name_of(e).into(),
            ready_ips: e["subsets"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["addresses"].as_array().cloned().unwrap_or_default())
                .filter_map(|a| a["ip"].as_str()?.parse().ok())
                .collect(),
        })
        .collect();
    // The machine's own hosts file, then the sandbox's names: what `etcd-sandbox exec` mounts.
    let host_view = dns::hosts_entries(None, &pods, &services);
    let mut text = std::fs::read_to_string("/etc/hosts").unwrap_or_else(|_| "127.0.0.1 localhost\n".into());
    text.push_str("# etcd-sandbox names\n");
    text.extend(host_view.iter().map(|(ip, names)| format!("{ip} {}\n", names.join(" "))));
    let _ = std::fs::write(shared.dir.join("hosts"), text);
    let networks = shared.networks.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let workers: HashMap<String, (String, String)> = shared
        .workers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .map(|(uid, w)| (uid.clone(), (w.namespace.clone(), w.name.clone())))
        .collect();
    let mut written = shared.written_hosts.lock().unwrap_or_else(PoisonError::into_inner);
    for (uid, net) in &networks {
        let Some((ns, name)) = workers.get(uid) else { continue };
        let entries = dns::hosts_entries(Some((ns, name)), &pods, &services);
        if written.get(uid) == Some(&entries) {
            continue;
        }
        match shared.network.write_hosts(net, &entries) {
            Ok(()) => {
                written.insert(uid.clone(), entries);
            }
            Err(error) => tracing::warn!(%error, pod = %name, "writing the pod's hosts file failed"),
        }
    }
}

struct StoreLookup<'a>(&'a ApiServer);

impl Lookup for StoreLookup<'_> {
    fn find(&self, plural: &str, namespace: &str, name: &str) -> Option<Value> {
        let rt = self.0.builtin(plural).ok()?;
        self.0.store.get(&rt, namespace, name).ok()
    }
}

/// One probe of a container, with the kubelet's timing and thresholds.
struct ProbeState {
    probe: Probe,
    initial_delay: Duration,
    period: Duration,
    timeout: Duration,
    success_threshold: u32,
    failure_threshold: u32,
    last_run: Option<Instant>,
    successes: u32,
    failures: u32,
    passing: bool,
}

impl ProbeState {
    fn from_spec(spec: &Value, container: &Value) -> Option<ProbeState> {
        let seconds = |key: &str, default: u64| Duration::from_secs(spec[key].as_u64().unwrap_or(default));
        let port = |port: &Value| -> Option<u16> {
            match port {
                Value::Number(n) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
                Value::String(named) => container["ports"]
                    .as_array()?
                    .iter()
                    .find(|p| p["name"] == named.as_str())
                    .and_then(|p| p["containerPort"].as_u64())
                    .and_then(|p| u16::try_from(p).ok()),
                _ => None,
            }
        };
        let probe = if let Some(command) = spec["exec"]["command"].as_array() {
            Probe::Exec { command: command.iter().filter_map(Value::as_str).map(String::from).collect() }
        } else if spec.get("tcpSocket").is_some() {
            Probe::TcpSocket { port: port(&spec["tcpSocket"]["port"])? }
        } else if spec.get("httpGet").is_some() {
            Probe::HttpGet {
                path: spec["httpGet"]["path"].as_str().unwrap_or("/").to_string(),
                port: port(&spec["httpGet"]["port"])?,
            }
        } else {
            return None;
        };
        Some(ProbeState {
            probe,
            initial_delay: seconds("initialDelaySeconds", 0),
            period: seconds("periodSeconds", 10).max(Duration::from_millis(100)),
            timeout: seconds("timeoutSeconds", 1),
            success_threshold: spec["successThreshold"].as_u64().unwrap_or(1).max(1) as u32,
            failure_threshold: spec["failureThreshold"].as_u64().unwrap_or(3).max(1) as u32,
            last_run: None,
            successes: 0,
            failures: 0,
            passing: false,
        })
    }

    fn due(&self, started: Instant, now: Instant) -> bool {
        now.duration_since(started) >= self.initial_delay
            && self.last_run.is_none_or(|last| now.duration_since(last) >= self.period)
    }

    fn record(&mut self, success: bool) {
        if success {
            self.successes += 1;
            self.failures = 0;
            if self.successes >= self.success_threshold {
                self.passing = true;
            }
        } else {
            self.failures += 1;
            self.successes = 0;
            if self.failures >= self.failure_threshold {
                self.passing = false;
            }
        }
    }
}

/// One container of a Pod and what the agent knows of it.
struct Container {
    spec: Value,
    name: String,
    init: bool,
    process: Option<RunningProcess>,
    started: Option<(Instant, String)>,
    restart_count: i64,
    state: Value,
    last_state: Value,
    next_start: Instant,
    backoff: Duration,
    finished: bool,
    readiness: Option<ProbeState>,
    liveness: Option<ProbeState>,
}

impl Container {
    fn new(spec: &Value, init: bool) -> Container {
        Container {
            name: spec["name"].as_str().unwrap_or_default().to_string(),
            init,
            process: None,
            started: None,
            restart_count: 0,
            state: json!({"waiting": {"reason": "PodInitializing"}}),
            last_state: json!({}),
            next_start: Instant::now(),
            backoff: FIRST_BACKOFF,
            finished: false,
            readiness: ProbeState::from_spec(&spec["readinessProbe"], spec),
            liveness: ProbeState::from_spec(&spec["livenessProbe"], spec),
            spec: spec.clone(),
        }
    }

    fn ready(&self) -> bool {
        self.process.is_some() && self.readiness.as_ref().is_none_or(|r| r.passing)
    }

    fn status(&self) -> Value {
        json!({
            "name": self.name,
            "image": self.spec["image"],
            "imageID": "",
            "containerID": self.process.as_ref().map(|p| format!("sandbox://{}", p.pid())),
            "ready": self.ready(),
            "started": self.process.is_some(),
            "restartCount": self.restart_count,
            "state": self.state,
            "lastState": self.last_state,
        })
    }
}

/// Everything a Pod's worker holds.
struct PodRun<'a> {
    shared: &'a Shared,
    uid: String,
    namespace: String,
    name: String,
    pod: Value,
    net: PodNetwork,
    volumes: PreparedVolumes,
    containers: Vec<Container>,
    restart_policy: String,
    written: Value,
    transitions: HashMap<String, (bool, String)>,
}

/// The life of one Pod on the node, from network to deletion.
async fn run_pod(
    shared: &Shared,
    uid: &str,
    namespace: &str,
    name: &str,
    mut orders: mpsc::UnboundedReceiver<Order>,
) {
    let pods_type = shared.pods();
    let Ok(pod) = shared.server.store.get(&pods_type, namespace, name) else { return };
    let net = match shared.network.add_pod(&format!("{namespace}/{name}/{uid}")).await {
        Ok(net) => net,
        Err(error) => {
            tracing::error!(%error, pod = name, "no network for the pod");
            let _ = shared.server.store.modify(&pods_type, namespace, name, Part::Status, |next| {
                next["status"]["message"] = json!(format!("no pod network: {error}"));
                next["status"]["reason"] = json!("NetworkNotReady");
            });
            return;
        }
    };
    shared.networks.lock().unwrap_or_else(PoisonError::into_inner).insert(uid.to_string(), net.clone());
    shared.hosts_changed.notify_one();
    let containers = pod["spec"]["initContainers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| Container::new(c, true))
        .chain(pod["spec"]["containers"].as_array().into_iter().flatten().map(|c| Container::new(c, false)))
        .collect();
    let mut run = PodRun {
        shared,
        uid: uid.to_string(),
        namespace: namespace.to_string(),
        name: name.to_string(),
        restart_policy: pod["spec"]["restartPolicy"].as_str().unwrap_or("Always").to_string(),
        pod,
        net,
        volumes: PreparedVolumes::new(),
        containers,
        written: Value::Null,
        transitions: HashMap::new(),
    };
    run.write_status(None);
    let outcome = run.live(&mut orders).await;
    run.finish(outcome).await;
}

/// How a Pod's life ended.
enum Ending {
    Terminated,
    Lost,
}

impl PodRun<'_> {
    fn pod_dir(&self) -> PathBuf {
        self.shared.dir.join("pods").join(&self.uid)
    }

    fn log_dir(&self) -> PathBuf {
        self.shared.dir.join("logs").join(&self.namespace).join(&self.name)
    }

    async fn live(&mut self, orders: &mut mpsc::UnboundedReceiver<Order>) -> (Ending, Duration) {
        // A child of the sandbox exited (maybe one of this Pod's containers): look at once, as
        // a kubelet does on a container's exit event, instead of at the next tick.
        let mut exits = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::child()).ok();
        loop {
            let exited = async {
                match exits.as_mut() {
                    Some(exits) => {
                        exits.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = exited => self.step().await,
                order = orders.recv() => match order {
                    Some(Order::Terminate(grace)) => return (Ending::Terminated, grace),
                    Some(Order::Lose) | None => return (Ending::Lost, Duration::ZERO),
                    Some(Order::Crash) => {
                        for container in self.containers.iter_mut().filter(|c| !c.init) {
                            if let Some(process) = container.process.as_mut() {
                                let _ = process.kill_now();
                            }
                        }
                    }
                    Some(Order::Isolate(isolated, done)) => {
                        let _ = done.send(self.shared.network.set_isolated(&self.net, isolated).await);
                    }
                    Some(Order::Images(images)) => self.change_images(&images).await,
                },
                _ = tokio::time::sleep(TICK) => self.step().await,
            }
        }
    }

    /// One look at the Pod: volumes, then init containers in order, then the containers.
    async fn step(&mut self) {
        if self.volumes.is_empty() {
            let lookup = StoreLookup(&self.shared.server);
            let ca = self.shared.ca_pem.get().map(String::as_str).unwrap_or_default();
            let account = self.pod["spec"]["serviceAccountName"].as_str().unwrap_or("default");
            let token = self.shared.server.tokens.issue(&self.namespace, account);
            let claims = self.shared.dir.join("volumes");
            let prepared = volumes::prepare(&self.pod, &self.pod_dir(), &claims, &lookup, ca, &token)
                .and_then(|prepared| self.owned_by_fs_group(prepared));
            match prepared {
                Ok(prepared) => self.volumes = prepared,
                Err(error) => {
                    self.write_status(Some(("ContainerCreating", error.to_string())));
                    return;
                }
            }
        }
        // As a kubelet's pod sync does: an init container seen to have completed hands over
        // to the next one (or to the containers) in the same look, not a tick later.
        loop {
            let init_pending = self.containers.iter().position(|c| c.init && !c.finished);
            let Some(i) = init_pending else { break };
            self.tend(i).await;
            if !self.containers[i].finished {
                self.write_status(None);
                return;
            }
        }
        for i in (0..self.containers.len()).filter(|i| !self.containers[*i].init).collect::<Vec<_>>() {
            self.tend(i).await;
        }
        self.write_status(None);
    }

    /// With isolated containers, the Pod's volumes belong to its `fsGroup`, as a kubelet
    /// makes them.
    fn owned_by_fs_group(
        &self,
        prepared: volumes::PreparedVolumes,
    ) -> Result<volumes::PreparedVolumes, volumes::VolumeError> {
        let Some(gid) = isolation::fs_group(&self.pod).filter(|_| self.shared.isolate_containers) else {
            return Ok(prepared);
        };
        for dir in prepared.values() {
            isolation::apply_fs_group(dir, gid)
                .map_err(|source| volumes::VolumeError::Io { path: dir.display().to_string(), source })?;
        }
        Ok(prepared)
    }

    /// Starts, watches, probes and restarts container `i`.
    async fn tend(&mut self, i: usize) {
        let now = Instant::now();
        let exited = match self.containers[i].process.as_mut().map(|p| p.try_status()) {
            Some(Ok(Some(exit))) => Some(exit),
            Some(Err(error)) => {
                tracing::warn!(%error, container = %self.containers[i].name, "cannot read a container's state");
                None
            }
            _ => None,
        };
        if let Some(exit) = exited {
            self.record_exit(i, exit);
        }
        let due = {
            let container = &self.containers[i];
            container.process.is_none() && !container.finished && now >= container.next_start
        };
        if due {
            self.start(i).await;
            return;
        }
        if self.containers[i].process.is_none() {
            return;
        }
        let target = ProbeTarget {
            netns: Some(self.net.netns.clone()),
            pod_ip: self.net.ip,
            extra_path_dirs: self.path_dirs(i),
            env: vec![],
        };
        let container = &mut self.containers[i];
        let started = container.started.as_ref().map(|(t, _)| *t).unwrap_or(now);
        for liveness in [false, true] {
            let probe = if liveness { container.liveness.as_mut() } else { container.readiness.as_mut() };
            let Some(probe) = probe.filter(|p| p.due(started, now)) else { continue };
            probe.last_run = Some(now);
            let result = run_probe(&probe.probe, &target, probe.timeout).await;
            probe.record(result.is_success());
            if liveness && probe.failures >= probe.failure_threshold {
                tracing::info!(container = %container.name, pod = %self.name, "liveness probe failed; restarting the container");
                probe.failures = 0;
                if let Some(process) = container.process.as_mut() {
                    let _ = process.kill_now();
                }
            }
        }
    }

    fn path_dirs(&self, i: usize) -> Vec<PathBuf> {
        let spec = &self.containers[i].spec;
        let command: Vec<String> = strings(&spec["command"]);
        images::resolve(
            spec["image"].as_str().unwrap_or_default(),
            &command,
            &[],
            self.shared.operator_binary.as_deref(),
        )
        .map(|r| r.path_dirs)
        .unwrap_or_default()
    }

    async fn start(&mut self, i: usize) {
        let lookup = StoreLookup(&self.shared.server);
        // The Pod as it is now (its IP is in status by the time containers start).
        if let Ok(current) = self.shared.server.store.get(&self.shared.pods(), &self.namespace, &self.name) {
            self.pod = current;
        }
        let spec = self.containers[i].spec.clone();
        let mut env = vec![
            ("HOSTNAME".to_string(), self.pod["spec"]["hostname"].as_str().unwrap_or(&self.name).to_string()),
            ("KUBERNETES_SERVICE_HOST".to_string(), self.shared.network.gateway().to_string()),
            ("KUBERNETES_SERVICE_PORT".to_string(), self.shared.api_port.to_string()),
        ];
        env.extend(volumes::environment(&self.pod, &spec, &lookup));
        let command = expand(&strings(&spec["command"]), &env);
        let args = expand(&strings(&spec["args"]), &env);
        let image = spec["image"].as_str().unwrap_or_default();
        let resolved = match images::resolve(image, &command, &args, self.shared.operator_binary.as_deref()) {
            Ok(resolved) => resolved,
            Err(error @ ImageError::NotAvailable(_)) => {
                let container = &mut self.containers[i];
                container.state =
                    json!({"waiting": {"reason": "ErrImagePull", "message": error.to_string()}});
                container.next_start = Instant::now() + MAX_BACKOFF;
                return;
            }
            Err(error @ ImageError::NoSuchCommand(_)) => {
                self.failed_to_start(i, error.to_string());
                return;
            }
        };
        let log_dir = self.log_dir();
        if let Err(error) = std::fs::create_dir_all(&log_dir) {
            self.failed_to_start(i, format!("cannot create {}: {error}", log_dir.display()));
            return;
        }
        let (program, extra_path_dirs, isolation) = if self.shared.isolate_containers {
            let user = match isolation::run_as(&self.pod, &spec) {
                Ok(user) => user,
                Err(error) => {
                    let container = &mut self.containers[i];
                    container.state = json!({"waiting": {"reason": "CreateContainerConfigError", "message": error.to_string()}});
                    container.next_start = Instant::now() + MAX_BACKOFF;
                    return;
                }
            };
            let root = self.pod_dir().join("roots").join(&self.containers[i].name);
            let isolation = Isolation { root, image_files: resolved.image_files, user };
            (resolved.in_image, vec![PathBuf::from(images::IMAGE_BIN_DIR)], Some(isolation))
        } else {
            (resolved.program, resolved.path_dirs, None)
        };
        let process_spec = ProcessSpec {
            program,
            args: resolved.args,
            env,
            working_dir: spec["workingDir"].as_str().map(PathBuf::from),
            netns: Some(self.net.netns.clone()),
            log_path: log_dir.join(format!("{}.log", self.containers[i].name)),
            extra_path_dirs,
            bind_mounts: volumes::mounts_of(&spec, &self.volumes),
            isolation,
        };
        match RunningProcess::spawn(&process_spec).await {
            Ok(process) => {
                let at = now();
                let started = Started { image: image.to_string(), spec: process_spec };
                self.shared.running.started(&self.uid, &self.containers[i].name, started);
                let container = &mut self.containers[i];
                tracing::debug!(pod = %self.name, container = %container.name, pid = process.pid(), "container started");
                container.state = json!({"running": {"startedAt": at}});
                container.started = Some((Instant::now(), at));
                container.process = Some(process);
                if let Some(r) = container.readiness.as_mut() {
                    r.passing = false;
                    r.successes = 0;
                    r.last_run = None;
                }
                if let Some(l) = container.liveness.as_mut() {
                    l.failures = 0;
                    l.last_run = None;
                }
            }
            Err(error) => self.failed_to_start(i, error.to_string()),
        }
    }

    fn failed_to_start(&mut self, i: usize, message: String) {
        let at = now();
        let terminated = json!({"terminated": {"exitCode": 128, "reason": "StartError", "message": message, "startedAt": at, "finishedAt": at}});
        self.after_exit(i, terminated, false);
    }

    /// A kubelet's answer to an image update: every running container whose image changed
    /// is stopped gracefully and started again at once with the new image (its restart
    /// count goes up); one waiting for an image that could not be pulled tries the new one
    /// now instead of after its back-off.
    async fn change_images(&mut self, images: &[(String, String)]) {
        let grace =
            Duration::from_secs(self.pod["spec"]["terminationGracePeriodSeconds"].as_u64().unwrap_or(30));
        for container in self.containers.iter_mut().filter(|c| !c.init) {
            let Some((_, image)) = images.iter().find(|(name, _)| *name == container.name) else { continue };
            if container.spec["image"] == image.as_str() {
                continue;
            }
            tracing::info!(pod = %self.name, container = %container.name, %image, "image changed; restarting the container");
            container.spec["image"] = json!(image);
            if let Some(mut process) = container.process.take() {
                let exit = process.terminate(grace).await;
                let started_at = container.started.take().map(|(_, at)| at).unwrap_or_else(now);
                let code = exit.as_ref().ok().and_then(|e| e.code).unwrap_or(0);
                container.last_state = json!({"terminated": {"exitCode": code, "reason": "Completed", "startedAt": started_at, "finishedAt": now()}});
                container.restart_count += 1;
            }
            container.finished = false;
            container.next_start = Instant::now();
            container.state = json!({"waiting": {"reason": "ContainerCreating"}});
        }
        self.write_status(None);
    }

    fn record_exit(&mut self, i: usize, exit: ExitStatusInfo) {
        self.shared.running.ended(&self.uid, &self.containers[i].name);
        let container = &mut self.containers[i];
        container.process = None;
        let started_at = container.started.as_ref().map(|(_, at)| at.clone()).unwrap_or_else(now);
        let ran_for = container.started.take().map(|(t, _)| t.elapsed()).unwrap_or_default();
        if ran_for >= BACKOFF_RESET {
            container.backoff = FIRST_BACKOFF;
        }
        let code = exit.code.unwrap_or(128 + exit.signal.unwrap_or(0));
        tracing::debug!(pod = %self.name, container = %container.name, code, seconds = ran_for.as_secs_f64(), "container exited");
        let reason = if exit.success() { "Completed" } else { "Error" };
        let mut terminated =
            json!({"exitCode": code, "reason": reason, "startedAt": started_at, "finishedAt": now()});
        if let Some(signal) = exit.signal {
            terminated["signal"] = json!(signal);
        }
        // As a kubelet does for `terminationMessagePolicy: FallbackToLogsOnError` (the
        // sandbox's containers write no termination-log file): a failed container's last
        // log lines become its termination message.
        let container = &self.containers[i];
        if !exit.success() && container.spec["terminationMessagePolicy"] == "FallbackToLogsOnError" {
            let log =
                std::fs::read(self.log_dir().join(format!("{}.log", container.name))).unwrap_or_default();
            terminated["message"] = json!(termination_message_from_log(&log));
        }
        self.after_exit(i, json!({"terminated": terminated}), exit.success());
    }

    /// Decides, by restartPolicy, whether an exited container starts again and when.
    fn after_exit(&mut self, i: usize, terminated: Value, success: bool) {
        let restart = match (self.restart_policy.as_str(), self.containers[i].init) {
            (_, true) => !success && self.restart_policy != "Never",
            ("Never", false) => false,
            ("OnFailure", false) => !success,
            _ => true,
        };
        let container = &mut self.containers[i];
        if container.init && success {
            container.finished = true;
            container.state = terminated;
            return;
        }
        if !restart {
            container.finished = true;
            container.state = terminated;
            return;
        }
        container.restart_count += 1;
        container.last_state = terminated;
        let delay = container.backoff;
        container.backoff = (container.backoff * 2).min(MAX_BACKOFF);
        container.next_start = Instant::now() + delay;
        container.state = json!({"waiting": {
            "reason": "CrashLoopBackOff",
            "message": format!("back-off {}s restarting failed container={} pod={}", delay.as_secs(), container.name, self.name),
        }});
    }

    fn phase(&self) -> &'static str {
        let main: Vec<&Container> = self.containers.iter().filter(|c| !c.init).collect();
        if main.iter().all(|c| c.finished) && !main.is_empty() {
            let all_ok = main.iter().all(|c| c.state["terminated"]["exitCode"] == 0);
            return if all_ok { "Succeeded" } else { "Failed" };
        }
        if self.containers.iter().any(|c| c.init && c.finished && c.state["terminated"]["exitCode"] != 0) {
            return "Failed";
        }
        if main.iter().any(|c| c.process.is_some() || c.restart_count > 0) { "Running" } else { "Pending" }
    }

    fn condition(&mut self, kind: &str, ok: bool) -> Value {
        let entry = self.transitions.entry(kind.to_string()).or_insert_with(|| (ok, now()));
        if entry.0 != ok {
            *entry = (ok, now());
        }
        json!({"type": kind, "status": if ok { "True" } else { "False" }, "lastTransitionTime": entry.1, "lastProbeTime": null})
    }

    /// Writes the Pod's status when it changed. `waiting` overrides the container states
    /// (volumes not ready yet).
    fn write_status(&mut self, waiting: Option<(&str, String)>) {
        let initialized = self.containers.iter().filter(|c| c.init).all(|c| c.finished);
        let main_ready = self.containers.iter().filter(|c| !c.init).all(Container::ready);
        let statuses = |init: bool, containers: &[Container]| -> Vec<Value> {
            containers
                .iter()
                .filter(|c| c.init == init)
                .map(|c| {
                    let mut status = c.status();
                    if let Some((reason, message)) = &waiting {
                        status["state"] = json!({"waiting": {"reason": reason, "message": message}});
                    }
                    status
                })
                .collect()
        };
        let conditions = vec![
            self.condition("PodScheduled", true),
            self.condition("Initialized", initialized),
            self.condition("ContainersReady", main_ready),
            self.condition("Ready", main_ready),
        ];
        let ip = self.net.ip.to_string();
        let host_ip = self.shared.network.gateway().to_string();
        let mut status = json!({
            "phase": self.phase(),
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "hostIP": host_ip,
            "hostIPs": [{"ip": host_ip}],
            "conditions": conditions,
            "containerStatuses": statuses(false, &self.containers),
            "qosClass": "BestEffort",
        });
        let init = statuses(true, &self.containers);
        if !init.is_empty() {
            status["initContainerStatuses"] = json!(init);
        }
        if status == self.written {
            return;
        }
        let start_time = self.written["startTime"].as_str().map(String::from).unwrap_or_else(now);
        status["startTime"] = json!(start_time);
        self.written = status.clone();
        let pods = self.shared.pods();
        let result =
            self.shared
                .server
                .store
                .modify(&pods, &self.namespace, &self.name, Part::Status, |next| next["status"] = status);
        if let Err(error) = result
            && error.code != 404
        {
            tracing::warn!(%error, pod = %self.name, "writing the pod's status failed");
        }
    }

    /// Stops the containers (gracefully when terminated, at once when lost), cleans up,
    /// and for a graceful end removes the Pod object.
    async fn finish(&mut self, (ending, grace): (Ending, Duration)) {
        let grace = match ending {
            Ending::Terminated => grace,
            Ending::Lost => Duration::ZERO,
        };
        let stops = self.containers.iter_mut().filter_map(|c| c.process.as_mut()).map(|p| async move {
            if grace.is_zero() {
                let _ = p.kill_now();
                let _ = p.wait().await;
            } else {
                let _ = p.terminate(grace).await;
            }
        });
        futures::future::join_all(stops).await;
        for container in &self.containers {
            self.shared.running.ended(&self.uid, &container.name);
        }
        if let Err(error) = self.shared.network.remove_pod(&self.net).await {
            tracing::warn!(%error, pod = %self.name, "removing the pod's network failed");
        }
        let _ = std::fs::remove_dir_all(self.pod_dir());
        if let Ending::Terminated = ending {
            let force = DeleteOptions { grace_period_seconds: Some(0), ..DeleteOptions::default() };
            let _ = self.shared.server.store.delete(&self.shared.pods(), &self.namespace, &self.name, &force);
        }
    }
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(String::from).collect()
}

/// Kubernetes' `$(VAR)` expansion in command and args (`$$` is a literal `$`).
fn expand(words: &[String], env: &[(String, String)]) -> Vec<String> {
    words
        .iter()
        .map(|word| {
            let mut out = String::new();
            let mut rest = word.as_str();
            while let Some(at) = rest.find('$') {
                out.push_str(&rest[..at]);
                let after = &rest[at + 1..];
                if let Some(stripped) = after.strip_prefix('$') {
                    out.push('$');
                    rest = stripped;
                } else if let Some(inner) = after.strip_prefix('(')
                    && let Some(end) = inner.find(')')
                    && let Some((_, value)) = env.iter().rev().find(|(k, _)| k == &inner[..end])
                {
                    out.push_str(value);
                    rest = &inner[end + 1..];
                } else {
                    out.push('$');
                    rest = after;
                }
            }
            out.push_str(rest);
            out
        })
        .collect()
}

/// The end of a container's log as a kubelet takes it for a termination message: the last
/// 2048 bytes or the last 80 lines, whichever is less.
fn termination_message_from_log(log: &[u8]) -> String {
    const MAX_BYTES: usize = 2048;
    const MAX_LINES: usize = 80;
    let mut tail = &log[log.len().saturating_sub(MAX_BYTES)..];
    let body = tail.strip_suffix(b"\n").unwrap_or(tail);
    if let Some((cut, _)) = body.iter().enumerate().rev().filter(|(_, b)| **b == b'\n').nth(MAX_LINES - 1) {
        tail = &tail[cut + 1..];
    }
    String::from_utf8_lossy(tail).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_termination_message_is_the_logs_last_80_lines_or_2048_bytes() {
        assert_eq!(
            termination_message_from_log(b"one\ntwo\nError: data-dir exists\n"),
            "one\ntwo\nError: data-dir exists\n"
        );
        let lines: String = (0..100).map(|n| format!("line {n}\n")).collect();
        let message = termination_message_from_log(lines.as_bytes());
        assert_eq!(message.lines().count(), 80);
        assert!(message.starts_with("line 20\n") && message.ends_with("line 99\n"), "{message}");
        let long = "x".repeat(5000);
        assert_eq!(termination_message_from_log(long.as_bytes()).len(), 2048);
        assert_eq!(termination_message_from_log(b""), "");
    }

    #[test]
    fn variables_expand_like_kubernetes() {
        let env = vec![("POD_NAME".to_string(), "demo-0".to_string()), ("NS".to_string(), "db".to_string())];
        let words: Vec<String> = [
            "--name=$(POD_NAME)",
            "http://$(POD_NAME).demo.$(NS).svc:2380",
            "$$(POD_NAME)",
            "$(MISSING)",
            "cost $5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            expand(&words, &env),
            ["--name=demo-0", "http://demo-0.demo.db.svc:2380", "$(POD_NAME)", "$(MISSING)", "cost $5"]
        );
    }
}
