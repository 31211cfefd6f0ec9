{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'task') %}

{%- set raw_value_names = [
    'id', 'owner_id', 'who_id', 'what_id', 'type', 'activity_date', 'created_date',
    'is_deleted', 'call_duration_in_seconds', 'last_modified_date',
] %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as task_id,
        {{ clean_text('owner_id') }} as rep_id,
        {{ clean_text('who_id') }} as who_id,
        {{ clean_text('what_id') }} as what_id,
        {{ clean_text('account_id') }} as account_id,

        -- strings
        {{ clean_text('subject') }} as subject,
        {{ clean_text('type') }} as task_type,
        {{ clean_text('task_subtype') }} as task_subtype,
        {{ clean_text('status') }} as status,
        {{ clean_text('call_type') }} as call_type,
        {{ clean_text('call_disposition') }} as call_disposition,

        -- numerics
        cast(
            {{ parse_number('call_duration_in_seconds') }} as {{ dbt.type_bigint() }}
        ) as call_duration_seconds,

        -- booleans
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- dates
        {{ parse_date('activity_date') }} as activity_date,

        -- timestamps
        {{ to_reporting_time(parse_timestamp('created_date')) }} as created_at,
        {{ to_reporting_time(parse_timestamp('last_modified_date')) }} as last_modified_at,

        -- load
        {{ parse_timestamp('last_modified_date') }} as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('call_duration_in_seconds', 'number') }} as call_duration_in_seconds_raw,
        {{ raw_text('activity_date', 'date') }} as activity_date_raw,
        {{ raw_text('created_date', 'timestamp') }} as created_date_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        -- what the CRM sent, carried for the quarantined rows' raw values
        {{ raw_value_columns(raw_value_names, 'sent_') }}

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'task_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when task_id is null then 'missing id'
            when rep_id is null then 'activity has no owner'
            {{ unreadable_value('activity_date', 'activity_date', 'date') }}
            {{ unreadable_value('created_date', 'created_at', 'timestamp') }}
            {{ unreadable_value('last_modified_date', 'last_modified_at_utc', 'timestamp') }}
            {{ unreadable_value('call_duration_in_seconds', 'call_duration_seconds', 'number') }}
            when activity_date is null and created_at is null then 'activity has no date'
        end as quarantine_reason

    from versions

),

dispositioned as (

    select
        *,
        {{ row_disposition() }} as row_disposition
    from classified

),

final as (

    -- the columns written out, to leave behind the raw columns carried for raw_values
    select
        task_id,
        rep_id,
        who_id,
        what_id,
        account_id,
        subject,
        task_type,
        task_subtype,
        status,
        call_type,
        call_disposition,
        call_duration_seconds,
        is_deleted,
        activity_date,
        created_at,
        last_modified_at,
        last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        call_duration_in_seconds_raw,
        activity_date_raw,
        created_date_raw,
        last_modified_date_raw,
        version_rank,
        quarantine_reason,
        row_disposition,
        -- what the CRM sent, for the rows the quarantine mart shows
        case
            when row_disposition = 'quarantined'
                then {{ raw_values(raw_value_names, prefix='sent_') }}
        end as raw_values
    from dispositioned

)

select * from final
