//! nginx's configuration language, tokenized as `ngx_conf_read_token` does it: words end
//! at whitespace, `;` or `{`; `#` at the start of a word comments out the rest of the line;
//! `"…"` and `'…'` are single words and must be followed by whitespace, `;`, `{` or `)`; a
//! backslash keeps the next character in the word (`\"`, `\'`, `\\` lose it; `\t`, `\r`, `\n`
//! are control characters); `${` does not open a block; a `}` inside a word is part of it.

use std::borrow::Cow;

use super::{Pos, SyntaxError};

/// How deep blocks may nest before the reader refuses (nginx itself has no limit; real
/// files stay under ten).
pub const MAX_DEPTH: usize = 100;

/// A word: a directive's name or one of its arguments, quotes and escapes undone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word<'a> {
    /// The text, quotes gone and escapes undone.
    pub text: Cow<'a, str>,
    /// Where it starts (its opening quote, if quoted).
    pub at: Pos,
    /// Written in quotes.
    pub quoted: bool,
}

/// `name args…;` or `name args… { block }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive<'a> {
    /// The first word.
    pub name: Word<'a>,
    /// The words after it.
    pub args: Vec<Word<'a>>,
    /// `Some` for a block directive: the directives inside its braces.
    pub block: Option<Vec<Directive<'a>>>,
}

/// A parsed file: what was read up to the first error nginx would stop at, and that error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conf<'a> {
    /// Everything read, in file order.
    pub directives: Vec<Directive<'a>>,
    /// The first error, where nginx stops reading.
    pub error: Option<SyntaxError>,
}

impl<'a> Directive<'a> {
    /// The directive's name.
    pub fn name(&self) -> &str {
        &self.name.text
    }

    /// Argument `i`'s text.
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(|w| w.text.as_ref())
    }

    /// The directives of its block (none for a simple directive).
    pub fn children(&self) -> &[Directive<'a>] {
        self.block.as_deref().unwrap_or_default()
    }
}

