//! etcd version policy: which versions the project supports, which version changes etcd
//! allows, and the path of versions an upgrade passes through.
//!
//! etcd changes patch versions freely (up or down within a minor), moves up one minor
//! version at a time, never downgrades across minor versions and never changes major
//! version in place. A cluster may run members of two adjacent minor versions only while
//! an upgrade is under way.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::advisory::{self, Advisory};

/// The `(major, minor)` versions of etcd the project supports. The only list of them.
pub const SUPPORTED_MINORS: &[(u64, u64)] = &[(3, 4), (3, 5), (3, 6)];

/// The etcd versions the project has tested, oldest first: offered by shell completion,
/// used as the stops of multi-minor upgrades, and the newest is the default for new
/// clusters. Checked when the crate compiles: each one parses, has a supported minor
/// version, and the list is sorted.
pub const KNOWN_VERSIONS: &[&str] = &["3.4.23", "3.5.0", "3.5.1", "3.5.16", "3.5.30"];

/// [`KNOWN_VERSIONS`], parsed and checked at compile time.
const KNOWN: [EtcdVersion; KNOWN_VERSIONS.len()] = {
    let mut known = [EtcdVersion::new(0, 0, 0); KNOWN_VERSIONS.len()];
    let mut i = 0;
    while i < known.len() {
        known[i] = match parse(KNOWN_VERSIONS[i]) {
            Some(version) => version,
            None => panic!("KNOWN_VERSIONS holds a version that is not MAJOR.MINOR.PATCH"),
        };
        assert!(known[i].is_supported(), "KNOWN_VERSIONS holds a version whose minor is not supported");
        assert!(i == 0 || precedes(known[i - 1], known[i]), "KNOWN_VERSIONS must be sorted, oldest first");
        i += 1;
    }
    known
};

/// An etcd release version, `MAJOR.MINOR.PATCH`. Orders as versions do; displays without
/// a leading `v` (`3.5.1`); serializes as that string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EtcdVersion {
    /// Major version (`3` of `3.5.1`).
    pub major: u64,
    /// Minor version (`5` of `3.5.1`).
    pub minor: u64,
    /// Patch version (`1` of `3.5.1`).
    pub patch: u64,
}

impl EtcdVersion {
    /// The version `major.minor.patch`.
    pub const fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self { major, minor, patch }
    }

    /// Whether the project supports this version's minor version (see [`SUPPORTED_MINORS`]).
    pub const fn is_supported(&self) -> bool {
        let mut i = 0;
        while i < SUPPORTED_MINORS.len() {
            if SUPPORTED_MINORS[i].0 == self.major && SUPPORTED_MINORS[i].1 == self.minor {
                return true;
            }
            i += 1;
        }
        false
    }
}

impl fmt::Display for EtcdVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A string that is not an etcd version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{input:?} is not an etcd version: write it as MAJOR.MINOR.PATCH, e.g. 3.5.1 (a leading v is \
     accepted; pre-releases such as 3.5.1-rc.0 and shorthands such as 3.5 or latest are not)"
)]
pub struct ParseVersionError {
    /// The refused text.
    pub input: String,
}

impl FromStr for EtcdVersion {
    type Err = ParseVersionError;

    /// Accepts `3.5.1` and `v3.5.1`: three decimal numbers without leading zeros or signs.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s).ok_or_else(|| ParseVersionError { input: s.to_string() })
    }
}

impl Serialize for EtcdVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EtcdVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `3.5.1` or `v3.5.1`; `None` for anything else. A `const fn`, so that
/// [`KNOWN_VERSIONS`] is checked by the compiler.
const fn parse(s: &str) -> Option<EtcdVersion> {
    let bytes = s.as_bytes();
    let mut i = if !bytes.is_empty() && bytes[0] == b'v' { 1 } else { 0 };
    let mut parts = [0u64; 3];
    let mut part = 0;
    let mut digits = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'.' {
            if digits == 0 || part == 2 {
                return None;
            }
            part += 1;
            digits = 0;
        } else if c.is_ascii_digit() {
            if digits == 1 && parts[part] == 0 {
                return None; // a leading zero
            }
            parts[part] = match parts[part].checked_mul(10) {
                Some(n) => match n.checked_add((c - b'0') as u64) {
                    Some(n) => n,
                    None => return None,
                },
                None => return None,
            };
            digits += 1;
        } else {
            return None;
        }
        i += 1;
    }
    if part != 2 || digits == 0 {
        return None;
    }
    Some(EtcdVersion::new(parts[0], parts[1], parts[2]))
}

