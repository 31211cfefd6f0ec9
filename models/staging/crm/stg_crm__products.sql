with

base as (

    select * from {{ ref('base_crm__products') }}

),

final as (

    select
        -- ids
        product_id,

        -- strings
        product_name,
        product_family,

        -- numerics
        unit_cost,

        -- booleans
        is_active,

        -- timestamps
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