impl<'a> Conf<'a> {
    /// Calls `f` on every directive, depth first in file order, with the names of the
    /// blocks around it.
    pub fn visit<'s>(&'s self, f: &mut impl FnMut(&[&'s str], &'s Directive<'a>)) {
        fn go<'s, 'a>(
            list: &'s [Directive<'a>],
            path: &mut Vec<&'s str>,
            f: &mut impl FnMut(&[&'s str], &'s Directive<'a>),
        ) {
            for d in list {
                f(path, d);
                if let Some(block) = &d.block {
                    path.push(d.name());
                    go(block, path, f);
                    path.pop();
                }
            }
        }
        go(&self.directives, &mut Vec::new(), f);
    }

    /// Every directive with the names of the blocks around it (see [`Conf::visit`]).
    pub fn walk(&self) -> Vec<(Vec<&str>, &Directive<'a>)> {
        let mut out = Vec::new();
        self.visit(&mut |path, d| out.push((path.to_vec(), d)));
        out
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A word's text with nginx's escapes undone.
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('"' | '\'' | '\\') => continue,
                Some('t') => {
                    chars.next();
                    out.push('\t');
                    continue;
                }
                Some('r') => {
                    chars.next();
                    out.push('\r');
                    continue;
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    Cow::Owned(out)
}

/// Reads `text` as nginx reads a configuration file.
pub fn parse(text: &str) -> Conf<'_> {
    let bytes = text.as_bytes();
    let (mut line, mut line_start) = (1u32, 0usize);
    let pos_of = |line: u32, line_start: usize, i: usize| Pos {
        line,
        col: super::column(&text[line_start..], i - line_start),
    };
    // The directives of each open block, innermost last, with the directive that opened it.
    let mut stack: Vec<Open<'_>> = vec![(Vec::new(), None)];
    let mut words: Vec<Word<'_>> = Vec::new();
    let (mut last_space, mut need_space, mut escaped) = (true, false, false);
    let (mut variable, mut d_quoted, mut s_quoted) = (false, false, false);
    let mut start = 0usize;
    let mut start_pos = Pos::default();
    let mut next = 0;
    while next < bytes.len() {
        let (i, ch) = (next, bytes[next]);
        next += 1;
        if ch == b'\n' {
            line += 1;
            line_start = i + 1;
        }
        if escaped {
            escaped = false;
            continue;
        }
        let here = || pos_of(line, line_start, i);
        if need_space {
            if is_space(ch) {
                last_space = true;
                need_space = false;
                continue;
            }
            match ch {
                b';' | b'{' => {
                    need_space = false;
                    last_space = true;
                    if let Err(m) = close_directive(ch, &mut words, &mut stack) {
                        return fail(stack, here(), m);
                    }
                    continue;
                }
                b')' => {
                    last_space = true;
                    need_space = false;
                    continue;
                }
                _ => {
                    let c = text[i..].chars().next().unwrap_or('?');
                    return fail(stack, here(), format!("unexpected \"{c}\""));
                }
            }
        }
        if last_space {
            if is_space(ch) {
                continue;
            }
            start = i;
            start_pos = here();
            match ch {
                b';' | b'{' => {
                    if words.is_empty() {
                        return fail(stack, here(), format!("unexpected \"{}\"", ch as char));
                    }
                    if let Err(m) = close_directive(ch, &mut words, &mut stack) {
                        return fail(stack, here(), m);
                    }
                    continue;
                }
                b'}' => {
                    if !words.is_empty() {
                        return fail(stack, here(), "unexpected \"}\"".into());
                    }
                    if stack.len() == 1 {
                        return fail(stack, here(), "unexpected \"}\"".into());
                    }
                    close_block(&mut stack);
                    continue;
                }
                b'#' => {
                    // The comment runs to the end of the line; the newline is read next.
                    next = bytes[i..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(bytes.len(), |n| i + n);
                    continue;
                }
                b'\\' => {
                    escaped = true;
                    last_space = false;
                    continue;
                }
                b'"' => {
                    start = i + 1;
                    d_quoted = true;
                    last_space = false;
                    continue;
                }
                b'\'' => {
                    start = i + 1;
                    s_quoted = true;
                    last_space = false;
                    continue;
                }
                b'$' => {
                    variable = true;
                    last_space = false;
                    continue;
                }
                _ => {
                    last_space = false;
                    continue;
                }
            }
        }
        if ch == b'{' && variable {
            continue;
        }
        variable = false;
        if ch == b'\\' {
            escaped = true;
            continue;
        }
        if ch == b'$' {
            variable = true;
            continue;
        }
        let quoted = d_quoted || s_quoted;
        let found = if d_quoted {
            ch == b'"' && {
                d_quoted = false;
                need_space = true;
                true
            }
        } else if s_quoted {
            ch == b'\'' && {
                s_quoted = false;
                need_space = true;
                true
            }
        } else if is_space(ch) || ch == b';' || ch == b'{' {
            last_space = true;
            true
        } else {
            false
        };
        if found {
            words.push(Word {
                text: unescape(&text[start..i]),
                at: start_pos,
                quoted,
            });
            if ch == b';' || ch == b'{' {
                if let Err(m) = close_directive(ch, &mut words, &mut stack) {
                    return fail(stack, here(), m);
                }
            }
        }
    }
    let end = pos_of(line, line_start, bytes.len());
    if !words.is_empty() || !last_space || need_space {
        return fail(
            stack,
            end,
            "unexpected end of file, expecting \";\" or \"}\"".into(),
        );
    }
    if stack.len() > 1 {
        return fail(stack, end, "unexpected end of file, expecting \"}\"".into());
    }
    Conf {
        directives: close_all(stack),
        error: None,
    }
}

/// An open block: the directives read in it so far, and the name and arguments that opened
/// it (none for the file itself).
type Open<'a> = (Vec<Directive<'a>>, Option<(Word<'a>, Vec<Word<'a>>)>);

fn fail(stack: Vec<Open<'_>>, at: Pos, message: String) -> Conf<'_> {
    Conf {
        directives: close_all(stack),
        error: Some(SyntaxError { at, message }),
    }
}

/// Ends the directive in `words` with `;` or opens its block with `{`.
fn close_directive<'a>(
    ch: u8,
    words: &mut Vec<Word<'a>>,
    stack: &mut Vec<Open<'a>>,
) -> Result<(), String> {
    let mut all = std::mem::take(words).into_iter();
    let name = all
        .next()
        .ok_or_else(|| format!("unexpected \"{}\"", ch as char))?;
    let args: Vec<Word<'a>> = all.collect();
    if ch == b'{' {
        if stack.len() > MAX_DEPTH {
            return Err(format!("blocks nested deeper than {MAX_DEPTH}"));
        }
        stack.push((Vec::new(), Some((name, args))));
    } else if let Some((list, _)) = stack.last_mut() {
        list.push(Directive {
            name,
            args,
            block: None,
        });
    }
    Ok(())
}

/// Ends the innermost block.
fn close_block(stack: &mut Vec<Open<'_>>) {
    if let Some((block, Some((name, args)))) = stack.pop() {
        if let Some((list, _)) = stack.last_mut() {
            list.push(Directive {
                name,
                args,
                block: Some(block),
            });
        }
    }
}

/// Closes every open block, for the tree read up to an error.
fn close_all(mut stack: Vec<Open<'_>>) -> Vec<Directive<'_>> {
    while stack.len() > 1 {
        close_block(&mut stack);
    }
    stack.pop().map(|(list, _)| list).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(conf: &Conf<'_>) -> Vec<String> {
        conf.walk()
            .iter()
            .map(|(path, d)| {
                let mut s = path.join("/");
                s.push(':');
                s.push_str(d.name());
                for a in &d.args {
                    s.push(' ');
                    s.push_str(&a.text);
                }
                s
            })
            .collect()
    }

    #[test]
    fn blocks_quotes_comments_escapes_and_variables() {
        let text = "# top\nevents {}\nhttp {\n  upstream u { server 127.0.0.1:1 down; }\n  log_format m '$a \"b\"' \"c\\\"d\";\n  server { location ~ \"^/x{2}$\" { return 200 \"${host}#no\"; } } # c\n  map $x $y { default a\\ b; }\n}\n";
        let conf = parse(text);
        assert_eq!(conf.error, None);
        assert_eq!(
            names(&conf),
            [
                ":events",
                ":http",
                "http:upstream u",
                "http/upstream:server 127.0.0.1:1 down",
                "http:log_format m $a \"b\" c\"d",
                "http:server",
                "http/server:location ~ ^/x{2}$",
                "http/server/location:return 200 ${host}#no",
                "http:map $x $y",
                "http/map:default a\\ b",
            ]
        );
        let server = &conf.walk()[3].1;
        assert_eq!(server.name.at, Pos { line: 4, col: 16 });
        assert_eq!(server.args[1].at, Pos { line: 4, col: 35 });
    }

    #[test]
    fn what_nginx_refuses() {
        let err = |t: &str| parse(t).error.map(|e| (e.at.line, e.message));
        assert_eq!(
            err("events {\n"),
            Some((2, "unexpected end of file, expecting \"}\"".into()))
        );
        assert_eq!(
            err("a b"),
            Some((1, "unexpected end of file, expecting \";\" or \"}\"".into()))
        );
        assert_eq!(err("}"), Some((1, "unexpected \"}\"".into())));
        assert_eq!(err("a \"b\"c;"), Some((1, "unexpected \"c\"".into())));
        assert_eq!(err("a {\n;\n}"), Some((2, "unexpected \";\"".into())));
        assert_eq!(
            err("a 'open;\n"),
            Some((2, "unexpected end of file, expecting \";\" or \"}\"".into()))
        );
        let deep = "a {".repeat(MAX_DEPTH + 5);
        assert!(err(&deep).unwrap().1.contains("nested deeper"));
        // What was read before the error is kept.
        let conf = parse("user x;\nhttp { a b; c");
        assert_eq!(conf.directives.len(), 2);
        assert_eq!(conf.directives[1].children().len(), 1);
    }
}
