//! The report in TAP, as `node --test` prints it, ending with the summary
//! line `N passed, N failed`.

use std::fmt::Write;

use super::FileReport;

/// Passed and failed counts; a file that did not load counts as a failure.
pub fn counts(reports: &[FileReport]) -> (usize, usize) {
    let mut passed = 0;
    let mut failed = 0;
    for r in reports {
        if r.load_error.is_some() {
            failed += 1;
        }
        for o in &r.outcomes {
            match o.failure {
                None => passed += 1,
                Some(_) => failed += 1,
            }
        }
    }
    (passed, failed)
}

pub fn render(reports: &[FileReport]) -> String {
    let mut out = String::from("TAP version 13\n");
    let mut n = 0;
    for r in reports {
        let _ = writeln!(out, "# {}", r.file);
        if let Some(e) = &r.load_error {
            n += 1;
            let _ = writeln!(out, "not ok {n} - {}", r.file);
            yaml(
                &mut out,
                &[("message", Some(e.as_str())), ("location", Some(&r.file))],
            );
        }
        for o in &r.outcomes {
            n += 1;
            let Some(f) = &o.failure else {
                let _ = writeln!(out, "ok {n} - {}", o.name);
                continue;
            };
            let _ = writeln!(out, "not ok {n} - {}", o.name);
            let fields = [
                ("message", Some(f.message.as_str())),
                ("expected", f.expected.as_deref()),
                ("actual", f.actual.as_deref()),
                ("location", f.location.as_deref()),
            ];
            yaml(&mut out, &fields);
        }
    }
    let (passed, failed) = counts(reports);
    let _ = writeln!(out, "1..{n}");
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    out
}

fn yaml(out: &mut String, fields: &[(&str, Option<&str>)]) {
    out.push_str("  ---\n");
    for (k, v) in fields {
        if let Some(v) = v {
            let quoted = serde_json::Value::String(v.to_string()).to_string();
            let _ = writeln!(out, "  {k}: {quoted}");
        }
    }
    out.push_str("  ...\n");
}

#[cfg(test)]
mod tests {
    use super::super::{Failure, FileReport, Outcome};

    #[test]
    fn renders_tap_with_yaml_and_summary() {
        let reports = [
            FileReport {
                file: "a.test.js".into(),
                outcomes: vec![
                    Outcome {
                        name: "good".into(),
                        failure: None,
                    },
                    Outcome {
                        name: "bad".into(),
                        failure: Some(Failure {
                            message: "AssertionError: x".into(),
                            expected: Some("2".into()),
                            actual: Some("1".into()),
                            location: Some("a.test.js:3:9".into()),
                        }),
                    },
                ],
                load_error: None,
            },
            FileReport {
                file: "b.test.js".into(),
                outcomes: vec![],
                load_error: Some("b.test.js did not load: SyntaxError".into()),
            },
        ];
        let out = super::render(&reports);
        let want = "TAP version 13\n# a.test.js\nok 1 - good\nnot ok 2 - bad\n  ---\n  message: \"AssertionError: x\"\n  expected: \"2\"\n  actual: \"1\"\n  location: \"a.test.js:3:9\"\n  ...\n# b.test.js\nnot ok 3 - b.test.js\n  ---\n  message: \"b.test.js did not load: SyntaxError\"\n  location: \"b.test.js\"\n  ...\n1..3\n1 passed, 2 failed\n";
        assert_eq!(out, want);
        assert_eq!(super::counts(&reports), (1, 2));
    }
}
