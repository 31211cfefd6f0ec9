with

history as (

    select * from {{ ref('stg_crm__opportunity_histories') }}

),

attached as (

    select record_id
    from {{ ref('int_opportunity_children_attached') }}
    where source_table = 'opportunity_history' and row_disposition = 'live'

),

final as (

    select history.*
    from history
    inner join attached
        on history.opportunity_history_id = attached.record_id

)

select * from final
