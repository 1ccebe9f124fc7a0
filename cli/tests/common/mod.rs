//! What the plugin's end-to-end tests share: running the built binary as a user would.

#![allow(dead_code)] // each test file uses a part of this module

use std::path::Path;
use std::process::{Output, Stdio};
use std::time::Instant;

/// Runs the plugin with the sandbox's kubeconfig, without a terminal, and returns its output.
pub async fn plugin(kubeconfig: &Path, args: &[&str]) -> Output {
    let started = Instant::now();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .stdin(Stdio::null())
        .output()
        .await
        .expect("plugin runs");
    println!(
        "kubectl etcd {} -> {:?} in {:.1} s\n{}{}",
        args.join(" "),
        output.status.code(),
        started.elapsed().as_secs_f64(),
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the exit code, showing both streams when it is not the expected one.
pub fn expect_code(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "stdout:\n{}\nstderr:\n{}", stdout(output), stderr(output));
}
