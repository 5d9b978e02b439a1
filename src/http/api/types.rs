//! Shapes shared by every resource: money, pages, and the list query.
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::Money;
use crate::http::problem::Problem;
use crate::services::page::PageRequest;

/// Integer paise, plus the amount as people read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Amount {
    pub paise: i64,
    /// `₹1,35,000.50`: Indian digit grouping.
    pub display: String,
}

impl From<Money> for Amount {
    fn from(money: Money) -> Amount {
        Amount { paise: money.paise(), display: money.to_string() }
    }
}

pub fn amount(paise: i64) -> Amount {
    Money::from_paise(paise).into()
}

/// One page of a list, newest first. Pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

pub const DEFAULT_LIMIT: u64 = 20;
pub const MAX_LIMIT: u64 = 100;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100; 20 when absent.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageQuery {
    pub fn request(&self) -> Result<PageRequest, Problem> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(Problem::invalid("limit", format!("from 1 to {MAX_LIMIT}")));
        }
        let before = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(cursor) => Some(
                cursor
                    .parse::<i32>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or_else(|| Problem::invalid("cursor", "use the next_cursor of a previous page"))?,
            ),
        };
        Ok(PageRequest { limit, before })
    }
}

impl<T: ToSchema> Page<T> {
    pub fn of<M>(page: crate::services::page::Page<M>, map: impl FnMut(M) -> T) -> Page<T> {
        Page { items: page.items.into_iter().map(map).collect(), next_cursor: page.next.map(|id| id.to_string()) }
    }
}
