{#-
    The id of the build that writes the marts: var('build_id') when one is given, else dbt's
    invocation_id. checked_var holds it to a short run of letters, digits and . _ : -, so
    that it reaches SQL as a plain string literal.
-#}
{% macro build_id() -%}
    {%- set value = checked_var('build_id') -%}
    {{ return(invocation_id if value is none else value) }}
{%- endmacro %}
