//! The answer to kubectl's plugin completion protocol: one candidate a line (with an
//! optional tab and description), then a line `:<directive>` as cobra's ShellCompDirective
//! (0: the shell may complete file names, 4: it must not). Candidates that need the
//! cluster (EtcdClusters, namespaces) are asked for with a short time limit; when the
//! cluster cannot be reached there are none, and no error is printed.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::ListParams;

use super::words::{Request, Slot, read};
use crate::client::{self, KubeArgs};

/// cobra's `ShellCompDirectiveDefault`: the shell may also complete file names.
pub const DIRECTIVE_FILES: u32 = 0;
/// cobra's `ShellCompDirectiveNoFileComp`: only the candidates given.
pub const DIRECTIVE_NO_FILES: u32 = 4;

/// How long the cluster may take to list EtcdClusters or namespaces: a shell waits for it.
const CLUSTER_TIME_LIMIT: Duration = Duration::from_secs(2);

/// Subcommands whose NAME is a new cluster, not one to complete.
const NAMES_A_NEW_CLUSTER: &[&str] = &["create", "restore"];

/// A candidate and what it is.
#[derive(Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The word offered.
    pub word: String,
    /// Shown beside it by shells that show descriptions.
    pub description: Option<String>,
}

/// Answers the completion request `words` (the words after `kubectl etcd`, the last one
/// being completed) on stdout.
pub async fn respond(mut root: clap::Command, words: Vec<String>) -> ExitCode {
    root.build();
    let request = read(&root, &words);
    let (candidates, directive) = complete(&request).await;
    let mut out = std::io::stdout().lock();
    let mut text = String::new();
    for candidate in candidates.iter().filter(|c| c.word.starts_with(&request.current)) {
        text.push_str(&candidate.word);
        if let Some(description) = &candidate.description {
            text.push('\t');
            text.push_str(description);
        }
        text.push('\n');
    }
    text.push_str(&format!(":{directive}\n"));
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(crate::exit::ERROR),
    }
}

/// The candidates for the request, unfiltered, and the directive.
async fn complete(request: &Request<'_>) -> (Vec<Candidate>, u32) {
    let command = request.command;
    match &request.slot {
        Slot::Subcommand => {
            let subcommands = command.get_subcommands().filter(|s| !s.is_hide_set());
            let candidates = subcommands.map(|s| candidate(s.get_name(), s.get_about())).collect();
            (candidates, DIRECTIVE_NO_FILES)
        }
        Slot::Flag => (flags(command, request.current.starts_with("--")), DIRECTIVE_NO_FILES),
        Slot::Value(id) => match id.as_str() {
            "version" | "to" => (versions(), DIRECTIVE_NO_FILES),
            "namespace" => (namespaces(&request.connection).await, DIRECTIVE_NO_FILES),
            "context" | "cluster" | "user" => (kubeconfig_names(&request.connection, id), DIRECTIVE_NO_FILES),
            _ => values_of(command, id),
        },
        Slot::Positional(id) if id == "name" => {
            if NAMES_A_NEW_CLUSTER.contains(&command.get_name()) {
                (Vec::new(), DIRECTIVE_NO_FILES)
            } else {
                (clusters(&request.connection).await, DIRECTIVE_NO_FILES)
            }
        }
        Slot::Positional(_) => (Vec::new(), DIRECTIVE_FILES),
        Slot::Nothing => (Vec::new(), DIRECTIVE_NO_FILES),
    }
}

fn candidate(word: &str, description: Option<&clap::builder::StyledStr>) -> Candidate {
    let description = description.map(|d| d.to_string()).and_then(|d| d.lines().next().map(str::to_string));
    Candidate { word: word.to_string(), description }
}

/// The visible flags of the command: long ones, and short ones too unless `--` was typed.
fn flags(command: &clap::Command, long_only: bool) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for arg in command.get_arguments().filter(|a| !a.is_positional() && !a.is_hide_set()) {
        if let Some(long) = arg.get_long() {
            candidates.push(candidate(&format!("--{long}"), arg.get_help()));
        }
        if let Some(short) = arg.get_short().filter(|_| !long_only) {
            candidates.push(candidate(&format!("-{short}"), arg.get_help()));
        }
    }
    candidates
}

/// The etcd versions the plugin knows, newest first; the default one says so.
fn versions() -> Vec<Candidate> {
    let default = shared::version::default_version().to_string();
    let known = shared::version::KNOWN_VERSIONS.iter().rev();
    known
        .map(|v| Candidate {
            word: v.to_string(),
            description: Some(match v.parse().ok().and_then(shared::advisory::advisory) {
                Some(_) => "etcd, under an etcd advisory: tests only (--force)".into(),
                None if *v == default => "etcd, default".into(),
                None => "etcd".into(),
            }),
        })
        .collect()
}

