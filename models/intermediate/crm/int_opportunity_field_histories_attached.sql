with

field_history as (

    select * from {{ ref('stg_crm__opportunity_field_histories') }}

),

attached as (

    select record_id
    from {{ ref('int_opportunity_children_attached') }}
    where source_table = 'opportunity_field_history' and row_disposition = 'live'

),

final as (

    select field_history.*
    from field_history
    inner join attached
        on field_history.opportunity_field_history_id = attached.record_id

)

select * from final
