//! `kubectl etcd version`: the plugin's version and the version of every etcd-operator
//! Deployment in the cluster (from its image tag), with a warning when they differ, since a
//! plugin and an operator of different versions may disagree on the custom resources.

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::ListParams;
use kube::{Api, ResourceExt};
use serde::Serialize;

use crate::client::{ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;
use crate::output::structured::{self, Structured};

/// The plugin's own version.
pub const PLUGIN_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Show the plugin's and the operator's versions.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd version\n  \
    kubectl etcd version --client\n  \
    kubectl etcd version -o json\n\n\
    The operator's version is read from the image tag of each etcd-operator Deployment (label \
    app.kubernetes.io/name=etcd-operator) in any namespace. A version other than the plugin's is \
    reported on stderr; the exit code stays 0.")]
pub struct Args {
    /// Show only the plugin's version; do not contact the cluster.
    #[arg(long)]
    client: bool,

    /// Print the versions as json or yaml.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<Structured>,
}

/// Why the versions could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The Deployments could not be listed.
    #[error("cannot list the etcd-operator Deployments: {0}")]
    List(String),
    /// The versions could not be printed.
    #[error("cannot print the versions: {0}")]
    Print(String),
}

/// One operator Deployment.
#[derive(Serialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OperatorVersion {
    /// Its namespace.
    namespace: String,
    /// Its image.
    image: String,
    /// The version in the image tag, without a leading `v`.
    version: Option<String>,
}

/// What `version` reports.
#[derive(Serialize, Debug)]
#[serde(rename_all = "camelCase")]
struct Versions {
    plugin: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    operators: Option<Vec<OperatorVersion>>,
}

/// The operator version of a Deployment, from its first container's image tag.
fn operator_version(deployment: &Deployment) -> Option<OperatorVersion> {
    let pod = deployment.spec.template.spec.as_ref()?;
    let image = pod.containers.first()?.image.clone()?;
    let version = image
        .rsplit_once(':')
        .filter(|(_, tag)| !tag.contains('/'))
        .map(|(_, tag)| tag.trim_start_matches('v').to_string());
    Some(OperatorVersion { namespace: deployment.namespace().unwrap_or_default(), image, version })
}

/// What to say about operators whose version is not the plugin's.
fn mismatches(operators: &[OperatorVersion]) -> Vec<String> {
    operators
        .iter()
        .filter(|o| o.version.as_deref() != Some(PLUGIN_VERSION))
        .map(|o| {
            format!(
                "warning: the operator in namespace {} runs {} but this plugin is {PLUGIN_VERSION}: upgrade \
                 one of them (`kubectl etcd install -n {}` installs the operator of this plugin's version)",
                o.namespace,
                o.version.as_deref().unwrap_or(&o.image),
                o.namespace
            )
        })
        .collect()
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, VersionError> {
    let operators = if args.client {
        None
    } else {
        let connection = Connection::open(kube).await?;
        let deployments: Api<Deployment> = Api::all(connection.client.clone());
        let listed = deployments
            .list(&ListParams::default().labels("app.kubernetes.io/name=etcd-operator"))
            .await
            .map_err(|e| VersionError::List(crate::client::describe(&e)))?;
        Some(listed.items.iter().filter_map(operator_version).collect::<Vec<_>>())
    };
    let versions = Versions { plugin: PLUGIN_VERSION.to_string(), operators };
    let text = match args.output {
        Some(format) => structured::render(&versions, format).map_err(VersionError::Print)?,
        None => {
            let mut text = format!("Plugin version: {PLUGIN_VERSION}\n");
            match &versions.operators {
                None => {}
                Some(operators) if operators.is_empty() => {
                    text.push_str("Operator: not installed (kubectl etcd install)\n");
                }
                Some(operators) => {
                    for o in operators {
                        let version = o.version.as_deref().unwrap_or("unknown");
                        text.push_str(&format!(
                            "Operator version: {version} (namespace {}, {})\n",
                            o.namespace, o.image
                        ));
                    }
                }
            }
            text
        }
    };
    print!("{text}");
    for warning in mismatches(versions.operators.as_deref().unwrap_or_default()) {
        eprintln!("{warning}");
    }
    Ok(Outcome::Success)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn deployment(image: &str) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "etcd-operator", "namespace": "ops"},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "operator", "image": image}]}}}
        }))
        .expect("deployment")
    }

    #[test]
    fn the_operator_version_comes_from_the_image_tag_and_mismatches_are_said() {
        let same =
            operator_version(&deployment(&format!("ghcr.io/kubectl-etcd/etcd-operator:v{PLUGIN_VERSION}")))
                .expect("a version");
        assert_eq!(same.version.as_deref(), Some(PLUGIN_VERSION));
        assert!(mismatches(std::slice::from_ref(&same)).is_empty());
        let older = operator_version(&deployment("registry:5000/etcd-operator:v0.0.1")).expect("a version");
        assert_eq!(older.version.as_deref(), Some("0.0.1"));
        let said = mismatches(&[older]);
        assert_eq!(said.len(), 1);
        assert!(said[0].contains("namespace ops runs 0.0.1 but this plugin is"), "{}", said[0]);
        let untagged = operator_version(&deployment("registry:5000/etcd-operator")).expect("an image");
        assert_eq!(untagged.version, None);
    }
}
