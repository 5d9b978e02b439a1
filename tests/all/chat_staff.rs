//! Staff roles in chat. A customer who types every staff command and forges every staff
//! button changes nothing; support sees customers, orders, queues, settings and the staff
//! view of the plans, without decision buttons, and is refused everything that acts; owners
//! grant and revoke roles with /staff (audited, the person told through the outbox, their
//! command menu following the role), and nobody else can.
use std::collections::BTreeSet;
use std::fmt::Display;

use chrono::{DateTime, Datelike, FixedOffset, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::Value;

use ottsonly::bot::commands;
use ottsonly::bot::features::staff::{approvals, broadcasts, desk, queues, team, tokens};
use ottsonly::bot::state::State;
use ottsonly::bot::ui::callback;
use ottsonly::domain::setting::SettingKey;
use ottsonly::domain::{Lang, Money};
use ottsonly::entities::user::Role;
use ottsonly::entities::{
    approval_request, audit_log, commission, dialogue_state, fraud_flag, ledger_entry, order, outbox_message, payment,
    plan, stock_item, subscription, upi_claim, user, withdrawal,
};
use ottsonly::services::outbox::Notice;
use ottsonly::services::payments::Purpose;
use ottsonly::services::staff::{self, RoleChange};
use ottsonly::services::upi::{self, ClaimOutcome};
use ottsonly::services::wallet::{self, AdjustOutcome, Direction};
use ottsonly::services::withdrawals::{self, Decision, RequestOutcome};
use ottsonly::services::{catalog, settings, users, Actor};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::{FakeTelegram, SentMessage};
use crate::support::fixtures::{
    assert_ledger_consistent, buy, credit, customer, earn_withdrawable, outbox_notices, plan_with_stock, ADMIN,
};

/// The text of `key` in locales/en.yml with its placeholders filled, as the bot's `t!` fills them.
fn en(key: &str, args: &[(&str, &dyn Display)]) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/locales/en.yml");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut value = &yaml;
    for part in key.split('.') {
        value = &value[part];
    }
    let mut text = value.as_str().unwrap_or_else(|| panic!("no text {key}")).to_owned();
    for (name, arg) in args {
        let placeholder = format!("%{{{name}}}");
        assert!(text.contains(&placeholder), "{key} has no %{{{name}}}");
        text = text.replace(&placeholder, &arg.to_string());
    }
    assert!(!text.contains("%{"), "{key}: a placeholder was not filled: {text}");
    text
}

fn refused() -> String {
    en("admin.not_allowed", &[])
}

fn not_understood() -> String {
    en("fallback", &[])
}

/// `@username (id)` or `First (id)`, as staff read a person.
fn label(user: &user::Model) -> String {
    match &user.username {
        Some(username) => en("admin.user_with_username", &[("username", username), ("id", &user.telegram_id)]),
        None => en("admin.user_without_username", &[("name", &user.first_name), ("id", &user.telegram_id)]),
    }
}

async fn stored(conn: &DatabaseConnection, telegram_id: i64) -> user::Model {
    users::find_by_telegram_id(conn, telegram_id).await.unwrap().expect("a signed-up user")
}

/// `22 Dec 2026`: the day in India.
fn english_date(at: DateTime<Utc>) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let ist = at.with_timezone(&FixedOffset::east_opt(5 * 3600 + 1800).unwrap());
    format!("{} {} {}", ist.day(), MONTHS[ist.month0() as usize], ist.year())
}

/// What any staff act could change, comparable before and after.
#[derive(Debug, PartialEq)]
struct Snapshot {
    /// (telegram id, role, blocked, balance, language) of everyone.
    users: Vec<(i64, Role, bool, i64, String)>,
    ledger: Vec<ledger_entry::Model>,
    orders: Vec<order::Model>,
    subscriptions: Vec<subscription::Model>,
    plans: Vec<plan::Model>,
    stock: Vec<stock_item::Model>,
    payments: Vec<payment::Model>,
    claims: Vec<upi_claim::Model>,
    withdrawals: Vec<withdrawal::Model>,
    commissions: Vec<commission::Model>,
    flags: Vec<fraud_flag::Model>,
    approvals: Vec<approval_request::Model>,
    settings: Vec<(SettingKey, String)>,
    audit_rows: u64,
    /// Dashboard sign-in links and sessions: a customer must get neither. FAQ entries.
    dashboard: (u64, u64),
    faq: u64,
    /// (id, chat, kind, params): what was written, whatever its delivery has got to.
    outbox: Vec<(i32, i64, String, String)>,
    /// (chat, state) of every chat in the middle of a question (teloxide stores `Idle` for
    /// any chat it has seen; that is no question).
    dialogues: Vec<(i64, String)>,
}

