//! CSV exports of orders, the ledger, withdrawals and commissions over a range of IST days,
//! for admins and owners (`Permission::ViewReports`). A file opens as it should in a
//! spreadsheet: UTF-8 with a byte-order mark, CRLF line ends, one header row, amounts in
//! rupees with two decimals (exact, from paise), times as IST wall-clock `YYYY-MM-DD HH:MM:SS`.
//! Text a customer chose (names, usernames) that starts like a formula (`=`, `+`, `-`, `@`)
//! is prefixed with `'`, so a spreadsheet shows it instead of running it.
//!
//! An export is produced page by page: each page is one short query (keyset pagination on
//! (`created_at`, `id`), so no page re-reads earlier ones and no connection or transaction is
//! held between pages), turned into bytes and handed out. Memory stays one page whatever the
//! range. Chat writes the chunks to a temporary file; an HTTP handler can stream them:
//!
//! ```ignore
//! let export = exports::open(&db, &actor, kind, range)?;
//! let name = export.file_name();
//! Body::from_stream(export.into_stream())
//! ```
//!
//! Rows are those created in the range (an order opened, a ledger entry written, a withdrawal
//! requested, a commission earned), oldest first. Columns, per kind:
//!
//! - `orders`: order_id, created_at_ist, paid_at_ist, status (pending, paid, cancelled,
//!   refunded), customer_telegram_id, customer_username, customer_name, plan_id, plan_name,
//!   list_price_inr, discount_inr, promo_code, price_inr (paid), cost_inr, profit_inr,
//!   payment_method
//! - `ledger`: entry_id, created_at_ist, customer_telegram_id, customer_username,
//!   customer_name, kind, amount_inr (signed: credits positive), balance_after_inr, reference
//! - `withdrawals`: withdrawal_id, created_at_ist, customer_telegram_id, customer_username,
//!   customer_name, amount_inr, upi_id, status (pending, approved, paid, rejected,
//!   payout_failed), decided_at_ist, decided_by_telegram_id, payout_utr, paid_at_ist, reason
//! - `commissions`: commission_id, created_at_ist, order_id, level, earner_telegram_id,
//!   earner_username, buyer_telegram_id, buyer_username, amount_inr, status (pending,
//!   available, cancelled, reversed), recovered_inr, matured_at_ist, closed_at_ist
use chrono::{DateTime, Utc};
use futures::Stream;
use sea_orm::sea_query::{Alias, Expr, ExprTrait};
use sea_orm::{
    ActiveEnum, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationDef, Select,
};

use crate::domain::report::{ist_timestamp, DateRange};
use crate::domain::{Money, Permission};
use crate::entities::{commission, ledger_entry, order, plan, promo_code, user, withdrawal};
use crate::services::actor::{ActError, Actor};

/// Rows per page (per query and per chunk).
pub const PAGE_SIZE: u64 = 500;

/// UTF-8 byte-order mark: spreadsheets read the file as UTF-8 (₹, Hindi names) with it.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExportKind {
    Orders,
    Ledger,
    Withdrawals,
    Commissions,
}

impl ExportKind {
    pub const ALL: [ExportKind; 4] =
        [ExportKind::Orders, ExportKind::Ledger, ExportKind::Withdrawals, ExportKind::Commissions];

    /// `orders`, `ledger`, `withdrawals`, `commissions` (any case, `.csv` allowed).
    pub fn parse(input: &str) -> Option<ExportKind> {
        let lowered = input.trim().to_ascii_lowercase();
        let name = lowered.strip_suffix(".csv").unwrap_or(&lowered);
        ExportKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            ExportKind::Orders => "orders",
            ExportKind::Ledger => "ledger",
            ExportKind::Withdrawals => "withdrawals",
            ExportKind::Commissions => "commissions",
        }
    }

    /// The header row.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            ExportKind::Orders => &[
                "order_id",
                "created_at_ist",
                "paid_at_ist",
                "status",
                "customer_telegram_id",
                "customer_username",
                "customer_name",
                "plan_id",
                "plan_name",
                "list_price_inr",
                "discount_inr",
                "promo_code",
                "price_inr",
                "cost_inr",
                "profit_inr",
                "payment_method",
            ],
            ExportKind::Ledger => &[
                "entry_id",
                "created_at_ist",
                "customer_telegram_id",
                "customer_username",
                "customer_name",
                "kind",
                "amount_inr",
                "balance_after_inr",
                "reference",
            ],
            ExportKind::Withdrawals => &[
                "withdrawal_id",
                "created_at_ist",
                "customer_telegram_id",
                "customer_username",
                "customer_name",
                "amount_inr",
                "upi_id",
                "status",
                "decided_at_ist",
                "decided_by_telegram_id",
                "payout_utr",
                "paid_at_ist",
                "reason",
            ],
            ExportKind::Commissions => &[
                "commission_id",
                "created_at_ist",
                "order_id",
                "level",
                "earner_telegram_id",
                "earner_username",
                "buyer_telegram_id",
                "buyer_username",
                "amount_inr",
                "status",
                "recovered_inr",
                "matured_at_ist",
                "closed_at_ist",
            ],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("writing CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing the export: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Header,
    Rows,
    Done,
}

