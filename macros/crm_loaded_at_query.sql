{#-
    The source freshness query of a raw CRM table (rendered when freshness runs, with `this`
    the table): the newest load time by the same column select_source_columns takes,
    whichever tool landed the table. A table without such a column, or without rows, gives
    null, which dbt reports as having no freshness to check.
-#}
{% macro crm_loaded_at_query() -%}
    {%- set present = source_table_columns(this) -%}
    {%- set column = loaded_at_column(present) if present is not none else none -%}
    {%- if column is none -%}
    select cast(null as {{ dbt.type_timestamp() }})
    {%- else -%}
    select max({{ loaded_at_expression(column) }}) from {{ this }}
    {%- endif -%}
{%- endmacro %}