async fn snapshot(conn: &DatabaseConnection) -> Snapshot {
    Snapshot {
        users: user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|u| (u.telegram_id, u.role, u.is_blocked, u.balance, u.language))
            .collect(),
        ledger: ledger_entry::Entity::find().order_by_asc(ledger_entry::Column::Id).all(conn).await.unwrap(),
        orders: order::Entity::find().order_by_asc(order::Column::Id).all(conn).await.unwrap(),
        subscriptions: subscription::Entity::find().order_by_asc(subscription::Column::Id).all(conn).await.unwrap(),
        plans: plan::Entity::find().order_by_asc(plan::Column::Id).all(conn).await.unwrap(),
        stock: stock_item::Entity::find().order_by_asc(stock_item::Column::Id).all(conn).await.unwrap(),
        payments: payment::Entity::find().order_by_asc(payment::Column::Id).all(conn).await.unwrap(),
        claims: upi_claim::Entity::find().order_by_asc(upi_claim::Column::Id).all(conn).await.unwrap(),
        withdrawals: withdrawal::Entity::find().order_by_asc(withdrawal::Column::Id).all(conn).await.unwrap(),
        commissions: commission::Entity::find().order_by_asc(commission::Column::Id).all(conn).await.unwrap(),
        flags: fraud_flag::Entity::find().order_by_asc(fraud_flag::Column::Id).all(conn).await.unwrap(),
        approvals: approval_request::Entity::find().order_by_asc(approval_request::Column::Id).all(conn).await.unwrap(),
        settings: settings::all(conn).await.unwrap(),
        audit_rows: audit_log::Entity::find().count(conn).await.unwrap(),
        dashboard: (
            ottsonly::entities::dashboard_link::Entity::find().count(conn).await.unwrap(),
            ottsonly::entities::dashboard_session::Entity::find().count(conn).await.unwrap(),
        ),
        faq: ottsonly::entities::faq_entry::Entity::find().count(conn).await.unwrap(),
        outbox: outbox_message::Entity::find()
            .order_by_asc(outbox_message::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.id, row.chat_id, row.kind, row.params))
            .collect(),
        dialogues: dialogue_state::Entity::find()
            .order_by_asc(dialogue_state::Column::ChatId)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.chat_id, row.state))
            .filter(|(_, state)| *state != serde_json::to_string(&State::Idle).unwrap())
            .collect(),
    }
}

/// A shop with something in every queue.
struct Story {
    /// Bought `order_id` and has UPI claim `claim_id` waiting.
    buyer: i64,
    order_id: i32,
    plan_id: i32,
    claim_id: i32,
    /// Earned ₹600 through one paying referral; their withdrawal is approved.
    earner: i64,
    approved: i32,
    /// Withdrawals to one shared UPI ID, both held by the flags it raised.
    pending: Vec<i32>,
    flags: Vec<i32>,
    /// Support staff.
    support: i64,
    /// The owner's ₹2,500 credit to the buyer, waiting for a second approval.
    request_id: i32,
    /// An API token the owner made.
    token_id: i32,
}

const EARNED: i64 = 600;

