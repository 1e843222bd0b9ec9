//! Who a token belongs to, in one query, and a short-lived in-process memory of the answer.
//!
//! Every authenticated request needs its session, its account and the groups a coordinator
//! coordinates. `by_token_hash` reads all three in one statement. `remembered` answers from memory
//! for up to the configured number of seconds (`auth.actor_cache_seconds`) without a connection.
//!
//! Forgetting is what makes it safe: what is remembered carries the generation of
//! `db::revocations` it was loaded under, and every change that can end a session or narrow an
//! account bumps that generation (at once, and again when its transaction ends), so everything
//! remembered in this process goes stale together. Another instance learns of the change when its
//! memory of that token ages out: the documented bound of `auth.actor_cache_seconds`.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::schema::{account_groups, accounts, sessions};
use super::sessions::SessionRow;
use super::{revocations, DbConnection};
use crate::domain::Role;

/// A session or API token with what its account may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRow {
    pub session: SessionRow,
    pub email: String,
    pub role: Role,
    pub member_id: Option<String>,
    pub disabled: bool,
    /// The groups the account coordinates, in order.
    pub group_ids: Vec<String>,
}

/// The session with the token of `hash`, its account and the account's groups: one statement.
pub fn by_token_hash(conn: &mut DbConnection, hash: &str) -> QueryResult<Option<ActorRow>> {
    type Found = (
        SessionRow,
        (String, Role, Option<String>, bool),
        Option<String>,
    );
    let rows: Vec<Found> = sessions::table
        .inner_join(accounts::table.on(accounts::id.eq(sessions::account_id)))
        .left_join(account_groups::table.on(account_groups::account_id.eq(accounts::id)))
        .filter(sessions::token_hash.eq(hash))
        .select((
            SessionRow::as_select(),
            (
                accounts::email,
                accounts::role,
                accounts::member_id,
                accounts::disabled,
            ),
            account_groups::group_id.nullable(),
        ))
        .order(account_groups::group_id)
        .load(conn)?;
    let mut rows = rows.into_iter();
    let Some((session, (email, role, member_id, disabled), first)) = rows.next() else {
        return Ok(None);
    };
    let group_ids = first
        .into_iter()
        .chain(rows.filter_map(|(_, _, g)| g))
        .collect();
    Ok(Some(ActorRow {
        session,
        email,
        role,
        member_id,
        disabled,
        group_ids,
    }))
}

/// More tokens than this remembered at once and the memory starts again empty.
const MOST_REMEMBERED: usize = 10_000;

struct Remembered {
    row: ActorRow,
    at: Instant,
    generation: u64,
}

/// Remembered rows by token hash, with the generation they were loaded under.
struct Memory {
    rows: Mutex<Option<HashMap<String, Remembered>>>,
}

impl Memory {
    const fn new() -> Memory {
        Memory {
            rows: Mutex::new(None),
        }
    }

    fn remembered(&self, hash: &str, ttl: Duration, generation_now: u64) -> Option<ActorRow> {
        if ttl.is_zero() {
            return None;
        }
        let rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let found = rows.as_ref()?.get(hash)?;
        (found.generation == generation_now && found.at.elapsed() < ttl).then(|| found.row.clone())
    }

    fn remember(
        &self,
        hash: &str,
        row: &ActorRow,
        ttl: Duration,
        generation_before: u64,
        generation_now: impl FnOnce() -> u64,
    ) {
        if ttl.is_zero() {
            return;
        }
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        // A change since the row was read: it may be out of date.
        if generation_now() != generation_before {
            return;
        }
        let map = rows.get_or_insert_with(HashMap::new);
        if map.len() >= MOST_REMEMBERED {
            map.clear();
        }
        map.insert(
            hash.to_string(),
            Remembered {
                row: row.clone(),
                at: Instant::now(),
                generation: generation_before,
            },
        );
    }

    fn clear(&self) {
        *self.rows.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The one memory of this process (this instance).
static MEMORY: Memory = Memory::new();

/// The generation now: read it before loading a row, and give it to `remember`.
pub fn generation() -> u64 {
    revocations::generation()
}

/// What is remembered of the token of `hash`, if it was remembered less than `ttl` ago and
/// nothing has changed since. A `ttl` of zero remembers nothing.
pub fn remembered(hash: &str, ttl: Duration) -> Option<ActorRow> {
    MEMORY.remembered(hash, ttl, revocations::generation())
}

/// Remembers `row` for the token of `hash`, unless something changed since `generation_before`
/// was read (the row may then be out of date).
pub fn remember(hash: &str, row: &ActorRow, generation_before: u64, ttl: Duration) {
    MEMORY.remember(hash, row, ttl, generation_before, revocations::generation);
}

/// Forgets everything remembered: for tests that move a session's times in the database
/// themselves, as another instance would.
pub fn forget_all() {
    revocations::bump();
    MEMORY.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str) -> ActorRow {
        let t = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap_or_default()
            .naive_utc();
        ActorRow {
            session: SessionRow {
                id: id.into(),
                account_id: "a".into(),
                kind: super::super::sessions::SESSION.into(),
                name: None,
                token_hash: format!("hash-{id}"),
                created_at: t,
                expires_at: t,
                last_used_at: t,
                revoked_at: None,
            },
            email: "a@example.org".into(),
            role: Role::Member,
            member_id: None,
            disabled: false,
            group_ids: vec![],
        }
    }

    #[test]
    fn a_change_makes_what_was_remembered_stale_and_a_late_load_is_not_kept() {
        let memory = Memory::new();
        let ttl = Duration::from_secs(60);
        memory.remember("t1", &row("s1"), ttl, 1, || 1);
        assert_eq!(memory.remembered("t1", ttl, 1), Some(row("s1")));
        assert_eq!(
            memory.remembered("t1", Duration::ZERO, 1),
            None,
            "0 turns it off"
        );
        assert_eq!(memory.remembered("t9", ttl, 1), None);
        // After a change (generation 2) what was remembered under 1 is stale.
        assert_eq!(memory.remembered("t1", ttl, 2), None);
        // A load that began before a change is not remembered: it may have read the old rows.
        memory.remember("t2", &row("s2"), ttl, 1, || 2);
        assert_eq!(memory.remembered("t2", ttl, 2), None);
        memory.remember("t3", &row("s3"), ttl, 2, || 2);
        assert_eq!(memory.remembered("t3", ttl, 2), Some(row("s3")));
        memory.clear();
        assert_eq!(memory.remembered("t3", ttl, 2), None);
    }

    #[test]
    fn what_was_remembered_ages_out() {
        let memory = Memory::new();
        let ttl = Duration::from_millis(20);
        memory.remember("t", &row("s"), ttl, 7, || 7);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(memory.remembered("t", ttl, 7), None);
    }
}
