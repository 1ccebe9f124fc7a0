//! What the TLS end-to-end tests share: the operator's output captured for a search for
//! keys, client credentials written for etcdctl, and etcdctl over https.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Everything the operator logs in this process, at debug level.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn start() -> Captured {
        let captured = Captured::default();
        let writer = captured.clone();
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("etcd_operator=debug,info"))
            .with_writer(move || writer.clone())
            .init();
        captured
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

/// Writes `credentials` as `ca.crt`, `tls.crt`, `tls.key` in `dir`.
pub fn write_credentials(dir: &Path, ca: &str, cert: &str, key: &str) -> [PathBuf; 3] {
    std::fs::create_dir_all(dir).expect("dir");
    let files = [dir.join("ca.crt"), dir.join("tls.crt"), dir.join("tls.key")];
    for (file, text) in files.iter().zip([ca, cert, key]) {
        std::fs::write(file, text).expect("write");
    }
    files
}

/// Runs etcdctl of `version` against `https://<ip>:2379` with `tls` flags; Ok(stdout) or
/// Err(stderr).
pub fn etcdctl(version: &str, ip: &str, tls: &[String], args: &[&str]) -> Result<String, String> {
    let build =
        etcd_sandbox::etcd_builds::locate(version).expect("etcd build installed by scripts/prereqs.sh");
    build.run_etcdctl(&format!("https://{ip}:2379"), tls, args)
}

/// etcdctl's TLS flags for a client certificate. The server is reached at its Pod IP, which
/// no certificate names (see docs/design.md, "TLS"), so etcdctl does not verify the server's
/// name here; the operator does, by the name every server certificate carries.
pub fn client_flags(files: &[PathBuf; 3]) -> Vec<String> {
    vec![
        format!("--cacert={}", files[0].display()),
        format!("--cert={}", files[1].display()),
        format!("--key={}", files[2].display()),
        "--insecure-skip-tls-verify".to_string(),
    ]
}
