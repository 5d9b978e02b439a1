//! Chat throughput: updates per second through the real handler tree (`bot::schema()` with
//! `bot::dependencies(ctx)`, the outbox and broadcast senders beside it, as `app.rs` runs
//! them) for menu traffic from many users, against teloxide's plain echo bot fed the same
//! way in the same process (the ceiling of the dispatcher, the HTTP client and the fake).
//!
//! Replies go to an in-process fake Bot API (axum on 127.0.0.1:0) that answers with canned
//! results and notes when each reply arrived. Updates are handed to the dispatcher through
//! a custom update listener (no polling). Each user is a closed loop: its next update is
//! handed out when the reply to the last one arrived, so a latency is from the hand-out to
//! the reply (sendMessage / editMessageText) at the fake.
//!
//! On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set (a scratch database is created
//! and dropped). Memory: the real binary's VmRSS, idle against the fake and under the same
//! traffic fed through getUpdates. `OTTSONLY_BENCH_SMOKE=1` runs tiny sizes (CI).
//!
//! Run with `cargo bench --bench chat`.
use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use teloxide::dispatching::UpdateHandler;
use teloxide::dptree;
use teloxide::prelude::*;
use teloxide::types::Update;
use teloxide::update_listeners::StatefulListener;
use tokio::sync::{mpsc, Notify};

mod common;

use common::smoke;
use ottsonly::bot::{self, Ctx, HandlerError};
use ottsonly::config::{Config, PaymentsConfig, SendLimits};
use ottsonly::domain::credentials;
use ottsonly::domain::plan_draft::PlanDraft;
use ottsonly::domain::Money;
use ottsonly::services::db::connect_and_migrate;
use ottsonly::services::{catalog, stock, Actor};

const BOT_ID: i64 = 777_000_001;
const BOT_USERNAME: &str = "ottsonly_bench_bot";
const TOKEN: &str = "123456:BENCH";
/// Chat (= user) id of the first simulated user.
const FIRST_USER: i64 = 5_000_000;
/// Updates in one round of a user's menu traffic.
const ROUND: usize = 5;

#[derive(Clone, Copy)]
struct Sizes {
    users: usize,
    /// Rounds of menu traffic per user after the sign-up.
    rounds: usize,
    /// How long the binary sits idle before its memory is read.
    idle: Duration,
}

fn sizes() -> Sizes {
    if smoke() {
        Sizes { users: 20, rounds: 1, idle: Duration::from_secs(1) }
    } else {
        Sizes { users: 500, rounds: 4, idle: Duration::from_secs(3) }
    }
}

// ---------------------------------------------------------------------------------------
// The fake Bot API
// ---------------------------------------------------------------------------------------

/// A reply seen at the fake.
struct Arrived {
    chat: i64,
    at: Instant,
    edit: bool,
}

#[derive(Default)]
struct FakeInner {
    /// Where replies are reported during a run.
    sink: Mutex<Option<mpsc::UnboundedSender<Arrived>>>,
    /// Updates waiting for getUpdates: (update_id, JSON).
    queue: Mutex<VecDeque<(i64, String)>>,
    queued: Notify,
    polls: AtomicU64,
    next_message_id: AtomicU64,
    next_update_id: AtomicI64,
    /// Bodies of the replies to this chat, kept to check the buttons and texts.
    watched: Mutex<Option<(i64, Vec<String>)>>,
    /// Calls per method.
    calls: Mutex<HashMap<String, u64>>,
}

#[derive(Clone, Default)]
struct Fake(Arc<FakeInner>);

#[derive(serde::Deserialize)]
struct Target {
    chat_id: i64,
}

#[derive(serde::Deserialize)]
struct Poll {
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    timeout: u64,
}

impl Fake {
    fn report_to(&self, sink: Option<mpsc::UnboundedSender<Arrived>>) {
        *self.0.sink.lock().unwrap() = sink;
    }

    fn watch(&self, chat: i64) {
        *self.0.watched.lock().unwrap() = Some((chat, Vec::new()));
    }

    fn watched(&self) -> Vec<String> {
        self.0.watched.lock().unwrap().take().map(|(_, bodies)| bodies).unwrap_or_default()
    }