async fn story(conn: &DatabaseConnection) -> Story {
    let now = Utc::now();
    plan_with_stock(conn, "Hotstar VIP", 149, 50, 3).await;
    customer(conn, 8401).await;
    let delivery = buy(conn, 8401, 300, 100, now).await;
    credit(conn, 8401, 75).await;
    let plan_id = order::Entity::find_by_id(delivery.order_id).one(conn).await.unwrap().unwrap().plan_id;
    let topup = Purpose::TopUp { amount: Money::from_rupees(200) };
    let payment = upi::start(conn, 8401, topup, chrono::Duration::hours(1), now).await.unwrap();
    let claim_id = match upi::claim(conn, 8401, payment.id, "412345678999", None, now).await.unwrap() {
        ClaimOutcome::Created { claim, .. } => claim.id,
        other => panic!("{other:?}"),
    };
    let mut requested = Vec::new();
    for (earner, vpa) in [(8411, "one@ybl"), (8421, "shared@ybl"), (8431, "shared@ybl")] {
        customer(conn, earner).await;
        earn_withdrawable(conn, earner, earner + 1, EARNED, now).await;
        match withdrawals::request(conn, earner, Money::from_rupees(EARNED), vpa, now).await.unwrap() {
            RequestOutcome::Requested { withdrawal, .. } => requested.push(withdrawal.id),
            other => panic!("{other:?}"),
        }
    }
    let approved = requested.remove(0);
    assert!(matches!(withdrawals::approve(conn, &ADMIN, approved, now).await.unwrap(), Decision::Approved { .. }));
    let flags: Vec<i32> = fraud_flag::Entity::find().all(conn).await.unwrap().into_iter().map(|f| f.id).collect();
    assert!(!flags.is_empty(), "the shared UPI ID is flagged");
    // The owner of the harness (ADMIN_IDS) makes 8501 support, as /staff would.
    users::sync_staff_from_config(conn, &BTreeSet::from([ADMIN_ID]), None, now).await.unwrap();
    customer(conn, 8501).await;
    let owner = Actor::of(&stored(conn, ADMIN_ID).await);
    assert!(matches!(
        staff::set_role(conn, &owner, 8501, Role::Support, now).await.unwrap(),
        RoleChange::Changed { .. }
    ));
    let big = Money::from_rupees(2500);
    let request_id =
        match wallet::admin_adjust(conn, &owner, 8401, big, Direction::Credit, "goodwill", "big", now).await.unwrap() {
            AdjustOutcome::AwaitingApproval { request, .. } => request.id,
            other => panic!("{other:?}"),
        };
    let token_id = match ottsonly::services::tokens::create(conn, &owner, "books", Role::Admin, now).await.unwrap() {
        ottsonly::services::tokens::CreateOutcome::Created { token, .. } => token.id,
        other => panic!("{other:?}"),
    };
    Story {
        token_id,
        buyer: 8401,
        order_id: delivery.order_id,
        plan_id,
        claim_id,
        earner: 8411,
        approved,
        pending: requested,
        flags,
        support: 8501,
        request_id,
    }
}

/// Every staff button, with real ids, as callback data. The walk goes from variant to variant
/// of each `Action` enum through an exhaustive `match`, so a new variant does not compile
/// until this test forges it too.
fn forged_buttons(s: &Story) -> Vec<String> {
    use queues::Action as Q;
    let withdrawals: Vec<i32> = std::iter::once(s.approved).chain(s.pending.iter().copied()).collect();
    let each = |make: fn(i32) -> Q, ids: &[i32]| ids.iter().map(|id| make(*id)).collect::<Vec<Q>>();
    let mut data = Vec::new();
    let mut next = Some(Q::UpiApprove(0));
    while let Some(variant) = next {
        let (actions, following) = match variant {
            Q::UpiApprove(_) => (each(Q::UpiApprove, &[s.claim_id]), Some(Q::UpiReject(0))),
            Q::UpiReject(_) => (each(Q::UpiReject, &[s.claim_id]), Some(Q::WithdrawalApprove(0))),
            Q::WithdrawalApprove(_) => (each(Q::WithdrawalApprove, &withdrawals), Some(Q::WithdrawalReject(0))),
            Q::WithdrawalReject(_) => (each(Q::WithdrawalReject, &withdrawals), Some(Q::WithdrawalPaid(0))),
            Q::WithdrawalPaid(_) => (each(Q::WithdrawalPaid, &withdrawals), Some(Q::WithdrawalFailed(0))),
            Q::WithdrawalFailed(_) => (each(Q::WithdrawalFailed, &withdrawals), Some(Q::FlagResolve(0))),
            Q::FlagResolve(_) => (each(Q::FlagResolve, &s.flags), Some(Q::FlagBlock(0))),
            Q::FlagBlock(_) => (each(Q::FlagBlock, &s.flags), None),
        };
        assert!(!actions.is_empty() && data.len() < 1000, "{variant:?}");
        data.extend(actions.iter().map(callback::data));
        next = following;
    }
    let mut next = Some(approvals::Action::Approve(0));
    while let Some(variant) = next {
        let (action, following) = match variant {
            approvals::Action::Approve(_) => {
                (approvals::Action::Approve(s.request_id), Some(approvals::Action::Reject(0)))
            }
            approvals::Action::Reject(_) => {
                (approvals::Action::Reject(s.request_id), Some(approvals::Action::Cancel(0)))
            }
            approvals::Action::Cancel(_) => (approvals::Action::Cancel(s.request_id), None),
        };
        data.push(callback::data(&action));
        next = following;
    }
    let mut next = Some(team::Action::Revoke(0));
    while let Some(variant) = next {
        let (actions, following) = match variant {
            team::Action::Revoke(_) => (vec![team::Action::Revoke(s.support), team::Action::Revoke(ADMIN_ID)], None),
        };
        data.extend(actions.iter().map(callback::data));
        next = following;
    }
    // The desk's ids: the first report and ticket (none exist for a customer to act on).
    let mut next = Some(desk::Action::ReportReplace(0));
    while let Some(variant) = next {
        let (action, following) = match variant {
            desk::Action::ReportReplace(_) => (desk::Action::ReportReplace(1), Some(desk::Action::ReportReply(0))),
            desk::Action::ReportReply(_) => (desk::Action::ReportReply(1), Some(desk::Action::ReportClose(0))),
            desk::Action::ReportClose(_) => (desk::Action::ReportClose(1), Some(desk::Action::TicketReply(0))),
            desk::Action::TicketReply(_) => (desk::Action::TicketReply(1), Some(desk::Action::TicketClose(0))),
            desk::Action::TicketClose(_) => (desk::Action::TicketClose(1), Some(desk::Action::TicketShow(0))),
            desk::Action::TicketShow(_) => (desk::Action::TicketShow(1), None),
        };
        data.push(callback::data(&action));
        next = following;
    }
    let mut next = Some(tokens::Action::Revoke(0));
    while let Some(variant) = next {
        let (action, following) = match variant {
            tokens::Action::Revoke(_) => (tokens::Action::Revoke(s.token_id), None),
        };
        data.push(callback::data(&action));
        next = following;
    }
    use broadcasts::Action as B;
    let mut next = Some(B::NoButton);
    while let Some(variant) = next {
        let (action, following) = match variant {
            B::NoButton => (B::NoButton, Some(B::Audience(String::new()))),
            B::Audience(_) => (B::Audience("everyone".into()), Some(B::Back)),
            B::Back => (B::Back, Some(B::Send(String::new()))),
            B::Send(_) => (B::Send("everyone".into()), Some(B::Discard)),
            B::Discard => (B::Discard, Some(B::Pause(0))),
            B::Pause(_) => (B::Pause(1), Some(B::Resume(0))),
            B::Resume(_) => (B::Resume(1), Some(B::Stop(0))),
            B::Stop(_) => (B::Stop(1), Some(B::StopConfirmed(0))),
            B::StopConfirmed(_) => (B::StopConfirmed(1), None),
        };
        data.push(callback::data(&action));
        next = following;
    }
    data
}

