//! The formats a member asks to read things in: large print (statements and letters in at least
//! 16 point, emails in larger text) and Easy Read (short sentences, one idea each, the key figure
//! first). A member may want both, or neither. Stored as a comma list of codes in a fixed order,
//! so one set of formats has one spelling (the database CHECKs the same list).

crate::codes! {
    /// A way of reading a member has asked for.
    pub enum Format ("format") {
        LargePrint = "large_print",
        EasyRead = "easy_read",
    }
}

/// A member's preferred formats: none, one or both.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Formats {
    large_print: bool,
    easy_read: bool,
}

impl Formats {
    pub const NONE: Formats = Formats {
        large_print: false,
        easy_read: false,
    };

    /// The formats named, in any order, each at most once counted.
    pub fn of<'a>(formats: impl IntoIterator<Item = &'a Format>) -> Formats {
        let mut out = Formats::NONE;
        for f in formats {
            match f {
                Format::LargePrint => out.large_print = true,
                Format::EasyRead => out.easy_read = true,
            }
        }
        out
    }

    /// Codes as given by a person or a client: each must be known; repeats are ignored. The
    /// error names the position of the first unknown code.
    pub fn parse_codes<S: AsRef<str>>(codes: &[S]) -> Result<Formats, (usize, String)> {
        let mut listed = Vec::with_capacity(codes.len());
        for (i, code) in codes.iter().enumerate() {
            match Format::parse(code.as_ref().trim()) {
                Some(f) => listed.push(f),
                None => return Err((i, format!("must be one of {}", Format::CODES.join(", ")))),
            }
        }
        Ok(Formats::of(&listed))
    }

    /// The stored spelling: `""`, `large_print`, `easy_read` or `large_print,easy_read`. Unknown
    /// codes (which the database's CHECK keeps out) are skipped.
    pub fn from_stored(s: &str) -> Formats {
        let listed: Vec<Format> = s
            .split(',')
            .filter_map(|c| Format::parse(c.trim()))
            .collect();
        Formats::of(&listed)
    }

    pub fn to_stored(self) -> String {
        self.list()
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The formats, in the order of `Format::ALL`.
    pub fn list(self) -> Vec<Format> {
        Format::ALL
            .iter()
            .copied()
            .filter(|f| self.has(*f))
            .collect()
    }

    pub fn has(self, f: Format) -> bool {
        match f {
            Format::LargePrint => self.large_print,
            Format::EasyRead => self.easy_read,
        }
    }

    pub fn large_print(self) -> bool {
        self.large_print
    }

    pub fn easy_read(self) -> bool {
        self.easy_read
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_have_one_stored_spelling() {
        let both = Formats::parse_codes(&["easy_read", "large_print", "easy_read"]).unwrap();
        assert_eq!(both.to_stored(), "large_print,easy_read");
        assert_eq!(Formats::from_stored("large_print,easy_read"), both);
        assert_eq!(Formats::from_stored(""), Formats::NONE);
        assert_eq!(Formats::NONE.to_stored(), "");
        assert!(Formats::from_stored("easy_read").easy_read());
        assert!(!Formats::from_stored("easy_read").large_print());
        assert_eq!(both.list(), [Format::LargePrint, Format::EasyRead]);
        let none: [&str; 0] = [];
        assert_eq!(Formats::parse_codes(&none), Ok(Formats::NONE));
    }

    #[test]
    fn unknown_formats_are_refused_by_position() {
        let err = Formats::parse_codes(&["large_print", "braille"]).unwrap_err();
        assert_eq!(err.0, 1);
        assert_eq!(err.1, "must be one of large_print, easy_read");
    }
}
