//! What an image means on the sandbox's node: an image tagged with an installed etcd
//! version runs that etcd build, with `etcd`, `etcdctl` and `etcdutl` on PATH. As in the
//! etcd project's images, there is no entrypoint and the default command (CMD) is
//! `/usr/local/bin/etcd`: a container's `args` without `command` replace that CMD, exactly
//! as a container runtime does. The operator's image runs the locally built
//! `etcd-operator`. Anything else cannot be pulled, as on a node without a registry.

use std::path::{Path, PathBuf};

use crate::etcd_builds::{self, EtcdBuild};

/// Image repositories ending in this name run the locally built operator.
pub const OPERATOR_IMAGE_NAME: &str = "etcd-operator";

/// What a container runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The program started.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// Folders put first on PATH.
    pub path_dirs: Vec<PathBuf>,
    /// The program's path inside the image, for an isolated container.
    pub in_image: PathBuf,
    /// The image's own files: (file on this machine, path inside the image).
    pub image_files: Vec<(PathBuf, PathBuf)>,
}

/// Where the images keep their programs, first on PATH in an isolated container.
pub const IMAGE_BIN_DIR: &str = "/usr/local/bin";

fn in_image(name: &str) -> PathBuf {
    Path::new(IMAGE_BIN_DIR).join(name)
}

/// Why a container cannot start.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// No such image on this node (the kubelet's `ErrImagePull`).
    #[error(
        "image {0:?} is not available in the sandbox: it runs etcd images tagged with an installed \
         version (see scripts/prereqs.sh) and the etcd-operator image"
    )]
    NotAvailable(String),
    /// The command is not in the image (the kubelet's `StartError`).
    #[error("exec: {0:?}: executable file not found in $PATH")]
    NoSuchCommand(String),
}

/// Resolves a container's image, command and args to a program on this machine.
pub fn resolve(
    image: &str,
    command: &[String],
    args: &[String],
    operator_binary: Option<&Path>,
) -> Result<Resolved, ImageError> {
    if repository_of(image).rsplit('/').next() == Some(OPERATOR_IMAGE_NAME) {
        let program =
            operator_binary.ok_or_else(|| ImageError::NotAvailable(image.to_string()))?.to_path_buf();
        let mut all: Vec<String> = command.iter().skip(1).cloned().collect();
        all.extend(args.iter().cloned());
        let image_files = vec![(program.clone(), in_image(OPERATOR_IMAGE_NAME))];
        return Ok(Resolved {
            program,
            args: all,
            path_dirs: vec![],
            in_image: in_image(OPERATOR_IMAGE_NAME),
            image_files,
        });
    }
    let build = etcd_builds::version_of_image(image)
        .and_then(|v| etcd_builds::locate(&v).ok())
        .ok_or_else(|| ImageError::NotAvailable(image.to_string()))?;
    resolve_in_etcd_image(&build, command, args)
}

/// `registry:5000/name:tag@sha256:...` without tag and digest.
fn repository_of(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    match image.rsplit_once(':') {
        Some((repository, tag)) if !tag.contains('/') => repository,
        _ => image,
    }
}

