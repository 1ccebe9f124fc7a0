//! `etcd-operator`: runs etcd clusters described by EtcdCluster resources.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "etcd-operator", version, about = "Runs etcd clusters described by EtcdCluster resources")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the CustomResourceDefinitions as YAML (`etcd-operator crd | kubectl apply -f -`),
    /// or write one file per definition into a folder with `--write DIR`.
    Crd {
        /// Write `<group>_<plural>.yaml` files into this folder instead of printing.
        #[arg(long, value_name = "DIR")]
        write: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crd { write: None } => {
            print!("{}", shared::crd::render_all().context("rendering the CRDs as YAML")?);
        }
        Command::Crd { write: Some(dir) } => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for crd in shared::crd::definitions() {
                let path = dir.join(shared::crd::manifest_file_name(&crd));
                let yaml = shared::crd::render_manifest(&crd).context("rendering a CRD as YAML")?;
                std::fs::write(&path, yaml).with_context(|| format!("writing {}", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}
