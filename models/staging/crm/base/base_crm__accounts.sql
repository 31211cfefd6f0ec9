{%- set plan = incremental_plan() %}

{%- set custom_fields = pass_through_columns('account') | map(attribute='name') | list %}
{%- set raw_rows = select_source_columns('crm', 'account', custom_fields) %}

with

source_rows as {{ not_materialized() if not plan.by_key else '' }} (

    {{ raw_rows_to_classify(raw_rows, clean_text('id'), plan) }}

),

typed as {{ not_materialized() }} (

    select
        -- ids
        {{ clean_text('id') }} as account_id,
        {{ clean_text('owner_id') }} as owner_rep_id,

        -- strings
        {{ clean_text('name') }} as account_name,
        {{ clean_text('industry') }} as industry,
        {{ clean_text('type') }} as account_type,
        {{ clean_text('billing_country') }} as billing_country,
        {{ clean_text('account_source') }} as account_source,

        -- custom fields carried through as text (var account_pass_through_columns)
        {%- for column in pass_through_columns('account') %}
        {{ clean_text(adapter.quote(column.name)) }} as {{ adapter.quote(column.alias) }},
        {%- endfor %}

        -- numerics
        {{ parse_number('annual_revenue') }} as annual_revenue,
        cast(
            {{ parse_number('number_of_employees') }} as {{ dbt.type_bigint() }}
        ) as number_of_employees,

        -- booleans
        {{ record_is_deleted('is_deleted') }} as is_deleted,

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
        {{ raw_text('annual_revenue', 'number') }} as annual_revenue_raw,
        {{ raw_text('number_of_employees', 'number') }} as number_of_employees_raw,
        {{ raw_text('created_date', 'timestamp') }} as created_date_raw,
        {{ raw_text('last_modified_date', 'timestamp') }} as last_modified_date_raw,
        {{ raw_values([
            'id', 'name', 'owner_id', 'type', 'is_deleted', 'last_modified_date', 'created_date',
            'annual_revenue', 'number_of_employees',
        ]) }} as raw_values

    from source_rows

),

versions as (

    {{ versions_ranked('typed', 'account_id', 'last_modified_at_utc') }}

),

classified as (

    select
        *,
        case
            when account_id is null then 'missing id'
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
