{#-
    Every raw row of every CRM table with what staging did with it: live, duplicate,
    soft_deleted, quarantined (with a reason), or removed_with_parent. The one place the
    quarantine mart and the load reconciliation count from.
-#}
{%- set tables = crm_staged_tables() -%}

with

staged as (

    {%- for table in tables %}

    select
        '{{ table.source_table }}' as source_table,
        {{ table.id_column }} as record_id,
        _source_row,
        _loaded_at,
        row_disposition,
        quarantine_reason,
        raw_values
    from {{ ref(table.model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

children as (

    select * from {{ ref('int_opportunity_children_attached') }}

),

final as (

    select
        staged.source_table,
        staged.record_id,
        staged._source_row as source_row,
        staged._loaded_at as loaded_at,
        staged.raw_values,
        coalesce(children.row_disposition, staged.row_disposition) as row_disposition,
        coalesce(children.quarantine_reason, staged.quarantine_reason) as quarantine_reason

    from staged
    left join children
        on
            staged.source_table = children.source_table
            and staged._source_row = children._source_row
            and staged.row_disposition = 'live'

)

select * from final
