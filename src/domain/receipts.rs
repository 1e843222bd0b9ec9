//! Receipts: which files are accepted, decided from their first bytes (their magic numbers) and
//! never from their names or the type a browser claims, and the name a file is sent back under.

crate::codes! {
    /// The kinds of file a receipt may be, as the media type it is stored and sent with.
    pub enum ReceiptType ("receipt file type") {
        Jpeg = "image/jpeg",
        Png = "image/png",
        Heic = "image/heic",
        Pdf = "application/pdf",
    }
}

/// The most a receipt may be unless `receipts.max_bytes` says otherwise: 10 MiB.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// How many of a file's first bytes `sniff` needs to decide.
pub const SNIFF_BYTES: usize = 12;

/// The brands of an ISO media file (`ftyp` box) that mark a HEIF image, as phones write them.
const HEIF_BRANDS: [&[u8; 4]; 5] = [b"heic", b"heix", b"mif1", b"heif", b"hevc"];

impl ReceiptType {
    /// The type of a file from its first bytes, or None for anything that is not a JPEG, PNG, HEIC
    /// or PDF (whatever it is called).
    pub fn sniff(bytes: &[u8]) -> Option<ReceiptType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ReceiptType::Jpeg)
        } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(ReceiptType::Png)
        } else if bytes.starts_with(b"%PDF-") {
            Some(ReceiptType::Pdf)
        } else if bytes.get(4..8) == Some(b"ftyp")
            && bytes
                .get(8..12)
                .is_some_and(|brand| HEIF_BRANDS.iter().any(|b| b.as_slice() == brand))
        {
            Some(ReceiptType::Heic)
        } else {
            None
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ReceiptType::Jpeg => "jpg",
            ReceiptType::Png => "png",
            ReceiptType::Heic => "heic",
            ReceiptType::Pdf => "pdf",
        }
    }

    /// How a person would call it.
    pub fn words(self) -> &'static str {
        match self {
            ReceiptType::Jpeg => "JPEG image",
            ReceiptType::Png => "PNG image",
            ReceiptType::Heic => "HEIC photo",
            ReceiptType::Pdf => "PDF",
        }
    }
}

/// The longest file name kept, in characters.
pub const MAX_FILENAME_CHARS: usize = 120;

/// A file name safe to keep and to send back in `Content-Disposition`: only the last part of a
/// path, without control characters, quotes, backslashes or characters outside printable ASCII
/// (each becomes `_`), at most `MAX_FILENAME_CHARS` long, never empty or only dots. A name with no
/// extension gets the type's own.
pub fn safe_filename(given: &str, kind: ReceiptType) -> String {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = last
        .chars()
        .map(|c| match c {
            ' ' | '-' | '_' | '.' | '(' | ')' | '+' | ',' => c,
            c if c.is_ascii_alphanumeric() => c,
            _ => '_',
        })
        .collect();
    name = name.trim_matches([' ', '.']).to_string();
    if name.chars().all(|c| c == '_') {
        name = "receipt".to_string();
    }
    let has_extension = name
        .rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && !ext.is_empty() && ext.len() <= 5);
    if !has_extension {
        name = format!("{name}.{}", kind.extension());
    }
    if name.chars().count() > MAX_FILENAME_CHARS {
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e).to_string();
        let keep = MAX_FILENAME_CHARS - ext.len() - 1;
        let stem: String = name.chars().take(keep).collect();
        name = format!("{}.{ext}", stem.trim_end_matches(['.', ' ']));
    }
    name
}

/// Why a file is not taken as a receipt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAReceipt {
    #[error("the file is empty")]
    Empty,
    #[error("the file is larger than {max} bytes")]
    TooLarge { max: u64 },
    #[error("the file is not a JPEG, PNG, HEIC or PDF")]
    NotAccepted,
}

/// A file checked to be a receipt: not empty, not too large, of an accepted type (from its bytes),
/// with a safe name and its digest. The only way to make one is `parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFile {
    kind: ReceiptType,
    filename: String,
    sha256: String,
    bytes: Vec<u8>,
}

impl ReceiptFile {
    pub fn parse(
        given_name: &str,
        bytes: Vec<u8>,
        max_bytes: u64,
    ) -> Result<ReceiptFile, NotAReceipt> {
        if bytes.is_empty() {
            return Err(NotAReceipt::Empty);
        }
        if u64::try_from(bytes.len()).map_or(true, |n| n > max_bytes) {
            return Err(NotAReceipt::TooLarge { max: max_bytes });
        }
        let kind = ReceiptType::sniff(&bytes).ok_or(NotAReceipt::NotAccepted)?;
        Ok(ReceiptFile {
            kind,
            filename: safe_filename(given_name, kind),
            sha256: sha256_hex(&bytes),
            bytes,
        })
    }

    pub fn kind(&self) -> ReceiptType {
        self.kind
    }

