{#-
    The type of a double-precision float, for rates, ratios and averages. dbt's type_float
    is a single-precision float on DuckDB, and Spark has no `double precision`.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'salesperf')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
