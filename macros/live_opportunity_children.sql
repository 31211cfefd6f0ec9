{#-
    The body of the models of attached line items and field history: the rows of a staged
    child table of opportunities that int_opportunity_children_attached marked live (the
    row and its deal are live). On a daily run, only those of the deals that can read
    differently since the last build (see opportunities_to_recompute.sql); the plan is the
    calling model's.
    - staging_model: the staged child table, such as 'stg_crm__opportunity_line_items';
    - source_table: its raw table, as int_opportunity_children_attached names it;
    - id_column: the child's id in the staged table.
-#}
{% macro live_opportunity_children(staging_model, source_table, id_column, plan) -%}
with
{%- if plan.by_key %}

deals_to_recompute as (

    {{ opportunity_ids_loaded_since(plan) }}

),
{%- endif %}

children as (

    select * from {{ ref(staging_model) }}
    {%- if plan.by_key %}
    where opportunity_id in (select deals_to_recompute.record_id from deals_to_recompute)
    {%- endif %}

),

attached as (

    select record_id
    from {{ ref('int_opportunity_children_attached') }}
    where source_table = {{ text_literal(source_table) }} and row_disposition = 'live'

),

final as (

    select children.*
    from children
    inner join attached
        on children.{{ id_column }} = attached.record_id

)

select * from final
{%- endmacro %}
