//! Pod Security admission, as the API server's built-in `PodSecurity` plugin enforces it:
//! a namespace labelled `pod-security.kubernetes.io/enforce: baseline|restricted` refuses
//! Pods that break that level of the Pod Security Standards
//! (<https://kubernetes.io/docs/concepts/security/pod-security-standards/>), with the
//! plugin's message: `pods "x" is forbidden: violates PodSecurity "restricted:latest":
//! <reason> (<detail>), ...`. The checks are those of `k8s.io/pod-security-admission/policy`
//! that matter for the Pods this project makes, with the same reasons and details, in the
//! same order (baseline checks, then restricted ones; the restricted capabilities and
//! seccomp checks replace their baseline versions).
//!
//! Pure: [`violations`] judges a Pod, [`forbidden_message`] words the refusal.

use serde_json::Value;

/// The namespace label that sets the enforced level.
pub const ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";
/// The namespace label that pins the level's version (`latest` when absent).
pub const ENFORCE_VERSION_LABEL: &str = "pod-security.kubernetes.io/enforce-version";

/// A Pod Security Standards level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Unrestricted.
    Privileged,
    /// Prevents known privilege escalations.
    Baseline,
    /// Hardened: non-root, no capabilities, a seccomp profile.
    Restricted,
}

impl Level {
    /// From a label value; an unknown value enforces nothing (the real plugin refuses
    /// such a label on the namespace instead).
    pub fn parse(value: &str) -> Option<Level> {
        match value {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// One broken check: its reason and what to change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// `runAsNonRoot != true`, `unrestricted capabilities`, ...
    pub reason: &'static str,
    /// `pod or container "etcd" must set securityContext.runAsNonRoot=true`, ...
    pub detail: String,
}

/// The level a namespace enforces and its version label, from the namespace object.
pub fn enforced(namespace: &Value) -> Option<(Level, String)> {
    let labels = &namespace["metadata"]["labels"];
    let level = Level::parse(labels[ENFORCE_LABEL].as_str()?)?;
    let version = labels[ENFORCE_VERSION_LABEL].as_str().unwrap_or("latest").to_string();
    Some((level, version))
}

/// `pods "x" is forbidden: violates PodSecurity "restricted:latest": ...`
pub fn forbidden_message(level: Level, version: &str, violations: &[Violation]) -> String {
    let listed: Vec<String> = violations.iter().map(|v| format!("{} ({})", v.reason, v.detail)).collect();
    format!("violates PodSecurity \"{}:{version}\": {}", level.name(), listed.join(", "))
}

/// Capabilities the baseline level allows to add.
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Volume types the restricted level allows.
const RESTRICTED_VOLUME_TYPES: [&str; 8] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// What `pod` breaks at `level`, in the plugin's order; empty when it is admitted.
pub fn violations(level: Level, pod: &Value) -> Vec<Violation> {
    if level == Level::Privileged {
        return vec![];
    }
    let spec = &pod["spec"];
    let containers = containers(spec);
    let mut found = Vec::new();
    if level == Level::Baseline {
        found.extend(added_capabilities(&containers, &BASELINE_CAPABILITIES, "non-default capabilities"));
    }
    found.extend(host_namespaces(spec));
    let host_paths: Vec<&str> =
        volumes(spec).filter(|(_, kind)| *kind == "hostPath").map(|(n, _)| n).collect();
    if !host_paths.is_empty() {
        found.push(Violation {
            reason: "hostPath volumes",
            detail: format!(
                "{} {}",
                pluralize("volume", "volumes", host_paths.len()),
                join_quote(&host_paths)
            ),
        });
    }
    found.extend(host_ports(&containers));
    let privileged: Vec<&str> = names_where(&containers, |c| c["securityContext"]["privileged"] == true);
    if !privileged.is_empty() {
        found.push(Violation {
            reason: "privileged",
            detail: format!("{} must not set securityContext.privileged=true", containers_named(&privileged)),
        });
    }
    if level == Level::Baseline {
        return found;
    }
    let escalating = names_where(&containers, |c| c["securityContext"]["allowPrivilegeEscalation"] != false);
    if !escalating.is_empty() {
        found.push(Violation {
            reason: "allowPrivilegeEscalation != false",
            detail: format!(
                "{} must set securityContext.allowPrivilegeEscalation=false",
                containers_named(&escalating)
            ),
        });
    }
    found.extend(restricted_capabilities(&containers));
    found.extend(restricted_volumes(spec));
    found.extend(run_as_non_root(spec, &containers));
    found.extend(run_as_user(spec, &containers));
    found.extend(seccomp(spec, &containers));
    found
}

/// Init containers, then containers, then ephemeral containers, as `VisitContainers`.
fn containers(spec: &Value) -> Vec<&Value> {
    ["initContainers", "containers", "ephemeralContainers"]
        .iter()
        .flat_map(|list| spec[*list].as_array().into_iter().flatten())
        .collect()
}

fn name_of(container: &Value) -> &str {
    container["name"].as_str().unwrap_or_default()
}

fn names_where<'a>(containers: &[&'a Value], broken: impl Fn(&Value) -> bool) -> Vec<&'a str> {
    containers.iter().filter(|c| broken(c)).map(|c| name_of(c)).collect()
}

