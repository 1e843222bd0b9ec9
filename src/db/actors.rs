//! Who a token belongs to, in one query, and a short-lived in-process memory of the answer.
//!
//! Every authenticated request needs its session, its account and the groups a coordinator
//! coordinates. `by_token_hash` reads all three in one statement. `remembered` answers from memory
//! for up to the configured number of seconds (`auth.actor_cache_seconds`) without a connection.
//!
//! Forgetting is what makes it safe. Every function of the data layer that can end a session or
//! change what an account may do (revoking sessions, changing or disabling an account, setting a
//! coordinator's groups, erasing a member) calls `changed()`, which makes everything remembered in
//! this process stale at once, and marks the thread so that `db::write_tx` makes it stale again
//! when its transaction commits (a request that read the old rows just before the commit cannot
//! then remember them). Another instance learns of the change when its memory of that token ages
//! out: the documented bound of `auth.actor_cache_seconds`.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use diesel::prelude::*;

use super::schema::{account_groups, accounts, sessions};
use super::sessions::SessionRow;
use super::DbConnection;
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

/// Remembered rows by token hash, and the generation they were loaded under.
struct Memory {
    rows: Mutex<Option<HashMap<String, Remembered>>>,
    /// Bumped by every change that may end a session or narrow an account; what was remembered
    /// under an older generation is stale.
    generation: AtomicU64,
}

impl Memory {
    const fn new() -> Memory {
        Memory {
            rows: Mutex::new(None),
            generation: AtomicU64::new(0),
        }
    }

    fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    fn remembered(&self, hash: &str, ttl: Duration) -> Option<ActorRow> {
        if ttl.is_zero() {
            return None;
        }
        let now = self.generation();
        let rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let found = rows.as_ref()?.get(hash)?;
        (found.generation == now && found.at.elapsed() < ttl).then(|| found.row.clone())
    }

    fn remember(&self, hash: &str, row: &ActorRow, generation_before: u64, ttl: Duration) {
        if ttl.is_zero() {
            return;
        }
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        // Checked under the lock, so a change cannot slip in between the check and the insert
        // unnoticed: `remembered` compares generations too.
        if self.generation() != generation_before {
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

    fn forget_all(&self) {
        self.bump();
        *self.rows.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// The one memory of this process (this instance).
static MEMORY: Memory = Memory::new();

thread_local! {
    /// This thread changed sessions or accounts in a transaction not yet ended.
    static CHANGED_IN_TX: Cell<bool> = const { Cell::new(false) };
}

/// The generation now: read it before loading a row, and give it to `remember`.
pub fn generation() -> u64 {
    MEMORY.generation()
}

/// What is remembered of the token of `hash`, if it was remembered less than `ttl` ago and
/// nothing has changed since. A `ttl` of zero remembers nothing.
pub fn remembered(hash: &str, ttl: Duration) -> Option<ActorRow> {
    MEMORY.remembered(hash, ttl)
}

/// Remembers `row` for the token of `hash`, unless something changed since `generation_before`
/// was read (the row may then be out of date).
pub fn remember(hash: &str, row: &ActorRow, generation_before: u64, ttl: Duration) {
    MEMORY.remember(hash, row, generation_before, ttl);
}

/// Something that may end a session or narrow an account was just written: nothing remembered is
/// trusted any more, now and again when the surrounding transaction (if any) ends.
pub fn changed() {
    MEMORY.bump();
    CHANGED_IN_TX.with(|c| c.set(true));
}

/// Called by `write_tx` when its outermost transaction has ended (committed or not).
pub(crate) fn transaction_ended() {
    if CHANGED_IN_TX.with(|c| c.replace(false)) {
        MEMORY.bump();
    }
}

/// Forgets everything remembered: for tests that move a session's times in the database
/// themselves, as another instance would.
pub fn forget_all() {
    MEMORY.forget_all();
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
        let before = memory.generation();
        memory.remember("t1", &row("s1"), before, ttl);
        assert_eq!(memory.remembered("t1", ttl), Some(row("s1")));
        assert_eq!(
            memory.remembered("t1", Duration::ZERO),
            None,
            "0 turns it off"
        );
        assert_eq!(memory.remembered("t9", ttl), None);

        // A load that began before a change is not remembered: it may have read the old rows.
        let during = memory.generation();
        memory.bump();
        assert_eq!(memory.remembered("t1", ttl), None);
        memory.remember("t2", &row("s2"), during, ttl);
        assert_eq!(memory.remembered("t2", ttl), None);

        let after = memory.generation();
        memory.remember("t3", &row("s3"), after, ttl);
        assert_eq!(memory.remembered("t3", ttl), Some(row("s3")));
        memory.forget_all();
        assert_eq!(memory.remembered("t3", ttl), None);
    }

    #[test]
    fn what_was_remembered_ages_out() {
        let memory = Memory::new();
        let ttl = Duration::from_millis(20);
        memory.remember("t", &row("s"), memory.generation(), ttl);
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(memory.remembered("t", ttl), None);
    }

    #[test]
    fn the_end_of_a_changing_transaction_changes_the_generation_again() {
        let start = generation();
        changed();
        let changed_at = generation();
        assert!(changed_at > start);
        transaction_ended();
        assert!(
            generation() > changed_at,
            "bumped again when the transaction ended"
        );
        // Other tests may bump it too; the flag itself is spent.
        assert!(!CHANGED_IN_TX.with(Cell::get));
    }
}
