{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'opportunity_field_history') %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as opportunity_field_history_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,

        -- strings
        {{ clean_text('field') }} as field_name,
        {{ clean_text('old_value') }} as old_value,
        {{ clean_text('new_value') }} as new_value,

        -- booleans
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- timestamps: when the change happened
        {{ to_reporting_time(parse_timestamp('created_date')) }} as changed_at,
        {{ parse_timestamp('created_date') }} as changed_at_utc,

        -- load: a field history row never changes, so the row loaded last is the newest copy
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_values([
            'id', 'opportunity_id', 'field', 'old_value', 'new_value', 'created_date', 'is_deleted',
        ]) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'opportunity_field_history_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when opportunity_field_history_id is null then 'missing id'
            when opportunity_id is null then 'missing opportunity id'
            when changed_at_utc is null then 'missing or unreadable change time'
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