fn resolve_in_etcd_image(
    build: &EtcdBuild,
    command: &[String],
    args: &[String],
) -> Result<Resolved, ImageError> {
    // No ENTRYPOINT, CMD ["/usr/local/bin/etcd"]: `command` replaces the entrypoint (and
    // drops the CMD), `args` alone replace the CMD.
    let words: Vec<String> = match (command.is_empty(), args.is_empty()) {
        (false, _) => command.iter().chain(args).cloned().collect(),
        (true, false) => args.to_vec(),
        (true, true) => vec!["/usr/local/bin/etcd".to_string()],
    };
    let Some((entry, rest)) = words.split_first() else {
        return Err(ImageError::NoSuchCommand(String::new()));
    };
    let entry = entry.clone();
    let base = entry.rsplit('/').next().unwrap_or_default();
    let (program, inside) = match base {
        "etcd" | "etcdctl" | "etcdutl" => (build.dir.join(base), in_image(base)),
        // The sandbox's images have a shell, so containers can run small scripts.
        "sh" | "bash" => (PathBuf::from("/bin").join(base), PathBuf::from("/bin").join(base)),
        _ => return Err(ImageError::NoSuchCommand(entry)),
    };
    if !program.exists() {
        return Err(ImageError::NoSuchCommand(entry));
    }
    let image_files = ["etcd", "etcdctl", "etcdutl"]
        .iter()
        .map(|tool| (build.dir.join(tool), in_image(tool)))
        .filter(|(file, _)| file.exists())
        .collect();
    Ok(Resolved {
        program,
        args: rest.to_vec(),
        path_dirs: vec![build.dir.clone()],
        in_image: inside,
        image_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn etcd_images_run_the_installed_build() {
        let resolved = resolve(
            "gcr.io/etcd-development/etcd:v3.5.1",
            &strings(&["/usr/local/bin/etcd"]),
            &strings(&["--name", "m0"]),
            None,
        )
        .unwrap();
        assert!(resolved.program.ends_with("v3.5.1/etcd"), "{resolved:?}");
        assert_eq!(resolved.in_image, PathBuf::from("/usr/local/bin/etcd"));
        assert!(
            resolved
                .image_files
                .iter()
                .any(|(f, inside)| f.ends_with("v3.5.1/etcdutl")
                    && inside == Path::new("/usr/local/bin/etcdutl")),
            "{resolved:?}"
        );
        assert_eq!(resolved.args, ["--name", "m0"]);
        let default = resolve("gcr.io/etcd-development/etcd:v3.5.1", &[], &[], None).unwrap();
        assert!(default.program.ends_with("v3.5.1/etcd") && default.args.is_empty(), "the image's CMD");
        let flags_only =
            resolve("gcr.io/etcd-development/etcd:v3.5.1", &[], &strings(&["--name", "m0"]), None);
        assert_eq!(
            flags_only,
            Err(ImageError::NoSuchCommand("--name".into())),
            "args replace the CMD, as in a runtime"
        );
        let ctl = resolve(
            "quay.io/coreos/etcd:v3.4.23",
            &strings(&["/usr/local/bin/etcdctl", "endpoint", "health"]),
            &[],
            None,
        )
        .unwrap();
        assert!(ctl.program.ends_with("v3.4.23/etcdctl") && ctl.args == ["endpoint", "health"]);
    }

    #[test]
    fn unknown_images_and_commands_are_refused() {
        assert!(matches!(resolve("busybox:1.36", &[], &[], None), Err(ImageError::NotAvailable(_))));
        assert!(matches!(resolve("etcd:v9.9.9", &[], &[], None), Err(ImageError::NotAvailable(_))));
        let python = resolve("etcd:v3.5.0", &strings(&["python3"]), &[], None);
        assert_eq!(python, Err(ImageError::NoSuchCommand("python3".into())));
    }

    #[test]
    fn operator_image_runs_the_local_binary() {
        let binary = PathBuf::from("/opt/etcd-operator");
        let resolved =
            resolve("ghcr.io/kubectl-etcd/etcd-operator:v0.1.0", &[], &strings(&["run"]), Some(&binary))
                .unwrap();
        assert_eq!((resolved.program, resolved.args), (binary.clone(), strings(&["run"])));
        assert_eq!(resolved.in_image, PathBuf::from("/usr/local/bin/etcd-operator"));
        assert_eq!(resolved.image_files, [(binary.clone(), resolved.in_image.clone())]);
        assert!(resolve("ghcr.io/kubectl-etcd/etcd-operator:v0.1.0", &[], &[], None).is_err(), "not built");
        assert!(
            resolve("localhost:5000/etcd-operator", &[], &[], Some(&binary)).is_ok(),
            "registry port kept"
        );
    }
}
