//! Razorpay: payment links through the API, webhook events, and reconciliation of links
//! whose webhook never came.
pub mod event;
pub mod signature;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait, TryInsertResult,
};
use serde::Deserialize;
use serde_json::json;

use crate::config::RazorpayConfig;
use crate::entities::payment::{self, PaymentChannel, PaymentStatus};
use crate::entities::{gateway_event, user};
use crate::services::outbox::{self, GatewayRefusal, Notice};
use crate::services::payments::{self, Arrival, Settlement};

use event::{Event, OrderEntity, PaymentEntity, REFERENCE_NOTE};

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

/// A list answer: `{"entity": "collection", "count": n, "items": [...]}`.
#[derive(Debug, Clone, Deserialize)]
struct Collection<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
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

    /// One page of the orders with an authorised payment created since `since`, newest first.
    pub async fn list_paid_orders(&self, since: DateTime<Utc>, skip: u64) -> Result<Vec<OrderEntity>, RazorpayError> {
        let query = [
            ("authorized", "1".to_owned()),
            ("from", since.timestamp().max(0).to_string()),
            ("count", ORDERS_PAGE.to_string()),
            ("skip", skip.to_string()),
        ];
        let response = self
            .http
            .get(self.url("v1/orders"))
            .query(&query)
            .basic_auth(&self.config.key_id, Some(&self.config.key_secret))
            .send()
            .await?;
        Ok(Self::read::<Collection<OrderEntity>>(response).await?.items)
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

/// The events that say money arrived.
const PAID_EVENTS: [&str; 3] = ["payment_link.paid", "payment.captured", "order.paid"];

/// Why a paid event cannot be credited, if it cannot: only INR, and only a positive amount.
fn refusal(payment: Option<&PaymentEntity>) -> Option<GatewayRefusal> {
    let Some(payment) = payment else { return Some(GatewayRefusal::NoAmount) };
    match payment.amount {
        None => Some(GatewayRefusal::NoAmount),
        Some(amount) if amount <= 0 => Some(GatewayRefusal::NotPositive),
        Some(_) if payment.currency.as_deref().is_some_and(|c| c != "INR") => Some(GatewayRefusal::Currency),
        Some(_) => None,
    }
}

/// Handles one verified webhook event, keyed by Razorpay's event id, in one transaction: the
/// event's record and its work commit together (one commit per webhook), so a repeat finds the
/// record and does nothing, and if the work fails nothing is recorded and Razorpay's retry
/// does it again. A concurrent repeat waits on the record's unique key and then finds it.
pub async fn handle_event(
    db: &DatabaseConnection,
    event_key: &str,
    event: &Event,
    now: DateTime<Utc>,
) -> Result<EventOutcome, DbErr> {
    let txn = db.begin().await?;
    let ours = find_payment(&txn, event).await?;
    let paid_event = PAID_EVENTS.contains(&event.kind.as_str());
    let refused = ours.as_ref().filter(|_| paid_event).and_then(|_| refusal(event.payment.as_ref()));
    let summary = json!({
        "payment": event.payment.as_ref().map(|p| (&p.id, p.amount, &p.status)),
        "link": event.payment_link.as_ref().map(|l| &l.id),
        "reference": event.our_reference(),
    });
    let recorded = gateway_event::Entity::insert(gateway_event::ActiveModel {
        gateway: Set("razorpay".into()),
        event_key: Set(event_key.to_owned()),
        kind: Set(event.kind.clone()),
        payment_id: Set(ours.as_ref().map(|p| p.id)),
        summary: Set(summary.to_string()),
        received_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([gateway_event::Column::EventKey])
    .exec_without_returning(&txn)
    .await?;
    if !matches!(recorded, TryInsertResult::Inserted(n) if n > 0) {
        txn.rollback().await?;
        return Ok(EventOutcome::Duplicate);
    }
    let outcome = match (event.kind.as_str(), &ours, &event.payment) {
        _ if refused.is_some() => {
            log::warn!("Razorpay event {event_key} ({}): refused ({refused:?}), not credited", event.kind);
            EventOutcome::Recorded
        }
        (_, Some(ours), Some(paid)) if paid_event => {
            let arrival = Arrival {
                gateway_payment_id: Some(paid.id.clone()),
                amount: crate::domain::Money::from_paise(paid.amount.unwrap_or_default()),
                payer_vpa: paid.vpa.clone(),
                paid_at: paid.paid_at(),
            };
            EventOutcome::Settled(payments::settle_within(&txn, ours.id, &arrival, now).await?)
        }
        ("payment.failed", Some(ours), _) => {
            payments::mark_failed(&txn, ours.id, now).await?;
            EventOutcome::Recorded
        }
        _ => EventOutcome::Recorded,
    };
    if ours.is_none() && event.kind != "refund.processed" {
        log::warn!("Razorpay event {event_key} ({}) matches no payment of ours", event.kind);
    }
    // A refused event's staff alert is written with the record, so only the delivery that
    // records the event alerts (however often Razorpay sends it, even at once), and only once
    // per Razorpay payment (Razorpay sends several events for one payment).
    if let (Some(why), Some(ours)) = (refused, &ours) {
        alert_refused(&txn, event, ours, why, now).await?;
    }
    txn.commit().await?;
    Ok(outcome)
}

/// Tells the staff that money may have arrived for `ours` in an event we refused.
async fn alert_refused(
    txn: &DatabaseTransaction,
    event: &Event,
    ours: &payment::Model,
    why: GatewayRefusal,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let customer = user::Entity::find_by_id(ours.user_id)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("user {}", ours.user_id)))?;
    let paid = event.payment.as_ref();
    let notice = Notice::GatewayRefusedAlert {
        gateway: "razorpay".into(),
        event: event.kind.clone(),
        reference: ours.reference.clone(),
        gateway_payment_id: paid.map(|p| p.id.clone()),
        amount: paid.and_then(|p| p.amount),
        currency: paid.and_then(|p| p.currency.clone()),
        why,
        customer: (&customer).into(),
    };
    match paid {
        Some(paid) => outbox::to_staff_once(txn, &notice, &format!("gateway_refused:razorpay:{}", paid.id), now).await,
        None => outbox::to_staff(txn, &notice, now).await,
    }
}

async fn find_payment(txn: &DatabaseTransaction, event: &Event) -> Result<Option<payment::Model>, DbErr> {
    if let Some(reference) = event.our_reference() {
        if let Some(found) = payments::find_by_reference(txn, reference).await? {
            return Ok(Some(found));
        }
    }
    if let Some(link) = &event.payment_link {
        if let Some(found) = payments::find_by_link_id(txn, &link.id).await? {
            return Ok(Some(found));
        }
    }
    match &event.payment {
        Some(paid) => payments::find_by_gateway_payment_id(txn, &paid.id).await,
        None => Ok(None),
    }
}

/// How long after its expiry a link may still receive money (a payment authorised just
/// before the link expired and captured later). Past this, reconciliation looks at the link
/// one last time and closes our payment as expired.
pub const LATE_CAPTURE_WINDOW: Duration = Duration::days(2);
/// At most this many links are fetched per run (links a sweep found paid first, then the
/// last look at links past the late-capture window).
pub const RECONCILE_BATCH: u64 = 50;
/// At most this many pages of orders (each [`ORDERS_PAGE`] long) are listed per run, so a
/// run makes at most `LIST_PAGES + RECONCILE_BATCH` API calls.
pub const LIST_PAGES: u64 = 5;
/// Razorpay's largest page.
pub const ORDERS_PAGE: u64 = 100;
/// Razorpay's clock and ours may differ; the sweep starts this much earlier.
const CLOCK_MARGIN: Duration = Duration::minutes(15);

/// Settles Razorpay links whose webhook never came, so a lost webhook never loses money, and
/// closes links nobody paid. Each run:
///
/// 1. Sweep: one list call (a few pages at most) of the orders with an authorised payment
///    created since the oldest link still pending after `after`, newest first. Razorpay
///    makes an order for every link someone pays, carrying the link's notes (our reference).
///    Only links whose reference comes back are fetched and settled, so a paid link is found
///    at the first run however many links were abandoned.
/// 2. Close: links whose expiry plus [`LATE_CAPTURE_WINDOW`] is over are fetched one last
///    time (with what is left of [`RECONCILE_BATCH`]); paid ones are settled, the others
///    marked expired by a conditional update, so they leave the pending set for good.
///
/// Returns what was settled.
pub async fn reconcile(
    db: &DatabaseConnection,
    client: &RazorpayClient,
    after: Duration,
    now: DateTime<Utc>,
) -> Result<Vec<Settlement>, DbErr> {
    let (older_than, expired_after) = (now - after, now - LATE_CAPTURE_WINDOW);
    let mut settled = Vec::new();
    let mut fetches = 0;
    if let Some(oldest) = payments::pending_links(db, older_than, expired_after, None, 1).await?.pop() {
        let references = paid_references(client, oldest.created_at - CLOCK_MARGIN).await;
        let paid = payments::pending_links(db, older_than, expired_after, Some(&references), RECONCILE_BATCH).await?;
        for pending in paid {
            let Some(link_id) = pending.gateway_link_id.as_deref() else { continue };
            fetches += 1;
            match client.fetch_link(link_id).await {
                Ok(link) => settled.extend(settle_link(db, &pending, link, now).await.settlements),
                Err(err) => log::warn!("reconcile {}: {err}", pending.reference),
            }
        }
    }
    for pending in links_to_close(db, expired_after, RECONCILE_BATCH - fetches).await? {
        if let Some(link_id) = pending.gateway_link_id.as_deref() {
            match client.fetch_link(link_id).await {
                Ok(link) => {
                    let look = settle_link(db, &pending, link, now).await;
                    settled.extend(look.settlements);
                    if look.keep_open {
                        continue;
                    }
                }
                // Razorpay has no such link: nothing can be paid through it.
                Err(RazorpayError::Api { status: 404, .. }) => {}
                Err(err) => {
                    // The API is down or refuses us: close nothing unseen; try next run.
                    log::warn!("reconcile {}: {err}", pending.reference);
                    break;
                }
            }
        }
        if close_expired(db, pending.id, expired_after, now).await? {
            log::debug!("reconcile {}: expired unpaid", pending.reference);
        }
    }
    Ok(settled)
}

/// Our references on the orders with an authorised payment created since `since`, at most
/// [`LIST_PAGES`] pages. An API error ends the sweep with what it found so far.
async fn paid_references(client: &RazorpayClient, since: DateTime<Utc>) -> Vec<String> {
    let mut references = Vec::new();
    for page in 0..LIST_PAGES {
        let orders = match client.list_paid_orders(since, page * ORDERS_PAGE).await {
            Ok(orders) => orders,
            Err(err) => {
                log::warn!("reconcile: listing orders failed: {err}");
                return references;
            }
        };
        let full = orders.len() as u64 >= ORDERS_PAGE;
        references.extend(
            orders.into_iter().filter_map(|order| {
                order.notes.get(REFERENCE_NOTE).cloned().or(order.receipt).filter(|r| !r.is_empty())
            }),
        );
        if !full {
            return references;
        }
    }
    log::warn!(
        "reconcile: more than {} paid orders since {since}; older ones wait for the last look",
        LIST_PAGES * ORDERS_PAGE
    );
    references
}

/// What one look at a link did.
struct LinkLook {
    settlements: Vec<Settlement>,
    /// Money may still land on it: a payment is authorised but not yet captured, or settling a
    /// captured one failed (tried again next run). Such a payment is not closed.
    keep_open: bool,
}

/// Settles every captured payment Razorpay lists on `link` for our `pending` payment.
async fn settle_link(
    db: &DatabaseConnection,
    pending: &payment::Model,
    link: PaymentLink,
    now: DateTime<Utc>,
) -> LinkLook {
    let mut look = LinkLook { settlements: Vec::new(), keep_open: false };
    for paid in link.payments.unwrap_or_default() {
        match paid.status.as_str() {
            "captured" | "paid" if paid.amount > 0 => {}
            "authorized" | "created" => {
                look.keep_open = true;
                continue;
            }
            _ => continue,
        }
        let arrival = Arrival {
            gateway_payment_id: Some(paid.payment_id),
            amount: crate::domain::Money::from_paise(paid.amount),
            payer_vpa: None,
            paid_at: paid.created_at.and_then(|t| DateTime::from_timestamp(t, 0)),
        };
        match payments::settle(db, pending.id, &arrival, now).await {
            Ok(settlement) => look.settlements.push(settlement),
            Err(err) => {
                log::error!("reconcile {}: {err}", pending.reference);
                look.keep_open = true;
            }
        }
    }
    look
}

/// Open Razorpay payments whose expiry is at or before `expired_before`, soonest expired first.
async fn links_to_close(
    db: &DatabaseConnection,
    expired_before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<payment::Model>, DbErr> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    payment::Entity::find()
        .filter(payment::Column::Method.eq(PaymentChannel::Razorpay))
        .filter(payment::Column::Status.is_in([PaymentStatus::Pending, PaymentStatus::Failed]))
        .filter(payment::Column::ExpiresAt.lte(expired_before))
        .order_by_asc(payment::Column::ExpiresAt)
        .order_by_asc(payment::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// `pending|failed -> expired`, only while it is still open and past `expired_before`.
async fn close_expired(
    db: &DatabaseConnection,
    payment_id: i32,
    expired_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = payment::Entity::update_many()
        .col_expr(payment::Column::Status, Expr::value(PaymentStatus::Expired))
        .col_expr(payment::Column::UpdatedAt, Expr::value(now))
        .filter(payment::Column::Id.eq(payment_id))
        .filter(payment::Column::Status.is_in([PaymentStatus::Pending, PaymentStatus::Failed]))
        .filter(payment::Column::ExpiresAt.lte(expired_before))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
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
