{#-
    The live line items of live opportunities: staging's rows that
    int_opportunity_children_attached attached. On a daily run, only those of the deals
    that can read differently since the last build (macros/opportunities_to_recompute.sql).
-#}
{%- set incremental_inputs = opportunity_records_read() + ['int_opportunity_children_attached'] %}
{{ config(incremental_inputs=incremental_inputs) }}
{%- set plan = incremental_plan() %}
{{ depends_on_incremental_inputs(incremental_inputs) }}

with
{%- if plan.by_key %}

deals_to_recompute as (

    {{ opportunity_ids_loaded_since(plan) }}

),
{%- endif %}

line_items as (

    select * from {{ ref('stg_crm__opportunity_line_items') }}
    {%- if plan.by_key %}
    where opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- endif %}

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
