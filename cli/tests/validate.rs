//! `kubectl etcd validate` as a script uses it: verdicts on stdout, exit codes that say
//! what happened, the committed examples all valid.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn plugin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"))
        .args(args)
        .current_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".."))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("plugin starts");
    if let Some(input) = stdin {
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("plugin ends")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn committed_examples_are_valid() {
    let out = plugin(
        &[
            "validate",
            "-f",
            "examples/cluster.yaml",
            "-f",
            "examples/backup-scheduled.yaml",
            "-f",
            "examples/restore.yaml",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    for resource in ["etcdcluster/demo", "etcdbackup/demo-every-6h", "etcdrestore/demo-restore"] {
        assert!(text.contains(&format!("{resource} (")) && text.contains("valid"), "{text}");
    }
}

#[test]
fn invalid_manifest_is_refused_with_every_reason_and_exit_3() {
    let out = plugin(&["validate", "-f", "examples/invalid-cluster.yaml"], None);
    assert_eq!(out.status.code(), Some(3));
    let text = stdout(&out);
    assert!(text.contains("etcdcluster/broken (examples/invalid-cluster.yaml): invalid"), "{text}");
    assert!(
        text.contains("spec.size: Invalid value: 10: spec.size in body should be less than or equal to 9\n"),
        "{text}"
    );
    assert!(
        text.contains("spec.storage: size and storageClassName apply only to Persistent storage"),
        "{text}"
    );
}

#[test]
fn reads_stdin_reports_json_and_skips_other_kinds() {
    let input = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n---\n\
                 apiVersion: etcd.kubectl-etcd.dev/v1alpha1\nkind: EtcdCluster\nmetadata: {name: one}\nspec: {version: v3.4.23, size: 1}\n---\n";
    let out = plugin(&["validate", "-f", "-", "-o", "json"], Some(input));
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(report.as_array().map(Vec::len), Some(1), "{report}");
    assert_eq!(report[0]["name"], "one");
    assert_eq!(report[0]["valid"], true);
    assert!(String::from_utf8_lossy(&out.stderr).contains("skipped ConfigMap/other"));
}

#[test]
fn unreadable_file_is_an_error_and_bad_flags_are_usage_errors() {
    let out = plugin(&["validate", "-f", "no/such/file.yaml"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read no/such/file.yaml"));
    assert!(out.stdout.is_empty(), "nothing on stdout when nothing was checked");

    let out = plugin(&["validate", "--no-such-flag"], None);
    assert_eq!(out.status.code(), Some(2));
}
