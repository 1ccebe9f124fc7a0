//! `kubectl etcd etcdctl NAME -- ARGS...`: runs the member image's own etcdctl in a member's
//! etcd container (`pods/exec`), with `--endpoints` naming every member, so no local
//! etcdctl and no route to the members are needed. etcdctl's exit code is the plugin's.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::AttachParams;
use kube::{Api, ResourceExt};
use shared::names;
use tokio::io::AsyncWriteExt;

use crate::client::{ConnectError, Connection, KubeArgs};
use crate::exit::Outcome;
use crate::members::{self, MEMBER_CONTAINER};

/// Run etcdctl against the cluster, inside a member.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd etcdctl demo -- get --prefix /registry --keys-only\n  \
    kubectl etcd etcdctl demo -- endpoint status -w table\n  \
    echo value | kubectl etcd etcdctl demo -i -- put /x\n\n\
    etcdctl is the one in the member's image, run in its etcd container with --endpoints set to \
    every member; the exit code is etcdctl's.")]
pub struct Args {
    /// Name of the EtcdCluster.
    name: String,

    /// The member (its Pod's name) to run etcdctl in. Default: a Ready member, else one
    /// whose etcd runs (a cluster without a leader has no Ready member).
    #[arg(long, value_name = "MEMBER")]
    member: Option<String>,

    /// Pass the plugin's standard input to etcdctl.
    #[arg(short = 'i', long)]
    stdin: bool,

    /// etcdctl's arguments, after `--`.
    #[arg(last = true, required = true, value_name = "ARGS")]
    args: Vec<String>,
}

/// Why etcdctl could not be run.
#[derive(Debug, thiserror::Error)]
pub enum EtcdctlError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused.
    #[error("{0}")]
    Api(String),
    /// No member can run it.
    #[error("{0}")]
    NoMember(String),
    /// The run failed or ended without an exit code.
    #[error("etcdctl in {pod}: {message}")]
    Exec {
        /// The member Pod.
        pod: String,
        /// What happened.
        message: String,
    },
}

/// The exit code a finished exec reports (`NonZeroExitCode` carries it), or its message.
pub fn exit_code(status: &Status) -> Result<u8, String> {
    if status.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    let code = status.details.as_ref().and_then(|d| d.causes.as_ref()).and_then(|causes| {
        causes.iter().find(|c| c.reason.as_deref() == Some("ExitCode")).and_then(|c| c.message.as_deref())
    });
    match code.and_then(|c| c.parse::<i64>().ok()) {
        Some(code) => Ok(u8::try_from(code.clamp(1, 255)).unwrap_or(1)),
        None => Err(status.message.clone().unwrap_or_else(|| "the command failed".into())),
    }
}

/// The client URL a member advertises (its `--advertise-client-urls`: its DNS name, which
/// its server certificate names, `https://` in a TLS cluster), else its Pod IP's.
fn advertised_client_url(pod: &k8s_openapi::api::core::v1::Pod) -> Option<String> {
    let container = pod.spec.as_ref()?.containers.iter().find(|c| c.name == MEMBER_CONTAINER)?;
    let advertised =
        container.args.iter().flatten().find_map(|arg| arg.strip_prefix("--advertise-client-urls="));
    match advertised {
        Some(urls) => urls.split(',').next().map(str::to_string),
        None => pod.status.as_ref()?.pod_ip.as_deref().map(|ip| names::ip_url(ip, names::CLIENT_PORT)),
    }
}

/// etcdctl's flags for a TLS cluster: the member's own server certificate, which etcd also
/// accepts as a client certificate, and the cluster's CA, as mounted in the member.
fn tls_flags() -> [String; 3] {
    use shared::tls::{CA_KEY, CERT_KEY, PRIVATE_KEY_KEY};
    let mount = names::SERVER_TLS_MOUNT;
    [
        format!("--cacert={mount}/{CA_KEY}"),
        format!("--cert={mount}/{CERT_KEY}"),
        format!("--key={mount}/{PRIVATE_KEY_KEY}"),
    ]
}

/// The member's etcd container is running and its Pod is not being deleted.
fn runs_etcd(pod: &k8s_openapi::api::core::v1::Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod.status.as_ref().and_then(|s| s.container_statuses.as_ref()).is_some_and(|statuses| {
            statuses
                .iter()
                .any(|c| c.name == MEMBER_CONTAINER && c.state.as_ref().is_some_and(|s| s.running.is_some()))
        })
}

