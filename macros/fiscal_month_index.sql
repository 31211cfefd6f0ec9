{#-
    Months from the start of the fiscal year (var fiscal_year_start_month) to a month given
    by its number 1 to 12: 0 in the fiscal year's first month, 11 in its last.
-#}
{% macro fiscal_month_index(month_number) -%}
    mod({{ month_number }} - {{ checked_var('fiscal_year_start_month') }} + 12, 12)
{%- endmacro %}
