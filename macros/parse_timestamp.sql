{#-
    A timestamp from whatever the loader wrote: a typed timestamp, ISO text
    ('2026-02-23 20:55:00', '2026-02-23T20:55:00Z', with or without a UTC offset, which is
    applied), or a Salesforce report export ('02/23/26 08:55 PM'). The result is UTC, as
    raw timestamps are; null when the text is not a timestamp.
-#}
{% macro parse_timestamp(expression) -%}
    {%- if landed_as(expression, 'timestamp') -%}
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
    {%- set shapes = timestamp_text_shapes() -%}
    {%- set iso_date, iso_time, offset = shapes.iso_date, shapes.iso_time, shapes.offset -%}
    {%- set us_date, clock_12, clock_24 = shapes.us_date, shapes.clock_12, shapes.clock_24 -%}
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

{% macro spark__parse_timestamp(expression) -%}
    {#- Spark's cast reads too much ('2026' is a timestamp) and its formats too little (no
        24:00, hours of one digit): as on PostgreSQL each shape is checked against the
        calendar first, then the timestamp is put together from its parts (a date, then an
        interval of hours, minutes and seconds, less the UTC offset), with the same
        two-digit years. Every part is checked before it is converted, so nothing fails
        even with ANSI mode on. -#}
    {%- set shapes = timestamp_text_shapes() -%}
    {%- set text = clean_text(expression) -%}
    {%- set iso_clock = "regexp_extract(" ~ text ~ ", '^.{10}[ T]([0-9]{1,2}):([0-9]{2}):?([0-9]{2}([.][0-9]+)?)?', " -%}
    {%- set iso_offset = "regexp_extract(" ~ text ~ ", '([+-])([0-9]{2}):?([0-9]{2})?$', " -%}
    {%- set iso_value -%}
        cast(to_date(substr({{ text }}, 1, 10)) as timestamp) + make_interval(
            0, 0, 0, 0,
            cast(coalesce(nullif({{ iso_clock }}1), ''), '0') as int),
            cast(coalesce(nullif({{ iso_clock }}2), ''), '0') as int),
            cast(coalesce(nullif({{ iso_clock }}3), ''), '0') as decimal(18, 6))
        )
    {%- endset -%}
    {%- set us_day = "split_part(" ~ text ~ ", ' ', 1)" -%}
    {%- set us_year = "split_part(" ~ us_day ~ ", '/', 3)" -%}
    {%- set us_clock = "split_part(" ~ text ~ ", ' ', 2)" -%}
    {%- set us_date_value -%}
        cast(make_date(
            cast({{ us_year }} as int) + case
                when length({{ us_year }}) = 4 then 0
                when cast({{ us_year }} as int) >= 69 then 1900
                else 2000
            end,
            cast(split_part({{ us_day }}, '/', 1) as int),
            cast(split_part({{ us_day }}, '/', 2) as int)
        ) as timestamp)
    {%- endset -%}
    {%- set us_minutes = "cast(split_part(" ~ us_clock ~ ", ':', 2) as int)" -%}
    {%- set us_seconds = "cast(coalesce(nullif(split_part(" ~ us_clock ~ ", ':', 3), ''), '0') as int)" -%}
    case
        when {{ text }} rlike '^{{ shapes.iso_date }}{{ shapes.iso_time }}{{ shapes.offset }}$'
            then {{ iso_value }} - make_interval(
                0, 0, 0, 0,
                case when {{ iso_offset }}1) = '-' then -1 else 1 end
                * cast(coalesce(nullif({{ iso_offset }}2), ''), '0') as int),
                case when {{ iso_offset }}1) = '-' then -1 else 1 end
                * cast(coalesce(nullif({{ iso_offset }}3), ''), '0') as int),
                0
            )
        when {{ text }} rlike '^{{ shapes.iso_date }}({{ shapes.iso_time }})?$'
            then {{ iso_value }}
        when {{ text }} rlike '^{{ shapes.us_date }}{{ shapes.clock_12 }}$'
            then {{ us_date_value }} + make_interval(
                0, 0, 0, 0,
                cast(split_part({{ us_clock }}, ':', 1) as int) % 12
                + case when upper(split_part({{ text }}, ' ', 3)) = 'PM' then 12 else 0 end,
                {{ us_minutes }},
                0
            )
        when {{ text }} rlike '^{{ shapes.us_date }}{{ shapes.clock_24 }}$' and length({{ us_year }}) = 4
            then {{ us_date_value }} + make_interval(
                0, 0, 0, 0, cast(split_part({{ us_clock }}, ':', 1) as int), {{ us_minutes }}, {{ us_seconds }}
            )
        when {{ text }} rlike '^{{ shapes.us_date }}$'
            then {{ us_date_value }}
    end
{%- endmacro %}
