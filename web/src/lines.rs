//! Line-level diff and light syntax classes for the output panes.
//!
//! The panes patch only the lines that changed (Myers' O(ND) diff), so a slider move costs
//! time proportional to the change, not to the file; the same lines get the "changed" flash.

/// One edit: replace `old_len` lines at `old_at` with `new_len` lines from `new_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hunk {
    /// First replaced line in the old text.
    pub old_at: usize,
    /// How many old lines go.
    pub old_len: usize,
    /// First inserted line in the new text.
    pub new_at: usize,
    /// How many new lines come.
    pub new_len: usize,
}

/// The most V-array entries the backtrace may keep, over all rounds: 4 MiB of `u32`. Round
/// `d` keeps only its `2d + 1` live diagonals, so the budget allows about 1,000 edits; beyond
/// it, the middle is replaced whole (diffing would cost more than patching saves).
const MAX_TRACE: usize = 1 << 20;

/// The hunks that turn `old` into `new`, in order.
pub fn diff<T: PartialEq>(old: &[T], new: &[T]) -> Vec<Hunk> {
    // Trim the common prefix and suffix; most edits are small islands.
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let a = &old[prefix..old.len() - suffix];
    let b = &new[prefix..new.len() - suffix];
    if a.is_empty() && b.is_empty() {
        return Vec::new();
    }
    let whole = || {
        vec![Hunk {
            old_at: prefix,
            old_len: a.len(),
            new_at: prefix,
            new_len: b.len(),
        }]
    };
    let Some(path) = myers(a, b) else {
        return whole();
    };
    // Walk the matched pairs and emit the gaps between them as hunks.
    let mut hunks = Vec::new();
    let (mut x, mut y) = (0, 0);
    for (mx, my) in path.into_iter().chain(std::iter::once((a.len(), b.len()))) {
        if mx > x || my > y {
            hunks.push(Hunk {
                old_at: prefix + x,
                old_len: mx - x,
                new_at: prefix + y,
                new_len: my - y,
            });
        }
        x = mx + 1;
        y = my + 1;
    }
    hunks
}

/// Matched index pairs of a shortest edit script, or `None` past [`MAX_TRACE`].
///
/// `trace[d]` holds round `d`'s furthest x on diagonals `-d..=d` (index `k + d`), so memory
/// grows with the square of the edit count, bounded by the budget, not with the file size.
fn myers<T: PartialEq>(a: &[T], b: &[T]) -> Option<Vec<(usize, usize)>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let mut trace: Vec<Vec<u32>> = Vec::new();
    let mut kept = 0usize;
    for d in 0..=(n + m) {
        kept += 2 * d as usize + 1;
        if kept > MAX_TRACE {
            return None;
        }
        let prev = trace.last();
        // Furthest x on diagonal k of the previous round (k within -(d-1)..=d-1).
        let at = |k: isize| prev.map_or(0, |v| v[(k + d - 1) as usize] as isize);
        let mut row = vec![0u32; 2 * d as usize + 1];
        for k in (-d..=d).step_by(2) {
            let mut x = if d == 0 {
                0
            } else if k == -d || (k != d && at(k - 1) < at(k + 1)) {
                at(k + 1)
            } else {
                at(k - 1) + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            row[(k + d) as usize] = x as u32;
            if x >= n && y >= m {
                trace.push(row);
                return Some(backtrack(&trace, a.len(), b.len()));
            }
        }
        trace.push(row);
    }
    None
}

fn backtrack(trace: &[Vec<u32>], n: usize, m: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let (mut x, mut y) = (n as isize, m as isize);
    for d in (1..trace.len() as isize).rev() {
        let prev = &trace[d as usize - 1];
        let at = |k: isize| prev[(k + d - 1) as usize] as isize;
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            x -= 1;
            y -= 1;
            pairs.push((x as usize, y as usize));
        }
        x = prev_x;
        y = prev_y;
    }
    // Round 0: the snake from (0, 0).
    while x > 0 && y > 0 {
        x -= 1;
        y -= 1;
        pairs.push((x as usize, y as usize));
    }
    pairs.reverse();
    pairs
}

