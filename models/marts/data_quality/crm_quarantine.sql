with

classified as (

    select * from {{ ref('int_crm_raw_rows_classified') }}

),

final as (

    select
        {{ row_key(['source_table', 'source_row']) }} as crm_quarantine_id,
        source_table,
        record_id,
        source_row,
        quarantine_reason,
        raw_values,
        loaded_at

    from classified
    where row_disposition = 'quarantined'

)

select
    *,
    {{ build_columns() }}
from final
