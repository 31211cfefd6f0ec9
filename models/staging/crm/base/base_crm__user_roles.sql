with

source as {{ not_materialized() }} (

    {{ select_source_columns('crm', 'user_role') }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as user_role_id,
        {{ clean_text('parent_role_id') }} as parent_role_id,

        -- strings
        {{ clean_text('name') }} as role_name,

        -- booleans
        {{ record_is_deleted() }} as is_deleted,

        -- load: roles carry no modification time, so the row loaded last is the newest
        cast(null as {{ dbt.type_timestamp() }}) as last_modified_at_utc,
        _loaded_at,
        _source_row,
        _is_current_version,
        _version_started_at_utc,
        _row_hash,
        {{ raw_values([
            'id', 'name', 'parent_role_id',
        ]) }} as raw_values

    from source

),

versions as (

    {{ versions_ranked('typed', 'user_role_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when user_role_id is null then 'missing id'
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
