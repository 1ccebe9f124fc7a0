//! `kubectl etcd install` and `kubectl etcd uninstall`: the CRDs, the operator's RBAC and
//! its Deployment, applied server-side with the field manager `kubectl-etcd`, and removed
//! again (never while EtcdClusters exist, unless forced).

mod kinds;
pub mod objects;

use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::Value;
use shared::crd::EtcdCluster;

use crate::client::{self, ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;

/// `kubectl etcd install`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd install\n  \
    kubectl etcd install -n databases --version 0.1.0\n  \
    kubectl etcd install --image registry.example.com/platform/etcd-operator:v0.1.0\n  \
    kubectl etcd install --dry-run > install.yaml\n  \
    kubectl etcd install --monitoring\n\n\
    Applies, server-side with the field manager kubectl-etcd, the CustomResourceDefinitions, the \
    operator's ServiceAccount, ClusterRole and ClusterRoleBinding (what the operator calls, nothing \
    more), a Role and RoleBinding for its leader-election Lease, and its Deployment. The namespace is \
    -n, else etcd-operator (not the context's); it is created when missing. Running it again upgrades \
    the operator to --version (or --image). Needs Kubernetes 1.30 or newer: an older server is refused \
    (exit 3) before anything is changed.")]
pub struct InstallArgs {
    /// The operator version: the image tag is v<VERSION>. Default: this plugin's version.
    #[arg(long = "version", value_name = "VERSION", default_value = env!("CARGO_PKG_VERSION"))]
    operator_version: String,

    /// The operator image to deploy, e.g. one built with scripts/image.sh and pushed to your own
    /// registry, instead of ghcr.io/kubectl-etcd/etcd-operator:v<VERSION>. Members restored
    /// from a snapshot run the same image.
    #[arg(long, value_name = "REF", conflicts_with = "operator_version")]
    image: Option<String>,

    /// Print the YAML that would be applied, and send nothing.
    #[arg(long)]
    dry_run: bool,

    /// Also apply the monitoring objects for the prometheus-operator into the operator's
    /// namespace: a ServiceMonitor for every cluster's members, a PodMonitor for the operator,
    /// the alerting rules (PrometheusRule) and a Grafana dashboard ConfigMap. Refused (exit 3)
    /// before anything is changed when the cluster does not serve monitoring.coreos.com/v1.
    #[arg(long)]
    monitoring: bool,
}

/// `kubectl etcd uninstall`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd uninstall\n  \
    kubectl etcd uninstall -n databases --force\n\n\
    Deletes the operator's Deployment, RBAC and ServiceAccount, its monitoring objects (when the \
    cluster serves the prometheus-operator's API), the CustomResourceDefinitions, and \
    the namespace if install created it. Refuses (exit 3) while EtcdClusters exist: deleting the \
    CRDs deletes every EtcdCluster, and with them their Pods and Services; --force does it anyway.")]
pub struct UninstallArgs {
    /// Uninstall even though EtcdClusters exist: they are all deleted with the CRDs.
    #[arg(long)]
    force: bool,
}

