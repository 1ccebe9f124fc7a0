//! The Pod of one etcd member.

use k8s_openapi::api::core::v1::{
    Affinity, Container, ContainerPort, EmptyDirVolumeSource, HTTPGetAction,
    PersistentVolumeClaimVolumeSource, Pod, PodAffinityTerm, PodAntiAffinity, PodSpec, Probe,
    SecretVolumeSource, TCPSocketAction, Volume, VolumeMount, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use shared::crd::{AntiAffinity, EtcdCluster, PodPolicy, StorageKind};
use shared::names::{self, CLIENT_PORT, METRICS_PORT, PEER_PORT};

use super::security::{
    ETCD_CPU_REQUEST, ETCD_MEMORY_REQUEST, INIT_CPU_REQUEST, INIT_MEMORY_REQUEST, container_security_context,
    pod_security_context, resources_or,
};
use super::{
    BuildError, CLIENT_PORT_NAME, METRICS_PORT_NAME, PEER_PORT_NAME, check_member, cluster_name,
    cluster_namespace, image, object_meta,
};

/// Annotation on a member Pod recording whether it was started as `new` or `existing`
/// (`--initial-cluster-state`); the operator reads it back with [`initial_state`].
pub const INITIAL_CLUSTER_STATE_ANNOTATION: &str = "etcd.kubectl-etcd.dev/initial-cluster-state";

/// Name of the etcd container in a member Pod.
pub const CONTAINER_NAME: &str = "etcd";

/// Name of the data volume in a member Pod.
pub const DATA_VOLUME: &str = "data";

/// The etcd binary in the etcd project's images. Those images declare it as `CMD` over a
/// distroless base with no `ENTRYPOINT`, so a container that sets `args` alone would try to
/// run its first flag as a program: the command must be given.
pub const ETCD_BINARY: &str = "/usr/local/bin/etcd";

/// The readiness probe's request, on the plain metrics port: etcd's `/health`, answered
/// 200 while the member has a leader, answers a linearizable read and has no alarm but
/// NOSPACE (a full member still serves the reads, deletes and compaction that free it).
/// Not `serializable=true`: etcd 3.5.30 then skips the leader check and a member cut off
/// from its peers stays "healthy" (operator/tests/health.rs shows it).
pub const READINESS_PATH: &str = "/health?exclude=NOSPACE";

/// Node label the default anti-affinity spreads members over.
const HOSTNAME_TOPOLOGY_KEY: &str = "kubernetes.io/hostname";

/// Weight of the `Preferred` anti-affinity term (the strongest preference).
const PREFERRED_WEIGHT: i32 = 100;

pub use shared::plan::membership::InitialState;
use shared::plan::transport::{LISTEN_CLIENT_URLS_FLAG, Transport};

/// What makes one member's Pod differ from another's.
#[derive(Clone, Copy, Debug)]
pub struct MemberPod<'a> {
    /// Member (and Pod) name, `<cluster>-<n>`.
    pub member: &'a str,
    /// etcd version to run, e.g. `3.5.1` (a leading `v` is accepted).
    pub version: &'a str,
    /// (member name, peer URL) of the members etcd should know at start, including this
    /// one, in the order `--initial-cluster` lists them.
    pub initial_cluster: &'a [(String, String)],
    /// Whether the member bootstraps a new cluster or joins a running one.
    pub state: InitialState,
    /// `--initial-cluster-token`, which keeps members of different clusters apart.
    pub token: &'a str,
    /// The operator's own image, which the seed steps of a restoring member run.
    pub operator_image: &'a str,
    /// The cluster DNS domain its addresses are written in ([`names::CLUSTER_DOMAIN`] unless
    /// the operator runs with `--cluster-domain`).
    pub cluster_domain: &'a str,
}

/// The initial cluster state a member Pod was created with, read from its
/// [`INITIAL_CLUSTER_STATE_ANNOTATION`].
pub fn initial_state(pod: &Pod) -> Option<InitialState> {
    pod.metadata
        .annotations
        .as_ref()?
        .get(INITIAL_CLUSTER_STATE_ANNOTATION)
        .and_then(|v| InitialState::parse(v))
}

/// The Pod of member `spec.member`.
///
/// Its DNS name is [`names::member_host`] (hostname = member, subdomain = the peer
/// Service). Labels are the member's [`names::labels`] over the user's `spec.pod.labels`
/// (ours win); annotations are the user's plus [`INITIAL_CLUSTER_STATE_ANNOTATION`].
pub fn member_pod(cluster: &EtcdCluster, spec: &MemberPod) -> Result<Pod, BuildError> {
    let name = cluster_name(cluster)?;
    let namespace = cluster_namespace(cluster)?;
    check_member(name, spec.member)?;
    let transport = member_transport(cluster, name, namespace, spec)?;
    let own_peer_url =
        transport.advertised(&names::peer_url(spec.member, name, namespace, spec.cluster_domain));
    let policy = &cluster.spec.pod;
    Ok(Pod {
        metadata: member_metadata(cluster, name, spec)?,
        spec: Some(PodSpec {
            init_containers: seed_containers(cluster, spec, &own_peer_url)?,
            hostname: Some(spec.member.to_string()),
            subdomain: Some(names::peer_service_name(name)),
            restart_policy: Some("Always".to_string()),
            termination_grace_period_seconds: Some(30),
            // Service links would put `<SERVICE>_*` variables in the environment; for a
            // Service named `etcd...` they start with `ETCD_`, which etcd reads as flags.
            enable_service_links: Some(false),
            containers: vec![etcd_container(cluster, name, namespace, spec, transport)],
            volumes: Some(volumes(cluster, spec.member, transport)),
            node_selector: (!policy.node_selector.is_empty()).then(|| policy.node_selector.clone()),
            tolerations: (!policy.tolerations.is_empty()).then(|| policy.tolerations.clone()),
            affinity: affinity(name, policy),
            priority_class_name: policy.priority_class_name.clone(),
            topology_spread_constraints: (!policy.topology_spread_constraints.is_empty())
                .then(|| policy.topology_spread_constraints.clone()),
            image_pull_secrets: (!policy.image_pull_secrets.is_empty())
                .then(|| policy.image_pull_secrets.clone()),
            service_account_name: policy.service_account_name.clone(),
            // Neither etcd nor the seed steps call the Kubernetes API.
            automount_service_account_token: Some(false),
            security_context: Some(pod_security_context()),
            ..PodSpec::default()
        }),
        status: None,
    })
}