fn pluralize<'a>(one: &'a str, many: &'a str, n: usize) -> &'a str {
    if n == 1 { one } else { many }
}

fn join_quote(items: &[&str]) -> String {
    items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ")
}

fn containers_named(names: &[&str]) -> String {
    format!("{} {}", pluralize("container", "containers", names.len()), join_quote(names))
}

/// `(volume name, volume type)` of every volume.
fn volumes(spec: &Value) -> impl Iterator<Item = (&str, &str)> {
    spec["volumes"].as_array().into_iter().flatten().filter_map(|v| {
        let name = v["name"].as_str()?;
        let kind = v.as_object()?.keys().find(|k| *k != "name")?;
        Some((name, kind.as_str()))
    })
}

fn host_namespaces(spec: &Value) -> Option<Violation> {
    let set: Vec<String> = ["hostNetwork", "hostPID", "hostIPC"]
        .iter()
        .filter(|field| spec[**field] == true)
        .map(|field| format!("{field}=true"))
        .collect();
    (!set.is_empty()).then(|| Violation { reason: "host namespaces", detail: set.join(", ") })
}

fn host_ports(containers: &[&Value]) -> Option<Violation> {
    let mut names = Vec::new();
    let mut ports = Vec::new();
    for c in containers {
        let used: Vec<String> = c["ports"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["hostPort"].as_i64())
            .filter(|port| *port != 0)
            .map(|port| port.to_string())
            .collect();
        if !used.is_empty() {
            names.push(name_of(c));
            ports.extend(used);
        }
    }
    (!names.is_empty()).then(|| Violation {
        reason: "hostPort",
        detail: format!(
            "{} {} {} {}",
            containers_named(&names),
            pluralize("uses", "use", names.len()),
            pluralize("hostPort", "hostPorts", ports.len()),
            ports.join(", ")
        ),
    })
}

fn added_capabilities(containers: &[&Value], allowed: &[&str], reason: &'static str) -> Option<Violation> {
    let mut names = Vec::new();
    let mut capabilities: Vec<&str> = Vec::new();
    for c in containers {
        let bad: Vec<&str> = c["securityContext"]["capabilities"]["add"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|cap| !allowed.contains(cap))
            .collect();
        if !bad.is_empty() {
            names.push(name_of(c));
            for cap in bad {
                if !capabilities.contains(&cap) {
                    capabilities.push(cap);
                }
            }
        }
    }
    (!names.is_empty()).then(|| Violation {
        reason,
        detail: format!(
            "{} must not include {} in securityContext.capabilities.add",
            containers_named(&names),
            join_quote(&capabilities)
        ),
    })
}

fn restricted_capabilities(containers: &[&Value]) -> Option<Violation> {
    let not_dropping = names_where(containers, |c| {
        !c["securityContext"]["capabilities"]["drop"].as_array().is_some_and(|d| d.iter().any(|x| x == "ALL"))
    });
    let mut details = Vec::new();
    if !not_dropping.is_empty() {
        details.push(format!(
            "{} must set securityContext.capabilities.drop=[\"ALL\"]",
            containers_named(&not_dropping)
        ));
    }
    if let Some(adding) = added_capabilities(containers, &["NET_BIND_SERVICE"], "unrestricted capabilities") {
        details.push(adding.detail);
    }
    (!details.is_empty())
        .then(|| Violation { reason: "unrestricted capabilities", detail: details.join("; ") })
}

