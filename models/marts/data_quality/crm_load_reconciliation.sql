with

raw_tables as (

    {%- for table in crm_staged_tables() %}
    select '{{ table.source_table }}' as source_table
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

classified as (

    select * from {{ ref('int_crm_raw_rows_classified') }}

),

counts as (

    -- count() is a bigint on every engine; sum() of a case is not (duckdb: hugeint)
    select
        source_table,
        count(*) as raw_rows,
        count(case when row_disposition = 'live' then 1 end) as live_rows,
        count(case when row_disposition = 'duplicate' then 1 end) as duplicate_rows,
        count(case when row_disposition = 'soft_deleted' then 1 end) as soft_deleted_rows,
        count(
            case when row_disposition = 'removed_with_parent' then 1 end
        ) as removed_with_parent_rows,
        count(case when row_disposition = 'quarantined' then 1 end) as quarantined_rows
    from classified
    group by 1

),

reasons as (

    select
        source_table,
        quarantine_reason,
        count(*) as quarantined_rows
    from classified
    where row_disposition = 'quarantined'
    group by 1, 2

),

top_reasons as (

    select
        source_table,
        {{ dbt.listagg(
            dbt.concat(['quarantine_reason', "' ('", "cast(quarantined_rows as " ~ dbt.type_string() ~ ")", "')'"]),
            "', '",
            "order by quarantined_rows desc, quarantine_reason",
        ) }} as top_quarantine_reasons
    from reasons
    group by 1

),

final as (

    select
        raw_tables.source_table,
        coalesce(counts.raw_rows, 0) as raw_rows,
        coalesce(counts.live_rows, 0) as live_rows,
        coalesce(counts.duplicate_rows, 0) as duplicate_rows,
        coalesce(counts.soft_deleted_rows, 0) as soft_deleted_rows,
        coalesce(counts.removed_with_parent_rows, 0) as removed_with_parent_rows,
        coalesce(counts.quarantined_rows, 0) as quarantined_rows,
        {{ safe_divide('counts.quarantined_rows', 'counts.raw_rows') }} as quarantine_share,
        top_reasons.top_quarantine_reasons

    from raw_tables
    left join counts
        on raw_tables.source_table = counts.source_table
    left join top_reasons
        on raw_tables.source_table = top_reasons.source_table

)

select
    *,
    {{ build_columns() }}
from final
