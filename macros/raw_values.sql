{#-
    The raw values of a row as one readable string ('id=006…; amount=TBD; …'), for the
    quarantine mart: a reviewer sees what the CRM sent without opening the raw table.
    Columns named in `numbers` may land as floating point, which each engine writes as
    text its own way (10.0 or 10): they are shown as read, at a fixed scale, or as sent
    where they cannot be read, so the string is the same on every adapter.
-#}
{% macro raw_values(columns, numbers=[]) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append("'" ~ ('; ' if not loop.first else '') ~ column ~ "='") -%}
        {%- if column in numbers -%}
            {%- set shown = "coalesce(cast(" ~ parse_number(adapter.quote(column)) ~ " as " ~ dbt.type_string()
                ~ "), " ~ clean_text(adapter.quote(column)) ~ ", 'null')" -%}
        {%- else -%}
            {%- set shown = "coalesce(cast(" ~ adapter.quote(column) ~ " as " ~ dbt.type_string() ~ "), 'null')" -%}
        {%- endif -%}
        {%- do parts.append(shown) -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}
