//! Integration tests: each starts the real server on a free port with a fresh database and talks
//! HTTP. One binary, so the crate links once.

// A test or a benchmark that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod actor_memory;
mod admin_pages;
mod audit;
mod browser;
mod browser_admin;
mod browser_finance;
mod browser_member;
mod browser_personal;
mod browser_sessions;
mod cli;
mod contracts;
mod coordinator_pages;
mod costs;
mod demo;
mod doors;
mod erasure;
mod errors;
mod faults;
mod finance_pages;
mod formats;
mod fuzz_fixes;
mod health;
mod invitations;
mod layout;
mod letter;
mod limits;
mod logs;
mod mail;
mod member_pages;
mod ops_db;
mod payruns;
mod personal;
mod portal;
mod reading;
mod receipts;
mod records;
mod retention;
mod roles;
mod routes;
mod schema;
mod sessions;
mod statements;
mod summary;
