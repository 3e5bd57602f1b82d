//! The diff a dry run shows. Values of secret-looking keys are masked on both sides, so a diff
//! can be pasted into a chat or a ticket.

use std::path::Path;

use similar::TextDiff;

use crate::connect::env_file::key_of;

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
    text.split_inclusive('\n')
        .map(|line| match key_of(line) {
            Some(key) if is_secret(key) => mask_line(line),
            _ => line.to_owned(),
        })
        .collect()
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_uppercase();
    ["KEY", "TOKEN", "SECRET", "PASSWORD"]
        .iter()
        .any(|s| key.contains(s))
}

/// `OPENAI_API_KEY=cbx_…9f3a` — the start says which kind of key, the last four tell two apart.
fn mask_line(line: &str) -> String {
    let Some((head, value)) = line.split_once('=') else {
        return line.to_owned();
    };
    let ending = &value[value.trim_end_matches(['\r', '\n']).len()..];
    let value: Vec<char> = value
        .trim_end_matches(['\r', '\n'])
        .trim_matches(['"', '\''])
        .chars()
        .collect();
    let shown = if value.len() > 12 {
        let start: String = value[..4].iter().collect();
        let end: String = value[value.len() - 4..].iter().collect();
        format!("{start}…{end}")
    } else {
        "…".to_owned()
    };
    format!("{head}={shown}{ending}")
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
    }
}
