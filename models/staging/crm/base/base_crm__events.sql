{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'event') %}

{%- set raw_value_names = [
    'id', 'owner_id', 'who_id', 'what_id', 'type', 'start_date_time', 'created_date',
    'is_deleted', 'end_date_time', 'duration_in_minutes', 'last_modified_date',
] %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as event_id,
        {{ clean_text('owner_id') }} as rep_id,
        {{ clean_text('who_id') }} as who_id,
        {{ clean_text('what_id') }} as what_id,
        {{ clean_text('account_id') }} as account_id,

        -- strings
        {{ clean_text('subject') }} as subject,
        {{ clean_text('type') }} as event_type,

        -- numerics
        cast(
            {{ parse_number('duration_in_minutes') }} as {{ dbt.type_bigint() }}
        ) as duration_minutes,

        -- booleans
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- timestamps
        {{ to_reporting_time(parse_timestamp('start_date_time')) }} as started_at,
        {{ to_reporting_time(parse_timestamp('end_date_time')) }} as ended_at,
        {{ to_reporting_time(parse_timestamp('created_date')) }} as created_at,
        {{ to_reporting_time(parse_timestamp('last_modified_date')) }} as last_modified_at,

        -- load
        {{ parse_timestamp('last_modified_date') }} as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('duration_in_minutes', 'number') }} as duration_in_minutes_raw,
        {{ raw_text('start_date_time', 'timestamp') }} as start_date_time_raw,
        {{ raw_text('end_date_time', 'timestamp') }} as end_date_time_raw,
        {{ raw_text('created_date', 'timestamp') }} as created_date_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        -- what the CRM sent, carried for the quarantined rows' raw values
        {{ raw_value_columns(raw_value_names, 'sent_') }}

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'event_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when event_id is null then 'missing id'
            when rep_id is null then 'activity has no owner'
            {{ unreadable_value('start_date_time', 'started_at', 'timestamp') }}
            {{ unreadable_value('end_date_time', 'ended_at', 'timestamp') }}
            {{ unreadable_value('created_date', 'created_at', 'timestamp') }}
            {{ unreadable_value('last_modified_date', 'last_modified_at_utc', 'timestamp') }}
            {{ unreadable_value('duration_in_minutes', 'duration_minutes', 'number') }}
            when started_at is null and created_at is null then 'activity has no date'
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
        event_id,
        rep_id,
        who_id,
        what_id,
        account_id,
        subject,
        event_type,
        duration_minutes,
        is_deleted,
        started_at,
        ended_at,
        created_at,
        last_modified_at,
        last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        duration_in_minutes_raw,
        start_date_time_raw,
        end_date_time_raw,
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
