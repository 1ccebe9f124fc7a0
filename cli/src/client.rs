//! Talking to the cluster: the kubectl-like connection flags, the client they make, API
//! errors in plain words, and following an EtcdCluster until it reaches a state.

use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use kube::api::{Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, Config};
use serde::de::DeserializeOwned;
use shared::crd::EtcdCluster;

/// The help heading of the flags every command takes, so each command's own come first.
pub const GLOBAL_OPTIONS: &str = "Global options";

/// Connection flags, shared by every command that talks to the cluster (as kubectl's).
#[derive(clap::Args, Clone, Debug, Default, PartialEq, Eq)]
#[command(next_help_heading = GLOBAL_OPTIONS)]
pub struct KubeArgs {
    /// Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated,
    /// merged as kubectl merges them), else ~/.kube/config.
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use. Default: its current context.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// The kubeconfig cluster to use instead of the context's.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use instead of the context's.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,

    /// The user to impersonate for the operation (a user name or a service account, as
    /// `system:serviceaccount:NAMESPACE:NAME`).
    #[arg(long = "as", global = true, value_name = "USER")]
    pub impersonate: Option<String>,

    /// A group to impersonate for the operation; repeat it for several groups.
    #[arg(long = "as-group", global = true, value_name = "GROUP", requires = "impersonate")]
    pub impersonate_groups: Vec<String>,

    /// The namespace. Default: the context's namespace, else `default`.
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Option<Duration>,
}

/// A client for the cluster the flags name, and the namespace to work in.
pub struct Connection {
    /// The kube-rs client.
    pub client: Client,
    /// The namespace from `-n`, else the context's, else `default`.
    pub namespace: String,
    /// The `--request-timeout`, if any.
    request_timeout: Option<Duration>,
}

impl KubeArgs {
    /// The kubeconfig as kubectl reads it: the `--kubeconfig` file alone, else the files
    /// `$KUBECONFIG` lists, merged (the first file to set a value wins), else
    /// `~/.kube/config`.
    pub fn read_kubeconfig(&self) -> Result<Kubeconfig, ConnectError> {
        match &self.kubeconfig {
            Some(path) => Kubeconfig::read_from(path),
            None => Kubeconfig::read(),
        }
        .map_err(|e| ConnectError::Kubeconfig(e.to_string()))
    }

    /// The client configuration the flags describe: context, cluster and user picked from
    /// the kubeconfig, the impersonation and the request timeout applied.
    pub async fn config(&self) -> Result<Config, ConnectError> {
        let kubeconfig = self.read_kubeconfig()?;
        let clusters = kubeconfig.clusters.iter().map(|named| &named.name);
        let users = kubeconfig.auth_infos.iter().map(|named| &named.name);
        for (kind, wanted, known) in
            [("cluster", &self.cluster, clusters.collect::<Vec<_>>()), ("user", &self.user, users.collect())]
        {
            if let Some(name) = wanted
                && !known.contains(&name)
            {
                return Err(ConnectError::NotInKubeconfig { kind, name: name.clone() });
            }
        }
        let options = KubeConfigOptions {
            context: self.context.clone(),
            cluster: self.cluster.clone(),
            user: self.user.clone(),
        };
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map_err(|e| ConnectError::Kubeconfig(e.to_string()))?;
        if let Some(user) = &self.impersonate {
            config.auth_info.impersonate = Some(user.clone());
            config.auth_info.impersonate_groups =
                (!self.impersonate_groups.is_empty()).then(|| self.impersonate_groups.clone());
        }
        if let Some(timeout) = self.request_timeout {
            config.connect_timeout = Some(timeout);
            config.read_timeout = Some(timeout);
            config.write_timeout = Some(timeout);
            config.reset_reader_on_write = true;
        }
        Ok(config)
    }
}

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The kubeconfig could not be read or used.
    #[error("cannot use the kubeconfig: {0}")]
    Kubeconfig(String),
    /// `--cluster` or `--user` names an entry the kubeconfig does not have.
    #[error("the kubeconfig has no {kind} {name:?}: `kubectl config get-{kind}s` lists the {kind}s it has")]
    NotInKubeconfig {
        /// `cluster` or `user`.
        kind: &'static str,
        /// The name given.
        name: String,
    },
    /// The client could not be built from the configuration.
    #[error("cannot make a Kubernetes client: {0}")]
    Client(String),
}

