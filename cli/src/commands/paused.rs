//! `kubectl etcd pause NAME` and `kubectl etcd resume NAME`: set `spec.paused`. While paused
//! the operator changes nothing; status is still reported.

use crate::client::{ApiError, ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;

/// Stop the operator from changing a cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd pause demo\n  \
    kubectl etcd pause demo -n databases\n\n\
    While paused, no member is added, removed, replaced or upgraded; `kubectl etcd status` still \
    reports health. Undo with `kubectl etcd resume`.")]
pub struct PauseArgs {
    /// Name of the EtcdCluster.
    name: String,
}

/// Let the operator change a paused cluster again.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd resume demo\n  \
    kubectl etcd resume demo -n databases && kubectl etcd status demo -n databases")]
pub struct ResumeArgs {
    /// Name of the EtcdCluster.
    name: String,
}

/// Why `spec.paused` could not be set.
#[derive(Debug, thiserror::Error)]
pub enum PausedError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The patch failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// `kubectl etcd pause`.
pub async fn pause(kube: &KubeArgs, args: &PauseArgs) -> Result<Outcome, PausedError> {
    set(kube, &args.name, true).await
}

/// `kubectl etcd resume`.
pub async fn resume(kube: &KubeArgs, args: &ResumeArgs) -> Result<Outcome, PausedError> {
    set(kube, &args.name, false).await
}

async fn set(kube: &KubeArgs, name: &str, paused: bool) -> Result<Outcome, PausedError> {
    let connection = Connection::open(kube).await?;
    connection.set_paused(name, paused).await?;
    println!("etcdcluster/{name} {}", if paused { "paused" } else { "resumed" });
    Ok(Outcome::Success)
}