/// An export in progress: call `next_chunk` until it returns None, or turn it into a stream.
pub struct Export {
    db: DatabaseConnection,
    kind: ExportKind,
    range: DateRange,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    page_size: u64,
    /// (created_at, id) of the last row handed out.
    after: Option<(DateTime<Utc>, i32)>,
    stage: Stage,
    rows: u64,
}

/// Starts an export of `kind` over `range` (IST days, both included).
pub fn open(db: &DatabaseConnection, actor: &Actor, kind: ExportKind, range: DateRange) -> Result<Export, ActError> {
    actor.require(Permission::ViewReports)?;
    let (from, until) = range.bounds();
    Ok(Export {
        db: db.clone(),
        kind,
        range,
        from,
        until,
        page_size: PAGE_SIZE,
        after: None,
        stage: Stage::Header,
        rows: 0,
    })
}

impl Export {
    /// Rows per page (at least 1); the default is `PAGE_SIZE`.
    pub fn with_page_size(mut self, rows: u64) -> Export {
        self.page_size = Ord::max(rows, 1);
        self
    }

    pub fn kind(&self) -> ExportKind {
        self.kind
    }

    pub fn range(&self) -> DateRange {
        self.range
    }

    /// `orders_2026-12-01_2026-12-31.csv`.
    pub fn file_name(&self) -> String {
        format!("{}_{}_{}.csv", self.kind.name(), self.range.from, self.range.to)
    }

    /// Data rows handed out so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The next piece of the file: the BOM and the header row first, then one page of rows
    /// per call; None when the file is complete.
    pub async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, ExportError> {
        match self.stage {
            Stage::Done => Ok(None),
            Stage::Header => {
                let mut chunk = BOM.to_vec();
                chunk.extend(to_csv(&[self.kind.columns().iter().map(|c| (*c).to_owned()).collect()])?);
                self.stage = Stage::Rows;
                Ok(Some(chunk))
            }
            Stage::Rows => {
                let (records, last) = match self.page().await {
                    Ok(page) => page,
                    Err(err) => {
                        self.stage = Stage::Done;
                        return Err(err.into());
                    }
                };
                if (records.len() as u64) < self.page_size {
                    self.stage = Stage::Done;
                }
                if records.is_empty() {
                    return Ok(None);
                }
                self.rows += records.len() as u64;
                self.after = last;
                Ok(Some(to_csv(&records)?))
            }
        }
    }

    /// The whole file into `out`, page by page; returns the number of data rows.
    pub async fn write_to<W: std::io::Write>(mut self, out: &mut W) -> Result<u64, ExportError> {
        while let Some(chunk) = self.next_chunk().await? {
            out.write_all(&chunk)?;
        }
        out.flush()?;
        Ok(self.rows)
    }

