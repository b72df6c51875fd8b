//! The line diff of two text bodies: the longest common subsequence of lines, the rest as
//! removed, added or (a removed line facing an added one) changed lines.

use serde_json::Value;

use super::{Change, Op};

/// Largest table (lines of `a` × lines of `b`, after the common head and tail are set aside)
/// the longest-common-subsequence search fills: 4 million cells, a few milliseconds. Past it the
/// differing middle is reported line against line, without looking for lines that moved.
const MAX_CELLS: usize = 4_000_000;

/// Every differing line. Paths are `/N`: the line number in `a` for a removed or changed line,
/// in `b` for an added one (1-based).
pub fn line_changes(a: &str, b: &str) -> Vec<Change> {
    let la: Vec<&str> = a.lines().collect();
    let lb: Vec<&str> = b.lines().collect();
    let head = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
    let tail = la[head..]
        .iter()
        .rev()
        .zip(lb[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&la[head..la.len() - tail], &lb[head..lb.len() - tail]);
    let steps = if ma.len().saturating_mul(mb.len()) <= MAX_CELLS {
        lcs_steps(ma, mb)
    } else {
        let mut s = vec![Step::Remove; ma.len()];
        s.extend(std::iter::repeat_n(Step::Add, mb.len()));
        s
    };
    to_changes(&steps, ma, mb, head)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Keep,
    Remove,
    Add,
}

/// The edit script of the longest common subsequence (dynamic programming, from the end).
fn lcs_steps(a: &[&str], b: &[&str]) -> Vec<Step> {
    let w = b.len() + 1;
    let mut t = vec![0u32; (a.len() + 1) * w];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            t[i * w + j] = if a[i] == b[j] {
                t[(i + 1) * w + j + 1] + 1
            } else {
                t[(i + 1) * w + j].max(t[i * w + j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut steps = Vec::with_capacity(a.len() + b.len());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            steps.push(Step::Keep);
            (i, j) = (i + 1, j + 1);
        } else if j < b.len() && (i == a.len() || t[i * w + j + 1] >= t[(i + 1) * w + j]) {
            steps.push(Step::Add);
            j += 1;
        } else {
            steps.push(Step::Remove);
            i += 1;
        }
    }
    steps
}

/// Turns an edit script into changes; within one run of edits, removed and added lines are
/// paired in order as changes, the surplus stays removed or added.
fn to_changes(steps: &[Step], a: &[&str], b: &[&str], offset: usize) -> Vec<Change> {
    let (mut i, mut j, mut k) = (0, 0, 0);
    let mut out = Vec::new();
    while k < steps.len() {
        if steps[k] == Step::Keep {
            (i, j, k) = (i + 1, j + 1, k + 1);
            continue;
        }
        let run = steps[k..].iter().take_while(|s| **s != Step::Keep).count();
        let removed = steps[k..k + run]
            .iter()
            .filter(|s| **s == Step::Remove)
            .count();
        let added = run - removed;
        for n in 0..removed.max(added) {
            let (la, lb) = (
                a.get(i + n).filter(|_| n < removed),
                b.get(j + n).filter(|_| n < added),
            );
            let (op, line) = match (la, lb) {
                (Some(_), Some(_)) => (Op::Change, i + n),
                (Some(_), None) => (Op::Remove, i + n),
                _ => (Op::Add, j + n),
            };
            out.push(Change {
                path: format!("/{}", offset + line + 1),
                op,
                a: la.map(|l| Value::String((*l).to_string())),
                b: lb.map(|l| Value::String((*l).to_string())),
            });
        }
        (i, j, k) = (i + removed, j + added, k + run);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(d: &[Change]) -> Vec<(String, Op, Option<String>, Option<String>)> {
        d.iter()
            .map(|c| {
                let s = |v: &Option<Value>| v.as_ref().and_then(|v| v.as_str()).map(str::to_string);
                (c.path.clone(), c.op, s(&c.a), s(&c.b))
            })
            .collect()
    }

    #[test]
    fn one_changed_line_is_one_change_numbered_as_in_a() {
        let d = line_changes("a=1\nb=2\nc=3\n", "a=1\nb=9\nc=3\n");
        assert_eq!(
            short(&d),
            vec![(
                "/2".into(),
                Op::Change,
                Some("b=2".into()),
                Some("b=9".into())
            )]
        );
    }

    #[test]
    fn inserted_and_deleted_lines_do_not_shift_the_rest_into_changes() {
        let d = line_changes("x\na\nb\nc", "a\nb\nnew\nc");
        assert_eq!(
            short(&d),
            vec![
                ("/1".into(), Op::Remove, Some("x".into()), None),
                ("/3".into(), Op::Add, None, Some("new".into())),
            ]
        );
    }

    #[test]
    fn equal_and_empty_texts_have_no_changes() {
        assert!(line_changes("", "").is_empty());
        assert!(line_changes("same\ntext", "same\ntext").is_empty());
        assert_eq!(line_changes("", "one").len(), 1);
    }

    #[test]
    fn a_middle_past_the_table_limit_is_compared_line_against_line() {
        let a: String = (0..2100).map(|n| format!("a{n}\n")).collect();
        let b: String = (0..2100).map(|n| format!("b{n}\n")).collect();
        let d = line_changes(&a, &b);
        assert_eq!(d.len(), 2100);
        assert!(d.iter().all(|c| c.op == Op::Change));
        assert_eq!(d[2099].path, "/2100");
    }
}