/// `a < b`, usable in constants.
const fn precedes(a: EtcdVersion, b: EtcdVersion) -> bool {
    a.major < b.major
        || (a.major == b.major && (a.minor < b.minor || (a.minor == b.minor && a.patch < b.patch)))
}

/// The version new clusters get when none is chosen: the newest of [`KNOWN_VERSIONS`].
pub const fn default_version() -> EtcdVersion {
    KNOWN[KNOWN.len() - 1]
}

/// The tested versions a new cluster may start at without force: [`KNOWN_VERSIONS`] less
/// those under one of etcd's advisories, oldest first.
pub fn recommended_versions() -> Vec<EtcdVersion> {
    KNOWN.iter().copied().filter(|v| advisory::advisory(*v).is_none()).collect()
}

/// The newest tested version of `major.minor`, if the project has tested one.
fn newest_known(major: u64, minor: u64) -> Option<EtcdVersion> {
    KNOWN.iter().rev().find(|v| v.major == major && v.minor == minor).copied()
}

/// `3.4, 3.5, 3.6`: the supported minor versions, for messages.
fn supported_list() -> String {
    SUPPORTED_MINORS.iter().map(|(major, minor)| format!("{major}.{minor}")).collect::<Vec<_>>().join(", ")
}

/// What kind of change one direct version step is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The same version: nothing changes.
    None,
    /// Another patch version of the same minor version, up or down.
    Patch,
    /// The next minor version up.
    Minor,
    /// Back to the previous minor version, while a minor upgrade is still under way (see
    /// [`check_member_step`]).
    Rollback,
}

/// A version change etcd or this project does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// A move to an older minor version.
    #[error(
        "etcd does not support downgrading from {}.{} to {}.{}: restore a {}.{} snapshot into a new cluster instead",
        .from.major, .from.minor, .to.major, .to.minor, .to.major, .to.minor
    )]
    DowngradeAcrossMinor {
        /// The version the cluster runs.
        from: EtcdVersion,
        /// The older version asked for.
        to: EtcdVersion,
    },
    /// A move more than one minor version up in one step.
    #[error(
        "etcd cannot skip a minor version: upgrade {from} -> {}.{}.x first, then to {to}",
        .from.major, .from.minor + 1
    )]
    SkipsMinor {
        /// The version the cluster runs.
        from: EtcdVersion,
        /// The version asked for, two or more minor versions up.
        to: EtcdVersion,
    },
    /// A move to another major version.
    #[error(
        "etcd cannot change its major version in place ({from} -> {to}): create a new {}.x cluster and \
         move the data into it",
        .to.major
    )]
    MajorChange {
        /// The version the cluster runs.
        from: EtcdVersion,
        /// The version asked for, of another major version.
        to: EtcdVersion,
    },
    /// A target whose minor version is not in [`SUPPORTED_MINORS`], without force.
    #[error(
        "kubectl-etcd does not support etcd {}.{} (supported: {}): choose a supported version, or force \
         the upgrade to run {to} untested",
        .to.major, .to.minor, supported_list()
    )]
    UnsupportedMinor {
        /// The version asked for.
        to: EtcdVersion,
    },
    /// A move to the next minor version from below the patch etcd documents as its minimum.
    #[error(
        "etcd {}.{} needs every member on {minimum} or later first (etcd's upgrade guide: {}): upgrade {from} \
         -> {minimum} first, then to {to}",
        .to.major, .to.minor, advisory::next_minor_minimum(.from.major, .from.minor).map_or("", |m| m.source)
    )]
    BelowNextMinorMinimum {
        /// The version the member runs.
        from: EtcdVersion,
        /// The next minor version asked for.
        to: EtcdVersion,
        /// The minimum patch of `from`'s minor version.
        minimum: EtcdVersion,
    },
    /// A target etcd's maintainers published a defect for, without force.
    #[error(
        "etcd {to} must not hold data: {} (etcd's advisory: {}). Choose {instead} instead, or force it",
        .advisory.defect, .advisory.source
    )]
    Advisory {
        /// The version asked for.
        to: EtcdVersion,
        /// The advisory.
        advisory: &'static Advisory,
        /// The version to choose instead.
        instead: EtcdVersion,
    },
    /// A multi-minor upgrade must stop at a minor version of which no version is known.
    #[error(
        "no tested etcd {major}.{minor} version is known to stop at on the way from {from} to {to}: \
         upgrade to a {major}.{minor} version first, then to {to}"
    )]
    NoKnownIntermediate {
        /// The version the cluster runs.
        from: EtcdVersion,
        /// The version asked for.
        to: EtcdVersion,
        /// Major version of the missing stop.
        major: u64,
        /// Minor version of the missing stop.
        minor: u64,
    },
}