/// What member `spec.member`'s Pod serves: with `spec.tls`, TLS when its peer URL in the
/// initial cluster is `https://`, both HTTP and HTTPS (phase 1 of turning TLS on, see
/// `shared::plan::transport`) when it is still `http://`; plain HTTP without `spec.tls`. Its
/// peer URL must be listed, with a scheme the spec allows.
fn member_transport(
    cluster: &EtcdCluster,
    name: &str,
    namespace: &str,
    spec: &MemberPod,
) -> Result<Transport, BuildError> {
    let tls = cluster.spec.tls.is_some();
    let plain = names::peer_url(spec.member, name, namespace, spec.cluster_domain);
    let allowed = |url: &str| url == plain || (tls && url == names::secure_url(&plain));
    match spec.initial_cluster.iter().find(|(m, url)| m == spec.member && allowed(url)) {
        Some((_, url)) => Ok(Transport::for_member(tls, url)),
        None => Err(BuildError::NotInInitialCluster {
            member: spec.member.to_string(),
            peer_url: if tls { names::secure_url(&plain) } else { plain },
        }),
    }
}

/// The member Pod's metadata: the member's labels over the user's, the user's annotations
/// plus [`INITIAL_CLUSTER_STATE_ANNOTATION`], owned by the cluster.
fn member_metadata(cluster: &EtcdCluster, name: &str, spec: &MemberPod) -> Result<ObjectMeta, BuildError> {
    let policy = &cluster.spec.pod;
    let mut labels = policy.labels.clone();
    labels.extend(names::labels(name, Some(spec.member)));
    let mut metadata = object_meta(cluster, spec.member.to_string(), labels, true)?;
    let mut annotations = policy.annotations.clone();
    annotations.insert(INITIAL_CLUSTER_STATE_ANNOTATION.to_string(), spec.state.as_str().to_string());
    metadata.annotations = Some(annotations);
    Ok(metadata)
}

/// The etcd container of member `spec.member` of cluster `name` in `namespace`: the
/// cluster's image and resources, [`etcd_args`] and the settings flags of `spec.etcd`
/// (`EtcdSettings::flags`, which the operator compares to roll a change out), its ports,
/// probes and data mount.
fn etcd_container(
    cluster: &EtcdCluster,
    name: &str,
    namespace: &str,
    spec: &MemberPod,
    transport: Transport,
) -> Container {
    Container {
        name: CONTAINER_NAME.to_string(),
        image: Some(image(cluster, spec.version)),
        command: Some(vec![ETCD_BINARY.to_string()]),
        args: Some([etcd_args(name, namespace, spec, transport), cluster.spec.etcd.flags()].concat()),
        ports: Some(vec![
            container_port(CLIENT_PORT_NAME, CLIENT_PORT),
            container_port(PEER_PORT_NAME, PEER_PORT),
            container_port(METRICS_PORT_NAME, METRICS_PORT),
        ]),
        // Readiness asks "does this member serve" ([`READINESS_PATH`]), so the client Service
        // leaves out a member that restarted and listens but has not rejoined, or has lost its
        // leader. It only steers traffic: the peer and metrics Services publish members that
        // are not ready, and the operator judges health through the etcd API itself.
        // Liveness only asks "does the process answer on the client port". One that fails
        // when quorum is lost (e.g. `/health`) would have the kubelet restart every member at
        // once, in a loop, and turn a recoverable outage into a lasting one: the archived
        // CoreOS operator's mistake.
        readiness_probe: Some(Probe {
            http_get: Some(HTTPGetAction {
                path: Some(READINESS_PATH.to_string()),
                port: IntOrString::String(METRICS_PORT_NAME.to_string()),
                scheme: Some("HTTP".to_string()),
                ..HTTPGetAction::default()
            }),
            // Every second (the kubelet's shortest period): a rollout waits for each restarted
            // member's Pod to be Ready again, which its next probe decides.
            period_seconds: Some(1),
            failure_threshold: Some(3),
            ..Probe::default()
        }),
        liveness_probe: Some(Probe {
            tcp_socket: Some(client_socket()),
            initial_delay_seconds: Some(15),
            period_seconds: Some(10),
            failure_threshold: Some(6),
            ..Probe::default()
        }),
        volume_mounts: Some(volume_mounts(transport)),
        resources: Some(resources_or(
            cluster.spec.pod.resources.as_ref(),
            ETCD_CPU_REQUEST,
            ETCD_MEMORY_REQUEST,
        )),
        security_context: Some(container_security_context()),
        ..Container::default()
    }
}

/// The data volume of `member`: its claim with persistent storage, an emptyDir otherwise.
fn data_volume(kind: StorageKind, member: &str) -> Volume {
    let name = DATA_VOLUME.to_string();
    match kind {
        StorageKind::Persistent => Volume {
            name,
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: names::claim_name(member),
                read_only: None,
            }),
            ..Volume::default()
        },
        StorageKind::Ephemeral => {
            Volume { name, empty_dir: Some(EmptyDirVolumeSource::default()), ..Volume::default() }
        }
    }
}

/// The init containers that build the data of a member that starts a cluster seeded from
/// a snapshot (`spec.bootstrap.fromSnapshot`): every initial member when the snapshot is
/// in a store, the first alone when it is uploaded; none for a member that joins.
fn seed_containers(
    cluster: &EtcdCluster,
    spec: &MemberPod,
    peer_url: &str,
) -> Result<Option<Vec<Container>>, BuildError> {
    let Some(bootstrap) = &cluster.spec.bootstrap else { return Ok(None) };
    if spec.state != InitialState::New {
        return Ok(None);
    }
    let source = match &bootstrap.from_snapshot.location {
        Some(location) => crate::restore::seed::SeedSource::Fetch(location),
        None if bootstrap.from_snapshot.upload => crate::restore::seed::SeedSource::Upload,
        None => return Err(BuildError::SnapshotUnresolved),
    };
    let etcd_image = image(cluster, spec.version);
    let version = spec.version.trim_start_matches('v');
    let initial_cluster = initial_cluster_flag(spec.initial_cluster);
    let seed = crate::restore::seed::Seed {
        member: spec.member,
        peer_url,
        initial_cluster: &initial_cluster,
        token: spec.token,
        etcd_image: &etcd_image,
        version,
        operator_image: spec.operator_image,
        source,
        sha256: bootstrap.from_snapshot.sha256.as_deref(),
    };
    let mut containers = crate::restore::seed::init_containers(&seed, DATA_VOLUME);
    let resources =
        resources_or(cluster.spec.pod.init_resources.as_ref(), INIT_CPU_REQUEST, INIT_MEMORY_REQUEST);
    for container in &mut containers {
        container.resources = Some(resources.clone());
        container.security_context = Some(container_security_context());
    }
    Ok(Some(containers))
}

