//! Shell completion: `kubectl etcd completion SHELL` prints a script generated from the
//! command-line definition (committed under `completions/`), and `kubectl etcd __complete
//! WORDS...` answers kubectl's plugin completion protocol (what `kubectl_complete-etcd`
//! runs for `kubectl etcd <TAB>`).

mod candidates;
mod words;

use std::io::Write;

use clap_complete::Shell;

use crate::exit::Outcome;

pub use candidates::respond;

/// The hidden first word that asks for completions instead of running a command.
pub const PROTOCOL_WORD: &str = "__complete";

/// `kubectl etcd completion`.
#[derive(clap::Args)]
#[command(after_help = "Examples:\n  \
    kubectl etcd completion kubectl                 # how to make `kubectl etcd <TAB>` complete\n  \
    source <(kubectl etcd completion bash)          # complete the kubectl-etcd binary in bash\n  \
    kubectl etcd completion zsh > \"${fpath[1]}/_kubectl-etcd\"\n  \
    kubectl etcd completion fish > ~/.config/fish/completions/kubectl-etcd.fish\n  \
    kubectl etcd completion powershell >> $PROFILE")]
pub struct Args {
    /// `kubectl` prints how to install `kubectl_complete-etcd`, which kubectl 1.26+ runs to
    /// complete `kubectl etcd ...`; a shell prints a completion script for the
    /// `kubectl-etcd` binary itself.
    #[arg(value_enum)]
    target: Target,
}

/// What to print completions for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// Instructions for kubectl's plugin completion (`kubectl etcd <TAB>`).
    Kubectl,
    /// A bash script.
    Bash,
    /// A zsh script.
    Zsh,
    /// A fish script.
    Fish,
    /// A PowerShell script.
    Powershell,
}

/// The name the generated scripts complete.
pub const BINARY: &str = "kubectl-etcd";

/// Prints what `args` asks for to stdout.
pub fn run(args: &Args, command: clap::Command) -> std::io::Result<Outcome> {
    let text = match args.target {
        Target::Kubectl => KUBECTL_INSTRUCTIONS.as_bytes().to_vec(),
        Target::Bash => script(Shell::Bash, command),
        Target::Zsh => script(Shell::Zsh, command),
        Target::Fish => script(Shell::Fish, command),
        Target::Powershell => script(Shell::PowerShell, command),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&text)?;
    out.flush()?;
    Ok(Outcome::Success)
}

/// The completion script of `shell` for the `kubectl-etcd` binary.
pub fn script(shell: Shell, mut command: clap::Command) -> Vec<u8> {
    let mut text = Vec::new(); // writing to memory cannot fail, so clap_complete cannot panic
    clap_complete::generate(shell, &mut command, BINARY, &mut text);
    text
}

/// How to make `kubectl etcd <TAB>` complete.
const KUBECTL_INSTRUCTIONS: &str = r#"# kubectl 1.26+ completes `kubectl etcd <TAB>` by running an executable named
# kubectl_complete-etcd found on PATH. It ships beside kubectl-etcd (in the release archive
# and in the krew package); it hands the words typed so far to `kubectl-etcd __complete`,
# which answers with subcommands, flags, etcd versions and the EtcdClusters of the namespace.
#
# kubectl's own completion must be set up first, e.g. for bash:
#   source <(kubectl completion bash)
#
# Installed with krew, krew links only kubectl-etcd onto PATH; link the completer too:
ln -sf "$(dirname "$(readlink -f "$(command -v kubectl-etcd)")")/kubectl_complete-etcd" \
  "${KREW_ROOT:-$HOME/.krew}/bin/kubectl_complete-etcd"
#
# Installed from a release archive or with cargo: put kubectl_complete-etcd in the same
# folder as kubectl-etcd (any folder on PATH). Check with:
#   kubectl_complete-etcd ''
# which prints the subcommands and ends with a line `:4`.
"#;
