{#-
    The order that ranks the versions of one record newest first: by last change, then,
    where that ties or is missing, the row loaded last (see DECISIONLOG.md).
-#}
{% macro newest_version_first(last_modified_column) -%}
    {{ last_modified_column }} desc nulls last,
    _loaded_at desc nulls last,
    _source_row desc nulls last
{%- endmacro %}
