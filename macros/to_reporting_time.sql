{#-
    A UTC timestamp as wall-clock time in the reporting time zone (var reporting_timezone),
    so that dates taken from it fall on the reporting calendar: a deal closed at 23:30 on
    the 31st in New York belongs to that month, not the next.
-#}
{% macro to_reporting_time(utc_timestamp) -%}
    {%- set zone = checked_var('reporting_timezone') -%}
    {%- if zone | upper == 'UTC' -%}
        {{ utc_timestamp }}
    {%- else -%}
        {{ return(adapter.dispatch('to_reporting_time', 'salesperf')(utc_timestamp, zone)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__to_reporting_time(utc_timestamp, zone) -%}
    cast(({{ utc_timestamp }} at time zone 'UTC') at time zone {{ text_literal(zone) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro spark__to_reporting_time(utc_timestamp, zone) -%}
    from_utc_timestamp({{ utc_timestamp }}, {{ text_literal(zone) }})
{%- endmacro %}
