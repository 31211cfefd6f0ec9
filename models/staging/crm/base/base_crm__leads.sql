{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'lead') %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as lead_id,
        {{ clean_text('owner_id') }} as rep_id,
        {{ clean_text('converted_opportunity_id') }} as converted_opportunity_id,
        {{ clean_text('converted_account_id') }} as converted_account_id,

        -- strings
        {{ clean_text('status') }} as lead_status,
        {{ clean_text('lead_source') }} as lead_source,

        -- booleans
        {{ parse_boolean('is_converted') }} as is_converted,
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- dates
        {{ parse_date('converted_date') }} as converted_date,

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
        {{ raw_text('converted_date', 'date') }} as converted_date_raw,
        {{ raw_text('created_date', 'timestamp') }} as created_date_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'owner_id', 'status', 'lead_source', 'is_converted', 'is_deleted', 'created_date',
            'converted_date', 'last_modified_date',
        ]) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'lead_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when lead_id is null then 'missing id'
            {{ unreadable_value('created_date', 'created_at', 'timestamp') }}
            {{ unreadable_value('converted_date', 'converted_date', 'date') }}
            {{ unreadable_value('last_modified_date', 'last_modified_at_utc', 'timestamp') }}
        end as quarantine_reason

    from versions

),

final as (

    select
        *,
        {{ row_disposition() }} as row_disposition
    from classified

)

select * from final
