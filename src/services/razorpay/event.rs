//! Razorpay webhook payloads, read leniently: `notes` arrives as `[]`, `{}` or null, and
//! entities we do not need may be missing.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub payment: Option<PaymentEntity>,
    pub payment_link: Option<LinkEntity>,
    pub order: Option<OrderEntity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentEntity {
    pub id: String,
    /// Paise. Missing in a malformed event: refused, and the staff are told.
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub vpa: Option<String>,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "notes")]
    pub notes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LinkEntity {
    pub id: String,
    #[serde(default)]
    pub reference_id: Option<String>,
    #[serde(default)]
    pub amount_paid: Option<i64>,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "notes")]
    pub notes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEntity {
    pub id: String,
    #[serde(default)]
    pub receipt: Option<String>,
    #[serde(default, deserialize_with = "notes")]
    pub notes: BTreeMap<String, String>,
}

/// The note key under which we put our payment reference.
pub const REFERENCE_NOTE: &str = "payment_reference";

impl PaymentEntity {
    pub fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.created_at.and_then(|t| DateTime::from_timestamp(t, 0))
    }
}

impl Event {
    /// Our payment reference, wherever Razorpay carried it.
    pub fn our_reference(&self) -> Option<&str> {
        fn from_notes(notes: &BTreeMap<String, String>) -> Option<&str> {
            notes.get(REFERENCE_NOTE).map(String::as_str)
        }
        self.payment
            .as_ref()
            .and_then(|p| from_notes(&p.notes))
            .or_else(|| self.payment_link.as_ref().and_then(|l| from_notes(&l.notes)))
            .or_else(|| self.payment_link.as_ref().and_then(|l| l.reference_id.as_deref()))
            .or_else(|| self.order.as_ref().and_then(|o| from_notes(&o.notes)))
            .or_else(|| self.order.as_ref().and_then(|o| o.receipt.as_deref()))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a Razorpay event: {0}")]
pub struct ParseError(String);

pub fn parse(body: &[u8]) -> Result<Event, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError(e.to_string()))?;
    let kind = value["event"].as_str().ok_or_else(|| ParseError("no event name".into()))?.to_owned();
    let entity = |name: &str| -> Result<Option<Value>, ParseError> {
        match &value["payload"][name]["entity"] {
            Value::Null => Ok(None),
            entity @ Value::Object(_) => Ok(Some(entity.clone())),
            _ => Err(ParseError(format!("{name} is not an object"))),
        }
    };
    Ok(Event {
        payment: decode(entity("payment")?, "payment")?,
        payment_link: decode(entity("payment_link")?, "payment_link")?,
        order: decode(entity("order")?, "order")?,
        kind,
    })
}

fn decode<T: serde::de::DeserializeOwned>(value: Option<Value>, name: &str) -> Result<Option<T>, ParseError> {
    value.map(|v| serde_json::from_value(v).map_err(|e| ParseError(format!("{name}: {e}")))).transpose()
}

fn notes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<BTreeMap<String, String>, D::Error> {
    let value = Value::deserialize(deserializer)?;
    Ok(match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect(),
        // `[]` (PHP's empty array) and null both mean no notes.
        _ => BTreeMap::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_in_all_three_shapes() {
        for (notes, expected) in
            [(r#"[]"#, None), (r#"null"#, None), (r#"{"payment_reference":"PAYABCDEFGH","n":5}"#, Some("PAYABCDEFGH"))]
        {
            let body = format!(
                r#"{{"event":"payment.captured","payload":{{"payment":{{"entity":{{"id":"pay_1","amount":13500,"notes":{notes}}}}}}}}}"#
            );
            let event = parse(body.as_bytes()).unwrap();
            assert_eq!(event.our_reference(), expected, "{notes}");
            assert_eq!(event.payment.unwrap().amount, Some(13_500));
        }
    }

    #[test]
    fn link_reference_and_order_receipt_are_found() {
        let body = br#"{"event":"payment_link.paid","payload":{"payment_link":{"entity":{"id":"plink_1","reference_id":"PAYREF23456","notes":[]}},"payment":{"entity":{"id":"pay_2","amount":100,"notes":[]}}}}"#;
        assert_eq!(parse(body).unwrap().our_reference(), Some("PAYREF23456"));
        let body = br#"{"event":"order.paid","payload":{"order":{"entity":{"id":"order_1","receipt":"PAYRCPT2345"}}}}"#;
        assert_eq!(parse(body).unwrap().our_reference(), Some("PAYRCPT2345"));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for body in [
            &b""[..],
            b"[]",
            b"{}",
            b"null",
            b"{\"event\":5}",
            b"{\"event\":\"x\",\"payload\":{\"payment\":{\"entity\":[]}}}",
        ] {
            assert!(parse(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
        let unknown = parse(br#"{"event":"subscription.charged","payload":{}}"#).unwrap();
        assert_eq!(unknown.kind, "subscription.charged");
    }
}
