with

source as {{ not_materialized() }} (

    {{ select_source_columns('crm', 'dated_conversion_rate') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as dated_conversion_rate_id,

        -- strings
        upper({{ clean_text('iso_code') }}) as currency_code,

        -- numerics
        {{ parse_number('conversion_rate') }} as conversion_rate,

        -- booleans
        {{ record_is_deleted() }} as is_deleted,

        -- dates
        {{ parse_date('start_date') }} as start_date,
        {{ parse_date('next_start_date') }} as next_start_date,

        -- load: a rate carries no modification time, so the row loaded last is the newest
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('conversion_rate', 'number') }} as conversion_rate_raw,
        {{ raw_text('next_start_date', 'date') }} as next_start_date_raw,
        {{ raw_values([
            'id', 'iso_code', 'start_date', 'next_start_date', 'conversion_rate',
        ]) }} as raw_values

    from source

),

versions as (

    {{ versions_ranked('typed', 'dated_conversion_rate_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when dated_conversion_rate_id is null then 'missing id'
            when currency_code is null then 'missing currency'
            when start_date is null then 'missing or unreadable start date'
            when conversion_rate_raw is not null and conversion_rate is null
                then 'rate is not a number'
            when conversion_rate is null or conversion_rate <= 0 then 'missing or non-positive rate'
            when next_start_date <= start_date then 'rate ends before it starts'
            {{ unreadable_value('next_start_date', 'next_start_date', 'date') }}
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
