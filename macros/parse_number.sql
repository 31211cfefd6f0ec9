{#-
    A number from whatever the loader wrote ('12500', ' 12500.50 ', '1.25e4'), or null when
    the text is not a number ('TBD', '$1,200'): staging quarantines such rows by comparing
    the parsed value with the raw one, so a bad value never stops the build.
-#}
{% macro parse_number(expression) -%}
    {{ return(adapter.dispatch('parse_number', 'salesperf')(expression)) }}
{%- endmacro %}

{% macro default__parse_number(expression) -%}
    {{ dbt.safe_cast(clean_text(expression), dbt.type_numeric()) }}
{%- endmacro %}

{% macro duckdb__parse_number(expression) -%}
    try_cast({{ clean_text(expression) }} as {{ dbt.type_numeric() }})
{%- endmacro %}

{% macro postgres__parse_number(expression) -%}
    case
        when {{ clean_text(expression) }} ~ '^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$'
            then cast({{ clean_text(expression) }} as {{ dbt.type_numeric() }})
    end
{%- endmacro %}
