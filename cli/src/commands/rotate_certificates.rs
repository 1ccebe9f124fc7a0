//! `kubectl etcd rotate-certificates NAME [--ca]`: asks the operator to renew the
//! certificates it issued for a TLS cluster now, rather than at two thirds of their
//! lifetime; with `--ca`, to rotate the CA too (every member first trusts the old and the
//! new CA, then gets certificates of the new one, then stops trusting the old one). Members
//! restart one at a time, followers first, the leader last, only while every member is
//! healthy. The plugin writes the request as annotations on the EtcdCluster and, with
//! `--wait`, follows `status.tls` until the operator reports every member restarted; it
//! never talks to the members itself.

use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use serde_json::json;
use shared::crd::{ClusterPhase, EtcdCluster, ROTATE_CA_ANNOTATION, ROTATE_REQUEST_ANNOTATION, TlsStatus};

use crate::client::{Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::prompt;
use crate::wait::{ChangeError, follow_request};

/// Renew the certificates the operator issued for a TLS cluster now (and with --ca its CA).
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd rotate-certificates demo --yes --wait\n  \
    kubectl etcd rotate-certificates demo --ca --yes --wait --timeout 20m\n\n\
    The operator renews its certificates on its own at spec.tls.renewal.renewAtPercent of their lifetime \
    (two thirds by default); this asks for it now. Members restart one at a time with the renewed \
    certificates, followers first and the leader last after leadership moved, only while every member is \
    healthy and caught up; clients keep their connections to the other members. With --ca, a new CA is \
    trusted next to the old one first, so peers and clients never stop being accepted: clients that read \
    the client Secret again after the rotation keep working, clients with a copy of the old CA (kubectl \
    etcd credentials) must fetch them again. Certificates the user brings (spec.tls.secrets) are not the \
    operator's to renew: members restart by themselves when those Secrets change. With --wait, progress \
    goes to stderr and the command exits 6 if the rotation is not done within --timeout.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// Rotate the CA too: a new CA, trusted next to the old one until every member and the
    /// client certificate use it.
    #[arg(long)]
    ca: bool,

    /// Wait until every member runs with the renewed certificates.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 20m.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    timeout: Duration,

    /// Ask for it without asking (questions are asked only on a terminal).
    #[arg(short = 'y', long)]
    yes: bool,
}

/// Why the cluster cannot have its certificates rotated by the operator, if it cannot.
fn refuse(cluster: &EtcdCluster) -> Option<String> {
    let name = cluster.metadata.name.as_deref().unwrap_or_default();
    match &cluster.spec.tls {
        None => Some(format!("etcdcluster {name} does not use TLS (spec.tls): it has no certificates")),
        Some(tls) if tls.cert_manager.is_some() => Some(format!(
            "etcdcluster {name} takes its certificates from cert-manager (spec.tls.certManager): renew them \
             there (`cmctl renew`, or its Certificates' renewBefore); members restart with them one at a \
             time when their Secrets change"
        )),
        Some(tls) if !tls.issued_by_operator() => Some(format!(
            "etcdcluster {name} uses certificates from Secrets you bring (spec.tls.secrets): renew them in \
             those Secrets; members restart with them one at a time when they change"
        )),
        Some(_) => None,
    }
}

/// The status of the certificates, when the operator reported it.
fn tls_status(cluster: &EtcdCluster) -> Option<&TlsStatus> {
    cluster.status.as_ref()?.tls.as_ref()
}

/// Whether request `id` is done: carried out, no CA rotation under way, every member
/// restarted with its Secrets and the cluster Running.
fn done(cluster: &EtcdCluster, id: &str) -> bool {
    let running = cluster.status.as_ref().and_then(|s| s.phase) == Some(ClusterPhase::Running);
    tls_status(cluster).is_some_and(|t| {
        t.last_request.as_deref() == Some(id) && t.ca_rotation.is_none() && t.pending_members.is_empty()
    }) && running
}

