//! Lists for staff, newest first, a page at a time: `before` is the last id of the previous
//! page, so pages stay stable while new rows arrive.
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u64,
    /// Only rows with an id below this.
    pub before: Option<i32>,
}

impl Default for PageRequest {
    fn default() -> PageRequest {
        PageRequest { limit: 20, before: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page, when there is one.
    pub next: Option<i32>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next: self.next }
    }
}

/// One page of `select`, ordered by `id` descending; `id_of` reads a row's id.
pub async fn fetch<E, C>(
    conn: &impl ConnectionTrait,
    select: Select<E>,
    id: C,
    request: PageRequest,
    id_of: impl Fn(&E::Model) -> i32,
) -> Result<Page<E::Model>, DbErr>
where
    E: EntityTrait,
    C: ColumnTrait,
{
    let mut select = select.order_by_desc(id);
    if let Some(before) = request.before {
        select = select.filter(id.lt(before));
    }
    let mut items = select.limit(request.limit + 1).all(conn).await?;
    let next = if items.len() as u64 > request.limit {
        items.truncate(request.limit as usize);
        items.last().map(&id_of)
    } else {
        None
    };
    Ok(Page { items, next })
}
