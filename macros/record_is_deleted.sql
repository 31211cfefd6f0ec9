{#-
    Whether a raw row says its record is deleted: the CRM's own flag (is_deleted, where the
    table has one), Fivetran's _fivetran_deleted, or, for a table in history mode, a record
    whose newest version is no longer current (Fivetran ends the last version of a record
    deleted in the CRM). Expects the load columns of select_source_columns beside it.
-#}
{% macro record_is_deleted(is_deleted_column=none) -%}
    (
        {%- if is_deleted_column is not none %}
        coalesce({{ parse_boolean(is_deleted_column) }}, false) or
        {%- endif %}
        coalesce(_loader_deleted, false)
        or coalesce(not _is_current_version, false)
    )
{%- endmacro %}
