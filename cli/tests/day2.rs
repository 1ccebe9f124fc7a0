//! The Day-2 window into etcd, end to end on the sandbox with the installed operator, on
//! etcd 3.5.30 and 3.4.23: `etcdctl` through `pods/exec` (its exit code is the plugin's),
//! `move-leader` (leader before and after), `alarm list`/`disarm` on alarms etcd really
//! holds (raised through etcd's Alarm API: NOSPACE stops writes until disarmed; CORRUPT is
//! refused without --corrupt), `logs` (interleaved, `--since`, `-f` ended by the test), and
//! a `report` bundle that holds its parts and no Secret value or private key.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{expect_code, plugin, stderr, stdout};
use etcd_client::{AlarmAction, AlarmOptions, AlarmType};
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Api;
use kube::api::{ListParams, PostParams};
use serde_json::{Value, json};

const SECRET_VALUE: &str = "hunter2-do-not-leak";
const PRIVATE_KEY_BODY: &str = "MHcCAQEEIDAYDONOTLEAKTHISKEYMATERIAL";

async fn member_ip(client: &kube::Client, pod: &str) -> String {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    pods.get(pod).await.expect("pod").status.and_then(|s| s.pod_ip).expect("pod IP")
}

fn json_of(out: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(out)).unwrap_or_else(|e| panic!("JSON ({e}): {}", stdout(out)))
}

