with

source as {{ not_materialized() }} (

    {{ select_source_columns('crm', 'rep_cost') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids: a cost row is identified by its user and month
        {{ clean_text('user_id') }} as user_id,
        {{ dbt.concat([
            clean_text('user_id'),
            "'|'",
            "cast(" ~ parse_date('month_start') ~ " as " ~ dbt.type_string() ~ ")",
        ]) }} as rep_cost_id,

        -- numerics
        {{ parse_number('loaded_cost') }} as loaded_cost,

        -- booleans
        {{ record_is_deleted() }} as is_deleted,

        -- dates
        {{ parse_date('month_start') }} as month_start,

        -- load: cost rows carry no modification time, so the row loaded last is the newest
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_text('loaded_cost', 'number') }} as loaded_cost_raw,
        {{ raw_text('month_start', 'date') }} as month_start_raw,
        {{ raw_values([
            'user_id', 'month_start', 'loaded_cost',
        ]) }} as raw_values

    from source

),

versions as (

    {{ versions_ranked('typed', 'rep_cost_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when user_id is null or (month_start_raw is null and month_start is null)
                then 'missing id'
            -- the month is half of the id: like a missing id, decided before versions
            {{ unreadable_value('month_start', 'month_start', 'date') }}
            when loaded_cost_raw is not null and loaded_cost is null then 'cost is not a number'
            when loaded_cost < 0 then 'negative cost'
        end as quarantine_reason

    from versions

),

final as (

    select
        *,
        {{ row_disposition(['missing id', 'month_start is not a date']) }} as row_disposition
    from classified

)

select * from final
