{#-
    Text as a SQL string literal, its quotes doubled (standard SQL, which DuckDB and
    PostgreSQL read alike) and quoted by dbt's string_literal: the one way a var's text, a
    status or a time zone name, reaches SQL.
-#}
{% macro text_literal(value) -%}
    {{ dbt.string_literal(value | string | replace("'", "''")) }}
{%- endmacro %}
