//! `etcd-sandbox`: runs a local Kubernetes API emulator (and, as it grows, a node agent
//! running real etcd) until interrupted.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use etcd_sandbox::api::kube_version::{DEFAULT_VERSION, KubeVersion};
use etcd_sandbox::faults::{Action, FAULTS_PATH, FaultRequest};
use etcd_sandbox::instance::{Options, Sandbox};

#[derive(Parser)]
#[command(
    name = "etcd-sandbox",
    version,
    about = "A local Kubernetes API emulator for developing and testing kubectl-etcd"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the sandbox in the foreground until Ctrl-C or SIGTERM.
    Up {
        /// Folder for the kubeconfig, pod data and logs (created if missing).
        #[arg(long)]
        dir: PathBuf,
        /// Port of the API on 127.0.0.1 (0 picks a free one).
        #[arg(long, default_value_t = 6443)]
        port: u16,
        /// Serve the API only: no node, Pods stay Pending (no root needed).
        #[arg(long)]
        no_node: bool,
        /// Authorize requests made with a Pod's service account token by the stored RBAC
        /// Roles, ClusterRoles and bindings, answering 403 as a cluster does.
        #[arg(long)]
        enforce_rbac: bool,
        /// Run each container in a root of its own (the image's files and its volumes
        /// only) as its securityContext's user, with volumes owned by the Pod's fsGroup.
        #[arg(long)]
        isolate_containers: bool,
        /// The Kubernetes version to report and behave as (MAJOR.MINOR): which CRD fields
        /// and CEL libraries the API server has.
        #[arg(long, default_value_t = DEFAULT_VERSION)]
        kube_version: KubeVersion,
    },
    /// Run a command on this machine with the sandbox's Pod and Service names resolvable
    /// (`DIR/hosts` is mounted over /etc/hosts for that command only).
    Exec {
        /// The running sandbox's folder.
        #[arg(long)]
        dir: PathBuf,
        /// The command and its arguments.
        #[arg(trailing_var_arg = true, required = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Inject a fault into a running sandbox's Pod: crash its containers, lose it as a dead
    /// node would, cut it off the network (isolate) or reconnect it (heal).
    Fault {
        /// What to do.
        #[arg(value_enum)]
        action: Action,
        /// The Pod.
        pod: String,
        /// The Pod's namespace.
        #[arg(short, long, default_value = "default")]
        namespace: String,
        /// The running sandbox's folder (its kubeconfig is read from there).
        #[arg(long)]
        dir: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Up { dir, port, no_node, enforce_rbac, isolate_containers, kube_version } => {
            let options = Options {
                port,
                node: !no_node,
                enforce_rbac,
                isolate_containers,
                kube_version,
                ..Options::default()
            };
            let sandbox = Sandbox::start_with(&dir, options).await.context("starting the sandbox")?;
            println!(
                "etcd-sandbox: API at {} ; use it with: export KUBECONFIG={}",
                sandbox.url(),
                sandbox.kubeconfig_path().display()
            );
            wait_for_signal().await?;
            eprintln!("etcd-sandbox: stopping");
            sandbox.stop().await;
        }
        Command::Exec { dir, command } => {
            let code = exec_with_names(&dir, &command).await?;
            std::process::exit(code);
        }
        Command::Fault { action, pod, namespace, dir } => {
            let request = FaultRequest { action, namespace, pod };
            send_fault(&dir, &request).await?;
            println!("{:?} {}/{}: done", request.action, request.namespace, request.pod);
        }
    }
    Ok(())
}

/// Runs `command` in a private mount namespace where `DIR/hosts` is /etc/hosts; returns its
/// exit code.
async fn exec_with_names(dir: &std::path::Path, command: &[String]) -> anyhow::Result<i32> {
    let hosts = dir.join("hosts");
    anyhow::ensure!(
        hosts.exists(),
        "{} does not exist: is a sandbox with a node running with --dir {}?",
        hosts.display(),
        dir.display()
    );
    let status = tokio::process::Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            r#"mount --bind "$0" /etc/hosts && exec "$@""#,
        ])
        .arg(&hosts)
        .args(command)
        .status()
        .await
        .context("running unshare (util-linux) to give the command the sandbox's names; it needs root")?;
    Ok(status.code().unwrap_or(1))
}

/// Posts a fault request to the sandbox whose kubeconfig is in `dir`.
async fn send_fault(dir: &std::path::Path, request: &FaultRequest) -> anyhow::Result<()> {
    let path = dir.join("kubeconfig");
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).with_context(|| {
        format!("reading {} (is a sandbox running with --dir {}?)", path.display(), dir.display())
    })?;
    let config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default()).await?;
    let client = kube::Client::try_from(config)?;
    let body = serde_json::to_vec(request)?;
    let http_request =
        axum::http::Request::post(FAULTS_PATH).header("content-type", "application/json").body(body)?;
    client.request_text(http_request).await.context("the sandbox refused the fault")?;
    Ok(())
}

async fn wait_for_signal() -> anyhow::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("installing the SIGTERM handler")?;
    tokio::select! {
        interrupted = tokio::signal::ctrl_c() => interrupted.context("waiting for Ctrl-C")?,
        _ = term.recv() => {}
    }
    Ok(())
}
