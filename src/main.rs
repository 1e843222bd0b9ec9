//! The `coprod` command: serve (the default), migrate, mail, admin, demo and db. Only argument
//! handling lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use coprod::app::{open_database, Application};
use coprod::config::{MailTransportKind, Settings};
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
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Back up the database, or copy it to another one.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Apply the retention rules (`[retention]` settings) now: empty old emails' texts, remove old
    /// receipts, erase the personal details of members whose time is up. Each removal goes in the
    /// audit trail with its rule. `coprod serve` does this once a day by itself.
    Retention {
        /// List what would be removed, and why, and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Fill an empty database with a sample advisory group (people, sessions, claims, a paid and a
    /// draft pay run), print demo sign-ins for each role, then serve. Refuses a database that
    /// already has accounts, members or groups.
    Demo {
        /// Seed and print the sign-ins, then exit instead of serving.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make an admin account. The password is asked for on the terminal (twice), or read from the
    /// first line of standard input with --password-stdin.
    Create {
        /// The admin's email address, used to sign in.
        #[arg(long)]
        email: String,
        /// Read the password from standard input instead of asking on the terminal.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Write a consistent copy of the SQLite database named by database.url to FILE, while coprod
    /// keeps running. FILE must not exist yet. For PostgreSQL, use pg_dump.
    Backup {
        /// Where to write the backup (a new file).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Copy every row of a coprod database into a new, empty one, on the same or the other
    /// backend, keeping every id. The target is migrated first; the copy is one transaction,
    /// checked (row counts, money totals, every row read back) before it commits, and rolled back
    /// on any difference. The source may stay in use: it is read as one snapshot.
    Copy {
        /// The database to copy: sqlite://path or postgres://user:password@host/database.
        #[arg(
            long,
            value_name = "URL",
            env = "COPROD_COPY_FROM",
            hide_env_values = true
        )]
        from: String,
        /// The new, empty database to fill (a SQLite file is created if need be).
        #[arg(
            long,
            value_name = "URL",
            env = "COPROD_COPY_TO",
            hide_env_values = true
        )]
        to: String,
        /// Rows per INSERT.
        #[arg(long, value_name = "ROWS", default_value_t = 1000,
              value_parser = clap::value_parser!(u64).range(1..=10_000))]
        batch_rows: u64,
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
            Command::Admin {
                command:
                    AdminCommand::Create {
                        email,
                        password_stdin,
                    },
            } => create_admin(settings, email, password_stdin).await,
            Command::Demo { no_serve } => demo(settings, no_serve).await,
            Command::Retention { dry_run } => retention(settings, dry_run).await,
            Command::Db {
                command: DbCommand::Backup { file },
            } => backup(settings, file).await,
            Command::Db {
                command:
                    DbCommand::Copy {
                        from,
                        to,
                        batch_rows,
                    },
            } => copy(settings, from, to, batch_rows).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&*e),
    }
}

type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

async fn serve(settings: Settings) -> CliResult {
    let app = Application::build(settings).await?;
    let db = app.database().clone();
    let has_admin = tokio::task::spawn_blocking(move || {
        let mut conn = db.get()?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(coprod::services::accounts::admin_exists(
            &mut conn,
        )?)
    })
    .await??;
    if !has_admin {
        tracing::warn!(
            "no admin account exists yet; make one with: coprod admin create --email you@example.org"
        );
    }
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

async fn create_admin(settings: Settings, email: String, password_stdin: bool) -> CliResult {
    use secrecy::{ExposeSecret, SecretString};
    use std::io::IsTerminal;

    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        SecretString::from(line.trim_end_matches(['\r', '\n']).to_string())
    } else {
        if !std::io::stdin().is_terminal() {
            return Err(
                "there is no terminal to ask for a password on: pipe it in with --password-stdin"
                    .into(),
            );
        }
        let first = SecretString::from(rpassword::prompt_password("Password for the new admin: ")?);
        let again = SecretString::from(rpassword::prompt_password("The same password again: ")?);
        if first.expose_secret() != again.expose_secret() {
            return Err("the two passwords differ; nothing was changed".into());
        }
        first
    };
    let password = coprod::domain::NewPassword::parse(&password, &[&email])
        .map_err(|m| format!("the password {m}"))?;
    let db = open_database(&settings).await?;
    let view = tokio::task::spawn_blocking(move || {
        db.migrate()?;
        let hash = coprod::services::secrets::hash_password(&password)?;
        let mut conn = db.get()?;
        Ok::<_, Box<dyn std::error::Error + Send + Sync>>(coprod::services::accounts::create_admin(
            &mut conn, &email, hash,
        )?)
    })
    .await??;
    println!(
        "Admin {} created. Sign in with POST /api/v1/auth/login.",
        view.email
    );
    Ok(())
}

