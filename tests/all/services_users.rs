use chrono::Utc;

use ottsonly::services::users;

use crate::support::{db, fixtures::profile};

#[tokio::test]
async fn referral_sticks_only_at_first_signup_and_never_to_oneself() {
    for db in db::all().await {
        let db = &db.conn;
        let now = Utc::now();
        let referrer = users::sign_up(db, &profile(10), None, now).await.unwrap();
        assert!(referrer.created);
        let other = users::sign_up(db, &profile(11), None, now).await.unwrap();
        let code = referrer.user.referral_code.clone();

        let referred = users::sign_up(db, &profile(12), Some(&code.to_lowercase()), now).await.unwrap();
        assert!(referred.created);
        assert_eq!(referred.user.referred_by, Some(referrer.user.id));
        assert_eq!(referred.referrer.map(|r| r.id), Some(referrer.user.id));

        // A later /start with another code changes nothing.
        let again = users::sign_up(db, &profile(12), Some(&other.user.referral_code), now).await.unwrap();
        assert!(!again.created);
        assert_eq!(again.user.referred_by, Some(referrer.user.id));

        // Unknown codes and garbage are ignored; the user is still created.
        let unknown = users::sign_up(db, &profile(13), Some("ZZZZZZZZ"), now).await.unwrap();
        assert_eq!(unknown.user.referred_by, None);
        let garbage = users::sign_up(db, &profile(14), Some("'; DROP TABLE users; --"), now).await.unwrap();
        assert_eq!(garbage.user.referred_by, None);

        // An existing user using their own code: nothing changes.
        let own = users::sign_up(db, &profile(10), Some(&code), now).await.unwrap();
        assert_eq!(own.user.referred_by, None);
    }
}

#[tokio::test]
async fn codes_are_unique_and_profile_is_refreshed() {
    for db in db::all().await {
        let db = &db.conn;
        let mut codes = std::collections::HashSet::new();
        for id in 100..160 {
            let signup = users::sign_up(db, &profile(id), None, Utc::now()).await.unwrap();
            assert!(codes.insert(signup.user.referral_code.clone()));
        }
        let mut changed = profile(100);
        changed.username = Some("renamed".into());
        users::sync_staff_from_config(db, &std::collections::BTreeSet::from([100]), None, Utc::now()).await.unwrap();
        let signup = users::sign_up(db, &changed, None, Utc::now()).await.unwrap();
        assert_eq!(signup.user.username.as_deref(), Some("renamed"));
        // The role is the database's: a profile refresh keeps the owner an owner.
        assert_eq!(signup.user.role, ottsonly::entities::user::Role::Owner);
    }
}

#[tokio::test]
async fn concurrent_first_starts_create_one_user() {
    for db in db::all().await {
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let conn = db.conn.clone();
                tokio::spawn(async move { users::sign_up(&conn, &profile(500), None, Utc::now()).await })
            })
            .collect();
        let mut created = 0;
        let mut ids = std::collections::HashSet::new();
        for task in tasks {
            let signup = task.await.unwrap().unwrap();
            created += usize::from(signup.created);
            ids.insert(signup.user.id);
        }
        assert_eq!((created, ids.len()), (1, 1), "{}", db.backend);
    }
}

#[tokio::test]
async fn settings_are_stored_and_overwritten() {
    use ottsonly::services::settings;
    for db in db::all().await {
        let conn = &db.conn;
        assert_eq!(settings::get_or(conn, "referral.l1_rate", 30u32).await.unwrap(), 30);
        settings::set(conn, "referral.l1_rate", "25", Utc::now()).await.unwrap();
        settings::set(conn, "referral.l1_rate", "20", Utc::now()).await.unwrap();
        assert_eq!(settings::get_or(conn, "referral.l1_rate", 30u32).await.unwrap(), 20);
        settings::set(conn, "referral.l1_rate", "not a number", Utc::now()).await.unwrap();
        assert_eq!(settings::get_or(conn, "referral.l1_rate", 30u32).await.unwrap(), 30);
    }
}
