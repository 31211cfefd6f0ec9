{#- The corporate currency (var corporate_currency, checked) as a SQL string literal. -#}
{% macro corporate_currency() -%}
    {{ text_literal(checked_var('corporate_currency')) }}
{%- endmacro %}