/// Seeds the sample into an empty database, prints its sign-ins, then serves as `serve` does. When
/// it serves, it binds first, so the address it prints (and the links in its emails) are the ones
/// it listens on.
async fn demo(settings: Settings, no_serve: bool) -> CliResult {
    let app = if no_serve {
        None
    } else {
        Some(Application::build(settings.clone()).await?)
    };
    let settings = app.as_ref().map_or(settings, |a| a.settings().clone());
    let db = match &app {
        Some(a) => a.database().clone(),
        None => open_database(&settings).await?,
    };
    let today = settings.today();
    let seeding = settings.clone();
    let demo = tokio::task::spawn_blocking(move || {
        db.migrate()?;
        coprod::demo::seed(&db, &seeding, today)
    })
    .await??;
    print!("{}", demo.summary(&settings.public_base()));
    if settings.mail.transport == MailTransportKind::File {
        println!(
            "\nThe emails it queued (invitations, choices recorded, payment notices) are written as .eml files to {} when they are sent.",
            settings.mail.dir.display()
        );
    }
    let Some(app) = app else {
        println!("\nServe it with `coprod serve` (same settings, same database).");
        return Ok(());
    };
    println!("\nServing now; stop with Ctrl-C.");
    app.run_until_stopped().await?;
    Ok(())
}

/// Applies the retention rules now (or lists what they would remove), printing each item.
async fn retention(settings: Settings, dry_run: bool) -> CliResult {
    use coprod::services::personal::retention::{self, Rules};
    let db = open_database(&settings).await?;
    let (rules, today) = (Rules::from(&settings.retention), settings.today());
    let report = tokio::task::spawn_blocking(move || {
        db.migrate()?;
        let mut conn = db.get()?;
        let report = if dry_run {
            retention::due(&mut conn, rules, today)
        } else {
            retention::apply(&mut conn, rules, today)
        };
        report.map_err(|e| anyhow::anyhow!("{e}"))
    })
    .await??;
    let verb = if dry_run { "would remove" } else { "removed" };
    for d in &report.removed {
        println!(
            "{verb} {} {} ({}: {})",
            d.kind.replace('_', " "),
            d.id,
            d.rule,
            d.why
        );
    }
    for d in &report.held {
        println!("kept for now: member {} ({}: {})", d.id, d.rule, d.why);
    }
    println!(
        "{} {} item(s); {} member(s) due but kept until what is owed to them is settled.{}",
        if dry_run { "Would remove" } else { "Removed" },
        report.removed.len(),
        report.held.len(),
        if dry_run { " Nothing was changed." } else { "" }
    );
    Ok(())
}

/// Backs up the SQLite database named by database.url, without migrating it first.
async fn backup(settings: Settings, file: PathBuf) -> CliResult {
    use secrecy::ExposeSecret;
    let url = settings.database.url.expose_secret().to_string();
    let report =
        tokio::task::spawn_blocking(move || coprod::db::backup::backup(&url, &file)).await??;
    print!("{report}");
    Ok(())
}

/// Copies one database into another; the settings give only the connection time-out.
async fn copy(settings: Settings, from: String, to: String, batch_rows: u64) -> CliResult {
    use coprod::db::copy::CopyError;
    let timeout = std::time::Duration::from_secs(settings.database.connect_timeout_secs.max(1));
    let batch_rows = usize::try_from(batch_rows).unwrap_or(coprod::db::copy::DEFAULT_BATCH_ROWS);
    let result = tokio::task::spawn_blocking(move || {
        coprod::db::copy::copy(&from, &to, batch_rows, timeout)
    })
    .await?;
    match result {
        Ok(report) => {
            print!("{report}");
            println!("Point database.url at the target and start coprod.");
            Ok(())
        }
        Err(CopyError::Mismatch(report)) => {
            print!("{report}");
            Err(CopyError::Mismatch(report).into())
        }
        Err(e) => Err(e.into()),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("coprod: {e}");
    ExitCode::FAILURE
}
