//! Closed lists of codes: states and choices stored as text (with a CHECK in the database) and sent
//! as strings in JSON. `codes!` writes each as a Rust enum with `as_str`, `parse`, `ALL`, `CODES`,
//! `Display`, serde and an OpenAPI schema listing its values, so an unknown value is an error where
//! it is read, and adding a variant makes the compiler point at every `match` that must handle it.
//! The database layer stores them as text (`db::codes`).

/// A code that is not one of the list, read from storage or input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {what} (expected one of {expected})")]
pub struct UnknownCode {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// Writes a code enum: `codes! { /// doc  pub enum RunStatus ("run status") { Draft = "draft", … } }`.
#[macro_export]
macro_rules! codes {
    ($(
        $(#[$meta:meta])*
        pub enum $name:ident ($what:literal) {
            $($(#[$vmeta:meta])* $variant:ident = $code:literal),+ $(,)?
        }
    )+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every value's code, in the same order.
            pub const CODES: &'static [&'static str] = &[$($code),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $code),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($code => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// As `parse`, with an error that names the list.
            pub fn from_code(s: &str) -> Result<$name, $crate::domain::codes::UnknownCode> {
                $name::parse(s).ok_or_else(|| $crate::domain::codes::UnknownCode {
                    what: $what,
                    value: s.to_string(),
                    expected: $name::CODES.join(", "),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::codes::UnknownCode;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                $name::from_code(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::codes::UnknownCode;
            fn try_from(s: String) -> Result<$name, Self::Error> {
                $name::from_code(&s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "must be one of {}",
                        $name::CODES.join(", ")
                    ))
                })
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::new(
                        utoipa::openapi::schema::Type::String,
                    ))
                    .enum_values(Some($name::CODES.iter().copied()))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )+};
}

#[cfg(test)]
mod tests {
    crate::codes! {
        /// A test list.
        pub enum Colour ("colour") {
            Red = "red",
            DarkBlue = "dark_blue",
        }
    }

    #[test]
    fn codes_round_trip_and_refuse_strangers() {
        for c in Colour::ALL {
            assert_eq!(Colour::parse(c.as_str()), Some(*c));
            assert_eq!(Colour::try_from(c.to_string()), Ok(*c));
        }
        assert_eq!(Colour::CODES, ["red", "dark_blue"]);
        let err = Colour::from_code("green").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"green\" is not a colour (expected one of red, dark_blue)"
        );
        assert_eq!(
            serde_json::to_string(&Colour::DarkBlue).unwrap(),
            "\"dark_blue\""
        );
        assert_eq!(
            serde_json::from_str::<Colour>("\"red\"").unwrap(),
            Colour::Red
        );
        let bad = serde_json::from_str::<Colour>("\"Red\"").unwrap_err();
        assert!(bad.to_string().contains("must be one of red, dark_blue"));
    }
}
