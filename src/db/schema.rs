//! The schema, kept by hand with only the SQL types both backends share (see docs/architecture.md).

diesel::table! {
    outbox (id) {
        id -> Text,
        dedupe_key -> Text,
        recipient -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    groups (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        full_name -> Text,
        preferred_name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        payee_reference -> Nullable<Text>,
        communication_needs -> Nullable<Text>,
        notes -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        member_id -> Nullable<Text>,
        disabled -> Bool,
        password_changed_at -> Nullable<Timestamp>,
        last_login_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    account_groups (account_id, group_id) {
        account_id -> Text,
        group_id -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        account_id -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        last_used_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    one_time_tokens (id) {
        id -> Text,
        account_id -> Text,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_failures (id) {
        id -> Text,
        scope -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        occurred_at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        entity_type -> Text,
        entity_id -> Text,
        before_json -> Nullable<Text>,
        after_json -> Nullable<Text>,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    roles (code) {
        code -> Text,
        label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    activity_kinds (code) {
        code -> Text,
        label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    memberships (id) {
        id -> Text,
        group_id -> Text,
        member_id -> Text,
        role -> Text,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    meetings (id) {
        id -> Text,
        group_id -> Text,
        title -> Text,
        activity_kind -> Text,
        meeting_date -> Date,
        starts_at -> Nullable<Text>,
        duration_minutes -> Integer,
        prep_minutes_allowed -> Integer,
        location -> Nullable<Text>,
        online -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    attendance (id) {
        id -> Text,
        meeting_id -> Text,
        member_id -> Text,
        status -> Text,
        attended_minutes -> Nullable<Integer>,
        prep_minutes -> Integer,
        role_override -> Nullable<Text>,
        notes -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    expense_claims (id) {
        id -> Text,
        meeting_id -> Text,
        member_id -> Text,
        kind -> Text,
        care_type -> Nullable<Text>,
        miles_tenths -> Nullable<Integer>,
        passengers -> Integer,
        amount_pence -> Nullable<BigInt>,
        receipt_ref -> Nullable<Text>,
        description -> Nullable<Text>,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        rejection_reason -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (account_id, idem_key) {
        account_id -> Text,
        idem_key -> Text,
        request_hash -> Text,
        status_code -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        location -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    benefit_limits (id) {
        id -> Text,
        code -> Text,
        period -> Text,
        amount_pence -> BigInt,
        effective_from -> Date,
        created_at -> Timestamp,
    }
}

diesel::joinable!(accounts -> members (member_id));
diesel::joinable!(account_groups -> accounts (account_id));
diesel::joinable!(account_groups -> groups (group_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(one_time_tokens -> accounts (account_id));
diesel::joinable!(memberships -> groups (group_id));
diesel::joinable!(memberships -> members (member_id));
diesel::joinable!(meetings -> groups (group_id));
diesel::joinable!(attendance -> meetings (meeting_id));
diesel::joinable!(attendance -> members (member_id));
diesel::joinable!(expense_claims -> meetings (meeting_id));
diesel::joinable!(expense_claims -> members (member_id));

diesel::allow_tables_to_appear_in_same_query!(
    outbox,
    groups,
    members,
    accounts,
    account_groups,
    sessions,
    one_time_tokens,
    login_failures,
    audit_events,
    roles,
    activity_kinds,
    memberships,
    meetings,
    attendance,
    expense_claims,
    idempotency_keys,
    benefit_limits,
);
