with

source as {{ not_materialized() }} (

    {{ select_source_columns('crm', 'user') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as user_id,
        {{ clean_text('user_role_id') }} as user_role_id,
        {{ clean_text('manager_id') }} as manager_id,

        -- strings
        {{ clean_text('name') }} as user_name,
        lower({{ clean_text('email') }}) as email,
        {{ clean_text('title') }} as title,
        {{ clean_text('division') }} as region,

        -- booleans
        {{ parse_boolean('is_active') }} as is_active,
        {{ record_is_deleted() }} as is_deleted,

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
        {{ raw_text('created_date', 'timestamp') }} as created_date_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'name', 'user_role_id', 'manager_id', 'is_active', 'last_modified_date',
            'created_date',
        ]) }} as raw_values

    from source

),

versions as (

    {{ versions_ranked('typed', 'user_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when user_id is null then 'missing id'
            {{ unreadable_value('created_date', 'created_at', 'timestamp') }}
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
