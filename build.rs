// rust-i18n embeds locales/ at compile time; rebuild when a translation changes.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
