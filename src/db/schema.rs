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
        holds_secret -> Bool,
        calendar -> Nullable<Text>,
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
        preferred_formats -> Text,
        postal_address -> Nullable<Text>,
        calendar_feed_hash -> Nullable<Text>,
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
        reminder_days -> Integer,
        calendar_sequence -> Integer,
        cancelled_at -> Nullable<Timestamp>,
        cancel_reason -> Nullable<Text>,
    }
}

diesel::table! {
    meeting_replies (meeting_id, member_id) {
        meeting_id -> Text,
        member_id -> Text,
        invited_at -> Nullable<Timestamp>,
        reply -> Text,
        access_needs -> Text,
        access_note -> Nullable<Text>,
        replied_at -> Nullable<Timestamp>,
        replied_by -> Nullable<Text>,
    }
}

diesel::table! {
    reply_tokens (token_hash) {
        token_hash -> Text,
        meeting_id -> Text,
        member_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
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
        late_reason -> Nullable<Text>,
    }
}

diesel::table! {
    receipts (id) {
        id -> Text,
        expense_id -> Text,
        filename -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        bytes -> Binary,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
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

diesel::table! {
    rate_cards (id) {
        id -> Text,
        name -> Text,
        group_id -> Nullable<Text>,
        effective_from -> Date,
        effective_to -> Nullable<Date>,
        supersedes -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    rate_rules (id) {
        id -> Text,
        rate_card_id -> Text,
        position -> Integer,
        role -> Nullable<Text>,
        activity_kind -> Nullable<Text>,
        member_id -> Nullable<Text>,
        basis -> Text,
        hourly_rate_pence -> Nullable<BigInt>,
        half_day_pence -> Nullable<BigInt>,
        full_day_pence -> Nullable<BigInt>,
        boundary_minutes -> Nullable<Integer>,
        boundary_is_full_day -> Bool,
        fixed_pence -> Nullable<BigInt>,
        prep_hourly_rate_pence -> Nullable<BigInt>,
    }
}

diesel::table! {
    preferences (id) {
        id -> Text,
        member_id -> Text,
        effective_from -> Date,
        fee_choice -> Text,
        reduced_max_pence -> Nullable<BigInt>,
        decline_expenses -> Bool,
        method -> Text,
        voucher_provider -> Nullable<Text>,
        charity -> Nullable<Text>,
        cap_amount_pence -> Nullable<BigInt>,
        cap_limit_code -> Nullable<Text>,
        cap_period -> Nullable<Text>,
        cap_week_starts_on -> Nullable<Text>,
        cap_month_anchor_day -> Nullable<Integer>,
        cap_counts_methods -> Nullable<Text>,
        over_cap -> Text,
        notify_by_email -> Bool,
        set_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    adjustments (id) {
        id -> Text,
        member_id -> Text,
        group_id -> Nullable<Text>,
        kind -> Text,
        amount_pence -> BigInt,
        reason -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pay_runs (id) {
        id -> Text,
        group_id -> Nullable<Text>,
        period_start -> Date,
        period_end -> Date,
        payment_date -> Date,
        status -> Text,
        payment_count -> Integer,
        line_count -> Integer,
        total_pence -> BigInt,
        warnings -> Text,
        calculated_at -> Timestamp,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        approved_by -> Nullable<Text>,
        approved_at -> Nullable<Timestamp>,
        exported_at -> Nullable<Timestamp>,
        paid_on -> Nullable<Date>,
        paid_reference -> Nullable<Text>,
        marked_paid_by -> Nullable<Text>,
        marked_paid_at -> Nullable<Timestamp>,
        cancelled_by -> Nullable<Text>,
        cancelled_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
        export_count -> Integer,
    }
}

diesel::table! {
    pay_lines (id) {
        id -> Text,
        pay_run_id -> Text,
        position -> Integer,
        member_id -> Text,
        group_id -> Nullable<Text>,
        meeting_id -> Nullable<Text>,
        meeting_date -> Nullable<Date>,
        source_kind -> Text,
        source_id -> Text,
        kind -> Text,
        disposition -> Text,
        method -> Nullable<Text>,
        payee -> Nullable<Text>,
        amount_pence -> BigInt,
        minutes -> Nullable<Integer>,
        rate_pence -> Nullable<BigInt>,
        rate_card_id -> Nullable<Text>,
        rule -> Nullable<Text>,
        explanation -> Text,
    }
}

diesel::table! {
    payments (id) {
        id -> Text,
        pay_run_id -> Text,
        position -> Integer,
        member_id -> Text,
        payee -> Text,
        method -> Text,
        fee_pence -> BigInt,
        expenses_pence -> BigInt,
        total_pence -> BigInt,
    }
}

diesel::table! {
    pay_claims (source_kind, source_id) {
        source_kind -> Text,
        source_id -> Text,
        pay_run_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    erasures (member_id) {
        member_id -> Text,
        erased_at -> Timestamp,
        erased_by -> Nullable<Text>,
        rule -> Nullable<Text>,
    }
}

diesel::table! {
    retention_runs (run_on) {
        run_on -> Text,
        started_at -> Timestamp,
        removed -> BigInt,
    }
}

diesel::joinable!(erasures -> members (member_id));
diesel::joinable!(accounts -> members (member_id));
diesel::joinable!(account_groups -> accounts (account_id));
diesel::joinable!(account_groups -> groups (group_id));
diesel::joinable!(sessions -> accounts (account_id));
diesel::joinable!(one_time_tokens -> accounts (account_id));
diesel::joinable!(memberships -> groups (group_id));
diesel::joinable!(memberships -> members (member_id));
diesel::joinable!(meetings -> groups (group_id));
diesel::joinable!(attendance -> meetings (meeting_id));
diesel::joinable!(meeting_replies -> meetings (meeting_id));
diesel::joinable!(meeting_replies -> members (member_id));
diesel::joinable!(attendance -> members (member_id));
diesel::joinable!(expense_claims -> meetings (meeting_id));
diesel::joinable!(expense_claims -> members (member_id));
diesel::joinable!(receipts -> expense_claims (expense_id));
diesel::joinable!(rate_rules -> rate_cards (rate_card_id));
diesel::joinable!(pay_lines -> pay_runs (pay_run_id));
diesel::joinable!(payments -> pay_runs (pay_run_id));
diesel::joinable!(pay_claims -> pay_runs (pay_run_id));

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
    meeting_replies,
    reply_tokens,
    attendance,
    expense_claims,
    receipts,
    idempotency_keys,
    benefit_limits,
    rate_cards,
    rate_rules,
    preferences,
    adjustments,
    pay_runs,
    pay_lines,
    payments,
    pay_claims,
    erasures,
    retention_runs,
);