impl Connection {
    /// Reads the kubeconfig (see [`KubeArgs::read_kubeconfig`]) with the chosen context,
    /// cluster and user, and makes a client that impersonates as `--as`/`--as-group` say.
    /// Sends nothing yet.
    pub async fn open(args: &KubeArgs) -> Result<Connection, ConnectError> {
        let config = args.config().await?;
        let namespace = args.namespace.clone().unwrap_or_else(|| config.default_namespace.clone());
        let client = Client::try_from(config).map_err(|e| ConnectError::Client(e.to_string()))?;
        Ok(Connection { client, namespace, request_timeout: args.request_timeout })
    }

    /// EtcdClusters of the namespace.
    pub fn clusters(&self) -> Api<EtcdCluster> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// EtcdClusters of every namespace.
    pub fn all_clusters(&self) -> Api<EtcdCluster> {
        Api::all(self.client.clone())
    }

    /// "etcdcluster demo not found in namespace default".
    pub fn not_found(&self, name: &str) -> String {
        format!("etcdcluster {name} not found in namespace {}", self.namespace)
    }

    /// A failed request about the cluster `name` in plain words: not found, or what the
    /// API said while trying to `action` it.
    /// Merge-patches EtcdCluster `name` with `patch`; `action` names the change in errors.
    pub async fn patch_cluster(
        &self,
        action: &'static str,
        name: &str,
        patch: serde_json::Value,
    ) -> Result<EtcdCluster, ApiError> {
        self.clusters()
            .patch(name, &kube::api::PatchParams::default(), &kube::api::Patch::Merge(patch))
            .await
            .map_err(|e| self.api_error(action, name, &e))
    }

    pub fn api_error(&self, action: &'static str, name: &str, error: &kube::Error) -> ApiError {
        if is_not_found(error) {
            ApiError::NotFound(self.not_found(name))
        } else {
            ApiError::Failed { action, name: name.to_string(), message: describe(error) }
        }
    }

    /// The cluster `name`.
    pub async fn get(&self, name: &str) -> Result<EtcdCluster, ApiError> {
        self.clusters().get(name).await.map_err(|e| self.api_error("read", name, &e))
    }

    /// Sets `spec.paused` of the cluster `name` (a merge patch).
    pub async fn set_paused(&self, name: &str, paused: bool) -> Result<EtcdCluster, ApiError> {
        let patch = Patch::Merge(serde_json::json!({"spec": {"paused": paused}}));
        let action = if paused { "pause" } else { "resume" };
        self.clusters()
            .patch(name, &PatchParams::default(), &patch)
            .await
            .map_err(|e| self.api_error(action, name, &e))
    }

