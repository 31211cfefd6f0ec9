{#-
    Which deals a daily run of int_opportunity_children_attached and the three models of
    attached histories, field histories and line items recomputes (see incremental.sql):
    those whose children can read differently since the models' last build. Every row of
    these models is decided by the records of one deal and of its children, so a run
    replaces all the rows of each deal it recomputes.
-#}

{#- The base models whose rows decide a deal's attached children. -#}
{% macro opportunity_records_read() -%}
    {{ return([
        'base_crm__opportunities', 'base_crm__opportunity_histories',
        'base_crm__opportunity_field_histories', 'base_crm__opportunity_line_items',
    ]) }}
{%- endmacro %}


{#- The deals with a row loaded since (new, changed, deleted or quarantined), and every deal
    named by any version of a history row, field history row or line item with a row loaded
    since: a child moved to another deal leaves the one its older version names. These are
    also the keys that may have lost their rows. -#}
{% macro opportunity_ids_loaded_since(plan) -%}
    {{ ids_loaded_since('base_crm__opportunities', 'opportunity_id', plan) }}
    {%- for base_model, id_column in [
        ('base_crm__opportunity_histories', 'opportunity_history_id'),
        ('base_crm__opportunity_field_histories', 'opportunity_field_history_id'),
        ('base_crm__opportunity_line_items', 'opportunity_line_item_id'),
    ] %}
    union all
    select opportunity_id from {{ ref(base_model) }}
    where
        opportunity_id is not null
        and {{ id_column }} in ({{ ids_loaded_since(base_model, id_column, plan) }})
    {%- endfor %}
{%- endmacro %}
