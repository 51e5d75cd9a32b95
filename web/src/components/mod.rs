//! The page's components, one per file.

pub mod app;
pub mod field;
pub mod golive;
pub mod header;
pub mod hosts;
pub mod pane;
pub mod status;