/// Why install or uninstall stopped.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The version is not MAJOR.MINOR.PATCH.
    #[error("--version {0:?} is not a version: write e.g. 0.1.0")]
    Version(String),
    /// The image is not an image reference.
    #[error(
        "--image {0:?} is not an image reference: write REGISTRY/REPOSITORY:TAG or ...@sha256:DIGEST, \
         e.g. registry.example.com/etcd-operator:v0.1.0"
    )]
    Image(String),
    /// The server's `/version` could not be read.
    #[error(transparent)]
    ServerVersion(#[from] shared::kubernetes::UnreadableVersion),
    /// The YAML could not be rendered or the embedded CRDs parsed.
    #[error("cannot render the manifests: {0}")]
    Render(#[from] serde_yaml::Error),
    /// A manifest lacks its name, kind or namespace.
    #[error(transparent)]
    Identity(#[from] client::MissingIdentity),
    /// The API refused or did not answer.
    #[error("cannot {action} {object}: {message}")]
    Api {
        /// apply, delete, list, ...
        action: &'static str,
        /// `kind/name`.
        object: String,
        /// What the API said.
        message: String,
    },
}

/// The namespace from `-n`, else [`objects::DEFAULT_NAMESPACE`].
fn namespace(kube: &KubeArgs) -> String {
    kube.namespace.clone().unwrap_or_else(|| objects::DEFAULT_NAMESPACE.to_string())
}

/// The version without a leading `v`, checked to be MAJOR.MINOR.PATCH (with an optional
/// pre-release).
fn operator_version(text: &str) -> Result<String, InstallError> {
    let version = text.strip_prefix('v').unwrap_or(text);
    let (core, pre) = version.split_once('-').unwrap_or((version, ""));
    let parts: Vec<&str> = core.split('.').collect();
    let numeric =
        parts.len() == 3 && parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let pre_ok = pre.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    if numeric && pre_ok && !(version.contains('-') && pre.is_empty()) {
        Ok(version.to_string())
    } else {
        Err(InstallError::Version(text.to_string()))
    }
}

/// The image reference, checked to be one: `[REGISTRY/]REPOSITORY[:TAG][@DIGEST]` with a
/// lowercase repository, no spaces, and nothing a shell or YAML would read differently.
fn image_reference(text: &str) -> Result<String, InstallError> {
    let (name, digest) = text.split_once('@').map_or((text, None), |(n, d)| (n, Some(d)));
    let path_start = name.rfind('/').map_or(0, |i| i + 1);
    let (repository, tag) = match name[path_start..].split_once(':') {
        Some((last, tag)) => (&name[..path_start + last.len()], Some(tag)),
        None => (name, None),
    };
    let (registry, path) = match repository.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (Some(first), rest),
        _ => (None, repository),
    };
    let registry_ok = registry
        .is_none_or(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c)));
    let path_ok = !path.is_empty()
        && path.split('/').all(|part| {
            !part.is_empty()
                && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
        });
    let tag_ok = tag.is_none_or(|t| {
        (1..=128).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    });
    let digest_ok = digest.is_none_or(|d| {
        d.split_once(':').is_some_and(|(algorithm, hex)| {
            !algorithm.is_empty() && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
        })
    });
    if registry_ok && path_ok && tag_ok && digest_ok && !text.starts_with('-') {
        Ok(text.to_string())
    } else {
        Err(InstallError::Image(text.to_string()))
    }
}

/// Reads the server's version (`GET /version`); prints why it is refused when it is older
/// than [`shared::kubernetes::MINIMUM`] and returns whether install may go on.
async fn server_is_supported(client: &kube::Client) -> Result<bool, InstallError> {
    use shared::kubernetes::{self, MINIMUM, SELECTABLE_FIELDS};
    let info = client.apiserver_version().await.map_err(|e| InstallError::Api {
        action: "read",
        object: "the server's version (GET /version)".into(),
        message: client::describe(&e),
    })?;
    let found = kubernetes::parse(&info.major, &info.minor, &info.git_version)?;
    if !kubernetes::is_supported(found) {
        eprintln!(
            "error: the cluster runs Kubernetes {found} ({}), but kubectl-etcd needs Kubernetes {MINIMUM} or \
             newer (its CRDs use CEL rules and fields that older API servers refuse); nothing was changed: \
             upgrade the cluster to {MINIMUM} or newer, then run install again",
            info.git_version
        );
        return Ok(false);
    }
    if found < SELECTABLE_FIELDS {
        eprintln!(
            "note: Kubernetes {found} drops the CRDs' selectable fields unless its CustomResourceFieldSelectors \
             feature gate is on (alpha in 1.30, on from {SELECTABLE_FIELDS}): `--field-selector spec.version=...` \
             on EtcdClusters and `spec.clusterName=...` on EtcdBackups work from {SELECTABLE_FIELDS} on; \
             everything else works"
        );
    }
    Ok(true)
}

