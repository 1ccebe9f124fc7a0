//! Names, addresses and labels of everything the operator creates for a cluster. The plugin,
//! the operator's planner and its resource builders all derive them here, so they agree.

use std::collections::BTreeMap;

/// The API group of every custom resource of this project.
pub const API_GROUP: &str = "etcd.kubectl-etcd.dev";

/// The API version of the custom resources.
pub const API_VERSION: &str = "v1alpha1";

/// Label prefix reserved for the operator's own labels.
pub const LABEL_PREFIX: &str = "etcd.kubectl-etcd.dev/";

/// Label naming the EtcdCluster a Pod, PVC or Service belongs to.
pub const LABEL_CLUSTER: &str = "etcd.kubectl-etcd.dev/cluster";

/// Label naming the member a Pod or PVC belongs to.
pub const LABEL_MEMBER: &str = "etcd.kubectl-etcd.dev/member";

/// The well-known `app.kubernetes.io/managed-by` label and our value for it.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Value of [`LABEL_MANAGED_BY`] on everything the operator creates.
pub const MANAGED_BY: &str = "kubectl-etcd";

/// Image repository used when a cluster does not name one (the etcd project's own images).
pub const DEFAULT_REPOSITORY: &str = "gcr.io/etcd-development/etcd";

/// Annotation on an EtcdCluster that allows a `spec.version` whose minor version the
/// project does not support (value `"true"`); `kubectl etcd upgrade --force` sets it.
pub const ALLOW_UNSUPPORTED_VERSION_ANNOTATION: &str = "etcd.kubectl-etcd.dev/allow-unsupported-version";

/// The etcd version an image runs, from its tag (`gcr.io/etcd-development/etcd:v3.5.1` is
/// 3.5.1); `None` when the tag is not a version.
pub fn image_version(image: &str) -> Option<crate::version::EtcdVersion> {
    let (_, tag) = image.rsplit_once(':')?;
    if tag.contains('/') {
        return None;
    }
    tag.parse().ok()
}

/// The one-shot EtcdBackup that takes the snapshot before an upgrade of `cluster` to
/// `target` asked for at `generation` (the cluster's `metadata.generation`, which setting
/// `spec.version` bumps): `<cluster>-before-<target with dashes>-<generation>`, e.g.
/// `demo-before-3-5-1-2`. With the generation, a later upgrade to the same version gets a
/// snapshot of its own instead of the one an earlier upgrade left. A cluster name has at
/// most 40 characters, so the name stays within the 253 of an object name.
pub fn pre_upgrade_backup_name(
    cluster: &str,
    target: crate::version::EtcdVersion,
    generation: i64,
) -> String {
    format!("{cluster}-before-{}-{generation}", target.to_string().replace('.', "-"))
}

/// The cluster DNS domain member addresses are written in unless the operator is told
/// another (`etcd-operator run --cluster-domain`): the kubelet's default `clusterDomain`.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// Checks a cluster DNS domain (`--cluster-domain`): DNS labels of lowercase letters,
/// digits and `-`, joined by dots, with no leading or trailing dot. The message says what is
/// wrong and what a domain looks like.
pub fn check_cluster_domain(domain: &str) -> Result<(), String> {
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if domain.len() <= 253 && domain.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(format!(
            "{domain:?} is not a DNS domain: give the cluster's DNS domain as the kubelet's clusterDomain \
             has it, lowercase labels joined by dots (e.g. {CLUSTER_DOMAIN})"
        ))
    }
}

/// etcd's client port.
pub const CLIENT_PORT: u16 = 2379;
/// etcd's peer port.
pub const PEER_PORT: u16 = 2380;
/// etcd's metrics and health port (`--listen-metrics-urls`).
pub const METRICS_PORT: u16 = 2381;
/// Port on which the seed member of a restore from an uploaded file waits for the snapshot
/// (`PUT /snapshot`), before etcd starts.
pub const UPLOAD_PORT: u16 = 2390;
/// The seed's init container that receives an uploaded snapshot.
pub const UPLOAD_CONTAINER: &str = "receive-snapshot";
/// The path an uploaded snapshot is sent to.
pub const UPLOAD_PATH: &str = "/snapshot";

