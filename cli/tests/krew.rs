//! The krew package: `krew/build.sh` packages the binaries cargo built for these tests (the
//! debug ones, so CI builds nothing more) and renders the manifest; the manifest follows
//! krew's rules, each archive's sha256 is the one the manifest gives, and the archive
//! unpacks and installs as krew does it: entries inside the folder, regular files only,
//! each `files` rule matching, `bin` present and runnable.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;
use sha2::{Digest, Sha256};

/// Every os/arch pair krew users run, to check that no two platforms select the same one.
const OS_ARCH: &[(&str, &str)] = &[
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("linux", "arm"),
    ("linux", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("windows", "386"),
];

/// Runs krew/build.sh on the debug binaries into `out`; panics with its output on failure.
fn build_package(out: &Path) {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kubectl-etcd"));
    let profile_dir = exe.parent().expect("the binary's folder");
    let target_dir = profile_dir.parent().expect("cargo's target folder");
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(other) => other,
        None => panic!("unexpected binary folder {}", profile_dir.display()),
    };
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../krew/build.sh");
    let output = Command::new("bash")
        .arg(&script)
        .args(["--profile", profile, "--no-build", "--out"])
        .arg(out)
        .arg("--target-dir")
        .arg(target_dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run bash {}: {e}", script.display()));
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stderr}");
    assert!(output.status.success(), "krew/build.sh failed ({:?}):\n{stderr}", output.status.code());
}

fn text<'a>(value: &'a Value, path: &str) -> &'a str {
    let mut node = value;
    for key in path.split('.') {
        node = &node[key];
    }
    node.as_str().unwrap_or_else(|| panic!("{path} is a string in the manifest"))
}

fn selects(platform: &Value, os: &str, arch: &str) -> bool {
    let labels = platform["selector"]["matchLabels"].as_mapping().expect("matchLabels");
    labels.iter().all(|(key, value)| match key.as_str() {
        Some("os") => value.as_str() == Some(os),
        Some("arch") => value.as_str() == Some(arch),
        _ => false,
    })
}

/// Unpacks a tar.gz as krew does: only folders and regular files, none outside `into`.
fn unpack(archive: &Path, into: &Path) -> BTreeSet<String> {
    let file = std::fs::File::open(archive).expect("archive opens");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut names = BTreeSet::new();
    for entry in tar.entries().expect("a tar archive") {
        let mut entry = entry.expect("a readable entry");
        let path = entry.path().expect("an entry path").into_owned();
        assert!(
            path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)),
            "{} would land outside the plugin folder",
            path.display()
        );
        let kind = entry.header().entry_type();
        assert!(kind.is_file() || kind.is_dir(), "{} is neither a file nor a folder", path.display());
        assert!(entry.unpack_in(into).expect("entry unpacks"), "{} unpacks", path.display());
        if kind.is_file() {
            names.insert(path.to_string_lossy().into_owned());
        }
    }
    names
}

fn sha256_of(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("archive readable");
    Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn package_follows_krews_rules_and_installs() {
    let out = tempfile::tempdir().expect("temporary folder");
    build_package(out.path());
    let manifest_path = out.path().join("etcd.yaml");
    let manifest: Value =
        serde_yaml::from_str(&std::fs::read_to_string(&manifest_path).expect("etcd.yaml written"))
            .expect("the manifest is YAML");

    assert_eq!(text(&manifest, "apiVersion"), "krew.googlecontainertools.github.com/v1alpha2");
    assert_eq!(text(&manifest, "kind"), "Plugin");
    assert_eq!(text(&manifest, "metadata.name"), "etcd", "metadata.name is the file name");
    let version = text(&manifest, "spec.version");
    let semver = version.strip_prefix('v').expect("version starts with v");
    let parsed = semver::Version::parse(semver).unwrap_or_else(|e| panic!("{version} is not semver: {e}"));
    assert_eq!(parsed.to_string(), env!("CARGO_PKG_VERSION"), "the workspace version");
    let short = text(&manifest, "spec.shortDescription");
    assert!(short.chars().count() <= 50, "shortDescription has {} characters", short.chars().count());
    assert!(!text(&manifest, "spec.description").trim().is_empty());
    let caveats = text(&manifest, "spec.caveats");
    assert!(caveats.contains("kubectl_complete-etcd") && caveats.contains("operator"), "{caveats}");

    let platforms = manifest["spec"]["platforms"].as_sequence().expect("platforms");
    assert!(!platforms.is_empty());
    for (os, arch) in OS_ARCH {
        let matching = platforms.iter().filter(|p| selects(p, os, arch)).count();
        assert!(matching <= 1, "{matching} platforms select {os}/{arch}: selectors overlap");
    }
    assert!(platforms.iter().any(|p| selects(p, "linux", "amd64")), "linux/amd64 is packaged");

    for platform in platforms {
        let sha256 = text(platform, "sha256");
        assert!(
            sha256.len() == 64 && sha256.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "sha256 {sha256:?} is 64 lowercase hex digits"
        );
        let uri = text(platform, "uri");
        assert!(uri.starts_with("https://") && uri.ends_with(".tar.gz"), "{uri}");
        let archive = out.path().join(uri.rsplit('/').next().expect("a file name"));
        assert_eq!(sha256_of(&archive), sha256, "{} has the manifest's sha256", archive.display());

        let unpacked = tempfile::tempdir().expect("temporary folder");
        let names = unpack(&archive, unpacked.path());
        let install = tempfile::tempdir().expect("temporary folder");
        let files = platform["files"].as_sequence().expect("files");
        let mut copied = BTreeSet::new();
        for rule in files {
            let (from, to) = (text(rule, "from"), text(rule, "to"));
            assert!(names.contains(from), "files.from {from} is in the archive: {names:?}");
            let target = install.path().join(to).join(from);
            std::fs::create_dir_all(target.parent().expect("a folder")).expect("folder created");
            std::fs::copy(unpacked.path().join(from), &target).expect("file copied");
            copied.insert(from.to_string());
        }
        assert!(copied.contains("LICENSE"), "LICENSE is among the files");
        let bin = text(platform, "bin");
        assert!(copied.contains(bin), "bin {bin} is installed");
        if selects(platform, "linux", "amd64") && cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            let ran = Command::new(install.path().join(bin)).arg("--version").output().expect("bin runs");
            assert_eq!(String::from_utf8_lossy(&ran.stdout).trim(), format!("kubectl-etcd {semver}"));
            let completer = install.path().join("kubectl_complete-etcd");
            let answered = Command::new(completer).arg("").output().expect("the completer runs");
            let answer = String::from_utf8_lossy(&answered.stdout);
            assert!(answer.contains("status\t") && answer.ends_with(":4\n"), "{answer}");
        }
    }
}
