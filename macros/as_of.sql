{#
    The build's "now" as a timestamp literal: var('as_of') when set (checked, and written
    back in one form, so nothing but a timestamp reaches the SQL), else the moment the
    invocation started (UTC). Every model reads "now" through this macro, never through
    current_timestamp, so a rebuild with the same data and as_of gives the same rows.
#}
{% macro as_of() -%}
    {%- set value = checked_var('as_of') -%}
    {%- if value is none -%}
        {%- set value = run_started_at.strftime('%Y-%m-%d %H:%M:%S') -%}
    {%- endif -%}
    cast({{ text_literal(value) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#-
    as_of in the reporting timezone, as a timestamp and as a date: what models compare
    record times and dates with.
-#}
{% macro as_of_at() -%}
    {{ to_reporting_time(as_of()) }}
{%- endmacro %}

{% macro as_of_date() -%}
    cast({{ to_reporting_time(as_of()) }} as date)
{%- endmacro %}
