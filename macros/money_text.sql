{#- An amount as text with two decimals ('44304.00'), for messages a reviewer reads. -#}
{% macro money_text(expression) -%}
    cast(cast({{ expression }} as decimal(28, 2)) as {{ dbt.type_string() }})
{%- endmacro %}
