{#-
    Every activity linked to what it is about (int_activities_linked), with the build's
    columns. A view: the linked table is kept up to date by key on a daily run, and the
    build's columns, which change on every run, are not written to each of its rows.
-#}
select
    *,
    {{ build_columns() }}
from {{ ref('int_activities_linked') }}
