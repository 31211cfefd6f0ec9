{#-
    A calendar date from whatever the loader wrote: a typed date, '2026-02-23',
    '02/23/26', or a timestamp (whose date part is taken as written: date-only CRM fields
    such as close_date carry no time zone). Null when the text is not a date.
-#}
{% macro parse_date(expression) -%}
    cast({{ parse_timestamp(expression) }} as date)
{%- endmacro %}
