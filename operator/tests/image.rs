//! The operator image that `scripts/image.sh` writes (an OCI image archive, built without a
//! container engine) runs: the archive is unpacked by following index.json -> manifest ->
//! config and layers, each blob checked against its digest, and `etcd-operator --help` runs
//! from the unpacked root filesystem under chroot as the config's non-root user, finding
//! every shared library it needs inside the image. Building twice gives the same digest.
//!
//! Runs as root (chroot), as CI does; fails, saying so, otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(command: &mut Command) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{command:?} runs: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs scripts/image.sh on the built binary; returns the manifest digest it printed.
fn build_image(archive: &Path) -> String {
    let output = run(Command::new(repository().join("scripts/image.sh"))
        .arg("--binary")
        .arg(env!("CARGO_BIN_EXE_etcd-operator"))
        .arg("--output")
        .arg(archive)
        .arg("--image")
        .arg("registry.example.com/platform/etcd-operator:v0.1.0-test"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let (path, digest) = stdout.trim().split_once(' ').expect("`PATH DIGEST` on stdout");
    assert_eq!(Path::new(path), archive);
    digest.to_string()
}

/// The blob of `digest` in the unpacked layout, checked against its digest and size.
fn blob(layout: &Path, descriptor: &Value) -> Vec<u8> {
    let digest = descriptor["digest"].as_str().expect("a digest");
    let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
    let bytes = std::fs::read(layout.join("blobs/sha256").join(hex)).expect("the blob is in the layout");
    assert_eq!(format!("{:x}", Sha256::digest(&bytes)), hex, "blob content matches its digest");
    assert_eq!(descriptor["size"].as_u64(), Some(bytes.len() as u64), "descriptor size of {digest}");
    bytes
}

fn json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON")
}

#[test]
fn the_image_runs_the_operator_as_a_non_root_user() {
    let is_root = run(Command::new("id").arg("-u")).stdout == b"0\n";
    assert!(is_root, "this test unpacks the image and runs it with chroot: run it as root (as CI does)");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let archive = dir.path().join("etcd-operator.oci.tar");
    let digest = build_image(&archive);

    let layout = dir.path().join("layout");
    std::fs::create_dir(&layout).expect("mkdir");
    run(Command::new("tar").arg("-xf").arg(&archive).arg("-C").arg(&layout));
    assert_eq!(
        json(&std::fs::read(layout.join("oci-layout")).expect("oci-layout")),
        serde_json::json!({"imageLayoutVersion": "1.0.0"})
    );
    let index = json(&std::fs::read(layout.join("index.json")).expect("index.json"));
    let descriptors = index["manifests"].as_array().expect("manifests");
    assert_eq!(descriptors.len(), 1, "one image: {index}");
    assert_eq!(descriptors[0]["digest"].as_str(), Some(digest.as_str()), "the digest image.sh printed");
    assert_eq!(descriptors[0]["annotations"]["org.opencontainers.image.ref.name"], "v0.1.0-test");
    let manifest = json(&blob(&layout, &descriptors[0]));
    assert_eq!(manifest["mediaType"], "application/vnd.oci.image.manifest.v1+json");
    let config = json(&blob(&layout, &manifest["config"]));
    println!("config: {config}");

    let user = config["config"]["User"].as_str().expect("the config names a user");
    let (uid, gid) = user.split_once(':').expect("UID:GID");
    assert!(uid.parse::<u32>().expect("a numeric uid") != 0, "not root: {user}");
    assert!(gid.parse::<u32>().expect("a numeric gid") != 0, "not root's group: {user}");
    assert_eq!(config["config"]["Entrypoint"], serde_json::json!(["/usr/local/bin/etcd-operator"]));
    let env: Vec<&str> =
        config["config"]["Env"].as_array().expect("Env").iter().filter_map(Value::as_str).collect();
    assert!(env.iter().any(|e| e.starts_with("PATH=")), "{env:?}");
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(
        config["rootfs"]["diff_ids"].as_array().map(Vec::len),
        Some(layers.len()),
        "a diff_id per layer"
    );

    let root = dir.path().join("root");
    std::fs::create_dir(&root).expect("mkdir");
    for layer in layers {
        let path = dir.path().join("layer");
        std::fs::write(&path, blob(&layout, layer)).expect("writes the layer");
        assert_eq!(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar+gzip");
        run(Command::new("tar").arg("-xzf").arg(&path).arg("-C").arg(&root));
    }
    let passwd = std::fs::read_to_string(root.join("etc/passwd")).expect("/etc/passwd in the image");
    assert!(passwd.contains(&format!(":{uid}:{gid}:")), "the user is in /etc/passwd: {passwd}");
    assert!(root.join("etc/ssl/certs/ca-certificates.crt").is_file(), "CA roots for object stores");

    // Only what is inside the image: chroot leaves the host's libraries outside, and no
    // LD_LIBRARY_PATH or the like comes along (PATH only finds chroot itself).
    let output = run(Command::new("chroot")
        .arg(format!("--userspec={uid}:{gid}"))
        .arg(&root)
        .args(["/usr/local/bin/etcd-operator", "--help"])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default()));
    let help = String::from_utf8_lossy(&output.stdout);
    println!("{help}");
    assert!(help.contains("Runs etcd clusters described by EtcdCluster resources"), "{help}");
    assert!(help.contains("Usage: etcd-operator <COMMAND>"), "{help}");

    let again = build_image(&dir.path().join("again.oci.tar"));
    assert_eq!(again, digest, "the same binary gives the same image");
}
