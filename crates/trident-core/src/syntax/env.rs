//! supervisord's `environment = KEY="value",KEY2=value2`, read as supervisor 4.2's
//! `dict_of_key_value_pairs` reads it: Python's `shlex` in its non-POSIX mode (word
//! characters are ASCII letters, digits and `_/.+-():`; a quoted string keeps its quotes
//! until the value is stripped of them; `#` starts a comment; any other character is a token
//! of its own), then `KEY`, `=`, `VALUE` and one separator token, repeated.

use std::borrow::Cow;

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_/.+-():".contains(c)
}

/// The tokens `shlex.shlex(value)` yields, or its error.
fn tokens(value: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut out = Vec::new();
    let mut chars = value.char_indices().peekable();
    let skip_line = |chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>| {
        for (_, c) in chars.by_ref() {
            if c == '\n' {
                break;
            }
        }
    };
    while let Some((start, c)) = chars.next() {
        match c {
            ' ' | '\t' | '\r' | '\n' => {}
            '#' => skip_line(&mut chars),
            '"' | '\'' => {
                let mut end = None;
                for (i, q) in chars.by_ref() {
                    if q == c {
                        end = Some(i + 1);
                        break;
                    }
                }
                let end = end.ok_or("No closing quotation")?;
                out.push(Cow::Borrowed(&value[start..end]));
            }
            c if is_word(c) => {
                // A word runs on through word characters and quotes; a `#` skips the rest of
                // its line and the word goes on after it (non-POSIX shlex does that).
                let mut word = Cow::Borrowed(&value[start..start + c.len_utf8()]);
                let mut end = start + c.len_utf8();
                while let Some(&(i, n)) = chars.peek() {
                    if is_word(n) || n == '"' || n == '\'' {
                        chars.next();
                        match &mut word {
                            Cow::Borrowed(_) if i == end => {
                                end = i + n.len_utf8();
                                word = Cow::Borrowed(&value[start..end]);
                            }
                            w => w.to_mut().push(n),
                        }
                    } else if n == '#' {
                        skip_line(&mut chars);
                        word = Cow::Owned(word.into_owned());
                    } else {
                        break;
                    }
                }
                out.push(word);
            }
            c => out.push(Cow::Borrowed(&value[start..start + c.len_utf8()])),
        }
    }
    Ok(out)
}

/// `(KEY, value)` pairs, borrowed from the text where nothing had to change.
pub type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// The `(KEY, value)` pairs supervisord sets, in order, a repeated key once with its last
/// value; or supervisord's refusal.
pub fn environment(value: &str) -> Result<Pairs<'_>, String> {
    let tokens = tokens(value)?;
    let mut out: Pairs<'_> = Vec::with_capacity(tokens.len() / 4 + 1);
    let mut i = 0;
    while i < tokens.len() {
        let (Some(k), Some(eq), Some(v)) = (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
        else {
            return Err(format!(
                "Unexpected end of key/value pairs in value '{value}'"
            ));
        };
        if eq != "=" {
            return Err(format!(
                "Unexpected end of key/value pairs in value '{value}'"
            ));
        }
        let v = match v {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim_matches(['"', '\''])),
            Cow::Owned(o) => Cow::Owned(o.trim_matches(['"', '\'']).to_string()),
        };
        match out.iter_mut().find(|(key, _)| key == k) {
            Some(pair) => pair.1 = v,
            None => out.push((k.clone(), v)),
        }
        i += 4;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &str) -> Vec<(String, String)> {
        environment(v)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn as_supervisor_reads_them() {
        assert_eq!(
            pairs(r#"A="x,y",B=/p/q:1,C='it', D = 2"#),
            [("A", "x,y"), ("B", "/p/q:1"), ("C", "it"), ("D", "2")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        // A repeated key keeps its last value; quotes inside a word stay, edge ones go.
        assert_eq!(pairs("A=1,A=2"), [("A".into(), "2".into())]);
        assert_eq!(pairs(r#"A=x"y""#), [("A".into(), "x\"y".into())]);
    }

    #[test]
    fn refusals() {
        // `@` is a token of its own, so the pairs do not line up.
        assert!(environment("A=me@host").is_err());
        assert!(environment("A=\"open").unwrap_err().contains("No closing"));
        assert!(environment("A").is_err());
        assert_eq!(environment("").unwrap(), []);
    }
}
