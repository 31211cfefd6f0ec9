{#- The ISO day of the week of a date: 1 for Monday to 7 for Sunday. -#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'salesperf')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    extract(isodow from {{ date_expression }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expression) -%}
    mod(dayofweek({{ date_expression }}) + 5, 7) + 1
{%- endmacro %}