/// Every staff command's name, from the command menus: the owner's minus the customer's.
fn staff_command_names() -> Vec<String> {
    let customer: Vec<String> = commands::for_role(Role::User, Lang::En).into_iter().map(|c| c.command).collect();
    let names: Vec<String> = commands::for_role(Role::Owner, Lang::En)
        .into_iter()
        .map(|c| c.command)
        .filter(|name| !customer.contains(name))
        .collect();
    for name in ["user", "credit", "refund", "claims", "set", "staff"] {
        assert!(names.iter().any(|n| n == name), "/{name} in {names:?}");
    }
    names
}

/// `/name`, and `/name` with plausible arguments aimed at the story's real people, orders
/// and plans, as `me` would type them.
fn attempts(name: &str, s: &Story, me: &user::Model) -> Vec<String> {
    let id = me.telegram_id;
    let args: Vec<String> = match name {
        "user" => vec![s.buyer.to_string(), format!("@u{}", s.earner), me.referral_code.clone()],
        "order" | "resend" => vec![s.order_id.to_string()],
        "claims" | "withdrawals" | "flags" | "settings" | "approvals" | "dashboard" => vec![],
        "block" => vec![format!("{} spammer", s.earner)],
        "unblock" => vec![id.to_string()],
        "addplan" => vec!["1 0 30 Free for me".into()],
        "addstock" => vec![format!("{}\nx@y.test:z", s.plan_id)],
        "describe" => vec![format!("{} free for everyone", s.plan_id)],
        "renewal" => vec![format!("{} new", s.plan_id), format!("{} keep", s.plan_id)],
        "credit" => vec![format!("{id} 100"), format!("{id} 100000 gift")],
        "debit" => vec![format!("{} 100", s.earner)],
        "refund" => vec![s.order_id.to_string(), format!("#{} login stopped working", s.order_id)],
        "set" => vec!["referral.l1_rate 90".into()],
        "stats" => vec!["7d".into(), "all".into()],
        "export" => vec!["orders 2026-12-01 2026-12-31".into(), "ledger 2000-01-01 2100-12-31".into()],
        "staff" => vec![format!("admin {id}"), format!("support @user{id}"), format!("remove {}", s.support)],
        "token" => vec!["new mine owner".into(), format!("revoke {}", s.token_id)],
        "reports" => vec![],
        "promo" => vec!["add FREE100 100%".into(), "off FREE100".into(), "FREE100".into()],
        "tickets" => vec!["closed".into()],
        "rotate" => vec!["1\nstolen@mail.test:mine".into(), "1".into()],
        "faq" => vec!["add en Free? | Yes, free for all".into(), "remove 1".into(), "move 1 1".into()],
        "broadcast" | "broadcasts" => vec!["everyone".into()],
        other => panic!("/{other} is a staff command this test does not try yet: give it plausible arguments here"),
    };
    std::iter::once(format!("/{name}")).chain(args.into_iter().map(|a| format!("/{name} {a}"))).collect()
}