/// Where request `id` is at, in words.
fn progress(cluster: &EtcdCluster, id: &str) -> String {
    match tls_status(cluster) {
        Some(t) if t.last_request.as_deref() == Some(id) => {
            let phase =
                t.ca_rotation.map(|p| format!("CA rotation phase {}; ", p.as_str())).unwrap_or_default();
            if t.pending_members.is_empty() {
                format!("{phase}members up to date, waiting for the cluster to settle")
            } else {
                format!("{phase}restarting {}", t.pending_members.join(", "))
            }
        }
        _ => "waiting for the operator to take the request".to_string(),
    }
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, ChangeError> {
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await?;
    if let Some(reason) = refuse(&cluster) {
        eprintln!("refused: {reason}; nothing was changed");
        return Ok(Outcome::Refused);
    }
    if prompt::may_ask(args.yes) {
        let what = if args.ca { "the CA and the certificates" } else { "the certificates" };
        let question = format!("Renew {what} of {} now, restarting every member one at a time?", args.name);
        prompt::answered!(prompt::go_ahead(question, true, "not requested").await);
    }
    let id = Timestamp::now().to_string();
    let patch = json!({"metadata": {"annotations": {
        ROTATE_REQUEST_ANNOTATION: id,
        ROTATE_CA_ANNOTATION: args.ca.then_some("true"),
    }}});
    connection.patch_cluster("request a certificate rotation of", &args.name, patch).await?;
    println!(
        "etcdcluster/{} certificate rotation requested ({id}){}",
        args.name,
        if args.ca { ", CA included" } else { "" }
    );
    if !args.wait {
        return Ok(Outcome::Success);
    }
    let followed = follow_request(
        &connection,
        &args.name,
        args.timeout,
        "certificate rotation",
        |c| done(c, &id),
        |c| progress(c, &id),
    )
    .await?;
    Ok(match followed {
        Ok(cluster) => {
            for c in tls_status(&cluster).map(|t| t.certificates.as_slice()).unwrap_or_default() {
                println!("{}\texpires {}\trenewed at {}", c.secret, c.expires.0, c.renew_at.0);
            }
            Outcome::Success
        }
        Err(outcome) => outcome,
    })
}

#[cfg(test)]
mod tests {
    use shared::crd::{CaRotationPhase, EtcdClusterStatus};

    use super::*;

    fn cluster(tls: serde_json::Value) -> EtcdCluster {
        serde_json::from_value(json!({
            "apiVersion": "etcd.kubectl-etcd.dev/v1alpha1", "kind": "EtcdCluster",
            "metadata": {"name": "demo"}, "spec": {"version": "3.5.30", "tls": tls}}))
        .expect("cluster")
    }

    #[test]
    fn only_clusters_with_certificates_the_operator_issued_are_asked() {
        assert_eq!(refuse(&cluster(json!({}))), None);
        let plain = refuse(&cluster(serde_json::Value::Null)).expect("refused");
        assert!(plain.contains("does not use TLS"), "{plain}");
        let brought = refuse(&cluster(json!({"secrets": {"server": "s", "peer": "p", "client": "c"}})))
            .expect("refused");
        assert!(brought.contains("renew them in those Secrets"), "{brought}");
        let cert_manager =
            refuse(&cluster(json!({"certManager": {"issuerRef": {"name": "ca"}}}))).expect("refused");
        assert!(cert_manager.contains("renew them there (`cmctl renew`"), "{cert_manager}");
    }

    #[test]
    fn the_request_is_done_once_taken_with_every_member_restarted_and_no_ca_phase_left() {
        let mut c = cluster(json!({}));
        assert!(!done(&c, "r1"));
        assert_eq!(progress(&c, "r1"), "waiting for the operator to take the request");
        let status = |tls: TlsStatus| EtcdClusterStatus {
            phase: Some(ClusterPhase::Running),
            tls: Some(tls),
            ..EtcdClusterStatus::default()
        };
        c.status = Some(status(TlsStatus {
            last_request: Some("r1".into()),
            ca_rotation: Some(CaRotationPhase::NewIssuer),
            pending_members: vec!["demo-2".into()],
            ..TlsStatus::default()
        }));
        assert!(!done(&c, "r1"));
        assert_eq!(progress(&c, "r1"), "CA rotation phase NewIssuer; restarting demo-2");
        c.status = Some(status(TlsStatus { last_request: Some("r1".into()), ..TlsStatus::default() }));
        assert!(done(&c, "r1"));
        assert!(!done(&c, "r0"), "another request");
    }
}
