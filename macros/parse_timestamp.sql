{#-
    A timestamp from whatever the loader wrote: a typed timestamp, ISO text
    ('2026-02-23 20:55:00', '2026-02-23T20:55:00Z', with or without a UTC offset, which is
    applied), or a Salesforce report export ('02/23/26 08:55 PM'). The result is UTC, as
    raw timestamps are; null when the text is not a timestamp.
-#}
{% macro parse_timestamp(expression) -%}
    {%- if landed_type(expression) in ('timestamp', 'date') -%}
        {{ return('cast(' ~ expression ~ ' as ' ~ dbt.type_timestamp() ~ ')') }}
    {%- endif -%}
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
    {#- PostgreSQL has no try_cast, and its casts stop the build on a date that does not
        exist ('2026-02-30', '13/01/26'): each shape is matched by a pattern that also
        checks the calendar (month lengths, leap years, clock ranges) before anything is
        converted, so unreadable text is null as in duckdb. The US shapes are built from
        their parts as a timestamp without time zone (to_timestamp would pass through the
        server's TimeZone setting and move wall-clock times in a daylight-saving gap), and
        two-digit years follow duckdb's strptime: 69-99 are 19xx, 00-68 are 20xx. -#}
    {%- set text = clean_text(expression) -%}
    {%- set leap_year = "(?!0000)([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)" -%}
    {%- set iso_date = "((?!0000)[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
        ~ "|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|" ~ leap_year ~ "-02-29)" -%}
    {%- set iso_time = "[ T](([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?|24:00(:00([.]0+)?)?)" -%}
    {%- set offset = "(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)" -%}
    {%- set month_day = "((0?[13578]|1[02])/(0?[1-9]|[12][0-9]|3[01])|(0?[469]|11)/(0?[1-9]|[12][0-9]|30)"
        ~ "|0?2/(0?[1-9]|1[0-9]|2[0-8]))" -%}
    {%- set us_date = "(" ~ month_day ~ "/((?!0000)[0-9]{4}|[0-9]{2})|0?2/29/(" ~ leap_year
        ~ "|[02468][048]|[13579][26]))" -%}
    {%- set clock_12 = " (0?[1-9]|1[0-2]):[0-5]?[0-9] [AaPp][Mm]" -%}
    {%- set clock_24 = " ([01]?[0-9]|2[0-3]):[0-5]?[0-9]:[0-5]?[0-9]" -%}
    {#- parts of a US shape: M/D/Y[ h:m[:s][ AM]] -#}
    {%- set us_day = "split_part(" ~ text ~ ", ' ', 1)" -%}
    {%- set us_year = "split_part(" ~ us_day ~ ", '/', 3)" -%}
    {%- set us_clock = "split_part(" ~ text ~ ", ' ', 2)" -%}
    {%- set us_date_value -%}
        make_date(
            cast({{ us_year }} as integer) + case
                when length({{ us_year }}) = 4 then 0
                when cast({{ us_year }} as integer) >= 69 then 1900
                else 2000
            end,
            cast(split_part({{ us_day }}, '/', 1) as integer),
            cast(split_part({{ us_day }}, '/', 2) as integer)
        )
    {%- endset -%}
    {%- set us_minutes_seconds -%}
        make_interval(
            mins => cast(split_part({{ us_clock }}, ':', 2) as integer),
            secs => cast(coalesce(nullif(split_part({{ us_clock }}, ':', 3), ''), '0') as integer)
        )
    {%- endset -%}
    case
        when {{ text }} ~ '^{{ iso_date }}{{ iso_time }}{{ offset }}$'
            then cast(cast({{ text }} as timestamptz) at time zone 'UTC' as timestamp)
        when {{ text }} ~ '^{{ iso_date }}({{ iso_time }})?$'
            then cast({{ text }} as timestamp)
        when {{ text }} ~ '^{{ us_date }}{{ clock_12 }}$'
            then {{ us_date_value }}
            + make_interval(hours => cast(split_part({{ us_clock }}, ':', 1) as integer) % 12
                + case when upper(split_part({{ text }}, ' ', 3)) = 'PM' then 12 else 0 end)
            + {{ us_minutes_seconds }}
        when {{ text }} ~ '^{{ us_date }}{{ clock_24 }}$' and length({{ us_year }}) = 4
            then {{ us_date_value }}
            + make_interval(hours => cast(split_part({{ us_clock }}, ':', 1) as integer))
            + {{ us_minutes_seconds }}
        when {{ text }} ~ '^{{ us_date }}$'
            then cast({{ us_date_value }} as timestamp)
    end
{%- endmacro %}
