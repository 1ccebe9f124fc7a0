//! `kubectl etcd list`: the clusters of a namespace (or of all), as `kubectl get etcd` shows
//! them.

use k8s_openapi::jiff::Timestamp;
use kube::ResourceExt;
use kube::api::ListParams;
use serde_json::json;
use shared::crd::EtcdCluster;

use crate::client::{ConnectError, Connection, KubeArgs, describe, is_not_found};
use crate::commands::status::phase_tone;
use crate::exit::Outcome;
use crate::output::color::{Palette, Tone};
use crate::output::format::{self, TableFormat};
use crate::output::structured;
use crate::output::table::{self, NONE, age};

/// List etcd clusters.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd list\n  \
    kubectl etcd list -A -o wide\n  \
    kubectl etcd list -n databases -o json | jq '.items[].status.ready'\n  \
    kubectl etcd list -o name | xargs kubectl describe\n  \
    kubectl etcd list --no-headers | wc -l")]
pub struct Args {
    /// List the clusters of every namespace.
    #[arg(short = 'A', long)]
    all_namespaces: bool,

    /// wide adds LEADER and LAST BACKUP; json and yaml print a List of the objects; name
    /// prints etcdcluster/NAME lines.
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<TableFormat>,

    /// Leave out the header line of the table.
    #[arg(long)]
    no_headers: bool,
}

/// Why the clusters could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The cluster does not know the EtcdCluster kind.
    #[error(
        "this Kubernetes cluster has no EtcdCluster resource: install the CRDs first \
         (`kubectl apply -f manifests/crd/`, or `etcd-operator crd | kubectl apply -f -`)"
    )]
    NoCrd,
    /// The API refused or did not answer.
    #[error("cannot list etcdclusters: {0}")]
    Api(String),
    /// The list could not be printed.
    #[error("cannot print the list: {0}")]
    Print(String),
}

/// Runs the command: the table (or objects, or names) on stdout.
pub async fn run(kube: &KubeArgs, args: &Args, palette: Palette) -> Result<Outcome, ListError> {
    let connection = Connection::open(kube).await?;
    let api = if args.all_namespaces { connection.all_clusters() } else { connection.clusters() };
    let mut clusters = match api.list(&ListParams::default()).await {
        Ok(list) => list.items,
        Err(e) if is_not_found(&e) => return Err(ListError::NoCrd),
        Err(e) => return Err(ListError::Api(describe(&e))),
    };
    clusters.sort_by_key(|c| (c.namespace().unwrap_or_default(), c.name_any()));
    if let Some(structured) = args.output.and_then(TableFormat::structured) {
        let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": clusters});
        print!("{}", structured::render(&list, structured).map_err(ListError::Print)?);
    } else if args.output == Some(TableFormat::Name) {
        print!("{}", format::names("etcdcluster", clusters.iter().map(ResourceExt::name_any)));
    } else if clusters.is_empty() {
        if args.all_namespaces {
            eprintln!("No etcdclusters found.");
        } else {
            eprintln!("No etcdclusters found in namespace {}.", connection.namespace);
        }
    } else {
        let view = View {
            all_namespaces: args.all_namespaces,
            wide: args.output == Some(TableFormat::Wide),
            headers: !args.no_headers,
        };
        print!("{}", render(&clusters, view, Timestamp::now(), palette));
    }
    Ok(Outcome::Success)
}

/// Which columns and whether the header line is shown.
#[derive(Clone, Copy)]
struct View {
    all_namespaces: bool,
    wide: bool,
    headers: bool,
}