/// The choices of a flag with a fixed set of values; a file name for a path.
fn values_of(command: &clap::Command, id: &str) -> (Vec<Candidate>, u32) {
    let Some(arg) = command.get_arguments().find(|a| a.get_id() == id) else {
        return (Vec::new(), DIRECTIVE_NO_FILES);
    };
    let wants_path =
        matches!(
            arg.get_value_hint(),
            clap::ValueHint::AnyPath | clap::ValueHint::FilePath | clap::ValueHint::DirPath
        ) || arg.get_value_names().is_some_and(|names| names.iter().any(|n| n == "PATH" || n == "FILE"));
    if wants_path {
        return (Vec::new(), DIRECTIVE_FILES);
    }
    let choices = arg.get_possible_values().into_iter().filter(|v| !v.is_hide_set());
    (choices.map(|v| candidate(v.get_name(), v.get_help())).collect(), DIRECTIVE_NO_FILES)
}

/// The contexts, clusters or users (as `kind` says) of the kubeconfig, read locally.
fn kubeconfig_names(connection: &KubeArgs, kind: &str) -> Vec<Candidate> {
    let Ok(kubeconfig) = connection.read_kubeconfig() else { return Vec::new() };
    let names: Vec<&String> = match kind {
        "context" => kubeconfig.contexts.iter().map(|c| &c.name).collect(),
        "cluster" => kubeconfig.clusters.iter().map(|c| &c.name).collect(),
        _ => kubeconfig.auth_infos.iter().map(|u| &u.name).collect(),
    };
    names.into_iter().map(|name| Candidate { word: name.clone(), description: None }).collect()
}

/// The EtcdClusters of the namespace, with their size and version.
async fn clusters(connection: &KubeArgs) -> Vec<Candidate> {
    let listed = within_limit(async {
        let connection = open(connection).await?;
        let list = connection.clusters().list(&ListParams::default()).await.ok()?;
        Some(
            list.items
                .into_iter()
                .filter_map(|cluster| {
                    let name = cluster.metadata.name.clone()?;
                    let ready = cluster.status.as_ref().and_then(|s| s.ready.clone());
                    let ready = ready.map(|r| format!(", {r} ready")).unwrap_or_default();
                    let description =
                        format!("etcd {}, {} members{ready}", cluster.spec.version, cluster.spec.size);
                    Some(Candidate { word: name, description: Some(description) })
                })
                .collect(),
        )
    });
    listed.await
}

/// The namespaces of the cluster.
async fn namespaces(connection: &KubeArgs) -> Vec<Candidate> {
    within_limit(async {
        let connection = open(connection).await?;
        let list = Api::<Namespace>::all(connection.client).list(&ListParams::default()).await.ok()?;
        let names = list.items.into_iter().filter_map(|n| n.metadata.name);
        Some(names.map(|word| Candidate { word, description: None }).collect())
    })
    .await
}

/// Runs a lookup for at most [`CLUSTER_TIME_LIMIT`]; nothing when it fails or is late.
async fn within_limit(lookup: impl Future<Output = Option<Vec<Candidate>>>) -> Vec<Candidate> {
    tokio::time::timeout(CLUSTER_TIME_LIMIT, lookup).await.ok().flatten().unwrap_or_default()
}

/// A client as the typed flags describe, whose requests give up after [`CLUSTER_TIME_LIMIT`].
async fn open(connection: &KubeArgs) -> Option<client::Connection> {
    let args = KubeArgs { request_timeout: Some(CLUSTER_TIME_LIMIT), ..connection.clone() };
    client::Connection::open(&args).await.ok()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    async fn answer(words: &[&str]) -> (Vec<String>, u32) {
        let mut root = crate::Cli::command();
        root.build();
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        let (candidates, directive) = complete(&read(&root, &words)).await;
        (candidates.into_iter().map(|c| c.word).collect(), directive)
    }

    #[tokio::test]
    async fn subcommands_flags_and_choices() {
        let (words, directive) = answer(&[""]).await;
        assert!(words.contains(&"status".to_string()) && words.contains(&"upgrade-plan".to_string()));
        assert!(!words.contains(&"__complete".to_string()));
        assert_eq!(directive, DIRECTIVE_NO_FILES);
        let (words, _) = answer(&["status", "-"]).await;
        assert!(words.contains(&"--output".to_string()) && words.contains(&"-o".to_string()), "{words:?}");
        assert!(words.contains(&"--namespace".to_string()), "global flags reach subcommands: {words:?}");
        let (words, _) = answer(&["status", "x", "-o", ""]).await;
        assert_eq!(words, ["json", "yaml", "name"]);
        let (words, directive) = answer(&["create", "x", "--version", ""]).await;
        let mut expected: Vec<&str> = shared::version::KNOWN_VERSIONS.to_vec();
        expected.reverse();
        assert_eq!((words, directive), (expected.iter().map(|v| v.to_string()).collect(), 4));
        let (words, _) = answer(&["list", "--color", ""]).await;
        assert_eq!(words, ["auto", "always", "never"]);
        let (_, directive) = answer(&["--kubeconfig", ""]).await;
        assert_eq!(directive, DIRECTIVE_FILES);
        let (words, _) = answer(&["create", ""]).await;
        assert!(words.is_empty(), "a new name is not completed");
    }
}
