with

base as (

    select * from {{ ref('base_crm__users') }}

),

final as (

    select
        -- ids
        user_id,
        user_role_id,
        manager_id,

        -- strings
        user_name,
        email,
        title,
        region,

        -- booleans
        is_active,

        -- timestamps
        created_at,
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
