//! Turning TLS on for a running plain cluster (`spec.tls` added): the transport each member
//! Pod serves, and the steps that move a cluster from plain HTTP to mutual TLS without
//! losing quorum or writes. Pure, like the rest of the planning.
//!
//! etcd serves HTTP and HTTPS on one client port when `--listen-client-urls` names both
//! (cmux, `embed/serve.go`), but not on one peer port: the second peer listener fails with
//! "address already in use" (checked on 3.4.23 and 3.5.30). A member with peer
//! certificates dials `http://` peers plainly and `https://` peers with its certificate,
//! whatever it listens on. So the move is two rolling restarts:
//!
//! 1. [`Transport::Both`]: every member restarts, one at a time, with its certificates
//!    mounted, its client port serving HTTP and HTTPS, its peer port still plain HTTP (and
//!    its peer certificate ready for dialing HTTPS peers). Plain clients still work; the
//!    operator still connects plainly while any member serves HTTP only.
//! 2. [`Transport::Tls`]: once every member serves both, each member in turn gets its peer
//!    URL moved to `https://` (`MemberUpdate`, [`Step::AdvertiseTls`]), and is restarted at
//!    once listening on HTTPS only, with client certificates required: the flags of a
//!    member created with TLS. Its peers reach it again as soon as it listens, as after
//!    any restart. The operator connects with its client certificate from phase 2 on.
//!
//! Each restart is gated like a settings change (every member healthy and caught up),
//! followers first in name order, the leader last after leadership moved away. With
//! ephemeral storage a restart would lose the member's data: each phase replaces the
//! members through learners instead (a learner serving the phase's transport joins, the
//! shrink removes a member still serving the old one); no `MemberUpdate` is needed since
//! phase 2's learners join with `https://` peer URLs.
//!
//! The state is read from what is observable, never stored: each Pod's transport from its
//! `--listen-client-urls`, each member's peer URL from etcd's member list. An operator
//! restarted mid-way carries on. Turning TLS off is refused (validation refuses removing
//! `spec.tls`; the planner refuses a plain spec over members that serve TLS).

use serde::{Deserialize, Serialize};

use super::membership::{MemberView, MembershipInput, Refusal, Step};
use crate::crd::StorageKind;
use crate::names;

/// What a member Pod serves on its client and peer ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Transport {
    /// Plain HTTP on both ports, no certificates.
    Plain,
    /// Certificates mounted; HTTP and HTTPS on the client port, plain HTTP on the peer
    /// port (the peer certificate is used to dial HTTPS peers): phase 1 of turning TLS on.
    Both,
    /// HTTPS only, client certificates required on both ports.
    Tls,
}

/// The flag whose value tells a Pod's transport.
pub const LISTEN_CLIENT_URLS_FLAG: &str = "--listen-client-urls=";

impl Transport {
    /// The transport of a Pod of a cluster with (`tls`) or without `spec.tls` whose member
    /// advertises `peer_url`: its peer port must listen with the scheme of that URL.
    pub fn for_member(tls: bool, peer_url: &str) -> Transport {
        match (tls, is_secure(peer_url)) {
            (_, true) => Transport::Tls,
            (true, false) => Transport::Both,
            (false, false) => Transport::Plain,
        }
    }

    /// The transport a member Pod's etcd arguments run with, from its
    /// `--listen-client-urls`; `None` when the flag is missing.
    pub fn of_args(args: &[String]) -> Option<Transport> {
        let urls = args.iter().rev().find_map(|a| a.strip_prefix(LISTEN_CLIENT_URLS_FLAG))?;
        let secure = urls.split(',').any(is_secure);
        let plain = urls.split(',').any(|u| !is_secure(u));
        Some(match (plain, secure) {
            (true, true) => Transport::Both,
            (false, true) => Transport::Tls,
            _ => Transport::Plain,
        })
    }

    /// `--listen-client-urls`'s value for this transport, given the plain URL.
    pub fn client_listen_urls(self, plain: &str) -> String {
        match self {
            Transport::Plain => plain.to_string(),
            Transport::Both => format!("{plain},{}", names::secure_url(plain)),
            Transport::Tls => names::secure_url(plain),
        }
    }

    /// A URL as this transport advertises it (and listens on its peer port): `https://`
    /// only with [`Transport::Tls`].
    pub fn advertised(self, plain: &str) -> String {
        if self == Transport::Tls { names::secure_url(plain) } else { plain.to_string() }
    }

    /// It serves HTTPS on the client port (so the operator may connect with TLS).
    pub fn serves_tls(self) -> bool {
        self != Transport::Plain
    }

    /// It mounts certificates and has etcd's TLS flags.
    pub fn has_certificates(self) -> bool {
        self != Transport::Plain
    }
}

fn is_secure(url: &str) -> bool {
    url.starts_with("https://")
}

