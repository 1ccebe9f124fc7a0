//! `kubectl etcd credentials NAME --out DIR`: the client certificate, key and CA of a TLS
//! cluster as files for etcdctl, and the etcdctl command that uses them.

use std::io::Write;
use std::path::{Path, PathBuf};

use shared::names;

use crate::client::{ApiError, ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;

/// Write a TLS cluster's client certificate, key and CA for etcdctl.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd credentials demo --out ./demo-tls\n  \
    kubectl port-forward svc/demo-client 2379 &\n  \
    # then run the etcdctl command it printed\n\n\
    Writes ca.crt, tls.crt and tls.key (mode 0600) into DIR, creating it, and prints the etcdctl \
    command on stdout. Reading the cluster's client Secret needs `get` on secrets in its namespace.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Folder to write ca.crt, tls.crt and tls.key into (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

/// Why the credentials could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The cluster could not be read.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The Secret could not be read.
    #[error(transparent)]
    Read(#[from] crate::credentials::CredentialsReadError),
    /// The cluster serves no TLS.
    #[error("etcdcluster {0} does not use TLS (spec.tls is not set): etcdctl needs no certificate for it")]
    Plain(String),
    /// A file could not be written.
    #[error("writing {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, CredentialsError> {
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    let credentials = crate::credentials::read(&connection.client, &connection.namespace, &cluster)
        .await?
        .ok_or_else(|| CredentialsError::Plain(args.name.clone()))?;
    let [ca, cert, key] = files(&args.out);
    for (path, text) in
        [(&ca, &credentials.ca_pem), (&cert, &credentials.cert_pem), (&key, &credentials.key_pem)]
    {
        write_private(path, text)?;
    }
    eprintln!("wrote {}, {} and {}", ca.display(), cert.display(), key.display());
    println!("{}", etcdctl_command(&args.name, &connection.namespace, &args.out));
    Ok(Outcome::Success)
}

/// `ca.crt`, `tls.crt`, `tls.key` in `dir`.
fn files(dir: &Path) -> [PathBuf; 3] {
    [dir.join(shared::tls::CA_KEY), dir.join(shared::tls::CERT_KEY), dir.join(shared::tls::PRIVATE_KEY_KEY)]
}

/// Writes `text` to `path` readable by its owner only, creating the folder.
fn write_private(path: &Path, text: &str) -> Result<(), CredentialsError> {
    use std::os::unix::fs::OpenOptionsExt;
    let failed = |source| CredentialsError::Io { path: path.display().to_string(), source };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)
}

/// The etcdctl command that uses the files in `dir` through a port-forward of the client
/// Service: `localhost` is one of the names every operator-issued server certificate carries.
fn etcdctl_command(cluster: &str, namespace: &str, dir: &Path) -> String {
    let [ca, cert, key] = files(dir);
    format!(
        "kubectl -n {namespace} port-forward svc/{} {port}:{port} &\n\
         etcdctl --endpoints=https://localhost:{port} --cacert={} --cert={} --key={} endpoint health",
        names::client_service_name(cluster),
        ca.display(),
        cert.display(),
        key.display(),
        port = names::CLIENT_PORT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_uses_the_files_through_a_port_forward() {
        let command = etcdctl_command("demo", "db", Path::new("/tmp/demo-tls"));
        assert_eq!(
            command,
            "kubectl -n db port-forward svc/demo-client 2379:2379 &\n\
             etcdctl --endpoints=https://localhost:2379 --cacert=/tmp/demo-tls/ca.crt \
             --cert=/tmp/demo-tls/tls.crt --key=/tmp/demo-tls/tls.key endpoint health"
        );
    }

    #[test]
    fn the_key_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("sub").join("tls.key");
        write_private(&key, "KEY").expect("written");
        let mode = std::fs::metadata(&key).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
}
