{#-
    A number from whatever the loader wrote ('12500', ' 12500.50 ', '1.25e4'), or null when
    the text is not a number ('TBD', '$1,200'): staging quarantines such rows by comparing
    the parsed value with the raw one, so a bad value never stops the build.
-#}
{% macro parse_number(expression) -%}
    {%- if landed_as(expression, 'number') -%}
        {{ return('cast(' ~ expression ~ ' as ' ~ dbt.type_numeric() ~ ')') }}
    {%- endif -%}
    {{ return(adapter.dispatch('parse_number', 'salesperf')(expression)) }}
{%- endmacro %}

{% macro default__parse_number(expression) -%}
    {{ dbt.safe_cast(clean_text(expression), dbt.type_numeric()) }}
{%- endmacro %}

{% macro duckdb__parse_number(expression) -%}
    try_cast({{ clean_text(expression) }} as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro postgres__parse_number(expression) -%}
    {#- PostgreSQL has no try_cast: only text shaped like a number reaches the cast, and one
        too large for numeric(28,6) is null as in duckdb, not an error that stops the build.
        The outer cast keeps the column numeric(28,6): a case with a null branch would
        otherwise drop the precision. -#}
    {%- set text = clean_text(expression) -%}
    cast(
        case
            when {{ text }} ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,4})?$'
                then case when abs(round(cast({{ text }} as numeric), 6)) < 1e22 then {{ text }} end
        end as {{ dbt.type_numeric() }}
    )
{%- endmacro %}

{% macro spark__parse_number(expression) -%}
    {#- Only text shaped like a number reaches the cast: Spark would also read '1.5d' or
        'Infinity'. try_cast gives null for one too large for decimal(28,6), as in duckdb,
        with ANSI mode on or off. -#}
    {%- set text = clean_text(expression) -%}
    case
        when {{ text }} rlike '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]{1,4})?$'
            then try_cast({{ text }} as {{ dbt.type_numeric() }})
    end
{%- endmacro %}
