//! The few Markdown pieces the reference pages are made of.

/// Text made safe for one table cell: pipes escaped, line breaks as spaces.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A table with `headers` and `rows`, each row as many cells as headers (already made
/// safe with [`cell`]), followed by a blank line.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n|{}\n", headers.join(" | "), " --- |".repeat(headers.len()));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push('\n');
    out
}

/// `text` as inline code (an empty string as two backticks would render nothing, so it
/// shows `""`).
pub fn code(text: &str) -> String {
    if text.is_empty() { "`\"\"`".to_string() } else { format!("`{text}`") }
}

/// A fenced code block in `language`, followed by a blank line.
pub fn block(language: &str, text: &str) -> String {
    format!("```{language}\n{}\n```\n\n", text.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_tables_and_blocks() {
        assert_eq!(cell("a | b\n  c"), "a \\| b c");
        assert_eq!(
            table(&["x", "y"], &[vec!["1".into(), "2".into()]]),
            "| x | y |\n| --- | --- |\n| 1 | 2 |\n\n"
        );
        assert_eq!(code(""), "`\"\"`");
        assert_eq!(code("-n"), "`-n`");
        assert_eq!(block("sh", "ls\n"), "```sh\nls\n```\n\n");
    }
}
