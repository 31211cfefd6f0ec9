with

base as (

    select * from {{ ref('base_crm__opportunity_line_items') }}

),

final as (

    select
        -- ids
        opportunity_line_item_id,
        opportunity_id,
        product_id,

        -- strings
        currency_code,

        -- numerics
        quantity,
        unit_price,
        total_price,

        -- timestamps
        last_modified_at

    from base
    where row_disposition = 'live'

)

select * from final
