//! What etcd's maintainers have published about particular releases, as data: the
//! releases with a known data-loss or corruption defect, and the patch version a minor
//! version must reach before the next minor version. Each item names its source, so that
//! when etcd moves a minimum or publishes a new defect, the change here is one line.
//!
//! The version policy ([`crate::version`]) reads these items: a release under an advisory
//! is refused for new clusters and as an upgrade target unless forced, and an upgrade to
//! the next minor version first stops at the documented minimum patch.

use crate::version::EtcdVersion;

/// A defect that etcd's maintainers published for a range of releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Advisory {
    /// The first affected release.
    pub first: EtcdVersion,
    /// The last affected release.
    pub last: EtcdVersion,
    /// The release that fixes it.
    pub fixed_in: EtcdVersion,
    /// What can go wrong, in a few words.
    pub defect: &'static str,
    /// Where etcd says so.
    pub source: &'static str,
}

impl Advisory {
    /// Whether `version` is one of the affected releases.
    pub fn affects(&self, version: EtcdVersion) -> bool {
        self.first <= version && version <= self.last
    }
}

/// The patch version every member of a minor version must run before the cluster moves to
/// the next minor version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextMinorMinimum {
    /// The minimum release of the minor version being left.
    pub minimum: EtcdVersion,
    /// Why etcd asks for it.
    pub reason: &'static str,
    /// Where etcd says so.
    pub source: &'static str,
}

/// The releases etcd's maintainers say must not hold data, oldest first.
pub const ADVISORIES: &[Advisory] = &[
    Advisory {
        first: EtcdVersion::new(3, 4, 0),
        last: EtcdVersion::new(3, 4, 20),
        fixed_in: EtcdVersion::new(3, 4, 21),
        defect: "a single-member cluster can lose acknowledged writes when etcd crashes right after answering",
        source: "https://github.com/etcd-io/etcd/issues/14370 (fixed in 3.4.21 and 3.5.5)",
    },
    Advisory {
        first: EtcdVersion::new(3, 5, 0),
        last: EtcdVersion::new(3, 5, 2),
        fixed_in: EtcdVersion::new(3, 5, 3),
        defect: "after a crash, a committed transaction can be left unapplied on one member (members disagree)",
        source: "https://github.com/etcd-io/etcd/releases/tag/v3.5.3 (etcd-io/etcd#13766, #13514)",
    },
    Advisory {
        first: EtcdVersion::new(3, 5, 3),
        last: EtcdVersion::new(3, 5, 4),
        fixed_in: EtcdVersion::new(3, 5, 5),
        defect: "a single-member cluster can lose acknowledged writes when etcd crashes right after answering",
        source: "https://github.com/etcd-io/etcd/issues/14370 (fixed in 3.4.21 and 3.5.5)",
    },
    Advisory {
        first: EtcdVersion::new(3, 5, 5),
        last: EtcdVersion::new(3, 5, 5),
        fixed_in: EtcdVersion::new(3, 5, 6),
        defect: "a crash during defragmentation can re-apply entries and leave members at different revisions",
        source: "https://etcd.io/blog/2025/announcing-etcd-3.6/ (etcd-io/etcd#14685, fixed in 3.5.6 by #14730)",
    },
];

/// The minimum patch version of `major.minor` before an upgrade to the next minor version,
/// where etcd documents one. etcd's 3.6 upgrade guide has raised this minimum more than
/// once (3.5.20, then 3.5.26, then 3.5.32): it is this one line.
pub fn next_minor_minimum(major: u64, minor: u64) -> Option<NextMinorMinimum> {
    match (major, minor) {
        (3, 5) => Some(NextMinorMinimum {
            minimum: EtcdVersion::new(3, 5, 32),
            reason: "3.5.24 to 3.5.26 fix upgrade blockers (\"too many learner members\", zombie members), \
                     3.5.32 adds --v2-deprecation=write-only-skip-check and the WAL check of etcdutl check \
                     v2store",
            source: "https://etcd.io/docs/v3.6/upgrades/upgrade_3_6/ (\"Update 3.5\")",
        }),
        _ => None,
    }
}

/// The advisory that applies to `version`, if any.
pub fn advisory(version: EtcdVersion) -> Option<&'static Advisory> {
    ADVISORIES.iter().find(|a| a.affects(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> EtcdVersion {
        text.parse().expect("test version parses")
    }

    #[test]
    fn releases_before_3_5_6_and_3_4_21_are_under_an_advisory() {
        for bad in ["3.4.0", "3.4.20", "3.5.0", "3.5.1", "3.5.2", "3.5.3", "3.5.4", "3.5.5"] {
            let found = advisory(v(bad)).unwrap_or_else(|| panic!("{bad} has an advisory"));
            assert!(found.fixed_in > v(bad), "{bad}: fixed in {}", found.fixed_in);
            assert!(found.source.starts_with("https://"), "{bad}: {}", found.source);
        }
        for good in ["3.4.21", "3.4.23", "3.5.6", "3.5.16", "3.5.30", "3.6.0"] {
            assert_eq!(advisory(v(good)), None, "{good}");
        }
    }

    #[test]
    fn advisories_are_ordered_and_fixed_after_their_range() {
        for pair in ADVISORIES.windows(2) {
            assert!(pair[0].last < pair[1].first, "{:?} overlaps {:?}", pair[0], pair[1]);
        }
        for a in ADVISORIES {
            assert!(a.first <= a.last && a.last < a.fixed_in, "{a:?}");
        }
    }

    #[test]
    fn the_3_5_minimum_before_3_6_is_the_one_etcd_documents() {
        let minimum = next_minor_minimum(3, 5).expect("3.5 has one");
        assert_eq!(minimum.minimum, v("3.5.32"));
        assert!(minimum.source.contains("upgrade_3_6"), "{}", minimum.source);
        assert_eq!(next_minor_minimum(3, 4), None);
    }
}
