//! The committed reference pages in `docs/reference/` are what the plugin generates from
//! its command-line definition and the custom resource types.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{expect_code, stdout};

const REGENERATE: &str = "run `scripts/reference.sh` and commit the result";

#[test]
fn committed_reference_pages_match_what_they_describe() {
    for (page, file) in [("commands", "commands.md"), ("crds", "crds.md")] {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/reference").join(file);
        let committed = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} is missing ({e}): {REGENERATE}", path.display()));
        let output = Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"))
            .args(["__reference", page])
            .env("KUBECONFIG", "/nonexistent/kubeconfig")
            .output()
            .expect("kubectl-etcd runs");
        expect_code(&output, 0);
        assert!(committed == stdout(&output), "{} is stale: {REGENERATE}", path.display());
    }
}

#[test]
fn an_unknown_page_is_a_usage_error() {
    let output =
        Command::new(env!("CARGO_BIN_EXE_kubectl-etcd")).args(["__reference", "man"]).output().expect("runs");
    expect_code(&output, 2);
    assert!(String::from_utf8_lossy(&output.stderr).contains("__reference commands|crds"));
}
