//! The texts of cost lines, each stored once in `labels` and referenced by id (see the schema's
//! notes in `migrations/0002_imports.sql`). [`Interner`] turns texts into ids while writing;
//! [`Labels`] turns ids back into texts while reading. Both cache what they have seen.

use std::collections::HashMap;
use std::rc::Rc;

use rusqlite::{params, Connection, OptionalExtension};
use rustc_hash::FxBuildHasher;

use crate::error::Result;

/// Texts → ids while writing. Memory is bounded: past `capacity` cached texts the cache starts
/// afresh (a text not cached is looked up in the table, then inserted if new).
pub struct Interner {
    cache: HashMap<Box<str>, i64, FxBuildHasher>,
    capacity: usize,
}

/// Cached texts at most, by default: a few tens of MB whatever the file's size.
pub const DEFAULT_CAPACITY: usize = 1 << 18;

impl Default for Interner {
    fn default() -> Self {
        Interner::with_capacity(DEFAULT_CAPACITY)
    }
}

impl Interner {
    pub fn with_capacity(capacity: usize) -> Self {
        Interner {
            cache: HashMap::with_capacity_and_hasher(1024, FxBuildHasher),
            capacity: capacity.max(1),
        }
    }

    /// The id of `text`, inserting it into `labels` when it is new.
    pub fn id(&mut self, conn: &Connection, text: &str) -> Result<i64> {
        if let Some(&id) = self.cache.get(text) {
            return Ok(id);
        }
        let found: Option<i64> = conn
            .prepare_cached("SELECT id FROM labels WHERE text = ?1")?
            .query_row(params![text], |r| r.get(0))
            .optional()?;
        let id = match found {
            Some(id) => id,
            None => {
                conn.prepare_cached("INSERT INTO labels (text) VALUES (?1)")?
                    .execute(params![text])?;
                conn.last_insert_rowid()
            }
        };
        if self.cache.len() >= self.capacity {
            self.cache.clear();
        }
        self.cache.insert(text.into(), id);
        Ok(id)
    }

    /// The id of an optional text.
    pub fn opt(&mut self, conn: &Connection, text: Option<&str>) -> Result<Option<i64>> {
        text.map(|t| self.id(conn, t)).transpose()
    }
}

/// Ids → texts while reading, cached for the life of one query.
#[derive(Default)]
pub struct Labels {
    cache: HashMap<i64, Rc<str>, FxBuildHasher>,
}

impl Labels {
    /// The text of label `id` (an empty text for an id the table does not have, which the
    /// foreign keys rule out).
    pub fn text(&mut self, conn: &Connection, id: i64) -> Result<Rc<str>> {
        if let Some(t) = self.cache.get(&id) {
            return Ok(t.clone());
        }
        let t: Rc<str> = conn
            .prepare_cached("SELECT text FROM labels WHERE id = ?1")?
            .query_row(params![id], |r| r.get::<_, String>(0))
            .optional()?
            .unwrap_or_default()
            .into();
        self.cache.insert(id, t.clone());
        Ok(t)
    }

    pub fn opt(&mut self, conn: &Connection, id: Option<i64>) -> Result<Option<Rc<str>>> {
        id.map(|i| self.text(conn, i)).transpose()
    }
}

/// The id of an existing text, without inserting it: `None` when no line has that text (a filter
/// on it then matches nothing).
pub fn find(conn: &Connection, text: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT id FROM labels WHERE text = ?1")?
        .query_row(params![text], |r| r.get(0))
        .optional()?)
}
