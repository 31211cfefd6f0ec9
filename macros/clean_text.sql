{#- Text as a staging model keeps it: trimmed, and null where the loader wrote an empty string. -#}
{% macro clean_text(expression) -%}
    nullif(trim(cast({{ expression }} as {{ dbt.type_string() }})), '')
{%- endmacro %}
