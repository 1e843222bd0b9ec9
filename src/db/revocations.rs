//! The signal that something may have ended a session or narrowed an account: a generation
//! number, bumped by every such change, that the memory of actors (`db::actors`) compares with.
//!
//! Every function of the data layer that revokes sessions, changes an account's role, password or
//! state, sets a coordinator's groups or erases a member calls `changed()`, which bumps it at once
//! and marks the thread, so that `db::write_tx` bumps it again when its transaction ends: a request
//! that read the old rows just before the commit then cannot keep them.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// This thread changed sessions or accounts in a transaction not yet ended.
    static CHANGED_IN_TX: Cell<bool> = const { Cell::new(false) };
}

/// The generation now: read it before loading a row, and give it to `actors::remember`.
pub fn generation() -> u64 {
    GENERATION.load(Ordering::SeqCst)
}

/// Nothing remembered is trusted any more, now and again when the surrounding transaction (if
/// any) ends.
pub fn changed() {
    bump();
    CHANGED_IN_TX.with(|c| c.set(true));
}

/// Called by `write_tx` when its outermost transaction has ended (committed or not).
pub(crate) fn transaction_ended() {
    if CHANGED_IN_TX.with(|c| c.replace(false)) {
        bump();
    }
}

pub(crate) fn bump() {
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

#[cfg(test)]
mod tests {
    use super::*;

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
