//! The plugin through the real kubectl, as a user installs it: the built `kubectl-etcd` and
//! `kubectl_complete-etcd` in a folder on PATH, `kubectl plugin list` finds them,
//! `kubectl etcd ...` runs them, and `kubectl etcd <TAB>` completes through kubectl's
//! plugin completion. kubectl 1.26+ must be on PATH (`scripts/prereqs.sh` checks it);
//! without it this test fails and says how to install it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

/// kubectl on PATH, or a failure that says how to get it.
fn kubectl() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("kubectl"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "kubectl is not on PATH, so the plugin cannot be tested through it. Install kubectl 1.26 or \
                 newer (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/), e.g. at \
                 /usr/bin/kubectl, then run scripts/prereqs.sh, which checks it"
            )
        })
}

/// A folder holding links to the built plugin binaries, as krew or a user would put them
/// on PATH.
fn install_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, built) in [
        ("kubectl-etcd", env!("CARGO_BIN_EXE_kubectl-etcd")),
        ("kubectl_complete-etcd", env!("CARGO_BIN_EXE_kubectl_complete-etcd")),
    ] {
        std::os::unix::fs::symlink(built, dir.path().join(name)).expect("plugin linked");
    }
    dir
}

/// Runs kubectl with PATH = the plugin folder, then kubectl's own folder (so no other
/// plugin is found), and no kubeconfig.
fn run(kubectl: &Path, plugins: &Path, args: &[&str]) -> Output {
    let kubectl_dir = kubectl.parent().expect("kubectl is in a folder");
    let path = std::env::join_paths([plugins, kubectl_dir]).expect("a PATH");
    let started = Instant::now();
    let output = Command::new(kubectl)
        .args(args)
        .env("PATH", path)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .output()
        .expect("kubectl runs");
    println!(
        "kubectl {} -> {:?} in {:.1} ms\n{}{}",
        args.join(" "),
        output.status.code(),
        started.elapsed().as_secs_f64() * 1000.0,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout_of(output: &Output) -> String {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn kubectl_finds_runs_and_completes_the_plugin() {
    let kubectl = kubectl();
    let plugins = install_dir();
    let dir = plugins.path();

    let listed = stdout_of(&run(&kubectl, dir, &["plugin", "list"]));
    let expected = dir.join("kubectl-etcd").display().to_string();
    assert!(listed.lines().any(|l| l.trim() == expected), "kubectl plugin list names {expected}:\n{listed}");

    let help = stdout_of(&run(&kubectl, dir, &["etcd", "--help"]));
    assert!(help.contains("Usage: kubectl etcd [OPTIONS] <COMMAND>"), "{help}");
    assert!(help.contains("Examples:") && help.contains("upgrade-plan"), "{help}");

    let version = stdout_of(&run(&kubectl, dir, &["etcd", "version", "--client"]));
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    let version = stdout_of(&run(&kubectl, dir, &["etcd", "version", "--client", "-o", "json"]));
    let parsed: serde_json::Value = serde_json::from_str(&version).expect("JSON");
    assert_eq!(parsed["plugin"], env!("CARGO_PKG_VERSION"), "{version}");

    // What `kubectl etcd st<TAB>` asks: kubectl runs kubectl_complete-etcd from PATH.
    let completed = stdout_of(&run(&kubectl, dir, &["__complete", "etcd", "st"]));
    assert!(completed.lines().any(|l| l.starts_with("status\t")), "{completed}");
    assert!(completed.lines().any(|l| l == ":4"), "{completed}");

    // kubectl passes the exit code through: a wrong command line exits 2.
    let wrong = run(&kubectl, dir, &["etcd", "no-such-command"]);
    assert_eq!(wrong.status.code(), Some(2));
}