    pub fn filename(&self) -> &str {
        &self.filename
    }

    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true: an empty file is not a receipt.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The SHA-256 of a file, in lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const JPEG: &[u8] = &[
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0, 1,
    ];
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D,
    ];

    fn heif(brand: &[u8; 4]) -> Vec<u8> {
        let mut b = vec![0, 0, 0, 0x18];
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(brand);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b
    }

    #[test]
    fn each_accepted_type_is_known_by_its_first_bytes() {
        assert_eq!(ReceiptType::sniff(JPEG), Some(ReceiptType::Jpeg));
        assert_eq!(ReceiptType::sniff(PNG), Some(ReceiptType::Png));
        assert_eq!(
            ReceiptType::sniff(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3"),
            Some(ReceiptType::Pdf)
        );
        for brand in HEIF_BRANDS {
            assert_eq!(
                ReceiptType::sniff(&heif(brand)),
                Some(ReceiptType::Heic),
                "{brand:?}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_whatever_it_is_called() {
        // A Windows program called receipt.jpg is still a program.
        let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF";
        assert_eq!(ReceiptType::sniff(exe), None);
        for other in [
            &b""[..],
            b"\xFF\xD8",                                 // a JPEG cut short
            b"\x89PNG\r\n\x1A",                          // a PNG cut short
            b"%PDF",                                     // no dash
            b"GIF89a\x01\x00\x01\x00",                   // a GIF
            b"<svg xmlns='http://www.w3.org/2000/svg'>", // SVG can hold script
            b"<html><script>alert(1)</script>",
            b"PK\x03\x04\x14\x00",       // a zip (and every Office file)
            b"\x00\x00\x00\x18ftypmp42", // an MP4 video
            b"\x00\x00\x00\x18ftypavif", // AVIF, not HEIC
            b"ftypheic\x00\x00\x00\x00", // the box at the wrong offset
        ] {
            assert_eq!(ReceiptType::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn codes_are_media_types() {
        assert_eq!(ReceiptType::Jpeg.as_str(), "image/jpeg");
        assert_eq!(
            ReceiptType::parse("application/pdf"),
            Some(ReceiptType::Pdf)
        );
        assert_eq!(ReceiptType::parse("image/gif"), None);
    }

    #[test]
    fn names_are_made_safe_to_send_back() {
        let jpeg = ReceiptType::Jpeg;
        assert_eq!(safe_filename("taxi 12-06.jpg", jpeg), "taxi 12-06.jpg");
        assert_eq!(safe_filename("C:\\Users\\sam\\bus.png", jpeg), "bus.png");
        assert_eq!(safe_filename("../../etc/passwd", jpeg), "passwd.jpg");
        assert_eq!(
            safe_filename("a\"; filename=evil.exe\r\nX: y.pdf", jpeg),
            "a__ filename_evil.exe__X_ y.pdf"
        );
        assert_eq!(safe_filename("café reçu.jpg", jpeg), "caf_ re_u.jpg");
        assert_eq!(safe_filename("", jpeg), "receipt.jpg");
        assert_eq!(safe_filename("...", ReceiptType::Pdf), "receipt.pdf");
        assert_eq!(safe_filename("🙂🙂", ReceiptType::Png), "receipt.png");
        assert_eq!(safe_filename("scan", ReceiptType::Pdf), "scan.pdf");
        assert_eq!(safe_filename(".hidden", ReceiptType::Pdf), "hidden.pdf");
        let long = format!("{}.pdf", "x".repeat(500));
        let safe = safe_filename(&long, ReceiptType::Pdf);
        assert_eq!(safe.chars().count(), MAX_FILENAME_CHARS);
        assert!(safe.ends_with("x.pdf"), "{safe}");
        for name in ["a\u{0}b.jpg", "tab\there.jpg", "new\nline.jpg"] {
            let safe = safe_filename(name, jpeg);
            assert!(
                safe.chars().all(|c| c.is_ascii_graphic() || c == ' '),
                "{safe:?}"
            );
        }
    }

    #[test]
    fn a_receipt_is_parsed_whole_or_not_at_all() {
        let file = ReceiptFile::parse("bus.jpg", JPEG.to_vec(), 100).unwrap();
        assert_eq!(file.kind(), ReceiptType::Jpeg);
        assert_eq!(file.filename(), "bus.jpg");
        assert_eq!(file.len(), JPEG.len());
        assert_eq!(file.sha256(), sha256_hex(JPEG));
        // The name says JPEG, the bytes say PNG: the bytes win, the name is kept.
        assert_eq!(
            ReceiptFile::parse("x.jpg", PNG.to_vec(), 100)
                .unwrap()
                .kind(),
            ReceiptType::Png
        );
        assert_eq!(
            ReceiptFile::parse("a.jpg", Vec::new(), 100),
            Err(NotAReceipt::Empty)
        );
        assert_eq!(
            ReceiptFile::parse("a.jpg", JPEG.to_vec(), 11),
            Err(NotAReceipt::TooLarge { max: 11 })
        );
        assert_eq!(
            ReceiptFile::parse("receipt.jpg", b"MZ\x90\x00".to_vec(), 100),
            Err(NotAReceipt::NotAccepted)
        );
    }

    #[test]
    fn digests_are_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
