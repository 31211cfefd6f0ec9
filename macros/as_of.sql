{#
    The build's "now" as a timestamp literal: var('as_of') when set (checked, and written
    back in one form, so nothing but a timestamp reaches the SQL), else the moment the
    invocation started (UTC). Every model reads "now" through this macro, never through
    current_timestamp, so a rebuild with the same data and as_of gives the same rows.
#}
{% macro as_of(value=none) -%}
    cast({{ text_literal(value or as_of_value()) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- That moment as text, 'YYYY-MM-DD HH:MM:SS' (so two of them compare as text). -#}
{% macro as_of_value() -%}
    {%- set value = checked_var('as_of') -%}
    {{ return(value if value is not none else run_started_at.strftime('%Y-%m-%d %H:%M:%S')) }}
{%- endmacro %}

{#-
    as_of in the reporting timezone, as a timestamp and as a date: what models compare
    record times and dates with. Given a value, another build's as_of (see incremental.sql).
-#}
{% macro as_of_at(value=none) -%}
    {{ to_reporting_time(as_of(value)) }}
{%- endmacro %}

{% macro as_of_date(value=none) -%}
    cast({{ to_reporting_time(as_of(value)) }} as date)
{%- endmacro %}
