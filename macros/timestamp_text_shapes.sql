{#-
    The text shapes parse_timestamp reads, as regular expressions that also check the
    calendar (month lengths, leap years, clock ranges), for the engines whose casts cannot
    be trusted with text (PostgreSQL stops the build on '2026-02-30', Spark reads '2026' as a
    timestamp): each shape is matched before anything is converted, so unreadable text is
    null there as in duckdb. POSIX and Java regular expressions read them alike.
-#}
{% macro timestamp_text_shapes() -%}
    {%- set leap_year = "(?!0000)([0-9]{2}(0[48]|[2468][048]|[13579][26])|([02468][048]|[13579][26])00)" -%}
    {%- set month_day = "((0?[13578]|1[02])/(0?[1-9]|[12][0-9]|3[01])|(0?[469]|11)/(0?[1-9]|[12][0-9]|30)"
        ~ "|0?2/(0?[1-9]|1[0-9]|2[0-8]))" -%}
    {{ return({
        'iso_date': "((?!0000)[0-9]{4}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])"
            ~ "|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))|" ~ leap_year ~ "-02-29)",
        'iso_time': "[ T](([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]+)?)?|24:00(:00([.]0+)?)?)",
        'offset': "(Z|[+-](0[0-9]|1[0-5])(:?[0-5][0-9])?)",
        'us_date': "(" ~ month_day ~ "/((?!0000)[0-9]{4}|[0-9]{2})|0?2/29/(" ~ leap_year
            ~ "|[02468][048]|[13579][26]))",
        'clock_12': " (0?[1-9]|1[0-2]):[0-5]?[0-9] [AaPp][Mm]",
        'clock_24': " ([01]?[0-9]|2[0-3]):[0-5]?[0-9]:[0-5]?[0-9]",
    }) }}
{%- endmacro %}
