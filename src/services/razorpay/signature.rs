//! Razorpay webhook signatures: hex HMAC-SHA256 of the raw body with the webhook secret.
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Constant-time check of `signature_hex` against `body`. Anything malformed is false.
pub fn verify(secret: &str, body: &[u8], signature_hex: &str) -> bool {
    let Ok(expected) = hex::decode(signature_hex.trim()) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The signature Razorpay would send: for our fake gateway in tests and for tooling.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::verify;

    // Computed independently with: printf '%s' BODY | openssl dgst -sha256 -hmac whsec_test_123
    const SECRET: &str = "whsec_test_123";
    const BODY: &[u8] = br#"{"event":"payment.captured"}"#;
    const SIGNATURE: &str = "f9e9a176ca79a0893e8bc89c6eb33075ffe1efcce50a96032070742e43281be3";
    // The same body with one trailing space, also from openssl.
    const SPACED_SIGNATURE: &str = "74e3df7b91467bdf017fdf0db4bbea8509190685bd421fdbb19a95dcd5cf88d1";

    #[test]
    fn accepts_the_openssl_vector() {
        assert!(verify(SECRET, BODY, SIGNATURE));
        assert!(verify(SECRET, BODY, &SIGNATURE.to_uppercase()));
        assert!(verify(SECRET, br#"{"event":"payment.captured"} "#, SPACED_SIGNATURE));
    }

    #[test]
    fn refuses_any_change() {
        assert!(!verify(SECRET, br#"{"event":"payment.capturee"}"#, SIGNATURE), "one byte changed");
        assert!(!verify(SECRET, br#"{ "event": "payment.captured" }"#, SIGNATURE), "re-serialized");
        assert!(!verify(SECRET, br#"{"event":"payment.captured"} "#, SIGNATURE), "whitespace added");
        assert!(!verify(SECRET, br#"{"event":"payment.captured"}"#, SPACED_SIGNATURE), "whitespace trimmed");
        assert!(!verify("other", BODY, SIGNATURE), "other secret");
        assert!(!verify(SECRET, BODY, ""), "missing");
        assert!(!verify(SECRET, BODY, "zz"), "not hex");
        assert!(!verify(SECRET, BODY, &SIGNATURE[..62]), "truncated");
    }
}
