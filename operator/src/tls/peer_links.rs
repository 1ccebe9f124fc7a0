//! Whether each member reaches all its peers, from etcd's own `etcd_network_active_peers`
//! gauge on the plain metrics port (3.4 and 3.5 alike).
//!
//! A TLS member checks the address a peer connects from against the DNS names in the
//! peer's certificate (`checkSAN`). A member restarted in a new Pod has a new IP, and until
//! every peer's resolver has the new address (the Go resolver caches hosts files for 5 s,
//! cluster DNS caches for up to 30 s), those peers neither reach it nor accept it. It still
//! answers a Status call and follows the leader through the leader's own connection, so
//! etcd's health says healthy; restarting another member then could leave two members that
//! cannot talk, and no quorum. The rollout waits for these links
//! (`MembershipInput::cut_off`), for at most [`RESOLUTION_LAG`] after a member Pod started:
//! a link down for longer has another cause, which etcd's health and the operator's
//! other gates judge (on the sandbox, links between members that serve HTTPS on their peer
//! port were seen inactive for minutes while the cluster committed writes; not explained).

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::ResourceExt;
use shared::names::{self, METRICS_PORT};

/// How long after a member Pod started its peers may still not resolve its new address:
/// cluster DNS caches answers for up to 30 s (CoreDNS' default), the Go resolver a hosts
/// file for 5 s.
pub const RESOLUTION_LAG: Duration = Duration::from_secs(30);

/// How long one member's metrics may take.
const METRICS_TIMEOUT: Duration = Duration::from_secs(2);

/// The gauge etcd sets to 1 for each peer it is connected to.
const ACTIVE_PEERS: &str = "etcd_network_active_peers{";

/// How many peers etcd's metrics text `metrics` says the member is connected to.
pub fn active_peers(metrics: &str) -> usize {
    metrics
        .lines()
        .filter(|line| line.starts_with(ACTIVE_PEERS))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .filter(|value| *value >= 1.0)
        .count()
}

/// The members (by Pod name, among `pods` not being deleted) that report fewer connected
/// peers than the `members` in the cluster less themselves. A member whose metrics do not
/// answer is left out: etcd's health judges it.
pub async fn cut_off(pods: &[Pod], members: usize) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut cut_off = Vec::new();
    for pod in pods.iter().filter(|p| p.metadata.deletion_timestamp.is_none()) {
        let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.clone()) else { continue };
        let url = format!("{}/metrics", names::ip_url(&ip, METRICS_PORT));
        let answer =
            client.get(&url).timeout(METRICS_TIMEOUT).send().await.and_then(|a| a.error_for_status());
        let Ok(text) = (match answer {
            Ok(answer) => answer.text().await,
            Err(error) => Err(error),
        }) else {
            continue;
        };
        let connected = active_peers(&text);
        if connected + 1 < members {
            tracing::debug!(member = %pod.name_any(), connected, members, "member does not reach all its peers");
            cut_off.push(pod.name_any());
        }
    }
    cut_off
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_the_peers_etcd_is_connected_to() {
        let metrics = "# HELP etcd_network_active_peers The current number of active peer connections.\n\
             # TYPE etcd_network_active_peers gauge\n\
             etcd_network_active_peers{Local=\"19df68198ae605ec\",Remote=\"9e3d502b18566f2b\"} 1\n\
             etcd_network_active_peers{Local=\"19df68198ae605ec\",Remote=\"a7cbb8a69d4f6320\"} 0\n\
             etcd_network_disconnected_peers_total{Local=\"19df68198ae605ec\",Remote=\"a7cbb8a69d4f6320\"} 3\n";
        assert_eq!(active_peers(metrics), 1);
        assert_eq!(active_peers(""), 0);
    }
}
