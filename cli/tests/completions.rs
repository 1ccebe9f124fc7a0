//! Completion: the committed scripts in `completions/` are what the plugin generates, and
//! `kubectl_complete-etcd` answers kubectl's plugin completion protocol: candidates, one a
//! line, then `:<directive>`; EtcdClusters come from the namespace the typed words name
//! (end to end on an API-only sandbox).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{create_clusters, expect_code, stdout};
use etcd_sandbox::testkit::TestSandbox;

const REGENERATE: &str = "run `scripts/completions.sh` and commit the result";

fn completions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../completions")
}

fn plugin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-etcd")).args(args).output().expect("kubectl-etcd runs")
}

/// Runs `kubectl_complete-etcd` with the words and an environment without `$KUBECONFIG`
/// unless one is given; returns the candidate words and the directive.
async fn complete(words: &[&str], kubeconfig_env: Option<&Path>) -> (Vec<String>, String) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl_complete-etcd"));
    command.args(words).env_remove("KUBECONFIG");
    if let Some(path) = kubeconfig_env {
        command.env("KUBECONFIG", path);
    }
    let output = command.output().await.expect("kubectl_complete-etcd runs");
    expect_code(&output, 0);
    let text = stdout(&output);
    println!("kubectl_complete-etcd {words:?}\n{text}");
    let mut lines: Vec<&str> = text.lines().collect();
    let directive = lines.pop().expect("at least the directive line");
    assert!(
        directive.starts_with(':') && directive[1..].parse::<u32>().is_ok(),
        "the last line is `:<directive>`: {text}"
    );
    let words = lines.iter().map(|l| l.split('\t').next().unwrap_or(l).to_string()).collect();
    (words, directive.to_string())
}

#[test]
fn committed_scripts_match_the_command_line() {
    for (shell, file) in [
        ("bash", "kubectl-etcd.bash"),
        ("zsh", "_kubectl-etcd"),
        ("fish", "kubectl-etcd.fish"),
        ("powershell", "kubectl-etcd.ps1"),
    ] {
        let path = completions_dir().join(file);
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} is missing ({e}): {REGENERATE}", path.display()));
        let output = plugin(&["completion", shell]);
        expect_code(&output, 0);
        assert!(committed == stdout(&output), "{} is stale: {REGENERATE}", path.display());
        assert!(committed.contains("kubectl-etcd") && committed.contains("upgrade-plan"), "{file}");
    }
    let checked = Command::new("bash")
        .arg("-n")
        .arg(completions_dir().join("kubectl-etcd.bash"))
        .status()
        .expect("bash runs");
    assert!(checked.success(), "the bash script parses");
}

#[test]
fn completion_kubectl_explains_the_completer() {
    let output = plugin(&["completion", "kubectl"]);
    expect_code(&output, 0);
    let text = stdout(&output);
    assert!(text.contains("kubectl_complete-etcd") && text.contains("KREW_ROOT"), "{text}");
    expect_code(&plugin(&["completion", "tcsh"]), 2);
}

#[tokio::test]
async fn versions_subcommands_and_flags_without_a_cluster() {
    let (words, directive) = complete(&["create", "--version", ""], None).await;
    let mut expected: Vec<String> = shared::version::KNOWN_VERSIONS.iter().map(|v| v.to_string()).collect();
    expected.reverse();
    assert_eq!((words, directive.as_str()), (expected, ":4"));
    let (words, _) = complete(&["upgrade", "demo", "--to=3.5"], None).await;
    assert!(!words.is_empty() && words.iter().all(|w| w.starts_with("3.5")), "{words:?}");
    let (words, directive) = complete(&["up"], None).await;
    assert_eq!((words, directive.as_str()), (vec!["upgrade-plan".to_string(), "upgrade".to_string()], ":4"));
    let (words, _) = complete(&["scale", "demo", "--"], None).await;
    assert!(words.contains(&"--size".to_string()) && words.contains(&"--wait".to_string()), "{words:?}");
    let (words, directive) = complete(&["validate", "-f", ""], None).await;
    assert_eq!((words.len(), directive.as_str()), (0, ":0"), "file names for -f");
}

#[tokio::test]
async fn no_cluster_no_candidates_and_no_noise() {
    let missing = Path::new("/nonexistent/kubeconfig");
    let (words, directive) = complete(&["status", ""], Some(missing)).await;
    assert_eq!((words.len(), directive.as_str()), (0, ":4"));
    let (words, directive) = complete(&["--kubeconfig", "/nonexistent/kubeconfig", "status", ""], None).await;
    assert_eq!((words.len(), directive.as_str()), (0, ":4"));
}

#[tokio::test]
async fn cluster_names_of_the_namespace_the_words_name() {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    create_clusters(&sb.client, "other", &[("default", "alpha"), ("default", "beta"), ("other", "gamma")])
        .await;
    let kubeconfig = sb.kubeconfig();
    let kc = kubeconfig.to_str().expect("a UTF-8 path");
    let (names, directive) = complete(&["--kubeconfig", kc, "status", ""], None).await;
    assert_eq!((names, directive.as_str()), (vec!["alpha".to_string(), "beta".to_string()], ":4"));
    let (names, _) = complete(&["status", ""], Some(&kubeconfig)).await;
    assert_eq!(names, ["alpha", "beta"], "$KUBECONFIG is honoured");
    let (names, _) = complete(&["delete", "-n", "other", ""], Some(&kubeconfig)).await;
    assert_eq!(names, ["gamma"], "-n names the namespace");
    let (names, _) = complete(&["scale", "--namespace=other", "--kubeconfig", kc, "g"], None).await;
    assert_eq!(names, ["gamma"]);
    let (names, _) = complete(&["pause", "b"], Some(&kubeconfig)).await;
    assert_eq!(names, ["beta"], "the typed prefix filters");
    let (names, directive) = complete(&["create", ""], Some(&kubeconfig)).await;
    assert_eq!((names.len(), directive.as_str()), (0, ":4"), "create names a new cluster");
    let (names, _) = complete(&["status", "-n", ""], Some(&kubeconfig)).await;
    assert!(names.contains(&"other".to_string()) && names.contains(&"default".to_string()), "{names:?}");
    sb.stop().await;
}
