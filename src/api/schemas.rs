//! Schemas for string parameters that take one of a short list of words that are not codes of the
//! domain (formats, weekdays), so the OpenAPI document names the values the server accepts. Codes
//! of the domain (methods, statuses, kinds) use their enum's own schema (`domain::codes`).

use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

fn one_of(values: &[&str], nullable: bool) -> Object {
    let kind = if nullable {
        utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null])
    } else {
        utoipa::openapi::schema::SchemaType::new(Type::String)
    };
    let mut listed: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    if nullable {
        listed.push(serde_json::Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(kind)
        .enum_values(Some(listed))
        .build()
}

macro_rules! lists {
    ($($(#[$doc:meta])* $name:ident, $nullable:expr, [$($value:literal),+ $(,)?];)+) => {
        $(
            $(#[$doc])*
            pub fn $name() -> Object {
                one_of(&[$($value),+], $nullable)
            }
        )+
    };
}

lists! {
    weekday, true, [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    ];
    statement_format, false, ["json", "csv", "pdf"];
    letter_format, false, ["pdf"];
    report_format, false, ["json", "csv", "xlsx"];
    export_format, false, ["csv", "xlsx", "xero", "payroll"];
}
