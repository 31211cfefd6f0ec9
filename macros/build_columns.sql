{#-
    The last two columns of every mart: which build wrote the row (build_id) and the "now"
    that build read the CRM at (as_of, in the reporting time zone). A BI tool reading marts
    while another build runs can tell which build each table came from, and that two tables
    it joins come from the same one.
-#}
{% macro build_columns() -%}
    cast({{ dbt.string_literal(build_id()) }} as {{ dbt.type_string() }}) as build_id,
    cast({{ as_of_at() }} as {{ dbt.type_timestamp() }}) as as_of
{%- endmacro %}
