{#-
    A branch of a staging model's quarantine case: the loader sent a value (the cleaned
    text `<column>_raw` beside the typed column) that did not parse, so the typed column is
    null. Such a row is quarantined with the column named, never kept with a silent null
    that would drop it from a mart or put it in no month; its raw values show the text.
-#}
{% macro unreadable_value(column, typed_column, kind) -%}
    when {{ column }}_raw is not null and {{ typed_column }} is null
        then '{{ column }} is not a {{ kind }}'
{%- endmacro %}
