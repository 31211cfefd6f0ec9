{{ config(materialized=base_materialization(), post_hook=base_post_hook()) }}

with

source as (

    {{ select_source_columns('crm', 'opportunity_history') }}

),

stages as (

    select stage_key from {{ ref('stg_config__stages') }}

),

typed as (

    select
        -- ids
        {{ clean_text('id') }} as opportunity_history_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,

        -- strings
        {{ clean_text('stage_name') }} as stage_name,
        {{ match_key('stage_name') }} as stage_key,
        {{ clean_text('forecast_category') }} as forecast_category,

        -- numerics
        {{ parse_number('amount') }} as amount,
        {{ parse_number('probability') }} as probability,

        -- booleans
        coalesce({{ parse_boolean('is_deleted') }}, false) as is_deleted,

        -- dates
        {{ parse_date('close_date') }} as close_date,

        -- timestamps: created_date is when the change happened
        {{ to_reporting_time(parse_timestamp('created_date')) }} as changed_at,
        {{ parse_timestamp('created_date') }} as changed_at_utc,

        -- load: a history row never changes, so the row loaded last is the newest copy
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at_utc,
        _loaded_at,
        _source_row,
        {{ clean_text('amount') }} as amount_raw,
        {{ raw_values([
            'id', 'opportunity_id', 'created_date', 'stage_name', 'amount', 'is_deleted',
        ]) }} as raw_values

    from source

),

classified as (

    select
        *,
        row_number() over (
            partition by opportunity_history_id
            order by {{ newest_version_first('last_modified_at_utc') }}
        ) as version_rank,
        case
            when opportunity_history_id is null then 'missing id'
            when opportunity_id is null then 'missing opportunity id'
            when changed_at_utc is null then 'missing or unreadable change time'
            when stage_key is null then 'missing stage'
            when stage_key not in (select stages.stage_key from stages)
                then 'stage not in catalogue'
            when amount_raw is not null and amount is null then 'amount is not a number'
            when amount < 0 then 'negative amount'
        end as quarantine_reason

    from typed

),

final as (

    select
        *,
        {{ row_disposition() }} as row_disposition
    from classified

)

select * from final
