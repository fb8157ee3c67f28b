//! `edit_script`'s rules (replace a line range, or a string that occurs
//! exactly once), and the drafts it edits: a save that did not load keeps
//! its source here, per caller and script, so that the agent can fix it
//! with a small edit instead of sending the whole file again.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::Deserialize;

/// One edit, as `edit_script` takes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Edit {
    /// Replaces the one occurrence of `old_text`.
    Replace {
        #[serde(rename = "oldText")]
        old_text: String,
        #[serde(rename = "newText")]
        new_text: String,
    },
    /// Replaces lines `start_line..=end_line` (1-based); with
    /// `end_line = start_line - 1`, inserts before `start_line`.
    Lines {
        #[serde(rename = "startLine")]
        start_line: usize,
        #[serde(rename = "endLine")]
        end_line: usize,
        #[serde(rename = "newText")]
        new_text: String,
    },
}

/// `source` with `edit` applied, or why it cannot be.
pub fn apply(source: &str, edit: &Edit) -> Result<String, String> {
    match edit {
        Edit::Replace { old_text, new_text } => replace_unique(source, old_text, new_text),
        Edit::Lines {
            start_line,
            end_line,
            new_text,
        } => replace_lines(source, *start_line, *end_line, new_text),
    }
}

fn replace_unique(source: &str, old: &str, new: &str) -> Result<String, String> {
    if old.is_empty() {
        return Err("oldText is empty; give the exact text to replace".into());
    }
    let at: Vec<usize> = source.match_indices(old).map(|(i, _)| i).collect();
    match at.as_slice() {
        [] => Err("oldText does not occur in the source; get_script shows the current text (whitespace and line breaks must match exactly)".into()),
        [i] => Ok(format!("{}{new}{}", &source[..*i], &source[i + old.len()..])),
        many => {
            let lines: Vec<String> = many
                .iter()
                .map(|i| (source[..*i].matches('\n').count() + 1).to_string())
                .collect();
            Err(format!(
                "oldText occurs {} times (at lines {}); include more of the surrounding text so that it occurs once, or use startLine/endLine",
                many.len(),
                lines.join(", ")
            ))
        }
    }
}

fn replace_lines(source: &str, start: usize, end: usize, new: &str) -> Result<String, String> {
    let lines: Vec<&str> = source.split_inclusive('\n').collect();
    let count = lines.len();
    if start == 0 || start > count + 1 || end + 1 < start || end > count {
        return Err(format!(
            "lines {start}..{end} are not in the source, which has {count} lines; lines count from 1, endLine >= startLine (or startLine - 1 to insert)"
        ));
    }
    let mut out: String = lines[..start - 1].concat();
    out.push_str(new);
    // The line break the replaced lines ended with stays.
    let had_break = end >= start && lines[end - 1].ends_with('\n');
    if !new.is_empty() && !new.ends_with('\n') && (end < count || had_break) {
        out.push('\n');
    }
    out.push_str(&lines[end..].concat());
    Ok(out)
}

/// Drafts kept at most; the oldest goes first.
const MAX_DRAFTS: usize = 64;

/// A source that did not save, with why.
#[derive(Debug, Clone)]
pub struct Draft {
    pub source: String,
    pub error: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    seq: u64,
}

/// (user id, script) -> draft, and the last sequence number given out.
type Table = (u64, HashMap<(String, String), Draft>);

/// Drafts by (user id, script); in memory, bounded.
#[derive(Default)]
pub struct Drafts(Mutex<Table>);

impl Drafts {
    pub fn get(&self, user: &str, script: &str) -> Option<Draft> {
        let g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.1.get(&(user.to_string(), script.to_string())).cloned()
    }

    pub fn keep(
        &self,
        user: &str,
        script: &str,
        source: String,
        error: String,
        at: (Option<u32>, Option<u32>),
    ) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.0 += 1;
        let seq = g.0;
        let map = &mut g.1;
        let key = (user.to_string(), script.to_string());
        if !map.contains_key(&key) && map.len() >= MAX_DRAFTS {
            let oldest = map
                .iter()
                .min_by_key(|(_, d)| d.seq)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
        let (line, column) = at;
        let d = Draft {
            source,
            error,
            line,
            column,
            seq,
        };
        map.insert(key, d);
    }

    pub fn clear(&self, user: &str, script: &str) {
        let mut g = self.0.lock().unwrap_or_else(|e| e.into_inner());
        g.1.remove(&(user.to_string(), script.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(old: &str, new: &str) -> Edit {
        Edit::Replace {
            old_text: old.into(),
            new_text: new.into(),
        }
    }

    fn lines(s: usize, e: usize, new: &str) -> Edit {
        Edit::Lines {
            start_line: s,
            end_line: e,
            new_text: new.into(),
        }
    }

    #[test]
    fn replaces_a_unique_string_and_refuses_others() {
        let src = "let a = 1;\nlet b = 1;\n";
        assert_eq!(
            apply(src, &rep("a = 1", "a = 2")).unwrap(),
            "let a = 2;\nlet b = 1;\n"
        );
        let many = apply(src, &rep("= 1", "= 3")).unwrap_err();
        assert!(many.contains("occurs 2 times (at lines 1, 2)"), "{many}");
        let none = apply(src, &rep("c = 1", "")).unwrap_err();
        assert!(none.contains("does not occur"), "{none}");
        assert!(apply(src, &rep("", "x")).is_err());
    }

    #[test]
    fn replaces_inserts_and_deletes_lines() {
        let src = "one\ntwo\nthree\n";
        assert_eq!(
            apply(src, &lines(2, 2, "TWO")).unwrap(),
            "one\nTWO\nthree\n"
        );
        assert_eq!(apply(src, &lines(3, 3, "3")).unwrap(), "one\ntwo\n3\n");
        assert_eq!(apply("a\nb", &lines(2, 2, "c")).unwrap(), "a\nc");
        assert_eq!(
            apply(src, &lines(2, 1, "1.5\n")).unwrap(),
            "one\n1.5\ntwo\nthree\n"
        );
        assert_eq!(apply(src, &lines(1, 2, "")).unwrap(), "three\n");
        assert_eq!(
            apply(src, &lines(4, 3, "four\n")).unwrap(),
            "one\ntwo\nthree\nfour\n"
        );
        for (s, e) in [(0, 1), (2, 4), (3, 1), (5, 5)] {
            let err = apply(src, &lines(s, e, "x")).unwrap_err();
            assert!(err.contains("3 lines"), "{s}..{e}: {err}");
        }
    }

    #[test]
    fn edits_deserialize_from_either_shape() {
        let r: Edit = serde_json::from_str(r#"{"oldText":"a","newText":"b"}"#).unwrap();
        assert_eq!(r, rep("a", "b"));
        let l: Edit = serde_json::from_str(r#"{"startLine":2,"endLine":3,"newText":"x"}"#).unwrap();
        assert_eq!(l, lines(2, 3, "x"));
    }

    #[test]
    fn drafts_are_per_user_and_bounded() {
        let d = Drafts::default();
        d.keep("u1", "a.js", "src".into(), "bad".into(), (Some(1), Some(2)));
        assert!(d.get("u2", "a.js").is_none());
        assert_eq!(d.get("u1", "a.js").unwrap().line, Some(1));
        for i in 0..MAX_DRAFTS {
            d.keep(
                "u3",
                &format!("{i}.js"),
                String::new(),
                String::new(),
                (None, None),
            );
        }
        assert!(d.get("u1", "a.js").is_none(), "the oldest draft went");
        d.clear("u3", "5.js");
        assert!(d.get("u3", "5.js").is_none());
    }
}
