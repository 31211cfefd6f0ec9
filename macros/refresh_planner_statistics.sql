{#-
    The post-hook of the base staging tables on PostgreSQL (see dbt_project.yml): statistics
    for the planner, so the row counts it plans the marts' joins with are true. Nothing on
    other engines.
-#}
{% macro refresh_planner_statistics() -%}
    {{ return(adapter.dispatch('refresh_planner_statistics', 'salesperf')()) }}
{%- endmacro %}

{% macro default__refresh_planner_statistics() -%}
{%- endmacro %}

{% macro postgres__refresh_planner_statistics() -%}
    analyze {{ this }}
{%- endmacro %}
