{#-
    A timestamp from whatever the loader wrote: a typed timestamp, ISO text
    ('2026-02-23 20:55:00', '2026-02-23T20:55:00Z', with or without a UTC offset, which is
    applied), or a Salesforce report export ('02/23/26 08:55 PM'). The result is UTC, as
    raw timestamps are; null when the text is not a timestamp.
-#}
{% macro parse_timestamp(expression) -%}
    {{ return(adapter.dispatch('parse_timestamp', 'salesperf')(expression)) }}
{%- endmacro %}

{% macro default__parse_timestamp(expression) -%}
    {{ dbt.safe_cast(clean_text(expression), dbt.type_timestamp()) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp(expression) -%}
    {%- set text = clean_text(expression) -%}
    case
        -- ISO only through the cast: duckdb would also read '02/03/24' as the year 2
        when regexp_matches({{ text }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}.*([+-][0-9]{2}(:?[0-9]{2})?|Z)$')
            then cast(timezone('UTC', try_cast({{ text }} as timestamptz)) as timestamp)
        when regexp_matches({{ text }}, '^[0-9]{4}-[0-9]{2}-[0-9]{2}')
            then try_cast({{ text }} as timestamp)
        else coalesce(
            try_strptime({{ text }}, '%m/%d/%y %I:%M %p'),
            try_strptime({{ text }}, '%m/%d/%Y %I:%M %p'),
            try_strptime({{ text }}, '%m/%d/%Y %H:%M:%S'),
            try_strptime({{ text }}, '%m/%d/%y'),
            try_strptime({{ text }}, '%m/%d/%Y')
        )
    end
{%- endmacro %}

{% macro postgres__parse_timestamp(expression) -%}
    {%- set text = clean_text(expression) -%}
    case
        when {{ text }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?([+-][0-9]{2}(:?[0-9]{2})?|Z)$'
            then cast(cast({{ text }} as timestamptz) at time zone 'UTC' as timestamp)
        when {{ text }} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?$'
            then cast({{ text }} as timestamp)
        when {{ text }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2} [0-9]{1,2}:[0-9]{2} [AaPp][Mm]$'
            then cast(to_timestamp({{ text }}, 'MM/DD/YY HH12:MI AM') as timestamp)
        when {{ text }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4} [0-9]{1,2}:[0-9]{2} [AaPp][Mm]$'
            then cast(to_timestamp({{ text }}, 'MM/DD/YYYY HH12:MI AM') as timestamp)
        when {{ text }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}$'
            then cast(to_date({{ text }}, 'MM/DD/YY') as timestamp)
        when {{ text }} ~ '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}$'
            then cast(to_date({{ text }}, 'MM/DD/YYYY') as timestamp)
    end
{%- endmacro %}
