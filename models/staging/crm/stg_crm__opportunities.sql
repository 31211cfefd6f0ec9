with

source as (

    select * from {{ source('crm', 'opportunity') }}

),

renamed as (

    select
        -- ids
        cast(id as {{ dbt.type_string() }}) as opportunity_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(owner_id as {{ dbt.type_string() }}) as rep_id,

        -- strings
        cast(name as {{ dbt.type_string() }}) as opportunity_name,
        trim(cast(stage_name as {{ dbt.type_string() }})) as stage_name,
        cast(type as {{ dbt.type_string() }}) as opportunity_type,
        cast(lead_source as {{ dbt.type_string() }}) as lead_source,
        cast(forecast_category as {{ dbt.type_string() }}) as forecast_category,

        -- numerics
        cast(amount as {{ dbt.type_numeric() }}) as amount,
        cast(probability as {{ dbt.type_numeric() }}) as probability,

        -- booleans
        cast(is_closed as boolean) as is_closed,
        cast(is_won as boolean) as is_won,
        cast(is_deleted as boolean) as is_deleted,

        -- dates
        cast(close_date as date) as close_date,

        -- timestamps
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at,
        cast(last_modified_date as {{ dbt.type_timestamp() }}) as last_modified_at

    from source

),

final as (

    select * from renamed
    where not coalesce(is_deleted, false)

)

select * from final
