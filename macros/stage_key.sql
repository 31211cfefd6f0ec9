{#-
    The key a stage name is matched on: lower case, with every space removed, so that
    ' closed  won', 'Closed Won' and 'CLOSED WON ' all find the catalogue's 'Closed Won'.
-#}
{% macro stage_key(expression) -%}
    {{ return(adapter.dispatch('stage_key', 'salesperf')(expression)) }}
{%- endmacro %}

{% macro default__stage_key(expression) -%}
    lower(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '\\s', ''))
{%- endmacro %}

{% macro duckdb__stage_key(expression) -%}
    lower(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '\s', '', 'g'))
{%- endmacro %}

{% macro postgres__stage_key(expression) -%}
    lower(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '\s', '', 'g'))
{%- endmacro %}
