//! `kubectl-etcd`: the kubectl plugin for etcd clusters (`kubectl etcd ...`).

mod client;
mod commands;
mod completion;
mod credentials;
mod download;
mod exit;
mod grpc;
mod install;
mod members;
mod output;
mod prompt;
mod reference;
mod upload;
mod wait;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::client::KubeArgs;
use crate::exit::Outcome;
use crate::output::color::{ColorChoice, Palette, Surroundings};

#[derive(Parser)]
#[command(
    name = "kubectl-etcd",
    bin_name = "kubectl etcd",
    version,
    about = "Create, scale, heal, upgrade, back up and restore etcd clusters on Kubernetes",
    after_help = format!("{EXAMPLES}\n\n{}", exit::HELP)
)]
struct Cli {
    #[command(flatten)]
    kube: KubeArgs,

    /// When to colour what needs attention (a degraded cluster, an unhealthy member, a
    /// failed backup): auto colours a terminal unless NO_COLOR is set.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, help_heading = client::GLOBAL_OPTIONS)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Command,
}

/// Examples in the top-level help; the exit codes follow them.
const EXAMPLES: &str = "Examples:\n  \
    kubectl etcd create demo --size 3 --wait\n  \
    kubectl etcd list -A -o wide\n  \
    kubectl etcd status demo\n  \
    kubectl etcd scale demo --size 5 --wait\n  \
    kubectl etcd upgrade-plan demo --to 3.5.1\n  \
    kubectl etcd upgrade demo --to 3.5.1 --yes --wait\n  \
    kubectl etcd pause demo\n  \
    kubectl etcd delete demo --yes";

#[derive(Subcommand)]
enum Command {
    Create(commands::create::Args),
    List(commands::list::Args),
    Status(commands::status::Args),
    Scale(commands::scale::Args),
    UpgradePlan(commands::upgrade::PlanArgs),
    Upgrade(commands::upgrade::Args),
    Pause(commands::paused::PauseArgs),
    Resume(commands::paused::ResumeArgs),
    Delete(commands::delete::Args),
    Validate(commands::validate::Args),
    Version(commands::version::Args),
    Backup(commands::backup::Args),
    Backups(commands::backups::Args),
    Restore(commands::restore::Args),
    /// List or disarm etcd's alarms (NOSPACE, CORRUPT).
    Alarm(commands::alarm::Args),
    MoveLeader(commands::move_leader::Args),
    Etcdctl(commands::etcdctl::Args),
    Logs(commands::logs::Args),
    Report(commands::report::Args),
    Defrag(commands::defrag::Args),
    RotateCertificates(commands::rotate_certificates::Args),
    Credentials(commands::credentials::Args),
    /// Print shell completion scripts, or how to make `kubectl etcd <TAB>` complete.
    Completion(completion::Args),
    /// Install the CRDs and the etcd-operator (RBAC, Deployment) into the cluster.
    Install(install::InstallArgs),
    /// Remove what install installed; refuses while EtcdClusters exist unless --force.
    Uninstall(install::UninstallArgs),
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut words = std::env::args().skip(1);
    match words.next().as_deref() {
        Some(completion::PROTOCOL_WORD) => return completion::respond(Cli::command(), words.collect()).await,
        Some(reference::PROTOCOL_WORD) => {
            return reference::respond(Cli::command(), &words.collect::<Vec<_>>());
        }
        _ => {}
    }
    let cli = Cli::parse();
    tokio::select! {
        biased;
        code = run(&cli) => code,
        _ = tokio::signal::ctrl_c() => interrupted(),
    }
}

/// Ctrl-C: at a question nothing was changed; anywhere else what was sent stands (the
/// operator carries a change on without the plugin). Exits at once: a question's blocking
/// thread would keep the runtime from ending.
fn interrupted() -> ! {
    prompt::restore_terminal();
    if prompt::interrupted_a_question() {
        eprintln!("\ninterrupted: nothing was changed");
        std::process::exit(i32::from(exit::DECLINED));
    }
    eprintln!("\ninterrupted");
    std::process::exit(i32::from(exit::INTERRUPTED));
}

/// Runs the command the command line names.
async fn run(cli: &Cli) -> ExitCode {
    let kube = &cli.kube;
    let palette = Palette::new(cli.color, Surroundings::of_stdout());
    let result: anyhow::Result<Outcome> = match &cli.command {
        Command::Create(args) => commands::create::run(kube, args).await.map_err(Into::into),
        Command::List(args) => commands::list::run(kube, args, palette).await.map_err(Into::into),
        Command::Status(args) => commands::status::run(kube, args, palette).await.map_err(Into::into),
        Command::Scale(args) => commands::scale::run(kube, args).await.map_err(Into::into),
        Command::UpgradePlan(args) => commands::upgrade::plan(kube, args).await.map_err(Into::into),
        Command::Upgrade(args) => commands::upgrade::run(kube, args).await.map_err(Into::into),
        Command::Pause(args) => commands::paused::pause(kube, args).await.map_err(Into::into),
        Command::Resume(args) => commands::paused::resume(kube, args).await.map_err(Into::into),
        Command::Delete(args) => commands::delete::run(kube, args).await.map_err(Into::into),
        Command::Validate(args) => commands::validate::run(args).map_err(Into::into),
        Command::Version(args) => commands::version::run(kube, args).await.map_err(Into::into),
        Command::Backup(args) => commands::backup::run(kube, args).await.map_err(Into::into),
        Command::Backups(args) => commands::backups::run(kube, args, palette).await.map_err(Into::into),
        Command::Restore(args) => commands::restore::run(kube, args).await.map_err(Into::into),
        Command::Alarm(args) => commands::alarm::run(kube, args).await.map_err(Into::into),
        Command::MoveLeader(args) => commands::move_leader::run(kube, args).await.map_err(Into::into),
        Command::Etcdctl(args) => commands::etcdctl::run(kube, args).await.map_err(Into::into),
        Command::Logs(args) => commands::logs::run(kube, args).await.map_err(Into::into),
        Command::Report(args) => commands::report::run(kube, args).await.map_err(Into::into),
        Command::Defrag(args) => commands::defrag::run(kube, args).await.map_err(Into::into),
        Command::RotateCertificates(args) => {
            commands::rotate_certificates::run(kube, args).await.map_err(Into::into)
        }
        Command::Credentials(args) => commands::credentials::run(kube, args).await.map_err(Into::into),
        Command::Completion(args) => completion::run(args, Cli::command()).map_err(Into::into),
        Command::Install(args) => install::install(kube, args).await.map_err(Into::into),
        Command::Uninstall(args) => install::uninstall(kube, args).await.map_err(Into::into),
    };
    match result {
        Ok(outcome) => outcome.into(),
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
