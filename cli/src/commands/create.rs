//! `kubectl etcd create NAME`: builds an EtcdCluster from a few flags, checks it against
//! the rules the API server enforces, creates it and optionally waits until it runs. On a
//! terminal it asks for the values the flags left out ([`wizard`]).

pub(crate) mod wizard;

use std::time::{Duration, Instant};

use kube::CustomResourceExt;
use kube::api::PostParams;
use serde_json::Value;
use shared::crd::{
    API_VERSION, DEFAULT_SIZE, EtcdCluster, EtcdClusterSpec, EtcdSettings, MaintenanceSpec, PodPolicy,
    RetainPolicy, StorageKind, StorageSpec,
};
use shared::names::DEFAULT_REPOSITORY;
use shared::validate::{FieldViolation, ResourceSchema};
use shared::version::{EtcdVersion, default_version};

use crate::client::{self, ConnectError, Connection, KubeArgs, parse_duration};
use crate::exit::Outcome;
use crate::output::progress::{WaitError, wait_and_summarize};
use crate::output::structured::{self, Structured};

/// Volume size of each member when `--storage` is not given.
const DEFAULT_STORAGE: &str = "1Gi";

/// Create an etcd cluster.
#[derive(Clone, Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd create demo              # on a terminal, asks for size, version and storage\n  \
    kubectl etcd create demo --yes        # the defaults: 3 members, the newest version, 1Gi volumes\n  \
    kubectl etcd create demo --size 5 --version 3.5.1 --storage 8Gi --storage-class fast-ssd\n  \
    kubectl etcd create scratch --size 1 --storage ephemeral --wait --timeout 2m\n  \
    kubectl etcd create demo --dry-run -o yaml > demo.yaml\n\n\
    The cluster is checked against the same schema and rules the API server enforces before anything \
    is sent: a refused cluster exits 3 with every reason. On a terminal, the values not given on the \
    command line (--size, --version, --storage) are asked for, each answer is checked, and a summary is \
    confirmed before anything is created (declining exits 3). Without a terminal, or with --yes or \
    --dry-run, nothing is asked and the defaults apply. With --wait, progress goes to stderr and the \
    command exits 6 if the cluster does not run at its size within --timeout.")]
pub struct Args {
    /// Name of the cluster; it also names the member Pods (`NAME-0`, ...), their volumes and Services.
    name: String,

    /// Number of voting members, 1 to 9. Odd sizes are recommended. Default: 3.
    #[arg(long, allow_negative_numbers = true)]
    size: Option<i32>,

    /// etcd version, e.g. 3.5.30. Default: the newest tested version. Releases under one of
    /// etcd's advisories (3.4.0-3.4.20, 3.5.0-3.5.5) are refused unless --force.
    #[arg(long, value_name = "VERSION")]
    version: Option<String>,

    /// Allow a version etcd advises against, or a minor version the project does not
    /// support (sets the etcd.kubectl-etcd.dev/allow-unsupported-version annotation). For
    /// tests only: nothing else is forced.
    #[arg(long)]
    force: bool,

    /// Volume size of each member (a quantity such as 8Gi), or `ephemeral` for data in an
    /// emptyDir that is lost with its Pod. Default: 1Gi, persistent.
    #[arg(long, value_name = "SIZE|ephemeral")]
    storage: Option<String>,

    /// StorageClass of the members' volumes. Default: the cluster's default class.
    #[arg(long, value_name = "CLASS")]
    storage_class: Option<String>,

    /// Image repository of etcd; the tag is `v<version>`.
    #[arg(long, value_name = "REPOSITORY", default_value = DEFAULT_REPOSITORY)]
    repository: String,

    /// Print the EtcdCluster instead of creating it (YAML unless -o json). Reads no
    /// kubeconfig and sends nothing.
    #[arg(long)]
    dry_run: bool,

    /// Print the resource as json or yaml (with --dry-run; otherwise the created object).
    #[arg(short = 'o', long = "output", value_enum)]
    output: Option<Structured>,

    /// Wait until the cluster runs with all its members ready.
    #[arg(long)]
    wait: bool,

    /// How long --wait waits, e.g. 90s or 5m.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    timeout: Duration,

    /// Create without asking: values not given take their defaults. Without a terminal
    /// nothing is asked anyway.
    #[arg(short = 'y', long)]
    yes: bool,
}

/// Why the cluster could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// No client could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The API refused or did not answer.
    #[error("cannot create etcdcluster {name}: {message}")]
    Api {
        /// The cluster.
        name: String,
        /// What the API said.
        message: String,
    },
    /// The schema of the resource could not be used (a bug).
    #[error("cannot check the cluster: {0}")]
    Schema(String),
    /// The resource could not be printed.
    #[error("cannot print the cluster: {0}")]
    Print(String),
    /// A question could not be asked.
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    /// The wait could not go on.
    #[error(transparent)]
    Wait(#[from] WaitError),
}

