{#-
    The raw values of a row as one readable string ('id=006…; amount=TBD; …'), for the
    quarantine mart: a reviewer sees what the CRM sent without opening the raw table.
-#}
{% macro raw_values(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("'" ~ ('; ' if not loop.first else '') ~ column ~ "='") -%}
        {%- do parts.append("coalesce(cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ "), 'null')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
