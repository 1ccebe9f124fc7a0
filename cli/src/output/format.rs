//! The `-o` formats of the commands that print resources, as kubectl names them.

use crate::output::structured::Structured;

/// `-o` of a command that prints a table of resources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    /// The table with more columns.
    Wide,
    /// The objects as JSON.
    Json,
    /// The objects as YAML.
    Yaml,
    /// KIND/NAME, one a line.
    Name,
}

/// `-o` of a command that prints one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ObjectFormat {
    /// The object as JSON.
    Json,
    /// The object as YAML.
    Yaml,
    /// KIND/NAME.
    Name,
}

impl TableFormat {
    /// The machine-readable format, for json and yaml.
    pub fn structured(self) -> Option<Structured> {
        match self {
            TableFormat::Json => Some(Structured::Json),
            TableFormat::Yaml => Some(Structured::Yaml),
            TableFormat::Wide | TableFormat::Name => None,
        }
    }
}

impl ObjectFormat {
    /// The machine-readable format, for json and yaml.
    pub fn structured(self) -> Option<Structured> {
        match self {
            ObjectFormat::Json => Some(Structured::Json),
            ObjectFormat::Yaml => Some(Structured::Yaml),
            ObjectFormat::Name => None,
        }
    }
}

/// `kind/name` lines, as `kubectl get -o name` prints them (`etcdcluster/demo`).
pub fn names(kind: &str, names: impl IntoIterator<Item = String>) -> String {
    names.into_iter().map(|name| format!("{kind}/{name}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_kind_slash_name_lines() {
        assert_eq!(
            names("etcdcluster", ["demo".to_string(), "prod".into()]),
            "etcdcluster/demo\netcdcluster/prod\n"
        );
        assert_eq!(names("etcdbackup", []), "");
    }

    #[test]
    fn json_and_yaml_are_structured() {
        assert_eq!(TableFormat::Json.structured(), Some(Structured::Json));
        assert_eq!(TableFormat::Wide.structured(), None);
        assert_eq!(ObjectFormat::Yaml.structured(), Some(Structured::Yaml));
        assert_eq!(ObjectFormat::Name.structured(), None);
    }
}
