{#-
    numerator / denominator as a double, null when the denominator is 0 or null: every
    rate of the metric spec is null, not an error or infinity, where nothing was counted.
    The cast keeps integer counts from integer division on engines that do it (PostgreSQL).
-#}
{% macro safe_divide(numerator, denominator) -%}
    {{ return(adapter.dispatch('safe_divide', 'salesperf')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0)
{%- endmacro %}
