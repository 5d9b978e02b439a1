//! UPI without a gateway: payee addresses, the `upi://pay` intent link, and UTR numbers.
use super::money::Money;

/// `name@bank`: 2-256 of `[A-Za-z0-9._-]`, `@`, a handle of 2-64 letters and digits
/// starting with a letter (NPCI's format, checked the way UPI apps check it).
pub fn is_valid_vpa(vpa: &str) -> bool {
    let Some((name, handle)) = vpa.split_once('@') else { return false };
    (2..=256).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && (2..=64).contains(&handle.len())
        && handle.bytes().all(|b| b.is_ascii_alphanumeric())
        && handle.as_bytes()[0].is_ascii_alphabetic()
}

/// A bank UTR (RRN) as UPI apps show it: exactly 12 digits. Spaces people type, and a label
/// in front ("UTR:", "UPI Ref No."), are ignored.
pub fn parse_utr(input: &str) -> Option<String> {
    let lower = input.trim().to_lowercase();
    let mut rest = lower.as_str();
    for label in ["upi ref no", "upi ref", "utr no", "utr", "ref no", "ref", "rrn"] {
        if let Some(stripped) = rest.strip_prefix(label) {
            rest = stripped;
            break;
        }
    }
    let rest = rest.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '.' | '-' | '#'));
    let utr: String = rest.chars().filter(|c| !c.is_whitespace()).collect();
    (utr.len() == 12 && utr.bytes().all(|b| b.is_ascii_digit())).then_some(utr)
}

/// `upi://pay?pa=…&pn=…&am=135.00&cu=INR&tn=…&tr=…`, every value percent-encoded
/// (spaces as `%20`, never `+`, which some UPI apps show literally).
pub fn intent_link(vpa: &str, payee_name: &str, amount: Money, note: &str, reference: &str) -> String {
    format!(
        "upi://pay?pa={}&pn={}&am={}&cu=INR&tn={}&tr={}",
        encode(vpa),
        encode(payee_name),
        amount.plain(),
        encode(note),
        encode(reference)
    )
}

fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vpas() {
        for ok in ["shop@okicici", "ott.shop-1_x@ybl", "98765432@paytm", "ab@sbi"] {
            assert!(is_valid_vpa(ok), "{ok}");
        }
        for bad in ["", "shop", "@ybl", "s@ybl", "shop@", "shop@1bank", "shop@y", "sh op@ybl", "a@b@c", "shop@ok-icici"]
        {
            assert!(!is_valid_vpa(bad), "{bad}");
        }
    }

    #[test]
    fn utrs() {
        assert_eq!(parse_utr("123456789012"), Some("123456789012".into()));
        assert_eq!(parse_utr(" 1234 5678 9012 "), Some("123456789012".into()));
        assert_eq!(parse_utr("UTR 4999 9999 9999"), Some("499999999999".into()));
        assert_eq!(parse_utr("UPI Ref No: 412345678901"), Some("412345678901".into()));
        assert_eq!(parse_utr("paid 100 utr 412345678901"), None);
        for bad in ["12345678901", "1234567890123", "12345678901a", "", "१२३४५६७८९०१२"] {
            assert_eq!(parse_utr(bad), None, "{bad}");
        }
    }

    #[test]
    fn link_has_two_decimals_and_percent_encoded_spaces() {
        let link = intent_link("shop@okicici", "OTT Shop & Co", Money::from_rupees(135), "Order 7", "PAYABCDEFGH");
        assert_eq!(
            link,
            "upi://pay?pa=shop@okicici&pn=OTT%20Shop%20%26%20Co&am=135.00&cu=INR&tn=Order%207&tr=PAYABCDEFGH"
        );
        assert!(intent_link("a@b", "x", Money::from_paise(5), "", "r").contains("am=0.05"));
    }
}
