{#-
    Every raw row of every CRM table with what staging did with it: live, duplicate,
    soft_deleted, quarantined (with a reason), or removed_with_parent. The one place the
    quarantine mart and the load reconciliation count from.

    A child of an opportunity (history, field history, line item) that its base model keeps
    as live is decided on again against its deal: int_opportunity_children_attached holds
    exactly those rows, one each, with the final disposition. So they come from there, and
    the base model gives only its rows that are not live: a union with no join, which each
    reader filters or counts as it reads.
-#}

with

classified as (

    {%- for table in crm_staged_tables() %}

    select
        '{{ table.source_table }}' as source_table,
        {{ table.id_column }} as record_id,
        _source_row,
        _loaded_at,
        raw_values,
        row_disposition,
        quarantine_reason
    from {{ ref(table.model) }}
    {%- if table.attached %}
    where row_disposition != 'live'

    union all

    select
        source_table,
        record_id,
        _source_row,
        _loaded_at,
        raw_values,
        row_disposition,
        quarantine_reason
    from {{ ref('int_opportunity_children_attached') }}
    where source_table = '{{ table.source_table }}'
    {%- endif %}
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

final as (

    select
        source_table,
        record_id,
        _source_row as source_row,
        _loaded_at as loaded_at,
        raw_values,
        row_disposition,
        quarantine_reason
    from classified

)

select * from final
