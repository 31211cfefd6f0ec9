{#-
    The key a CRM value is matched on against a seed: lower case, with every space removed, so
    that ' closed  won', 'Closed Won' and 'CLOSED WON ' all find the catalogue's 'Closed Won'.
-#}
{% macro match_key(expression) -%}
    {{ return(adapter.dispatch('match_key', 'salesperf')(expression)) }}
{%- endmacro %}

{% macro default__match_key(expression) -%}
    lower(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '\\s', ''))
{%- endmacro %}

{% macro duckdb__match_key(expression) -%}
    lower(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '\s', '', 'g'))
{%- endmacro %}

{% macro postgres__match_key(expression) -%}
    lower(regexp_replace(cast({{ expression }} as {{ dbt.type_string() }}), '\s', '', 'g'))
{%- endmacro %}
