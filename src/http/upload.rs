//! A browser's file upload: a multipart/form-data body with short text fields (a CSRF token) and
//! one part named `file`, read with a running limit so a huge upload stops at the limit. The
//! portal's receipt upload reads it here; what a file must be is `domain::receipts`' rule.

use actix_multipart::Multipart;
use futures_util::StreamExt;

/// The most the text fields of an upload form may hold together.
const FIELDS_MAX: usize = 16 * 1024;

/// Why an upload could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadError {
    /// Not a readable multipart body.
    Unreadable,
    /// The file (or the other fields) went past the limit.
    TooLarge,
    /// No part named `file`, or more than one.
    NoFile,
}

/// An upload as read: its text fields, and the file with the name it was sent under.
#[derive(Debug, Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub file: Option<(String, Vec<u8>)>,
}

impl Upload {
    pub fn field(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

async fn read_part(
    field: &mut actix_multipart::Field,
    max: usize,
) -> Result<Option<Vec<u8>>, UploadError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk.map_err(|_| UploadError::Unreadable)?;
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// Reads the whole form; the file at most `max_file` bytes.
pub async fn read(mut parts: Multipart, max_file: u64) -> Result<Upload, UploadError> {
    let limit = usize::try_from(max_file).unwrap_or(usize::MAX);
    let mut upload = Upload::default();
    let mut text = 0;
    while let Some(field) = parts.next().await {
        let mut field = field.map_err(|_| UploadError::Unreadable)?;
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let given = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_string();
            let bytes = read_part(&mut field, limit)
                .await?
                .ok_or(UploadError::TooLarge)?;
            if upload.file.is_some() {
                return Err(UploadError::NoFile);
            }
            // A file input left empty sends a part with no name and no bytes.
            if !(given.is_empty() && bytes.is_empty()) {
                upload.file = Some((given, bytes));
            }
            continue;
        }
        let bytes = read_part(&mut field, FIELDS_MAX - text)
            .await?
            .ok_or(UploadError::TooLarge)?;
        text += bytes.len();
        upload
            .fields
            .push((name, String::from_utf8_lossy(&bytes).into_owned()));
    }
    Ok(upload)
}