fn restricted_volumes(spec: &Value) -> Option<Violation> {
    let mut names = Vec::new();
    let mut kinds: Vec<&str> = Vec::new();
    for (name, kind) in volumes(spec).filter(|(_, kind)| !RESTRICTED_VOLUME_TYPES.contains(kind)) {
        names.push(name);
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    (!names.is_empty()).then(|| Violation {
        reason: "restricted volume types",
        detail: format!(
            "{} {} {} {}",
            pluralize("volume", "volumes", names.len()),
            join_quote(&names),
            pluralize("uses restricted volume type", "use restricted volume types", kinds.len()),
            join_quote(&kinds)
        ),
    })
}

fn run_as_non_root(spec: &Value, containers: &[&Value]) -> Option<Violation> {
    let pod = &spec["securityContext"]["runAsNonRoot"];
    let explicit = names_where(containers, |c| c["securityContext"]["runAsNonRoot"] == false);
    let mut setters = Vec::new();
    if *pod == false {
        setters.push("pod".to_string());
    }
    if !explicit.is_empty() {
        setters.push(containers_named(&explicit));
    }
    if !setters.is_empty() {
        return Some(Violation {
            reason: "runAsNonRoot != true",
            detail: format!("{} must not set securityContext.runAsNonRoot=false", setters.join(" and ")),
        });
    }
    let implicit =
        names_where(containers, |c| c["securityContext"]["runAsNonRoot"].is_null() && *pod != true);
    (!implicit.is_empty()).then(|| Violation {
        reason: "runAsNonRoot != true",
        detail: format!("pod or {} must set securityContext.runAsNonRoot=true", containers_named(&implicit)),
    })
}

fn run_as_user(spec: &Value, containers: &[&Value]) -> Option<Violation> {
    let mut setters = Vec::new();
    if spec["securityContext"]["runAsUser"] == 0 {
        setters.push("pod".to_string());
    }
    let containers = names_where(containers, |c| c["securityContext"]["runAsUser"] == 0);
    if !containers.is_empty() {
        setters.push(containers_named(&containers));
    }
    (!setters.is_empty()).then(|| Violation {
        reason: "runAsUser=0",
        detail: format!("{} must not set runAsUser=0", setters.join(" and ")),
    })
}

fn seccomp(spec: &Value, containers: &[&Value]) -> Option<Violation> {
    let allowed = |kind: &Value| kind == "RuntimeDefault" || kind == "Localhost";
    let pod = &spec["securityContext"]["seccompProfile"]["type"];
    let mut setters = Vec::new();
    if !pod.is_null() && !allowed(pod) {
        setters.push("pod".to_string());
    }
    let explicit = names_where(containers, |c| {
        let kind = &c["securityContext"]["seccompProfile"]["type"];
        !kind.is_null() && !allowed(kind)
    });
    if !explicit.is_empty() {
        setters.push(containers_named(&explicit));
    }
    if !setters.is_empty() {
        return Some(Violation {
            reason: "seccompProfile",
            detail: format!(
                "{} must not set securityContext.seccompProfile.type to \"Unconfined\"",
                setters.join(" and ")
            ),
        });
    }
    let implicit = names_where(containers, |c| c["securityContext"]["seccompProfile"]["type"].is_null());
    (pod.is_null() && !implicit.is_empty()).then(|| Violation {
        reason: "seccompProfile",
        detail: format!(
            "pod or {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
            containers_named(&implicit)
        ),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(spec: Value) -> Value {
        json!({"metadata": {"name": "x"}, "spec": spec})
    }

    fn hardened() -> Value {
        json!({"name": "etcd", "image": "etcd", "securityContext": {
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
        }})
    }

    #[test]
    fn a_bare_pod_breaks_restricted_as_the_plugin_words_it() {
        let bare = pod(json!({"containers": [{"name": "nginx", "image": "nginx"}]}));
        let found = violations(Level::Restricted, &bare);
        assert_eq!(
            forbidden_message(Level::Restricted, "latest", &found),
            "violates PodSecurity \"restricted:latest\": allowPrivilegeEscalation != false (container \"nginx\" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container \"nginx\" must set securityContext.capabilities.drop=[\"ALL\"]), runAsNonRoot != true (pod or container \"nginx\" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container \"nginx\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")"
        );
        assert!(violations(Level::Baseline, &bare).is_empty(), "baseline admits it");
        assert!(violations(Level::Privileged, &bare).is_empty());
    }

    #[test]
    fn a_hardened_pod_passes_restricted() {
        let good = pod(json!({
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65532, "fsGroup": 65532,
                "seccompProfile": {"type": "RuntimeDefault"}},
            "initContainers": [hardened()],
            "containers": [hardened()],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "d"}},
                {"name": "tmp", "emptyDir": {}}],
        }));
        assert_eq!(violations(Level::Restricted, &good), vec![]);
    }

    #[test]
    fn explicit_root_and_unconfined_are_named_with_who_set_them() {
        let mut root = hardened();
        root["securityContext"]["runAsUser"] = json!(0);
        root["securityContext"]["runAsNonRoot"] = json!(false);
        root["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
        let found = violations(
            Level::Restricted,
            &pod(
                json!({"securityContext": {"runAsUser": 0}, "containers": [root, {"name": "b", "image": "i",
                "securityContext": {"allowPrivilegeEscalation": false, "runAsNonRoot": true,
                    "seccompProfile": {"type": "RuntimeDefault"},
                    "capabilities": {"drop": ["ALL"], "add": ["NET_ADMIN", "NET_BIND_SERVICE"]}}}]}),
            ),
        );
        let reasons: Vec<_> = found.iter().map(|v| (v.reason, v.detail.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (
                    "unrestricted capabilities",
                    "container \"b\" must not include \"NET_ADMIN\" in securityContext.capabilities.add"
                ),
                (
                    "runAsNonRoot != true",
                    "container \"etcd\" must not set securityContext.runAsNonRoot=false"
                ),
                ("runAsUser=0", "pod and container \"etcd\" must not set runAsUser=0"),
                (
                    "seccompProfile",
                    "container \"etcd\" must not set securityContext.seccompProfile.type to \"Unconfined\""
                ),
            ]
        );
    }

    #[test]
    fn baseline_refuses_host_access_and_privilege() {
        let found = violations(
            Level::Baseline,
            &pod(json!({"hostNetwork": true, "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
            "containers": [
                {"name": "a", "image": "i", "ports": [{"containerPort": 80, "hostPort": 80}],
                 "securityContext": {"privileged": true, "capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}}},
                {"name": "b", "image": "i", "securityContext": {"privileged": true}},
            ]})),
        );
        assert_eq!(
            forbidden_message(Level::Baseline, "latest", &found),
            "violates PodSecurity \"baseline:latest\": non-default capabilities (container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add), host namespaces (hostNetwork=true), hostPath volumes (volume \"root\"), hostPort (container \"a\" uses hostPort 80), privileged (containers \"a\", \"b\" must not set securityContext.privileged=true)"
        );
        let restricted = violations(
            Level::Restricted,
            &pod(
                json!({"volumes": [{"name": "root", "hostPath": {"path": "/"}}], "containers": [hardened()]}),
            ),
        );
        assert!(
            restricted.iter().any(|v| v.reason == "restricted volume types"
                && v.detail == "volume \"root\" uses restricted volume type \"hostPath\""),
            "{restricted:?}"
        );
    }

    #[test]
    fn the_namespace_label_sets_the_level() {
        let ns = json!({"metadata": {"name": "n", "labels": {ENFORCE_LABEL: "restricted", ENFORCE_VERSION_LABEL: "v1.30"}}});
        assert_eq!(enforced(&ns), Some((Level::Restricted, "v1.30".to_string())));
        assert_eq!(enforced(&json!({"metadata": {"name": "n"}})), None);
    }
}
