with

line_items as (

    select * from {{ ref('stg_crm__opportunity_line_items') }}

),

attached as (

    select record_id
    from {{ ref('int_opportunity_children_attached') }}
    where source_table = 'opportunity_line_item' and row_disposition = 'live'

),

final as (

    select line_items.*
    from line_items
    inner join attached
        on line_items.opportunity_line_item_id = attached.record_id

)

select * from final