/// Whether etcd can go from `from` to `to` in one direct step, and what kind of step it
/// is. `force` allows a target whose minor version is not supported; nothing else. A
/// move to the next minor version from below the patch etcd documents as that move's
/// minimum ([`advisory::next_minor_minimum`]) is refused, force or not.
pub fn check_step(from: EtcdVersion, to: EtcdVersion, force: bool) -> Result<StepKind, PathError> {
    if from == to {
        return Ok(StepKind::None);
    }
    let kind = if from.major != to.major {
        return Err(PathError::MajorChange { from, to });
    } else if to.minor < from.minor {
        return Err(PathError::DowngradeAcrossMinor { from, to });
    } else if to.minor == from.minor {
        StepKind::Patch
    } else if to.minor - from.minor == 1 {
        if let Some(minimum) = advisory::next_minor_minimum(from.major, from.minor)
            && from < minimum.minimum
        {
            return Err(PathError::BelowNextMinorMinimum { from, to, minimum: minimum.minimum });
        }
        StepKind::Minor
    } else {
        return Err(PathError::SkipsMinor { from, to });
    };
    if !force && !to.is_supported() {
        return Err(PathError::UnsupportedMinor { to });
    }
    Ok(kind)
}

/// Whether one member may go from `member` to `to` while the cluster runs `cluster` (its
/// lowest member version). As [`check_step`], and one more case etcd allows: while a minor
/// upgrade is still under way (some member still runs the old minor version, so the
/// cluster's version is still the old one), a member already on the new minor version may
/// go back to the old one ("it is possible from this mixed cluster state to return to
/// using a v3.4 etcd binary on all members", etcd's upgrade guides, "Downgrade").
pub fn check_member_step(
    member: EtcdVersion,
    to: EtcdVersion,
    cluster: EtcdVersion,
    force: bool,
) -> Result<StepKind, PathError> {
    let rollback = member.major == to.major
        && member.minor == to.minor + 1
        && cluster.major == to.major
        && cluster.minor == to.minor;
    if rollback { Ok(StepKind::Rollback) } else { check_step(member, to, force) }
}

/// Where a minor version is left from: the newest tested patch of it, or the patch etcd
/// documents as the minimum before the next minor version when that is newer. `None` when
/// neither is known.
fn departure(major: u64, minor: u64) -> Option<EtcdVersion> {
    let minimum = advisory::next_minor_minimum(major, minor).map(|m| m.minimum);
    newest_known(major, minor).max(minimum)
}

/// The versions an upgrade from `from` to `to` passes through, in order, ending with `to`:
/// empty for the same version, `[to]` for a patch change, and for a minor upgrade one stop
/// at each minor version left behind, as etcd's upgrade policy asks ("update to the most
/// recent patch version before upgrading to the next minor version"): the newest tested
/// patch, or the minimum etcd documents when that is newer (3.5.1 -> 3.6.0 is
/// `[3.5.32, 3.6.0]`; 3.4.23 -> 3.6.0 is `[3.5.32, 3.6.0]`). A target under an
/// [`advisory`] is refused unless `force`.
pub fn upgrade_path(from: EtcdVersion, to: EtcdVersion, force: bool) -> Result<Vec<EtcdVersion>, PathError> {
    if from == to {
        return Ok(Vec::new());
    }
    if !force && let Some(found) = advisory::advisory(to) {
        return Err(PathError::Advisory { to, advisory: found, instead: suggested_instead(to) });
    }
    let mut path = Vec::new();
    if from.major == to.major && to.minor > from.minor {
        if !force && !to.is_supported() {
            return Err(PathError::UnsupportedMinor { to });
        }
        for minor in from.minor..to.minor {
            let at = path.last().copied().unwrap_or(from);
            let leave = match departure(from.major, minor) {
                Some(leave) => leave,
                // The minor version the cluster runs needs no stop of its own.
                None if minor == from.minor => continue,
                None => return Err(PathError::NoKnownIntermediate { from, to, major: from.major, minor }),
            };
            if at < leave {
                path.push(leave);
            }
        }
    }
    path.push(to);
    let mut current = from;
    for &next in &path {
        check_step(current, next, force)?;
        current = next;
    }
    Ok(path)
}

