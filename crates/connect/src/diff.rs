//! The diff a dry run shows. Values of secret-looking keys are masked on both sides, so a diff
//! can be pasted into a chat or a ticket.

use std::path::Path;

use similar::TextDiff;

/// A unified diff from `before` to `after` (empty when they are equal).
pub fn unified(path: &Path, before: &str, after: &str) -> String {
    let (before, after) = (mask(before), mask(after));
    if before == after {
        return String::new();
    }
    let name = path.display().to_string();
    TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(2)
        .header(&name, &name)
        .to_string()
}

fn mask(text: &str) -> String {
    text.split_inclusive('\n').map(mask_line).collect()
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    ["KEY", "TOKEN", "SECRET", "PASSWORD"]
        .iter()
        .any(|s| key.contains(s))
}

/// `KEY=value`, `key = "value"` (TOML), `"key": "value",` (JSON/JSON5) with a secret-looking key:
/// the value becomes `cbx_…9f3a` — the start says which kind of key, the last four tell two
/// apart. Other lines are returned as they are.
fn mask_line(line: &str) -> String {
    let Some(at) = line.find(['=', ':']) else {
        return line.to_owned();
    };
    let key = line[..at].trim();
    let key = key
        .strip_prefix("export ")
        .unwrap_or(key)
        .trim_matches(['"', '\'']);
    let identifier = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !identifier || !is_secret(key) {
        return line.to_owned();
    }
    let (head, rest) = line.split_at(at + 1);
    let body = rest.trim_end_matches(['\r', '\n']);
    let ending = &rest[body.len()..];
    let value = body.trim();
    let comma = if value.ends_with(',') { "," } else { "" };
    let value = value.trim_end_matches(',').trim_end();
    let quote = match value.chars().next() {
        Some(q @ ('"' | '\'')) => q.to_string(),
        _ => String::new(),
    };
    let secret: Vec<char> = value.trim_matches(['"', '\'']).chars().collect();
    let shown = if secret.len() > 12 {
        let start: String = secret[..4].iter().collect();
        let end: String = secret[secret.len() - 4..].iter().collect();
        format!("{start}…{end}")
    } else {
        "…".to_owned()
    };
    let space = if body.starts_with(' ') { " " } else { "" };
    format!("{head}{space}{quote}{shown}{quote}{comma}{ending}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked_and_other_values_shown() {
        let diff = unified(
            Path::new(".env"),
            "OPENAI_API_KEY=sk-proj-abcdefghijklmnop\nURL=a\n",
            "OPENAI_API_KEY=cbx_0123456789abcdef\nURL=b\n",
        );
        assert!(diff.contains("-OPENAI_API_KEY=sk-p…mnop"), "{diff}");
        assert!(diff.contains("+OPENAI_API_KEY=cbx_…cdef"), "{diff}");
        assert!(diff.contains("+URL=b"));
        assert!(!diff.contains("abcdefghijkl"));
        assert_eq!(unified(Path::new(".env"), "A=1\n", "A=1\n"), "");
        // TOML and JSON (JSON5) too.
        assert_eq!(
            mask_line("experimental_bearer_token = \"cbx_0123456789abcdef\"\n"),
            "experimental_bearer_token = \"cbx_…cdef\"\n"
        );
        assert_eq!(
            mask_line("    \"ANTHROPIC_AUTH_TOKEN\": \"cbx_0123456789abcdef\",\n"),
            "    \"ANTHROPIC_AUTH_TOKEN\": \"cbx_…cdef\",\n"
        );
        assert_eq!(
            mask_line("  apiKey: 'sk-abcdefghijklmnop'\n"),
            "  apiKey: 'sk-a…mnop'\n"
        );
        assert_eq!(
            mask_line("  \"baseUrl\": \"http://localhost:18789/v1\",\n"),
            "  \"baseUrl\": \"http://localhost:18789/v1\",\n"
        );
    }
}
