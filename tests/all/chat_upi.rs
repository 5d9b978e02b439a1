//! Direct UPI in chat: the QR decodes to the exact link, the UTR dialogue, admin decisions.
use ottsonly::config::UpiConfig;
use ottsonly::domain::Money;

use crate::support::bot_harness::{RunningBot, ADMIN_ID};
use crate::support::chat::Chat;
use crate::support::db;
use crate::support::fake_telegram::FakeTelegram;
use crate::support::fixtures::{assert_ledger_consistent, balance};

fn decode_qr(png_bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().expect("png header");
    let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut pixels).expect("png frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("QR decodes").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_by_upi_claim_with_utr_and_get_approved() {
    for db in db::all().await {
        let conn = &db.conn;
        let fake = FakeTelegram::start().await;
        let bot = RunningBot::start_with(&fake, conn.clone(), |c| {
            c.payments.upi = Some(UpiConfig { vpa: "ottshop@okicici".into(), payee_name: "OTT Shop".into() });
            c.payments.public_url = url::Url::parse("https://shop.example").ok();
        })
        .await;
        let mut admin = Chat::new(&fake, ADMIN_ID, "Boss");
        let mut chat = Chat::new(&fake, 7301, "Kavya");
        chat.say("/wallet");
        let wallet = chat.reply().await;
        chat.press(&wallet, "Top up").await;
        let topup = chat.reply().await;
        chat.press(&topup, "₹100").await;
        let methods = chat.reply().await;
        chat.press(&methods, "UPI").await;
        let qr = chat.reply().await;
        assert!(qr.text.contains("Pay exactly <b>₹100</b>") && qr.text.contains("ottshop@okicici"), "{}", qr.text);
        let reference: String = qr.text.split("Reference: <code>").nth(1).unwrap().chars().take(11).collect();
        let link = decode_qr(qr.photo.as_deref().expect("a QR image"));
        assert_eq!(
            link,
            format!("upi://pay?pa=ottshop@okicici&pn=OTT%20Shop&am=100.00&cu=INR&tn={reference}&tr={reference}")
        );
        let open = qr.button("Open UPI app").unwrap();
        assert_eq!(open, format!("https://shop.example/pay/upi/{reference}"));

        // Our redirect endpoint turns that https button into the upi:// link.
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let redirect = http.get(format!("{}/pay/upi/{reference}", bot.http)).send().await.unwrap();
        assert_eq!(redirect.status(), 302);
        assert_eq!(redirect.headers()["location"].to_str().unwrap(), link);
        let gone = http.get(format!("{}/pay/upi/PAYNOSUCH234", bot.http)).send().await.unwrap();
        assert_eq!(gone.status(), 404);

        chat.press(&qr, "I've paid").await;
        chat.reply_containing("12-digit UTR").await;
        chat.say("12345");
        chat.reply_containing("exactly 12 digits").await;
        chat.say("4123 4567 8901");
        chat.reply_containing("is being checked").await;
        let alert = admin.reply_containing("UPI payment to check").await;
        assert!(alert.text.contains("<code>412345678901</code>") && alert.text.contains("₹100"), "{}", alert.text);

        // A customer forging the admin's button data on their own message changes nothing.
        chat.press_data(&qr, &alert.button("Approve").unwrap()).await;
        chat.reply_containing("for shop admins only").await;
        assert_eq!(balance(conn, 7301).await, Money::ZERO);

        admin.press(&alert, "Approve").await;
        admin.reply_containing("approved by").await;
        chat.reply_containing("<b>₹100</b> added").await;
        admin.press(&alert, "Approve").await;
        admin.reply_containing("already approved").await;
        assert_eq!(balance(conn, 7301).await, Money::from_rupees(100));
        assert_eq!(http.get(format!("{}/pay/upi/{reference}", bot.http)).send().await.unwrap().status(), 404, "paid");

        // Someone else tries the same UTR; then a wrong UTR is rejected with a reason.
        let mut other = Chat::new(&fake, 7302, "Ravi");
        other.say("/wallet");
        let wallet = other.reply().await;
        other.press(&wallet, "Top up").await;
        let topup = other.reply().await;
        other.press(&topup, "₹200").await;
        let methods = other.reply().await;
        other.press(&methods, "UPI").await;
        let qr = other.reply().await;
        other.press(&qr, "I've paid").await;
        other.reply_containing("12-digit UTR").await;
        other.say("412345678901");
        other.reply_containing("already been used").await;
        fake.send_photo_with_caption(&other.user, "UTR 4999 9999 9999");
        other.reply_containing("is being checked").await;
        let alert = admin.reply_containing("499999999999").await;
        let screenshot =
            fake.calls("sendPhoto").into_iter().find(|p| p["chat_id"].to_string().contains(&ADMIN_ID.to_string()));
        assert!(
            screenshot
                .is_some_and(|p| p["photo"].as_str().is_some_and(|id| id.starts_with("shot_") && id != "shot_small")),
            "the largest screenshot goes to the admins"
        );
        admin.press(&alert, "Reject").await;
        admin.reply_containing("Why is claim").await;
        admin.say("Not in our bank statement");
        admin.reply_containing("rejected; the customer has been told").await;
        let rejected = other.reply_containing("could not confirm").await;
        assert!(rejected.text.contains("Not in our bank statement") && rejected.button("I've paid").is_some());
        assert_eq!(balance(conn, 7302).await, Money::ZERO);

        bot.stop().await;
        fake.assert_nothing_refused();
        assert_ledger_consistent(conn).await;
    }
}
