//! The operator's Kubernetes client. It names itself in every request's `User-Agent`
//! (kube-rs sends none by default), so API audit logs, and the sandbox's request counts,
//! tell the operator's requests from everyone else's.

use http::HeaderValue;
use http::header::USER_AGENT;

/// The `User-Agent` of the operator's requests: `etcd-operator/<version>`.
pub const OPERATOR_USER_AGENT: &str = concat!("etcd-operator/", env!("CARGO_PKG_VERSION"));

/// `config` with the operator's `User-Agent` on every request (replacing any other).
pub fn identified(mut config: kube::Config) -> kube::Config {
    config.headers.retain(|(name, _)| name != USER_AGENT);
    config.headers.push((USER_AGENT, HeaderValue::from_static(OPERATOR_USER_AGENT)));
    config
}

/// A client from `config` that sends the operator's `User-Agent`.
pub fn from_config(config: kube::Config) -> Result<kube::Client, kube::Error> {
    kube::Client::try_from(identified(config))
}

/// A client from the in-cluster configuration in a Pod, the kubeconfig elsewhere, that
/// sends the operator's `User-Agent`.
pub async fn infer() -> Result<kube::Client, ClientError> {
    Ok(from_config(kube::Config::infer().await?)?)
}

/// Why no client could be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Neither an in-cluster configuration nor a kubeconfig was found or usable.
    #[error("no Kubernetes configuration: {0}")]
    Config(#[from] kube::config::InferConfigError),
    /// The client could not be built from the configuration.
    #[error("cannot build a Kubernetes client: {0}")]
    Build(#[from] kube::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_names_itself_once() {
        let mut config = kube::Config::new(http::Uri::from_static("http://127.0.0.1:6443"));
        config.headers.push((USER_AGENT, HeaderValue::from_static("someone-else/1")));
        let config = identified(config);
        let agents: Vec<_> = config.headers.iter().filter(|(name, _)| name == USER_AGENT).collect();
        assert_eq!(agents.len(), 1);
        assert_eq!(agents[0].1, OPERATOR_USER_AGENT);
        assert!(OPERATOR_USER_AGENT.starts_with("etcd-operator/"), "{OPERATOR_USER_AGENT}");
    }
}
