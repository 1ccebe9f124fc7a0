//! `etcd-operator`: runs etcd clusters described by EtcdCluster resources.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "etcd-operator", version, about = "Runs etcd clusters described by EtcdCluster resources")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the operator: reconcile every EtcdCluster until SIGINT or SIGTERM. Uses the
    /// in-cluster configuration in a Pod, the kubeconfig elsewhere.
    Run {
        /// Log format on stderr.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// Elect a leader among replicas through a Lease, so two replicas can run.
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        leader_elect: bool,
        /// Namespace of the leader-election Lease (the operator's own namespace).
        #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
        lease_namespace: String,
        /// Name of the leader-election Lease.
        #[arg(long, default_value = "etcd-operator")]
        lease_name: String,
        /// This replica's identity in the election.
        #[arg(long, env = "POD_NAME")]
        identity: Option<String>,
        /// Address of the /metrics, /healthz and /readyz endpoints.
        #[arg(long, default_value = "0.0.0.0:8080")]
        metrics_address: std::net::SocketAddr,
        /// The operator's own image: members restored from a snapshot run it to fetch it.
        #[arg(long, env = "OPERATOR_IMAGE")]
        operator_image: Option<String>,
        /// The cluster's DNS domain (the kubelet's `clusterDomain`), in which member
        /// addresses `<member>.<cluster>.<namespace>.svc.<domain>` are written.
        #[arg(long, default_value = shared::names::CLUSTER_DOMAIN, value_parser = cluster_domain)]
        cluster_domain: String,
    },
    /// Steps of a restore that run in the first member's init containers.
    #[command(subcommand)]
    Snapshot(SnapshotCommand),
    /// Print the CustomResourceDefinitions as YAML (`etcd-operator crd | kubectl apply -f -`),
    /// or write one file per definition into a folder with `--write DIR`.
    Crd {
        /// Write `<group>_<plural>.yaml` files into this folder instead of printing.
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
    /// Print the monitoring objects for the prometheus-operator as YAML (a ServiceMonitor for
    /// the members, a PodMonitor for the operator, the alerting rules, the Grafana dashboard in
    /// a ConfigMap), or write them and the dashboard's JSON into a folder with `--write DIR`.
    Monitoring {
        /// Write one file per object, and the dashboard's JSON, into this folder.
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
}

/// Where a seed step stages and installs the restored member data (every seed step's flags).
#[derive(clap::Args)]
struct SeedData {
    /// The staging folder `snapshot restore` writes into.
    #[arg(long)]
    staging: PathBuf,
    /// etcd's data folder: member data there that this restore did not install is refused.
    #[arg(long)]
    data_dir: PathBuf,
    /// The new cluster's token, recorded by `snapshot install`.
    #[arg(long)]
    token: String,
}

impl SeedData {
    fn target(&self) -> etcd_operator::restore::seed::Target<'_> {
        etcd_operator::restore::seed::Target { data_dir: &self.data_dir, token: &self.token }
    }
}

