//! Command-line tools beside the bot: `ottsonly token create --name … --role …`,
//! `ottsonly token list`, `ottsonly token revoke <id>`, `ottsonly backup <file>`,
//! `ottsonly restore <file>`. They need only the database.
use chrono::Utc;

use crate::entities::user::Role;
use crate::services::tokens::{self, CreateOutcome, RevokeOutcome};
use crate::services::{backup, db, Actor};

pub const USAGE: &str = "usage: ottsonly token create --name <name> --role <support|admin|owner>
       ottsonly token list
       ottsonly token revoke <id>
       ottsonly backup <file>
       ottsonly restore <file>";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Create { name: String, role: Role },
    List,
    Revoke(i32),
    Backup(std::path::PathBuf),
    Restore(std::path::PathBuf),
}

/// None when `args` (without the program name) are not a tool's: run the bot.
pub fn parse(args: &[String]) -> Option<Result<Command, String>> {
    let (first, rest) = args.split_first()?;
    match (first.as_str(), rest) {
        ("backup", [file]) => return Some(Ok(Command::Backup(file.into()))),
        ("restore", [file]) => return Some(Ok(Command::Restore(file.into()))),
        ("backup" | "restore", _) => return Some(Err(USAGE.to_owned())),
        _ => {}
    }
    if first != "token" {
        return Some(Err(format!("unknown command {first:?}\n{USAGE}")));
    }
    Some(match rest {
        [verb, options @ ..] if verb == "create" => create(options),
        [verb] if verb == "list" => Ok(Command::List),
        [verb, id] if verb == "revoke" => {
            id.parse().map(Command::Revoke).map_err(|_| format!("{id:?} is not a token id"))
        }
        _ => Err(USAGE.to_owned()),
    })
}

fn create(options: &[String]) -> Result<Command, String> {
    let (mut name, mut role) = (None, None);
    let mut options = options.iter();
    while let Some(option) = options.next() {
        let value = options.next().ok_or_else(|| format!("{option} needs a value\n{USAGE}"))?;
        match option.as_str() {
            "--name" => name = Some(value.clone()),
            "--role" => role = Some(value.clone()),
            other => return Err(format!("unknown option {other}\n{USAGE}")),
        }
    }
    let name = name.ok_or_else(|| format!("--name is required\n{USAGE}"))?;
    let role = match role.as_deref() {
        Some("support") => Role::Support,
        Some("admin") => Role::Admin,
        Some("owner") => Role::Owner,
        _ => return Err(format!("--role must be support, admin or owner\n{USAGE}")),
    };
    Ok(Command::Create { name, role })
}

/// Runs a tool; what it prints goes to stdout, an error is returned for stderr.
pub async fn run(database_url: &str, command: Command) -> Result<String, String> {
    let db = db::connect_and_migrate(database_url).await.map_err(|e| format!("cannot open the database: {e}"))?;
    let actor = Actor::system();
    let now = Utc::now();
    let failed = |e: crate::services::ActError| e.to_string();
    match command {
        Command::Create { name, role } => match tokens::create(&db, &actor, &name, role, now).await.map_err(failed)? {
            CreateOutcome::Created { token, secret } => Ok(format!(
                "token {} ({}, {:?}) created. It is shown only now; keep it secret:\n{secret}",
                token.id, token.name, token.role
            )),
            CreateOutcome::NameTaken => Err(format!("a token named {name:?} exists already")),
            CreateOutcome::BadName => Err("a name is 1 to 40 letters, digits, '-', '_' or '.'".into()),
            CreateOutcome::BadRole => Err("--role must be support, admin or owner".into()),
        },
        Command::List => {
            let mut out = String::new();
            for t in tokens::list(&db, &actor).await.map_err(failed)? {
                let used = t.last_used_at.map_or("never used".to_owned(), |at| format!("last used {at}"));
                let state = t.revoked_at.map_or("active".to_owned(), |at| format!("revoked {at}"));
                out.push_str(&format!("{}\t{}\t{:?}\t{}…\t{used}\t{state}\n", t.id, t.name, t.role, t.prefix));
            }
            Ok(if out.is_empty() { "no tokens".into() } else { out })
        }
        Command::Backup(file) => {
            let done = backup::backup(&db, &file).await.map_err(|e| format!("backup failed: {e}"))?;
            Ok(format!("backed up {} rows of {} tables to {}", done.rows, done.tables, file.display()))
        }
        Command::Restore(file) => {
            let done = backup::restore(&db, &file).await.map_err(|e| format!("restore failed: {e}"))?;
            Ok(format!("restored {} rows of {} tables from {}", done.rows, done.tables, file.display()))
        }
        Command::Revoke(id) => match tokens::revoke(&db, &actor, id, now).await.map_err(failed)? {
            RevokeOutcome::Revoked(t) => Ok(format!("token {} ({}) revoked", t.id, t.name)),
            RevokeOutcome::AlreadyRevoked(t) => Ok(format!("token {} ({}) was already revoked", t.id, t.name)),
            RevokeOutcome::UnknownToken => Err(format!("there is no token {id}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn parses_the_token_tools() {
        assert_eq!(parse(&[]), None);
        assert_eq!(
            parse(&args("token create --name ci --role admin")),
            Some(Ok(Command::Create { name: "ci".into(), role: Role::Admin }))
        );
        assert_eq!(
            parse(&args("token create --role support --name x")),
            Some(Ok(Command::Create { name: "x".into(), role: Role::Support }))
        );
        assert_eq!(parse(&args("token list")), Some(Ok(Command::List)));
        assert_eq!(parse(&args("token revoke 3")), Some(Ok(Command::Revoke(3))));
        assert_eq!(parse(&args("backup shop.bak")), Some(Ok(Command::Backup("shop.bak".into()))));
        assert_eq!(parse(&args("restore shop.bak")), Some(Ok(Command::Restore("shop.bak".into()))));
        assert!(matches!(parse(&args("backup")), Some(Err(_))));
        for bad in ["token", "token create --name x", "token create --name x --role user", "token revoke x", "serve"] {
            assert!(matches!(parse(&args(bad)), Some(Err(_))), "{bad}");
        }
    }
}
