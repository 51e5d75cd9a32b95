//! Entry point of the wasm binary that Trunk builds.

fn main() {
    trident_web::start();
}
