//! The referral economy in chat: A refers B, B refers C; B and C buy; commissions are held,
//! become available, and A withdraws to UPI with an admin approving and paying.
use chrono::Utc;
use sea_orm::EntityTrait;

use ottsonly::domain::Money;
use ottsonly::services::purchase::{self, WhenShort};
use ottsonly::services::withdrawals::{self, RequestOutcome};
use ottsonly::services::{referrals, settings, users};

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance, credit, customer, plan_with_stock, profile};

/// The code in a /refer screen's link.
fn referral_code(text: &str) -> String {
    let start = text.find("start=ref_").expect("a referral link") + "start=ref_".len();
    text[start..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect()
}

async fn buy(chat: &mut Chat, plan: &str) {
    let confirm = chat.open_buy_screen(plan).await;
    chat.press(&confirm, "Confirm").await;
    chat.reply_containing("is yours").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refers_b_refers_c_and_a_withdraws() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        // Profit ₹1,800: level 1 earns ₹540, level 2 ₹180.
        plan_with_stock(conn, "Hotstar Max", 2000, 200, 3).await;
        settings::set(conn, "jobs.interval_seconds", "1", Utc::now()).await.unwrap();
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        let (mut a, mut b, mut c) =
            (Chat::new(&fake, 7101, "Anil"), Chat::new(&fake, 7102, "Bina"), Chat::new(&fake, 7103, "Chetan"));

        a.say("/start");
        a.reply_containing("Welcome").await;
        a.say("/refer");
        let screen = a.reply().await;
        assert!(screen.text.contains("Your referrals: <b>0</b>"), "{}", screen.text);
        assert!(screen.text.contains("<b>30%</b>") && screen.text.contains("<b>10%</b>"), "{}", screen.text);
        let share = screen.button("Share").expect("a share button");
        assert!(share.starts_with("https://t.me/share/url?url=https%3A%2F%2Ft.me%2F"), "{share}");
        let code_a = referral_code(&screen.text);

        b.say(&format!("/start ref_{code_a}"));
        b.reply_containing("Welcome").await;
        let joined = a.reply_containing("joined the shop through your link").await;
        assert!(joined.text.contains("<b>Bi***</b>"), "the name is masked: {}", joined.text);
        b.say("/refer");
        let code_b = referral_code(&b.reply().await.text);
        c.say(&format!("/start ref_{code_b}"));
        c.reply_containing("Welcome").await;
        b.reply_containing("<b>Ch***</b> joined").await;
        // A second /start with another code changes nothing.
        c.say(&format!("/start ref_{code_a}"));
        c.reply_containing("Welcome back").await;

        credit(conn, 7102, 2000).await;
        credit(conn, 7103, 2000).await;
        buy(&mut b, "Hotstar").await;
        let earned = a.reply_containing("You earned").await;
        assert!(earned.text.contains("<b>₹540</b> commission (level 1)"), "{}", earned.text);
        buy(&mut c, "Hotstar").await;
        b.reply_containing("You earned <b>₹540</b> commission (level 1)").await;
        a.reply_containing("You earned <b>₹180</b> commission (level 2)").await;

        a.say("/refer");
        let stats = a.reply_containing("Refer").await;
        for expected in [
            "Your referrals: <b>1</b> (1 bought)",
            "Their referrals: <b>1</b> (1 bought)",
            "Conversion: 100%",
            "On hold: ₹720",
            "Available to withdraw: <b>₹0</b>",
            "Total earned: <b>₹720</b>",
        ] {
            assert!(stats.text.contains(expected), "{expected:?} in {}", stats.text);
        }
        b.say("/refer");
        let stats_b = b.reply_containing("Refer").await;
        assert!(stats_b.text.contains("On hold: ₹540"), "{}", stats_b.text);
        a.say("/withdraw");
        let nothing_yet = a.reply().await;
        assert!(nothing_yet.text.contains("Available to withdraw: <b>₹0</b>"), "{}", nothing_yet.text);
        assert_eq!(balance(conn, 7101).await, Money::ZERO, "held commission is not in the wallet");

        // The hold ends (an admin shortens it): the job credits the wallets.
        admin.say("/set referral.hold_hours 0");
        admin.reply_containing("<code>referral.hold_hours</code> is now <b>0</b>").await;
        a.reply_containing("<b>₹540</b> referral commission is now in your wallet").await;
        a.reply_containing("<b>₹180</b> referral commission is now in your wallet").await;
        b.reply_containing("<b>₹540</b> referral commission is now in your wallet").await;
        assert_eq!(balance(conn, 7101).await, Money::from_rupees(720));
        assert_eq!(balance(conn, 7102).await, Money::from_rupees(540));
        assert_eq!(balance(conn, 7103).await, Money::ZERO);

        a.say("/refer");
        let stats = a.reply_containing("Refer").await;
        assert!(stats.text.contains("On hold: ₹0"), "{}", stats.text);
        assert!(stats.text.contains("Available to withdraw: <b>₹720</b>"), "{}", stats.text);

        // A withdraws ₹600 of it.
        a.say("/withdraw");
        let ask = a.reply_containing("How much").await;
        assert!(ask.button("Withdraw all ₹720").is_some(), "{:?}", ask.buttons());
        a.say("800");
        a.reply_containing("at most ₹720").await;
        a.say("100");
        a.reply_containing("minimum withdrawal is ₹500").await;
        a.say("600");
        a.reply_containing("Send your UPI ID").await;
        a.say("not a upi id");
        a.reply_containing("does not look like a UPI ID").await;
        a.say("A.Kumar@OkAxis");
        let confirm = a.reply_containing("Confirm your withdrawal").await;
        assert!(confirm.text.contains("<code>a.kumar@okaxis</code>"), "{}", confirm.text);
        assert_eq!(balance(conn, 7101).await, Money::from_rupees(720), "nothing moves before Confirm");
        a.press(&confirm, "Withdraw ₹600").await;
        let requested = a.reply_containing("Withdrawal requested").await;
        assert!(requested.text.contains("Wallet balance now: ₹120"), "{}", requested.text);
        assert_eq!(balance(conn, 7101).await, Money::from_rupees(120), "reserved at once");

        // A double tap on the old Confirm does not make a second request.
        a.press(&confirm, "Withdraw ₹600").await;
        let again = a.reply_containing("waiting for the shop's approval").await;
        assert!(!again.edit, "the confirmation stays in place");
        // So does the stale Withdraw all button: the screen as it is now.
        a.press(&ask, "Withdraw all ₹720").await;
        a.reply_containing("Your available amount has changed").await;
        a.reply_containing("waiting for the shop's approval").await;
        assert_eq!(balance(conn, 7101).await, Money::from_rupees(120));

        let alert = admin.reply_containing("Withdrawal request #").await;
        assert!(alert.text.contains("<b>₹600</b>") && alert.text.contains("a.kumar@okaxis"), "{}", alert.text);
        admin.press(&alert, "Approve").await;
        let approved = admin.reply_containing("approved by").await;
        a.reply_containing("was approved").await;
        admin.press(&alert, "Approve").await;
        admin.reply_containing("is already approved, to be paid; nothing changed").await;

        admin.press(&approved, "Mark paid").await;
        admin.reply_containing("Send the 12-digit UTR").await;
        admin.say("12345");
        admin.reply_containing("exactly 12 digits").await;
        admin.say("412345678901");
        admin.reply_containing("marked paid").await;
        let paid = a.reply_containing("was sent to").await;
        assert!(paid.text.contains("<code>412345678901</code>"), "{}", paid.text);
        // The old buttons cannot undo a paid request.
        admin.press(&approved, "Payout failed").await;
        admin.reply_containing("is already paid; nothing changed").await;
        admin.press(&approved, "Mark paid").await;
        admin.reply_containing("is already paid; nothing changed").await;

        a.say("/refer");
        let stats = a.reply_containing("Refer").await;
        assert!(stats.text.contains("Withdrawn: ₹600"), "{}", stats.text);
        assert!(stats.text.contains("Available to withdraw: <b>₹120</b>"), "{}", stats.text);
        a.say("/withdraw");
        a.reply_containing("Minimum withdrawal: ₹500").await;

        // With a lower minimum the rest can go too; the last UPI ID is offered as a button.
        admin.say("/set withdrawal.min_amount 100");
        admin.reply_containing("is now <b>100.00</b>").await;
        a.say("/withdraw");
        let ask = a.reply_containing("How much").await;
        a.press(&ask, "Withdraw all ₹120").await;
        let ask_vpa = a.reply_containing("Send your UPI ID").await;
        a.press(&ask_vpa, "Use a.kumar@okaxis").await;
        let confirm = a.reply_containing("Confirm your withdrawal").await;
        assert!(confirm.text.contains("<b>₹120</b>") && confirm.text.contains("a.kumar@okaxis"), "{}", confirm.text);
        a.press(&confirm, "Cancel").await;
        a.reply_containing("What would you like to do?").await;
        a.say("hello");
        a.reply_containing("didn't get that").await;

        assert_eq!(balance(conn, 7101).await, Money::from_rupees(120));
        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

/// Puts a withdrawal to `vpa` on record for a fresh referrer `referrer_id` (with a referee
/// who bought), so a later request to the same UPI ID is a shared UPI ID.
async fn earlier_withdrawal_to(conn: &sea_orm::DatabaseConnection, referrer_id: i64, plan_id: i32, vpa: &str) {
    let referrer = customer(conn, referrer_id).await;
    let referee =
        users::sign_up(conn, &profile(referrer_id + 1), Some(&referrer.referral_code), Utc::now()).await.unwrap();
    assert_eq!(referee.user.referred_by, Some(referrer.id));
    credit(conn, referrer_id + 1, 2000).await;
    let checkout =
        purchase::open_checkout(conn, referrer_id + 1, plan_id, WhenShort::Refuse, Utc::now()).await.unwrap();
    purchase::confirm(conn, referrer_id + 1, checkout.order_id, Utc::now()).await.unwrap();
    assert_eq!(referrals::mature_due(conn, Utc::now()).await.unwrap().len(), 1);
    let outcome = withdrawals::request(conn, referrer_id, Money::from_rupees(540), vpa, Utc::now()).await.unwrap();
    assert!(matches!(outcome, RequestOutcome::Requested { .. }), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_hold_flagged_withdrawals_reject_block_and_refund() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let plan = plan_with_stock(conn, "Hotstar Max", 2000, 200, 3).await;
        settings::set(conn, "referral.hold_hours", "0", Utc::now()).await.unwrap();
        settings::set(conn, "jobs.interval_seconds", "1", Utc::now()).await.unwrap();
        earlier_withdrawal_to(conn, 7210, plan.id, "shared@ybl").await;
        let bot = RunningBot::start(&fake, conn.clone()).await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        let (mut a, mut b) = (Chat::new(&fake, 7201, "Anil"), Chat::new(&fake, 7202, "Bina"));

        a.say("/start");
        a.reply_containing("Welcome").await;
        a.say("/refer");
        let code_a = referral_code(&a.reply().await.text);
        b.say(&format!("/start ref_{code_a}"));
        b.reply_containing("Welcome").await;
        credit(conn, 7202, 2000).await;
        buy(&mut b, "Hotstar").await;
        a.reply_containing("<b>₹540</b> referral commission is now in your wallet").await;

        // A withdraws to a UPI ID another user already withdrew to: flagged and held.
        a.say("/withdraw");
        let ask = a.reply_containing("How much").await;
        a.press(&ask, "Withdraw all ₹540").await;
        a.reply_containing("Send your UPI ID").await;
        a.say("Shared@YBL");
        let confirm = a.reply_containing("Confirm your withdrawal").await;
        a.press(&confirm, "Withdraw ₹540").await;
        a.reply_containing("Withdrawal requested").await;
        // Both users of the UPI ID are flagged.
        let flag = admin.reply_containing("Fraud flag #").await;
        assert!(flag.text.contains("<code>shared@ybl</code>"), "{}", flag.text);
        let other = admin.reply_containing("Fraud flag #").await;
        let both = format!("{}\n{}", flag.text, other.text);
        assert!(both.contains("on @user7201 (7201)") && both.contains("on @u7210 (7210)"), "{both}");
        let alert = admin.reply_containing("Withdrawal request #").await;
        assert!(alert.text.contains("On hold"), "{}", alert.text);
        admin.press(&alert, "Approve").await;
        admin.reply_containing("waits: the user has open fraud flags").await;

        admin.say("/flags");
        let flags = admin.reply_containing("Open fraud flags").await;
        let resolve: Vec<_> =
            flags.buttons().into_iter().filter(|(label, _)| label.starts_with("✅ Resolve")).collect();
        assert_eq!(resolve.len(), 2, "{}", flags.text);
        for (_, data) in &resolve {
            admin.press_data(&flags, data).await;
            admin.reply_containing("resolved by").await;
        }
        admin.press_data(&flags, &resolve[0].1).await;
        admin.reply_containing("already resolved").await;
        admin.say("/flags");
        admin.reply_containing("No open fraud flags").await;

        admin.press(&alert, "Approve").await;
        admin.reply_containing("approved by").await;
        a.reply_containing("was approved").await;
        assert_eq!(balance(conn, 7201).await, Money::ZERO);

        // The payout bounced: the reservation comes back.
        admin.say("/withdrawals");
        let queue = admin.reply_containing("Withdrawal requests").await;
        assert!(queue.text.contains("approved, to be paid"), "{}", queue.text);
        let id_start = alert.text.find("request #").unwrap() + "request #".len();
        let id: String = alert.text[id_start..].chars().take_while(char::is_ascii_digit).collect();
        let reject = queue
            .buttons()
            .into_iter()
            .find(|(label, _)| label.starts_with(&format!("#{id} ")) && label.contains("Payout failed"))
            .unwrap_or_else(|| panic!("no Payout failed for #{id}: {:?}", queue.buttons()));
        admin.press_data(&queue, &reject.1).await;
        admin.reply_containing("did <b>not</b> go out").await;
        admin.say("the UPI name does not match");
        admin.reply_containing("marked as payout failed; the amount is back").await;
        let told = a.reply_containing("did not go through").await;
        assert!(
            told.text.contains("the UPI name does not match") && told.text.contains("balance ₹540"),
            "{}",
            told.text
        );
        assert_eq!(balance(conn, 7201).await, Money::from_rupees(540));

        // Blocked: no withdrawals, told politely; unblocked again.
        admin.say("/block 7201 testing the shop");
        admin.reply_containing("is blocked").await;
        a.reply_containing("referral earnings and withdrawals are paused").await;
        a.say("/withdraw");
        a.reply_containing("Withdrawals are paused on your account").await;
        admin.say("/block 7201");
        admin.reply_containing("already blocked").await;
        admin.say("/unblock 7201");
        admin.reply_containing("is unblocked").await;
        a.reply_containing("withdrawals are back on").await;

        // A refund of B's order takes A's credited commission back.
        let b_id = b_user_id(conn).await;
        let orders = ottsonly::entities::order::Entity::find().all(conn).await.unwrap();
        let b_order = orders.iter().find(|o| o.user_id == b_id).unwrap().id;
        admin.say(&format!("/refund {b_order} login stopped working"));
        admin.reply_containing("Referral commissions undone: 1").await;
        let reversed = a.reply_containing("was taken back").await;
        assert!(reversed.text.contains("₹540 was deducted"), "{}", reversed.text);
        assert_eq!(balance(conn, 7201).await, Money::ZERO);

        admin.say("/set referral.l1_rate 120");
        admin.reply_containing("not changed: expected a percentage").await;
        admin.say("/settings");
        let listed = admin.reply_containing("Settings").await;
        assert!(listed.text.contains("<code>referral.hold_hours</code> = <b>0</b>"), "{}", listed.text);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}

async fn b_user_id(conn: &sea_orm::DatabaseConnection) -> i32 {
    users::find_by_telegram_id(conn, 7202).await.unwrap().unwrap().id
}
