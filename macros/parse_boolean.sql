{#-
    A boolean however the loader wrote it: true/TRUE/t/1/yes/y and false/FALSE/f/0/no/n.
    Anything else is null, never a guess.
-#}
{% macro parse_boolean(expression) -%}
    {%- if landed_as(expression, 'boolean') -%}
        {{ return(expression) }}
    {%- endif -%}
    case lower({{ clean_text(expression) }})
        when 'true' then true
        when 't' then true
        when '1' then true
        when 'yes' then true
        when 'y' then true
        when 'false' then false
        when 'f' then false
        when '0' then false
        when 'no' then false
        when 'n' then false
    end
{%- endmacro %}
