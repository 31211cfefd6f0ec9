-- Every raw row is live, a dropped duplicate, soft-deleted, removed with its parent, or
-- quarantined: counted straight from the raw tables (a missing one has no rows) and from
-- the live models.
{%- set tables = crm_staged_tables() %}

with

raw_counts as (

    {%- for table in tables %}
    select
        '{{ table.source_table }}' as source_table,
        count(*) as raw_rows
    from (
        {{ select_source_columns('crm', table.source_table) }}
    ) as raw_rows_read
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

live_counts as (

    {%- for table in tables %}
    select
        '{{ table.source_table }}' as source_table,
        count(*) as live_rows
    from {{ ref(table.live_model) }}
    {%- if table.live_rows %}
    where {{ table.live_rows }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

reconciliation as (

    select * from {{ ref('crm_load_reconciliation') }}

),

final as (

    select
        raw_counts.source_table,
        raw_counts.raw_rows,
        live_counts.live_rows as rows_in_live_model,
        reconciliation.live_rows,
        reconciliation.duplicate_rows,
        reconciliation.soft_deleted_rows,
        reconciliation.removed_with_parent_rows,
        reconciliation.quarantined_rows

    from raw_counts
    inner join live_counts
        on raw_counts.source_table = live_counts.source_table
    left join reconciliation
        on raw_counts.source_table = reconciliation.source_table

)

select * from final
where
    live_rows is null
    or raw_rows != live_rows + duplicate_rows + soft_deleted_rows
    + removed_with_parent_rows + quarantined_rows
    or rows_in_live_model != live_rows