/// The transport the cluster is moving its members to: plain without `spec.tls`; with it,
/// [`Transport::Both`] while a member Pod still serves plain HTTP only (phase 1), then
/// [`Transport::Tls`].
pub fn target(input: &MembershipInput) -> Transport {
    if !input.tls {
        Transport::Plain
    } else if input.pods.iter().any(|p| !p.deleting && p.transport == Some(Transport::Plain)) {
        Transport::Both
    } else {
        Transport::Tls
    }
}

/// Whether members added now are given `https://` peer URLs: only once no member Pod
/// serves plain HTTP only, so every member can dial them with its peer certificate.
pub fn new_members_secure(input: &MembershipInput) -> bool {
    target(input) == Transport::Tls
}

/// Whether every member Pod (not being deleted) serves HTTPS on its client port, so a
/// client with the cluster's certificate reaches them all; `transports` are the Pods'.
pub fn all_serve_tls(transports: impl IntoIterator<Item = Option<Transport>>) -> bool {
    transports.into_iter().all(|t| t.is_some_and(Transport::serves_tls))
}

/// The transport member `name`'s Pod should serve now, given its advertised peer URL.
/// A persistent member whose peer URL is still `http://` keeps [`Transport::Both`] until
/// [`advertise`] moves it; an ephemeral one is replaced by a learner at the target.
fn wanted(input: &MembershipInput, peer_url: &str) -> Transport {
    match (target(input), Transport::for_member(input.tls, peer_url)) {
        (Transport::Tls, Transport::Both) if input.storage == StorageKind::Ephemeral => Transport::Tls,
        (_, for_member) => for_member,
    }
}

/// The member's peer URL in etcd's member list.
fn peer_url_of<'a>(input: &'a MembershipInput, name: &str) -> Option<&'a str> {
    input.members.as_ref()?.iter().find(|m| m.name == name).map(|m| m.peer_url.as_str())
}

/// The transport member `name`'s Pod must change to, if it serves another one than it
/// should ([`wanted`]); `None` when it is current or unknown.
pub fn outdated(input: &MembershipInput, name: &str) -> Option<Transport> {
    let pod = input.pods.iter().find(|p| p.name == name && !p.deleting)?;
    let wanted = wanted(input, peer_url_of(input, name)?);
    pod.transport.filter(|t| *t != wanted).map(|_| wanted)
}

/// A persistent member whose Pod listens on its peer port with another scheme than the
/// URL its peers dial (its peer URL was just moved to `https://`, or a Pod was made before
/// the member list could be read): its peers cannot reach it, so it is restarted at once,
/// as a failed Pod is. Never an ephemeral member (a restart would lose its data).
pub fn restart_mislistening(input: &MembershipInput) -> Option<Step> {
    if input.storage != StorageKind::Persistent {
        return None;
    }
    input.members.as_ref()?.iter().find_map(|m| {
        let pod = input.pods.iter().find(|p| p.name == m.name && !p.deleting)?;
        let listens_secure = pod.transport? == Transport::Tls;
        (listens_secure != is_secure(&m.peer_url)).then(|| Step::ChangeTransport {
            member: m.name.clone(),
            to: Transport::for_member(input.tls, &m.peer_url),
        })
    })
}

/// Turning TLS off is refused: a spec without `tls` over members that serve it (validation
/// refuses removing `spec.tls`; this holds when it was bypassed).
pub fn refuse_turning_off(input: &MembershipInput) -> Option<Step> {
    if input.tls {
        return None;
    }
    let pod = input.pods.iter().find(|p| p.transport.is_some_and(|t| t != Transport::Plain)).map(|p| &p.name);
    let member = input.members.iter().flatten().find(|m| is_secure(&m.peer_url)).map(|m| &m.name);
    let serving = pod.or(member)?;
    Some(Step::Refuse {
        reason: Refusal::TlsRefused,
        message: format!(
            "spec.tls was removed but {serving} serves TLS: turning TLS off is not supported, nothing was \
             changed. Put spec.tls back"
        ),
    })
}

/// Turning TLS on for a running cluster needs etcd 3.5: on 3.4.23 a member restarted
/// serving HTTP and HTTPS on its client port did not always become healthy again in the
/// end-to-end test (3 of 5 runs waited on it until the test gave up), which would leave the
/// cluster a member short. Refused while it has not started (every member Pod still serves
/// plain HTTP only) and neither the cluster nor `spec.version` is at 3.5 or newer; with
/// `spec.version` at 3.5 the upgrade's restarts turn TLS on as they go.
pub fn refuse_turning_on_before_3_5(input: &MembershipInput) -> Option<Step> {
    let mut pods = input.pods.iter().filter(|p| !p.deleting).peekable();
    pods.peek()?;
    if !input.tls || !pods.all(|p| p.transport == Some(Transport::Plain)) {
        return None;
    }
    let running = super::rollout::running_version(input);
    let at_least_3_5 = |v: crate::version::EtcdVersion| (v.major, v.minor) >= (3, 5);
    if at_least_3_5(running) || at_least_3_5(input.target) {
        return None;
    }
    Some(Step::Refuse {
        reason: Refusal::TlsRefused,
        message: format!(
            "spec.tls was added to a cluster running etcd {running}: turning TLS on for a running cluster needs \
             etcd 3.5 or newer, nothing was changed. Set spec.version to a 3.5 release: the upgrade's restarts \
             turn TLS on as they go"
        ),
    })
}

