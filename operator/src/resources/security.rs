//! How every Pod the operator creates runs: as the Kubernetes Pod Security Standards'
//! `restricted` profile asks (non-root, no privilege escalation, no capabilities, the
//! runtime's default seccomp profile, a read-only root filesystem), with a group that owns
//! the data volume so that non-root etcd can write it, and with resource requests a
//! namespace's ResourceQuota can count.
//!
//! <https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted>

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Capabilities, PodSecurityContext, ResourceRequirements, SeccompProfile, SecurityContext,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// The user every container of a member Pod runs as: distroless' `nonroot` (65532), which
/// the etcd project's images and the operator's image both have. A fixed, non-zero uid, so
/// `runAsNonRoot` can be checked before the image is pulled.
pub const RUN_AS_USER: i64 = 65532;

/// The group of every container, and the `fsGroup` that owns the data volume.
pub const RUN_AS_GROUP: i64 = 65532;

/// CPU the etcd container requests when `spec.pod.resources` is not given.
pub const ETCD_CPU_REQUEST: &str = "100m";
/// Memory the etcd container requests when `spec.pod.resources` is not given.
pub const ETCD_MEMORY_REQUEST: &str = "256Mi";
/// CPU each seed init container requests when `spec.pod.initResources` is not given.
pub const INIT_CPU_REQUEST: &str = "100m";
/// Memory each seed init container requests when `spec.pod.initResources` is not given.
pub const INIT_MEMORY_REQUEST: &str = "128Mi";

/// The Pod-level security context of a member Pod: non-root with a fixed uid and gid, the
/// runtime's default seccomp profile, and `fsGroup` so the data volume (a claim or an
/// emptyDir) is group-writable by etcd. `OnRootMismatch` changes ownership only when the
/// volume's root does not already have it, so a large volume is not walked at every start.
pub fn pod_security_context() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS_USER),
        run_as_group: Some(RUN_AS_GROUP),
        fs_group: Some(RUN_AS_GROUP),
        fs_group_change_policy: Some("OnRootMismatch".to_string()),
        seccomp_profile: Some(runtime_default_seccomp()),
        ..PodSecurityContext::default()
    }
}

/// The security context of every container the operator creates: no privilege escalation,
/// every capability dropped, a read-only root filesystem (each writes only its volume), and
/// the Pod's non-root rules repeated so a container is compliant on its own.
pub fn container_security_context() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".to_string()]), add: None }),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        seccomp_profile: Some(runtime_default_seccomp()),
        ..SecurityContext::default()
    }
}

fn runtime_default_seccomp() -> SeccompProfile {
    SeccompProfile { type_: "RuntimeDefault".to_string(), localhost_profile: None }
}

/// The user's `resources` when given (whole, never merged: a merged default request could
/// exceed a limit the user set), else requests of `cpu` and `memory` and no limits.
pub fn resources_or(given: Option<&ResourceRequirements>, cpu: &str, memory: &str) -> ResourceRequirements {
    given.cloned().unwrap_or_else(|| ResourceRequirements {
        requests: Some(BTreeMap::from([
            ("cpu".to_string(), Quantity(cpu.to_string())),
            ("memory".to_string(), Quantity(memory.to_string())),
        ])),
        ..ResourceRequirements::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_request_cpu_and_memory_without_limits() {
        let r = resources_or(None, ETCD_CPU_REQUEST, ETCD_MEMORY_REQUEST);
        let requests = r.requests.expect("requests");
        assert_eq!((requests["cpu"].0.as_str(), requests["memory"].0.as_str()), ("100m", "256Mi"));
        assert_eq!(r.limits, None);
    }

    #[test]
    fn given_resources_replace_the_defaults_whole() {
        let only_limits = ResourceRequirements {
            limits: Some(BTreeMap::from([("cpu".to_string(), Quantity("50m".into()))])),
            ..ResourceRequirements::default()
        };
        assert_eq!(
            resources_or(Some(&only_limits), "100m", "128Mi"),
            only_limits,
            "no request above the limit"
        );
        let none = ResourceRequirements::default();
        assert_eq!(resources_or(Some(&none), "100m", "128Mi"), none);
    }
}