    /// Follows (watches) the object `name` of `api` until `observe` says it is done, or
    /// `timeout` passes. `observe` sees the object after every change (`None` once it does
    /// not exist) and returns true when the wait is over. Returns whether it was.
    pub async fn follow<K>(
        &self,
        api: Api<K>,
        name: &str,
        timeout: Duration,
        mut observe: impl FnMut(Option<&K>) -> bool,
    ) -> Result<bool, kube::Error>
    where
        K: kube::Resource + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
    {
        let mut config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        if let Some(request_timeout) = self.request_timeout {
            // The server ends each watch before the client's read timeout would cut it.
            let seconds = request_timeout.as_secs().saturating_sub(1).clamp(1, 290);
            config = config.timeout(u32::try_from(seconds).unwrap_or(290));
        }
        let mut events = watcher(api, config).default_backoff().boxed();
        let follow = async {
            let mut listed = None;
            while let Some(event) = events.next().await {
                let done = match event {
                    Ok(watcher::Event::Init) => {
                        listed = None;
                        false
                    }
                    Ok(watcher::Event::InitApply(cluster)) => {
                        listed = Some(cluster);
                        false
                    }
                    Ok(watcher::Event::InitDone) => observe(listed.take().as_ref()),
                    Ok(watcher::Event::Apply(cluster)) => observe(Some(&cluster)),
                    Ok(watcher::Event::Delete(_)) => observe(None),
                    Err(error) => {
                        if let Some(fatal) = fatal_watch_error(error) {
                            return Err(fatal);
                        }
                        false // transient: the watcher retries after a back-off
                    }
                };
                if done {
                    return Ok(true);
                }
            }
            Ok(false)
        };
        match tokio::time::timeout(timeout, follow).await {
            Ok(result) => result,
            Err(_) => Ok(false),
        }
    }
}

/// The error of a watch that retrying cannot fix (the API refused it, e.g. 403 or 404),
/// as a client error; `None` for errors worth retrying.
fn fatal_watch_error(error: watcher::Error) -> Option<kube::Error> {
    let client_error = match error {
        watcher::Error::InitialListFailed(e) | watcher::Error::WatchStartFailed(e) => e,
        watcher::Error::WatchFailed(_)
        | watcher::Error::WatchError(_)
        | watcher::Error::NoResourceVersion => {
            return None;
        }
    };
    match &client_error {
        kube::Error::Api(status)
            if (400..500).contains(&status.code) && ![408, 410, 429].contains(&status.code) =>
        {
            Some(client_error)
        }
        _ => None,
    }
}

/// A request about one cluster that failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The cluster does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The API refused or did not answer.
    #[error("cannot {action} etcdcluster {name}: {message}")]
    Failed {
        /// What was tried: read, patch, delete, ...
        action: &'static str,
        /// The cluster.
        name: String,
        /// What the API (or the connection) said.
        message: String,
    },
}

/// An object lacks what says where a request about it goes (its name, kind or namespace):
/// sending it anyway would reach another object, or a collection.
#[derive(Debug, thiserror::Error)]
#[error("{object} has no {missing}, so no request can name it: {fix}")]
pub struct MissingIdentity {
    /// The object, as far as it is known.
    pub object: String,
    /// What it lacks, e.g. `metadata.name`.
    pub missing: &'static str,
    /// What to do about it.
    pub fix: &'static str,
}

/// Whether the API answered 404 Not Found.
pub fn is_not_found(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 404)
}

/// Whether the API answered 409 AlreadyExists.
pub fn is_already_exists(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 409 && status.reason == "AlreadyExists")
}

/// Whether the API refused the object as invalid (422).
pub fn is_invalid(error: &kube::Error) -> bool {
    matches!(error, kube::Error::Api(status) if status.code == 422)
}

/// An API error in the API server's own words; other errors as kube-rs words them.
pub fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
        other => other.to_string(),
    }
}

/// Parses a duration the way kubectl's flags take them: `90s`, `5m`, `1h30m`, `500ms`; a
/// plain number is seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration: write e.g. 30s, 5m, 1h30m or 500ms");
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    if rest.is_empty() {
        return Err(bad());
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ms" => Duration::from_millis(1),
            "s" => Duration::from_secs(1),
            "m" => Duration::from_secs(60),
            "h" => Duration::from_secs(3600),
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        let part = unit.checked_mul(u32::try_from(number).map_err(|_| bad())?).ok_or_else(bad)?;
        total = total.checked_add(part).ok_or_else(bad)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_kubectl() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        for bad in ["", "m", "5x", "1.5s", "-3s", "s5", "5m m", "99999999999h"] {
            let error = parse_duration(bad).expect_err(bad);
            assert!(error.contains("is not a duration"), "{error}");
        }
    }
}
