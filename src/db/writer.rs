//! One writer at a time per SQLite database, taking turns in this process instead of in SQLite.
//!
//! SQLite lets one transaction write at a time. A second writer that finds the lock taken sleeps
//! and tries again (`busy_timeout`), in steps that grow to 100 ms, so under load a write can wait
//! far longer than the writes ahead of it took, and the order is luck. Within one process the
//! writers can instead queue on a lock of their own: the next one starts the moment the last one
//! ends. `Database::run` tells the blocking thread which database's lock is its; `write_tx` takes
//! it around an outermost SQLite transaction. Work outside `Database::run` (and other processes)
//! still meets SQLite's own lock and `busy_timeout`, as before.

use std::cell::RefCell;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a writer waits for its turn before going ahead to meet SQLite's own lock (and its
/// `busy_timeout`), as it would without this lock.
const MOST_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
pub(crate) struct WriterLock {
    busy: Mutex<bool>,
    freed: Condvar,
}

impl WriterLock {
    /// Waits for the turn, at most `wait`; false when it did not come.
    fn acquire(&self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        while *busy {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            busy = self
                .freed
                .wait_timeout(busy, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        *busy = true;
        true
    }

    fn release(&self) {
        *self.busy.lock().unwrap_or_else(PoisonError::into_inner) = false;
        self.freed.notify_one();
    }
}

thread_local! {
    /// The writer lock of the database whose work this thread is doing, if any.
    static CURRENT: RefCell<Option<Arc<WriterLock>>> = const { RefCell::new(None) };
}

/// While alive, this thread works for the database of `lock`.
pub(crate) struct Working(Option<Arc<WriterLock>>);

impl Working {
    pub(crate) fn on(lock: Option<Arc<WriterLock>>) -> Working {
        Working(CURRENT.with(|c| c.replace(lock)))
    }
}

impl Drop for Working {
    fn drop(&mut self) {
        let before = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = before);
    }
}

/// This thread's turn to write, held until dropped; nothing when the thread works for no
/// database (or a PostgreSQL one), or when the turn did not come in time.
pub(crate) struct Turn(Option<Arc<WriterLock>>);

impl Turn {
    pub(crate) fn take() -> Turn {
        let lock = CURRENT.with(|c| c.borrow().clone());
        Turn(lock.filter(|l| l.acquire(MOST_WAIT)))
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(lock) = self.0.take() {
            lock.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_take_turns_and_a_late_one_goes_ahead() {
        let lock = Arc::new(WriterLock::default());
        assert!(lock.acquire(Duration::ZERO));
        assert!(!lock.acquire(Duration::from_millis(10)), "taken");
        let other = lock.clone();
        let waiter = std::thread::spawn(move || other.acquire(Duration::from_secs(5)));
        std::thread::sleep(Duration::from_millis(20));
        lock.release();
        assert!(waiter.join().unwrap_or(false), "the waiter's turn came");
        lock.release();

        let _working = Working::on(Some(lock.clone()));
        {
            let _turn = Turn::take();
            assert!(!lock.acquire(Duration::ZERO), "held by the turn");
        }
        assert!(lock.acquire(Duration::ZERO), "freed when the turn ends");
        lock.release();
    }
}
