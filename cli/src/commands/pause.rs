//! `kubectl etcd pause NAME`: stops every change to the cluster (spec.paused); status is
//! still reported.

use crate::client::{ApiError, ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;

/// Stop the operator from changing a cluster.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd pause demo\n  \
    kubectl etcd pause demo -n databases\n\n\
    While paused, no member is added, removed, replaced or upgraded; `kubectl etcd status` still \
    reports health. Undo with `kubectl etcd resume`.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,
}

/// Why the cluster could not be paused.
#[derive(Debug, thiserror::Error)]
pub enum PauseError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The patch failed.
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, PauseError> {
    let connection = Connection::open(kube).await?;
    connection.set_paused(&args.name, true).await?;
    println!("etcdcluster/{} paused", args.name);
    Ok(Outcome::Success)
}
