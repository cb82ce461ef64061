//! The checked-in `openapi/openapi.json` must equal the spec generated from the code.

#[test]
fn checked_in_openapi_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let generated = broker_api::openapi::spec_json();
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if checked_in != generated {
        let first_difference = checked_in
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or(0, |i| i + 1);
        panic!(
            "openapi/openapi.json is out of date (first difference at line {first_difference}).\n\
             Regenerate it with: cargo run -p broker-api --bin broker -- openapi --out openapi/openapi.json"
        );
    }
}
