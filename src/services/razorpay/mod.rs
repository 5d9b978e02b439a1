//! Razorpay: payment links through the API, webhook events, and reconciliation of links
//! whose webhook never came.
pub mod event;
pub mod signature;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use serde::Deserialize;
use serde_json::json;

use crate::config::RazorpayConfig;
use crate::entities::gateway_event;
use crate::entities::payment;
use crate::services::payments::{self, Arrival, Settlement};

use event::{Event, REFERENCE_NOTE};

#[derive(Debug, thiserror::Error)]
pub enum RazorpayError {
    #[error("Razorpay API request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("Razorpay API answered {status}: {body}")]
    Api { status: u16, body: String },
}

#[derive(Clone)]
pub struct RazorpayClient {
    http: reqwest::Client,
    config: RazorpayConfig,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PaymentLink {
    pub id: String,
    pub short_url: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub amount_paid: Option<i64>,
    #[serde(default)]
    pub payments: Option<Vec<LinkPayment>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LinkPayment {
    pub payment_id: String,
    pub amount: i64,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub created_at: Option<i64>,
}

impl RazorpayClient {
    pub fn new(config: RazorpayConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(15))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        RazorpayClient { http, config }
    }

    pub fn webhook_secret(&self) -> &str {
        &self.config.webhook_secret
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}", self.config.api_url.as_str().trim_end_matches('/'), path)
    }

    async fn read<T: for<'de> Deserialize<'de>>(response: reqwest::Response) -> Result<T, RazorpayError> {
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(RazorpayError::Api { status: status.as_u16(), body: body.chars().take(500).collect() });
        }
        Ok(response.json().await?)
    }

    /// A payment link for `payment`, expiring with it, carrying our reference in two places.
    pub async fn create_link(&self, payment: &payment::Model, description: &str) -> Result<PaymentLink, RazorpayError> {
        let body = json!({
            "amount": payment.amount,
            "currency": "INR",
            "accept_partial": false,
            "reference_id": payment.reference,
            "description": description,
            "expire_by": payment.expires_at.timestamp(),
            "notify": { "sms": false, "email": false },
            "reminder_enable": false,
            "notes": { REFERENCE_NOTE: payment.reference, "payment_id": payment.id.to_string() },
        });
        let response = self
            .http
            .post(self.url("v1/payment_links"))
            .basic_auth(&self.config.key_id, Some(&self.config.key_secret))
            .json(&body)
            .send()
            .await?;
        Self::read(response).await
    }

    pub async fn fetch_link(&self, link_id: &str) -> Result<PaymentLink, RazorpayError> {
        let response = self
            .http
            .get(self.url(&format!("v1/payment_links/{link_id}")))
            .basic_auth(&self.config.key_id, Some(&self.config.key_secret))
            .send()
            .await?;
        Self::read(response).await
    }
}

#[derive(Debug)]
pub enum EventOutcome {
    /// This event id was handled before: nothing done.
    Duplicate,
    Settled(Settlement),
    /// Recorded (failures, refunds) or ignored (other events, unknown payments).
    Recorded,
}

