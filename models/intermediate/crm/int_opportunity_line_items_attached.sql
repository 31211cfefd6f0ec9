{#-
    The live line items of live opportunities: staging's rows that
    int_opportunity_children_attached attached (macros/live_opportunity_children.sql).
-#}
{%- set incremental_inputs = opportunity_records_read() + ['int_opportunity_children_attached'] %}
{{ config(incremental_inputs=incremental_inputs) }}
{%- set plan = incremental_plan() %}
{{ depends_on_incremental_inputs(incremental_inputs) }}

{{ live_opportunity_children(
    'stg_crm__opportunity_line_items', 'opportunity_line_item', 'opportunity_line_item_id', plan,
) }}