/// Where etcdctl runs when no member is named: a Ready member (it serves, with a leader),
/// else any member whose etcd runs. etcdctl talks to every member's endpoint either way;
/// the Pod only lends it a process, so a cluster whose Pods are not Ready yet (their
/// readiness probe runs every second) or that has lost its leader can still be asked why.
fn default_member(pods: &[k8s_openapi::api::core::v1::Pod]) -> Option<&k8s_openapi::api::core::v1::Pod> {
    pods.iter().find(|p| shared::conditions::pod_ready(p)).or_else(|| pods.iter().find(|p| runs_etcd(p)))
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, EtcdctlError> {
    let connection = Connection::open(kube).await?;
    let cluster = connection.get(&args.name).await.map_err(|e| EtcdctlError::Api(e.to_string()))?;
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(connection.client.clone(), &connection.namespace);
    let member_pods =
        members::member_pods(&pods, &args.name).await.map_err(|e| EtcdctlError::Api(e.to_string()))?;
    let endpoints: Vec<String> = member_pods.iter().filter_map(advertised_client_url).collect();
    let chosen = match &args.member {
        Some(member) => member_pods.iter().find(|p| p.name_any() == *member).ok_or_else(|| {
            let known: Vec<String> = member_pods.iter().map(ResourceExt::name_any).collect();
            EtcdctlError::NoMember(format!("{member} is not a member of {}; its members: {}", args.name, known.join(", ")))
        })?,
        None => default_member(&member_pods).ok_or_else(|| {
            EtcdctlError::NoMember(format!(
                "no member of {} runs etcd to run etcdctl in ({} member Pods); `kubectl etcd status {}` shows why",
                args.name,
                member_pods.len(),
                args.name
            ))
        })?,
    };
    let pod = chosen.name_any();
    let mut command = vec!["etcdctl".to_string(), format!("--endpoints={}", endpoints.join(","))];
    if cluster.spec.tls.is_some() {
        command.extend(tls_flags());
    }
    command.extend(args.args.iter().cloned());
    let params =
        AttachParams::default().container(MEMBER_CONTAINER).stdin(args.stdin).stdout(true).stderr(true);
    let failed = |message: String| EtcdctlError::Exec { pod: pod.clone(), message };
    let mut attached = pods.exec(&pod, command, &params).await.map_err(|e| failed(e.to_string()))?;
    let mut out = attached.stdout().ok_or_else(|| failed("no stdout".into()))?;
    let mut err = attached.stderr().ok_or_else(|| failed("no stderr".into()))?;
    let input = attached.stdin().map(|mut writer| {
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut writer).await;
            let _ = writer.shutdown().await;
        })
    });
    let status = attached.take_status().ok_or_else(|| failed("no status".into()))?;
    let (mut stdout, mut stderr) = (tokio::io::stdout(), tokio::io::stderr());
    let (_, _, status) =
        tokio::join!(tokio::io::copy(&mut out, &mut stdout), tokio::io::copy(&mut err, &mut stderr), status);
    let _ = stdout.flush().await;
    if let Some(input) = input {
        input.abort();
    }
    let status = status.ok_or_else(|| failed("the connection ended without an exit status".into()))?;
    exit_code(&status).map(Outcome::Exited).map_err(failed)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{StatusCause, StatusDetails};

    use super::*;

    fn status(text: &str, code: Option<&str>) -> Status {
        Status {
            status: Some(text.into()),
            message: Some("command terminated".into()),
            details: code.map(|c| StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some(c.into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn member(name: &str, ready: bool, running: bool) -> k8s_openapi::api::core::v1::Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "status": {
                "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}],
                "containerStatuses": [{
                    "name": "etcd", "image": "etcd", "imageID": "", "ready": ready, "restartCount": 0,
                    "state": if running { serde_json::json!({"running": {}}) } else { serde_json::json!({"waiting": {}}) }
                }]
            }
        }))
        .expect("a Pod")
    }

    #[test]
    fn etcdctl_runs_in_a_ready_member_else_in_one_whose_etcd_runs() {
        let name = |pods: &[k8s_openapi::api::core::v1::Pod]| default_member(pods).map(ResourceExt::name_any);
        let pods =
            [member("demo-0", false, true), member("demo-1", true, true), member("demo-2", false, true)];
        assert_eq!(name(&pods).as_deref(), Some("demo-1"), "a Ready member first");
        let not_ready = [member("demo-0", false, false), member("demo-1", false, true)];
        assert_eq!(name(&not_ready).as_deref(), Some("demo-1"), "else one whose etcd runs: it can say why");
        let mut leaving = member("demo-1", false, true);
        leaving.metadata.deletion_timestamp =
            Some(serde_json::from_value(serde_json::json!("2026-12-06T00:00:00Z")).expect("a time"));
        assert_eq!(name(&[member("demo-0", false, false), leaving]), None, "never a Pod being deleted");
        assert_eq!(name(&[]), None);
    }

    #[test]
    fn the_exit_code_is_the_commands() {
        assert_eq!(exit_code(&status("Success", None)), Ok(0));
        assert_eq!(exit_code(&status("Failure", Some("3"))), Ok(3));
        assert_eq!(exit_code(&status("Failure", Some("300"))), Ok(255));
        assert_eq!(exit_code(&status("Failure", None)), Err("command terminated".into()));
    }
}
