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

diesel::joinable!(accounts -> members (member_id));
diesel::joinable!(account_groups -> accounts (account_id));
diesel::joinable!(account_groups -> groups (group_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(one_time_tokens -> accounts (account_id));

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
);
