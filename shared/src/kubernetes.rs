//! The Kubernetes versions kubectl-etcd supports, and how a server's `GET /version` answer
//! is read, so `kubectl etcd install` can refuse an older server before it changes anything.
//!
//! The minimum is 1.30 (the reasons and sources are in `docs/design.md`, "Supported
//! Kubernetes versions"): the CRDs' CEL rules call the Kubernetes quantity library, which a
//! 1.28 API server does not compile for new rules (its CEL environment for new expressions
//! is that of 1.27) while 1.29 and newer do; and the CRDs declare `selectableFields`, which
//! the CustomResourceDefinition schema of 1.28 and 1.29 does not have (refused), 1.30 has as
//! an alpha field (dropped by the API server unless the `CustomResourceFieldSelectors`
//! feature gate is on), and 1.31 and newer serve.
//! `shared/tests/kubernetes_versions.rs` validates every generated manifest against the
//! published schemas of each minor from [`MINIMUM`] to [`NEWEST_TESTED`], and checks each
//! CEL rule's functions against what [`MINIMUM`] compiles.

use std::fmt;

/// A Kubernetes version, major and minor (patches do not change what an API server accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KubernetesVersion {
    /// `1`.
    pub major: u32,
    /// `30` for 1.30.
    pub minor: u32,
}

impl fmt::Display for KubernetesVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl KubernetesVersion {
    /// Kubernetes 1.`minor`.
    pub const fn one(minor: u32) -> KubernetesVersion {
        KubernetesVersion { major: 1, minor }
    }
}

impl std::str::FromStr for KubernetesVersion {
    type Err = String;

    /// `1.30`, `v1.30` or `1.30.2`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not a Kubernetes version: give MAJOR.MINOR, e.g. 1.30");
        let mut parts = text.strip_prefix('v').unwrap_or(text).split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        if major != 1 || parts.next().is_some_and(|patch| patch.parse::<u32>().is_err()) {
            return Err(bad());
        }
        Ok(KubernetesVersion { major, minor })
    }
}

/// The oldest Kubernetes version kubectl-etcd supports.
pub const MINIMUM: KubernetesVersion = KubernetesVersion { major: 1, minor: 30 };

/// The newest Kubernetes version whose published schemas the manifests are tested against.
pub const NEWEST_TESTED: KubernetesVersion = KubernetesVersion { major: 1, minor: 37 };

/// The first version that serves the CRDs' `selectableFields` by default (beta, feature gate
/// `CustomResourceFieldSelectors` on; GA in 1.32). On 1.30 the gate is alpha and off: the API
/// server drops the field, and `--field-selector spec.version=...` on EtcdClusters (or
/// `spec.clusterName` on EtcdBackups) is refused.
pub const SELECTABLE_FIELDS: KubernetesVersion = KubernetesVersion { major: 1, minor: 31 };

/// Every minor version from [`MINIMUM`] to [`NEWEST_TESTED`].
pub fn tested_versions() -> impl Iterator<Item = KubernetesVersion> {
    (MINIMUM.minor..=NEWEST_TESTED.minor).map(|minor| KubernetesVersion { major: MINIMUM.major, minor })
}

/// A `/version` answer whose version cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot read the Kubernetes version from the server's /version (major {major:?}, minor {minor:?}, \
     gitVersion {git_version:?})"
)]
pub struct UnreadableVersion {
    /// `major` as the server sent it.
    pub major: String,
    /// `minor` as the server sent it.
    pub minor: String,
    /// `gitVersion` as the server sent it.
    pub git_version: String,
}

/// The version in a `/version` answer: `major` and `minor` (managed services append a `+`,
/// as in `"30+"`), else the `vMAJOR.MINOR.PATCH...` of `gitVersion`.
pub fn parse(major: &str, minor: &str, git_version: &str) -> Result<KubernetesVersion, UnreadableVersion> {
    let from_fields = leading_number(major).zip(leading_number(minor));
    let from_git = || {
        let mut parts = git_version.strip_prefix('v').unwrap_or(git_version).split('.');
        leading_number(parts.next()?).zip(leading_number(parts.next()?))
    };
    from_fields.or_else(from_git).map(|(major, minor)| KubernetesVersion { major, minor }).ok_or_else(|| {
        UnreadableVersion {
            major: major.to_string(),
            minor: minor.to_string(),
            git_version: git_version.to_string(),
        }
    })
}

/// The number at the start of `text` (`"30+"` is 30), if it starts with a digit.
fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Whether kubectl-etcd supports `found`: [`MINIMUM`] or newer.
pub fn is_supported(found: KubernetesVersion) -> bool {
    found >= MINIMUM
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(major: u32, minor: u32) -> KubernetesVersion {
        KubernetesVersion { major, minor }
    }

    #[test]
    fn reads_plain_and_managed_service_versions() {
        assert_eq!(parse("1", "30", "v1.30.2"), Ok(v(1, 30)));
        assert_eq!(parse("1", "31+", "v1.31.4-gke.1072000"), Ok(v(1, 31)));
        assert_eq!(
            parse("", "", "v1.29.10-eks-7f9249a"),
            Ok(v(1, 29)),
            "gitVersion when the fields are empty"
        );
        assert_eq!(parse("1", "", "v1.33.0"), Ok(v(1, 33)));
        let unreadable = parse("", "", "unknown").expect_err("nothing to read");
        assert!(unreadable.to_string().contains("\"unknown\""), "{unreadable}");
    }

    #[test]
    fn the_minimum_and_newer_are_supported() {
        assert!(!is_supported(v(1, 29)));
        assert!(is_supported(MINIMUM));
        assert!(is_supported(v(1, 37)) && is_supported(v(1, 40)));
        assert!(is_supported(v(2, 0)), "versions compare major first");
        assert_eq!(MINIMUM.to_string(), "1.30");
        let tested: Vec<String> = tested_versions().map(|v| v.to_string()).collect();
        assert_eq!(tested.first().map(String::as_str), Some("1.30"));
        assert_eq!(tested.last().map(String::as_str), Some("1.37"));
        assert!(MINIMUM < SELECTABLE_FIELDS && SELECTABLE_FIELDS <= NEWEST_TESTED);
    }
}
