//! Prints the admin API's OpenAPI document (`cargo run --example openapi > openapi.json`).
fn main() {
    let document = ottsonly::http::api::document();
    println!("{}", document.to_pretty_json().expect("the document serialises"));
}
