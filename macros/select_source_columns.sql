{#-
    `select <every column the source declares> from <source>`, with a column the raw
    table lacks selected as a typed null: the contract lets loaders leave optional columns
    out, and a missing column must not break the build. The load-order columns
    (_loaded_at, _source_row) are included the same way.

    When the declarations or the table cannot be inspected (at parse time, or in a unit
    test, whose inputs are fixtures with every column), the source is selected whole.
-#}
{% macro select_source_columns(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set declared = [] -%}
    {%- set present = [] -%}
    {%- if execute and model.resource_type != 'unit_test' -%}
        {%- set node = graph.get('sources', {}).get('source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name) -%}
        {%- if node -%}
            {%- for column in node.columns -%}
                {%- do declared.append(column) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if load_relation(relation) is not none -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do present.append(column.name | lower) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- if declared | length == 0 %}
    select * from {{ relation }}
    {%- else -%}
    {%- do declared.extend(['_loaded_at', '_source_row']) %}
    select
    {%- for column in declared %}
        {% if present | length == 0 or column | lower in present -%}
            {{ adapter.quote(column) }}
        {%- elif column == '_loaded_at' -%}
            cast(null as {{ dbt.type_timestamp() }})
        {%- elif column == '_source_row' -%}
            cast(null as {{ dbt.type_bigint() }})
        {%- else -%}
            cast(null as {{ dbt.type_string() }})
        {%- endif %} as {{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ relation }}
    {%- endif -%}
{%- endmacro %}