/// `kind/name`, for messages.
fn object_name(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or("object").to_lowercase();
    format!("{kind}/{}", object["metadata"]["name"].as_str().unwrap_or(""))
}

fn api_error(action: &'static str, object: &Value, error: &kube::Error) -> InstallError {
    InstallError::Api { action, object: object_name(object), message: client::describe(error) }
}

/// Applies the CRDs and the operator, or prints them with `--dry-run`.
pub async fn install(kube: &KubeArgs, args: &InstallArgs) -> Result<Outcome, InstallError> {
    let namespace = namespace(kube);
    let version = operator_version(&args.operator_version)?;
    let image = match &args.image {
        Some(image) => image_reference(image)?,
        None => objects::release_image(&version),
    };
    if args.dry_run {
        print!("{}", objects::render(&namespace, env!("CARGO_PKG_VERSION"), &image)?);
        if args.monitoring {
            print!("{}", objects::render_monitoring(&namespace)?);
        }
        return Ok(Outcome::Success);
    }
    let connection = Connection::open(kube).await?;
    let client = &connection.client;
    if !server_is_supported(client).await? {
        return Ok(Outcome::Refused);
    }
    if args.monitoring && !serves_monitoring(client).await? {
        eprintln!(
            "error: --monitoring needs the prometheus-operator's API ({}: {}), which this cluster does not \
             serve; nothing was changed: install the prometheus-operator (e.g. kube-prometheus-stack) first, \
             or run install without --monitoring",
            objects::MONITORING_API,
            kinds::MONITORING_RESOURCES.join(", ")
        );
        return Ok(Outcome::Refused);
    }
    for (_, yaml) in objects::CRDS {
        let crd: Value = serde_yaml::from_str(yaml)?;
        apply(client, &crd).await?;
    }
    let ns = objects::namespace(&namespace);
    match kinds::api(client, &ns)?.create(&PostParams::default(), &kinds::dynamic(&ns)?).await {
        Ok(_) => println!("namespace/{namespace} created"),
        Err(error) if client::is_already_exists(&error) => println!("namespace/{namespace} exists"),
        Err(error) => return Err(api_error("create", &ns, &error)),
    }
    for object in objects::operator(&namespace, &image) {
        apply(client, &object).await?;
    }
    if args.monitoring {
        for object in objects::monitoring(&namespace)? {
            apply(client, &object).await?;
        }
    }
    println!(
        "etcd-operator ({image}) installed in namespace {namespace}; \
         `kubectl get deploy -n {namespace} {}` shows when it is ready",
        objects::NAME
    );
    Ok(Outcome::Success)
}

/// Whether the cluster serves every prometheus-operator resource the monitoring objects are.
async fn serves_monitoring(client: &kube::Client) -> Result<bool, InstallError> {
    match client.list_api_group_resources(objects::MONITORING_API).await {
        Ok(list) => Ok(kinds::MONITORING_RESOURCES
            .iter()
            .all(|wanted| list.resources.iter().any(|r| r.name == *wanted))),
        Err(error) if client::is_not_found(&error) => Ok(false),
        Err(error) => Err(InstallError::Api {
            action: "read",
            object: format!("the API group {}", objects::MONITORING_API),
            message: client::describe(&error),
        }),
    }
}

/// Server-side apply, forced, with the field manager `kubectl-etcd`.
async fn apply(client: &kube::Client, object: &Value) -> Result<(), InstallError> {
    let name = kinds::name(object)?;
    let params = PatchParams::apply(objects::MANAGER).force();
    kinds::api(client, object)?
        .patch(name, &params, &Patch::Apply(kinds::dynamic(object)?))
        .await
        .map_err(|e| api_error("apply", object, &e))?;
    println!("{} serverside-applied", object_name(object));
    Ok(())
}