/// Whether a member still waits for its peer URL to move to `https://` ([`advertise`]).
pub fn advertise_pending(input: &MembershipInput, members: &[MemberView]) -> bool {
    input.storage == StorageKind::Persistent
        && target(input) == Transport::Tls
        && members.iter().any(|m| !is_secure(&m.peer_url))
}

/// Phase 2's next step, once every member serves both transports and runs as it should:
/// move a follower's peer URL to `https://` (the first in name order); the leader's only
/// after leadership moved to another member.
pub fn advertise(members: &[MemberView]) -> Step {
    let plain = |m: &&MemberView| !is_secure(&m.peer_url);
    let by_name = |a: &&MemberView, b: &&MemberView| super::upgrade::name_order(&a.name, &b.name);
    let member = match members.iter().filter(|m| !m.leader).filter(plain).min_by(by_name) {
        Some(follower) => follower,
        None => {
            let Some(leader) = members.iter().find(|m| m.leader) else {
                return Step::Wait { reason: "no member is the raft leader; waiting for an election".into() };
            };
            if let Some(successor) = members.iter().filter(|m| !m.leader && !m.learner).min_by(by_name) {
                return Step::MoveLeader {
                    to_id: successor.id,
                    to: successor.name.clone(),
                    from: leader.name.clone(),
                };
            }
            leader
        }
    };
    Step::AdvertiseTls {
        id: member.id,
        member: member.name.clone(),
        peer_url: names::secure_url(&member.peer_url),
    }
}

/// How far turning TLS on has got, for the status, from what the member Pods serve
/// (`transports`, Pods being deleted left out): `None` when it is not under way (no
/// `spec.tls`, or every Pod serves TLS only).
pub fn progress(tls: bool, transports: &[Transport]) -> Option<String> {
    if !tls || transports.iter().all(|t| *t == Transport::Tls) {
        return None;
    }
    let count = |at_least: Transport| transports.iter().filter(|t| **t >= at_least).count();
    Some(format!(
        "turning TLS on: {} of {} member Pods serve HTTPS (phase 1), {} serve HTTPS only at an https:// peer URL \
         (phase 2)",
        count(Transport::Both),
        transports.len(),
        count(Transport::Tls)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(listen_client: &str) -> Vec<String> {
        vec!["--name=demo-0".into(), format!("{LISTEN_CLIENT_URLS_FLAG}{listen_client}"), "--x=y".into()]
    }

    #[test]
    fn a_pods_transport_is_read_from_what_it_listens_on() {
        let plain = "http://0.0.0.0:2379";
        for transport in [Transport::Plain, Transport::Both, Transport::Tls] {
            assert_eq!(Transport::of_args(&args(&transport.client_listen_urls(plain))), Some(transport));
        }
        assert_eq!(
            Transport::client_listen_urls(Transport::Both, plain),
            "http://0.0.0.0:2379,https://0.0.0.0:2379"
        );
        assert_eq!(Transport::of_args(&["--name=demo-0".to_string()]), None, "unknown, never outdated");
    }

    #[test]
    fn a_pod_listens_on_its_peer_port_as_its_peer_url_says() {
        let http = "http://demo-0.demo.db.svc.cluster.local:2380";
        let https = "https://demo-0.demo.db.svc.cluster.local:2380";
        assert_eq!(Transport::for_member(false, http), Transport::Plain);
        assert_eq!(Transport::for_member(true, http), Transport::Both);
        assert_eq!(Transport::for_member(true, https), Transport::Tls);
        assert_eq!(Transport::Both.advertised(http), http, "phase 1 keeps its peer URL");
        assert_eq!(Transport::Tls.advertised(http), https);
    }

    #[test]
    fn the_operator_connects_with_tls_only_once_every_pod_serves_it() {
        assert!(!all_serve_tls([Some(Transport::Plain), Some(Transport::Both)]));
        assert!(all_serve_tls([Some(Transport::Both), Some(Transport::Tls)]));
        assert!(!all_serve_tls([Some(Transport::Tls), None]), "a Pod whose flags are unknown");
    }

    #[test]
    fn progress_counts_each_phase() {
        let pods = [Transport::Tls, Transport::Both, Transport::Plain];
        assert_eq!(
            progress(true, &pods).as_deref(),
            Some(
                "turning TLS on: 2 of 3 member Pods serve HTTPS (phase 1), 1 serve HTTPS only at an https:// peer \
                 URL (phase 2)"
            )
        );
        assert_eq!(progress(true, &[Transport::Tls; 3]), None, "done");
        assert_eq!(progress(false, &[Transport::Plain; 3]), None, "a plain cluster");
    }
}