/// Where a member keeps its data inside its container.
pub const DATA_DIR: &str = "/var/lib/etcd/data";
/// Where the data volume is mounted.
pub const DATA_MOUNT: &str = "/var/lib/etcd";

/// The member (and Pod) with index `n`: `<cluster>-<n>`.
pub fn member_name(cluster: &str, index: usize) -> String {
    format!("{cluster}-{index}")
}

/// The index of a member of `cluster` from its name, if it is one of the cluster's names.
pub fn member_index(cluster: &str, member: &str) -> Option<usize> {
    let suffix = member.strip_prefix(cluster)?.strip_prefix('-')?;
    if suffix.is_empty()
        || suffix.starts_with('0') && suffix.len() > 1
        || !suffix.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    suffix.parse().ok()
}

/// The PersistentVolumeClaim of a member: `data-<member>`.
pub fn claim_name(member: &str) -> String {
    format!("data-{member}")
}

/// The headless Service that gives members their DNS names: the cluster's own name.
pub fn peer_service_name(cluster: &str) -> String {
    cluster.to_string()
}

/// The Service clients use: `<cluster>-client`.
pub fn client_service_name(cluster: &str) -> String {
    format!("{cluster}-client")
}

/// The Service of the members' metrics port, which Prometheus discovers them by:
/// `<cluster>-metrics`.
pub fn metrics_service_name(cluster: &str) -> String {
    format!("{cluster}-metrics")
}

/// The well-known `app.kubernetes.io/component` label; [`METRICS_COMPONENT`] marks the
/// metrics Services, which a ServiceMonitor selects by it.
pub const LABEL_COMPONENT: &str = "app.kubernetes.io/component";
/// Value of [`LABEL_COMPONENT`] on every cluster's metrics Service.
pub const METRICS_COMPONENT: &str = "metrics";

/// A member's DNS name in the cluster DNS `domain` (e.g. [`CLUSTER_DOMAIN`]):
/// `<member>.<cluster>.<namespace>.svc.<domain>`.
pub fn member_host(member: &str, cluster: &str, namespace: &str, domain: &str) -> String {
    format!("{member}.{}.{namespace}.svc.{domain}", peer_service_name(cluster))
}

/// A member's peer URL, as etcd's member list shows it.
pub fn peer_url(member: &str, cluster: &str, namespace: &str, domain: &str) -> String {
    format!("http://{}:{PEER_PORT}", member_host(member, cluster, namespace, domain))
}

/// A member's client URL.
pub fn client_url(member: &str, cluster: &str, namespace: &str, domain: &str) -> String {
    format!("http://{}:{CLIENT_PORT}", member_host(member, cluster, namespace, domain))
}

/// `http://<ip>:<port>`, with an IPv6 address in brackets (`http://[fd00::1]:2379`), as a
/// URL must write it. `ip` is a Pod IP as the API reports it.
pub fn ip_url(ip: &str, port: u16) -> String {
    if ip.contains(':') && !ip.starts_with('[') {
        format!("http://[{ip}]:{port}")
    } else {
        format!("http://{ip}:{port}")
    }
}

/// `url` with `https://` in place of `http://`: the same address on a TLS cluster.
pub fn secure_url(url: &str) -> String {
    match url.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => url.to_string(),
    }
}

/// The name every member's server certificate carries and the operator and the plugin
/// verify members by (they reach members at Pod IPs, which certificates cannot name
/// ahead of time): the client Service's name, `<cluster>-client.<namespace>.svc`.
pub fn tls_server_name(cluster: &str, namespace: &str) -> String {
    format!("{}.{namespace}.svc", client_service_name(cluster))
}