/// Deletes what install applied; refuses while EtcdClusters exist unless `--force`.
pub async fn uninstall(kube: &KubeArgs, args: &UninstallArgs) -> Result<Outcome, InstallError> {
    let namespace = namespace(kube);
    let connection = Connection::open(kube).await?;
    let client = &connection.client;
    let clusters = match connection.all_clusters().list(&ListParams::default()).await {
        Ok(list) => list.items,
        Err(error) if client::is_not_found(&error) => Vec::new(), // no CRD: no clusters
        Err(error) => {
            return Err(InstallError::Api {
                action: "list",
                object: "etcdclusters".into(),
                message: client::describe(&error),
            });
        }
    };
    if !clusters.is_empty() {
        let names: Vec<String> = clusters.iter().map(qualified_name).collect();
        if !args.force {
            eprintln!(
                "error: refusing to uninstall while {} EtcdCluster(s) exist ({}): deleting the CRDs \
                 deletes them and their members; delete them first, or add --force",
                names.len(),
                names.join(", ")
            );
            return Ok(Outcome::Refused);
        }
        eprintln!("warning: --force: deleting the CRDs deletes {}", names.join(", "));
    }
    let mut objects = objects::operator(&namespace, &objects::release_image(env!("CARGO_PKG_VERSION")));
    objects.reverse(); // the Deployment first
    if serves_monitoring(client).await? {
        // What `install --monitoring` added, if it did.
        objects.splice(0..0, objects::monitoring(&namespace)?);
    }
    for (_, yaml) in objects::CRDS {
        objects.push(serde_yaml::from_str(yaml)?);
    }
    for object in &objects {
        delete(client, object).await?;
    }
    let ns = objects::namespace(&namespace);
    let namespaces = kinds::api(client, &ns)?;
    match namespaces.get_opt(&namespace).await {
        Ok(Some(found))
            if found.metadata.labels.as_ref().and_then(|l| l.get(objects::CREATED_BY_LABEL))
                == Some(&objects::MANAGER.to_string()) =>
        {
            delete(client, &ns).await?;
        }
        Ok(_) => {}
        Err(error) => return Err(api_error("read", &ns, &error)),
    }
    println!("etcd-operator uninstalled from namespace {namespace}");
    Ok(Outcome::Success)
}

fn qualified_name(cluster: &EtcdCluster) -> String {
    let namespace = cluster.metadata.namespace.as_deref().unwrap_or("");
    format!("{namespace}/{}", cluster.metadata.name.as_deref().unwrap_or(""))
}

/// Deletes one object; one that is already gone is not an error.
async fn delete(client: &kube::Client, object: &Value) -> Result<(), InstallError> {
    let name = kinds::name(object)?;
    match kinds::api(client, object)?.delete(name, &DeleteParams::background()).await {
        Ok(_) => println!("{} deleted", object_name(object)),
        Err(error) if client::is_not_found(&error) => println!("{} not found", object_name(object)),
        Err(error) => return Err(api_error("delete", object, &error)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_with_or_without_v() {
        assert_eq!(operator_version("0.1.0").ok(), Some("0.1.0".into()));
        assert_eq!(operator_version("v1.20.3").ok(), Some("1.20.3".into()));
        assert_eq!(operator_version("v1.0.0-rc.1").ok(), Some("1.0.0-rc.1".into()));
        for bad in ["", "1.2", "latest", "1.2.x", "v1.2.3-", "1.2.3/evil", "1..2"] {
            assert!(operator_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_references() {
        for good in [
            "ghcr.io/kubectl-etcd/etcd-operator:v0.1.0",
            "registry.example.com:5000/platform/etcd-operator:v0.1.0-rc.1",
            "localhost/etcd-operator",
            "etcd-operator:dev",
            "registry.example.com/etcd-operator@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "registry.example.com/etcd-operator:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image_reference(good).ok().as_deref(), Some(good), "{good}");
        }
        for bad in [
            "",
            "Registry.example.com/Etcd-Operator:v1",
            "etcd operator:v1",
            "etcd-operator:",
            "etcd-operator:v1:v2",
            "etcd-operator@sha256:short",
            "registry.example.com//etcd-operator",
            "-etcd-operator",
            "etcd-operator:v1\n",
        ] {
            assert!(image_reference(bad).is_err(), "{bad:?}");
        }
    }
}
