with

source as {{ not_materialized() }} (

    {{ select_source_columns('crm', 'product_2') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as product_id,

        -- strings
        {{ clean_text('name') }} as product_name,
        {{ clean_text('family') }} as product_family,

        -- numerics
        {{ parse_number('unit_cost_c') }} as unit_cost,

        -- booleans
        {{ parse_boolean('is_active') }} as is_active,
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
        {{ raw_text('unit_cost_c', 'number') }} as unit_cost_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'name', 'unit_cost_c', 'is_active', 'is_deleted', 'last_modified_date',
        ]) }} as raw_values

    from source

),

versions as (

    {{ versions_ranked('typed', 'product_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when product_id is null then 'missing id'
            when unit_cost_raw is not null and unit_cost is null then 'unit cost is not a number'
            when unit_cost < 0 then 'negative unit cost'
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