/// The version to choose instead of one under an advisory: the newest tested version of
/// the same minor version that is under none, else the release that fixed it.
pub fn suggested_instead(version: EtcdVersion) -> EtcdVersion {
    KNOWN
        .iter()
        .rev()
        .find(|v| v.major == version.major && v.minor == version.minor && advisory::advisory(**v).is_none())
        .copied()
        .or_else(|| advisory::advisory(version).map(|a| a.fixed_in))
        .unwrap_or(version)
}

/// A version a new cluster must not start at.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NewClusterVersionError {
    /// The minor version is not supported.
    #[error(
        "kubectl-etcd does not support etcd {}.{} (supported: {}): choose {}, or force it to run {version} \
         untested",
        .version.major, .version.minor, supported_list(), default_version()
    )]
    UnsupportedMinor {
        /// The version asked for.
        version: EtcdVersion,
    },
    /// etcd's maintainers published a defect for this release.
    #[error(
        "etcd {version} must not hold data: {} (etcd's advisory: {}). Choose {instead} instead, or force it \
         for a test",
        .advisory.defect, .advisory.source
    )]
    Advisory {
        /// The version asked for.
        version: EtcdVersion,
        /// The advisory.
        advisory: &'static Advisory,
        /// The version to choose instead.
        instead: EtcdVersion,
    },
}

/// Whether a new cluster may start at `version`: a supported minor version under no
/// [`advisory`], unless `force`.
pub fn check_new_cluster_version(version: EtcdVersion, force: bool) -> Result<(), NewClusterVersionError> {
    if force {
        return Ok(());
    }
    if !version.is_supported() {
        return Err(NewClusterVersionError::UnsupportedMinor { version });
    }
    match advisory::advisory(version) {
        Some(found) => Err(NewClusterVersionError::Advisory {
            version,
            advisory: found,
            instead: suggested_instead(version),
        }),
        None => Ok(()),
    }
}

/// The version a cluster restored from a snapshot starts at. A version asked for is checked
/// as a new cluster's ([`check_new_cluster_version`]); without one, [`suggested_instead`]
/// the version the snapshot recorded: the newest tested patch of its minor version under no
/// [`advisory`] (a restore is the moment to leave an advised-against release). The operator
/// creates the cluster with it and the plugin shows it before a restore.
pub fn restored_cluster_version(
    version: EtcdVersion,
    asked: bool,
    force: bool,
) -> Result<EtcdVersion, NewClusterVersionError> {
    let version = if asked { version } else { suggested_instead(version) };
    check_new_cluster_version(version, force)?;
    Ok(version)
}

/// A version an upgrade from the running version could go to, as it is offered to a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpgradeTarget {
    /// The version.
    pub version: EtcdVersion,
    /// A patch change (up or down) or the next minor version.
    pub kind: StepKind,
    /// The versions the upgrade passes through ([`upgrade_path`]), or why it is refused
    /// (e.g. [`PathError::Advisory`] without force).
    pub path: Result<Vec<EtcdVersion>, PathError>,
}

/// The tested versions ([`KNOWN_VERSIONS`]) of the running minor version and of the next
/// one, newest first, each with the path the version policy gives from `from`: the choices
/// an upgrade has. Those under an advisory carry it as their refusal unless `force`.
pub fn upgrade_targets(from: EtcdVersion, force: bool) -> Vec<UpgradeTarget> {
    KNOWN
        .iter()
        .rev()
        .filter(|v| {
            **v != from && v.major == from.major && (v.minor == from.minor || v.minor == from.minor + 1)
        })
        .map(|&version| UpgradeTarget {
            version,
            kind: if version.minor == from.minor { StepKind::Patch } else { StepKind::Minor },
            path: upgrade_path(from, version, force),
        })
        .collect()
}

/// The version a cluster is considered to run: the lowest of its members' versions.
/// `None` without members.
pub fn cluster_version(member_versions: &[EtcdVersion]) -> Option<EtcdVersion> {
    member_versions.iter().min().copied()
}

/// Members whose versions are further apart than etcd allows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "members run etcd {lowest} and {highest}, more than one minor version apart, which etcd does not \
     support: replace the members running {lowest} (or restore a snapshot into a new cluster) before \
     changing anything else"
)]
pub struct MixedVersionsError {
    /// The lowest member version.
    pub lowest: EtcdVersion,
    /// The highest member version.
    pub highest: EtcdVersion,
}

