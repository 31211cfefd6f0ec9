{#-
    The raw values of a row as one readable string ('id=006…; amount=TBD; …'), for the
    quarantine mart: a reviewer sees what the CRM sent without opening the raw table.
    Columns named in `numbers` may land as floating point, which each engine writes as
    text its own way (10.0 or 10): they are shown as read, at a fixed scale, or as sent
    where they cannot be read, so the string is the same on every adapter. With a prefix,
    the columns are read where raw_value_columns carried them.
-#}
{% macro raw_values(columns, numbers=[], prefix='') -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- set carried = adapter.quote(prefix ~ column) -%}
        {%- do parts.append("'" ~ ('; ' if not loop.first else '') ~ column ~ "='") -%}
        {%- if column in numbers -%}
            {%- set shown = "coalesce(cast(" ~ parse_number(carried) ~ " as " ~ dbt.type_string()
                ~ "), " ~ clean_text(carried) ~ ", 'null')" -%}
        {%- else -%}
            {%- set shown = "coalesce(cast(" ~ carried ~ " as " ~ dbt.type_string() ~ "), 'null')" -%}
        {%- endif -%}
        {%- do parts.append(shown) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}


{#- The raw columns raw_values reads, carried beside a row's typed values under a prefix, so
    that the string is built once the row is classified, for the quarantined rows alone:
    built for every one of millions of activities, it cost a third of the model. -#}
{% macro raw_value_columns(columns, prefix) -%}
    {%- for column in columns -%}
        {{ adapter.quote(column) }} as {{ adapter.quote(prefix ~ column) }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
