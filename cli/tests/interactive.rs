//! The plugin on a terminal, as a person uses it: the built `kubectl-etcd` in a real
//! pseudo-terminal against a sandbox with a node running real etcd and the operator in this
//! process. `scale` without `--size` offers the sizes, shows the membership steps the
//! planner would take and asks; declining and Ctrl-C change nothing (exit 8); accepting
//! scales. Without a terminal nothing is asked.
//!
//! Runs as root (the sandbox's node), as CI does.

mod common;

use std::path::Path;
use std::process::Command;

use common::{expect_code, plugin, stderr};
use etcd_sandbox::testkit::TestSandbox;
use kube::Api;
use rexpect::process::wait::WaitStatus;
use rexpect::session::PtySession;
use shared::crd::EtcdCluster;

/// Down arrow and Enter, as a terminal sends them.
const DOWN: &str = "\x1b[B";
const ENTER: &str = "\r";

/// The plugin in a pseudo-terminal; every expectation waits at most 30 s.
fn on_terminal(kubeconfig: &Path, args: &[&str]) -> PtySession {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubectl-etcd"));
    command.arg("--kubeconfig").arg(kubeconfig).args(args).env_remove("KUBECONFIG").env("NO_COLOR", "1");
    rexpect::session::spawn_command(command, Some(30_000)).expect("the plugin starts in a pseudo-terminal")
}

/// Gives the plugin time to switch the terminal to reading single keys: what is typed
/// before that is read as a line.
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(300));
}

/// Presses a key once the plugin reads keys.
fn press(session: &mut PtySession, key: &str) {
    settle();
    session.send(key).expect("the key reaches the terminal");
    session.flush().expect("the key is sent");
}

/// Waits for the session to end and returns its exit code, with what it printed last.
fn exit_code(mut session: PtySession) -> (i32, String) {
    let rest = session.exp_eof().expect("the plugin ends");
    match session.process.wait().expect("its status") {
        WaitStatus::Exited(_, code) => (code, rest),
        other => panic!("the plugin did not exit normally: {other:?}; it printed {rest}"),
    }
}

/// Runs a terminal session on a blocking thread, so the operator keeps running.
async fn session<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(work).await.expect("the terminal session ran")
}

async fn size_of(clusters: &Api<EtcdCluster>, name: &str) -> i32 {
    clusters.get(name).await.expect("the cluster").spec.size
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_offers_sizes_previews_the_steps_and_asks() {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    let _operator = tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let kubeconfig = sb.kubeconfig();
    let clusters: Api<EtcdCluster> = Api::namespaced(sb.client.clone(), "default");
    let out = plugin(&kubeconfig, &["create", "s1", "--size", "3", "--storage", "ephemeral", "--wait"]).await;
    expect_code(&out, 0);

    // A script is never asked: the missing --size is clap's error and exit code.
    let out = plugin(&kubeconfig, &["scale", "s1"]).await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("the following required arguments were not provided"), "{}", stderr(&out));

    // Choose 5 (two down from the current 3), see the steps, decline.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut p = on_terminal(&kc, &["scale", "s1"]);
        p.exp_string("New size of etcdcluster s1 (now 3)").expect("the size is asked");
        p.exp_string("3 members - tolerates 1 failure  (current)").expect("the sizes are listed");
        for key in [DOWN, DOWN, ENTER] {
            press(&mut p, key);
        }
        let preview =
            p.exp_string("Scale etcdcluster s1 in namespace default to 5?").expect("the confirmation");
        press(&mut p, "n");
        let (code, rest) = exit_code(p);
        (code, format!("{preview}{rest}"))
    })
    .await;
    println!("declined session:\n{screen}");
    assert!(
        screen.contains("Scaling etcdcluster s1 from 3 to 5 voting members (tolerates 1 -> 2"),
        "{screen}"
    );
    assert!(screen.contains("1. adding s1-3 as a learner"), "{screen}");
    assert!(screen.contains("3. promoting learner s1-3 to a voting member"), "{screen}");
    assert!(screen.contains("6. promoting learner s1-4 to a voting member"), "{screen}");
    assert!(screen.contains("not scaled: nothing was changed"), "{screen}");
    assert_eq!(code, 8, "declined: {screen}");
    assert_eq!(size_of(&clusters, "s1").await, 3, "declining changes nothing");

    // Ctrl-C at the list changes nothing either.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut p = on_terminal(&kc, &["scale", "s1"]);
        p.exp_string("New size of etcdcluster s1").expect("the size is asked");
        settle();
        p.send_control('c').expect("ctrl-c");
        exit_code(p)
    })
    .await;
    assert!(screen.contains("interrupted: not scaled; nothing was changed"), "{screen}");
    assert_eq!(code, 8, "interrupted: {screen}");
    assert_eq!(size_of(&clusters, "s1").await, 3, "Ctrl-C changes nothing");

    // Shrinking asks with No as the default: Enter declines.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut p = on_terminal(&kc, &["scale", "s1", "--size", "1"]);
        let shown = p.exp_string("to 1? [y/N]").expect("No is the default");
        press(&mut p, ENTER);
        let (code, rest) = exit_code(p);
        (code, format!("{shown}{rest}"))
    })
    .await;
    println!("shrink session:\n{screen}");
    assert!(screen.contains("from 3 to 1 voting members (tolerates 1 -> 0 failed members)"), "{screen}");
    assert!(screen.contains("removing member s1-2") && screen.contains("removing member s1-1"), "{screen}");
    assert_eq!(code, 8, "Enter declines a shrink: {screen}");
    assert_eq!(size_of(&clusters, "s1").await, 3);

    // Accepting scales.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut p = on_terminal(&kc, &["scale", "s1", "--size", "5"]);
        p.exp_string("to 5? [Y/n]").expect("Yes is the default for growing");
        press(&mut p, "y");
        exit_code(p)
    })
    .await;
    assert_eq!(code, 0, "accepted: {screen}");
    assert!(screen.contains("etcdcluster/s1 scaled to 5"), "{screen}");
    assert_eq!(size_of(&clusters, "s1").await, 5);
}
