{#-
    The median of an expression over a group (nulls ignored), as an aggregate. Dispatched:
    DuckDB and PostgreSQL spell the ordered-set aggregate differently from the default.
-#}
{% macro median_of(expression) -%}
    {{ return(adapter.dispatch('median_of', 'salesperf')(expression)) }}
{%- endmacro %}

{% macro default__median_of(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__median_of(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median_of(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
