{#-
    How a base staging model (every raw row with its fate) is materialized, per adapter:
    a view on DuckDB and by default; on PostgreSQL a table, analyzed once built.

    Everything downstream reads these rows filtered on row_disposition and joins them.
    Over a stack of views with window functions PostgreSQL has no statistics, estimates
    a handful of rows for that filter and picks nested loops that recompute the whole
    stack for every row: minutes on the small demo, quadratic in the data. A table with
    statistics gives it true row counts, and the joins become hash joins.
-#}
{% macro base_materialization() -%}
    {{ return(adapter.dispatch('base_materialization', 'salesperf')()) }}
{%- endmacro %}

{% macro default__base_materialization() -%}
    {{ return('view') }}
{%- endmacro %}

{% macro postgres__base_materialization() -%}
    {{ return('table') }}
{%- endmacro %}

{#- The post-hooks that go with it: statistics for the PostgreSQL table, nothing elsewhere. -#}
{% macro base_post_hook() -%}
    {{ return(adapter.dispatch('base_post_hook', 'salesperf')()) }}
{%- endmacro %}

{% macro default__base_post_hook() -%}
    {{ return([]) }}
{%- endmacro %}

{% macro postgres__base_post_hook() -%}
    {{ return(['analyze {{ this }}']) }}
{%- endmacro %}