/// Handles one verified webhook event, keyed by Razorpay's event id.
pub async fn handle_event(
    db: &DatabaseConnection,
    event_key: &str,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<EventOutcome, DbErr> {
    let seen = gateway_event::Entity::find().filter(gateway_event::Column::EventKey.eq(event_key)).one(db).await?;
    if seen.is_some() {
        return Ok(EventOutcome::Duplicate);
    }
    let ours = find_payment(db, event).await?;
    let outcome = match (event.kind.as_str(), &ours, &event.payment) {
        ("payment_link.paid" | "payment.captured" | "order.paid", Some(_), Some(paid))
            if paid.amount <= 0 || paid.currency.as_deref().is_some_and(|c| c != "INR") =>
        {
            log::warn!("Razorpay event {event_key}: refusing {} {:?}", paid.amount, paid.currency);
            EventOutcome::Recorded
        }
        ("payment_link.paid" | "payment.captured" | "order.paid", Some(ours), Some(paid)) => {
            let arrival = Arrival {
                gateway_payment_id: Some(paid.id.clone()),
                amount: crate::domain::Money::from_paise(paid.amount),
                payer_vpa: paid.vpa.clone(),
                paid_at: paid.paid_at(),
            };
            EventOutcome::Settled(payments::settle(db, ours.id, &arrival, now).await?)
        }
        ("payment.failed", Some(ours), _) => {
            payments::mark_failed(db, ours.id, now).await?;
            EventOutcome::Recorded
        }
        _ => EventOutcome::Recorded,
    };
    if ours.is_none() && event.kind != "refund.processed" {
        log::warn!("Razorpay event {event_key} ({}) matches no payment of ours", event.kind);
    }
    // Recorded after the work: if the work failed, Razorpay's retry must do it again.
    let summary = json!({
        "payment": event.payment.as_ref().map(|p| (&p.id, p.amount, &p.status)),
        "link": event.payment_link.as_ref().map(|l| &l.id),
        "reference": event.our_reference(),
    });
    gateway_event::Entity::insert(gateway_event::ActiveModel {
        gateway: Set("razorpay".into()),
        event_key: Set(event_key.to_owned()),
        kind: Set(event.kind.clone()),
        payment_id: Set(ours.as_ref().map(|p| p.id)),
        summary: Set(summary.to_string()),
        received_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([gateway_event::Column::EventKey])
    .exec_without_returning(db)
    .await?;
    Ok(outcome)
}

async fn find_payment(db: &DatabaseConnection, event: &Event) -> Result<Option<payment::Model>, DbErr> {
    if let Some(reference) = event.our_reference() {
        if let Some(found) = payments::find_by_reference(db, reference).await? {
            return Ok(Some(found));
        }
    }
    if let Some(link) = &event.payment_link {
        if let Some(found) = payments::find_by_link_id(db, &link.id).await? {
            return Ok(Some(found));
        }
    }
    match &event.payment {
        Some(paid) => payments::find_by_gateway_payment_id(db, &paid.id).await,
        None => Ok(None),
    }
}

/// Links that expired longer ago than this are no longer asked about.
const LATE_CAPTURE_WINDOW: Duration = Duration::days(2);
/// At most this many links per run, oldest first.
const RECONCILE_BATCH: u64 = 50;

/// Asks Razorpay about pending links created before `now - after` and settles the paid
/// ones, so a lost webhook never loses money. Returns what was settled.
pub async fn reconcile(
    db: &DatabaseConnection,
    client: &RazorpayClient,
    after: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Settlement>, DbErr> {
    let mut settled = Vec::new();
    for pending in payments::pending_links(db, now - after, now - LATE_CAPTURE_WINDOW, RECONCILE_BATCH).await? {
        let Some(link_id) = pending.gateway_link_id.as_deref() else { continue };
        let link = match client.fetch_link(link_id).await {
            Ok(link) => link,
            Err(err) => {
                log::warn!("reconcile {}: {err}", pending.reference);
                continue;
            }
        };
        let captured =
            link.payments.unwrap_or_default().into_iter().find(|p| matches!(p.status.as_str(), "captured" | "paid"));
        if let (true, Some(paid)) = (link.status == "paid", captured) {
            let arrival = Arrival {
                gateway_payment_id: Some(paid.payment_id),
                amount: crate::domain::Money::from_paise(paid.amount),
                payer_vpa: None,
                paid_at: paid.created_at.and_then(|t| DateTime::from_timestamp(t, 0)),
            };
            match payments::settle(db, pending.id, &arrival, now).await {
                Ok(settlement) => settled.push(settlement),
                Err(err) => log::error!("reconcile {}: {err}", pending.reference),
            }
        }
    }
    Ok(settled)
}

/// A payment the customer can now pay through its link.
#[derive(Debug, Clone)]
pub struct StartedPayment {
    pub payment: payment::Model,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Payment(#[from] payments::PaymentError),
    #[error(transparent)]
    Gateway(#[from] RazorpayError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Creates our payment and its Razorpay link.
pub async fn start_payment(
    db: &DatabaseConnection,
    client: &RazorpayClient,
    telegram_id: i64,
    purpose: payments::Purpose,
    valid_for: Duration,
    description: &str,
    now: DateTime<Utc>,
) -> Result<StartedPayment, StartError> {
    let payment =
        payments::create(db, telegram_id, purpose, crate::entities::payment::PaymentChannel::Razorpay, valid_for, now)
            .await?;
    let link = client.create_link(&payment, description).await?;
    payments::attach_link(db, payment.id, &link.id, &link.short_url).await?;
    Ok(StartedPayment { payment, url: link.short_url })
}
