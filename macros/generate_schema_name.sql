{#
    Models land in the schema their folder names (staging, intermediate, marts), not in
    "<target schema>_marts": BI tools read `marts.rep_win_rate_monthly` on every target.
    Environments are kept apart by database (a DuckDB file, a Postgres database), not by
    schema prefixes.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
