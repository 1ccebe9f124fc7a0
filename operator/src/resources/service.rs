//! The cluster's two Services: the headless peer Service that gives members their DNS
//! names, and the client Service.

use k8s_openapi::api::core::v1::{Service, ServicePort, ServiceSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use shared::crd::EtcdCluster;
use shared::names::{self, CLIENT_PORT, PEER_PORT};

use super::{BuildError, CLIENT_PORT_NAME, PEER_PORT_NAME, cluster_name, object_meta};

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
        let meta = &service.metadata;
        assert_eq!(meta.name.as_deref(), Some(name));
        assert_eq!(meta.namespace.as_deref(), Some(NAMESPACE));
        assert_eq!(meta.labels.as_ref(), Some(&names::labels("demo", None)));
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
    fn services_need_a_uid() {
        let mut c = cluster();
        c.metadata.uid = None;
        assert_eq!(peer_service(&c), Err(BuildError::NoUid));
        assert_eq!(client_service(&c), Err(BuildError::NoUid));
    }
}