async fn day2(version: &str) {
    let started = Instant::now();
    let sb = TestSandbox::start_with_node().await.expect("sandbox");
    let kc = sb.kubeconfig();
    let kc = kc.as_path();
    expect_code(&plugin(kc, &["install"]).await, 0);
    let out =
        plugin(kc, &["create", "demo", "--size", "3", "--version", version, "--wait", "--timeout", "3m"])
            .await;
    expect_code(&out, 0);
    println!("etcd {version}: 3 members running after {:.1} s", started.elapsed().as_secs_f64());

    // etcdctl inside a member, its exit code passed on.
    expect_code(&plugin(kc, &["etcdctl", "demo", "--", "put", "/x/a", "1"]).await, 0);
    expect_code(&plugin(kc, &["etcdctl", "demo", "--", "put", "/x/b", "2"]).await, 0);
    let out = plugin(kc, &["etcdctl", "demo", "--", "get", "--prefix", "/x"]).await;
    expect_code(&out, 0);
    assert_eq!(stdout(&out), "/x/a\n1\n/x/b\n2\n");
    let out =
        plugin(kc, &["etcdctl", "demo", "--member", "demo-2", "--", "endpoint", "health", "--cluster"]).await;
    expect_code(&out, 0);
    assert_eq!(stderr(&out).matches("is healthy").count() + stdout(&out).matches("is healthy").count(), 3);
    let out = plugin(kc, &["etcdctl", "demo", "--", "get"]).await;
    assert_ne!(out.status.code(), Some(0), "etcdctl's refusal is the plugin's exit code");
    let mut piped = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"))
        .args(["--kubeconfig", kc.to_str().expect("path"), "etcdctl", "demo", "-i", "--", "put", "/x/stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("etcdctl -i runs");
    {
        use tokio::io::AsyncWriteExt;
        let mut input = piped.stdin.take().expect("stdin");
        input.write_all(b"from-stdin").await.expect("written");
    }
    let out = piped.wait_with_output().await.expect("etcdctl -i ends");
    assert_eq!((out.status.code(), stdout(&out).trim()), (Some(0), "OK"));
    let out = plugin(kc, &["etcdctl", "demo", "--", "get", "/x/stdin", "--print-value-only"]).await;
    assert_eq!(stdout(&out), "from-stdin\n");
    let out = plugin(kc, &["etcdctl", "demo", "--", "version"]).await;
    assert!(stdout(&out).contains(&format!("etcdctl version: {version}")), "{}", stdout(&out));

    // move-leader: the default target, then back to a named member; refusals change nothing.
    let out = plugin(kc, &["move-leader", "demo", "-o", "json"]).await;
    expect_code(&out, 0);
    let moved = json_of(&out);
    let (before, after) = (moved["from"].as_str().expect("from"), moved["to"].as_str().expect("to"));
    assert_ne!(before, after);
    println!("etcd {version}: leader {before} -> {after}");
    let out = plugin(kc, &["move-leader", "demo", "--to", before]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains(&format!("{after} -> {before}")), "{}", stdout(&out));
    let out = plugin(kc, &["move-leader", "demo", "--to", "demo-9"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("demo-9 is not a member"), "{}", stderr(&out));

    // alarms etcd holds for real.
    let out = plugin(kc, &["alarm", "list", "demo", "-o", "json"]).await;
    expect_code(&out, 0);
    assert_eq!(json_of(&out), json!([]));
    let mut etcd = etcd_client::Client::connect(
        [format!("http://{}:2379", member_ip(&sb.client, "demo-0").await)],
        None,
    )
    .await
    .expect("etcd");
    let id_of = |members: &Value, name: &str| {
        let id = members
            .as_array()
            .expect("members")
            .iter()
            .find(|m| m["member"] == name)
            .map(|m| m["memberId"].clone());
        id.unwrap_or(Value::Null)
    };
    let status = etcd.status().await.expect("status");
    let own_id = status.header().expect("header").member_id();
    let mut options = AlarmOptions::new();
    options.with_member(own_id);
    etcd.alarm(AlarmAction::Activate, AlarmType::Nospace, Some(options)).await.expect("NOSPACE raised");
    let refused = etcd.put("/x/c", "3", None).await.expect_err("no writes under NOSPACE");
    assert!(refused.to_string().contains("database space exceeded"), "{refused}");
    let out = plugin(kc, &["alarm", "list", "demo", "-o", "json"]).await;
    expect_code(&out, 0);
    let listed = json_of(&out);
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(
        (listed[0]["member"].as_str(), listed[0]["alarm"].as_str()),
        (Some("demo-0"), Some("NOSPACE"))
    );
    assert_eq!(id_of(&listed, "demo-0"), json!(format!("{own_id:x}")));
    let out = plugin(kc, &["alarm", "list", "demo"]).await;
    assert!(stdout(&out).starts_with("MEMBER") && stdout(&out).contains("NOSPACE"), "{}", stdout(&out));
    let out = plugin(kc, &["alarm", "disarm", "demo"]).await;
    expect_code(&out, 0);
    assert!(stdout(&out).contains("NOSPACE of demo-0 disarmed"), "{}", stdout(&out));
    etcd.put("/x/c", "3", None).await.expect("writes again after disarm");

    let mut options = AlarmOptions::new();
    options.with_member(own_id);
    etcd.alarm(AlarmAction::Activate, AlarmType::Corrupt, Some(options)).await.expect("CORRUPT raised");
    let out = plugin(kc, &["alarm", "disarm", "demo", "--yes"]).await;
    expect_code(&out, 3);
    assert!(stderr(&out).contains("refusing to disarm the CORRUPT alarm of demo-0"), "{}", stderr(&out));
    let out = plugin(kc, &["alarm", "list", "demo", "-o", "json"]).await;
    assert_eq!(json_of(&out)[0]["alarm"], "CORRUPT", "the refusal changed nothing");
    let out = plugin(kc, &["alarm", "disarm", "demo", "--corrupt", "--yes"]).await;
    expect_code(&out, 0);
    let out = plugin(kc, &["alarm", "list", "demo", "-o", "json"]).await;
    assert_eq!(json_of(&out), json!([]));

    // logs: interleaved with member prefixes; -f until the test ends it.
    let out = plugin(kc, &["logs", "demo", "--since", "10m"]).await;
    expect_code(&out, 0);
    let text = stdout(&out);
    for member in ["demo-0", "demo-1", "demo-2"] {
        assert!(text.contains(&format!("[{member}] ")), "{member} in the logs");
    }
    let lines = text.lines().count();
    println!("etcd {version}: logs --since 10m: {lines} lines");
    let out = plugin(kc, &["logs", "demo", "--member", "demo-1", "--tail", "3"]).await;
    expect_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 3);
    assert!(stdout(&out).lines().all(|l| l.starts_with("[demo-1] ")), "{}", stdout(&out));
    let mut follow = tokio::process::Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"))
        .args(["--kubeconfig", kc.to_str().expect("path"), "logs", "demo", "-f", "--since", "1m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .stdin(Stdio::null())
        .spawn()
        .expect("logs -f runs");
    let mut followed = follow.stdout.take().expect("stdout");
    // A write makes every member log nothing new by itself; moving leadership does.
    expect_code(&plugin(kc, &["move-leader", "demo"]).await, 0);
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(4), async {
        use tokio::io::AsyncReadExt;
        let mut buffer = [0u8; 4096];
        while let Ok(n) = followed.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buffer[..n]);
        }
    })
    .await;
    assert_eq!(follow.try_wait().expect("state"), None, "-f still follows until stopped");
    follow.kill().await.expect("stopped");
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.lines().count() > 0 && seen.lines().all(|l| l.starts_with("[demo-")), "{seen}");
    println!("etcd {version}: logs -f: {} lines in 4 s", seen.lines().count());

    // report: the parts, and no Secret value or private key.
    let secrets: Api<Secret> = Api::namespaced(sb.client.clone(), "default");
    let secret = json!({"metadata": {"name": "store-credentials"}, "stringData": {
        "secret-key": SECRET_VALUE,
        "tls.key": format!("-----BEGIN EC PRIVATE KEY-----\n{PRIVATE_KEY_BODY}\n-----END EC PRIVATE KEY-----\n"),
    }});
    secrets
        .create(&PostParams::default(), &serde_json::from_value(secret).expect("secret"))
        .await
        .expect("secret created");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("report.tar.gz");
    let out = plugin(kc, &["report", "demo", "--out", file.to_str().expect("path")]).await;
    expect_code(&out, 0);
    let archive = std::fs::File::open(&file).expect("the bundle");
    let size = archive.metadata().expect("size").len();
    let mut entries = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    let mut files = std::collections::BTreeMap::new();
    for entry in entries.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = entry.path().expect("path").display().to_string();
        let mut text = String::new();
        entry.read_to_string(&mut text).expect("text");
        files.insert(path, text);
    }
    let names: Vec<&String> = files.keys().collect();
    println!("etcd {version}: report {size} bytes, {} files: {names:?}", files.len());
    for part in [
        "etcdcluster.yaml",
        "etcd/members.yaml",
        "etcd/alarms.yaml",
        "etcdbackups.yaml",
        "etcdrestores.yaml",
        "events.yaml",
        "pods.yaml",
        "persistentvolumeclaims.yaml",
        "secrets.yaml",
        "logs/members/demo-0.log",
        "logs/members/demo-1.log",
        "logs/members/demo-2.log",
        "errors.txt",
    ] {
        assert!(files.contains_key(&format!("etcd-report-demo/{part}")), "{part} in {names:?}");
    }
    assert!(
        names.iter().any(|n| n.starts_with("etcd-report-demo/logs/operator/etcd-operator_")),
        "{names:?}"
    );
    let members = &files["etcd-report-demo/etcd/members.yaml"];
    assert_eq!(members.matches("name: demo-").count(), 3, "{members}");
    assert!(members.contains(&format!("version: {version}")), "{members}");
    assert!(files["etcd-report-demo/etcdcluster.yaml"].contains("readyMembers: 3"));
    assert!(files["etcd-report-demo/events.yaml"].contains("demo"));
    let outlined = &files["etcd-report-demo/secrets.yaml"];
    assert!(
        outlined.contains("store-credentials")
            && outlined.contains("secret-key")
            && outlined.contains("tls.key")
    );
    let encoded = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    for (path, text) in &files {
        for leak in [SECRET_VALUE, PRIVATE_KEY_BODY, &encoded(SECRET_VALUE), "PRIVATE KEY-----\n"] {
            assert!(!text.contains(leak), "{path} holds {leak:?}");
        }
    }
    assert_eq!(files["etcd-report-demo/errors.txt"].trim(), "", "everything could be read");
    let operator_pods: Api<Pod> = Api::namespaced(sb.client.clone(), "etcd-operator");
    assert!(!operator_pods.list(&ListParams::default()).await.expect("operator pods").items.is_empty());
    println!("etcd {version}: day-2 commands took {:.1} s", started.elapsed().as_secs_f64());
    sb.stop().await;
}

#[tokio::test]
async fn day2_commands_on_etcd_3_5_30() {
    day2("3.5.30").await;
}

#[tokio::test]
async fn day2_commands_on_etcd_3_4_23() {
    day2("3.4.23").await;
}
