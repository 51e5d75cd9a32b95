//! Readers of the three formats, as the servers read them: supervisord's ini (Python's
//! `configparser` as supervisor 4.2 sets it up), uWSGI's ini (`core/ini.c`) and nginx's
//! configuration language (`ngx_conf_file.c`).
//!
//! Each reader takes any text, keeps the line and column of what it returns, and reports
//! what the server would refuse as a [`SyntaxError`] instead of panicking. They know the
//! grammar only: which directives exist and what they mean is for the callers.

pub mod env;
pub mod ini;
pub mod nginx;

use std::fmt;

/// A place in a file: line and column, both from 1; the column counts characters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1, in characters.
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// What a server would refuse in a file, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// Where.
    pub at: Pos,
    /// What the server would say, near enough.
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// The column (from 1) of byte `offset` in `line`.
pub(crate) fn column(line: &str, offset: usize) -> u32 {
    let offset = offset.min(line.len());
    // Offsets come from byte searches for ASCII characters, so they are char boundaries.
    line.get(..offset).map_or(offset, |s| s.chars().count()) as u32 + 1
}

/// Lines as the servers split them: at `\n`, with a trailing `\r` left to each reader. A
/// final newline does not open another line.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (u32, &str)> {
    text.split_inclusive('\n')
        .enumerate()
        .map(|(i, l)| (i as u32 + 1, l.strip_suffix('\n').unwrap_or(l)))
}
