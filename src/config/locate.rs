//! The line of a key in a config file's text, so that an error found after
//! the layers are merged (a wrong type, a value out of range) can still
//! point into the file. Line-oriented and forgiving: it finds keys written
//! the usual ways and gives up (no line) on anything else.

use super::layers::Format;

/// 1-based line where `key` (`section.name`) is written, if found.
pub fn line_of(text: &str, format: Format, key: &str) -> Option<usize> {
    let want: Vec<&str> = key.split('.').collect();
    match format {
        Format::Toml => toml(text, &want),
        Format::Yaml => yaml(text, &want),
        Format::Json | Format::Json5 => json(text, &want),
    }
}

fn unquote(s: &str) -> &str {
    s.trim().trim_matches(|c| c == '"' || c == '\'')
}

fn toml(text: &str, want: &[&str]) -> Option<usize> {
    let mut section: Vec<String> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') {
            let name = t.trim_start_matches('[').split(']').next().unwrap_or("");
            section = name.split('.').map(|s| unquote(s).to_string()).collect();
            if section == want {
                return Some(i + 1);
            }
        } else if let Some((k, _)) = t.split_once('=').filter(|_| !t.starts_with('#')) {
            let path: Vec<&str> = section
                .iter()
                .map(String::as_str)
                .chain(k.split('.').map(unquote))
                .collect();
            if path == want {
                return Some(i + 1);
            }
        }
    }
    None
}

fn yaml(text: &str, want: &[&str]) -> Option<usize> {
    let mut stack: Vec<(usize, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with('-') {
            continue;
        }
        let indent = line.len() - t.len();
        let Some((k, _)) = t.split_once(':') else {
            continue;
        };
        while stack.last().is_some_and(|(n, _)| *n >= indent) {
            stack.pop();
        }
        stack.push((indent, unquote(k).to_string()));
        if stack
            .iter()
            .map(|(_, k)| k.as_str())
            .eq(want.iter().copied())
        {
            return Some(i + 1);
        }
    }
    None
}

enum Frame {
    Object(Option<String>),
    Array,
}

/// JSON and JSON5: keys are strings or bare identifiers followed by `:`.
fn json(text: &str, want: &[&str]) -> Option<usize> {
    let chars: Vec<char> = text.chars().collect();
    let (mut i, mut line) = (0, 1);
    let mut stack: Vec<Frame> = Vec::new();
    while i < chars.len() {
        let c = chars[i];
        let token = match c {
            '\n' => {
                line += 1;
                None
            }
            '{' => {
                stack.push(Frame::Object(None));
                None
            }
            '[' => {
                stack.push(Frame::Array);
                None
            }
            '}' | ']' => {
                stack.pop();
                None
            }
            '/' if chars.get(i + 1) == Some(&'/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '"' | '\'' => {
                let start = i + 1;
                i += 1;
                while i < chars.len() && chars[i] != c {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                Some(chars[start..i.min(chars.len())].iter().collect::<String>())
            }
            c if c.is_alphabetic() || c == '_' || c == '$' => {
                let start = i;
                while i + 1 < chars.len() && (chars[i + 1].is_alphanumeric() || chars[i + 1] == '_')
                {
                    i += 1;
                }
                Some(chars[start..=i].iter().collect::<String>())
            }
            _ => None,
        };
        i += 1;
        let Some(token) = token else { continue };
        let mut j = i;
        while j < chars.len() && chars[j] == ' ' {
            j += 1;
        }
        if chars.get(j) != Some(&':') {
            continue;
        }
        if let Some(Frame::Object(k)) = stack.last_mut() {
            *k = Some(token);
        }
        let mut path = Vec::new();
        for f in &stack {
            match f {
                Frame::Object(Some(k)) => path.push(k.as_str()),
                _ => {
                    path.clear();
                    break;
                }
            }
        }
        if path == want {
            return Some(line);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_keys_in_each_format() {
        let toml_text =
            "# c\n[server]\nhttp = \"x\"\n\n[js]\ntime_limit_ms = 5\nfetch.allow = []\n";
        assert_eq!(
            line_of(toml_text, Format::Toml, "js.time_limit_ms"),
            Some(6)
        );
        assert_eq!(line_of(toml_text, Format::Toml, "js.fetch.allow"), Some(7));
        assert_eq!(line_of(toml_text, Format::Toml, "js"), Some(5));
        let yaml_text = "server:\n  http: x\njs:\n  # c\n  time_limit_ms: 5\n";
        assert_eq!(
            line_of(yaml_text, Format::Yaml, "js.time_limit_ms"),
            Some(5)
        );
        let json_text =
            "{\n \"server\": {\"http\": \"x\"},\n \"js\": {\n  \"time_limit_ms\": 5\n }\n}";
        assert_eq!(
            line_of(json_text, Format::Json, "js.time_limit_ms"),
            Some(4)
        );
        let json5_text = "{\n // c\n js: {\n  time_limit_ms: 5,\n },\n}";
        assert_eq!(
            line_of(json5_text, Format::Json5, "js.time_limit_ms"),
            Some(4)
        );
        assert_eq!(line_of(json5_text, Format::Json5, "js.nope"), None);
    }
}
