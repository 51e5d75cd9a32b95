//! Trident's web playground: sliders and fields in, the three files out, live, from the same
//! core as the CLI. Everything runs in the browser.

pub mod browser;
pub mod checker;
pub mod components;
pub mod lines;
pub mod share;
pub mod state;
pub mod zip;

/// Mounts the app on `<body>`.
pub fn start() {
    yew::Renderer::<components::app::App>::new().render();
}