/// The etcd flags that place a member in its cluster, and, when it serves TLS, its TLS
/// flags (its settings come from `spec.etcd`). What it listens on and advertises follows
/// `transport`: with [`Transport::Both`] the client port serves HTTP and HTTPS (etcd
/// multiplexes one port) and the peer port stays plain (etcd cannot serve both there).
fn etcd_args(cluster: &str, namespace: &str, spec: &MemberPod, transport: Transport) -> Vec<String> {
    let initial_cluster = initial_cluster_flag(spec.initial_cluster);
    let url = |plain: String| transport.advertised(&plain);
    let mut args = vec![
        format!("--name={}", spec.member),
        format!("--data-dir={}", names::DATA_DIR),
        format!(
            "{LISTEN_CLIENT_URLS_FLAG}{}",
            transport.client_listen_urls(&format!("http://0.0.0.0:{CLIENT_PORT}"))
        ),
        format!("--listen-peer-urls={}", url(format!("http://0.0.0.0:{PEER_PORT}"))),
        // Plain on purpose, with or without TLS: the probes and metrics scrapers stay plain.
        format!("--listen-metrics-urls=http://0.0.0.0:{METRICS_PORT}"),
        format!(
            "--advertise-client-urls={}",
            url(names::client_url(spec.member, cluster, namespace, spec.cluster_domain))
        ),
        format!(
            "--initial-advertise-peer-urls={}",
            url(names::peer_url(spec.member, cluster, namespace, spec.cluster_domain))
        ),
        format!("--initial-cluster={initial_cluster}"),
        format!("--initial-cluster-state={}", spec.state.as_str()),
        format!("--initial-cluster-token={}", spec.token),
    ];
    if transport.has_certificates() {
        args.extend(tls_args());
    }
    args
}

pub use shared::names::{PEER_TLS_MOUNT, SERVER_TLS_MOUNT};
const SERVER_TLS_VOLUME: &str = "server-tls";
const PEER_TLS_VOLUME: &str = "peer-tls";

/// etcd's TLS flags: HTTPS with client certificates required on the client and peer
/// ports, from the Secrets mounted at [`SERVER_TLS_MOUNT`] and [`PEER_TLS_MOUNT`].
fn tls_args() -> Vec<String> {
    use shared::tls::{CA_KEY, CERT_KEY, PRIVATE_KEY_KEY};
    vec![
        format!("--cert-file={SERVER_TLS_MOUNT}/{CERT_KEY}"),
        format!("--key-file={SERVER_TLS_MOUNT}/{PRIVATE_KEY_KEY}"),
        format!("--trusted-ca-file={SERVER_TLS_MOUNT}/{CA_KEY}"),
        "--client-cert-auth=true".to_string(),
        format!("--peer-cert-file={PEER_TLS_MOUNT}/{CERT_KEY}"),
        format!("--peer-key-file={PEER_TLS_MOUNT}/{PRIVATE_KEY_KEY}"),
        format!("--peer-trusted-ca-file={PEER_TLS_MOUNT}/{CA_KEY}"),
        "--peer-client-cert-auth=true".to_string(),
    ]
}

/// The member Pod's volumes: its data, and when it serves TLS its server and peer Secrets.
fn volumes(cluster: &EtcdCluster, member: &str, transport: Transport) -> Vec<Volume> {
    let mut volumes = vec![data_volume(cluster.spec.storage.kind, member)];
    if let Some(tls) = cluster.spec.tls.as_ref().filter(|_| transport.has_certificates()) {
        for (name, secret) in
            [(SERVER_TLS_VOLUME, tls.server_secret(member)), (PEER_TLS_VOLUME, tls.peer_secret(member))]
        {
            volumes.push(Volume {
                name: name.to_string(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(secret),
                    // Readable by the Pod's fsGroup only: the keys are in there.
                    default_mode: Some(0o440),
                    ..SecretVolumeSource::default()
                }),
                ..Volume::default()
            });
        }
    }
    volumes
}

/// The etcd container's mounts: its data, and when it serves TLS its certificates
/// (read-only).
fn volume_mounts(transport: Transport) -> Vec<VolumeMount> {
    let mut mounts = vec![VolumeMount {
        name: DATA_VOLUME.to_string(),
        mount_path: names::DATA_MOUNT.to_string(),
        ..VolumeMount::default()
    }];
    if transport.has_certificates() {
        for (name, path) in [(SERVER_TLS_VOLUME, SERVER_TLS_MOUNT), (PEER_TLS_VOLUME, PEER_TLS_MOUNT)] {
            mounts.push(VolumeMount {
                name: name.to_string(),
                mount_path: path.to_string(),
                read_only: Some(true),
                ..VolumeMount::default()
            });
        }
    }
    mounts
}

/// `--initial-cluster`'s value: `name=peer-url` pairs in order, comma-separated.
fn initial_cluster_flag(initial_cluster: &[(String, String)]) -> String {
    initial_cluster.iter().map(|(member, url)| format!("{member}={url}")).collect::<Vec<_>>().join(",")
}

fn container_port(name: &str, port: u16) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_string()),
        container_port: i32::from(port),
        protocol: Some("TCP".to_string()),
        ..ContainerPort::default()
    }
}

fn client_socket() -> TCPSocketAction {
    TCPSocketAction { port: IntOrString::String(CLIENT_PORT_NAME.to_string()), host: None }
}

/// The user's affinity, plus the anti-affinity `antiAffinity` asks for unless the user
/// gave their own `podAntiAffinity`.
fn affinity(cluster: &str, policy: &PodPolicy) -> Option<Affinity> {
    let mut affinity = policy.affinity.clone().unwrap_or_default();
    if affinity.pod_anti_affinity.is_none() {
        affinity.pod_anti_affinity = spread(cluster, policy.anti_affinity);
    }
    (affinity != Affinity::default()).then_some(affinity)
}

