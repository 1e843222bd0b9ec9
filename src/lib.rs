//! coprod: records co-production work and pays the people who do it, exactly and on their terms.

pub mod api;
pub mod app;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod export;
pub mod http;
pub mod mail;
pub mod services;
pub mod telemetry;
pub mod web;
