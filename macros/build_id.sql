{#-
    The id of the build that writes the marts: var('build_id') when the run passes one (a
    scheduled run passes a sortable id such as '20261202T051500Z-1a2b3c4d'), else dbt's
    invocation_id. It reaches SQL as a string literal, so anything but a short run of
    letters, digits and . _ : - stops the build before any model runs, instead of being
    spliced into every mart's SQL.
-#}
{% macro build_id() -%}
    {%- set value = var('build_id', none) -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {{ return(invocation_id) }}
    {%- endif -%}
    {%- set value = value | string -%}
    {%- if not modules.re.fullmatch('[A-Za-z0-9._:-]{1,64}', value) -%}
        {{ exceptions.raise_compiler_error(
            "var build_id must be 1 to 64 letters, digits and . _ : - (such as "
            ~ "'20261202T051500Z-1a2b3c4d'), not '" ~ value[:80] ~ "'"
        ) }}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}
