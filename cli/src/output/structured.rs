//! `-o json|yaml`: an object printed whole, the same way by every command that offers it.

use serde::Serialize;

/// A machine-readable output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Structured {
    /// Pretty-printed JSON, ending in a newline.
    Json,
    /// YAML.
    Yaml,
}

/// `value` in `format`, or why it cannot be printed.
pub fn render<T: Serialize>(value: &T, format: Structured) -> Result<String, String> {
    match format {
        Structured::Json => {
            serde_json::to_string_pretty(value).map(|text| text + "\n").map_err(|e| e.to_string())
        }
        Structured::Yaml => serde_yaml::to_string(value).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_ends_in_a_newline_and_yaml_is_yaml() {
        let value = serde_json::json!({"plugin": "0.1.0"});
        assert_eq!(render(&value, Structured::Json), Ok("{\n  \"plugin\": \"0.1.0\"\n}\n".to_string()));
        assert_eq!(render(&value, Structured::Yaml), Ok("plugin: 0.1.0\n".to_string()));
    }
}
