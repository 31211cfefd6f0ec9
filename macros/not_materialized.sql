{#-
    Written after `as` in a CTE that is read more than once, to have it inlined at each read:
    DuckDB otherwise materializes such a CTE, every row and column of it, before any
    reader filters or narrows it; PostgreSQL (12 and later) takes the same words. Other
    engines inline CTEs anyway, or have no such words.
-#}
{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized', 'salesperf')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}

{% macro postgres__not_materialized() -%}
    not materialized
{%- endmacro %}
