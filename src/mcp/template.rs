//! RFC 6570 URI templates as MCP resources use them: `note://{id}`,
//! `file:///{+path}`. Level 1 (`{var}`, no '/' in the value) and reserved
//! expansion (`{+var}`, any characters) are matched; the variables come
//! back percent-decoded.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Var { name: String, reserved: bool },
}

#[derive(Debug, Clone)]
pub struct UriTemplate {
    parts: Vec<Part>,
}

impl UriTemplate {
    pub fn parse(template: &str) -> Result<UriTemplate, String> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("template {template:?}: '{{' without '}}'"))?;
            let expr = &rest[open + 1..open + close];
            let (reserved, name) = match expr.strip_prefix('+') {
                Some(n) => (true, n),
                None => (false, expr),
            };
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!(
                    "template {template:?}: {{{expr}}} is not supported; use {{name}} or {{+name}}"
                ));
            }
            parts.push(Part::Var {
                name: name.to_string(),
                reserved,
            });
            rest = &rest[open + close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Literal(rest.to_string()));
        }
        Ok(UriTemplate { parts })
    }

    /// The variables when `uri` matches, else None.
    pub fn matches(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut vars = BTreeMap::new();
        match_from(&self.parts, uri, &mut vars).then_some(vars)
    }

    /// The variable names, in order.
    pub fn variables(&self) -> Vec<&str> {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Var { name, .. } => Some(name.as_str()),
                Part::Literal(_) => None,
            })
            .collect()
    }
}

fn match_from(parts: &[Part], s: &str, vars: &mut BTreeMap<String, String>) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return s.is_empty();
    };
    match first {
        Part::Literal(l) => s
            .strip_prefix(l.as_str())
            .is_some_and(|t| match_from(rest, t, vars)),
        Part::Var { name, reserved } => {
            // Longest value first, so `{id}.json` style literals after a
            // variable still find their split.
            let ends: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
            for &end in ends.iter().rev() {
                let value = &s[..end];
                if value.is_empty() || (!reserved && value.contains('/')) {
                    continue;
                }
                if match_from(rest, &s[end..], vars) {
                    let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
                    vars.insert(name.clone(), decoded.into_owned());
                    return true;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UriTemplate;

    #[test]
    fn matches_level_one_and_reserved() {
        let t = UriTemplate::parse("note://{id}").unwrap();
        assert_eq!(t.matches("note://42").unwrap()["id"], "42");
        assert!(t.matches("note://").is_none());
        assert!(t.matches("note://a/b").is_none());
        assert!(t.matches("other://1").is_none());
        let t = UriTemplate::parse("file:///{+path}").unwrap();
        assert_eq!(
            t.matches("file:///a/b%20c.txt").unwrap()["path"],
            "a/b c.txt"
        );
        let t = UriTemplate::parse("db://{table}/{id}.json").unwrap();
        let v = t.matches("db://users/7.json").unwrap();
        assert_eq!((v["table"].as_str(), v["id"].as_str()), ("users", "7"));
        assert_eq!(t.variables(), ["table", "id"]);
        assert!(UriTemplate::parse("x://{a,b}").is_err());
    }
}