    /// The chunks as a stream (e.g. an HTTP response body); it ends after an error.
    pub fn into_stream(self) -> impl Stream<Item = Result<Vec<u8>, ExportError>> + Send + 'static {
        futures::stream::unfold(self, |mut export| async move {
            match export.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), export)),
                Ok(None) => None,
                Err(err) => Some((Err(err), export)),
            }
        })
    }

    /// The next page of `select`: in the range, after the last row, oldest first.
    fn paged<E: EntityTrait>(&self, select: Select<E>, created: E::Column, id: E::Column) -> Select<E> {
        let mut select = select.filter(created.gte(self.from)).filter(created.lt(self.until));
        if let Some((at, last_id)) = self.after {
            let key = Expr::tuple([created.into_expr(), id.into_expr()]);
            select = select.filter(key.gt(Expr::tuple([Expr::val(at), Expr::val(last_id)])));
        }
        select.order_by_asc(created).order_by_asc(id).limit(self.page_size)
    }

    async fn page(&self) -> Result<(Vec<Vec<String>>, Option<(DateTime<Utc>, i32)>), DbErr> {
        Ok(match self.kind {
            ExportKind::Orders => {
                let rows = self
                    .paged(
                        with_customer(order::Entity::find(), order::Column::UserId)
                            .join(
                                JoinType::LeftJoin,
                                order::Entity::belongs_to(plan::Entity)
                                    .from(order::Column::PlanId)
                                    .to(plan::Column::Id)
                                    .into(),
                            )
                            .column_as(plan::Column::Name, "plan_name")
                            .join(
                                JoinType::LeftJoin,
                                order::Entity::belongs_to(promo_code::Entity)
                                    .from(order::Column::PromoCodeId)
                                    .to(promo_code::Column::Id)
                                    .into(),
                            )
                            .column_as(promo_code::Column::Code, "promo_code"),
                        order::Column::CreatedAt,
                        order::Column::Id,
                    )
                    .into_model::<OrderRow>()
                    .all(&self.db)
                    .await?;
                let last = rows.last().map(|r| (r.created_at, r.id));
                (rows.into_iter().map(OrderRow::record).collect(), last)
            }
            ExportKind::Ledger => {
                let rows = self
                    .paged(
                        with_customer(ledger_entry::Entity::find(), ledger_entry::Column::UserId),
                        ledger_entry::Column::CreatedAt,
                        ledger_entry::Column::Id,
                    )
                    .into_model::<LedgerRow>()
                    .all(&self.db)
                    .await?;
                let last = rows.last().map(|r| (r.created_at, r.id));
                (rows.into_iter().map(LedgerRow::record).collect(), last)
            }
            ExportKind::Withdrawals => {
                let rows = self
                    .paged(
                        with_customer(withdrawal::Entity::find(), withdrawal::Column::UserId),
                        withdrawal::Column::CreatedAt,
                        withdrawal::Column::Id,
                    )
                    .into_model::<WithdrawalRow>()
                    .all(&self.db)
                    .await?;
                let last = rows.last().map(|r| (r.created_at, r.id));
                (rows.into_iter().map(WithdrawalRow::record).collect(), last)
            }
            ExportKind::Commissions => {
                let person = |column: commission::Column| -> RelationDef {
                    commission::Entity::belongs_to(user::Entity).from(column).to(user::Column::Id).into()
                };
                let (earner, buyer) = (Alias::new("earner"), Alias::new("buyer"));
                let select = commission::Entity::find()
                    .join_as(JoinType::LeftJoin, person(commission::Column::EarnerId), earner.clone())
                    .join_as(JoinType::LeftJoin, person(commission::Column::BuyerId), buyer.clone())
                    .column_as(Expr::col((earner.clone(), user::Column::TelegramId)), "earner_telegram_id")
                    .column_as(Expr::col((earner, user::Column::Username)), "earner_username")
                    .column_as(Expr::col((buyer.clone(), user::Column::TelegramId)), "buyer_telegram_id")
                    .column_as(Expr::col((buyer, user::Column::Username)), "buyer_username");
                let rows = self
                    .paged(select, commission::Column::CreatedAt, commission::Column::Id)
                    .into_model::<CommissionRow>()
                    .all(&self.db)
                    .await?;
                let last = rows.last().map(|r| (r.created_at, r.id));
                (rows.into_iter().map(CommissionRow::record).collect(), last)
            }
        })
    }
}

/// `select` with the customer's Telegram id, username and names.
fn with_customer<E: EntityTrait>(select: Select<E>, user_id: E::Column) -> Select<E> {
    select
        .join(JoinType::LeftJoin, E::belongs_to(user::Entity).from(user_id).to(user::Column::Id).into())
        .column_as(user::Column::TelegramId, "telegram_id")
        .column_as(user::Column::Username, "username")
        .column_as(user::Column::FirstName, "first_name")
        .column_as(user::Column::LastName, "last_name")
}

fn to_csv(records: &[Vec<String>]) -> Result<Vec<u8>, ExportError> {
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    for record in records {
        writer.write_record(record)?;
    }
    writer.into_inner().map_err(|err| ExportError::Io(err.into_error()))
}

/// Rupees with two decimals, exact: `1350.50`, `-42.00`.
fn rupees(paise: i64) -> String {
    Money::from_paise(paise).plain()
}

fn time(at: Option<DateTime<Utc>>) -> String {
    at.map(ist_timestamp).unwrap_or_default()
}