/// Sends /start and reads until the welcome and every outbox message already written for this
/// person have arrived, so that what arrives next answers what they do next.
async fn start_and_settle(chat: &mut Chat, conn: &DatabaseConnection) -> SentMessage {
    let waiting = outbox_notices(conn, chat.user.id).await.len();
    chat.say("/start");
    let (mut welcome, mut told) = (None, 0);
    while welcome.is_none() || told < waiting {
        let message = chat.reply().await;
        if message.text.starts_with("👋 Welcome") {
            welcome = Some(message);
        } else {
            told += 1;
        }
    }
    welcome.expect("welcome")
}

/// Types `command`; the answer must be the refusal.
async fn assert_refused(chat: &mut Chat, command: &str) {
    chat.say(command);
    let answer = chat.reply().await;
    assert_eq!(answer.text, refused(), "{} sent {command:?}", chat.user.id);
}

/// Presses each forged button on `screen`: each is refused, and what is typed next is not
/// taken as the answer to a staff question (a reason, a payout UTR).
async fn assert_buttons_refused(chat: &mut Chat, screen: &SentMessage, forged: &[String]) {
    for data in forged {
        chat.press_data(screen, data).await;
        let answer = chat.reply().await;
        assert_eq!(answer.text, refused(), "{} pressed {data}", chat.user.id);
        chat.say("412345678901 paid");
        assert_eq!(chat.reply().await.text, not_understood(), "after {data}");
    }
}

fn button_data(message: &SentMessage) -> Vec<String> {
    message.buttons().into_iter().map(|(_, data)| data).collect()
}

fn command_names(call: &Value) -> Vec<String> {
    call["commands"].as_array().unwrap().iter().map(|c| c["command"].as_str().unwrap().to_owned()).collect()
}

fn names_for(role: Role) -> Vec<String> {
    commands::for_role(role, Lang::En).into_iter().map(|c| c.command).collect()
}

