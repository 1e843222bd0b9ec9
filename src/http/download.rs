//! Downloads: a file whole (`attachment`), or a CSV written on a blocking thread and streamed to
//! the client in 64 KiB pieces as it is written (`stream`), so a large report never sits in memory.

use actix_web::{web, HttpResponse};

use crate::db::{Database, DbConnection};
use crate::services::Error;

/// Sends what a writer writes to the response in 64 KiB pieces.
pub struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<web::Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = web::Bytes::from(std::mem::take(&mut self.buf));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away")
        })
    }
}

fn disposition(filename: &str) -> (&'static str, String) {
    (
        "Content-Disposition",
        format!("attachment; filename=\"{filename}\""),
    )
}

/// A session's calendar file, to open or save as `session.ics`.
pub fn calendar(ics: String) -> HttpResponse {
    attachment(
        &crate::domain::calendar::content_type(crate::domain::calendar::Method::Publish),
        "session.ics",
        ics.into_bytes(),
    )
}

/// A JSON file of someone's own data, to save: never cached, never sniffed.
pub fn json_file<T: serde::Serialize>(filename: &str, value: &T) -> HttpResponse {
    match serde_json::to_vec_pretty(value) {
        Ok(bytes) => private_file("application/json", filename, bytes),
        Err(e) => {
            tracing::error!(error = %e, "a JSON file could not be written");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A file sent whole.
pub fn attachment(content_type: &str, filename: &str, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(disposition(filename))
        .body(bytes)
}

/// A file someone uploaded (a receipt), sent back only as a download: its stored type, never
/// sniffed by the browser (`nosniff`), never cached, and sandboxed should it be opened all the same.
pub fn private_file(content_type: &str, filename: &str, bytes: Vec<u8>) -> HttpResponse {
    use actix_web::http::header;
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(disposition(filename))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .body(bytes)
}

/// A file made on a blocking thread (a PDF, a workbook), sent whole.
pub async fn made<F, E>(make: F) -> Result<HttpResponse, Error>
where
    F: FnOnce() -> Result<(Vec<u8>, &'static str, String), E> + Send + 'static,
    E: Into<Error> + Send + 'static,
{
    let (bytes, content_type, name) = on_a_thread(make).await?;
    Ok(attachment(content_type, &name, bytes))
}

async fn on_a_thread<F, E>(make: F) -> Result<(Vec<u8>, &'static str, String), Error>
where
    F: FnOnce() -> Result<(Vec<u8>, &'static str, String), E> + Send + 'static,
    E: Into<Error> + Send + 'static,
{
    web::block(make)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("making the file failed: {e}")))?
        .map_err(Into::into)
}

/// How a member's copy is asked for in a page's address (`?format=pdf`; none: JSON).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CopyAsked {
    pub format: Option<String>,
}

/// Everything held about a member, as they asked for it: `json` (the default, for a computer)
/// or `pdf` (to read, in their formats). Never cached.
pub async fn personal_copy(
    db: &Database,
    settings: &crate::config::Settings,
    actor: crate::services::Actor,
    member_id: String,
    format: Option<&str>,
) -> Result<HttpResponse, Error> {
    use crate::services::personal;
    match format.unwrap_or("json") {
        "json" => {
            let export = db
                .run(move |c| personal::data_export(c, &actor, &member_id))
                .await?;
            Ok(json_file(&export.filename(), &export))
        }
        "pdf" => {
            let (name, contact) = (
                settings.organisation.name.trim().to_string(),
                settings.organisation.privacy_contact(),
            );
            let copy = db
                .run(move |c| personal::printable(c, &actor, &member_id, &name, &contact))
                .await?;
            let (bytes, content_type, name) = on_a_thread(move || {
                crate::export::personal::write_pdf(&copy)
                    .map(|b| (b, "application/pdf", copy.filename()))
            })
            .await?;
            Ok(private_file(content_type, &name, bytes))
        }
        _ => Err(Error::invalid("format", "must be json or pdf")),
    }
}

/// A recorded pay-run export: the workbook whole, the CSV formats streamed.
pub async fn export(
    db: &Database,
    formats: crate::services::exports::ExportSettings,
    plan: crate::services::exports::Export,
) -> Result<HttpResponse, Error> {
    use crate::services::exports::{self, Format};
    let filename = plan.filename.clone();
    if plan.format == Format::Xlsx {
        let bytes = db.run(move |c| exports::write_xlsx(c, &plan)).await?;
        return Ok(attachment(Format::Xlsx.content_type(), &filename, bytes));
    }
    let content_type = plan.format.content_type();
    Ok(stream(db, content_type, &filename, move |conn, w| {
        exports::write_csv(conn, &plan, &formats, 1000, w)
    }))
}

/// A file written by `write` on a blocking thread with a connection of its own, streamed as it is
/// written. An error part-way is logged and ends the body early (the status is already sent).
pub fn stream<F>(db: &Database, content_type: &str, filename: &str, write: F) -> HttpResponse
where
    F: FnOnce(&mut DbConnection, ChannelWriter) -> Result<ChannelWriter, Error> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<web::Bytes, std::io::Error>>(4);
    let pool = db.clone();
    let name = filename.to_string();
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(64 * 1024),
        };
        let written = pool
            .get()
            .map_err(Error::from)
            .and_then(|mut conn| write(&mut conn, writer));
        let finished = match written {
            Ok(mut w) => std::io::Write::flush(&mut w).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = finished {
            tracing::error!(error = %e, file = %name, "the download stopped part-way");
            let _ = tx.blocking_send(Err(std::io::Error::other(e)));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    HttpResponse::Ok()
        .content_type(content_type.to_string())
        .insert_header(disposition(filename))
        .streaming(body)
}
