//! Who is acting: a person with a role and a language. The bot builds one per update from
//! the `users` row; services that perform admin acts take it and check the permission
//! themselves, so every front end gets the same rules.
use sea_orm::DbErr;

use crate::domain::permission::{self, Permission};
use crate::domain::Lang;
use crate::entities::user::{self, Role};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The person answerable for the act: the staff member, or the owner who made the token.
    pub telegram_id: i64,
    pub role: Role,
    pub lang: Lang,
    pub via: Via,
}

/// How an act arrived; the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Chat,
    /// An API token, by id and name.
    Token {
        id: i32,
        name: String,
    },
    Dashboard,
    /// Start-up, jobs, the command line.
    System,
}

impl Via {
    /// As stored in `audit_log.via`.
    pub fn label(&self) -> String {
        match self {
            Via::Chat => "chat".into(),
            Via::Token { name, .. } => format!("token:{name}"),
            Via::Dashboard => "dashboard".into(),
            Via::System => "system".into(),
        }
    }
}

impl Actor {
    /// Someone acting in chat.
    pub const fn new(telegram_id: i64, role: Role, lang: Lang) -> Actor {
        Actor { telegram_id, role, lang, via: Via::Chat }
    }

    pub fn via(self, via: Via) -> Actor {
        Actor { via, ..self }
    }

    /// The shop itself, for what start-up and jobs decide (recorded as Telegram id 0).
    pub const fn system() -> Actor {
        Actor { telegram_id: 0, role: Role::Owner, lang: Lang::En, via: Via::System }
    }

    pub fn of(user: &user::Model) -> Actor {
        Actor::new(user.telegram_id, user.role, Lang::from_code(&user.language))
    }

    pub fn can(&self, permission: Permission) -> bool {
        permission::allows(self.role, permission)
    }

    pub fn is_staff(&self) -> bool {
        permission::is_staff(self.role)
    }

    /// `Err(Forbidden)` unless the role has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), ActError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(ActError::Forbidden { role: self.role, permission })
        }
    }
}

/// Why an act did not happen when it is not a business outcome.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("the {role:?} role may not {permission:?}")]
    Forbidden { role: Role, permission: Permission },
    #[error(transparent)]
    Db(#[from] DbErr),
}