/// Byte range of each `\n`-terminated line of `text` (a last line without `\n` counts too).
pub fn line_ranges(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(text.len() / 24);
    let mut start = 0;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b == b'\n' {
            out.push((start, i));
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// How a line is coloured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `;` or `#` comment.
    Comment,
    /// `[section]`.
    Section,
    /// `key = value` (INI) or `directive args;` (nginx): the key part is `.0` bytes long.
    Keyed(usize),
    /// Anything else (braces, blank lines).
    Plain,
}

/// Classifies one line for highlighting.
pub fn classify(line: &str) -> Kind {
    let t = line.trim_start();
    let indent = line.len() - t.len();
    if t.starts_with(';') || t.starts_with('#') {
        Kind::Comment
    } else if t.starts_with('[') && t.ends_with(']') {
        Kind::Section
    } else if let Some(eq) = t.find(" = ") {
        Kind::Keyed(indent + eq)
    } else if let Some(sp) = t.find([' ', ';']).filter(|_| !t.starts_with('}')) {
        Kind::Keyed(indent + sp)
    } else {
        Kind::Plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(old: &[&str], new: &[&str]) -> Vec<String> {
        let mut out: Vec<String> = old.iter().map(|s| s.to_string()).collect();
        for h in diff(old, new).iter().rev() {
            out.splice(
                h.old_at..h.old_at + h.old_len,
                new[h.new_at..h.new_at + h.new_len]
                    .iter()
                    .map(|s| s.to_string()),
            );
        }
        out
    }

    #[test]
    fn hunks_rebuild_the_new_text() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["a", "b", "c"], &["a", "b", "c"]),
            (&["a", "b", "c"], &["a", "x", "c"]),
            (&["h1", "p0", "p1", "ngx"], &["h2", "p0", "p1", "p2", "ngx"]),
            (&[], &["a"]),
            (&["a"], &[]),
            (&["a", "b", "a", "b"], &["b", "a", "b", "a"]),
        ];
        for (old, new) in cases {
            assert_eq!(
                apply(old, new),
                new.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "{old:?} -> {new:?}"
            );
        }
    }

    #[test]
    fn adding_a_replica_is_two_small_hunks() {
        let old = ["; cmd --replicas 3", "[a]", "x", "[p2]", "y", "[ngx]"];
        let new = [
            "; cmd --replicas 4",
            "[a]",
            "x",
            "[p2]",
            "y",
            "[p3]",
            "y",
            "[ngx]",
        ];
        let h = diff(&old, &new);
        assert_eq!(h.len(), 2, "{h:?}");
        assert_eq!(h.iter().map(|h| h.new_len).sum::<usize>(), 3);
    }

    #[test]
    fn random_edits_rebuild_the_new_text_with_a_shortest_script() {
        // A small deterministic generator (xorshift), so a failure names its seed.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |below: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % below
        };
        let words = ["a", "b", "c", "d", "e"];
        for case in 0..2_000 {
            let old: Vec<&str> = (0..next(30)).map(|_| words[next(5) as usize]).collect();
            let mut new = old.clone();
            for _ in 0..next(8) {
                match next(3) {
                    0 if !new.is_empty() => {
                        new.remove(next(new.len() as u64) as usize);
                    }
                    1 => new.insert(next(new.len() as u64 + 1) as usize, words[next(5) as usize]),
                    _ if !new.is_empty() => {
                        let i = next(new.len() as u64) as usize;
                        new[i] = words[next(5) as usize];
                    }
                    _ => {}
                }
            }
            let want: Vec<String> = new.iter().map(|s| s.to_string()).collect();
            assert_eq!(apply(&old, &new), want, "case {case}: {old:?} -> {new:?}");
            // Shortest: as many removed plus added lines as outside a longest common subsequence.
            let changed: usize = diff(&old, &new).iter().map(|h| h.old_len + h.new_len).sum();
            let mut lcs = vec![vec![0usize; new.len() + 1]; old.len() + 1];
            for i in (0..old.len()).rev() {
                for j in (0..new.len()).rev() {
                    lcs[i][j] = if old[i] == new[j] {
                        lcs[i + 1][j + 1] + 1
                    } else {
                        lcs[i + 1][j].max(lcs[i][j + 1])
                    };
                }
            }
            assert_eq!(
                changed,
                old.len() + new.len() - 2 * lcs[0][0],
                "case {case}"
            );
        }
    }

    #[test]
    fn past_the_budget_the_middle_is_replaced_whole() {
        // Every line differs: about 2 x 3,000 edits, far past the trace budget.
        let old: Vec<String> = (0..3_000).map(|i| format!("old {i}")).collect();
        let new: Vec<String> = (0..3_000).map(|i| format!("new {i}")).collect();
        let h = diff(&old, &new);
        assert_eq!(
            h,
            [Hunk {
                old_at: 0,
                old_len: 3_000,
                new_at: 0,
                new_len: 3_000
            }]
        );
    }

    #[test]
    fn line_ranges_match_str_lines() {
        for text in ["", "a", "a\n", "a\nb", "a\n\nb\n", "\n", "é\nü\n"] {
            let ranges: Vec<&str> = line_ranges(text)
                .iter()
                .map(|&(a, b)| &text[a..b])
                .collect();
            assert_eq!(ranges, text.lines().collect::<Vec<_>>(), "{text:?}");
        }
    }

    #[test]
    fn classes() {
        assert_eq!(classify("; hi"), Kind::Comment);
        assert_eq!(classify("[program:p0]"), Kind::Section);
        assert_eq!(classify("command = /usr/bin/uwsgi"), Kind::Keyed(7));
        assert_eq!(classify("    listen 127.0.0.1:8000;"), Kind::Keyed(10));
        assert_eq!(classify("}"), Kind::Plain);
    }
}