/// Where a TLS cluster's member Pod mounts its server certificate Secret (`tls.crt`,
/// `tls.key`, `ca.crt`); the certificate also serves as a client certificate, which is how
/// `kubectl etcd etcdctl` reaches the cluster from inside a member.
pub const SERVER_TLS_MOUNT: &str = "/etc/etcd/tls/server";
/// Where a TLS cluster's member Pod mounts its peer certificate Secret.
pub const PEER_TLS_MOUNT: &str = "/etc/etcd/tls/peer";

/// Secret of the CA the operator issues for a TLS cluster's certificates.
pub fn ca_secret_name(cluster: &str) -> String {
    format!("{cluster}-ca-tls")
}

/// Secret of the client certificate the operator issues (used by the operator, the
/// plugin and `kubectl etcd credentials`).
pub fn client_secret_name(cluster: &str) -> String {
    format!("{cluster}-client-tls")
}

/// Secret of the server certificate the operator issues for `member`.
pub fn server_secret_name(member: &str) -> String {
    format!("{member}-server-tls")
}

/// Secret of the peer certificate the operator issues for `member`.
pub fn peer_secret_name(member: &str) -> String {
    format!("{member}-peer-tls")
}

/// The member a peer URL belongs to, if it is one of this cluster's addresses (in any
/// cluster DNS domain, so that callers who do not know the domain, like the plugin, agree
/// with the operator). etcd lists a member that was added but has not started yet with its
/// peer URL only, no name.
pub fn member_of_peer_url(url: &str, cluster: &str, namespace: &str) -> Option<String> {
    let host = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"))?;
    let host = host.split([':', '/']).next()?;
    let (member, domain) = host.split_once(&format!(".{}.{namespace}.svc.", peer_service_name(cluster)))?;
    if domain.is_empty() {
        return None;
    }
    member_index(cluster, member).map(|_| member.to_string())
}

/// The labels that select every member Pod of a cluster.
pub fn selector_labels(cluster: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/name".to_string(), "etcd".to_string()),
        ("app.kubernetes.io/instance".to_string(), cluster.to_string()),
        (LABEL_CLUSTER.to_string(), cluster.to_string()),
    ])
}

/// The labels of everything the operator creates for a cluster (and, with `member`, for
/// one member).
pub fn labels(cluster: &str, member: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = selector_labels(cluster);
    labels.insert(LABEL_MANAGED_BY.to_string(), MANAGED_BY.to_string());
    if let Some(member) = member {
        labels.insert(LABEL_MEMBER.to_string(), member.to_string());
    }
    labels
}

