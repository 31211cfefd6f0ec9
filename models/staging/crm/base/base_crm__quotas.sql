{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'quota') %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as quota_id,
        {{ clean_text('owner_id') }} as owner_id,

        -- strings
        lower({{ clean_text('scope') }}) as scope,
        lower({{ clean_text('period_type') }}) as period_type,
        lower({{ clean_text('quota_type') }}) as quota_type,
        lower({{ clean_text('method') }}) as quota_method,

        -- numerics
        {{ parse_number('target_value') }} as target_value,

        -- booleans
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- dates
        {{ parse_date('period_start') }} as period_start,

        -- timestamps
        {{ to_reporting_time(parse_timestamp('last_modified_date')) }} as last_modified_at,

        -- load
        {{ parse_timestamp('last_modified_date') }} as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('target_value', 'number') }} as target_value_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'owner_id', 'scope', 'period_type', 'period_start', 'quota_type', 'target_value',
            'is_deleted', 'last_modified_date',
        ]) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'quota_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when quota_id is null then 'missing id'
            when owner_id is null then 'quota has no owner'
            when period_type is null or period_type not in ('month', 'quarter', 'year')
                then 'unknown period type'
            when scope is null or scope not in ('rep', 'team') then 'unknown scope'
            when
                quota_type is null
                or quota_type not in (
                    'revenue', 'gross_profit', 'units', 'deals', 'new_customers',
                    'calls', 'emails', 'meetings', 'demos'
                )
                then 'unknown quota type'
            when period_start is null then 'missing or unreadable period start'
            when target_value_raw is not null and target_value is null then 'target is not a number'
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