/// Runs the command.
pub async fn run(kube: &KubeArgs, args: &Args) -> Result<Outcome, CreateError> {
    let namespace = kube.namespace.as_deref();
    let on_terminal = crate::prompt::on_terminal();
    let asking = wizard::should_ask(args, on_terminal);
    let answered;
    let args = if asking {
        // What the flags already break is refused before any question.
        if let Err(error) = build(args, namespace) {
            return refuse(&args.name, error);
        }
        answered = crate::prompt::answered!(crate::prompt::answer(wizard::ask(args).await, "not created"));
        &answered
    } else {
        args
    };
    let cluster = match build(args, namespace) {
        Ok(cluster) => cluster,
        Err(error) => return refuse(&args.name, error),
    };
    if cluster.spec.size % 2 == 0 {
        eprintln!(
            "warning: size {} is even: it tolerates no more failed members than size {}, and every write \
             waits for one more member",
            cluster.spec.size,
            cluster.spec.size - 1
        );
    }
    if args.dry_run {
        print!(
            "{}",
            structured::render(&cluster, args.output.unwrap_or(Structured::Yaml))
                .map_err(CreateError::Print)?
        );
        return Ok(Outcome::Success);
    }

    let connection = Connection::open(kube).await?;
    if asking {
        let summary = wizard::summary(&cluster, &connection.namespace);
        crate::prompt::answered!(crate::prompt::go_ahead(summary, true, "not created").await);
    }
    let mut cluster = cluster;
    cluster.metadata.namespace = Some(connection.namespace.clone());
    let started = Instant::now();
    let created = match connection.clusters().create(&PostParams::default(), &cluster).await {
        Ok(created) => created,
        Err(e) if client::is_already_exists(&e) => {
            eprintln!(
                "refused: etcdcluster {name} already exists in namespace {ns}: nothing was changed. To change \
                 it, use `kubectl etcd scale {name} --size N`, or edit spec.version to upgrade it \
                 (`kubectl edit etcd {name} -n {ns}`)",
                name = args.name,
                ns = connection.namespace
            );
            return Ok(Outcome::Refused);
        }
        Err(e) if client::is_invalid(&e) => {
            eprintln!("refused by the API server: {}", client::describe(&e));
            return Ok(Outcome::Refused);
        }
        Err(e) => return Err(CreateError::Api { name: args.name.clone(), message: client::describe(&e) }),
    };
    let note = |line: String| if args.output.is_some() { eprintln!("{line}") } else { println!("{line}") };
    note(format!("etcdcluster/{} created in namespace {}", args.name, connection.namespace));
    let (outcome, last) = if args.wait {
        let (outcome, last) =
            wait_and_summarize(&connection, &args.name, args.timeout, started, note).await?;
        (outcome, last.unwrap_or(created))
    } else {
        (Outcome::Success, created)
    };
    if let Some(format) = args.output {
        print!("{}", structured::render(&last, format).map_err(CreateError::Print)?);
    }
    Ok(outcome)
}

/// Says why the cluster was not built: a refusal (exit 3), or an error.
fn refuse(name: &str, error: BuildError) -> Result<Outcome, CreateError> {
    match error {
        BuildError::Refused(reasons) => {
            eprintln!("refused: etcdcluster {name} was not created:");
            for reason in reasons {
                eprintln!("  {reason}");
            }
            Ok(Outcome::Refused)
        }
        BuildError::Schema(message) => Err(CreateError::Schema(message)),
    }
}

/// Why no cluster was built.
#[derive(Debug)]
enum BuildError {
    /// The flags break rules: each reason, for the user.
    Refused(Vec<String>),
    /// The schema could not be used.
    Schema(String),
}

/// The EtcdCluster the flags describe, checked as the API server would check it.
fn build(args: &Args, namespace: Option<&str>) -> Result<EtcdCluster, BuildError> {
    let version =
        check_version(args.version.as_deref(), args.force).map_err(|r| BuildError::Refused(vec![r]))?;
    let (kind, size) = parse_storage(args.storage.as_deref());
    let spec = EtcdClusterSpec {
        size: args.size.unwrap_or(DEFAULT_SIZE),
        version: version.to_string(),
        repository: args.repository.clone(),
        storage: StorageSpec {
            kind,
            size,
            storage_class_name: args.storage_class.clone(),
            retain_policy: RetainPolicy::default(),
        },
        pod: PodPolicy::default(),
        paused: false,
        tls: None,
        backup: None,
        bootstrap: None,
        etcd: EtcdSettings::default(),
        maintenance: MaintenanceSpec::default(),
    };
    let mut cluster = EtcdCluster::new(&args.name, spec);
    cluster.metadata.namespace = namespace.map(str::to_string);
    if args.force {
        cluster.metadata.annotations = Some(
            [(shared::names::ALLOW_UNSUPPORTED_VERSION_ANNOTATION.to_string(), "true".to_string())].into(),
        );
    }
    let schema = ResourceSchema::from_crd(&EtcdCluster::crd(), API_VERSION)
        .map_err(|e| BuildError::Schema(e.to_string()))?;
    let value: Value = serde_json::to_value(&cluster).map_err(|e| BuildError::Schema(e.to_string()))?;
    schema.validate(&value, None).map_err(|violations| {
        BuildError::Refused(violations.iter().map(FieldViolation::to_string).collect())
    })?;
    Ok(cluster)
}

