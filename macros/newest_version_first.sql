{#-
    The order that ranks the versions of one record newest first: a table in history mode
    puts the record's current version first; then the last change; then, where that ties or
    is missing, the row loaded last, and last of all the row number (the loader's, or the
    order of the row's own values where no loader numbered the rows; see DECISIONLOG.md).
-#}
{% macro newest_version_first(last_modified_column) -%}
    _is_current_version desc nulls last,
    _version_started_at_utc desc nulls last,
    {{ last_modified_column }} desc nulls last,
    _loaded_at desc nulls last,
    _source_row desc nulls last
{%- endmacro %}
