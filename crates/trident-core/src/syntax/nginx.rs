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

/// A word's text with nginx's escapes undone: `\"`, `\'` and `\\` lose their backslash,
/// `\t`, `\r` and `\n` become control characters, any other backslash stays.
fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let escaped = match (c, chars.peek()) {
            ('\\', Some(&q @ ('"' | '\'' | '\\'))) => Some(q),
            ('\\', Some('t')) => Some('\t'),
            ('\\', Some('r')) => Some('\r'),
            ('\\', Some('n')) => Some('\n'),
            _ => None,
        };
        match escaped {
            Some(e) => {
                chars.next();
                out.push(e);
            }
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// What the tokenizer hands the parser.
enum Token<'a> {
    Word(Word<'a>),
    /// `;`, `{` or `}`, where it stands.
    Mark(u8, Pos),
    End(Pos),
}

/// `ngx_conf_read_token`'s states, one token per call.
struct Lexer<'a> {
    text: &'a str,
    next: usize,
    line: u32,
    line_start: usize,
}

impl<'a> Lexer<'a> {
    fn pos(&self, i: usize) -> Pos {
        Pos {
            line: self.line,
            col: super::column(&self.text[self.line_start..], i - self.line_start),
        }
    }

    /// The byte at `next`, counting lines; `None` at the end.
    fn bump(&mut self) -> Option<(usize, u8)> {
        let i = self.next;
        let ch = *self.text.as_bytes().get(i)?;
        self.next += 1;
        if ch == b'\n' {
            self.line += 1;
            self.line_start = i + 1;
        }
        Some((i, ch))
    }

    fn token(&mut self) -> Result<Token<'a>, SyntaxError> {
        // Between tokens: whitespace and comments.
        let (start, ch) = loop {
            let Some((i, ch)) = self.bump() else {
                return Ok(Token::End(self.pos(self.next)));
            };
            match ch {
                b' ' | b'\t' | b'\r' | b'\n' => {}
                b'#' => {
                    // The comment runs to the end of the line; the newline is read next.
                    self.next = self.text.as_bytes()[i..]
                        .iter()
                        .position(|&b| b == b'\n')
                        .map_or(self.text.len(), |n| i + n);
                }
                _ => break (i, ch),
            }
        };
        let at = self.pos(start);
        match ch {
            b';' | b'{' | b'}' => return Ok(Token::Mark(ch, at)),
            b'"' | b'\'' => return self.quoted(start, ch, at),
            _ => {}
        }
        // A bare word: to whitespace, `;` or `{`; a backslash keeps the next byte, `${` is
        // no block.
        let (mut escaped, mut variable) = (ch == b'\\', ch == b'$');
        loop {
            let Some((i, ch)) = self.peek() else {
                return Err(self.eof());
            };
            if escaped {
                // The escaped byte is kept as it is, and ends any `$`.
                (escaped, variable) = (false, false);
            } else if ch == b'{' && variable {
                // `${` opens no block; the `$` still counts for a following `{`.
            } else if matches!(ch, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{') {
                return Ok(Token::Word(Word {
                    text: unescape(&self.text[start..i]),
                    at,
                    quoted: false,
                }));
            } else {
                (escaped, variable) = (ch == b'\\', ch == b'$');
            }
            self.bump();
        }
    }

    fn peek(&self) -> Option<(usize, u8)> {
        self.text.as_bytes().get(self.next).map(|&b| (self.next, b))
    }

    /// A quoted word, which must be followed by whitespace, `;`, `{` or `)`.
    fn quoted(&mut self, open: usize, quote: u8, at: Pos) -> Result<Token<'a>, SyntaxError> {
        let mut escaped = false;
        let end = loop {
            let Some((i, ch)) = self.bump() else {
                return Err(self.eof());
            };
            match ch {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                c if c == quote => break i,
                _ => {}
            }
        };
        match self.peek() {
            None => return Err(self.eof()),
            Some((_, b' ' | b'\t' | b'\r' | b'\n' | b';' | b'{')) => {}
            Some((_, b')')) => {
                self.bump();
            }
            Some((i, _)) => {
                let c = self.text[i..].chars().next().unwrap_or('?');
                return Err(SyntaxError {
                    at: self.pos(i),
                    message: format!("unexpected \"{c}\""),
                });
            }
        }
        Ok(Token::Word(Word {
            text: unescape(&self.text[open + 1..end]),
            at,
            quoted: true,
        }))
    }

    fn eof(&self) -> SyntaxError {
        SyntaxError {
            at: self.pos(self.text.len()),
            message: "unexpected end of file, expecting \";\" or \"}\"".into(),
        }
    }
}

/// Reads `text` as nginx reads a configuration file.
pub fn parse(text: &str) -> Conf<'_> {
    let mut lexer = Lexer {
        text,
        next: 0,
        line: 1,
        line_start: 0,
    };
    // The directives of each open block, innermost last, with the directive that opened it.
    let mut stack: Vec<Open<'_>> = vec![(Vec::new(), None)];
    let mut words: Vec<Word<'_>> = Vec::new();
    loop {
        let unexpected = |c: u8, at: Pos| SyntaxError {
            at,
            message: format!("unexpected \"{}\"", c as char),
        };
        let result = match lexer.token() {
            Err(e) => Err(e),
            Ok(Token::Word(w)) => {
                words.push(w);
                Ok(())
            }
            Ok(Token::Mark(c @ (b';' | b'{'), at)) if words.is_empty() => Err(unexpected(c, at)),
            Ok(Token::Mark(c @ (b';' | b'{'), at)) => close_directive(c, &mut words, &mut stack)
                .map_err(|message| SyntaxError { at, message }),
            Ok(Token::Mark(c, at)) if !words.is_empty() || stack.len() == 1 => {
                Err(unexpected(c, at))
            }
            Ok(Token::Mark(..)) => {
                close_block(&mut stack);
                Ok(())
            }
            Ok(Token::End(at)) if !words.is_empty() => Err(lexer_eof(at)),
            Ok(Token::End(at)) if stack.len() > 1 => Err(SyntaxError {
                at,
                message: "unexpected end of file, expecting \"}\"".into(),
            }),
            Ok(Token::End(_)) => {
                return Conf {
                    directives: close_all(stack),
                    error: None,
                }
            }
        };
        if let Err(e) = result {
            return Conf {
                directives: close_all(stack),
                error: Some(e),
            };
        }
    }
}

fn lexer_eof(at: Pos) -> SyntaxError {
    SyntaxError {
        at,
        message: "unexpected end of file, expecting \";\" or \"}\"".into(),
    }
}

/// An open block: the directives read in it so far, and the name and arguments that opened
/// it (none for the file itself).
type Open<'a> = (Vec<Directive<'a>>, Option<(Word<'a>, Vec<Word<'a>>)>);

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
    fn escapes_as_nginx_copies_them() {
        // `\\t` is a backslash then `t`, not a tab; `\$` is no variable, so its `{` opens.
        let conf = parse("a \\\\t \"q\\\"x\" b\\ c;\nd e\\${ {}\n");
        let a = &conf.directives[0];
        let args: Vec<&str> = a.args.iter().map(|w| w.text.as_ref()).collect();
        assert_eq!(args, ["\\t", "q\"x", "b\\ c"]);
        assert_eq!(conf.directives[1].arg(0), Some("e\\$"));
        assert!(conf.directives[1].block.is_some(), "{conf:?}");
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
