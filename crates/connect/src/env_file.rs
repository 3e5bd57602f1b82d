//! Editing an agent project's `.env` the way a person would: the keys ClawBox manages get their
//! new values where they already are (every occurrence, `export KEY=` included), missing ones are
//! added at the end, and every other line, comment, blank line and line ending stays as it was.

/// The text of `original` with each `(key, value)` of `wanted` set.
pub fn update(original: &str, wanted: &[(&str, String)]) -> String {
    let newline = if original.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    };
    let mut found = vec![false; wanted.len()];
    let mut out = String::with_capacity(original.len() + 256);
    for line in original.split_inclusive('\n') {
        let (body, ending) = split_ending(line);
        match key_of(body).and_then(|k| wanted.iter().position(|(w, _)| *w == k)) {
            Some(i) => {
                found[i] = true;
                let export = if body.trim_start().starts_with("export ") {
                    "export "
                } else {
                    ""
                };
                out.push_str(&format!("{export}{}={}", wanted[i].0, quote(&wanted[i].1)));
                out.push_str(ending);
            }
            None => out.push_str(line),
        }
    }
    let missing: Vec<&(&str, String)> = wanted
        .iter()
        .zip(&found)
        .filter(|(_, f)| !**f)
        .map(|(w, _)| w)
        .collect();
    if !missing.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(newline);
        }
        if !out.is_empty() && !out.ends_with(&format!("{newline}{newline}")) {
            out.push_str(newline);
        }
        out.push_str("# Added by ClawBox: the agent reaches its models through the local gateway.");
        out.push_str(newline);
        for (key, value) in missing {
            out.push_str(&format!("{key}={}{newline}", quote(value)));
        }
    }
    out
}

/// The value a `.env` gives `key` (last occurrence wins, as dotenv loaders do), unquoted.
pub fn value_of(text: &str, key: &str) -> Option<String> {
    text.lines()
        .rfind(|l| key_of(l) == Some(key))
        .and_then(|l| l.split_once('='))
        .map(|(_, v)| unquote(v.trim()))
}

/// The key a line assigns (`KEY=…` or `export KEY=…`), or `None` for comments and others.
pub fn key_of(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
    let (key, _) = line.split_once('=')?;
    let key = key.trim_end();
    let valid = !key.is_empty()
        && !key.starts_with(|c: char| c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    valid.then_some(key)
}

fn split_ending(line: &str) -> (&str, &str) {
    if let Some(body) = line.strip_suffix("\r\n") {
        (body, "\r\n")
    } else if let Some(body) = line.strip_suffix('\n') {
        (body, "\n")
    } else {
        (line, "")
    }
}

/// Plain values stay bare; anything else is double-quoted with `"` and `\` escaped.
fn quote(value: &str) -> String {
    let bare = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-.:/@+".contains(c));
    if bare && !value.is_empty() {
        value.to_owned()
    } else {
        format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

fn unquote(value: &str) -> String {
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        inner.replace("\\\"", "\"").replace("\\\\", "\\")
    } else if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        inner.to_owned()
    } else {
        // An unquoted value ends at an inline comment.
        value
            .split(" #")
            .next()
            .unwrap_or(value)
            .trim_end()
            .to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted() -> Vec<(&'static str, String)> {
        vec![
            ("OPENCLAW_GATEWAY_URL", "http://localhost:18789".into()),
            ("USER_ID", "trainee 7".into()),
        ]
    }

    #[test]
    fn existing_keys_change_in_place_and_everything_else_stays() {
        let original = "# my agent\nexport OPENCLAW_GATEWAY_URL=https://old.example\n\nMODEL=gpt-4o # fast\nUSER_ID=me\n";
        let updated = update(original, &wanted());
        assert_eq!(
            updated,
            "# my agent\nexport OPENCLAW_GATEWAY_URL=http://localhost:18789\n\nMODEL=gpt-4o # fast\nUSER_ID=\"trainee 7\"\n"
        );
        assert_eq!(value_of(&updated, "USER_ID").as_deref(), Some("trainee 7"));
        assert_eq!(value_of(&updated, "MODEL").as_deref(), Some("gpt-4o"));
    }

    #[test]
    fn missing_keys_are_added_at_the_end_with_the_file_s_line_endings() {
        let updated = update("A=1\r\nB=2", &wanted());
        assert_eq!(
            updated,
            "A=1\r\nB=2\r\n\r\n# Added by ClawBox: the agent reaches its models through the local gateway.\r\nOPENCLAW_GATEWAY_URL=http://localhost:18789\r\nUSER_ID=\"trainee 7\"\r\n"
        );
        assert!(update("", &wanted()).starts_with("# Added by ClawBox"));
    }

    #[test]
    fn updating_twice_changes_nothing_more() {
        let once = update("A=1\n", &wanted());
        assert_eq!(update(&once, &wanted()), once);
    }

    #[test]
    fn comments_and_look_alikes_are_not_keys() {
        assert_eq!(key_of("# USER_ID=x"), None);
        assert_eq!(key_of("  export USER_ID = x"), Some("USER_ID"));
        assert_eq!(key_of("not a line"), None);
        assert_eq!(key_of("1A=x"), None);
    }
}
