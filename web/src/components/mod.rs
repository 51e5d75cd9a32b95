//! The page's components, one per file.

pub mod app;
pub mod field;
pub mod pane;
