//! `kubectl etcd install` reads the server's version (`GET /version`) first and refuses a
//! Kubernetes older than `shared::kubernetes::MINIMUM` with exit 3, naming the version it
//! needs and the one it found, and changes nothing. The sandbox claims Kubernetes 1.29 here
//! (`Options::kube_version`, as `etcd-sandbox up --kube-version 1.29` does).

mod common;

use common::{expect_code, plugin, stderr, stdout};
use etcd_sandbox::api::kube_version::KubeVersion;
use etcd_sandbox::instance::Options;
use etcd_sandbox::testkit::TestSandbox;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::ListParams;

#[tokio::test]
async fn install_refuses_a_kubernetes_older_than_the_minimum_and_changes_nothing() {
    let options =
        Options { node: false, kube_version: KubeVersion { major: 1, minor: 29 }, ..Options::default() };
    let sb = TestSandbox::start_with(options).await.expect("sandbox starts");
    let kubeconfig = sb.kubeconfig();

    let out = plugin(&kubeconfig, &["install"]).await;
    expect_code(&out, 3);
    let message = stderr(&out);
    println!("{message}");
    assert!(message.contains("Kubernetes 1.29 (v1.29.0-etcd-sandbox)"), "names what it found: {message}");
    assert!(message.contains("needs Kubernetes 1.30 or newer"), "names what it needs: {message}");
    assert!(message.contains("nothing was changed"), "{message}");
    assert_eq!(stdout(&out), "", "nothing applied");

    let crds: Api<CustomResourceDefinition> = Api::all(sb.client.clone());
    let names: Vec<String> = crds
        .list(&ListParams::default())
        .await
        .expect("lists CRDs")
        .items
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .collect();
    assert!(names.iter().all(|n| !n.ends_with("kubectl-etcd.dev")), "no CRD was applied: {names:?}");
    let namespaces: Api<Namespace> = Api::all(sb.client.clone());
    assert!(
        namespaces.get_opt("etcd-operator").await.expect("reads namespaces").is_none(),
        "no namespace was created"
    );
    sb.stop().await;
}
