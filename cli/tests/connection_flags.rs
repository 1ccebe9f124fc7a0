//! kubectl's connection flags, end to end with temporary kubeconfig files: `$KUBECONFIG`
//! lists files that are merged (the first to set a value wins), the context's namespace is
//! the default, `--cluster` and `--user` replace the context's, and `--as`/`--as-group`
//! send impersonation headers (seen by a one-shot HTTP listener standing in for an API
//! server). API-only sandbox; no root needed.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};

use common::{create_clusters, expect_code, plugin_with_env, stderr, stdout};
use etcd_sandbox::testkit::TestSandbox;

/// Writes `text` to `name` in `dir` and returns the path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, text).expect("kubeconfig written");
    path.to_str().expect("a UTF-8 path").to_string()
}

/// A sandbox with clusters `alpha` in `default` and `beta` in `team-a`.
async fn sandbox_with_two_clusters() -> TestSandbox {
    let sb = TestSandbox::start().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    create_clusters(&sb.client, "team-a", &[("default", "alpha"), ("team-a", "beta")]).await;
    sb
}

#[tokio::test]
async fn kubeconfig_list_is_merged_and_the_context_namespace_is_the_default() {
    let sb = sandbox_with_two_clusters().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // The first file names the context (namespace team-a); the second holds the cluster
    // and the user, and a context of the same name that must lose to the first file's.
    let first = write(
        dir.path(),
        "first",
        "apiVersion: v1\nkind: Config\ncurrent-context: lab\ncontexts:\n\
         - name: lab\n  context:\n    cluster: sandbox\n    user: me\n    namespace: team-a\n",
    );
    let second = write(
        dir.path(),
        "second",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: elsewhere\nclusters:\n\
             - name: sandbox\n  cluster:\n    server: {}\n\
             contexts:\n- name: lab\n  context:\n    cluster: sandbox\n    user: me\n    namespace: default\n\
             users:\n- name: me\n  user: {{}}\n",
            sb.sandbox.url()
        ),
    );
    let merged = format!("{first}:{second}");

    let out = plugin_with_env(Some(&merged), &["list", "-o", "name"]).await;
    expect_code(&out, 0);
    assert_eq!(stdout(&out), "etcdcluster/beta\n", "the first file's context, with its namespace");
    let out = plugin_with_env(Some(&merged), &["list", "-o", "name", "-n", "default"]).await;
    assert_eq!(stdout(&out), "etcdcluster/alpha\n", "-n wins over the context's namespace");
    let out = plugin_with_env(Some(&merged), &["list", "-A", "--no-headers"]).await;
    expect_code(&out, 0);
    let rows: Vec<Vec<String>> =
        stdout(&out).lines().map(|l| l.split_whitespace().map(str::to_string).collect()).collect();
    assert_eq!(rows.len(), 2, "{}", stdout(&out));
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), ("default", "alpha"));
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("team-a", "beta"));
    let out = plugin_with_env(Some(&merged), &["status", "beta", "-o", "name"]).await;
    assert_eq!(stdout(&out), "etcdcluster/beta\n");
    expect_code(&out, 5); // no status yet: no operator runs here

    let out = plugin_with_env(Some(&second), &["list"]).await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("elsewhere"), "the second file alone has no such context");
    sb.stop().await;
}

#[tokio::test]
async fn cluster_and_user_replace_the_contexts() {
    let sb = sandbox_with_two_clusters().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = write(
        dir.path(),
        "config",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: broken\nclusters:\n\
             - name: nowhere\n  cluster:\n    server: http://127.0.0.1:1\n\
             - name: sandbox\n  cluster:\n    server: {}\n\
             contexts:\n- name: broken\n  context:\n    cluster: nowhere\n    user: nobody\n\
             users:\n- name: nobody\n  user: {{}}\n- name: me\n  user: {{}}\n",
            sb.sandbox.url()
        ),
    );
    let run = |args: &'static [&'static str]| {
        let mut full = vec!["--kubeconfig", kubeconfig.as_str()];
        full.extend_from_slice(args);
        async move { plugin_with_env(None, &full).await }
    };
    expect_code(&run(&["list"]).await, 1);
    let out = run(&["list", "-o", "name", "--cluster", "sandbox"]).await;
    expect_code(&out, 0);
    assert_eq!(stdout(&out), "etcdcluster/alpha\n");
    let out = run(&["--cluster=sandbox", "--user", "me", "backups", "-A"]).await;
    expect_code(&out, 0);
    assert!(stderr(&out).contains("No etcdbackups found."), "{}", stderr(&out));
    let out = run(&["list", "--cluster", "sandbox", "--user", "ghost"]).await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("no user \"ghost\""), "{}", stderr(&out));
    let out = run(&["list", "--cluster", "ghost"]).await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("no cluster \"ghost\""), "{}", stderr(&out));
    sb.stop().await;
}

/// Accepts one HTTP request, answers 403 as an API server refusing it, and returns the
/// request's header lines, lower-cased.
fn one_request(listener: TcpListener) -> Vec<String> {
    let (stream, _) = listener.accept().expect("the plugin connects");
    let mut reader = BufReader::new(stream.try_clone().expect("stream"));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("a request line") == 0 || line.trim().is_empty() {
            break;
        }
        headers.push(line.trim().to_lowercase());
    }
    let body = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden by the test","reason":"Forbidden","code":403}"#;
    let mut stream = stream;
    let answer = format!(
        "HTTP/1.1 403 Forbidden\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(answer.as_bytes()).expect("answer written");
    headers
}

#[tokio::test]
async fn user_credentials_and_impersonation_reach_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("an address");
    let server = std::thread::spawn(move || one_request(listener));
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = write(
        dir.path(),
        "config",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n\
             - name: main\n  cluster:\n    server: http://127.0.0.1:1\n\
             - name: listener\n  cluster:\n    server: http://{address}\n\
             contexts:\n- name: main\n  context:\n    cluster: main\n    user: alice\n\
             users:\n- name: alice\n  user:\n    token: alice-token\n- name: bob\n  user:\n    token: bob-token\n"
        ),
    );
    let out = plugin_with_env(
        None,
        &[
            "--kubeconfig",
            &kubeconfig,
            "--cluster",
            "listener",
            "--user",
            "bob",
            "--as",
            "system:serviceaccount:ops:auditor",
            "--as-group",
            "ops",
            "--as-group",
            "auditors",
            "status",
            "demo",
        ],
    )
    .await;
    let headers = server.join().expect("the listener saw a request");
    println!("{headers:#?}");
    expect_code(&out, 1);
    assert!(stderr(&out).contains("forbidden by the test"), "{}", stderr(&out));
    assert!(
        headers[0]
            .starts_with("get /apis/etcd.kubectl-etcd.dev/v1alpha1/namespaces/default/etcdclusters/demo")
    );
    for expected in [
        "authorization: bearer bob-token",
        "impersonate-user: system:serviceaccount:ops:auditor",
        "impersonate-group: ops",
        "impersonate-group: auditors",
    ] {
        assert!(headers.iter().any(|h| h == expected), "{expected} in {headers:#?}");
    }
}

#[tokio::test]
async fn as_group_needs_as() {
    let out = plugin_with_env(None, &["--as-group", "ops", "list"]).await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("--as <USER>"), "{}", stderr(&out));
}