/// `k=v,k=v` form of a label set, for label selectors.
pub fn selector_string(labels: &BTreeMap<String, String>) -> String {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_names_and_urls() {
        assert_eq!(secure_url("http://10.0.0.1:2379"), "https://10.0.0.1:2379");
        assert_eq!(secure_url("https://10.0.0.1:2379"), "https://10.0.0.1:2379");
        assert_eq!(tls_server_name("demo", "db"), "demo-client.db.svc");
        assert_eq!(ca_secret_name("demo"), "demo-ca-tls");
        assert_eq!(client_secret_name("demo"), "demo-client-tls");
        assert_eq!(server_secret_name("demo-0"), "demo-0-server-tls");
        assert_eq!(peer_secret_name("demo-0"), "demo-0-peer-tls");
        assert_eq!(
            member_of_peer_url("https://demo-1.demo.db.svc.cluster.local:2380", "demo", "db").as_deref(),
            Some("demo-1")
        );
    }

    #[test]
    fn member_names_round_trip() {
        assert_eq!(member_name("demo", 4), "demo-4");
        assert_eq!(member_index("demo", "demo-4"), Some(4));
        assert_eq!(member_index("demo", "demo-10"), Some(10));
        assert_eq!(member_index("demo", "demo-x"), None);
        assert_eq!(member_index("demo", "demo-01"), None, "not a name the operator gives");
        assert_eq!(member_index("demo", "demo2-1"), None);
        assert_eq!(member_index("demo-a", "demo-a-0"), Some(0));
    }

    #[test]
    fn addresses_follow_the_cluster_domain() {
        assert_eq!(member_host("demo-0", "demo", "db", "corp.example"), "demo-0.demo.db.svc.corp.example");
        let peer = peer_url("demo-1", "demo", "db", "corp.example");
        assert_eq!(peer, "http://demo-1.demo.db.svc.corp.example:2380");
        assert_eq!(
            client_url("demo-1", "demo", "db", "corp.example"),
            "http://demo-1.demo.db.svc.corp.example:2379"
        );
        assert_eq!(member_of_peer_url(&peer, "demo", "db").as_deref(), Some("demo-1"), "any domain");
        assert_eq!(member_of_peer_url("http://demo-1.demo.db.svc.:2380", "demo", "db"), None, "no domain");
        assert_eq!(member_of_peer_url("http://demo-1.demo.other.svc.corp.example:2380", "demo", "db"), None);
    }

    #[test]
    fn cluster_domains_are_dns_names() {
        for good in [CLUSTER_DOMAIN, "corp.example", "k8s-1.internal", "local"] {
            assert_eq!(check_cluster_domain(good), Ok(()), "{good}");
        }
        for bad in ["", ".cluster.local", "cluster.local.", "Cluster.Local", "a..b", "-a.b", "a b", "a/b"] {
            let message = check_cluster_domain(bad).expect_err(bad);
            assert!(message.contains("not a DNS domain") && message.contains("cluster.local"), "{message}");
        }
    }

    #[test]
    fn ip_urls_bracket_ipv6() {
        assert_eq!(ip_url("10.1.2.3", CLIENT_PORT), "http://10.1.2.3:2379");
        assert_eq!(ip_url("fd00:10:244::5", CLIENT_PORT), "http://[fd00:10:244::5]:2379");
        assert_eq!(ip_url("::1", UPLOAD_PORT), "http://[::1]:2390");
        assert_eq!(ip_url("[fd00::1]", PEER_PORT), "http://[fd00::1]:2380", "already bracketed");
        for ip in ["10.1.2.3", "fd00:10:244::5"] {
            let url = ip_url(ip, CLIENT_PORT);
            let address: std::net::SocketAddr =
                url.strip_prefix("http://").and_then(|a| a.parse().ok()).expect("host:port");
            assert_eq!((address.ip().to_string(), address.port()), (ip.to_string(), CLIENT_PORT));
        }
    }

    #[test]
    fn addresses() {
        let local = CLUSTER_DOMAIN;
        assert_eq!(peer_url("demo-0", "demo", "db", local), "http://demo-0.demo.db.svc.cluster.local:2380");
        assert_eq!(client_url("demo-0", "demo", "db", local), "http://demo-0.demo.db.svc.cluster.local:2379");
        assert_eq!(client_service_name("demo"), "demo-client");
        assert_eq!(metrics_service_name("demo"), "demo-metrics");
        assert_eq!(
            member_of_peer_url(&peer_url("demo-3", "demo", "db", local), "demo", "db").as_deref(),
            Some("demo-3")
        );
        assert_eq!(member_of_peer_url("http://10.0.0.1:2380", "demo", "db"), None);
        assert_eq!(member_of_peer_url(&peer_url("other-0", "other", "db", local), "demo", "db"), None);
        assert_eq!(claim_name("demo-0"), "data-demo-0");
        let target = "3.5.30".parse().expect("version");
        assert_eq!(pre_upgrade_backup_name("demo", target, 4), "demo-before-3-5-30-4");
        let longest = pre_upgrade_backup_name(
            &"a".repeat(40),
            crate::version::EtcdVersion::new(u64::MAX, u64::MAX, u64::MAX),
            i64::MAX,
        );
        assert!(longest.len() <= 253, "an object name: {}", longest.len());
        let l = labels("demo", Some("demo-0"));
        assert_eq!(l[LABEL_MEMBER], "demo-0");
        assert_eq!(l[LABEL_MANAGED_BY], "kubectl-etcd");
        assert_eq!(
            selector_string(&selector_labels("demo")),
            "app.kubernetes.io/instance=demo,app.kubernetes.io/name=etcd,etcd.kubectl-etcd.dev/cluster=demo"
        );
    }
}
