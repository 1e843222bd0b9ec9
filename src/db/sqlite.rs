//! What every SQLite connection this process opens gets from its first moment.
//!
//! The query planner stability guarantee (`SQLITE_DBCONFIG_ENABLE_QPSG`). Without it, SQLite lets
//! the value bound to a parameter steer the plan of the statement it belongs to: a `LIMIT ?`, a
//! `LIKE ?`, and with statistics any comparison. A statement whose plan looked at a parameter is
//! compiled a second time after every new binding, so a cached statement such as "the session
//! with this token hash, `LIMIT 1`" was parsed and planned twice on every request. With the
//! guarantee the plan is made once, from the schema and indexes alone, as PostgreSQL's generic
//! plans are; no query here depends on the values to choose its index.
//!
//! The setting is per connection and has no `PRAGMA`, so it is applied from SQLite's own hook for
//! new connections (`sqlite3_auto_extension`), installed once before the first connection opens.

use std::ffi::{c_char, c_int};
use std::sync::Once;

use libsqlite3_sys as ffi;

/// Installs the hook; later calls do nothing. Connections opened before the first call (there
/// are none: `Database::connect` calls it first) keep SQLite's defaults.
pub(crate) fn install() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: `on_open` has the signature SQLite calls extension entry points with, and is
        // a plain function that lives as long as the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite's connection hook could not be installed");
        }
    });
}

/// Called by SQLite for each new connection, before `sqlite3_open` returns it.
unsafe extern "C" fn on_open(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    let mut now_on: c_int = 0;
    // SAFETY: `db` is the connection SQLite is opening; QPSG takes an int (1: on) and a pointer
    // to an int that receives the new state.
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            &mut now_on as *mut c_int,
        );
    }
    ffi::SQLITE_OK
}

/// Whether the connection `db` has the guarantee on (for the test).
#[cfg(test)]
fn qpsg_on(db: *mut ffi::sqlite3) -> bool {
    let mut on: c_int = 0;
    // SAFETY: -1 asks for the state without changing it.
    unsafe {
        ffi::sqlite3_db_config(
            db,
            ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            -1 as c_int,
            &mut on as *mut c_int,
        );
    }
    on == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_new_connection_has_a_stable_planner() {
        install();
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        let name = c":memory:";
        // SAFETY: a fresh in-memory database, closed below.
        let rc = unsafe { ffi::sqlite3_open(name.as_ptr(), &mut db) };
        assert_eq!(rc, ffi::SQLITE_OK);
        assert!(qpsg_on(db));
        // SAFETY: opened above and not used after.
        unsafe { ffi::sqlite3_close(db) };
    }
}
