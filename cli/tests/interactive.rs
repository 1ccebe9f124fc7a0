//! The plugin on a terminal, as a person uses it: the built `kubectl-etcd` in a real
//! pseudo-terminal against a sandbox with a node running real etcd and the operator in this
//! process. `scale` without `--size` offers the sizes, shows the membership steps the
//! planner would take and asks; `backup`, `restore`, `upgrade` and `upgrade-plan` ask for
//! what their flags leave out, preview and confirm. Declining and Ctrl-C change nothing
//! (exit 8); accepting changes the cluster. Without a terminal nothing is asked: a missing
//! argument is a usage error (exit 2).
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
use shared::crd::{EtcdBackup, EtcdCluster, EtcdRestore};

/// Arrows and Enter, as a terminal sends them.
const DOWN: &str = "\x1b[B";
const UP: &str = "\x1b[A";
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

/// The screen text: what the terminal showed, without escape sequences and carriage returns.
fn clean(screen: &str) -> String {
    let mut out = String::new();
    let mut chars = screen.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL.
                Some(']') => {
                    for c in chars.by_ref() {
                        if c == '\x07' {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A terminal session and everything it showed so far.
struct Screen {
    session: PtySession,
    shown: String,
}

impl Screen {
    fn start(kubeconfig: &Path, args: &[&str]) -> Self {
        Screen { session: on_terminal(kubeconfig, args), shown: String::new() }
    }

    /// Waits until `text` is shown.
    fn expect(&mut self, text: &str) {
        let before = self
            .session
            .exp_string(text)
            .unwrap_or_else(|e| panic!("{text:?} not shown: {e}\n{}", clean(&self.shown)));
        self.shown.push_str(&before);
        self.shown.push_str(text);
    }

    fn press(&mut self, key: &str) {
        press(&mut self.session, key);
    }

    /// Types an answer and presses Enter.
    fn answer(&mut self, text: &str) {
        settle();
        self.session.send(text).expect("typed");
        self.press(ENTER);
    }

    /// The exit code and the whole screen, cleaned.
    fn end(self) -> (i32, String) {
        let (code, rest) = exit_code(self.session);
        (code, clean(&format!("{}{rest}", self.shown)))
    }
}

/// A sandbox with a node, the CRDs and the operator running in this process; the
/// EtcdClusters of `default`.
async fn sandbox_with_operator() -> (TestSandbox, Api<EtcdCluster>) {
    let sb = TestSandbox::start_with_node().await.expect("sandbox starts");
    sb.install_crds().await.expect("CRDs created");
    tokio::spawn(etcd_operator::controller::run(sb.client.clone(), std::future::pending()));
    let clusters = Api::namespaced(sb.client.clone(), "default");
    (sb, clusters)
}

async fn size_of(clusters: &Api<EtcdCluster>, name: &str) -> i32 {
    clusters.get(name).await.expect("the cluster").spec.size
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_offers_sizes_previews_the_steps_and_asks() {
    let (sb, clusters) = sandbox_with_operator().await;
    let kubeconfig = sb.kubeconfig();
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
    println!("declined session:\n{}", clean(&screen));
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
    // The question's own error ("interrupted: not scaled; ...") or main's Ctrl-C watch
    // ("interrupted: nothing was changed"), whichever sees the signal first: both exit 8.
    assert!(screen.contains("interrupted: ") && screen.contains("nothing was changed"), "{screen}");
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

/// `backup`, `restore`, `upgrade` and `upgrade-plan` on a terminal against one single-member
/// cluster at etcd 3.5.16: each asks for what its flags leave out, previews, and changes the
/// cluster only when accepted; without a terminal each missing argument is exit 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_and_upgrade_ask_preview_and_confirm() {
    let (sb, clusters) = sandbox_with_operator().await;
    let kubeconfig = sb.kubeconfig();
    let backups: Api<EtcdBackup> = Api::namespaced(sb.client.clone(), "default");
    let restores: Api<EtcdRestore> = Api::namespaced(sb.client.clone(), "default");
    let create = ["create", "c1", "--size", "1", "--version", "3.5.16", "--storage", "ephemeral", "--wait"];
    expect_code(&plugin(&kubeconfig, &create).await, 0);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = format!("file://{}", dir.path().join("store").display());

    // Scripts are never asked: each missing argument is the usage error, exit 2.
    for words in [&["backup", "c1"][..], &["restore", "r1"], &["upgrade", "c1"], &["upgrade-plan", "c1"]] {
        let out = plugin(&kubeconfig, words).await;
        expect_code(&out, 2);
        assert!(
            stderr(&out).contains("the following required arguments were not provided"),
            "{}",
            stderr(&out)
        );
    }
    assert!(backups.list(&Default::default()).await.expect("list").items.is_empty());

    // backup: a URL, first a wrong one (said, asked again), then declined.
    let (kc, url) = (kubeconfig.clone(), store.clone());
    let (code, screen) = session(move || {
        let mut s = Screen::start(&kc, &["backup", "c1"]);
        s.expect("Where should the snapshot of etcdcluster c1 go");
        s.expect("a file on this machine");
        s.press(ENTER);
        s.expect("Destination URL");
        s.answer("http://nowhere");
        s.expect("should match");
        s.answer(&url);
        s.expect("Back up etcdcluster c1 now? [Y/n]");
        s.press("n");
        s.end()
    })
    .await;
    println!("backup, declined:\n{screen}");
    assert_eq!(code, 8, "{screen}");
    assert!(screen.contains(&format!("to {store} with the store's ambient credentials")), "{screen}");
    assert!(screen.contains("not backed up: nothing was changed"), "{screen}");
    assert!(backups.list(&Default::default()).await.expect("list").items.is_empty(), "no EtcdBackup");

    // backup: accepted.
    let (kc, url) = (kubeconfig.clone(), store.clone());
    let (code, screen) = session(move || {
        let mut s = Screen::start(&kc, &["backup", "c1", "--to", &url, "--backup-name", "b1", "--wait"]);
        s.expect("Back up etcdcluster c1 now? [Y/n]");
        s.press("y");
        s.end()
    })
    .await;
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("as etcdbackup/b1"), "{screen}");
    let b1 = backups.get("b1").await.expect("the EtcdBackup was created");
    let sha256 = b1.status.and_then(|s| s.snapshot).map(|s| s.sha256).expect("a stored snapshot");

    // restore: the backup chosen from the list, 1 member, the snapshot's version; declined.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut s = Screen::start(&kc, &["restore", "r1"]);
        s.expect("Snapshot to restore into the new etcdcluster r1");
        s.expect("a snapshot file on this machine");
        s.press(ENTER);
        s.expect("Members of the new etcdcluster r1");
        s.expect("3 members - tolerates 1 failure  (default)");
        for key in [UP, UP, ENTER] {
            s.press(key);
        }
        s.expect("etcd version of the new cluster");
        s.press(ENTER);
        s.expect("Restore into the new etcdcluster r1 now? [Y/n]");
        s.press("n");
        s.end()
    })
    .await;
    println!("restore, declined:\n{screen}");
    assert_eq!(code, 8, "{screen}");
    assert!(
        screen.contains("c1  ")
            && screen.contains("etcd 3.5.16  sha256 ")
            && screen.contains("(etcdbackup/b1)"),
        "{screen}"
    );
    assert!(screen.contains(&format!("sha256 {}", &sha256[..12])), "{screen}");
    assert!(screen.contains("from     etcdbackup/b1 (its newest snapshot)"), "{screen}");
    assert!(screen.contains(&format!("checked  SHA-256 {sha256} (as the backup recorded)")), "{screen}");
    // The operator's rule for a restore without a version: the newest tested patch of the
    // snapshot's minor version (shared::version::restored_cluster_version), offered as the default.
    assert!(
        screen.contains("etcd version of the new cluster (tested: 3.4.23, 3.5.16, 3.5.30) [3.5.30]"),
        "{screen}"
    );
    assert!(screen.contains("new      1 member of etcd 3.5.30, with a persistent 1Gi volume"), "{screen}");
    assert!(screen.contains("not restored: nothing was changed"), "{screen}");
    assert!(restores.list(&Default::default()).await.expect("list").items.is_empty(), "no EtcdRestore");

    // restore: Ctrl-C at the version question creates nothing either.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut s = Screen::start(&kc, &["restore", "r1", "--from", "b1", "--size", "1"]);
        s.expect("etcd version of the new cluster");
        settle();
        s.session.send_control('c').expect("ctrl-c");
        s.end()
    })
    .await;
    assert_eq!(code, 8, "{screen}");
    assert!(screen.contains("nothing was changed"), "{screen}");
    assert!(restores.list(&Default::default()).await.expect("list").items.is_empty(), "no EtcdRestore");

    // restore: accepted.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut s =
            Screen::start(&kc, &["restore", "r1", "--from", "b1", "--size", "1", "--version", "3.5.16"]);
        s.expect("Restore into the new etcdcluster r1 now? [Y/n]");
        s.press("y");
        s.end()
    })
    .await;
    assert_eq!(code, 0, "{screen}");
    let r1 = restores.get("restore-r1").await.expect("the EtcdRestore was created");
    assert_eq!((r1.spec.source.backup.as_deref(), r1.spec.size), (Some("b1"), 1));

    // upgrade: the versions the policy allows from 3.5.16; the plan; Enter declines.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut s = Screen::start(&kc, &["upgrade", "c1"]);
        s.expect("Version to move etcdcluster c1 to (it runs etcd 3.5.16)");
        s.expect("3.5.30  patch upgrade");
        s.press(ENTER);
        s.expect("from etcd 3.5.16 to 3.5.30? [y/N]");
        s.press(ENTER);
        s.end()
    })
    .await;
    println!("upgrade, declined:\n{screen}");
    assert_eq!(code, 8, "{screen}");
    assert!(screen.contains("Not offered: 3.5.1, 3.5.0 (etcd advises against them"), "{screen}");
    assert!(
        screen.contains("Upgrade plan for etcdcluster c1: etcd 3.5.16 -> 3.5.30 (a patch upgrade)"),
        "{screen}"
    );
    assert!(screen.contains("not upgraded: nothing was changed"), "{screen}");
    assert_eq!(clusters.get("c1").await.expect("c1").spec.version, "3.5.16");

    // upgrade-plan: the plan, then the offer to carry it out, accepted.
    let kc = kubeconfig.clone();
    let (code, screen) = session(move || {
        let mut s = Screen::start(&kc, &["upgrade-plan", "c1", "--to", "3.5.30"]);
        s.expect(
            "Carry this plan out now: upgrade etcdcluster c1 in namespace default to etcd 3.5.30? [y/N]",
        );
        s.press("y");
        s.end()
    })
    .await;
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("etcdcluster/c1 upgrading to etcd 3.5.30"), "{screen}");
    assert_eq!(clusters.get("c1").await.expect("c1").spec.version, "3.5.30");
}