fn id(value: Option<impl ToString>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Text someone else chose, safe to open in a spreadsheet: a leading `=`, `+`, `-`, `@`, tab
/// or carriage return would start a formula, so it gets a `'` in front.
fn text(value: Option<&str>) -> String {
    let value = value.unwrap_or_default();
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

fn name(first: Option<&str>, last: Option<&str>) -> String {
    let full = match (first, last) {
        (Some(first), Some(last)) if !last.is_empty() => format!("{first} {last}"),
        (first, _) => first.unwrap_or_default().to_owned(),
    };
    text(Some(&full))
}

#[derive(Debug, FromQueryResult)]
struct OrderRow {
    id: i32,
    created_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    status: order::OrderStatus,
    telegram_id: Option<i64>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    plan_id: i32,
    plan_name: Option<String>,
    list_price: i64,
    discount: i64,
    promo_code: Option<String>,
    price: i64,
    cost: i64,
    payment_method: order::PaymentMethod,
}

impl OrderRow {
    fn record(self) -> Vec<String> {
        vec![
            self.id.to_string(),
            time(Some(self.created_at)),
            time(self.paid_at),
            self.status.to_value(),
            id(self.telegram_id),
            text(self.username.as_deref()),
            name(self.first_name.as_deref(), self.last_name.as_deref()),
            self.plan_id.to_string(),
            text(self.plan_name.as_deref()),
            rupees(self.list_price),
            rupees(self.discount),
            text(self.promo_code.as_deref()),
            rupees(self.price),
            rupees(self.cost),
            rupees(self.price - self.cost),
            self.payment_method.to_value(),
        ]
    }
}

#[derive(Debug, FromQueryResult)]
struct LedgerRow {
    id: i32,
    created_at: DateTime<Utc>,
    telegram_id: Option<i64>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    kind: crate::entities::ledger_entry::LedgerKind,
    amount: i64,
    balance_after: i64,
    reference: String,
}

impl LedgerRow {
    fn record(self) -> Vec<String> {
        vec![
            self.id.to_string(),
            time(Some(self.created_at)),
            id(self.telegram_id),
            text(self.username.as_deref()),
            name(self.first_name.as_deref(), self.last_name.as_deref()),
            self.kind.to_value(),
            rupees(self.amount),
            rupees(self.balance_after),
            text(Some(&self.reference)),
        ]
    }
}

#[derive(Debug, FromQueryResult)]
struct WithdrawalRow {
    id: i32,
    created_at: DateTime<Utc>,
    telegram_id: Option<i64>,
    username: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    amount: i64,
    vpa: String,
    status: withdrawal::WithdrawalStatus,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<i64>,
    payout_utr: Option<String>,
    paid_at: Option<DateTime<Utc>>,
    reason: Option<String>,
}

impl WithdrawalRow {
    fn record(self) -> Vec<String> {
        vec![
            self.id.to_string(),
            time(Some(self.created_at)),
            id(self.telegram_id),
            text(self.username.as_deref()),
            name(self.first_name.as_deref(), self.last_name.as_deref()),
            rupees(self.amount),
            text(Some(&self.vpa)),
            self.status.to_value(),
            time(self.decided_at),
            id(self.decided_by),
            text(self.payout_utr.as_deref()),
            time(self.paid_at),
            text(self.reason.as_deref()),
        ]
    }
}

#[derive(Debug, FromQueryResult)]
struct CommissionRow {
    id: i32,
    created_at: DateTime<Utc>,
    order_id: i32,
    level: i16,
    earner_telegram_id: Option<i64>,
    earner_username: Option<String>,
    buyer_telegram_id: Option<i64>,
    buyer_username: Option<String>,
    amount: i64,
    status: commission::CommissionStatus,
    recovered: i64,
    matured_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
}

impl CommissionRow {
    fn record(self) -> Vec<String> {
        vec![
            self.id.to_string(),
            time(Some(self.created_at)),
            self.order_id.to_string(),
            self.level.to_string(),
            id(self.earner_telegram_id),
            text(self.earner_username.as_deref()),
            id(self.buyer_telegram_id),
            text(self.buyer_username.as_deref()),
            rupees(self.amount),
            self.status.to_value(),
            rupees(self.recovered),
            time(self.matured_at),
            time(self.closed_at),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_by_name_and_file_name() {
        for kind in ExportKind::ALL {
            assert_eq!(ExportKind::parse(kind.name()), Some(kind));
            assert_eq!(ExportKind::parse(&format!("{}.CSV", kind.name().to_uppercase())), Some(kind));
            assert!(kind.columns().len() >= 9);
        }
        assert_eq!(ExportKind::parse("users"), None);
    }

    #[test]
    fn text_that_would_run_as_a_formula_is_shown_instead() {
        assert_eq!(text(Some("=HYPERLINK(\"x\")")), "'=HYPERLINK(\"x\")");
        assert_eq!(text(Some("+91")), "'+91");
        assert_eq!(text(Some("@someone")), "'@someone");
        assert_eq!(text(Some("Ravi, \"RK\"")), "Ravi, \"RK\"");
        assert_eq!(text(None), "");
        assert_eq!(name(Some("Ravi"), Some("Kumar")), "Ravi Kumar");
        assert_eq!(name(Some("-Ravi"), None), "'-Ravi");
    }

    #[test]
    fn records_end_in_crlf_and_quote_what_needs_it() {
        let bytes = to_csv(&[vec!["1".into(), "a, b".into(), "say \"hi\"".into(), "line\nbreak".into()]]).unwrap();
        assert_eq!(String::from_utf8(bytes).unwrap(), "1,\"a, b\",\"say \"\"hi\"\"\",\"line\nbreak\"\r\n");
        assert_eq!(rupees(135_050), "1350.50");
        assert_eq!(rupees(-4_200), "-42.00");
    }
}
