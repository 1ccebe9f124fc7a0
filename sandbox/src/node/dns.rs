//! Name resolution in the sandbox, written as hosts files: Pod DNS names
//! (`<hostname>.<subdomain>.<ns>.svc.cluster.local`) and Service names (to a ready
//! endpoint), with the short forms a Pod's search path would allow.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The cluster's DNS domain.
pub const CLUSTER_DOMAIN: &str = "cluster.local";

/// A Pod as name resolution sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodName {
    /// Namespace.
    pub namespace: String,
    /// Pod name.
    pub name: String,
    /// `spec.hostname` (defaults to the Pod name).
    pub hostname: Option<String>,
    /// `spec.subdomain`: the headless Service the Pod is named under.
    pub subdomain: Option<String>,
    /// The Pod's IP.
    pub ip: Ipv4Addr,
}

/// A Service as name resolution sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceName {
    /// Namespace.
    pub namespace: String,
    /// Service name.
    pub name: String,
    /// Ready endpoint IPs; the name resolves to the first.
    pub ready_ips: Vec<Ipv4Addr>,
}

/// Lines of a hosts file: an IP and its names.
pub type HostsEntries = Vec<(Ipv4Addr, Vec<String>)>;

/// Hosts entries as seen from `viewer` (a Pod's namespace and name; `None` for the host,
/// which gets no short names). Sorted by IP, names deduplicated.
pub fn hosts_entries(
    viewer: Option<(&str, &str)>,
    pods: &[PodName],
    services: &[ServiceName],
) -> HostsEntries {
    let mut entries: BTreeMap<Ipv4Addr, Vec<String>> = BTreeMap::new();
    let mut add = |ip: Ipv4Addr, name: String| {
        let names = entries.entry(ip).or_default();
        if !names.contains(&name) {
            names.push(name);
        }
    };
    let same_namespace = |ns: &str| viewer.is_some_and(|(v, _)| v == ns);
    for pod in pods {
        let hostname = pod.hostname.clone().unwrap_or_else(|| pod.name.clone());
        if viewer.is_some_and(|(ns, name)| ns == pod.namespace && name == pod.name) {
            add(pod.ip, hostname.clone());
        }
        if let Some(sub) = &pod.subdomain {
            let ns = &pod.namespace;
            add(pod.ip, format!("{hostname}.{sub}.{ns}.svc.{CLUSTER_DOMAIN}"));
            add(pod.ip, format!("{hostname}.{sub}.{ns}.svc"));
            add(pod.ip, format!("{hostname}.{sub}.{ns}"));
            if same_namespace(ns) {
                add(pod.ip, format!("{hostname}.{sub}"));
            }
        }
    }
    for service in services {
        let Some(ip) = service.ready_ips.first() else { continue };
        let (name, ns) = (&service.name, &service.namespace);
        add(*ip, format!("{name}.{ns}.svc.{CLUSTER_DOMAIN}"));
        add(*ip, format!("{name}.{ns}.svc"));
        add(*ip, format!("{name}.{ns}"));
        if same_namespace(ns) {
            add(*ip, name.clone());
        }
    }
    entries.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 244, 100, last)
    }

    #[test]
    fn member_names_and_services_resolve() {
        let pods = vec![
            PodName {
                namespace: "db".into(),
                name: "demo-0".into(),
                hostname: Some("demo-0".into()),
                subdomain: Some("demo".into()),
                ip: ip(2),
            },
            PodName {
                namespace: "db".into(),
                name: "demo-1".into(),
                hostname: Some("demo-1".into()),
                subdomain: Some("demo".into()),
                ip: ip(3),
            },
        ];
        let services = vec![ServiceName {
            namespace: "db".into(),
            name: "demo-client".into(),
            ready_ips: vec![ip(3), ip(2)],
        }];
        let seen_from_member = hosts_entries(Some(("db", "demo-0")), &pods, &services);
        let names_of = |entries: &[(Ipv4Addr, Vec<String>)], ip: Ipv4Addr| {
            entries.iter().find(|(i, _)| *i == ip).map(|(_, n)| n.clone()).unwrap_or_default()
        };
        let own = names_of(&seen_from_member, ip(2));
        assert!(
            own.contains(&"demo-0".to_string())
                && own.contains(&"demo-0.demo.db.svc.cluster.local".to_string())
        );
        assert!(own.contains(&"demo-0.demo".to_string()), "short form within the namespace");
        let other = names_of(&seen_from_member, ip(3));
        assert!(
            other.contains(&"demo-client".to_string()) && other.contains(&"demo-client.db.svc".to_string())
        );
        let from_host = hosts_entries(None, &pods, &services);
        let host_names = names_of(&from_host, ip(3));
        assert!(host_names.contains(&"demo-1.demo.db.svc.cluster.local".to_string()));
        assert!(!host_names.contains(&"demo-client".to_string()), "the host has no search path");
    }

    #[test]
    fn services_without_ready_endpoints_do_not_resolve() {
        let services = vec![ServiceName { namespace: "db".into(), name: "empty".into(), ready_ips: vec![] }];
        assert!(hosts_entries(None, &[], &services).is_empty());
    }
}