/// The version to create: the flag's (well-formed, of a supported minor version and under
/// none of etcd's advisories, unless forced), else the default.
fn check_version(flag: Option<&str>, force: bool) -> Result<EtcdVersion, String> {
    let Some(text) = flag else { return Ok(default_version()) };
    let version: EtcdVersion = text.parse().map_err(|e: shared::version::ParseVersionError| e.to_string())?;
    shared::version::check_new_cluster_version(version, force).map_err(|e| e.to_string())?;
    Ok(version)
}

/// `--storage`: `ephemeral` (any case), else a persistent volume size (default 1Gi).
fn parse_storage(flag: Option<&str>) -> (StorageKind, Option<String>) {
    match flag {
        Some(text) if text.eq_ignore_ascii_case("ephemeral") => (StorageKind::Ephemeral, None),
        Some(size) => (StorageKind::Persistent, Some(size.to_string())),
        None => (StorageKind::Persistent, Some(DEFAULT_STORAGE.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Test {
        #[command(flatten)]
        args: Args,
    }

    pub(super) fn args(flags: &[&str]) -> Args {
        Test::try_parse_from(std::iter::once("create").chain(flags.iter().copied()))
            .expect("flags parse")
            .args
    }

    fn refused(flags: &[&str]) -> Vec<String> {
        match build(&args(flags), None) {
            Err(BuildError::Refused(reasons)) => reasons,
            other => panic!("{flags:?} should be refused: {other:?}"),
        }
    }

    #[test]
    fn defaults_make_a_valid_three_member_persistent_cluster() {
        let cluster = build(&args(&["demo"]), Some("ns")).expect("valid");
        assert_eq!(cluster.spec.size, 3);
        assert_eq!(cluster.spec.version, default_version().to_string());
        assert_eq!(cluster.spec.repository, DEFAULT_REPOSITORY);
        assert_eq!(cluster.spec.storage.kind, StorageKind::Persistent);
        assert_eq!(cluster.spec.storage.size.as_deref(), Some("1Gi"));
        assert_eq!(cluster.metadata.namespace.as_deref(), Some("ns"));
    }

    #[test]
    fn storage_is_ephemeral_or_a_size() {
        assert_eq!(parse_storage(Some("Ephemeral")), (StorageKind::Ephemeral, None));
        assert_eq!(parse_storage(Some("8Gi")), (StorageKind::Persistent, Some("8Gi".into())));
        let cluster = build(&args(&["demo", "--storage", "ephemeral", "--size", "1"]), None).expect("valid");
        assert_eq!((cluster.spec.storage.kind, cluster.spec.storage.size), (StorageKind::Ephemeral, None));
        let reasons = refused(&["demo", "--storage", "ephemeral", "--storage-class", "fast"]);
        assert!(reasons.iter().any(|r| r.contains("apply only to Persistent storage")), "{reasons:?}");
        let reasons = refused(&["demo", "--storage", "lots"]);
        assert!(reasons.iter().any(|r| r.starts_with("spec.storage.size")), "{reasons:?}");
    }

    #[test]
    fn sizes_outside_the_schema_are_refused() {
        assert_eq!(
            refused(&["demo", "--size", "10"]),
            ["spec.size: Invalid value: 10: spec.size in body should be less than or equal to 9"]
        );
        assert!(refused(&["demo", "--size", "0"])[0].contains("greater than or equal to 1"));
        assert!(build(&args(&["demo", "--size", "4"]), None).is_ok(), "even sizes are allowed");
    }

    #[test]
    fn bad_names_and_versions_are_refused() {
        let reasons = refused(&["Demo"]);
        assert!(reasons[0].contains("the cluster name must be at most 40"), "{reasons:?}");
        let reasons = refused(&["demo", "--version", "3.5"]);
        assert!(reasons[0].contains("\"3.5\" is not an etcd version"), "{reasons:?}");
        let reasons = refused(&["demo", "--version", "3.9.9"]);
        assert_eq!(
            reasons,
            [
                "kubectl-etcd does not support etcd 3.9 (supported: 3.4, 3.5, 3.6): choose 3.5.30, or force it to run 3.9.9 untested"
            ]
        );
        let cluster = build(&args(&["demo", "--version", "v3.4.23"]), None).expect("valid");
        assert_eq!(cluster.spec.version, "3.4.23");
    }
}
