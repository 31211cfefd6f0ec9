{#-
    Two tables land under this name, told apart by their columns: Salesforce's
    OpportunityHistory (one row per change, with opportunity_id), and Fivetran's
    history-mode copy of Opportunity (one row per version of a deal, keyed by the deal's id
    and _fivetran_start, no opportunity_id). A version is read as the change that began it.
-#}
{%- set landed = source_table_columns(source('crm', 'opportunity_history'))
    if execute and model.resource_type != 'unit_test' else none %}
{%- set versions_of_opportunities = landed is not none and '_fivetran_start' in landed
    and present_column(landed, 'opportunity_id') is none %}

{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'opportunity_history') %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    -- a Fivetran history-mode copy is rebuilt (its rows carry no loader numbers); a
    -- version's id is the deal's, so all of a deal's versions are classified again
    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

stages as (

    select stage_key from {{ ref('stg_config__stages') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {%- if versions_of_opportunities %}
        {{ dbt.concat([
            clean_text('id'), "'@'", "cast(_version_started_at_utc as " ~ dbt.type_string() ~ ")",
        ]) }} as opportunity_history_id,
        {{ clean_text('id') }} as opportunity_id,
        {%- else %}
        {{ clean_text('id') }} as opportunity_history_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {%- endif %}

        -- strings
        {%- set change_source = 'history_mode_copy' if versions_of_opportunities
            else 'opportunity_history' %}
        '{{ change_source }}' as change_source,
        {{ clean_text('stage_name') }} as stage_name,
        {{ match_key('stage_name') }} as stage_key,
        {{ clean_text('forecast_category') }} as forecast_category,
        upper({{ clean_text('currency_iso_code') }}) as currency_code,

        -- numerics
        {{ parse_number('amount') }} as amount,
        {{ parse_number('probability') }} as probability,

        -- booleans: a version is not a deletion; the deal's own row says whether it is live
        {%- set is_deleted = 'false' if versions_of_opportunities
            else record_is_deleted('is_deleted') %}
        {{ is_deleted }} as is_deleted,

        -- dates
        {{ parse_date('close_date') }} as close_date,

        -- timestamps: when the change happened (created_date, or the start of the version)
        {%- set changed_at_utc = '_version_started_at_utc' if versions_of_opportunities
            else parse_timestamp('created_date') %}
        {{ to_reporting_time(changed_at_utc) }} as changed_at,
        {{ changed_at_utc }} as changed_at_utc,

        -- load: a history row never changes, so the row loaded last is the newest copy
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('amount', 'number') }} as amount_raw,
        -- probability may land as a float, which engines write as text differently (10.0,
        -- 10): only text that does not parse is kept, the same on every engine
        case
            when {{ parse_number('probability') }} is null then {{ clean_text('probability') }}
        end as probability_raw,
        {{ raw_text('close_date', 'date') }} as close_date_raw,
        {{ raw_values([
            'id', 'opportunity_id',
            '_version_started_at_utc' if versions_of_opportunities else 'created_date',
            'stage_name', 'amount', 'probability', 'close_date', 'is_deleted',
        ], numbers=['probability']) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'opportunity_history_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when opportunity_history_id is null then 'missing id'
            when opportunity_id is null then 'missing opportunity id'
            when changed_at_utc is null then 'missing or unreadable change time'
            when stage_key is null then 'missing stage'
            when stage_key not in (select stages.stage_key from stages)
                then 'stage not in catalogue'
            when amount_raw is not null and amount is null then 'amount is not a number'
            when amount < 0 then 'negative amount'
            {{ unreadable_value('probability', 'probability', 'number') }}
            {{ unreadable_value('close_date', 'close_date', 'date') }}
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
