{#-
    The text key of a row of a mart keyed on several columns: the values joined with '#',
    a null as the empty string ('005…#2026-01-01'). One key column gives BI tools and the
    primary-key tests a single column to work with.
-#}
{% macro row_key(expressions) -%}
    {%- set parts = [] -%}
    {%- for expression in expressions -%}
        {%- if not loop.first -%}{%- do parts.append("'#'") -%}{%- endif -%}
        {%- do parts.append("coalesce(cast(" ~ expression ~ " as " ~ dbt.type_string() ~ "), '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
