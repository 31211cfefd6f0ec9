with

classified as (

    select * from {{ ref('int_crm_raw_rows_classified') }}

),

final as (

    select
        {{ dbt.concat([
            'source_table', "'#'", "cast(source_row as " ~ dbt.type_string() ~ ")",
        ]) }} as crm_quarantine_id,
        source_table,
        record_id,
        source_row,
        quarantine_reason,
        raw_values,
        loaded_at

    from classified
    where row_disposition = 'quarantined'

)

select * from final
