//! The page's views, one per file. Only `App`, `FieldControl` and `Pane` are components
//! (each component costs the wasm its own lifecycle code); the rest are view functions.
//!
//! Computed class names are set with `~className={...}`, the DOM property: a computed
//! `class={...}` goes through Yew's `Classes` (an IndexSet), whose code cost the page 3 KB of
//! wasm for five class names. Static `class="..."` stays as it is.

pub mod app;
pub mod check;
pub mod field;
pub mod golive;
pub mod header;
pub mod hosts;
pub mod pane;
pub mod status;
