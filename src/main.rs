//! The `coprod` command: serve (the default), migrate, and mail. Only argument handling lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use coprod::app::{open_database, Application};
use coprod::config::Settings;
use coprod::mail::Sender;

#[derive(Parser)]
#[command(
    name = "coprod",
    version,
    about = "Fair, exact payments for people with lived experience in co-production."
)]
struct Cli {
    /// A settings file layered over config/default.toml and config/$COPROD_ENV.toml
    /// (COPROD__SECTION__KEY environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and send mail (the default). Applies pending migrations first.
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Work with the mail outbox.
    Mail {
        #[command(subcommand)]
        command: MailCommand,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send every message that is due now, once, then exit.
    SendPending,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    coprod::telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Mail {
                command: MailCommand::SendPending,
            } => send_pending(settings).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&*e),
    }
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn serve(settings: Settings) -> CliResult {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}

async fn migrate(settings: Settings) -> CliResult {
    let db = open_database(&settings).await?;
    let applied = tokio::task::spawn_blocking(move || db.migrate()).await??;
    if applied.is_empty() {
        println!("The database is up to date: no migration to apply.");
    } else {
        for name in applied {
            println!("applied {name}");
        }
    }
    Ok(())
}

async fn send_pending(settings: Settings) -> CliResult {
    let db = open_database(&settings).await?;
    let sender = Sender::from_settings(&settings.mail)?;
    let report = tokio::task::spawn_blocking(move || {
        db.migrate()?;
        sender.deliver_due(&db)
    })
    .await??;
    println!(
        "sent {}, to retry later {}, failed for good {}",
        report.sent, report.retrying, report.failed
    );
    Ok(())
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("coprod: {e}");
    ExitCode::FAILURE
}
