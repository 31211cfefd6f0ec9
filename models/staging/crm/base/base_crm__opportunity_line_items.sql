{%- set plan = incremental_plan() %}

{%- set raw_rows = select_source_columns('crm', 'opportunity_line_item') %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as opportunity_line_item_id,
        {{ clean_text('opportunity_id') }} as opportunity_id,
        {{ clean_text('product_2_id') }} as product_id,

        -- strings
        upper({{ clean_text('currency_iso_code') }}) as currency_code,

        -- numerics
        {{ parse_number('quantity') }} as quantity,
        {{ parse_number('unit_price') }} as unit_price,
        {{ parse_number('total_price') }} as total_price,

        -- booleans
        {{ record_is_deleted('is_deleted') }} as is_deleted,

        -- timestamps
        {{ to_reporting_time(parse_timestamp('last_modified_date')) }} as last_modified_at,

        -- load
        {{ parse_timestamp('last_modified_date') }} as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('quantity', 'number') }} as quantity_raw,
        {{ raw_text('total_price', 'number') }} as total_price_raw,
        {{ raw_text('unit_price', 'number') }} as unit_price_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'opportunity_id', 'product_2_id', 'quantity', 'unit_price', 'total_price',
            'is_deleted', 'last_modified_date',
        ]) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'opportunity_line_item_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when opportunity_line_item_id is null then 'missing id'
            when opportunity_id is null then 'missing opportunity id'
            when total_price_raw is not null and total_price is null then 'amount is not a number'
            when quantity_raw is not null and quantity is null then 'quantity is not a number'
            when total_price < 0 then 'negative amount'
            {{ unreadable_value('unit_price', 'unit_price', 'number') }}
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
