//! Keyset paging: `?limit=` (default 50, at most 200) and `?cursor=` (the last id of the page
//! before). Never OFFSET, so deep pages cost what the first one does.

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, Default)]
pub struct PageRequest {
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The one answer to a cursor a list did not give out.
pub fn bad_cursor() -> super::Error {
    super::Error::invalid("cursor", "is not a cursor this list gave out")
}

impl PageRequest {
    /// The key the cursor holds, or None on the first page; a 422 naming `cursor` for anything
    /// this list did not give out.
    pub fn after<K: CursorKey>(&self) -> Result<Option<K>, super::Error> {
        match self.cursor.as_deref() {
            None => Ok(None),
            Some(c) => {
                use base64::Engine;
                let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(c)
                    .map_err(|_| bad_cursor())?;
                let text = String::from_utf8(bytes).map_err(|_| bad_cursor())?;
                let parts: Vec<String> = text.split('\u{1f}').map(str::to_string).collect();
                K::from_parts(&parts).map(Some).ok_or_else(bad_cursor)
            }
        }
    }

    /// The first `limit` items (for a page that shows a list of a fixed length).
    pub fn first(limit: i64) -> PageRequest {
        PageRequest::at(limit, None)
    }

    /// `limit` items after `cursor` (the first ones when it is `None`).
    pub fn at(limit: i64, cursor: Option<String>) -> PageRequest {
        PageRequest {
            limit: Some(limit),
            cursor,
        }
    }

    /// For lists whose cursor is the id of the last item (ids are UUIDs): that id, or a 422 for
    /// anything that is not one.
    pub fn after_id(&self) -> Result<Option<&str>, super::Error> {
        match self.cursor.as_deref() {
            None => Ok(None),
            Some(c) if uuid::Uuid::try_parse(c).is_ok() => Ok(Some(c)),
            Some(_) => Err(bad_cursor()),
        }
    }

    pub fn limit(&self) -> Result<i64, super::Error> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(super::Error::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }
}

/// A page of a list: `next_cursor` is null on the last page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `?cursor=` for the next page; null when there is none.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A short list returned whole, in the same `{items, next_cursor}` shape as paged ones.
    pub fn whole(items: Vec<T>) -> Page<T> {
        Page {
            items,
            next_cursor: None,
        }
    }

    /// From up to `limit + 1` rows: the extra row only says there is a next page.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        id_of: impl Fn(&R) -> String,
        view: impl FnMut(R) -> T,
    ) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&id_of)
        } else {
            None
        };
        Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// A sort key a list pages by, written into an opaque cursor and read back out of one. The key
/// types say what each list's cursor holds; a cursor that does not parse as the key is refused.
pub trait CursorKey: Sized {
    fn parts(&self) -> Vec<String>;
    fn from_parts(parts: &[String]) -> Option<Self>;
}

/// A position in a run (its lines, its payments).
impl CursorKey for i32 {
    fn parts(&self) -> Vec<String> {
        vec![self.to_string()]
    }
    fn from_parts(parts: &[String]) -> Option<i32> {
        match parts {
            [p] => p.parse().ok(),
            _ => None,
        }
    }
}

/// A text and an id (a name, then the id for ties).
impl CursorKey for (String, String) {
    fn parts(&self) -> Vec<String> {
        vec![self.0.clone(), self.1.clone()]
    }
    fn from_parts(parts: &[String]) -> Option<(String, String)> {
        match parts {
            [a, b] => Some((a.clone(), b.clone())),
            _ => None,
        }
    }
}

/// A date and an id.
impl CursorKey for (NaiveDate, String) {
    fn parts(&self) -> Vec<String> {
        vec![self.0.to_string(), self.1.clone()]
    }
    fn from_parts(parts: &[String]) -> Option<(NaiveDate, String)> {
        match parts {
            [d, id] => Some((d.parse().ok()?, id.clone())),
            _ => None,
        }
    }
}

const INSTANT: &str = "%Y-%m-%dT%H:%M:%S%.f";

/// An instant and an id.
impl CursorKey for (NaiveDateTime, String) {
    fn parts(&self) -> Vec<String> {
        vec![self.0.format(INSTANT).to_string(), self.1.clone()]
    }
    fn from_parts(parts: &[String]) -> Option<(NaiveDateTime, String)> {
        match parts {
            [at, id] => Some((NaiveDateTime::parse_from_str(at, INSTANT).ok()?, id.clone())),
            _ => None,
        }
    }
}

/// A date, an id and a position (a payment in the payments report).
impl CursorKey for (NaiveDate, String, i32) {
    fn parts(&self) -> Vec<String> {
        vec![self.0.to_string(), self.1.clone(), self.2.to_string()]
    }
    fn from_parts(parts: &[String]) -> Option<(NaiveDate, String, i32)> {
        match parts {
            [d, id, p] => Some((d.parse().ok()?, id.clone(), p.parse().ok()?)),
            _ => None,
        }
    }
}

/// The cursor for a key.
pub fn cursor_of<K: CursorKey>(key: &K) -> String {
    let parts = key.parts();
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    encode_cursor(&refs)
}

/// An opaque cursor made of the sort key of the last item of a page.
pub fn encode_cursor(parts: &[&str]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(parts.join("\u{1f}"))
}

/// The parts of a cursor made by `encode_cursor`, or a 422 naming `cursor`.
pub fn decode_cursor(cursor: &str, parts: usize) -> Result<Vec<String>, super::Error> {
    use base64::Engine;
    let bad = bad_cursor;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let split: Vec<String> = text.split('\u{1f}').map(str::to_string).collect();
    if split.len() == parts {
        Ok(split)
    } else {
        Err(bad())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let c = encode_cursor(&["Ann Smith", "01a2"]);
        assert_eq!(decode_cursor(&c, 2).unwrap(), ["Ann Smith", "01a2"]);
        assert!(decode_cursor(&c, 3).is_err());
        assert!(decode_cursor("!!!", 2).is_err());
    }

    #[test]
    fn typed_cursors_round_trip_and_refuse_other_shapes() {
        let page = |c: String| PageRequest {
            limit: None,
            cursor: Some(c),
        };
        let key = (
            NaiveDate::from_ymd_opt(2025, 7, 4).unwrap(),
            "01a2".to_string(),
        );
        let got: Option<(NaiveDate, String)> = page(cursor_of(&key)).after().unwrap();
        assert_eq!(got, Some(key.clone()));
        assert!(page(cursor_of(&key)).after::<i32>().is_err());
        assert!(page(cursor_of(&7)).after::<(NaiveDate, String)>().is_err());
        assert_eq!(page(cursor_of(&7)).after::<i32>().unwrap(), Some(7));
        let at = NaiveDate::from_ymd_opt(2025, 7, 4)
            .unwrap()
            .and_hms_micro_opt(9, 30, 0, 123_456)
            .unwrap();
        let got: Option<(NaiveDateTime, String)> =
            page(cursor_of(&(at, "x".to_string()))).after().unwrap();
        assert_eq!(got, Some((at, "x".to_string())));
        assert!(page("junk!".into()).after::<i32>().is_err());
        assert_eq!(PageRequest::default().after::<i32>().unwrap(), None);
    }

    #[test]
    fn id_cursors_must_be_ids() {
        let page = |c: &str| PageRequest {
            limit: None,
            cursor: Some(c.to_string()),
        };
        let id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
        assert_eq!(page(id).after_id().unwrap(), Some(id));
        assert!(page("garbage").after_id().is_err());
        assert!(page("").after_id().is_err());
        assert_eq!(PageRequest::default().after_id().unwrap(), None);
    }
}
