//! Prints the default files (developer aid).
fn main() {
    let out = trident_core::generate(&trident_core::Spec::default()).unwrap();
    for f in out.files {
        println!("===== {}\n{}", f.name, f.contents);
    }
}
