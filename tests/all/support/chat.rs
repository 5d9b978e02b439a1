//! One person talking to the bot through the fake Bot API.
use super::fake_telegram::{Cursor, FakeTelegram, SentMessage, TestUser};

pub struct Chat {
    pub fake: FakeTelegram,
    pub user: TestUser,
    cursor: Cursor,
}

impl Chat {
    pub fn new(fake: &FakeTelegram, id: i64, name: &str) -> Chat {
        Chat { fake: fake.clone(), user: TestUser::new(id, name), cursor: fake.cursor(id) }
    }

    pub fn say(&mut self, text: &str) -> i64 {
        self.fake.send_text(&self.user, text)
    }

    /// The next message (or edit) the bot sends to this chat.
    pub async fn reply(&mut self) -> SentMessage {
        self.fake.next_to(&mut self.cursor).await
    }

    /// Skips to the next message containing `needle`.
    pub async fn reply_containing(&mut self, needle: &str) -> SentMessage {
        self.fake.next_containing(&mut self.cursor, needle).await
    }

    /// Presses the button labelled with `label` on `message`; waits until it is answered.
    pub async fn press(&mut self, message: &SentMessage, label: &str) -> serde_json::Value {
        let data = message
            .button(label)
            .unwrap_or_else(|| panic!("no button {label:?} on {:?}: {:?}", message.text, message.buttons()));
        self.press_data(message, &data).await
    }

    /// /plans, the plan, Buy: returns what Buy answered (confirm screen or what is missing).
    pub async fn open_buy_screen(&mut self, plan_label: &str) -> SentMessage {
        self.say("/plans");
        let plans = self.reply().await;
        self.press(&plans, plan_label).await;
        let detail = self.reply().await;
        self.press(&detail, "Buy").await;
        self.reply().await
    }

    pub async fn press_data(&mut self, message: &SentMessage, data: &str) -> serde_json::Value {
        let query = self.fake.press(&self.user, message, data);
        self.fake.wait_callback_answered(&query).await
    }
}
