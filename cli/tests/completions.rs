//! Completion: the committed scripts in `completions/` are what the plugin generates.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{expect_code, stdout};

const REGENERATE: &str = "run `scripts/completions.sh` and commit the result";

fn completions_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../completions")
}

fn plugin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-etcd")).args(args).output().expect("kubectl-etcd runs")
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
