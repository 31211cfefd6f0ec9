with

base as (

    select * from {{ ref('base_crm__user_roles') }}

),

final as (

    select
        -- ids
        user_role_id,
        parent_role_id,

        -- strings
        role_name

    from base
    where row_disposition = 'live'

)

select * from final
