//! The cluster's three Services: the headless peer Service that gives members their DNS
//! names, the client Service, and the headless metrics Service Prometheus finds members by.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use shared::crd::EtcdCluster;
use shared::names::{self, CLIENT_PORT, METRICS_PORT, PEER_PORT};

use super::{BuildError, CLIENT_PORT_NAME, METRICS_PORT_NAME, PEER_PORT_NAME, cluster_name, object_meta};

/// The headless Service [`names::peer_service_name`] that every member Pod names as its
/// subdomain, so each has the DNS name [`names::member_host`].
///
/// It publishes members before they are ready: members must find each other to form a
/// quorum, and they are not ready until they do.
pub fn peer_service(cluster: &EtcdCluster) -> Result<Service, BuildError> {
    let name = cluster_name(cluster)?;
    Ok(Service {
        metadata: object_meta(cluster, names::peer_service_name(name), names::labels(name, None), true)?,
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            cluster_ip: Some("None".to_string()),
            publish_not_ready_addresses: Some(true),
            selector: Some(names::selector_labels(name)),
            ports: Some(vec![port(CLIENT_PORT_NAME, CLIENT_PORT), port(PEER_PORT_NAME, PEER_PORT)]),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

/// The Service [`names::client_service_name`] that clients connect to. Only ready members
/// receive traffic (the Kubernetes default).
pub fn client_service(cluster: &EtcdCluster) -> Result<Service, BuildError> {
    let name = cluster_name(cluster)?;
    Ok(Service {
        metadata: object_meta(cluster, names::client_service_name(name), names::labels(name, None), true)?,
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            selector: Some(names::selector_labels(name)),
            ports: Some(vec![port(CLIENT_PORT_NAME, CLIENT_PORT)]),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

/// The headless Service [`names::metrics_service_name`] over every member's metrics port
/// (`--listen-metrics-urls`, plain HTTP: `/metrics` and `/health`), labelled
/// [`names::LABEL_COMPONENT`]` = `[`names::METRICS_COMPONENT`] so one ServiceMonitor finds
/// the members of every cluster (`manifests/monitoring/`).
///
/// Headless, so Prometheus scrapes each member rather than one behind a virtual IP; it
/// publishes members that are not ready, so a member that cannot start or has lost its
/// leader is still scraped (its `etcd_server_has_leader 0` is what the alert needs).
pub fn metrics_service(cluster: &EtcdCluster) -> Result<Service, BuildError> {
    let name = cluster_name(cluster)?;
    let mut labels = names::labels(name, None);
    labels.insert(names::LABEL_COMPONENT.to_string(), names::METRICS_COMPONENT.to_string());
    Ok(Service {
        metadata: object_meta(cluster, names::metrics_service_name(name), labels, true)?,
        spec: Some(ServiceSpec {
            type_: Some("ClusterIP".to_string()),
            cluster_ip: Some("None".to_string()),
            publish_not_ready_addresses: Some(true),
            selector: Some(names::selector_labels(name)),
            ports: Some(vec![port(METRICS_PORT_NAME, METRICS_PORT)]),
            ..ServiceSpec::default()
        }),
        status: None,
    })
}

/// The cluster's Services, in the order they are applied.
pub fn services(cluster: &EtcdCluster) -> Result<[Service; 3], BuildError> {
    Ok([peer_service(cluster)?, client_service(cluster)?, metrics_service(cluster)?])
}

/// The names of the cluster's Services ([`services`]), for noticing that one is missing.
pub fn service_names(cluster: &str) -> [String; 3] {
    [
        names::peer_service_name(cluster),
        names::client_service_name(cluster),
        names::metrics_service_name(cluster),
    ]
}

/// A TCP port that targets the container port of the same name.
fn port(name: &str, port: u16) -> ServicePort {
    ServicePort {
        name: Some(name.to_string()),
        port: i32::from(port),
        protocol: Some("TCP".to_string()),
        target_port: Some(IntOrString::String(name.to_string())),
        ..ServicePort::default()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::{NAMESPACE, UID, cluster};
    use super::*;

    /// (name, port, protocol, target port) of each port.
    type PortRow<'a> = (Option<&'a str>, i32, Option<&'a str>, Option<&'a IntOrString>);

    fn ports(service: &Service) -> Vec<PortRow<'_>> {
        service
            .spec
            .iter()
            .flat_map(|s| s.ports.iter().flatten())
            .map(|p| (p.name.as_deref(), p.port, p.protocol.as_deref(), p.target_port.as_ref()))
            .collect()
    }

    fn check_metadata(service: &Service, name: &str) {
        check_owned(service, name);
        assert_eq!(service.metadata.labels.as_ref(), Some(&names::labels("demo", None)));
    }

    fn check_owned(service: &Service, name: &str) {
        let meta = &service.metadata;
        assert_eq!(meta.name.as_deref(), Some(name));
        assert_eq!(meta.namespace.as_deref(), Some(NAMESPACE));
        let owners = meta.owner_references.as_deref().expect("owner");
        assert_eq!(owners.len(), 1);
        assert_eq!((owners[0].kind.as_str(), owners[0].uid.as_str()), ("EtcdCluster", UID));
        assert!(service.status.is_none());
    }

    #[test]
    fn peer_service_is_headless_and_publishes_unready_members() {
        let service = peer_service(&cluster()).expect("valid");
        check_metadata(&service, "demo");
        let spec = service.spec.as_ref().expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"));
        assert_eq!(spec.publish_not_ready_addresses, Some(true));
        assert_eq!(spec.selector.as_ref(), Some(&names::selector_labels("demo")));
        let client = IntOrString::String("client".into());
        let peer = IntOrString::String("peer".into());
        assert_eq!(
            ports(&service),
            [
                (Some("client"), 2379, Some("TCP"), Some(&client)),
                (Some("peer"), 2380, Some("TCP"), Some(&peer))
            ]
        );
    }

    #[test]
    fn client_service_serves_ready_members_on_the_client_port() {
        let service = client_service(&cluster()).expect("valid");
        check_metadata(&service, "demo-client");
        let spec = service.spec.as_ref().expect("spec");
        assert_eq!(spec.type_.as_deref(), Some("ClusterIP"));
        assert_eq!(spec.cluster_ip, None, "allocated by Kubernetes");
        assert_eq!(spec.publish_not_ready_addresses, None, "only ready members");
        assert_eq!(spec.selector.as_ref(), Some(&names::selector_labels("demo")));
        let client = IntOrString::String("client".into());
        assert_eq!(ports(&service), [(Some("client"), 2379, Some("TCP"), Some(&client))]);
    }

    #[test]
    fn metrics_service_is_headless_over_every_member_s_metrics_port() {
        let service = metrics_service(&cluster()).expect("valid");
        check_owned(&service, "demo-metrics");
        let labels = service.metadata.labels.as_ref().expect("labels");
        assert_eq!(labels.get("app.kubernetes.io/component").map(String::as_str), Some("metrics"));
        assert_eq!(labels.get("app.kubernetes.io/managed-by").map(String::as_str), Some("kubectl-etcd"));
        assert_eq!(labels.get("etcd.kubectl-etcd.dev/cluster").map(String::as_str), Some("demo"));
        let spec = service.spec.as_ref().expect("spec");
        assert_eq!(spec.cluster_ip.as_deref(), Some("None"), "each member is scraped on its own");
        assert_eq!(
            spec.publish_not_ready_addresses,
            Some(true),
            "a member without a leader is still scraped"
        );
        assert_eq!(spec.selector.as_ref(), Some(&names::selector_labels("demo")));
        let metrics = IntOrString::String("metrics".into());
        assert_eq!(ports(&service), [(Some("metrics"), 2381, Some("TCP"), Some(&metrics))]);
    }

    #[test]
    fn the_service_names_are_those_of_the_services_built() {
        let built: Vec<String> =
            services(&cluster()).expect("valid").iter().filter_map(|s| s.metadata.name.clone()).collect();
        assert_eq!(built, service_names("demo"));
        assert_eq!(built, ["demo", "demo-client", "demo-metrics"]);
    }

    #[test]
    fn services_need_a_uid() {
        let mut c = cluster();
        c.metadata.uid = None;
        assert_eq!(peer_service(&c), Err(BuildError::NoUid));
        assert_eq!(client_service(&c), Err(BuildError::NoUid));
        assert_eq!(metrics_service(&c), Err(BuildError::NoUid));
    }
}