fn is_chat_scope(call: &Value, chat: i64) -> bool {
    call["scope"]["type"] == "chat" && call["scope"]["chat_id"] == chat
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_typing_every_staff_command_and_forging_every_staff_button_changes_nothing() {
    for db in db::all().await {
        let conn = &db.conn;
        let s = story(conn).await;
        // The buyer wants their UPI claim approved; one of the held earners wants their money.
        let held = s.pending[0];
        let held_earner = withdrawal::Entity::find_by_id(held).one(conn).await.unwrap().unwrap().user_id;
        let held_earner = user::Entity::find_by_id(held_earner).one(conn).await.unwrap().unwrap().telegram_id;
        let fake = FakeTelegram::start().await;
        // Chats read from the start: the outbox sends what the story wrote as soon as the bot runs.
        let chats = [Chat::new(&fake, s.buyer, "Ravi"), Chat::new(&fake, held_earner, "Chitra")];
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut forgers = Vec::new();
        for mut chat in chats {
            let screen = start_and_settle(&mut chat, conn).await;
            forgers.push((chat, screen));
        }
        let forged = forged_buttons(&s);
        let before = snapshot(conn).await;

        for (chat, screen) in &mut forgers {
            let me = stored(conn, chat.user.id).await;
            assert_eq!(me.role, Role::User);
            for name in staff_command_names() {
                for command in attempts(&name, &s, &me) {
                    if name == "settings" {
                        // A customer's /settings is their own (language, offers), not the shop's.
                        chat.say(&command);
                        let own = chat.reply().await;
                        assert!(own.text.contains("Your settings") && !own.text.contains("referral."), "{}", own.text);
                        continue;
                    }
                    assert_refused(chat, &command).await;
                }
            }
            // Nothing was started that takes what they type next (the /addplan questions).
            chat.say("135");
            assert_eq!(chat.reply().await.text, not_understood());
            assert_buttons_refused(chat, screen, &forged).await;
        }
        bot.stop().await;

        let after = snapshot(conn).await;
        let claim = after.claims.iter().find(|c| c.id == s.claim_id).unwrap();
        assert_eq!(claim.status, ottsonly::entities::upi_claim::ClaimStatus::Pending);
        assert!(after.users.iter().all(|u| !u.2), "nobody blocked: {:?}", after.users);
        assert_eq!(after, before);
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_sees_everything_and_decides_nothing() {
    for db in db::all().await {
        let conn = &db.conn;
        let s = story(conn).await;
        let fake = FakeTelegram::start().await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut support = Chat::new(&fake, s.support, "Sunita");
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let screen = start_and_settle(&mut support, conn).await;
        assert_eq!(stored(conn, s.support).await.role, Role::Support);
        let before = snapshot(conn).await;

        // A customer by Telegram id, @username and referral code: one card.
        let buyer = stored(conn, s.buyer).await;
        let mut cards = Vec::new();
        for query in [
            buyer.telegram_id.to_string(),
            format!("@{}", buyer.username.clone().unwrap()),
            buyer.referral_code.clone(),
        ] {
            support.say(&format!("/user {query}"));
            cards.push(support.reply().await.text);
        }
        assert!(cards.iter().all(|c| *c == cards[0]), "{cards:#?}");
        let card = &cards[0];
        let plan = plan::Entity::find_by_id(s.plan_id).one(conn).await.unwrap().unwrap();
        let sub = subscription::Entity::find()
            .filter(subscription::Column::OrderId.eq(s.order_id))
            .one(conn)
            .await
            .unwrap()
            .unwrap();
        for part in [
            format!("👤 {}, {}\n", label(&buyer), en("staff.role_user", &[])),
            format!("👛 Balance: <b>{}</b>\n", Money::from_rupees(75)),
            "🛒 Paid orders: 1, active subscriptions: 1\n".to_owned(),
            en("customers.orders_title", &[]),
            format!("\n#{} <b>{}</b>, {}, ", s.order_id, plan.name, Money::from_paise(plan.price)),
            format!(": paid; active until {} (30 days left)", english_date(sub.ends_at)),
        ] {
            assert!(card.contains(&part), "{part:?} not in {card}");
        }

        // A referrer's card, whole: the referrals and their commission.
        let earner = stored(conn, s.earner).await;
        support.say(&format!("/user {}", s.earner));
        let card = support.reply().await;
        let expected = en(
            "customers.card",
            &[
                ("user", &label(&earner)),
                ("role", &en("staff.role_user", &[])),
                ("joined", &english_date(earner.created_at)),
                ("code", &earner.referral_code),
                ("balance", &Money::from_paise(earner.balance)),
                ("paid", &0),
                ("active", &0),
                ("referrer", &en("customers.no_referrer", &[])),
                ("referrals", &1),
                ("paying", &1),
                ("earned", &Money::from_rupees(EARNED)),
                ("flags", &0),
                ("blocked", &""),
            ],
        );
        assert_eq!(card.text, format!("{expected}{}", en("customers.no_orders", &[])));

        support.say(&format!("/order {}", s.order_id));
        let one = support.reply().await;
        assert!(one.text.starts_with(&en("customers.order_title", &[("user", &label(&buyer))])), "{}", one.text);
        assert!(one.text.contains(&format!("#{} <b>{}</b>", s.order_id, plan.name)), "{}", one.text);

        // The queues, without a single decision button; an owner gets them on the same lists.
        support.say("/claims");
        let claims = support.reply().await;
        assert!(
            claims.text.contains(&format!("#{}: <b>₹200</b> from {}", s.claim_id, label(&buyer))),
            "{}",
            claims.text
        );
        assert_eq!(claims.buttons(), vec![]);
        support.say("/withdrawals");
        let queue = support.reply().await;
        for id in std::iter::once(s.approved).chain(s.pending.iter().copied()) {
            assert!(queue.text.contains(&format!("#{id} <b>₹600</b>")), "{id}: {}", queue.text);
        }
        assert_eq!(queue.buttons(), vec![]);
        support.say("/flags");
        let flags = support.reply().await;
        for id in &s.flags {
            assert!(flags.text.contains(&format!("\n#{id} ")), "{id}: {}", flags.text);
        }
        assert_eq!(flags.buttons(), vec![]);
        owner.say("/claims");
        let owners = owner.reply_containing(&en("claims.title", &[])).await;
        let claim_buttons: Vec<String> =
            [queues::Action::UpiApprove(s.claim_id), queues::Action::UpiReject(s.claim_id)]
                .iter()
                .map(callback::data)
                .collect();
        assert_eq!(button_data(&owners), claim_buttons);
        owner.say("/withdrawals");
        let owners = owner.reply_containing(&en("withdrawals.title", &[])).await;
        assert!(button_data(&owners).contains(&callback::data(&queues::Action::WithdrawalPaid(s.approved))));
        owner.say("/flags");
        let owners = owner.reply_containing(&en("flags.title", &[])).await;
        assert!(button_data(&owners).contains(&callback::data(&queues::Action::FlagResolve(s.flags[0]))));
        support.say("/approvals");
        let waiting = support.reply().await;
        let credit = en("approvals.credit", &[("amount", &Money::from_rupees(2500)), ("customer", &label(&buyer))]);
        assert!(waiting.text.contains(&format!("#{}: {credit}", s.request_id)), "{}", waiting.text);
        assert_eq!(waiting.buttons(), vec![]);
        // The owner asked for it: they may only cancel it.
        owner.say("/approvals");
        let owners = owner.reply_containing(&en("approvals.title", &[])).await;
        assert_eq!(button_data(&owners), vec![callback::data(&approvals::Action::Cancel(s.request_id))]);

        support.say("/settings");
        let shown = support.reply().await;
        for (key, value) in settings::all(conn).await.unwrap() {
            let line = format!("<code>{}</code> = <b>{value}</b>", key.key());
            assert!(shown.text.contains(&line), "{line} not in {}", shown.text);
        }

        // /plans: the staff view, with ids, costs and stock (and sold-out plans).
        support.say("/plans");
        let plans = support.reply().await;
        assert!(plans.text.starts_with(&en("plans.title", &[])), "{}", plans.text);
        let listings = catalog::list_plans(conn, false).await.unwrap();
        assert!(listings.iter().any(|l| l.available == 3) && listings.iter().any(|l| l.available == 0));
        for l in &listings {
            let line = en(
                "plans.admin_line",
                &[
                    ("id", &l.plan.id),
                    ("name", &l.plan.name),
                    ("price", &l.price()),
                    ("cost", &Money::from_paise(l.plan.cost)),
                    ("days", &l.plan.duration_days),
                    ("stock", &l.available),
                    ("inactive", &""),
                ],
            );
            assert!(plans.text.contains(&line), "{line} not in {}", plans.text);
        }

        // Everything that acts is refused.
        for command in [
            format!("/credit {} 100", s.buyer),
            format!("/credit {} 100 goodwill", s.support),
            format!("/debit {} 1", s.buyer),
            format!("/refund {}", s.order_id),
            "/addplan 99 10 30 Support special".to_owned(),
            "/addplan".to_owned(),
            format!("/addstock {}\nsupport@mail.test:pw", s.plan_id),
            format!("/describe {} everything free", s.plan_id),
            "/set referral.l1_rate 90".to_owned(),
            "/stats".to_owned(),
            "/stats all".to_owned(),
            "/export orders 2000-01-01 2100-12-31".to_owned(),
            format!("/block {}", s.buyer),
            format!("/unblock {}", s.buyer),
            "/staff".to_owned(),
            format!("/staff admin {}", s.support),
            format!("/staff remove {}", s.support),
            "/rotate 1\nsupport@mail.test:pw".to_owned(),
        ] {
            assert_refused(&mut support, &command).await;
        }
        support.say("135");
        assert_eq!(support.reply().await.text, not_understood());
        // The desk's buttons are support's to press (HelpCustomers): chat_support tries them.
        let forged: Vec<String> = forged_buttons(&s).into_iter().filter(|d| !d.starts_with("sd:")).collect();
        assert_buttons_refused(&mut support, &screen, &forged).await;
        bot.stop().await;

        assert_eq!(snapshot(conn).await, before);
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owners_grant_and_revoke_staff_roles_in_chat() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let mut owner = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut priya = Chat::new(&fake, 8601, "Priya");
        let mut dev = Chat::new(&fake, 8602, "Dev");
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut screens = Vec::new();
        for chat in [&mut owner, &mut priya, &mut dev] {
            chat.say("/start");
            screens.push(chat.reply().await);
        }
        let dev_screen = screens.pop().expect("Dev's menu");
        let (owner_user, priya_user, dev_user) =
            (stored(conn, ADMIN_ID).await, stored(conn, 8601).await, stored(conn, 8602).await);
        let role = |role: &str| en(&format!("staff.role_{role}"), &[]);

        // Support by @username: the owner is answered, Priya told, her command menu made staff.
        owner.say("/staff support @user8601");
        assert_eq!(
            owner.reply().await.text,
            en("staff.granted", &[("user", &label(&priya_user)), ("role", &role("support"))])
        );
        assert_eq!(priya.reply().await.text, en("staff.told_support", &[]));
        let menu = fake.wait_call("setMyCommands", |c| is_chat_scope(c, 8601)).await;
        assert_eq!(command_names(&menu), names_for(Role::Support));
        assert!(
            command_names(&menu).contains(&"user".to_owned()) && !command_names(&menu).contains(&"credit".to_owned())
        );
        assert_eq!(outbox_notices(conn, 8601).await, vec![Notice::RoleChanged { role: "support".into() }]);
        assert_eq!(stored(conn, 8601).await.role, Role::Support);

        // Admin by Telegram id.
        owner.say("/staff admin 8602");
        assert_eq!(
            owner.reply().await.text,
            en("staff.granted", &[("user", &label(&dev_user)), ("role", &role("admin"))])
        );
        assert_eq!(dev.reply().await.text, en("staff.told_admin", &[]));
        let menu = fake.wait_call("setMyCommands", |c| is_chat_scope(c, 8602)).await;
        assert_eq!(command_names(&menu), names_for(Role::Admin));
        assert_eq!(stored(conn, 8602).await.role, Role::Admin);

        // The team, owners first, each non-owner with a Remove button.
        owner.say("/staff");
        let team_list = owner.reply().await;
        let line = |user: &user::Model, r: &str| en("staff.line", &[("user", &label(user)), ("role", &role(r))]);
        let expected = format!(
            "{}{}{}{}{}",
            en("staff.title", &[]),
            line(&owner_user, "owner"),
            line(&dev_user, "admin"),
            line(&priya_user, "support"),
            en("staff.usage", &[])
        );
        assert_eq!(team_list.text, expected);
        assert_eq!(
            team_list.buttons(),
            vec![
                (en("staff.revoke_button", &[("name", &"@user8602")]), callback::data(&team::Action::Revoke(8602))),
                (en("staff.revoke_button", &[("name", &"@user8601")]), callback::data(&team::Action::Revoke(8601))),
            ]
        );

        // Remove Priya: she is told, and her command menu is the customer's again.
        owner.press(&team_list, "@user8601").await;
        assert_eq!(owner.reply().await.text, en("staff.revoked", &[("user", &label(&priya_user))]));
        assert_eq!(priya.reply().await.text, en("staff.told_user", &[]));
        let customer_names = names_for(Role::User);
        let menu =
            fake.wait_call("setMyCommands", |c| is_chat_scope(c, 8601) && command_names(c) == customer_names).await;
        assert!(!command_names(&menu).contains(&"user".to_owned()));
        assert_eq!(stored(conn, 8601).await.role, Role::User);
        // The same button again changes nothing.
        owner.press(&team_list, "@user8601").await;
        assert_eq!(
            owner.reply().await.text,
            en("staff.unchanged", &[("user", &label(&priya_user)), ("role", &role("user"))])
        );

        // An admin is not an owner.
        for command in ["/staff", "/staff support 8601", "/staff remove 8602", "/staff admin 8601"] {
            assert_refused(&mut dev, command).await;
        }
        dev.press_data(&dev_screen, &callback::data(&team::Action::Revoke(8601))).await;
        assert_eq!(dev.reply().await.text, refused());
        assert_eq!((stored(conn, 8601).await.role, stored(conn, 8602).await.role), (Role::User, Role::Admin));

        // Nobody unknown, and no owner, is changed by /staff.
        owner.say("/staff admin 777777");
        assert_eq!(owner.reply().await.text, en("staff.unknown", &[("who", &777777)]));
        owner.say("/staff support @nobody_here");
        assert_eq!(owner.reply().await.text, en("staff.unknown", &[("who", &"@nobody_here")]));
        owner.say(&format!("/staff remove {ADMIN_ID}"));
        assert_eq!(owner.reply().await.text, en("staff.owner_fixed", &[("user", &label(&owner_user))]));
        assert_eq!(stored(conn, ADMIN_ID).await.role, Role::Owner);
        bot.stop().await;

        let audit: Vec<(i64, String, String)> = audit_log::Entity::find()
            .order_by_asc(audit_log::Column::Id)
            .all(conn)
            .await
            .unwrap()
            .into_iter()
            .map(|row| (row.actor_telegram_id, row.action, row.target))
            .collect();
        assert_eq!(
            audit,
            vec![
                (ADMIN_ID, "staff.grant".into(), "user:8601".into()),
                (ADMIN_ID, "staff.grant".into(), "user:8602".into()),
                (ADMIN_ID, "staff.revoke".into(), "user:8601".into()),
            ]
        );
        assert_eq!(
            outbox_notices(conn, 8601).await,
            vec![Notice::RoleChanged { role: "support".into() }, Notice::RoleChanged { role: "user".into() }]
        );
        fake.assert_nothing_refused();
    }
}
