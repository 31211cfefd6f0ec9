{%- set plan = incremental_plan() %}

{%- set custom_fields = pass_through_columns('opportunity') | map(attribute='name') | list %}
{%- set raw_rows = select_source_columns('crm', 'opportunity', custom_fields) %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

stages as (

    select stage_key from {{ ref('stg_config__stages') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as opportunity_id,
        {{ clean_text('account_id') }} as account_id,
        {{ clean_text('owner_id') }} as rep_id,

        -- strings
        {{ clean_text('name') }} as opportunity_name,
        {{ clean_text('stage_name') }} as stage_name,
        {{ match_key('stage_name') }} as stage_key,
        {{ clean_text('type') }} as opportunity_type,
        {{ clean_text('lead_source') }} as lead_source,
        {{ clean_text('forecast_category') }} as forecast_category,
        upper({{ clean_text('currency_iso_code') }}) as currency_code,

        -- custom fields carried through as text (var opportunity_pass_through_columns)
        {%- for column in pass_through_columns('opportunity') %}
        {{ clean_text(adapter.quote(column.name)) }} as {{ adapter.quote(column.alias) }},
        {%- endfor %}

        -- numerics
        {{ parse_number('amount') }} as amount,
        {{ parse_number('probability') }} as probability,

        -- booleans
        {{ parse_boolean('is_closed') }} as is_closed,
        {{ parse_boolean('is_won') }} as is_won,
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- dates
        {{ parse_date('close_date') }} as close_date,

        -- timestamps
        {{ to_reporting_time(parse_timestamp('created_date')) }} as created_at,
        {{ to_reporting_time(parse_timestamp('last_modified_date')) }} as last_modified_at,

        -- load: versions are ranked on UTC, which has no repeated hour at a clock change
        {{ parse_timestamp('last_modified_date') }} as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,

        -- what a quarantine row shows
        {{ raw_text('amount', 'number') }} as amount_raw,
        -- probability may land as a float, which engines write as text differently (10.0,
        -- 10): only text that does not parse is kept, the same on every engine
        case
            when {{ parse_number('probability') }} is null then {{ clean_text('probability') }}
        end as probability_raw,
        {{ raw_text('close_date', 'date') }} as close_date_raw,
        {{ raw_text('created_date', 'timestamp') }} as created_date_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'name', 'owner_id', 'stage_name', 'amount', 'close_date', 'is_deleted',
            'last_modified_date', 'probability', 'created_date',
        ], numbers=['probability']) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'opportunity_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when opportunity_id is null then 'missing id'
            when stage_key is null then 'missing stage'
            when stage_key not in (select stages.stage_key from stages)
                then 'stage not in catalogue'
            when amount_raw is not null and amount is null then 'amount is not a number'
            when amount < 0 then 'negative amount'
            {{ unreadable_value('probability', 'probability', 'number') }}
            {{ unreadable_value('close_date', 'close_date', 'date') }}
            {{ unreadable_value('created_date', 'created_at', 'timestamp') }}
            {{ unreadable_value('last_modified_date', 'last_modified_at_utc', 'timestamp') }}
            -- a deal exists from its creation (as_of): without one it would vanish
            when created_at is null then 'missing created_date'
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