/// The table: NAMESPACE (with -A), NAME, SIZE, READY, VERSION, PHASE, AGE, and with wide
/// LEADER and LAST BACKUP (its age), as the CRD's printer columns. Clusters that are not
/// running as they should are painted in their phase's tone.
fn render(clusters: &[EtcdCluster], view: View, now: Timestamp, palette: Palette) -> String {
    let mut headers = vec!["NAME", "SIZE", "READY", "VERSION", "PHASE", "AGE"];
    if view.all_namespaces {
        headers.insert(0, "NAMESPACE");
    }
    if view.wide {
        headers.extend(["LEADER", "LAST BACKUP"]);
    }
    let rows: Vec<Vec<String>> = clusters
        .iter()
        .map(|cluster| {
            let status = cluster.status.clone().unwrap_or_default();
            let or_none = |value: Option<String>| value.unwrap_or_else(|| NONE.to_string());
            let mut row = vec![
                cluster.name_any(),
                cluster.spec.size.to_string(),
                or_none(status.ready.clone()),
                or_none(status.current_version.clone()),
                or_none(status.phase.map(|p| format!("{p:?}"))),
                age(cluster.metadata.creation_timestamp.as_ref(), now),
            ];
            if view.all_namespaces {
                row.insert(0, cluster.namespace().unwrap_or_default());
            }
            if view.wide {
                row.push(or_none(status.leader.clone()));
                let backup = status.last_backup.as_ref().and_then(|b| b.completed_at.as_ref());
                row.push(backup.map_or_else(|| NONE.to_string(), |t| age(Some(t), now)));
            }
            row
        })
        .collect();
    let tone_of = |at: usize| {
        let phase = clusters.get(at).and_then(|c| c.status.as_ref()).and_then(|s| s.phase);
        phase_tone(phase).filter(|tone| *tone != Tone::Good)
    };
    table::render_toned(view.headers.then_some(headers.as_slice()), &rows, tone_of, palette)
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use shared::crd::{EtcdClusterSpec, SnapshotInfo};

    use super::*;
    use crate::commands::status::tests::sample;

    fn clusters(now: Timestamp) -> Vec<EtcdCluster> {
        let mut demo = sample();
        demo.metadata.creation_timestamp = Some(Time(now - std::time::Duration::from_secs(200)));
        if let Some(status) = demo.status.as_mut() {
            status.last_backup = Some(SnapshotInfo {
                location: "s3://b/demo.db".into(),
                sha256: "0".repeat(64),
                size_bytes: 20480,
                revision: 7,
                etcd_version: "3.5.30".into(),
                member: None,
                completed_at: Some(Time(now - std::time::Duration::from_secs(45))),
            });
        }
        let spec: EtcdClusterSpec =
            serde_json::from_value(json!({"size": 5, "version": "3.4.23"})).expect("spec");
        let mut fresh = EtcdCluster::new("fresh", spec);
        fresh.metadata.namespace = Some("team-a".into());
        fresh.metadata.creation_timestamp = Some(Time(now - std::time::Duration::from_secs(3)));
        vec![demo, fresh]
    }

    #[test]
    fn table_golden() {
        let now = Timestamp::from_second(1_700_000_000).expect("valid");
        let view = View { all_namespaces: false, wide: false, headers: true };
        assert_eq!(
            render(&clusters(now)[..1], view, now, Palette::PLAIN),
            "NAME   SIZE   READY   VERSION   PHASE     AGE\n\
             demo   3      3/3     3.5.30    Running   3m20s\n"
        );
        let view = View { all_namespaces: true, wide: true, headers: true };
        assert_eq!(
            render(&clusters(now), view, now, Palette::PLAIN),
            "NAMESPACE   NAME    SIZE   READY    VERSION   PHASE     AGE     LEADER   LAST BACKUP\n\
             default     demo    3      3/3      3.5.30    Running   3m20s   demo-0   45s\n\
             team-a      fresh   5      <none>   <none>    <none>    3s      <none>   <none>\n"
        );
        let view = View { all_namespaces: false, wide: false, headers: false };
        assert_eq!(
            render(&clusters(now)[..1], view, now, Palette::PLAIN),
            "demo   3   3/3   3.5.30   Running   3m20s\n"
        );
    }
}