    /// Queues an update for getUpdates under the next update id (ids must grow in the order
    /// updates are handed out, or the poller's offset would skip some).
    fn push_update(&self, json: &str) {
        let mut queue = self.0.queue.lock().unwrap();
        let id = self.0.next_update_id.fetch_add(1, Ordering::Relaxed) + 1;
        let rest = json.split_once(',').expect("update JSON").1;
        queue.push_back((id, format!(r#"{{"update_id":{id},{rest}"#)));
        self.0.queued.notify_waiters();
    }

    fn polls(&self) -> u64 {
        self.0.polls.load(Ordering::SeqCst)
    }

    fn calls(&self) -> HashMap<String, u64> {
        std::mem::take(&mut *self.0.calls.lock().unwrap())
    }

    fn message(&self, chat: i64) -> String {
        let id = self.0.next_message_id.fetch_add(1, Ordering::Relaxed) + 1;
        format!(
            r#"{{"message_id":{id},"date":1700000000,"chat":{{"id":{chat},"type":"private","first_name":"U"}},"from":{{"id":{BOT_ID},"is_bot":true,"first_name":"Bench","username":"{BOT_USERNAME}"}},"text":"ok"}}"#
        )
    }

    fn reply_seen(&self, chat: i64, edit: bool, body: &Bytes) {
        let at = Instant::now();
        if let Some(sink) = &*self.0.sink.lock().unwrap() {
            let _ = sink.send(Arrived { chat, at, edit });
        }
        if let Some((watched, bodies)) = &mut *self.0.watched.lock().unwrap() {
            if *watched == chat {
                bodies.push(String::from_utf8_lossy(body).into_owned());
            }
        }
    }

    async fn get_updates(&self, body: &Bytes) -> String {
        self.0.polls.fetch_add(1, Ordering::SeqCst);
        let poll: Poll = serde_json::from_slice(body).unwrap_or(Poll { offset: 0, timeout: 0 });
        let deadline = Instant::now() + Duration::from_secs(poll.timeout.min(5));
        loop {
            let notified = self.0.queued.notified();
            {
                let mut queue = self.0.queue.lock().unwrap();
                while queue.front().is_some_and(|(id, _)| *id < poll.offset) {
                    queue.pop_front();
                }
                if !queue.is_empty() || Instant::now() >= deadline {
                    let batch: Vec<&str> = queue.iter().take(100).map(|(_, json)| json.as_str()).collect();
                    return format!("[{}]", batch.join(","));
                }
            }
            let _ = tokio::time::timeout_at(deadline.into(), notified).await;
        }
    }
}

async fn api(
    State(fake): State<Fake>,
    Path((_token, method)): Path<(String, String)>,
    body: Bytes,
) -> impl IntoResponse {
    let method = method.to_ascii_lowercase();
    *fake.0.calls.lock().unwrap().entry(method.clone()).or_default() += 1;
    let result = match method.as_str() {
        "sendmessage" | "editmessagetext" => match serde_json::from_slice::<Target>(&body) {
            Ok(target) => {
                fake.reply_seen(target.chat_id, method == "editmessagetext", &body);
                fake.message(target.chat_id)
            }
            Err(err) => panic!("{method} without a chat_id: {err}"),
        },
        "getme" => format!(
            r#"{{"id":{BOT_ID},"is_bot":true,"first_name":"Bench","username":"{BOT_USERNAME}","can_join_groups":true,"can_read_all_group_messages":false,"supports_inline_queries":false,"can_connect_to_business":false,"has_main_web_app":false}}"#
        ),
        "getupdates" => fake.get_updates(&body).await,
        "getwebhookinfo" => r#"{"url":"","has_custom_certificate":false,"pending_update_count":0}"#.to_owned(),
        // answerCallbackQuery, setMyCommands, deleteMyCommands, deleteWebhook…
        _ => "true".to_owned(),
    };
    ([(header::CONTENT_TYPE, "application/json")], format!(r#"{{"ok":true,"result":{result}}}"#))
}

async fn start_fake() -> (Fake, String) {
    let fake = Fake::default();
    let app = Router::new().route("/{token}/{method}", post(api)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind fake");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("fake") });
    (fake, url)
}

// ---------------------------------------------------------------------------------------
// The traffic
// ---------------------------------------------------------------------------------------

/// One update of a user's script: its JSON and whether the answer is an edit (a button on
/// a message) or a new message (a command).
struct Step {
    json: String,
    edit: bool,
}

struct Script {
    next_update_id: i64,
}

impl Script {
    fn id(&mut self) -> i64 {
        self.next_update_id += 1;
        self.next_update_id
    }

    fn from(user: i64) -> String {
        format!(r#"{{"id":{user},"is_bot":false,"first_name":"User{user}","language_code":"en"}}"#)
    }

    fn text(&mut self, user: i64, text: &str) -> Step {
        let id = self.id();
        let from = Self::from(user);
        let entities = if text.starts_with('/') {
            let len = text.find(' ').unwrap_or(text.len());
            format!(r#","entities":[{{"type":"bot_command","offset":0,"length":{len}}}]"#)
        } else {
            String::new()
        };
        let json = format!(
            r#"{{"update_id":{id},"message":{{"message_id":{id},"date":1700000000,"chat":{{"id":{user},"type":"private","first_name":"User{user}"}},"from":{from},"text":"{text}"{entities}}}}}"#
        );
        Step { json, edit: false }
    }

    fn press(&mut self, user: i64, data: &str) -> Step {
        let id = self.id();
        let from = Self::from(user);
        let json = format!(
            r#"{{"update_id":{id},"callback_query":{{"id":"q{id}","from":{from},"message":{{"message_id":42,"date":1700000000,"chat":{{"id":{user},"type":"private","first_name":"User{user}"}},"from":{{"id":{BOT_ID},"is_bot":true,"first_name":"Bench","username":"{BOT_USERNAME}"}},"text":"menu"}},"chat_instance":"c{user}","data":"{data}"}}}}"#
        );
        Step { json, edit: true }
    }
}

/// The first /start of every user: the sign-ups.
fn signups(users: usize, script: &mut Script) -> Vec<VecDeque<Step>> {
    (0..users as i64).map(|n| VecDeque::from([script.text(FIRST_USER + n, "/start")])).collect()
}

/// Menu traffic: per round /start, the plans (command or menu button), a plan's page
/// (button), the wallet and refer-and-earn (button or command), alternating per round.
fn menu_traffic(users: usize, rounds: usize, plans: &[i32], script: &mut Script) -> Vec<VecDeque<Step>> {
    (0..users as i64)
        .map(|n| {
            let user = FIRST_USER + n;
            let mut steps = VecDeque::new();
            for round in 0..rounds {
                let plan = plans[(n as usize + round) % plans.len()];
                let buttons = round % 2 == 1;
                steps.push_back(script.text(user, "/start"));
                steps.push_back(if buttons { script.press(user, "g:p") } else { script.text(user, "/plans") });
                steps.push_back(script.press(user, &format!("s:p:{plan}")));
                steps.push_back(if buttons { script.press(user, "g:w") } else { script.text(user, "/wallet") });
                steps.push_back(if buttons { script.text(user, "/refer") } else { script.press(user, "g:r") });
            }
            steps
        })
        .collect()
}

/// The echo bot's traffic: `per_user` text messages from each user.
fn echo_traffic(users: usize, per_user: usize, script: &mut Script) -> Vec<VecDeque<Step>> {
    (0..users as i64)
        .map(|n| (0..per_user).map(|i| script.text(FIRST_USER + n, &format!("hello {i}"))).collect())
        .collect()
}

/// Where updates are handed to the bot.
enum Feed {
    /// The custom update listener of an in-process dispatcher.
    Listener(mpsc::UnboundedSender<Update>),
    /// The fake's getUpdates (for the binary).
    GetUpdates(Fake),
}

struct Figures {
    updates: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// CPU time this process used meanwhile (the fake's and the driver's included).
    cpu: Duration,
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|t| t.parse::<u64>().ok()).sum());
    // USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

impl Figures {
    fn per_second(&self) -> f64 {
        self.updates as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
        sorted[index]
    }

    fn summary(&self) -> String {
        format!(
            "{:.0}/s (p50 {:.1} ms, p99 {:.1} ms; {:.0} µs CPU per update, {:.0}% of a core)",
            self.per_second(),
            self.percentile(0.50).as_secs_f64() * 1e3,
            self.percentile(0.99).as_secs_f64() * 1e3,
            self.cpu.as_secs_f64() * 1e6 / self.updates as f64,
            self.cpu.as_secs_f64() * 100.0 / self.elapsed.as_secs_f64()
        )
    }
}

/// Hands every user's updates out one at a time, the next when the reply to the last
/// arrived at the fake; all users at once.
async fn drive(fake: &Fake, feed: &Feed, scripts: Vec<VecDeque<Step>>) -> Figures {
    let users = scripts.len();
    let total: usize = scripts.iter().map(VecDeque::len).sum();
    // Parsed before the clock starts; from_str, as from_value yields an error update.
    let mut pending: Vec<VecDeque<(Update, String, bool)>> = scripts
        .into_iter()
        .map(|steps| {
            steps
                .into_iter()
                .map(|step| {
                    let update: Update = serde_json::from_str(&step.json).expect("update JSON");
                    assert!(!matches!(update.kind, teloxide::types::UpdateKind::Error(_)), "{}", step.json);
                    (update, step.json, step.edit)
                })
                .collect()
        })
        .collect();
    let (sink, mut arrived) = mpsc::unbounded_channel();
    fake.report_to(Some(sink));
    let mut handed: Vec<Option<(Instant, bool)>> = vec![None; users];
    let mut latencies = Vec::with_capacity(total);
    let mut wrong_kind = Vec::new();
    let hand = |user: usize, pending: &mut Vec<VecDeque<(Update, String, bool)>>| -> Option<(Instant, bool)> {
        let (update, json, edit) = pending[user].pop_front()?;
        let at = Instant::now();
        match feed {
            Feed::Listener(tx) => tx.send(update).expect("dispatcher gone"),
            Feed::GetUpdates(fake) => fake.push_update(&json),
        }
        Some((at, edit))
    };
    let started = Instant::now();
    let cpu_before = cpu_time();
    for (user, slot) in handed.iter_mut().enumerate() {
        *slot = hand(user, &mut pending);
    }
    let mut unexpected = 0;
    while latencies.len() < total {
        let event = match tokio::time::timeout(Duration::from_secs(30), arrived.recv()).await {
            Ok(Some(event)) => event,
            _ => panic!("no reply for 30 s; {} of {total} answered", latencies.len()),
        };
        let user = (event.chat - FIRST_USER) as usize;
        let Some((at, edit)) = handed.get_mut(user).and_then(Option::take) else {
            unexpected += 1;
            continue;
        };
        latencies.push(event.at.saturating_duration_since(at));
        if edit != event.edit {
            wrong_kind.push(event.chat);
        }
        handed[user] = hand(user, &mut pending);
    }
    let elapsed = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    // Anything more would be a second reply to one update.
    tokio::time::sleep(Duration::from_millis(200)).await;
    while arrived.try_recv().is_ok() {
        unexpected += 1;
    }
    fake.report_to(None);
    assert_eq!(unexpected, 0, "replies nobody was waiting for (an update answered twice?)");
    assert!(
        wrong_kind.is_empty(),
        "{} answers were a new message instead of an edit or the other way round (an apology?), e.g. chat {}",
        wrong_kind.len(),
        wrong_kind[0]
    );
    Figures { updates: total, elapsed, latencies, cpu }
}

// ---------------------------------------------------------------------------------------
// The bots
// ---------------------------------------------------------------------------------------

/// A dispatcher fed by a channel through a custom update listener; it ends when the
/// sender is dropped.
fn dispatcher<E>(
    bot: Bot,
    handler: UpdateHandler<E>,
    deps: dptree::di::DependencyMap,
) -> (mpsc::UnboundedSender<Update>, tokio::task::JoinHandle<()>)
where
    E: std::fmt::Debug + Send + Sync + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel::<Update>();
    let (stop, _flag) = teloxide::stop::mk_stop_token();
    let listener = StatefulListener::new(Listening { rx, stop }, Listening::stream, Listening::stop_token);
    let task = tokio::spawn(async move {
        let mut dispatcher = Dispatcher::builder(bot, handler).dependencies(deps).build();
        dispatcher.dispatch_with_listener(listener, LoggingErrorHandler::new()).await;
    });
    (tx, task)
}

/// The custom update listener's state: the channel the driver hands updates into.
struct Listening {
    rx: mpsc::UnboundedReceiver<Update>,
    stop: teloxide::stop::StopToken,
}

impl Listening {
    fn stream(&mut self) -> impl futures::Stream<Item = Result<Update, Infallible>> + Send + '_ {
        futures::stream::poll_fn(move |cx| self.rx.poll_recv(cx).map(|u| u.map(Ok)))
    }

    fn stop_token(&mut self) -> teloxide::stop::StopToken {
        self.stop.clone()
    }
}

fn echo() -> UpdateHandler<HandlerError> {
    Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(msg.chat.id, msg.text().unwrap_or("?")).await?;
        Ok(())
    })
}

fn config(api_url: &str) -> Config {
    Config {
        telegram_token: TOKEN.into(),
        telegram_api_url: url::Url::parse(api_url).expect("fake url"),
        database_url: "unused://".into(),
        http_addr: "127.0.0.1:0".parse().expect("addr"),
        admin_ids: Default::default(),
        admin_chat_id: None,
        support_contact: Some("@shop_support".into()),
        support_chat_id: None,
        shop_name: "Bench Shop".into(),
        session_hours: 12,
        reminder_days: vec![3, 1],
        payments: PaymentsConfig::without_gateways(),
        send_limits: SendLimits::unlimited(),
        metrics_token: None,
        telegram_webhook: None,
        backup_dir: None,
        backup_keep: 7,
        shutdown_grace: Duration::from_secs(10),
    }
}

/// Three plans on sale with stock.
async fn shop(db: &DatabaseConnection) -> Vec<i32> {
    let mut ids = Vec::new();
    for (n, (name, rupees)) in
        [("Netflix Premium", 199), ("Prime Video", 129), ("Hotstar Super", 149)].iter().enumerate()
    {
        let draft = PlanDraft {
            price: Money::from_rupees(*rupees),
            cost: Money::from_rupees(rupees / 3),
            duration_days: 30,
            name: (*name).into(),
        };
        let plan = catalog::create_plan(db, &Actor::system(), &draft, &format!("bench{n}"), Utc::now())
            .await
            .expect("plan")
            .plan;
        let lines: Vec<String> = (0..20).map(|i| format!("p{n}s{i}@ott.test:pw")).collect();
        stock::add_stock(db, &Actor::system(), plan.id, &credentials::from_lines(&lines.join("\n")), Utc::now())
            .await
            .expect("stock");
        ids.push(plan.id);
    }
    ids
}

fn error_text() -> String {
    let en = include_str!("../locales/en.yml");
    let line = en.lines().find(|l| l.starts_with("error_generic:")).expect("error_generic in en.yml");
    line.trim_start_matches("error_generic:").trim().trim_matches('"').to_owned()
}

/// What the watched user was sent: the buttons we press must be among them, no apology.
fn check_replies(bodies: &[String], must_have: &[String]) {
    let error = error_text();
    for body in bodies {
        assert!(!body.contains(&error), "the bot apologised: {body}");
    }
    for data in must_have {
        let needle = format!(r#""callback_data":"{data}""#);
        assert!(bodies.iter().any(|b| b.contains(&needle)), "no button {data} was sent: {bodies:?}");
    }
}

/// The echo bot, warmed up with one message per user (as the sign-ups warm ours up), then
/// `sizes.rounds` rounds of as many messages as our menu traffic has updates.
async fn echo_run(fake: &Fake, bot: &Bot, sizes: Sizes, script: &mut Script) -> Figures {
    let (tx, task) = dispatcher(bot.clone(), echo(), dptree::deps![]);
    let feed = Feed::Listener(tx);
    drive(fake, &feed, echo_traffic(sizes.users, 1, script)).await;
    let figures = drive(fake, &feed, echo_traffic(sizes.users, sizes.rounds * ROUND, script)).await;
    drop(feed);
    task.await.expect("echo dispatcher");
    figures
}

/// Statements PostgreSQL committed in this database so far (each autocommit statement is a
/// transaction); None on SQLite. The statistics are flushed about once a second.
async fn statements(db: &DatabaseConnection) -> Option<i64> {
    if db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return None;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sql =
        "SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()";
    let row = db.query_one_raw(sea_orm::Statement::from_string(sea_orm::DbBackend::Postgres, sql)).await.ok()??;
    row.try_get::<i64>("", "n").ok()
}

async fn run(label: &str, db: DatabaseConnection, fake: &Fake, url: &str, sizes: Sizes) {
    let plans = shop(&db).await;
    let bot = Bot::new(TOKEN).set_api_url(url::Url::parse(url).expect("url"));
    let mut script = Script { next_update_id: 0 };
    let signup_scripts = signups(sizes.users, &mut script);
    let menu = menu_traffic(sizes.users, sizes.rounds, &plans, &mut script);
    let updates: usize = menu.iter().map(VecDeque::len).sum();

    let echo_before = echo_run(fake, &bot, sizes, &mut script).await;

    let ctx = Arc::new(Ctx::new(db.clone(), Arc::new(config(url)), BOT_USERNAME.into()));
    let outbox = tokio::spawn(bot::outbox::run(ctx.tg(bot.clone()), ctx.clone()));
    let (stop_broadcasts, stopped) = tokio::sync::watch::channel(false);
    let broadcasts = tokio::spawn(bot::broadcast::run(ctx.tg(bot.clone()), ctx.clone(), stopped));
    let (tx, task) = dispatcher(bot.clone(), bot::schema(), bot::dependencies(ctx));
    let feed = Feed::Listener(tx);
    fake.watch(FIRST_USER);
    let signed = drive(fake, &feed, signup_scripts).await;
    check_replies(&fake.watched(), &["g:p".into(), "g:w".into(), "g:r".into()]);
    fake.watch(FIRST_USER);
    let _ = fake.calls();
    let before = statements(&db).await;
    let ours = drive(fake, &feed, menu).await;
    let calls = fake.calls();
    let after = statements(&db).await;
    let plan_buttons: Vec<String> = plans.iter().map(|id| format!("s:p:{id}")).collect();
    check_replies(&fake.watched(), &plan_buttons);
    // Each kind of update on its own, to see what costs what.
    let mut kinds = Vec::new();
    if !smoke() {
        let plan = format!("s:p:{}", plans[0]);
        for (name, text, button) in [
            ("/start", "/start", false),
            ("/plans", "/plans", false),
            ("plan page", plan.as_str(), true),
            ("/wallet", "/wallet", false),
            ("wallet button", "g:w", true),
            ("/refer", "/refer", false),
        ] {
            let scripts = (0..sizes.users as i64)
                .map(|n| {
                    let user = FIRST_USER + n;
                    (0..4).map(|_| if button { script.press(user, text) } else { script.text(user, text) }).collect()
                })
                .collect();
            let figures = drive(fake, &feed, scripts).await;
            kinds.push(format!(
                "{name} {:.0}/s, {:.0} µs CPU",
                figures.per_second(),
                figures.cpu.as_secs_f64() * 1e6 / figures.updates as f64
            ));
        }
    }
    drop(feed);
    task.await.expect("dispatcher");
    let _ = stop_broadcasts.send(true);
    let _ = broadcasts.await;
    outbox.abort();

    let echo_after = echo_run(fake, &bot, sizes, &mut script).await;
    let echo = (echo_before.per_second() + echo_after.per_second()) / 2.0;

    println!("{label}: sign-ups {} users: {}", sizes.users, signed.summary());
    println!(
        "{label}: menu traffic {} users, {updates} updates: {}; echo reference {echo:.0}/s; ratio {:.2}",
        sizes.users,
        ours.summary(),
        ours.per_second() / echo
    );
    println!("{label}: echo reference before: {}; after: {}", echo_before.summary(), echo_after.summary());
    let mut calls: Vec<_> = calls.into_iter().collect();
    calls.sort();
    println!("{label}: Bot API calls during the menu traffic: {calls:?}");
    if !kinds.is_empty() {
        println!("{label}: each kind alone ({} users × 4): {}", sizes.users, kinds.join("; "));
    }
    if let (Some(before), Some(after)) = (before, after) {
        // The outbox and broadcast senders' statements are included.
        let per = (after - before) as f64 / updates as f64;
        println!("{label}: database transactions during the menu traffic: {} ({per:.1} per update)", after - before);
    }
    println!("{label}: this process after the run: {}", memory("self"));
}

// ---------------------------------------------------------------------------------------
// Memory of the real binary
// ---------------------------------------------------------------------------------------

fn status_kb(pid: &str, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn memory(pid: &str) -> String {
    let mb = |key| status_kb(pid, key).map_or("?".to_owned(), |kb| format!("{:.1} MB", kb as f64 / 1024.0));
    format!("VmRSS {}, VmHWM {}", mb("VmRSS:"), mb("VmHWM:"))
}

async fn binary(sizes: Sizes) {
    let (fake, url) = start_fake().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("binary.db").display());
    {
        let db = connect_and_migrate(&database).await.expect("binary db");
        shop(&db).await;
        db.close().await.ok();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let polls = fake.polls();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ottsonly"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", &url)
        .env("DATABASE_URL", &database)
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("ADMIN_IDS", "1")
        .env("OTTSONLY_CONFIG", "/nonexistent/config.toml")
        // The fastest the limiter goes against a stand-in: 3,000 sends a second.
        .env("TELEGRAM_RATE_SCALE", "100")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start ottsonly");
    let pid = child.id().expect("pid").to_string();
    let started = Instant::now();
    while fake.polls() == polls {
        assert!(started.elapsed() < Duration::from_secs(30), "the binary never polled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(sizes.idle).await;
    let idle = memory(&pid);

    let feed = Feed::GetUpdates(fake.clone());
    let plans = {
        let db = connect_and_migrate(&database).await.expect("db");
        let plans =
            catalog::list_plans(&db, true).await.expect("plans").into_iter().map(|l| l.plan.id).collect::<Vec<_>>();
        db.close().await.ok();
        plans
    };
    let mut script = Script { next_update_id: 0 };
    let signups = signups(sizes.users, &mut script);
    let menu = menu_traffic(sizes.users, sizes.rounds, &plans, &mut script);
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (pid, peak) = (pid.clone(), peak.clone());
        tokio::spawn(async move {
            loop {
                if let Some(kb) = status_kb(&pid, "VmRSS:") {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let signed = drive(&fake, &feed, signups).await;
    let ours = drive(&fake, &feed, menu).await;
    sampler.abort();
    let loaded = memory(&pid);
    println!("binary (sqlite, getUpdates): idle {idle}");
    println!(
        "binary (sqlite, getUpdates): under load {loaded}, VmRSS sampled peak {:.1} MB; sign-ups {}, menu traffic {} updates {} (rate limiter at TELEGRAM_RATE_SCALE=100)",
        peak.load(Ordering::Relaxed) as f64 / 1024.0,
        signed.summary(),
        ours.updates,
        ours.summary()
    );
    child.kill().await.ok();
}

#[tokio::main]
async fn main() {
    let sizes = sizes();
    ottsonly::metrics::install();
    let (fake, url) = start_fake().await;

    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("chat.db").display());
    run("sqlite", connect_and_migrate(&sqlite).await.expect("sqlite"), &fake, &url, sizes).await;

    if let Some(scratch) = common::Scratch::create(&format!("ottsonly_bench_chat_{}", std::process::id())).await {
        let db = scratch.migrated().await;
        run("postgres", db.clone(), &fake, &url, sizes).await;
        db.close().await.ok();
        scratch.drop().await;
    }

    binary(sizes).await;
}
