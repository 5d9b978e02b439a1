//! Integration tests, in one binary so they link once. Service and chat tests run against
//! SQLite always and PostgreSQL as well when TEST_DATABASE_URL is set.
mod support;

mod api;
mod chat_admin;
mod chat_approvals;
mod chat_customer;
mod chat_hindi;
mod chat_payments;
mod chat_permissions;
mod chat_referrals;
mod chat_reports;
mod chat_staff;
mod chat_stars;
mod chat_upi;
mod concurrency;
mod end_to_end;
mod http_health;
mod locales;
mod outbox;
mod outbox_delivery;
mod razorpay_api;
mod razorpay_webhook;
mod restart;
mod services_approvals;
mod services_exports;
mod services_fraud;
mod services_payments;
mod services_purchase;
mod services_referrals;
mod services_refunds;
mod services_reports;
mod services_staff;
mod services_upi;
mod services_users;
mod services_wallet;
mod services_withdrawals;
