//! The running service: `Application::build` opens the database, applies migrations, binds the
//! listener (port 0 picks a free one) and starts the mail worker; `run_until_stopped` serves until
//! SIGINT or SIGTERM, then finishes in-flight requests and the mail pass in progress.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::{from_fn, DefaultHeaders, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use secrecy::ExposeSecret;

use crate::api::{self, metrics::Metrics};
use crate::config::Settings;
use crate::db::Database;
use crate::mail::{worker::Worker, Sender};
use crate::services::auth::Policy;
use crate::services::payruns::RunPolicy;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] crate::db::DbError),
    #[error("{0}")]
    Mail(String),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

pub struct Application {
    port: u16,
    server: Server,
    db: Database,
    sender: Sender,
    settings: Arc<Settings>,
}

/// Opens the database named in the settings (off the async executor: connecting blocks).
pub async fn open_database(settings: &Settings) -> Result<Database, StartupError> {
    let url = settings.database.url.expose_secret().to_string();
    let size = settings.database.pool_size;
    let timeout = Duration::from_secs(settings.database.connect_timeout_secs.max(1));
    let db = tokio::task::spawn_blocking(move || Database::connect(&url, size, timeout))
        .await
        .map_err(|e| StartupError::Mail(format!("start-up was interrupted: {e}")))??;
    Ok(db)
}

impl Application {
    pub async fn build(mut settings: Settings) -> Result<Application, StartupError> {
        let db = open_database(&settings).await?;
        let migrator = db.clone();
        let applied = tokio::task::spawn_blocking(move || migrator.migrate())
            .await
            .map_err(|e| StartupError::Mail(format!("start-up was interrupted: {e}")))??;
        for name in &applied {
            tracing::info!(migration = %name, "applied migration");
        }
        let sender = Sender::from_settings(&settings.mail).map_err(StartupError::Mail)?;

        let address = format!("{}:{}", settings.server.host, settings.server.port);
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: address.clone(),
                source,
            })?
            .port();
        // Links in emails follow the port actually bound when public_url is not set.
        settings.server.port = port;
        if settings.server.public_url.is_empty() && settings.server.host != "127.0.0.1" {
            tracing::warn!(
                public_url = %settings.public_base(),
                "server.public_url is not set: links in emails use the listening address; set it to the address people use"
            );
        }
        let settings = Arc::new(settings);
        let server = http_server(listener, db.clone(), settings.clone())?;
        tracing::info!(
            address = %format!("http://{}:{port}", settings.server.host),
            database = db.backend_name(),
            "coprod is listening"
        );
        Ok(Application {
            port,
            server,
            db,
            sender,
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The settings as served: `server.port` is the port bound.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Serves until SIGINT or SIGTERM (or the server stops), then shuts down gracefully.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let worker = Worker::spawn(
            self.db.clone(),
            self.sender.clone(),
            Duration::from_millis(self.settings.mail.poll_interval_ms),
            vec![
                crate::services::invitations::reminder_job(self.settings.clone()),
                crate::services::personal::retention::job(self.settings.clone()),
            ],
        );
        let handle = self.server.handle();
        let mut server = tokio::spawn(self.server);
        let result = tokio::select! {
            r = &mut server => r,
            _ = shutdown_signal() => {
                tracing::info!("stopping: finishing requests in flight");
                handle.stop(true).await;
                server.await
            }
        };
        worker.stop().await;
        tracing::info!("stopped");
        match result {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(e)),
        }
    }
}

fn http_server(
    listener: TcpListener,
    db: Database,
    settings: Arc<Settings>,
) -> Result<Server, StartupError> {
    let metrics = web::Data::new(Metrics::default());
    let db = web::Data::new(db);
    let settings_data = web::Data::from(settings.clone());
    let policy = web::Data::new(Policy::new(&settings.auth, &settings.public_base()));
    let run_policy = web::Data::new(RunPolicy {
        approver_must_differ: settings.payruns.approver_must_differ,
        base_url: settings.public_base(),
    });
    let limit = settings.server.body_limit_bytes;
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(db.clone())
            .app_data(metrics.clone())
            .app_data(settings_data.clone())
            .app_data(policy.clone())
            .app_data(run_policy.clone())
            .app_data(web::PayloadConfig::new(limit))
            .app_data(api::extract::BodyLimit(limit))
            .app_data(web::QueryConfig::default().error_handler(api::extract::query_error))
            .app_data(web::PathConfig::default().error_handler(api::extract::path_error))
            .configure(api::configure)
            .configure(crate::web::configure)
            // Innermost first: problem bodies, then security headers, then the request log.
            // The API's and the portal's paths and query strings alike.
            .wrap(from_fn(api::middleware::refuse_nul_in_url))
            .wrap(ErrorHandlers::new().default_handler(api::error::ensure_problem_body))
            .wrap(
                DefaultHeaders::new()
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::CONTENT_SECURITY_POLICY, "frame-ancestors 'none'"))
                    .add((header::REFERRER_POLICY, "no-referrer"))
                    .add((header::CACHE_CONTROL, "no-store")),
            )
            .wrap(from_fn(api::middleware::observe))
    })
    .shutdown_timeout(settings.server.shutdown_timeout_secs)
    .disable_signals();
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    Ok(server
        .listen(listener)
        .map_err(|source| StartupError::Bind { address, source })?
        .run())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
