{#
    Models land in the schema their folder names (staging, intermediate, marts), not in
    "<target schema>_marts": BI tools read `marts.rep_win_rate_monthly` on every target.
    Environments are kept apart by database (a DuckDB file, a Postgres database), not by
    schema prefixes.

    var('build_schema_suffix') builds every project schema under another name (staging__building,
    marts__building, ...): a run on PostgreSQL builds and tests there while BI reads the
    published schemas, then swaps them in one transaction.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set suffix = checked_var('build_schema_suffix') -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ (custom_schema_name | trim) ~ suffix }}
    {%- endif -%}
{%- endmacro %}