/// Checks that members run one major version and at most two adjacent minor versions, as
/// etcd allows during a rolling upgrade.
pub fn check_mixed_versions(member_versions: &[EtcdVersion]) -> Result<(), MixedVersionsError> {
    let (Some(&lowest), Some(&highest)) = (member_versions.iter().min(), member_versions.iter().max()) else {
        return Ok(());
    };
    if lowest.major == highest.major && highest.minor - lowest.minor <= 1 {
        Ok(())
    } else {
        Err(MixedVersionsError { lowest, highest })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn v(text: &str) -> EtcdVersion {
        text.parse().expect("test version parses")
    }

    #[test]
    fn upgrade_targets_are_the_patches_and_the_next_minor_with_their_advisories() {
        let targets = upgrade_targets(v("3.4.23"), false);
        let versions: Vec<String> = targets.iter().map(|t| t.version.to_string()).collect();
        assert_eq!(versions, ["3.5.30", "3.5.16", "3.5.1", "3.5.0"], "the next minor, newest first");
        assert!(targets.iter().all(|t| t.kind == StepKind::Minor));
        assert_eq!(targets[0].path, Ok(vec![v("3.5.30")]));
        assert!(
            matches!(targets[2].path, Err(PathError::Advisory { instead, .. }) if instead == v("3.5.30"))
        );
        let forced = upgrade_targets(v("3.4.23"), true);
        assert_eq!(forced[3].path, Ok(vec![v("3.5.0")]), "force allows an advised-against target");
        let patches = upgrade_targets(v("3.5.30"), false);
        let offered: Vec<String> =
            patches.iter().filter(|t| t.path.is_ok()).map(|t| t.version.to_string()).collect();
        assert_eq!(offered, ["3.5.16"], "a patch downgrade; no 3.6 version is known");
        assert!(patches.iter().all(|t| t.kind == StepKind::Patch));
    }

    #[test]
    fn a_restored_cluster_leaves_an_advised_against_release_unless_it_is_asked_for() {
        assert_eq!(restored_cluster_version(v("3.5.1"), false, false), Ok(v("3.5.30")));
        assert_eq!(restored_cluster_version(v("3.4.23"), false, false), Ok(v("3.4.23")));
        assert!(restored_cluster_version(v("3.5.1"), true, false).is_err());
        assert_eq!(restored_cluster_version(v("3.5.1"), true, true), Ok(v("3.5.1")));
    }

    #[test]
    fn parses_with_and_without_v() {
        assert_eq!(v("3.5.1"), EtcdVersion::new(3, 5, 1));
        assert_eq!(v("v3.5.1"), EtcdVersion::new(3, 5, 1));
        assert_eq!(v("0.0.0"), EtcdVersion::new(0, 0, 0));
        assert_eq!(v("3.10.20"), EtcdVersion::new(3, 10, 20));
    }

    #[test]
    fn refuses_malformed_versions_naming_input_and_form() {
        for bad in [
            "",
            "v",
            "3",
            "3.5",
            "3.5.",
            "3..1",
            ".3.5",
            "latest",
            "3.5.1-rc.0",
            "3.5.1+build",
            "3.5.1.0",
            " 3.5.1",
            "3.5.1 ",
            "V3.5.1",
            "vv3.5.1",
            "03.5.1",
            "3.05.1",
            "-3.5.1",
            "+3.5.1",
            "3.5.99999999999999999999",
        ] {
            let error = bad.parse::<EtcdVersion>().expect_err(bad);
            assert_eq!(error.input, bad);
            let message = error.to_string();
            assert!(message.contains(&format!("{bad:?}")), "{message}");
            assert!(message.contains("MAJOR.MINOR.PATCH"), "{message}");
        }
    }

    #[test]
    fn displays_without_v_and_orders_numerically() {
        assert_eq!(v("v3.5.1").to_string(), "3.5.1");
        assert!(v("3.4.23") < v("3.5.0"));
        assert!(v("3.5.2") < v("3.5.10"));
        assert!(v("3.10.0") > v("3.9.9"));
    }

    #[test]
    fn serializes_as_a_string() {
        assert_eq!(serde_json::to_string(&v("3.5.1")).expect("serializes"), "\"3.5.1\"");
        let parsed: EtcdVersion = serde_json::from_str("\"v3.4.23\"").expect("deserializes");
        assert_eq!(parsed, v("3.4.23"));
        let error = serde_json::from_str::<EtcdVersion>("\"3.5\"").expect_err("refused");
        assert!(error.to_string().contains("MAJOR.MINOR.PATCH"), "{error}");
    }

    #[test]
    fn known_versions_are_supported_and_the_newest_is_the_default() {
        assert_eq!(KNOWN.len(), KNOWN_VERSIONS.len());
        for (text, parsed) in KNOWN_VERSIONS.iter().zip(KNOWN) {
            assert_eq!(v(text), parsed);
            assert!(parsed.is_supported());
        }
        assert_eq!(default_version(), v("3.5.30"));
        assert_eq!(newest_known(3, 5), Some(v("3.5.30")));
        assert_eq!(newest_known(3, 4), Some(v("3.4.23")));
        assert_eq!(newest_known(3, 6), None);
        assert_eq!(recommended_versions(), [v("3.4.23"), v("3.5.16"), v("3.5.30")]);
    }

    #[test]
    fn support_follows_the_minor_list() {
        assert!(v("3.4.0").is_supported());
        assert!(v("3.6.9").is_supported());
        assert!(!v("3.3.27").is_supported());
        assert!(!v("3.7.0").is_supported());
        assert!(!v("4.5.0").is_supported());
    }

    #[test]
    fn allowed_steps() {
        assert_eq!(check_step(v("3.5.1"), v("3.5.1"), false), Ok(StepKind::None));
        assert_eq!(check_step(v("3.5.0"), v("3.5.1"), false), Ok(StepKind::Patch));
        assert_eq!(check_step(v("3.5.1"), v("3.5.0"), false), Ok(StepKind::Patch));
        assert_eq!(check_step(v("3.4.23"), v("3.5.0"), false), Ok(StepKind::Minor));
        assert_eq!(check_step(v("3.5.32"), v("3.6.0"), false), Ok(StepKind::Minor));
        assert_eq!(check_step(v("3.5.30"), v("3.5.16"), false), Ok(StepKind::Patch));
    }

    #[test]
    fn the_next_minor_needs_the_documented_patch_first_even_with_force() {
        let error = check_step(v("3.5.30"), v("3.6.0"), true).expect_err("refused");
        assert_eq!(
            error,
            PathError::BelowNextMinorMinimum { from: v("3.5.30"), to: v("3.6.0"), minimum: v("3.5.32") }
        );
        let message = error.to_string();
        assert!(message.contains("3.5.32 or later first") && message.contains("upgrade_3_6"), "{message}");
        assert!(message.contains("upgrade 3.5.30 -> 3.5.32 first, then to 3.6.0"), "{message}");
        // 3.4 -> 3.5 has no documented minimum beyond etcd's general policy.
        assert_eq!(check_step(v("3.4.1"), v("3.5.30"), false), Ok(StepKind::Minor));
    }

    #[test]
    fn advised_against_targets_need_force_and_say_what_to_choose() {
        for bad in ["3.5.0", "3.5.1", "3.5.2", "3.5.5"] {
            let error = upgrade_path(v("3.5.16"), v(bad), false).expect_err(bad);
            let PathError::Advisory { instead, .. } = &error else { panic!("{bad}: {error}") };
            assert_eq!(*instead, v("3.5.30"), "{bad}");
            let message = error.to_string();
            assert!(message.contains("must not hold data") && message.contains("Choose 3.5.30"), "{message}");
            assert_eq!(upgrade_path(v("3.5.16"), v(bad), true), Ok(vec![v(bad)]), "{bad} forced");
        }
        // A cluster already running one needs no path.
        assert_eq!(upgrade_path(v("3.5.1"), v("3.5.1"), false), Ok(vec![]));
        assert_eq!(suggested_instead(v("3.4.20")), v("3.4.23"));
        assert_eq!(suggested_instead(v("3.6.0")), v("3.6.0"));
    }

    #[test]
    fn new_clusters_refuse_advised_against_and_unsupported_versions_unless_forced() {
        assert_eq!(check_new_cluster_version(v("3.5.30"), false), Ok(()));
        assert_eq!(check_new_cluster_version(v("3.4.23"), false), Ok(()));
        let error = check_new_cluster_version(v("3.5.1"), false).expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("etcd 3.5.1 must not hold data") && message.contains("Choose 3.5.30"),
            "{message}"
        );
        assert!(message.contains("github.com/etcd-io/etcd"), "cites its source: {message}");
        assert_eq!(check_new_cluster_version(v("3.5.1"), true), Ok(()));
        let error = check_new_cluster_version(v("3.3.27"), false).expect_err("refused");
        assert!(matches!(error, NewClusterVersionError::UnsupportedMinor { .. }), "{error}");
        assert_eq!(check_new_cluster_version(v("3.3.27"), true), Ok(()));
    }

    #[test]
    fn a_partial_minor_upgrade_may_go_back_and_a_finished_one_may_not() {
        // Some member still runs 3.4: the cluster's version is 3.4, and a 3.5 member may return.
        assert_eq!(check_member_step(v("3.5.30"), v("3.4.23"), v("3.4.23"), false), Ok(StepKind::Rollback));
        // Every member runs 3.5: the cluster is 3.5, and going back is refused.
        assert!(matches!(
            check_member_step(v("3.5.30"), v("3.4.23"), v("3.5.16"), false),
            Err(PathError::DowngradeAcrossMinor { .. })
        ));
        // Two minors down is never a rollback.
        assert!(check_member_step(v("3.6.0"), v("3.4.23"), v("3.4.23"), true).is_err());
        // Otherwise the same as check_step.
        assert_eq!(check_member_step(v("3.5.30"), v("3.5.16"), v("3.5.16"), false), Ok(StepKind::Patch));
    }

    #[test]
    fn downgrade_across_minor_is_refused() {
        let error = check_step(v("3.5.1"), v("3.4.23"), true).expect_err("refused");
        assert!(matches!(error, PathError::DowngradeAcrossMinor { .. }));
        assert_eq!(
            error.to_string(),
            "etcd does not support downgrading from 3.5 to 3.4: restore a 3.4 snapshot into a new cluster instead"
        );
    }

    #[test]
    fn skipping_a_minor_is_refused_even_with_force() {
        let error = check_step(v("3.4.23"), v("3.6.0"), true).expect_err("refused");
        assert!(matches!(error, PathError::SkipsMinor { .. }));
        assert_eq!(
            error.to_string(),
            "etcd cannot skip a minor version: upgrade 3.4.23 -> 3.5.x first, then to 3.6.0"
        );
    }

    #[test]
    fn major_change_is_refused_even_with_force() {
        let error = check_step(v("3.5.1"), v("4.0.0"), true).expect_err("refused");
        assert!(matches!(error, PathError::MajorChange { .. }));
        assert!(error.to_string().contains("create a new 4.x cluster"), "{error}");
        assert!(matches!(check_step(v("3.5.1"), v("2.3.8"), true), Err(PathError::MajorChange { .. })));
    }

    #[test]
    fn unsupported_minor_needs_force() {
        let error = check_step(v("3.6.0"), v("3.7.0"), false).expect_err("refused");
        assert_eq!(error, PathError::UnsupportedMinor { to: v("3.7.0") });
        let message = error.to_string();
        assert!(message.contains("3.4, 3.5, 3.6") && message.contains("force"), "{message}");
        assert_eq!(check_step(v("3.6.0"), v("3.7.0"), true), Ok(StepKind::Minor));
        assert_eq!(check_step(v("3.7.0"), v("3.7.1"), true), Ok(StepKind::Patch));
    }

    #[test]
    fn paths() {
        assert_eq!(upgrade_path(v("3.5.1"), v("3.5.1"), false), Ok(vec![]));
        assert_eq!(upgrade_path(v("3.5.30"), v("3.5.16"), false), Ok(vec![v("3.5.16")]));
        assert_eq!(upgrade_path(v("3.4.23"), v("3.5.30"), false), Ok(vec![v("3.5.30")]));
        // One minor up from an old patch: the newest tested patch first, as etcd's policy says.
        assert_eq!(upgrade_path(v("3.4.1"), v("3.5.30"), false), Ok(vec![v("3.4.23"), v("3.5.30")]));
        // 3.5 -> 3.6: the patch etcd's 3.6 guide asks for, even though it is newer than any tested.
        assert_eq!(upgrade_path(v("3.5.1"), v("3.6.0"), false), Ok(vec![v("3.5.32"), v("3.6.0")]));
        assert_eq!(upgrade_path(v("3.5.30"), v("3.6.0"), false), Ok(vec![v("3.5.32"), v("3.6.0")]));
        assert_eq!(upgrade_path(v("3.5.40"), v("3.6.0"), false), Ok(vec![v("3.6.0")]));
        assert_eq!(upgrade_path(v("3.4.23"), v("3.6.0"), false), Ok(vec![v("3.5.32"), v("3.6.0")]));
        assert_eq!(
            upgrade_path(v("3.4.1"), v("3.6.2"), false),
            Ok(vec![v("3.4.23"), v("3.5.32"), v("3.6.2")])
        );
    }

    #[test]
    fn refused_paths() {
        assert!(matches!(
            upgrade_path(v("3.5.1"), v("3.4.23"), false),
            Err(PathError::DowngradeAcrossMinor { .. })
        ));
        assert!(matches!(upgrade_path(v("3.5.1"), v("4.0.0"), true), Err(PathError::MajorChange { .. })));
        assert_eq!(
            upgrade_path(v("3.6.0"), v("3.7.0"), false),
            Err(PathError::UnsupportedMinor { to: v("3.7.0") })
        );
        assert_eq!(upgrade_path(v("3.6.0"), v("3.7.0"), true), Ok(vec![v("3.7.0")]));
        // No 3.6 version is known to stop at on the way to 3.7.
        let error = upgrade_path(v("3.5.1"), v("3.7.0"), true).expect_err("refused");
        assert_eq!(
            error,
            PathError::NoKnownIntermediate { from: v("3.5.1"), to: v("3.7.0"), major: 3, minor: 6 }
        );
        assert!(error.to_string().contains("upgrade to a 3.6 version first, then to 3.7.0"), "{error}");
        // Without force the unsupported target is the reason given.
        assert_eq!(
            upgrade_path(v("3.4.23"), v("3.7.0"), false),
            Err(PathError::UnsupportedMinor { to: v("3.7.0") })
        );
    }

    #[test]
    fn cluster_version_is_the_lowest() {
        assert_eq!(cluster_version(&[]), None);
        assert_eq!(cluster_version(&[v("3.5.1"), v("3.4.23"), v("3.5.0")]), Some(v("3.4.23")));
    }

    #[test]
    fn members_may_differ_by_one_minor() {
        assert_eq!(check_mixed_versions(&[]), Ok(()));
        assert_eq!(check_mixed_versions(&[v("3.4.23"), v("3.5.1"), v("3.5.0")]), Ok(()));
        let error = check_mixed_versions(&[v("3.4.23"), v("3.6.0")]).expect_err("refused");
        assert_eq!(error, MixedVersionsError { lowest: v("3.4.23"), highest: v("3.6.0") });
        assert!(error.to_string().contains("replace the members running 3.4.23"), "{error}");
        assert!(check_mixed_versions(&[v("3.5.1"), v("4.0.0")]).is_err());
    }

    fn any_version() -> impl Strategy<Value = EtcdVersion> {
        (2u64..=4, 0u64..=8, 0u64..=30)
            .prop_map(|(major, minor, patch)| EtcdVersion::new(major, minor, patch))
    }

    proptest! {
        #[test]
        fn display_round_trips(major: u64, minor: u64, patch: u64) {
            let version = EtcdVersion::new(major, minor, patch);
            prop_assert_eq!(version.to_string().parse::<EtcdVersion>(), Ok(version));
            prop_assert_eq!(format!("v{version}").parse::<EtcdVersion>(), Ok(version));
        }

        #[test]
        fn orders_like_tuples(a in any_version(), b in any_version()) {
            prop_assert_eq!(a.cmp(&b), (a.major, a.minor, a.patch).cmp(&(b.major, b.minor, b.patch)));
            prop_assert_eq!(precedes(a, b), a < b);
        }

        #[test]
        fn parse_never_panics(text in "v?[0-9.a-z-]{0,12}") {
            if let Ok(version) = text.parse::<EtcdVersion>() {
                prop_assert_eq!(version.to_string(), text.trim_start_matches('v'));
            }
        }

        #[test]
        fn paths_are_made_of_allowed_steps(from in any_version(), to in any_version(), force: bool) {
            match upgrade_path(from, to, force) {
                Ok(path) => {
                    prop_assert_eq!(path.last().copied().unwrap_or(from), to);
                    let mut current = from;
                    for next in path {
                        prop_assert!(matches!(
                            check_step(current, next, force),
                            Ok(StepKind::Patch | StepKind::Minor)
                        ));
                        current = next;
                    }
                }
                Err(PathError::Advisory { to: refused, .. }) => {
                    prop_assert!(!force && refused == to && advisory::advisory(to).is_some());
                }
                Err(error) => {
                    prop_assert!(from != to);
                    prop_assert!(check_step(from, to, force).is_err(), "{}", error);
                }
            }
        }

        #[test]
        fn steps_never_go_down_a_minor_or_skip_one(from in any_version(), to in any_version(), force: bool) {
            if check_step(from, to, force).is_ok() {
                prop_assert_eq!(from.major, to.major);
                prop_assert!(to.minor == from.minor || to.minor == from.minor + 1);
            }
        }
    }
}