/// Anti-affinity that keeps the cluster's members on different nodes.
fn spread(cluster: &str, anti_affinity: AntiAffinity) -> Option<PodAntiAffinity> {
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector {
            match_labels: Some(names::selector_labels(cluster)),
            match_expressions: None,
        }),
        topology_key: HOSTNAME_TOPOLOGY_KEY.to_string(),
        ..PodAffinityTerm::default()
    };
    match anti_affinity {
        AntiAffinity::Preferred => Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![WeightedPodAffinityTerm {
                weight: PREFERRED_WEIGHT,
                pod_affinity_term: term,
            }]),
            required_during_scheduling_ignored_during_execution: None,
        }),
        AntiAffinity::Required => Some(PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: None,
            required_during_scheduling_ignored_during_execution: Some(vec![term]),
        }),
        AntiAffinity::None => None,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::api::core::v1::{
        LocalObjectReference, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
        ResourceRequirements, Toleration, TopologySpreadConstraint,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

    use super::super::testing::{NAMESPACE, UID, cluster};

    const OPERATOR_IMAGE: &str = "ghcr.io/kubectl-etcd/etcd-operator:v0.1.0";
    use super::*;

    fn initial(members: &[&str]) -> Vec<(String, String)> {
        members
            .iter()
            .map(|m| (m.to_string(), names::peer_url(m, "demo", NAMESPACE, names::CLUSTER_DOMAIN)))
            .collect()
    }

    fn build(
        c: &EtcdCluster,
        member: &str,
        initial_cluster: &[(String, String)],
        state: InitialState,
    ) -> Pod {
        let spec = MemberPod {
            member,
            version: "3.5.30",
            initial_cluster,
            state,
            token: "demo-tok",
            operator_image: OPERATOR_IMAGE,
            cluster_domain: names::CLUSTER_DOMAIN,
        };
        member_pod(c, &spec).expect("valid member")
    }

    fn pod_spec(pod: &Pod) -> &PodSpec {
        pod.spec.as_ref().expect("pod spec")
    }

    fn etcd(pod: &Pod) -> &Container {
        let containers = &pod_spec(pod).containers;
        assert_eq!(containers.len(), 1);
        &containers[0]
    }

    fn args(pod: &Pod) -> &[String] {
        etcd(pod).args.as_deref().expect("args")
    }

    fn anti_affinity(pod: &Pod) -> Option<&PodAntiAffinity> {
        pod_spec(pod).affinity.as_ref()?.pod_anti_affinity.as_ref()
    }

    fn default_term() -> PodAffinityTerm {
        PodAffinityTerm {
            label_selector: Some(LabelSelector {
                match_labels: Some(names::selector_labels("demo")),
                match_expressions: None,
            }),
            topology_key: "kubernetes.io/hostname".to_string(),
            ..PodAffinityTerm::default()
        }
    }

    #[test]
    fn a_tls_member_serves_https_with_client_certificates_and_keeps_metrics_plain() {
        let mut c = cluster();
        c.spec.tls = Some(shared::crd::TlsSpec::default());
        let initial: Vec<(String, String)> =
            initial(&["demo-0", "demo-1"]).into_iter().map(|(m, url)| (m, names::secure_url(&url))).collect();
        let pod = build(&c, "demo-1", &initial, InitialState::New);
        let args = args(&pod);
        for expected in [
            "--listen-client-urls=https://0.0.0.0:2379",
            "--listen-peer-urls=https://0.0.0.0:2380",
            "--listen-metrics-urls=http://0.0.0.0:2381",
            "--advertise-client-urls=https://demo-1.demo.db.svc.cluster.local:2379",
            "--initial-advertise-peer-urls=https://demo-1.demo.db.svc.cluster.local:2380",
            "--cert-file=/etc/etcd/tls/server/tls.crt",
            "--key-file=/etc/etcd/tls/server/tls.key",
            "--trusted-ca-file=/etc/etcd/tls/server/ca.crt",
            "--client-cert-auth=true",
            "--peer-cert-file=/etc/etcd/tls/peer/tls.crt",
            "--peer-key-file=/etc/etcd/tls/peer/tls.key",
            "--peer-trusted-ca-file=/etc/etcd/tls/peer/ca.crt",
            "--peer-client-cert-auth=true",
        ] {
            assert!(args.iter().any(|a| a == expected), "missing {expected} in {args:?}");
        }
        let secrets: Vec<(String, Option<i32>)> = pod_spec(&pod)
            .volumes
            .iter()
            .flatten()
            .filter_map(|v| v.secret.as_ref())
            .map(|s| (s.secret_name.clone().unwrap_or_default(), s.default_mode))
            .collect();
        assert_eq!(
            secrets,
            [("demo-1-server-tls".into(), Some(0o440)), ("demo-1-peer-tls".into(), Some(0o440))]
        );
        let mounts: Vec<(&str, Option<bool>)> =
            etcd(&pod).volume_mounts.iter().flatten().map(|m| (m.mount_path.as_str(), m.read_only)).collect();
        assert_eq!(
            mounts,
            [
                ("/var/lib/etcd", None),
                ("/etc/etcd/tls/server", Some(true)),
                ("/etc/etcd/tls/peer", Some(true))
            ]
        );

        let plain = build(&cluster(), "demo-1", &initial_plain(), InitialState::New);
        assert!(
            !args_of(&plain).iter().any(|a| a.contains("https") || a.contains("cert")),
            "plain stays plain"
        );
    }

    #[test]
    fn a_member_turning_tls_on_serves_both_on_its_client_port_and_keeps_its_peer_url() {
        let mut c = cluster();
        c.spec.tls = Some(shared::crd::TlsSpec::default());
        // Its peer URL is still http://: phase 1 of turning TLS on.
        let pod = build(&c, "demo-1", &initial_plain(), InitialState::Existing);
        let args = args_of(&pod);
        for expected in [
            "--listen-client-urls=http://0.0.0.0:2379,https://0.0.0.0:2379",
            "--listen-peer-urls=http://0.0.0.0:2380",
            "--advertise-client-urls=http://demo-1.demo.db.svc.cluster.local:2379",
            "--initial-advertise-peer-urls=http://demo-1.demo.db.svc.cluster.local:2380",
            "--peer-cert-file=/etc/etcd/tls/peer/tls.crt",
            "--client-cert-auth=true",
        ] {
            assert!(args.iter().any(|a| a == expected), "missing {expected} in {args:?}");
        }
        assert_eq!(etcd(&pod).volume_mounts.iter().flatten().count(), 3, "certificates mounted");
        // What the operator reads back from each Pod is what it was built to serve.
        assert_eq!(Transport::of_args(&args), Some(Transport::Both));
        let tls_initial: Vec<(String, String)> =
            initial_plain().into_iter().map(|(m, url)| (m, names::secure_url(&url))).collect();
        assert_eq!(
            Transport::of_args(&args_of(&build(&c, "demo-1", &tls_initial, InitialState::Existing))),
            Some(Transport::Tls)
        );
        assert_eq!(
            Transport::of_args(&args_of(&build(&cluster(), "demo-1", &initial_plain(), InitialState::New))),
            Some(Transport::Plain)
        );
        // A plain cluster never builds a Pod for an https:// peer URL (turning TLS off).
        let refused = member_pod(
            &cluster(),
            &MemberPod {
                member: "demo-1",
                version: "3.5.30",
                initial_cluster: &tls_initial,
                state: InitialState::Existing,
                token: "demo-tok",
                operator_image: OPERATOR_IMAGE,
                cluster_domain: names::CLUSTER_DOMAIN,
            },
        );
        assert!(matches!(refused, Err(BuildError::NotInInitialCluster { .. })), "{refused:?}");
    }

    fn initial_plain() -> Vec<(String, String)> {
        initial(&["demo-0", "demo-1"])
    }

    fn args_of(pod: &Pod) -> Vec<String> {
        args(pod).to_vec()
    }

    #[test]
    fn metadata_names_owns_and_labels_the_member() {
        let pod = build(&cluster(), "demo-1", &initial(&["demo-0", "demo-1", "demo-2"]), InitialState::New);
        let meta = &pod.metadata;
        assert_eq!(meta.name.as_deref(), Some("demo-1"));
        assert_eq!(meta.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(meta.labels.as_ref(), Some(&names::labels("demo", Some("demo-1"))));
        let owners = meta.owner_references.as_deref().expect("owner");
        assert_eq!(owners.len(), 1);
        assert_eq!((owners[0].kind.as_str(), owners[0].uid.as_str()), ("EtcdCluster", UID));
        assert_eq!(owners[0].controller, Some(true));
        assert_eq!(
            meta.annotations.as_ref(),
            Some(&BTreeMap::from([(INITIAL_CLUSTER_STATE_ANNOTATION.to_string(), "new".to_string())]))
        );
        assert!(INITIAL_CLUSTER_STATE_ANNOTATION.starts_with(names::LABEL_PREFIX));
        assert_eq!(initial_state(&pod), Some(InitialState::New));
        assert!(pod.status.is_none());
    }

    #[test]
    fn pod_spec_gives_the_member_its_dns_name() {
        let pod = build(&cluster(), "demo-0", &initial(&["demo-0"]), InitialState::New);
        let spec = pod_spec(&pod);
        assert_eq!(spec.hostname.as_deref(), Some("demo-0"));
        assert_eq!(spec.subdomain.as_deref(), Some("demo"));
        assert_eq!(spec.subdomain.as_deref(), Some(names::peer_service_name("demo").as_str()));
        assert_eq!(spec.restart_policy.as_deref(), Some("Always"));
        assert_eq!(spec.termination_grace_period_seconds, Some(30));
        assert_eq!(spec.enable_service_links, Some(false));
        assert_eq!(spec.node_selector, None);
        assert_eq!(spec.tolerations, None);
        assert_eq!(spec.priority_class_name, None);
    }

    #[test]
    fn user_labels_are_added_but_cannot_override_ours() {
        let mut c = cluster();
        c.spec.pod.labels = BTreeMap::from([
            ("team".to_string(), "storage".to_string()),
            ("app.kubernetes.io/instance".to_string(), "hijack".to_string()),
            ("app.kubernetes.io/name".to_string(), "not-etcd".to_string()),
        ]);
        c.spec.pod.annotations = BTreeMap::from([
            ("prometheus.io/scrape".to_string(), "true".to_string()),
            (INITIAL_CLUSTER_STATE_ANNOTATION.to_string(), "bogus".to_string()),
        ]);
        let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::Existing);
        let labels = pod.metadata.labels.as_ref().expect("labels");
        assert_eq!(labels["team"], "storage");
        for (key, value) in names::labels("demo", Some("demo-0")) {
            assert_eq!(labels.get(&key), Some(&value), "{key}");
        }
        assert_eq!(labels.len(), names::labels("demo", Some("demo-0")).len() + 1);
        let annotations = pod.metadata.annotations.as_ref().expect("annotations");
        assert_eq!(annotations["prometheus.io/scrape"], "true");
        assert_eq!(annotations[INITIAL_CLUSTER_STATE_ANNOTATION], "existing", "ours wins");
        assert_eq!(initial_state(&pod), Some(InitialState::Existing));
    }

    #[test]
    fn container_runs_etcd_with_its_flags_for_a_new_cluster() {
        let pod = build(&cluster(), "demo-1", &initial(&["demo-0", "demo-1", "demo-2"]), InitialState::New);
        let etcd = etcd(&pod);
        assert_eq!(etcd.name, "etcd");
        assert_eq!(etcd.image.as_deref(), Some("gcr.io/etcd-development/etcd:v3.5.30"));
        assert_eq!(etcd.command.as_deref(), Some(&["/usr/local/bin/etcd".to_string()][..]));
        let expected = [
            "--name=demo-1",
            "--data-dir=/var/lib/etcd/data",
            "--listen-client-urls=http://0.0.0.0:2379",
            "--listen-peer-urls=http://0.0.0.0:2380",
            "--listen-metrics-urls=http://0.0.0.0:2381",
            "--advertise-client-urls=http://demo-1.demo.db.svc.cluster.local:2379",
            "--initial-advertise-peer-urls=http://demo-1.demo.db.svc.cluster.local:2380",
            "--initial-cluster=demo-0=http://demo-0.demo.db.svc.cluster.local:2380,\
             demo-1=http://demo-1.demo.db.svc.cluster.local:2380,\
             demo-2=http://demo-2.demo.db.svc.cluster.local:2380",
            "--initial-cluster-state=new",
            "--initial-cluster-token=demo-tok",
            "--auto-compaction-mode=periodic",
            "--auto-compaction-retention=1h",
        ];
        assert_eq!(args(&pod), expected);
        assert!(!args(&pod).iter().any(|a| a.starts_with("--quota-backend-bytes")));
        assert_eq!(etcd.env, None);
    }

    #[test]
    fn the_settings_of_spec_etcd_end_the_flags() {
        let mut cluster = cluster();
        cluster.spec.etcd.quota_backend_bytes = Some("16Mi".into());
        cluster.spec.etcd.snapshot_count = Some(5000);
        let pod = build(&cluster, "demo-1", &initial(&["demo-0", "demo-1", "demo-2"]), InitialState::New);
        let args = args(&pod);
        assert_eq!(args[args.len() - 4..], cluster.spec.etcd.flags()[..], "{args:?}");
        assert_eq!(crate::reconcile::observe::pod_settings(&pod), Some(cluster.spec.etcd.flags()));
    }

    #[test]
    fn addresses_are_written_in_the_operators_cluster_domain() {
        let members =
            vec![("demo-0".to_string(), names::peer_url("demo-0", "demo", NAMESPACE, "corp.example"))];
        let spec = MemberPod {
            member: "demo-0",
            version: "3.5.30",
            initial_cluster: &members,
            state: InitialState::New,
            token: "t",
            operator_image: OPERATOR_IMAGE,
            cluster_domain: "corp.example",
        };
        let pod = member_pod(&cluster(), &spec).expect("valid");
        for expected in [
            "--advertise-client-urls=http://demo-0.demo.db.svc.corp.example:2379",
            "--initial-advertise-peer-urls=http://demo-0.demo.db.svc.corp.example:2380",
            "--initial-cluster=demo-0=http://demo-0.demo.db.svc.corp.example:2380",
        ] {
            assert!(args(&pod).contains(&expected.to_string()), "{expected} in {:?}", args(&pod));
        }
        let local = MemberPod { cluster_domain: names::CLUSTER_DOMAIN, ..spec };
        assert!(matches!(member_pod(&cluster(), &local), Err(BuildError::NotInInitialCluster { .. })));
    }

    #[test]
    fn args_for_a_member_joining_an_existing_cluster() {
        let pod = build(
            &cluster(),
            "demo-3",
            &initial(&["demo-0", "demo-1", "demo-2", "demo-3"]),
            InitialState::Existing,
        );
        let args = args(&pod);
        assert!(args.contains(&"--initial-cluster-state=existing".to_string()), "{args:?}");
        assert!(!args.contains(&"--initial-cluster-state=new".to_string()));
        assert!(args.contains(&"--name=demo-3".to_string()));
        assert_eq!(
            pod.metadata.annotations.as_ref().expect("annotations")[INITIAL_CLUSTER_STATE_ANNOTATION],
            "existing"
        );
    }

    #[test]
    fn initial_cluster_keeps_the_given_order() {
        let order = initial(&["demo-2", "demo-0", "demo-1"]);
        let pod = build(&cluster(), "demo-0", &order, InitialState::New);
        let flag = args(&pod).iter().find_map(|a| a.strip_prefix("--initial-cluster=")).expect("flag");
        let names: Vec<&str> =
            flag.split(',').map(|entry| entry.split('=').next().unwrap_or_default()).collect();
        assert_eq!(names, ["demo-2", "demo-0", "demo-1"]);
        assert!(flag.starts_with("demo-2=http://demo-2.demo.db.svc.cluster.local:2380,"));
    }

    #[test]
    fn a_version_with_v_gets_one_v_in_the_tag() {
        let mut c = cluster();
        c.spec.repository = "quay.io/coreos/etcd".into();
        let members = initial(&["demo-0"]);
        let spec = MemberPod {
            member: "demo-0",
            version: "v3.4.23",
            initial_cluster: &members,
            state: InitialState::New,
            token: "t",
            operator_image: OPERATOR_IMAGE,
            cluster_domain: names::CLUSTER_DOMAIN,
        };
        let pod = member_pod(&c, &spec).expect("valid");
        assert_eq!(etcd(&pod).image.as_deref(), Some("quay.io/coreos/etcd:v3.4.23"));
    }

    #[test]
    fn every_initial_member_of_a_cluster_from_a_stored_snapshot_restores_it_with_the_whole_initial_cluster() {
        let mut c = cluster();
        c.spec.bootstrap = Some(shared::crd::Bootstrap {
            from_snapshot: shared::crd::SnapshotSource {
                location: Some(shared::crd::StorageLocation {
                    url: "s3://b/demo/x.db".into(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        });
        let all = initial(&["demo-0", "demo-1", "demo-2"]);
        let expected = format!("--initial-cluster={}", initial_cluster_flag(&all));
        for member in ["demo-0", "demo-2"] {
            let pod = build(&c, member, &all, InitialState::New);
            let init = pod_spec(&pod).init_containers.as_ref().expect("seed steps");
            let restore = init.iter().find(|c| c.name == "restore-snapshot").expect("restore step");
            let args = restore.args.as_ref().expect("args");
            assert!(args.contains(&expected), "{member}: {args:?}");
            assert!(args.contains(&format!("--name={member}")), "{args:?}");
        }
        let joining = build(&c, "demo-3", &initial(&["demo-0", "demo-3"]), InitialState::Existing);
        assert_eq!(pod_spec(&joining).init_containers, None, "a member that joins copies from the others");
    }

    #[test]
    fn ports_and_probes() {
        let pod = build(&cluster(), "demo-0", &initial(&["demo-0"]), InitialState::New);
        let etcd = etcd(&pod);
        let ports: Vec<(Option<&str>, i32, Option<&str>)> = etcd
            .ports
            .iter()
            .flatten()
            .map(|p| (p.name.as_deref(), p.container_port, p.protocol.as_deref()))
            .collect();
        assert_eq!(
            ports,
            [
                (Some("client"), 2379, Some("TCP")),
                (Some("peer"), 2380, Some("TCP")),
                (Some("metrics"), 2381, Some("TCP"))
            ]
        );
        let client = Some(TCPSocketAction { port: IntOrString::String("client".into()), host: None });

        let readiness = etcd.readiness_probe.as_ref().expect("readiness");
        let get = readiness.http_get.as_ref().expect("readiness asks etcd's /health");
        assert_eq!(get.path.as_deref(), Some("/health?exclude=NOSPACE"));
        assert_eq!(get.port, IntOrString::String("metrics".into()), "the plain port, with or without TLS");
        assert_eq!((get.scheme.as_deref(), get.host.as_ref()), (Some("HTTP"), None));
        assert_eq!((readiness.period_seconds, readiness.failure_threshold), (Some(1), Some(3)));
        assert_eq!((readiness.tcp_socket.as_ref(), readiness.exec.as_ref()), (None, None));

        let liveness = etcd.liveness_probe.as_ref().expect("liveness");
        assert_eq!(liveness.tcp_socket, client);
        assert_eq!(liveness.initial_delay_seconds, Some(15));
        assert_eq!((liveness.period_seconds, liveness.failure_threshold), (Some(10), Some(6)));
        assert_eq!(
            (liveness.http_get.as_ref(), liveness.exec.as_ref()),
            (None, None),
            "never etcd's /health"
        );
        assert_eq!(etcd.startup_probe, None);
    }

    #[test]
    fn persistent_storage_mounts_the_members_claim() {
        let pod = build(&cluster(), "demo-2", &initial(&["demo-2"]), InitialState::New);
        let mounts = etcd(&pod).volume_mounts.as_deref().expect("mounts");
        assert_eq!(mounts.len(), 1);
        assert_eq!((mounts[0].name.as_str(), mounts[0].mount_path.as_str()), ("data", "/var/lib/etcd"));
        let volumes = pod_spec(&pod).volumes.as_deref().expect("volumes");
        assert_eq!(volumes.len(), 1);
        assert_eq!(volumes[0].name, "data");
        assert_eq!(
            volumes[0].persistent_volume_claim,
            Some(PersistentVolumeClaimVolumeSource { claim_name: "data-demo-2".into(), read_only: None })
        );
        assert_eq!(volumes[0].empty_dir, None);
    }

    #[test]
    fn ephemeral_storage_uses_an_empty_dir() {
        let mut c = cluster();
        c.spec.storage.kind = StorageKind::Ephemeral;
        let pod = build(&c, "demo-2", &initial(&["demo-2"]), InitialState::New);
        let volumes = pod_spec(&pod).volumes.as_deref().expect("volumes");
        assert_eq!(volumes.len(), 1);
        assert_eq!(volumes[0].name, "data");
        assert_eq!(volumes[0].empty_dir, Some(EmptyDirVolumeSource::default()));
        assert_eq!(volumes[0].persistent_volume_claim, None);
        let mounts = etcd(&pod).volume_mounts.as_deref().expect("mounts");
        assert_eq!(mounts[0].mount_path, names::DATA_MOUNT);
    }

    #[test]
    fn scheduling_fields_come_from_the_pod_policy() {
        let mut c = cluster();
        let resources = ResourceRequirements {
            requests: Some(BTreeMap::from([("memory".to_string(), Quantity("512Mi".into()))])),
            ..ResourceRequirements::default()
        };
        let toleration = Toleration {
            key: Some("dedicated".into()),
            operator: Some("Equal".into()),
            value: Some("etcd".into()),
            effect: Some("NoSchedule".into()),
            ..Toleration::default()
        };
        c.spec.pod.resources = Some(resources.clone());
        c.spec.pod.node_selector = BTreeMap::from([("disk".to_string(), "ssd".to_string())]);
        c.spec.pod.tolerations = vec![toleration.clone()];
        c.spec.pod.priority_class_name = Some("system-cluster-critical".into());
        let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::New);
        let spec = pod_spec(&pod);
        assert_eq!(etcd(&pod).resources, Some(resources));
        assert_eq!(spec.node_selector, Some(BTreeMap::from([("disk".to_string(), "ssd".to_string())])));
        assert_eq!(spec.tolerations, Some(vec![toleration]));
        assert_eq!(spec.priority_class_name.as_deref(), Some("system-cluster-critical"));
        assert_eq!((spec.service_account_name.as_ref(), spec.image_pull_secrets.as_ref()), (None, None));
        assert_eq!(spec.topology_spread_constraints, None);
        assert_eq!(spec.automount_service_account_token, Some(false));
    }

    #[test]
    fn pull_secrets_service_account_and_spread_come_from_the_pod_policy() {
        let mut c = cluster();
        let spread = TopologySpreadConstraint {
            max_skew: 1,
            topology_key: "topology.kubernetes.io/zone".into(),
            when_unsatisfiable: "DoNotSchedule".into(),
            label_selector: Some(LabelSelector {
                match_labels: Some(names::selector_labels("demo")),
                match_expressions: None,
            }),
            ..TopologySpreadConstraint::default()
        };
        c.spec.pod.topology_spread_constraints = vec![spread.clone()];
        c.spec.pod.image_pull_secrets = vec![LocalObjectReference { name: "registry".into() }];
        c.spec.pod.service_account_name = Some("etcd-members".into());
        let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::New);
        let spec = pod_spec(&pod);
        assert_eq!(spec.topology_spread_constraints, Some(vec![spread]));
        assert_eq!(spec.image_pull_secrets, Some(vec![LocalObjectReference { name: "registry".into() }]));
        assert_eq!(spec.service_account_name.as_deref(), Some("etcd-members"));
        assert_eq!(spec.automount_service_account_token, Some(false), "the account's token stays out");
    }

    #[test]
    fn etcd_requests_resources_by_default_and_runs_restricted() {
        let pod = build(&cluster(), "demo-0", &initial(&["demo-0"]), InitialState::New);
        let resources = etcd(&pod).resources.clone().expect("resources");
        let requests = resources.requests.expect("requests");
        assert_eq!((requests["cpu"].0.as_str(), requests["memory"].0.as_str()), ("100m", "256Mi"));
        assert_eq!(resources.limits, None, "no limits by default");
        let security = pod_spec(&pod).security_context.as_ref().expect("pod security context");
        assert_eq!((security.run_as_non_root, security.run_as_user), (Some(true), Some(65532)));
        assert_eq!(security.fs_group, Some(65532), "non-root etcd writes its volume through the group");
        assert_eq!(security.fs_group_change_policy.as_deref(), Some("OnRootMismatch"));
        let container = etcd(&pod).security_context.as_ref().expect("container security context");
        assert_eq!(container.allow_privilege_escalation, Some(false));
        assert_eq!(container.read_only_root_filesystem, Some(true));
    }

    #[test]
    fn preferred_anti_affinity_is_the_default() {
        let pod = build(&cluster(), "demo-0", &initial(&["demo-0"]), InitialState::New);
        let affinity = pod_spec(&pod).affinity.as_ref().expect("affinity");
        assert_eq!((affinity.node_affinity.as_ref(), affinity.pod_affinity.as_ref()), (None, None));
        assert_eq!(
            anti_affinity(&pod),
            Some(&PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: Some(vec![WeightedPodAffinityTerm {
                    weight: 100,
                    pod_affinity_term: default_term(),
                }]),
                required_during_scheduling_ignored_during_execution: None,
            })
        );
    }

    #[test]
    fn required_anti_affinity_refuses_co_location() {
        let mut c = cluster();
        c.spec.pod.anti_affinity = AntiAffinity::Required;
        let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::New);
        assert_eq!(
            anti_affinity(&pod),
            Some(&PodAntiAffinity {
                preferred_during_scheduling_ignored_during_execution: None,
                required_during_scheduling_ignored_during_execution: Some(vec![default_term()]),
            })
        );
    }

    #[test]
    fn no_anti_affinity_leaves_affinity_unset() {
        let mut c = cluster();
        c.spec.pod.anti_affinity = AntiAffinity::None;
        let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::New);
        assert_eq!(pod_spec(&pod).affinity, None);
    }

    #[test]
    fn user_affinity_is_kept_and_gets_the_default_anti_affinity() {
        let mut c = cluster();
        let node_affinity = NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                node_selector_terms: vec![NodeSelectorTerm {
                    match_expressions: Some(vec![NodeSelectorRequirement {
                        key: "zone".into(),
                        operator: "In".into(),
                        values: Some(vec!["a".into(), "b".into()]),
                    }]),
                    match_fields: None,
                }],
            }),
            preferred_during_scheduling_ignored_during_execution: None,
        };
        c.spec.pod.affinity =
            Some(Affinity { node_affinity: Some(node_affinity.clone()), ..Affinity::default() });
        c.spec.pod.anti_affinity = AntiAffinity::Required;
        let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::New);
        let affinity = pod_spec(&pod).affinity.as_ref().expect("affinity");
        assert_eq!(affinity.node_affinity, Some(node_affinity));
        assert_eq!(
            affinity
                .pod_anti_affinity
                .as_ref()
                .and_then(|a| a.required_during_scheduling_ignored_during_execution.clone()),
            Some(vec![default_term()])
        );
    }

    #[test]
    fn explicit_pod_anti_affinity_replaces_the_default() {
        let mut c = cluster();
        let own = PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![WeightedPodAffinityTerm {
                weight: 50,
                pod_affinity_term: PodAffinityTerm {
                    label_selector: Some(LabelSelector {
                        match_labels: Some(BTreeMap::from([("tier".to_string(), "db".to_string())])),
                        match_expressions: None,
                    }),
                    topology_key: "topology.kubernetes.io/zone".into(),
                    ..PodAffinityTerm::default()
                },
            }]),
            required_during_scheduling_ignored_during_execution: None,
        };
        c.spec.pod.affinity = Some(Affinity { pod_anti_affinity: Some(own.clone()), ..Affinity::default() });
        for mode in [AntiAffinity::Preferred, AntiAffinity::None] {
            c.spec.pod.anti_affinity = mode;
            let pod = build(&c, "demo-0", &initial(&["demo-0"]), InitialState::New);
            assert_eq!(anti_affinity(&pod), Some(&own), "{mode:?}");
        }
    }

    #[test]
    fn a_member_missing_from_its_initial_cluster_is_refused() {
        let c = cluster();
        let others = initial(&["demo-0", "demo-1"]);
        let spec = MemberPod {
            member: "demo-2",
            version: "3.5.30",
            initial_cluster: &others,
            state: InitialState::Existing,
            token: "t",
            operator_image: OPERATOR_IMAGE,
            cluster_domain: names::CLUSTER_DOMAIN,
        };
        let err = member_pod(&c, &spec).expect_err("demo-2 is not listed");
        assert_eq!(
            err,
            BuildError::NotInInitialCluster {
                member: "demo-2".into(),
                peer_url: "http://demo-2.demo.db.svc.cluster.local:2380".into()
            }
        );
        let wrong_url = vec![("demo-2".to_string(), "http://10.0.0.7:2380".to_string())];
        let spec = MemberPod { initial_cluster: &wrong_url, ..spec };
        assert!(matches!(member_pod(&c, &spec), Err(BuildError::NotInInitialCluster { .. })));
    }

    #[test]
    fn foreign_members_and_clusters_without_uid_are_refused() {
        let members = vec![(
            "other-0".to_string(),
            names::peer_url("other-0", "demo", NAMESPACE, names::CLUSTER_DOMAIN),
        )];
        let spec = MemberPod {
            member: "other-0",
            version: "3.5.30",
            initial_cluster: &members,
            state: InitialState::New,
            token: "t",
            operator_image: OPERATOR_IMAGE,
            cluster_domain: names::CLUSTER_DOMAIN,
        };
        assert!(matches!(member_pod(&cluster(), &spec), Err(BuildError::ForeignMember { .. })));

        let mut c = cluster();
        c.metadata.uid = None;
        let members = initial(&["demo-0"]);
        let spec = MemberPod { member: "demo-0", initial_cluster: &members, ..spec };
        assert_eq!(member_pod(&c, &spec), Err(BuildError::NoUid));
    }

    #[test]
    fn initial_state_reads_only_known_values() {
        assert_eq!(InitialState::parse("new"), Some(InitialState::New));
        assert_eq!(InitialState::parse("existing"), Some(InitialState::Existing));
        assert_eq!(InitialState::parse("New"), None);
        assert_eq!(initial_state(&Pod::default()), None);
    }
}
