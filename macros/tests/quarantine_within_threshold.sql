{#-
    Quarantine per raw table against var('quarantine_threshold') (a share, default 0.01).
    A table above it fails the build with a message naming the table, its share and its
    top reasons; any quarantine below it returns rows, so the test warns (configure it with
    severity warn). Reads a model with source_table, raw_rows, quarantined_rows,
    quarantine_share and top_quarantine_reasons.
-#}
{% test quarantine_within_threshold(model) %}

{%- set threshold = checked_var('quarantine_threshold') -%}
{%- if execute -%}
    {%- set over = run_query(
        "select source_table, quarantined_rows, raw_rows, top_quarantine_reasons from " ~ model
        ~ " where quarantine_share > " ~ threshold ~ " order by source_table"
    ) -%}
    {%- if over.rows | length > 0 -%}
        {%- set lines = [] -%}
        {%- for row in over.rows -%}
            {%- do lines.append(
                row[0] ~ ": " ~ row[1] ~ " of " ~ row[2] ~ " rows quarantined ("
                ~ ((row[1] / row[2] * 100) | round(2)) ~ "%); top reasons: " ~ row[3]
            ) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "Quarantine above the threshold of " ~ (threshold * 100) ~ "% of a table "
            ~ "(var quarantine_threshold); see marts.crm_quarantine.\n" ~ (lines | join("\n"))
        ) }}
    {%- endif -%}
{%- endif %}

select
    source_table,
    quarantined_rows,
    raw_rows,
    top_quarantine_reasons
from {{ model }}
where quarantined_rows > 0

{% endtest %}