/// Where a fetched or received snapshot goes, and the data folder it must not overwrite.
#[derive(clap::Args)]
struct SnapshotTarget {
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    seed: SeedData,
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Download a snapshot into FILE (via FILE.part, fsynced, checked against etcd's hash and
    /// --sha256, then renamed), and clear the staging folder for `snapshot restore`.
    Fetch {
        /// Where the snapshot is, as an EtcdRestore's `source.location` in JSON.
        #[arg(long)]
        source: String,
        /// SHA-256 the snapshot must have.
        #[arg(long)]
        sha256: Option<String>,
        #[command(flatten)]
        into: SnapshotTarget,
    },
    /// Wait for the snapshot to be uploaded (`PUT /snapshot`, as `kubectl etcd restore --from
    /// FILE` does through a port-forward), check it against --sha256 and etcd's hash, write it
    /// to FILE (via FILE.part), clear the staging folder, and exit.
    Receive {
        /// Address to listen on.
        #[arg(long)]
        listen: std::net::SocketAddr,
        /// SHA-256 the snapshot must have.
        #[arg(long)]
        sha256: String,
        #[command(flatten)]
        into: SnapshotTarget,
        /// How long to wait for the upload before failing (the container is then restarted).
        #[arg(long, default_value = "3600")]
        wait_seconds: u64,
    },
    /// Record --token beside the staging folder, then move the restored staging folder to the
    /// data folder. Data installed before for the same token is kept; any other member data
    /// there is refused (`DataExists`) and left as it is.
    Install {
        #[command(flatten)]
        seed: SeedData,
    },
}

/// `--cluster-domain`, checked.
fn cluster_domain(value: &str) -> Result<String, String> {
    shared::names::check_cluster_domain(value).map(|()| value.to_string())
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Snapshot(SnapshotCommand::Fetch { source, sha256, into }) => {
            let source: shared::crd::StorageLocation =
                serde_json::from_str(&source).context("--source is not a storage location in JSON")?;
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let done = runtime
                .block_on(etcd_operator::restore::seed::fetch(
                    &source,
                    sha256.as_deref(),
                    &into.out,
                    &into.seed.staging,
                    into.seed.target(),
                ))
                .map_err(|failure| anyhow::anyhow!("{failure}"))?;
            eprintln!("{done}");
        }
        Command::Snapshot(SnapshotCommand::Receive { listen, sha256, into, wait_seconds }) => {
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let wait = std::time::Duration::from_secs(wait_seconds);
            let done = runtime
                .block_on(etcd_operator::restore::receive::receive(
                    listen,
                    &sha256,
                    &into.out,
                    &into.seed.staging,
                    into.seed.target(),
                    wait,
                ))
                .map_err(|failure| anyhow::anyhow!("{failure}"))?;
            eprintln!("{done}");
        }
        Command::Snapshot(SnapshotCommand::Install { seed }) => {
            let done = etcd_operator::restore::seed::install(&seed.staging, seed.target())
                .map_err(|failure| anyhow::anyhow!("{failure}"))?;
            eprintln!("{done}");
        }
        Command::Run {
            log_format,
            leader_elect,
            lease_namespace,
            lease_name,
            identity,
            metrics_address,
            operator_image,
            cluster_domain,
        } => {
            let filter =
                tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
            let logs = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
            match log_format {
                LogFormat::Text => logs.init(),
                LogFormat::Json => logs.json().init(),
            }
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            runtime.block_on(async {
                let client =
                    etcd_operator::client::infer().await.context("connecting to the Kubernetes API")?;
                let metrics = std::sync::Arc::new(etcd_operator::metrics::Metrics::default());
                let listener = tokio::net::TcpListener::bind(metrics_address)
                    .await
                    .with_context(|| format!("listening on {metrics_address} for /metrics"))?;
                let routes = etcd_operator::metrics::router(metrics.clone());
                let defaults = etcd_operator::controller::Settings::default();
                let settings = etcd_operator::controller::Settings {
                    metrics: metrics.clone(),
                    operator_image: operator_image.unwrap_or(defaults.operator_image),
                    cluster_domain,
                    file_snapshots_reach_pods: false,
                };
                tokio::spawn(async move {
                    if let Err(error) = axum::serve(listener, routes).await {
                        tracing::error!(%error, "the metrics endpoint stopped");
                    }
                });
                if leader_elect {
                    let identity =
                        identity.unwrap_or_else(|| format!("etcd-operator-{}", std::process::id()));
                    let lease = etcd_operator::controller::LeaseOptions {
                        namespace: lease_namespace,
                        name: lease_name,
                        identity,
                        duration: 15,
                        grace: 5,
                    };
                    etcd_operator::controller::run_elected(client, lease, settings, shutdown_signal())
                        .await?;
                } else {
                    metrics.leading.store(true, std::sync::atomic::Ordering::Relaxed);
                    etcd_operator::controller::run_with(client, settings, shutdown_signal()).await;
                }
                anyhow::Ok(())
            })?;
        }
        Command::Crd { write: None } => {
            print!("{}", shared::crd::render_all().context("rendering the CRDs as YAML")?);
        }
        Command::Monitoring { write: None } => {
            let objects = etcd_operator::monitoring::objects().context("rendering the monitoring objects")?;
            for object in objects {
                print!("---\n{}", serde_yaml::to_string(&object).context("rendering YAML")?);
            }
        }
        Command::Monitoring { write: Some(dir) } => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for (name, content) in
                etcd_operator::monitoring::files().context("rendering the monitoring files")?
            {
                let path = dir.join(name);
                if let Some(folder) = path.parent() {
                    std::fs::create_dir_all(folder)
                        .with_context(|| format!("creating {}", folder.display()))?;
                }
                std::fs::write(&path, content).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
        Command::Crd { write: Some(dir) } => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for crd in shared::crd::definitions() {
                let path = dir.join(shared::crd::manifest_file_name(&crd));
                let yaml = shared::crd::render_manifest(&crd).context("rendering a CRD as YAML")?;
                std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}

/// Completes on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot watch for SIGTERM; stopping on Ctrl-C only");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}
