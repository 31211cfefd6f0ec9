{#-
    What type the loader gave a raw column, when the loader typed it: 'timestamp' (without
    a time zone), 'date', 'integer' or 'boolean'; none for text, for any other type, and
    outside a staging model's read of its one source. The parse macros cast such a column
    directly: parsing the text of a value that is already typed gives the same value, at
    several times the cost (a cast to text and a regular expression on every row of the
    largest tables).
-#}
{% macro landed_type(expression) -%}
    {%- if not execute or model.resource_type != 'model' or (model.sources | length) != 1 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set name = expression | trim | replace('"', '') | replace('`', '') | lower -%}
    {%- if not modules.re.fullmatch('[a-z_][a-z0-9_]*', name) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set source_name, table_name = model.sources[0] -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set columns = stored_columns(relation) -%}
    {%- if columns is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set present = {} -%}
    {%- set types = {} -%}
    {%- for column in columns -%}
        {%- do present.update({column.name | lower: column.name}) -%}
        {%- do types.update({column.name: column.dtype | lower}) -%}
    {%- endfor -%}
    {%- set stored = present_column(present, name) -%}
    {%- if stored is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set dtype = types[stored] -%}
    {%- if dtype in ('timestamp', 'timestamp without time zone', 'timestamp_ntz', 'datetime') -%}
        {{ return('timestamp') }}
    {%- elif dtype == 'date' -%}
        {{ return('date') }}
    {%- elif dtype in ('tinyint', 'smallint', 'integer', 'int', 'bigint', 'int2', 'int4', 'int8') -%}
        {{ return('integer') }}
    {%- elif dtype in ('boolean', 'bool') -%}
        {{ return('boolean') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- Whether the loader typed a raw column so that it reads as `kind` ('timestamp', 'date',
    'number' or 'boolean') by a plain cast: the parse macros then cast it, and it cannot be
    unreadable. -#}
{% macro landed_as(expression, kind) -%}
    {%- set landed = landed_type(expression) -%}
    {%- if kind in ('timestamp', 'date') -%}
        {{ return(landed in ('timestamp', 'date')) }}
    {%- elif kind == 'number' -%}
        {{ return(landed == 'integer') }}
    {%- elif kind == 'boolean' -%}
        {{ return(landed == 'boolean') }}
    {%- endif -%}
    {{ return(false) }}
{%- endmacro %}


{#- The cleaned text of a raw column that is parsed as `kind`, beside its parsed value, for
    unreadable_value and the quarantine: null where the loader typed the column (a typed
    value cannot be unreadable), instead of every row's value cast to text, which on the
    largest tables costs more than the rest of the parsing. -#}
{% macro raw_text(expression, kind) -%}
    {%- if landed_as(expression, kind) -%}
        cast(null as {{ dbt.type_string() }})
    {%- else -%}
        {{ clean_text(expression) }}
    {%- endif -%}
{%- endmacro %}
