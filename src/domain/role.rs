//! The roles an account may have.

crate::codes! {
    /// What an account may do: `admin` (accounts and reference data), `coordinator` (their
    /// groups), `finance` (pay runs and reports), `member` (their own records).
    pub enum Role ("role") {
        Admin = "admin",
        Coordinator = "coordinator",
        Finance = "finance",
        Member = "member",
    }
}
