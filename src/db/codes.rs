//! The domain's code enums (`domain::codes`) as `Text` columns: written as their code, read back
//! through `parse`, so a value the enum does not know is an error where the row is read, never a
//! guess. The CHECK constraints of the migrations hold the same lists.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::draft::SourceKind;
use crate::domain::limits::LimitPeriod;
use crate::domain::payrun::{
    AdjustmentKind, CapPeriod, Disposition, FeeOption, LineKind, Method, OverCap, RunStatus,
};
use crate::domain::rates::BasisKind;
use crate::domain::receipts::ReceiptType;
use crate::domain::records::{AttendanceStatus, CareType, ClaimStatus, ExpenseKind};
use crate::domain::Role;

macro_rules! text_columns {
    ($($ty:ident),+ $(,)?) => {$(
        const _: () = {
            // The derives write the expression impls for the domain type through this newtype.
            #[derive(diesel::AsExpression, diesel::FromSqlRow)]
            #[diesel(foreign_derive)]
            #[diesel(sql_type = Text)]
            #[allow(dead_code)]
            struct Column($ty);
        };

        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $ty
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let code = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                Ok($ty::from_code(&code)?)
            }
        }
    )+};
}

text_columns!(
    Role,
    Method,
    FeeOption,
    OverCap,
    LineKind,
    Disposition,
    RunStatus,
    AdjustmentKind,
    CapPeriod,
    SourceKind,
    LimitPeriod,
    BasisKind,
    AttendanceStatus,
    CareType,
    ClaimStatus,
    ExpenseKind,
    ReceiptType,
);
