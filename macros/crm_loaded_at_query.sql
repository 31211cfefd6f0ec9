{#-
    The source freshness query of a raw CRM table (rendered when freshness runs, with `this`
    the table): the newest load time by the same column select_source_columns takes,
    whichever tool landed the table. A table that does not exist has nothing to go stale
    (the org does not use it, and the build's warning names it), so it reads as loaded now;
    a table without a load column gives null, which dbt reports as an error to act on
    (name the column in var('raw_loaded_at_column')).
-#}
{% macro crm_loaded_at_query() -%}
    {%- set present = source_table_columns(this) -%}
    {%- set column = loaded_at_column(present) if present is not none else none -%}
    {%- if present is none -%}
    select {{ dbt.current_timestamp() }}
    {%- elif column is none -%}
    select cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
    select max({{ loaded_at_expression(column) }}) from {{ this }}
    {%- endif -%}
{%- endmacro %}
